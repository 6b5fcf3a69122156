package report

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/paper"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/seed"
	"github.com/shardlab/shardlab/store"
)

// Config configures Build.
type Config struct {
	// Results is a report's results directory (store.LoadReport).
	Results string
	// Out receives report.md, report.html and figures/ [paper/build].
	Out string
	// AllowMixedHosts builds a report from parts measured on different
	// machines, stating it, instead of refusing.
	AllowMixedHosts bool

	_ struct{}
}

// Build loads cfg.Results (refusing empty, partial, foreign-schema or
// mixed-host results: store's sentinels), answers the report's capacity
// question from its sweep, and renders the report (package paper).
func Build(cfg Config) (*paper.Built, error) {
	if cfg.Results == "" {
		return nil, fmt.Errorf("%w: no results directory", ErrConfig)
	}
	if cfg.Out == "" {
		cfg.Out = filepath.Join("paper", "build")
	}
	in, err := store.LoadReport(cfg.Results, cfg.AllowMixedHosts)
	if err != nil {
		return nil, err
	}
	pc := paper.Config{Inputs: in, Subject: registries.Sharded, Describe: registries.Descriptions(), Out: cfg.Out}
	if in.Calibration != nil {
		if pc.Capacity, err = capacitySection(in); err != nil {
			return nil, err
		}
	} else {
		pc.Plan = sweepPlan(in)
	}
	return paper.Build(pc)
}

// ReportTarget is the capacity question the report answers: the seed's
// own targets (100 workers, > 100K ops/s, p99 < 100 µs, skew < 0.30) for
// the sustained mix, on this machine's cores.
func ReportTarget(cores int) analysis.Target {
	return analysis.Target{Workers: 100, Throughput: 100_000, P99: 100 * time.Microsecond, MaxSkew: seed.TargetSkew, Cores: cores}
}

// sweepPlan answers ReportTarget from the report's sweep, for paper's
// capacity section when the results hold no calibration of the capacity
// model (results measured before it existed).
func sweepPlan(in *store.Inputs) paper.Plan {
	res, err := planFrom(in.Sweep, PlanConfig{Target: ReportTarget(in.Host().GOMAXPROCS), Workload: "sustained"})
	if err != nil {
		return paper.Plan{Why: []string{"no recommendation: " + err.Error()}}
	}
	var why []string
	p := res.Plan
	if p.Recommended > 0 {
		why = append(why, fmt.Sprintf("recommended: %d partitions, the smallest measured count meeting every requirement (evidence: %s)", p.Recommended, p.Evidence))
	} else {
		why = append(why, "no measured partition count meets every requirement on this machine")
	}
	why = append(why, res.Beyond...)
	return paper.Plan{Text: res.Text(), Why: why}
}
