package report

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/experiments"
)

// PlanRequest is a capacity question as a person states it (the plan
// command's flags): the concurrency as closed-loop workers or as
// connections with a think time, and any of ops/s, a p99 goal, a skew
// limit and production cores. Config turns it into a PlanConfig.
type PlanRequest struct {
	Workers, Connections int
	// Ops is the required throughput; with connections and no Ops, the
	// connections' own rate (connections / think).
	Ops     float64
	P99     time.Duration
	MaxSkew float64
	Cores   int
	Think   time.Duration
	// Workload names a built-in mix ["sustained"; "route" with
	// connections, since a connection registers once and then reads and
	// routes]; Mix gives a custom one instead (labelled Workload, or
	// "custom").
	Workload   string
	Mix        map[string]float64
	Dist       string
	Partitions []int
	// Results plans from measured sweep results; without, the focused
	// sweep writes to Out [results/plan-WORKLOAD-wN-seedS].
	Results, Out string
	Seed         uint64
}

// Config applies the defaults and validates; every error wraps ErrConfig.
func (r PlanRequest) Config() (PlanConfig, error) {
	switch {
	case r.Workers > 0 && r.Connections > 0:
		return PlanConfig{}, fmt.Errorf("%w: give workers or connections, not both", ErrConfig)
	case r.Workers < 0 || r.Connections < 0:
		return PlanConfig{}, fmt.Errorf("%w: workers and connections must be positive", ErrConfig)
	case r.Workers == 0 && r.Connections == 0:
		return PlanConfig{}, fmt.Errorf("%w: give the target concurrency: workers (closed-loop callers) or connections (with a think time)", ErrConfig)
	}
	c := PlanConfig{Results: r.Results, Out: r.Out, Think: r.Think, Workload: r.Workload, Mix: r.Mix, Dist: r.Dist,
		Partitions: r.Partitions, Seed: r.Seed}
	workers, ops := r.Workers, r.Ops
	if r.Connections > 0 {
		c.Connections, workers = true, r.Connections
		if ops == 0 && r.Think > 0 {
			ops = float64(r.Connections) / r.Think.Seconds()
		}
	}
	switch {
	case c.Workload != "":
	case c.Mix != nil:
		c.Workload = "custom"
	case c.Connections:
		c.Workload = "route"
	default:
		c.Workload = "sustained"
	}
	c.Target = analysis.Target{Workers: workers, Throughput: ops, P99: r.P99, MaxSkew: r.MaxSkew, Cores: r.Cores}
	if c.Connections {
		c.Target.Unit = "connections"
	}
	if c.Results == "" && c.Out == "" {
		c.Out = filepath.Join("results", fmt.Sprintf("plan-%s-w%d-seed%d", experiments.PathSafe(c.Workload), workers, c.Seed))
	}
	if err := c.Validate(); err != nil {
		return PlanConfig{}, err
	}
	return c, nil
}
