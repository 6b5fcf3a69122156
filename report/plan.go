package report

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/sim"
	"github.com/shardlab/shardlab/store"
)

func distSuffix(d string) string {
	if d == "" {
		return ""
	}
	return " with " + d + " keys"
}

// PlanConfig configures Plan.
type PlanConfig struct {
	// Results is a sweep results directory, or a report's (its sweep/ is
	// used). Empty: Plan runs a focused quick sweep into Out first.
	Results string
	Out     string
	// Target: Workers is the concurrency (closed-loop workers, or
	// connections when Connections is set).
	Target      analysis.Target
	Connections bool
	Think       time.Duration // per connection, for the focused sweep
	// Workload names a built-in mix (experiments.Workloads) or, with Mix,
	// labels a custom one; Dist is the key distribution ("" = uniform).
	Workload string
	Mix      map[string]float64
	Dist     string
	// Partitions measured by the focused sweep [1, 4, 16, 64, 256].
	Partitions []int
	Seed       uint64
	Host       store.Host
	Progress   io.Writer
	Terminal   bool

	_ struct{}
}

// PlanReport is Plan's answer, with the evidence it used.
type PlanReport struct {
	Plan     analysis.CapacityPlan
	Results  string // the sweep results directory used
	Workload string
	Dist     string
	Cells    []store.SweepCell
	// Beyond explains, when the target lies past what was measured, what
	// the USL fit extrapolates and how far to trust it.
	Beyond []string
}

// MaxQuickWorkers caps the focused sweep's closed-loop workers: beyond it
// a 2-core machine measures its scheduler, not the registry.
const MaxQuickWorkers = 256

// Validate checks the configuration; every error wraps ErrConfig.
func (c *PlanConfig) Validate() error {
	t := c.Target
	switch {
	case t.Workers < 1:
		return fmt.Errorf("%w: the target needs a concurrency (workers or connections) >= 1, got %d", ErrConfig, t.Workers)
	case !(t.Throughput >= 0) || math.IsInf(t.Throughput, 0):
		return fmt.Errorf("%w: ops/s %v (want >= 0)", ErrConfig, t.Throughput)
	case t.P99 < 0:
		return fmt.Errorf("%w: p99 goal %v (want >= 0)", ErrConfig, t.P99)
	case !(t.MaxSkew >= 0) || math.IsInf(t.MaxSkew, 0):
		return fmt.Errorf("%w: skew limit %v (want >= 0)", ErrConfig, t.MaxSkew)
	case t.Cores < 0:
		return fmt.Errorf("%w: cores %d (want >= 0)", ErrConfig, t.Cores)
	case t.Throughput == 0 && t.P99 == 0 && t.MaxSkew == 0:
		return fmt.Errorf("%w: nothing to plan for: give ops/s, a p99 goal or a skew limit", ErrConfig)
	case c.Connections && c.Think <= 0 && c.Results == "":
		return fmt.Errorf("%w: connections need a think time > 0", ErrConfig)
	case c.Connections && t.Workers > sim.MaxWorkers:
		return fmt.Errorf("%w: %d connections (this driver simulates at most %d)", ErrConfig, t.Workers, sim.MaxWorkers)
	}
	if c.Workload == "" {
		return fmt.Errorf("%w: no workload", ErrConfig)
	}
	var mix sim.Mix
	if c.Mix != nil {
		m, err := sim.ParseMix(c.Mix)
		if err != nil {
			return fmt.Errorf("%w: mix: %w", ErrConfig, err)
		}
		mix = m
	} else if m, ok := experiments.Workloads()[c.Workload]; ok {
		mix = m
	} else {
		return fmt.Errorf("%w: unknown workload %q (want one of %s, or give a mix)", ErrConfig, c.Workload, strings.Join(experiments.WorkloadNames(), ", "))
	}
	// Caught here, not a minute into the focused sweep.
	if c.Connections && c.Results == "" {
		if err := sim.CheckConnectionMix(mix); err != nil {
			return fmt.Errorf("%w: workload %q: %w", ErrConfig, c.Workload, err)
		}
	}
	if c.Dist != "" {
		if _, err := sim.NewKeyGen(sim.Keys{Dist: c.Dist}, 1); err != nil {
			return fmt.Errorf("%w: key distribution: %w", ErrConfig, err)
		}
	}
	for _, p := range c.Partitions {
		if p < 1 || p > partition.MaxPartitions {
			return fmt.Errorf("%w: partitions %d (want 1..%d)", ErrConfig, p, partition.MaxPartitions)
		}
	}
	return nil
}

// focusedSweep measures what the target needs: the partition counts, and
// concurrencies spanning the target (capped at what this machine measures
// meaningfully; the planner extrapolates past that and says so).
func (c *PlanConfig) focusedSweep() spec.Sweep {
	parts := c.Partitions
	if len(parts) == 0 {
		parts = []int{1, 4, 16, 64, 256}
	}
	wl := spec.WorkloadSpec{Name: c.Workload, Mix: c.Mix}
	if c.Dist != "" {
		wl.Keys = &spec.KeysSpec{Dist: c.Dist}
	}
	sw := spec.Sweep{
		Name: "plan", Registries: []string{registries.Sharded}, Partitions: parts,
		Workloads: []spec.WorkloadSpec{wl},
		Preload:   experiments.SeedPreload(),
		Duration:  spec.Duration(150 * time.Millisecond), Repeat: 2, SampleEvery: 8,
	}
	w := c.Target.Workers
	if c.Connections {
		var cs []int
		for _, v := range []int{w / 100, w / 10, w} {
			if v >= 1 && !slices.Contains(cs, v) {
				cs = append(cs, v)
			}
		}
		sw.Connections, sw.Think, sw.ThinkDist = cs, spec.Duration(c.Think), sim.ThinkExponential
		// Each connection issues one op per think time, so a point must
		// last several think times for its p99 to rest on more than a
		// handful of samples; three repetitions let the median p99 ignore
		// one scheduler hiccup.
		sw.Duration = spec.Duration(min(max(150*time.Millisecond, 5*c.Think), 2*time.Second))
		sw.Repeat = 3
		return sw
	}
	ws := []int{1, 2, 8, 32}
	if w <= MaxQuickWorkers {
		ws = append(ws, w)
	} else {
		ws = append(ws, 64, 128, MaxQuickWorkers)
	}
	slices.Sort(ws)
	sw.Workers = slices.Compact(ws)
	return sw
}

// Plan recommends a partition count for cfg.Target from measured sweep
// results (running a focused quick sweep when cfg.Results is empty).
// analysis.PlanCapacity makes the decision.
func Plan(ctx context.Context, cfg PlanConfig) (*PlanReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var res *store.Results
	var err error
	if cfg.Results != "" {
		res, err = store.LoadSweep(cfg.Results)
		if err != nil {
			return nil, err
		}
	} else {
		sw := cfg.focusedSweep()
		if cfg.Out == "" {
			return nil, fmt.Errorf("%w: no --results and no output directory for the focused sweep", ErrConfig)
		}
		res, err = experiments.RunSweep(ctx, experiments.Config{
			Sweep: &sw, Seed: cfg.Seed, Quick: true, Out: cfg.Out, Host: cfg.Host,
			Progress: cfg.Progress, Terminal: cfg.Terminal,
		})
		if err != nil {
			return nil, fmt.Errorf("focused sweep: %w", err)
		}
	}
	return planFrom(res, cfg)
}

func planFrom(res *store.Results, cfg PlanConfig) (*PlanReport, error) {
	cells, err := store.SweepCells(res, registries.Sharded, cfg.Workload, cfg.Dist)
	if err != nil {
		return nil, err
	}
	plan, err := analysis.PlanCapacity(store.Measurements(cells, res.Meta.Host.GOMAXPROCS), cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	r := &PlanReport{Plan: plan, Results: res.Dir, Workload: cfg.Workload, Dist: cfg.Dist, Cells: cells}
	r.Beyond = beyond(plan, cells, res.Meta.Host)
	return r, nil
}

// beyond explains targets past the measured range: what the USL fit
// extrapolates and how far to trust it.
func beyond(plan analysis.CapacityPlan, cells []store.SweepCell, host store.Host) []string {
	t := plan.Target
	var out []string
	maxW, best := 0, 0.0
	for _, c := range cells {
		maxW = max(maxW, c.Workers)
		best = max(best, c.Throughput)
	}
	if t.Workers > maxW {
		ratio := float64(t.Workers) / float64(maxW)
		trust := "within the planner's trusted range"
		if ratio > analysis.MaxTrustedExtrapolation {
			trust = fmt.Sprintf("past the %gx the planner trusts: treat it as a guess and measure at %d", analysis.MaxTrustedExtrapolation, t.Workers)
		}
		out = append(out, fmt.Sprintf("the target concurrency %d is %.1fx the largest measured (%d); %s", t.Workers, ratio, maxW, trust))
	}
	if t.Throughput > best {
		out = append(out, fmt.Sprintf("the target %.0f ops/s exceeds the best measured here (%.0f ops/s on %d CPUs, GOMAXPROCS %d)",
			t.Throughput, best, host.NumCPU, host.GOMAXPROCS))
	}
	if len(out) == 0 {
		return nil
	}
	for _, c := range plan.Candidates {
		if c.Fit == nil {
			continue
		}
		f := c.Fit
		peak := "no peak (throughput keeps rising)"
		if !math.IsInf(f.PeakN, 1) {
			peak = fmt.Sprintf("peak %.0f ops/s at N*≈%.0f", f.PeakThroughput, f.PeakN)
		} else if !math.IsInf(f.PeakThroughput, 1) {
			peak = fmt.Sprintf("asymptote λ/σ ≈ %.0f ops/s", f.PeakThroughput)
		}
		out = append(out, fmt.Sprintf("P=%d: %s, fitted on %d points up to N=%.0f: X(%d) ≈ %.0f ops/s, %s (evidence: %s)",
			c.Partitions, f, f.Points, f.MaxN, t.Workers, f.Predict(float64(t.Workers)), peak, c.Evidence))
	}
	out = append(out, "a USL fit pins σ and κ only over the measured range; past it new bottlenecks (cores, memory bandwidth, GC) appear that the model does not contain, and throughput measured on this machine does not transfer to other hardware")
	return out
}

// Text renders the report: the source, the planner's table and the
// extrapolation notes.
func (r *PlanReport) Text() string {
	var b strings.Builder
	latency := "closed-loop service time"
	if r.Plan.Target.Unit == "connections" {
		latency = "service time of each connection's calls"
	}
	fmt.Fprintf(&b, "from %s (workload %s%s, %d cells; throughput = mean of repetitions with its 95%% CI low end, p99 = median of repetitions, %s)\n\n",
		r.Results, r.Workload, distSuffix(r.Dist), len(r.Cells), latency)
	b.WriteString(r.Plan.Table())
	if len(r.Beyond) > 0 {
		b.WriteString("\nbeyond this machine:\n")
		for _, s := range r.Beyond {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	return b.String()
}
