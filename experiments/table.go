package experiments

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/store"
)

// FormatMeasured renders a metric's value with its unit.
func FormatMeasured(metric string, v float64) string {
	switch {
	case metric == "throughput":
		return units.Rate(v)
	case strings.HasSuffix(metric, "_us"):
		if v < 10 {
			return fmt.Sprintf("%.2f µs", v)
		}
		return fmt.Sprintf("%.0f µs", v)
	case metric == "skew" || metric == "max_over_mean":
		return fmt.Sprintf("%.3f", v)
	case metric == "recovered":
		if v == 1 {
			return "yes"
		}
		return "no"
	}
	return fmt.Sprintf("%.0f", v)
}

// WriteTable prints every check of every scenario point: scenario,
// registry, the seed's target and claim, our measurement, pass or fail;
// then the driver's ceiling and the per-scenario details (balance,
// contention, histogram buckets).
func WriteTable(w io.Writer, res *store.Results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tMODE\tREGISTRY\tSEED TARGET\tSEED CLAIM\tMEASURED\tRESULT")
	for _, p := range res.Points {
		if p.Scenario == "" {
			continue
		}
		for _, c := range p.Checks {
			verdict := "PASS"
			if !c.Pass {
				verdict = "FAIL"
			}
			measured := FormatMeasured(c.Metric, c.Measured)
			if c.Unmeasured {
				measured = "n/a"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Scenario, p.Mode, p.Registry, c.Target, c.Claim, measured, verdict)
		}
	}
	tw.Flush()
	m := res.Meta
	fmt.Fprintf(w, "\nDriver ceiling (100 workers of lookups against a registry that does nothing): %s; one latency timing costs %d ns.\n",
		units.Rate(m.DriverCeiling), m.TimerCostNs)
	fmt.Fprintf(w, "Latency is service time (closed loop), recorded for one op in sample_every per worker; throughput is completed ops / measured elapsed time.\n")
	fmt.Fprintf(w, "Host: %s, GOMAXPROCS %d, %s; seed %d; results in %s\n", m.Host.CPUModel, m.Host.GOMAXPROCS, m.Host.GoVersion, m.Seed, res.Dir)
	details := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(details, "\nPOINT\tOPS\tELAPSED\tTHROUGHPUT\tP50\tP99\tP99.9\tERRORS\tDETAIL")
	for _, p := range res.Points {
		if p.Scenario == "" {
			continue
		}
		var p50, p99, p999 string
		if p.Latency != nil {
			p50, p99, p999 = units.Micros(p.Latency.P50), units.Micros(p.Latency.P99), units.Micros(p.Latency.P999)
		}
		fmt.Fprintf(details, "%s/%s/%s\t%d\t%v\t%s\t%s\t%s\t%s\t%v\t%s\n", p.Scenario, p.Mode, p.Registry, p.Ops,
			time.Duration(p.ElapsedNs).Round(time.Millisecond), units.Rate(p.Throughput), p50, p99, p999, errorsText(&p), detail(&p))
	}
	details.Flush()
}

// errorsText is a point's failures by code, "0" without any.
func errorsText(p *store.Point) string {
	if n, byCode := p.Failures(); n > 0 {
		return strings.Join(byCode, ",")
	}
	return "0"
}

func detail(p *store.Point) string {
	switch {
	case p.Balance != nil:
		b := p.Balance
		return fmt.Sprintf("%d partitions (%s): seed skew %.3f (ideal hash ~%.3f), max/mean %.3f, chi-square p %.2f",
			len(b.Counts), b.Source, b.SeedSkew, b.IdealSeedSkew, b.MaxOverMean, b.PValue)
	case p.Contention != nil:
		c := p.Contention
		if !c.Supported {
			return "no contention monitoring or admission control in this registry"
		}
		rec := "not recovered"
		if c.Recovered {
			rec = fmt.Sprintf("recovered %.0f ms after the storm", c.RecoverMs)
		}
		return fmt.Sprintf("max %d partitions alarmed, %d alarms, %d registrations rejected, %s (%s)", c.MaxAlarmed, c.Alarms, c.Rejected, rec, optionsText(p.Options))
	case len(p.Buckets) > 0:
		var parts []string
		for _, b := range p.Buckets {
			hi := "inf"
			if b.HighUs >= 0 {
				hi = fmt.Sprint(b.HighUs)
			}
			parts = append(parts, fmt.Sprintf("[%d,%s)µs:%d", b.LowUs, hi, b.Count))
		}
		return "buckets " + strings.Join(parts, " ")
	case len(p.Phases) > 0:
		var parts []string
		for _, ph := range p.Phases {
			parts = append(parts, fmt.Sprintf("%s %v %s", ph.Name, time.Duration(ph.ElapsedNs).Round(time.Millisecond), units.Rate(ph.Throughput)))
		}
		return strings.Join(parts, "; ")
	}
	return fmt.Sprintf("sample 1/%d", max(p.SampleEvery, 1))
}

func optionsText(o map[string]string) string {
	return fmt.Sprintf("partitions %s, alarm %s, clear %s, window %s", o["partitions"], o["alarm_wait"], o["clear_wait"], o["contention_window"])
}

// WriteSweepTable prints one line per sweep point.
func WriteSweepTable(w io.Writer, res *store.Results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "registry\tpartitions\tworkload\tworkers\tconns\trep\tthroughput\tp50\tp99\terrors\t")
	for _, p := range res.Points {
		var p50, p99 string
		if p.Latency != nil {
			p50, p99 = units.Micros(p.Latency.P50), units.Micros(p.Latency.P99)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", p.Registry, p.Partitions, p.Workload, p.Workers, p.Connections, p.Rep,
			units.Rate(p.Throughput), p50, p99, errorsText(&p))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nDriver ceiling: %s; timing cost %d ns; results in %s\n", units.Rate(res.Meta.DriverCeiling), res.Meta.TimerCostNs, res.Dir)
}
