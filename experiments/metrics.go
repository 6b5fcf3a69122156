package experiments

import (
	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/store"
)

// evaluate computes each check on p.
func evaluate(checks []spec.Check, p *store.Point) []store.CheckResult {
	var out []store.CheckResult
	for _, c := range checks {
		v, ok := Measure(p, c.Metric, c.Kind)
		cr := store.CheckResult{Check: c, Measured: v}
		if ok {
			switch c.Cmp {
			case "<":
				cr.Pass = v < c.Value
			case "<=":
				cr.Pass = v <= c.Value
			case ">":
				cr.Pass = v > c.Value
			case ">=":
				cr.Pass = v >= c.Value
			case "==":
				cr.Pass = v == c.Value
			}
		} else {
			cr.Measured, cr.Unmeasured = 0, true
		}
		out = append(out, cr)
	}
	return out
}

// Measure returns a metric of a point (MetricNames), optionally over one
// operation kind; ok is false when the point has no such figure.
func Measure(p *store.Point, metric, kind string) (float64, bool) {
	for _, m := range metrics {
		if m.name == metric {
			return m.measure(p, kind)
		}
	}
	return 0, false
}

// MetricNames lists the metrics a Check can name, in the order help and
// errors list them.
func MetricNames() []string {
	ns := make([]string, len(metrics))
	for i, m := range metrics {
		ns[i] = m.name
	}
	return ns
}

// metrics is every metric a Check can name and how it is measured: the one
// table spec validation and evaluation both read.
var metrics = []struct {
	name    string
	measure func(p *store.Point, kind string) (float64, bool)
}{
	{"throughput", func(p *store.Point, _ string) (float64, bool) { return p.Throughput, p.ElapsedNs > 0 }},
	{"p50_us", percentile(50)},
	{"p95_us", percentile(95)},
	{"p99_us", percentile(99)},
	{"p999_us", percentile(99.9)},
	{"max_us", percentile(101)},
	{"ops_per_worker", func(p *store.Point, _ string) (float64, bool) {
		if p.Workers == 0 {
			return 0, false
		}
		return float64(p.Ops) / float64(p.Workers), true
	}},
	{"errors", errorCount(false)},
	// "failed" leaves out registrations admission control rejected: for
	// clients that retry them (the connection scenarios), a rejection is
	// backpressure, and only what never succeeded fails.
	{"failed", errorCount(true)},
	{"skew", func(p *store.Point, _ string) (float64, bool) {
		if p.Balance == nil {
			return 0, false
		}
		return p.Balance.SeedSkew, true
	}},
	{"max_over_mean", func(p *store.Point, _ string) (float64, bool) {
		if p.Balance == nil {
			return 0, false
		}
		return p.Balance.MaxOverMean, true
	}},
	{"alarmed_max", func(p *store.Point, _ string) (float64, bool) {
		if p.Contention == nil {
			return 0, false
		}
		return float64(p.Contention.MaxAlarmed), true
	}},
	{"rejected", func(p *store.Point, _ string) (float64, bool) {
		if p.Contention == nil {
			return 0, false
		}
		return float64(p.Contention.Rejected), true
	}},
	{"recovered", func(p *store.Point, _ string) (float64, bool) {
		if p.Contention == nil {
			return 0, false
		}
		if p.Contention.Recovered {
			return 1, true
		}
		return 0, true
	}},
}

// percentile measures the q-th percentile in µs of a point's latency (one
// kind's, or all merged); q above 100 is the maximum.
func percentile(q float64) func(p *store.Point, kind string) (float64, bool) {
	return func(p *store.Point, kind string) (float64, bool) {
		var h *hdrhistogram.Histogram
		if kind == "" {
			if p.Latency != nil {
				h = p.Latency.H
			}
		} else {
			for _, k := range p.Kinds {
				if k.Kind == kind && k.Latency != nil {
					h = k.Latency.H
					break
				}
			}
		}
		if h == nil || h.TotalCount() == 0 {
			return 0, false
		}
		if q > 100 {
			return float64(h.Max()) / 1e3, true
		}
		return float64(h.ValueAtQuantile(q)) / 1e3, true
	}
}

// errorCount counts a point's failed operations; withoutRejected leaves
// out admission control's rejections.
func errorCount(withoutRejected bool) func(p *store.Point, _ string) (float64, bool) {
	return func(p *store.Point, _ string) (float64, bool) {
		var n int64
		for code, v := range p.Errors {
			if withoutRejected && code == model.CodeOverloaded.String() {
				continue
			}
			n += v
		}
		return float64(n), true
	}
}
