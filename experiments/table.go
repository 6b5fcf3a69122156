package experiments

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/shardlab/shardlab/internal/textable"
	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/store"
)

// FormatMeasured renders a metric's value with its unit.
func FormatMeasured(metric string, v float64) string {
	switch {
	case metric == "throughput":
		return units.Rate(v)
	case strings.HasSuffix(metric, "_us"):
		return units.Ns(v * 1e3)
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

// writeTable prints every check of every scenario point: scenario,
// registry, the seed's target and claim, our measurement, pass or fail;
// then the driver's ceiling and the per-scenario details (balance,
// contention, histogram buckets). The tables fit width columns by
// wrapping long cells (width <= 0: one line per row, however wide).
func writeTable(w io.Writer, res *store.Results, width int) {
	checks := textable.Table{Columns: []textable.Column{
		{Header: "SCENARIO", Max: 22}, {Header: "MODE"}, {Header: "REGISTRY"}, {Header: "SEED TARGET", Max: 22},
		{Header: "SEED CLAIM", Max: 12}, {Header: "MEASURED", Max: 12}, {Header: "RESULT"}}}
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
			checks.Rows = append(checks.Rows, []string{p.Scenario, p.Mode, p.Registry, c.Target, c.Claim, measured, verdict})
		}
	}
	_ = checks.Write(w, width)
	m := res.Meta
	fmt.Fprintf(w, "\nDriver ceiling (100 workers of lookups against a registry that does nothing): %s", units.Rate(m.DriverCeiling))
	if n := len(m.DriverCeilingSamples); n > 1 {
		fmt.Fprintf(w, " (median of %d; range %s to %s)", n, units.Rate(slices.Min(m.DriverCeilingSamples)), units.Rate(slices.Max(m.DriverCeilingSamples)))
	}
	fmt.Fprintf(w, "; one latency timing costs %s.\n", units.Latency(m.TimerCostNs))
	fmt.Fprintf(w, "Latency is service time (closed loop) unless the point says intended (open loop, from the intended start); throughput is completed ops / measured elapsed time.\n")
	fmt.Fprintf(w, "Host: %s, GOMAXPROCS %d, %s; seed %d; results in %s\n\n", m.Host.CPUModel, m.Host.GOMAXPROCS, m.Host.GoVersion, m.Seed, res.Dir)
	details := textable.Table{Columns: []textable.Column{
		{Header: "POINT", Max: 20}, {Header: "OPS"}, {Header: "ELAPSED"}, {Header: "THROUGHPUT"},
		{Header: "P50"}, {Header: "P99"}, {Header: "P99.9"}, {Header: "ERRORS", Max: 10}, {Header: "DETAIL", Max: 12}}}
	for _, p := range res.Points {
		if p.Scenario == "" {
			continue
		}
		var p50, p99, p999 string
		if p.Latency != nil {
			p50, p99, p999 = units.Latency(p.Latency.P50), units.Latency(p.Latency.P99), units.Latency(p.Latency.P999)
		}
		details.Rows = append(details.Rows, []string{p.Scenario + " " + p.Mode + " " + p.Registry, units.Commas(int(p.Ops)),
			units.Latency(p.ElapsedNs), units.Rate(p.Throughput), p50, p99, p999, errorsText(&p), detail(&p)})
	}
	_ = details.Write(w, width)
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
			parts = append(parts, fmt.Sprintf("[%d,%s) µs: %d", b.LowUs, hi, b.Count))
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

// writeSweepTable prints one line per sweep point, fitting width
// columns (width <= 0: however wide).
func writeSweepTable(w io.Writer, res *store.Results, width int) {
	t := textable.Table{Columns: []textable.Column{{Header: "REGISTRY"}, {Header: "PARTITIONS"}, {Header: "WORKLOAD", Max: 12},
		{Header: "WORKERS"}, {Header: "CONNS"}, {Header: "REP"}, {Header: "THROUGHPUT"}, {Header: "P50"}, {Header: "P99"}, {Header: "ERRORS", Max: 12}}}
	for _, p := range res.Points {
		var p50, p99 string
		if p.Latency != nil {
			p50, p99 = units.Latency(p.Latency.P50), units.Latency(p.Latency.P99)
		}
		t.Rows = append(t.Rows, []string{p.Registry, fmt.Sprint(p.Partitions), p.Workload, fmt.Sprint(p.Workers), fmt.Sprint(p.Connections),
			fmt.Sprint(p.Rep), units.Rate(p.Throughput), p50, p99, errorsText(&p)})
	}
	_ = t.Write(w, width)
	fmt.Fprintf(w, "\nDriver ceiling: %s; timing cost %s; results in %s\n", units.Rate(res.Meta.DriverCeiling), units.Latency(res.Meta.TimerCostNs), res.Dir)
}
