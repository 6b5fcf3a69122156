package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/seed"
	"github.com/shardlab/shardlab/sim"
	"github.com/shardlab/shardlab/store"
)

// Config configures RunScenarios and RunSweep.
type Config struct {
	// Scenarios to run (RunScenarios); Sweep to run (RunSweep).
	Scenarios []spec.Scenario
	Sweep     *spec.Sweep
	// Registries to run each scenario against, side by side. For a sweep,
	// a non-empty list replaces the sweep's own.
	Registries []string
	// Partitions, when > 0, replaces every scenario's (or sweep's)
	// partition count for the sharded registry.
	Partitions int
	Seed       uint64
	// Quick runs each scenario for its QuickDuration (about 1-2 s).
	Quick bool
	// Out is the results directory (created, or resumed when it holds the
	// same run).
	Out         string
	Host        store.Host
	CommandLine []string
	// Progress receives progress; Terminal selects a progress bar over
	// plain lines. Report receives the result table. Either may be nil.
	Progress io.Writer
	Terminal bool
	Report   io.Writer
	// CeilingFor is how long the driver-ceiling measurement runs (0: 1 s,
	// or 300 ms with Quick).
	CeilingFor time.Duration
	// Now stamps meta.json's creation and each point's start [time.Now];
	// a fixed clock makes metadata reproducible. Durations are always
	// measured on the real clock.
	Now func() time.Time

	_ struct{}
}

// RunScenarios runs cfg.Scenarios against every registry in
// cfg.Registries, writes the results directory and prints the table.
func RunScenarios(ctx context.Context, cfg Config) (*store.Results, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(cfg.Scenarios) == 0 {
		return nil, fmt.Errorf("%w: no scenarios", ErrSpec)
	}
	if len(cfg.Registries) == 0 {
		cfg.Registries = []string{registries.Sharded}
	}
	if err := checkRegistries(cfg.Registries); err != nil {
		return nil, err
	}
	var names []string
	var plans []plan
	for i := range cfg.Scenarios {
		sc := cfg.Scenarios[i]
		if err := ValidateScenario(&sc); err != nil {
			return nil, err
		}
		if cfg.Partitions > 0 {
			sc.Registry.Partitions = cfg.Partitions
		}
		names = append(names, sc.Name)
		for _, reg := range cfg.Registries {
			plans = append(plans, scenarioPlans(sc, reg, cfg)...)
		}
	}
	spec, _ := json.Marshal(cfg.Scenarios)
	meta := newMeta(cfg, "scenarios", strings.Join(names, ","), spec)
	res, err := execute(ctx, cfg, meta, plans)
	if res != nil && cfg.Report != nil {
		WriteTable(cfg.Report, res)
	}
	return res, err
}

// RunSweep runs cfg.Sweep and writes the results directory.
func RunSweep(ctx context.Context, cfg Config) (*store.Results, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Sweep == nil {
		return nil, fmt.Errorf("%w: no sweep", ErrSpec)
	}
	sw := *cfg.Sweep
	if len(cfg.Registries) > 0 {
		sw.Registries = cfg.Registries
	}
	if cfg.Partitions > 0 {
		sw.Partitions = []int{cfg.Partitions}
	}
	if err := ValidateSweep(&sw); err != nil {
		return nil, err
	}
	cfg.Registries = sw.Registries
	plans := sweepPlans(&sw, cfg)
	spec, _ := json.Marshal(sw)
	meta := newMeta(cfg, "sweep", sw.Name, spec)
	res, err := execute(ctx, cfg, meta, plans)
	if res != nil && cfg.Report != nil {
		WriteSweepTable(cfg.Report, res)
	}
	return res, err
}

func checkRegistries(names []string) error {
	for _, n := range names {
		if _, err := registries.Lookup(n); err != nil {
			return err
		}
	}
	return nil
}

func newMeta(cfg Config, kind, name string, spec []byte) store.Meta {
	fp := sha256.New()
	fmt.Fprintf(fp, "%d|%s|%s|%v|%d|%v|%d|", store.SchemaVersion, kind, name, cfg.Registries, cfg.Seed, cfg.Quick, cfg.Partitions)
	fp.Write(spec)
	return store.Meta{
		SchemaVersion: store.SchemaVersion, Kind: kind, Name: name,
		Fingerprint: hex.EncodeToString(fp.Sum(nil))[:16],
		Created:     cfg.now(), Host: cfg.Host, Seed: cfg.Seed,
		CommandLine: cfg.CommandLine, Quick: cfg.Quick, Registries: cfg.Registries, Spec: spec,
	}
}

// now is the configured clock's time, in UTC.
func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// execute opens the store, measures the driver's ceiling, runs every plan
// not yet finished and records each as it finishes.
func execute(ctx context.Context, cfg Config, meta store.Meta, plans []plan) (*store.Results, error) {
	ceilingFor := cfg.CeilingFor
	if ceilingFor <= 0 {
		ceilingFor = time.Second
		if cfg.Quick {
			ceilingFor = 300 * time.Millisecond
		}
	}
	// The folder first: a corrupt or foreign one fails before a second
	// is spent measuring.
	st, err := store.Open(cfg.Out, meta.Fingerprint)
	if err != nil {
		return nil, err
	}
	ceiling, err := DriverCeiling(ctx, ceilingFor, cfg.Seed)
	if err != nil {
		return nil, err
	}
	meta.DriverCeiling = ceiling.Throughput
	meta.TimerCostNs = int64(ceiling.TimerCost)
	if err := st.WriteMetaIfNew(meta); err != nil {
		return nil, err
	}
	var todo []plan
	for _, p := range plans {
		if !st.Done(p.id) {
			todo = append(todo, p)
		}
	}
	prog := newProgress(cfg.Progress, cfg.Terminal, len(plans), len(plans)-len(todo), todo)
	for i, p := range todo {
		if err := ctx.Err(); err != nil {
			prog.finish()
			return st.Results(), err
		}
		prog.start(p.id)
		started := cfg.now()
		pt, err := p.run(ctx)
		pt.Started = started
		if err != nil {
			prog.finish()
			return st.Results(), fmt.Errorf("point %s: %w", p.id, err)
		}
		if ctx.Err() != nil {
			// An interrupted point is not a finished one: drop it.
			prog.finish()
			return st.Results(), ctx.Err()
		}
		if err := st.Append(pt); err != nil {
			prog.finish()
			return st.Results(), err
		}
		prog.done(p.id, pt, todo[i+1:])
	}
	prog.finish()
	res := st.Results()
	// On resume the meta on disk is the original; report this run's ceiling.
	res.Meta.DriverCeiling, res.Meta.TimerCostNs = meta.DriverCeiling, meta.TimerCostNs
	return res, nil
}

// DriverCeiling runs the 100-worker lookup driver (lookupSampleEvery) against
// sim.Null for d: the most any registry could show in that scenario here.
func DriverCeiling(ctx context.Context, d time.Duration, rngSeed uint64) (*sim.Result, error) {
	return sim.ClosedLoop(ctx, sim.Config{
		Registry: sim.Null{}, Seed: rngSeed, Servers: seed.PreloadServers, Transports: seed.PreloadTransports,
		Groups:   []sim.Group{{Workers: seed.Workers, Mix: Workloads()["lookup"]}},
		Duration: d, SampleEvery: lookupSampleEvery,
	})
}
