package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
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

	_ struct{}
}

// plan is one point to run.
type plan struct {
	id       string
	estimate time.Duration
	run      func(ctx context.Context) (store.Point, error)
}

// RunScenarios runs cfg.Scenarios against every registry in
// cfg.Registries, writes the results directory and prints the table.
func RunScenarios(ctx context.Context, cfg Config) (*store.Results, error) {
	if len(cfg.Scenarios) == 0 {
		return nil, fmt.Errorf("%w: no scenarios", ErrSpec)
	}
	if len(cfg.Registries) == 0 {
		cfg.Registries = []string{RegistrySharded}
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
		if !slices.Contains(RegistryNames(), n) {
			return fmt.Errorf("%w %q (want one of %s)", ErrUnknownRegistry, n, strings.Join(RegistryNames(), ", "))
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
		Created:     time.Now().UTC(), Host: cfg.Host, Seed: cfg.Seed,
		CommandLine: cfg.CommandLine, Quick: cfg.Quick, Registries: cfg.Registries, Spec: spec,
	}
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
		pt, err := p.run(ctx)
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
func DriverCeiling(ctx context.Context, d time.Duration, seed uint64) (*sim.Result, error) {
	return sim.ClosedLoop(ctx, sim.Config{
		Registry: sim.Null{}, Seed: seed, Servers: 10_000, Transports: 10_000,
		Groups:   []sim.Group{{Workers: 100, Mix: Workloads()["lookup"]}},
		Duration: d, SampleEvery: lookupSampleEvery,
	})
}

// pointSeed derives a point's seed from the run's seed and the point's ID,
// so adding or resuming points never changes another point's randomness.
func pointSeed(seed uint64, id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return seed*0x9E3779B97F4A7C15 ^ h.Sum64()
}

func scenarioPlans(sc spec.Scenario, reg string, cfg Config) []plan {
	base := func(mode string) string {
		return fmt.Sprintf("scenario=%s/registry=%s/mode=%s", sc.Name, reg, mode)
	}
	dur := sc.Duration.D()
	if cfg.Quick && sc.QuickDuration > 0 {
		dur = sc.QuickDuration.D()
	}
	mk := func(mode string, est time.Duration, f func(ctx context.Context, seed uint64) (store.Point, error)) plan {
		id := base(mode)
		return plan{id: id, estimate: est + 100*time.Millisecond, run: func(ctx context.Context) (store.Point, error) {
			seed := pointSeed(cfg.Seed, id)
			p, err := f(ctx, seed)
			if err != nil {
				return p, err
			}
			p.ID, p.Scenario, p.Mode, p.Registry, p.Seed, p.Quick = id, sc.Name, mode, reg, seed, cfg.Quick
			if p.Note == "" {
				p.Note = sc.Note
			}
			p.Checks = evaluate(sc.Checks, &p)
			return p, nil
		}}
	}
	switch sc.KindOrDefault() {
	case spec.KindBalance:
		return []plan{mk("balance", 0, func(ctx context.Context, seed uint64) (store.Point, error) { return runBalance(sc, reg) })}
	case spec.KindContention:
		var est time.Duration
		for _, ph := range sc.Phases {
			est += phaseDuration(ph, cfg.Quick)
		}
		return []plan{mk("contention", est, func(ctx context.Context, seed uint64) (store.Point, error) {
			return runContention(ctx, sc, reg, seed, cfg.Quick)
		})}
	case spec.KindConnections:
		if cfg.Quick && sc.Connections.QuickCount > 0 {
			c := *sc.Connections
			c.Count = c.QuickCount
			sc.Connections = &c
		}
		return []plan{mk("connections", dur, func(ctx context.Context, seed uint64) (store.Point, error) {
			return runConnections(ctx, sc, reg, seed, dur)
		})}
	case spec.KindOpen:
		return []plan{mk("open", dur, func(ctx context.Context, seed uint64) (store.Point, error) {
			return runClosed(ctx, sc, reg, seed, 0, dur, true)
		})}
	}
	var ps []plan
	if sc.OpsPerWorker > 0 {
		ps = append(ps, mk("ops", 0, func(ctx context.Context, seed uint64) (store.Point, error) {
			return runClosed(ctx, sc, reg, seed, sc.OpsPerWorker, 0, false)
		}))
	}
	if dur > 0 {
		ps = append(ps, mk("duration", dur, func(ctx context.Context, seed uint64) (store.Point, error) {
			return runClosed(ctx, sc, reg, seed, 0, dur, false)
		}))
	}
	return ps
}

func phaseDuration(ph spec.PhaseSpec, quick bool) time.Duration {
	if quick && ph.QuickDuration > 0 {
		return ph.QuickDuration.D()
	}
	return ph.Duration.D()
}

// setup builds the registry and applies the preload.
func setup(reg string, rs spec.RegistrySpec, pre spec.PreloadSpec) (*Instance, error) {
	in, err := NewRegistry(reg, rs)
	if err != nil {
		return nil, err
	}
	if err := (sim.Preload{Servers: pre.Servers, Transports: pre.Transports, Bind: pre.Bind}).Apply(in.Registry); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

func partitionHooks(in *Instance) (func(string) int, int) {
	if in.Sharded == nil {
		return nil, 0
	}
	return in.Sharded.PartitionOf, in.Sharded.Partitions()
}

func groupsLabel(gs []sim.Group) (workload, mix, dist string, workers int) {
	var ws, ms, ds []string
	for _, g := range gs {
		workers += g.Workers
		ws = append(ws, orDefault(g.Name, "custom"))
		ms = append(ms, g.Mix.String())
		ds = append(ds, orDefault(g.Keys.Dist, sim.DistUniform))
	}
	return strings.Join(ws, "+"), strings.Join(ms, " + "), strings.Join(slices.Compact(ds), "+"), workers
}

func runClosed(ctx context.Context, sc spec.Scenario, reg string, seed uint64, ops int64, dur time.Duration, open bool) (store.Point, error) {
	groups, err := resolveGroups(sc.Name, "groups", sc.Groups)
	if err != nil {
		return store.Point{}, err
	}
	in, err := setup(reg, sc.Registry, sc.Preload)
	if err != nil {
		return store.Point{}, err
	}
	defer in.Close()
	pof, parts := partitionHooks(in)
	cfg := sim.Config{
		Registry: in.Registry, Seed: seed, Groups: groups,
		Servers: sc.Preload.Servers, Transports: sc.Preload.Transports,
		Duration: dur, OpsPerWorker: ops, Rate: sc.Rate, SampleEvery: sc.SampleEvery,
		MinSamples: sim.DefaultMinSamples, PartitionOf: pof, Partitions: parts, SeriesInterval: sc.SeriesInterval.D(),
	}
	started := time.Now().UTC()
	var r *sim.Result
	if open {
		r, err = sim.OpenLoop(ctx, cfg)
	} else {
		r, err = sim.ClosedLoop(ctx, cfg)
	}
	if err != nil && r == nil {
		return store.Point{}, err
	}
	p, perr := pointFrom(r, in, started)
	if perr != nil {
		return store.Point{}, perr
	}
	p.Workload, p.Mix, p.Dist, p.Workers = groupsLabel(groups)
	if len(sc.HistogramBucketsUs) > 0 && p.Latency != nil {
		p.Buckets, err = buckets(p.Latency.H, sc.HistogramBucketsUs)
		if err != nil {
			return store.Point{}, err
		}
	}
	return p, nil
}

func buckets(h *hdrhistogram.Histogram, edgesUs []int64) ([]store.BucketRecord, error) {
	edges := make([]int64, len(edgesUs))
	for i, e := range edgesUs {
		edges[i] = e * 1000
	}
	bs, err := analysis.BucketCounts(h, edges)
	if err != nil {
		return nil, err
	}
	var out []store.BucketRecord
	for _, b := range bs {
		hi := int64(-1)
		if b.High != math.MaxInt64 {
			hi = b.High / 1000
		}
		out = append(out, store.BucketRecord{LowUs: b.Low / 1000, HighUs: hi, Count: b.Count})
	}
	return out, nil
}

// pointFrom converts a driver result into a record.
func pointFrom(r *sim.Result, in *Instance, started time.Time) (store.Point, error) {
	p := store.Point{
		Started: started, ElapsedNs: int64(r.Elapsed), Ops: r.Ops, Throughput: r.Throughput,
		TargetRate: r.TargetRate, Missed: r.Missed, LatencyBasis: r.LatencyBasis,
		SampleEvery: r.SampleEvery, TimerCostNs: int64(r.TimerCost), Partitions: in.Partitions,
		Workers: r.Workers, Options: in.Options, Errors: codeMap(r.Errors()),
	}
	var err error
	if p.Latency, err = store.NewHist(r.Latency()); err != nil {
		return p, err
	}
	for i := range r.Kinds {
		k := &r.Kinds[i]
		kr := store.KindRecord{Kind: k.Kind.String(), Ops: k.Ops, Errors: codeMap(k.Errors())}
		if kr.Latency, err = store.NewHist(k.Latency); err != nil {
			return p, err
		}
		p.Kinds = append(p.Kinds, kr)
	}
	p.PartitionOps = r.PartitionOps
	if in.Sharded != nil {
		for _, s := range in.Sharded.PartitionStats() {
			p.Entries = append(p.Entries, int64(s.Entries))
		}
	}
	if len(r.Series) > 0 {
		p.Series = seriesFrom(r.SeriesInterval, r.ProbeNames, r.Series, 0)
	}
	for _, ph := range r.Phases {
		pr := store.PhaseRecord{Name: ph.Name, ElapsedNs: int64(ph.Elapsed), Ops: ph.Ops}
		if ph.Elapsed > 0 {
			pr.Throughput = float64(ph.Ops) / ph.Elapsed.Seconds()
		}
		p.Phases = append(p.Phases, pr)
	}
	return p, nil
}

func seriesFrom(interval time.Duration, probes []string, ticks []sim.Tick, offset time.Duration) *store.SeriesRecord {
	s := &store.SeriesRecord{IntervalMs: float64(interval) / 1e6, Probes: probes}
	for _, t := range ticks {
		s.Ticks = append(s.Ticks, store.TickRecord{AtMs: float64(t.At+offset) / 1e6, Ops: t.Ops, Probes: t.Probes})
	}
	return s
}

func codeMap(m map[model.Code]int64) map[string]int64 {
	if len(m) == 0 {
		return nil
	}
	out := map[string]int64{}
	for c, n := range m {
		out[c.String()] = n
	}
	return out
}

func runBalance(sc spec.Scenario, reg string) (store.Point, error) {
	started := time.Now().UTC()
	t0 := time.Now()
	in, err := setup(reg, sc.Registry, sc.Preload)
	if err != nil {
		return store.Point{}, err
	}
	defer in.Close()
	elapsed := time.Since(t0)
	b := &store.BalanceRecord{}
	parts := sc.Registry.Partitions
	if in.Sharded != nil {
		// Real placements: what the registry holds, read from its own
		// statistics after the preload (nothing was reset).
		b.Source = "impl.PartitionStats"
		for _, s := range in.Sharded.PartitionStats() {
			b.Counts = append(b.Counts, int64(s.Entries))
		}
		parts = in.Sharded.Partitions()
	} else {
		// A peer has no partitions: count where the default partitioner
		// would place the same keys.
		if parts == 0 {
			parts = 64
		}
		pt, err := partition.NewHashMod(parts)
		if err != nil {
			return store.Point{}, fmt.Errorf("%w: %w", ErrSpec, err)
		}
		var ids []string
		for i := range sc.Preload.Servers {
			ids = append(ids, sim.ServerID(i))
		}
		for i := range sc.Preload.Transports {
			ids = append(ids, sim.TransportID(i))
		}
		b.Source = "partitioner"
		b.Counts = partition.Counts(pt, ids)
	}
	sk, err := analysis.Skew(b.Counts)
	if err != nil {
		return store.Point{}, fmt.Errorf("balance: %w", err)
	}
	b.SeedSkew, b.MaxOverMean, b.CV, b.PValue = sk.SeedSkew, sk.MaxOverMean, sk.CV, sk.PValue
	if ideal, err := analysis.ExpectedIdealSkew(sk.Total, len(b.Counts)); err == nil {
		b.IdealSeedSkew = ideal.SeedSkew
	}
	ops := int64(sc.Preload.Servers + sc.Preload.Transports)
	return store.Point{
		Started: started, ElapsedNs: int64(elapsed), Ops: ops, Throughput: float64(ops) / elapsed.Seconds(),
		LatencyBasis: sim.LatencyService, Partitions: parts, Workers: 1, Workload: "preload",
		Mix: "register_server", Dist: sim.DistSequential, Options: in.Options, Balance: b,
	}, nil
}

func runConnections(ctx context.Context, sc spec.Scenario, reg string, seed uint64, dur time.Duration) (store.Point, error) {
	in, err := setup(reg, sc.Registry, sc.Preload)
	if err != nil {
		return store.Point{}, err
	}
	defer in.Close()
	c := sc.Connections
	var mix sim.Mix
	if c.Mix != nil {
		if mix, err = sim.ParseMix(c.Mix); err != nil {
			return store.Point{}, specErr(sc.Name, "connections.mix", "%v", err)
		}
	}
	pof, parts := partitionHooks(in)
	started := time.Now().UTC()
	r, err := sim.Connections(ctx, sim.ConnConfig{
		Registry: in.Registry, Seed: seed, Connections: c.Count, Servers: sc.Preload.Servers,
		ServerKeys: simKeys(c.ServerKeys), Mix: mix, Think: c.Think.D(), ThinkDist: c.ThinkDist,
		Duration: dur, SampleEvery: sc.SampleEvery, PartitionOf: pof, Partitions: parts,
		SeriesInterval: sc.SeriesInterval.D(),
	})
	if err != nil && r == nil {
		return store.Point{}, err
	}
	p, err := pointFrom(r, in, started)
	if err != nil {
		return p, err
	}
	p.Connections, p.Workload, p.Mix, p.Dist = c.Count, "connections", r.Kinds[0].Kind.String(), orDefault(c.ServerKeys.Dist, sim.DistUniform)
	if mix.IsZero() {
		p.Mix = "route_to_server:50,route_to_transport:50"
	} else {
		p.Mix = mix.String()
	}
	return p, nil
}

// Probe names recorded by contention points.
const (
	ProbeAlarmed    = "alarmed_partitions"
	ProbeRejected   = "rejected_total"
	ProbeOverloaded = "overloaded"
)

func runContention(ctx context.Context, sc spec.Scenario, reg string, seed uint64, quick bool) (store.Point, error) {
	in, err := setup(reg, sc.Registry, sc.Preload)
	if err != nil {
		return store.Point{}, err
	}
	defer in.Close()
	cr := &store.ContentionRecord{Supported: in.Sharded != nil}
	probes := []sim.Probe{
		{Name: ProbeAlarmed, Read: func() float64 {
			if in.Sharded == nil {
				return 0
			}
			return float64(len(in.Sharded.ContentionStatus().Alarmed))
		}},
		{Name: ProbeRejected, Read: func() float64 {
			if in.Sharded == nil {
				return 0
			}
			return float64(in.Sharded.ContentionStatus().Rejected)
		}},
		{Name: ProbeOverloaded, Read: func() float64 {
			if in.Sharded != nil && in.Sharded.ContentionStatus().Overloaded {
				return 1
			}
			return 0
		}},
	}
	interval := sc.SeriesInterval.D()
	if interval == 0 {
		interval = 10 * time.Millisecond
	}
	pof, parts := partitionHooks(in)
	started := time.Now().UTC()
	var (
		results []*sim.Result
		series  = &store.SeriesRecord{IntervalMs: float64(interval) / 1e6, Probes: probeNamesOf(probes)}
		offset  time.Duration
		phases  []store.PhaseRecord
	)
	var recoveryStart time.Duration
	for i, ph := range sc.Phases {
		groups, err := resolveGroups(sc.Name, fmt.Sprintf("phases[%d].groups", i), ph.Groups)
		if err != nil {
			return store.Point{}, err
		}
		r, err := sim.ClosedLoop(ctx, sim.Config{
			Registry: in.Registry, Seed: seed + uint64(i), Groups: groups,
			Servers: sc.Preload.Servers, Transports: sc.Preload.Transports,
			Duration: phaseDuration(ph, quick), SampleEvery: sc.SampleEvery,
			IDTag: fmt.Sprintf("p%d_", i), PartitionOf: pof, Partitions: parts,
			SeriesInterval: interval, Probes: probes,
		})
		if err != nil {
			return store.Point{}, err
		}
		results = append(results, r)
		if i == len(sc.Phases)-1 {
			recoveryStart = offset
		}
		series.Ticks = append(series.Ticks, seriesFrom(interval, nil, r.Series, offset).Ticks...)
		offset += r.Elapsed
		phases = append(phases, store.PhaseRecord{Name: ph.Name, ElapsedNs: int64(r.Elapsed), Ops: r.Ops,
			Throughput: r.Throughput, Errors: codeMap(r.Errors())})
	}
	merged := mergeResults(results)
	merged.Elapsed = offset
	if offset > 0 {
		merged.Throughput = float64(merged.Ops) / offset.Seconds()
	}
	p, err := pointFrom(merged, in, started)
	if err != nil {
		return p, err
	}
	p.Workload, p.Mix, p.Dist = "contention phases", phaseNames(sc.Phases), sim.DistUniform
	p.Workers = 0
	for _, ph := range sc.Phases {
		for _, g := range ph.Groups {
			p.Workers = max(p.Workers, g.Workers)
		}
	}
	p.Series, p.Phases = series, phases
	for _, t := range series.Ticks {
		cr.MaxAlarmed = max(cr.MaxAlarmed, int(t.Probes[0]))
	}
	if in.Sharded != nil {
		st := in.Sharded.ContentionStatus()
		cr.Rejected = st.Rejected
		for _, ps := range in.Sharded.PartitionStats() {
			cr.Alarms += ps.Alarms
		}
		// Recovered: in the last phase registrations succeeded, and the
		// series reached a tick with no alarm and admission open.
		last := results[len(results)-1]
		admitted := int64(0)
		for _, k := range []model.OpKind{model.OpRegisterServer, model.OpRegisterTransport} {
			if ks := last.Kind(k); ks != nil {
				admitted += ks.Codes[model.CodeOK]
			}
		}
		cr.RecoverMs = -1
		for _, t := range series.Ticks {
			if time.Duration(t.AtMs*1e6) > recoveryStart && t.Probes[0] == 0 && t.Probes[2] == 0 {
				cr.RecoverMs = t.AtMs - float64(recoveryStart)/1e6
				break
			}
		}
		cr.Recovered = admitted > 0 && cr.RecoverMs >= 0 && len(st.Alarmed) == 0
	}
	p.Contention = cr
	return p, nil
}

func probeNamesOf(ps []sim.Probe) []string {
	var ns []string
	for _, p := range ps {
		ns = append(ns, p.Name)
	}
	return ns
}

func phaseNames(ps []spec.PhaseSpec) string {
	var ns []string
	for _, p := range ps {
		var gs []string
		for _, g := range p.Groups {
			gs = append(gs, fmt.Sprintf("%dx%s", g.Workers, orDefault(g.Workload, "custom")))
		}
		ns = append(ns, p.Name+"("+strings.Join(gs, "+")+")")
	}
	return strings.Join(ns, " -> ")
}

// mergeResults combines phase results: kinds (ops, codes, histograms) and
// partition counts add up.
func mergeResults(rs []*sim.Result) *sim.Result {
	out := &sim.Result{Driver: "closed", LatencyBasis: sim.LatencyService}
	byKind := map[model.OpKind]*sim.KindStats{}
	var order []model.OpKind
	for _, r := range rs {
		out.Workers = max(out.Workers, r.Workers)
		out.SampleEvery, out.TimerCost = r.SampleEvery, r.TimerCost
		out.Ops += r.Ops
		out.Clamped += r.Clamped
		if out.PartitionOps == nil && r.PartitionOps != nil {
			out.PartitionOps = make([]int64, len(r.PartitionOps))
		}
		for i, n := range r.PartitionOps {
			out.PartitionOps[i] += n
		}
		for i := range r.Kinds {
			k := r.Kinds[i]
			m, ok := byKind[k.Kind]
			if !ok {
				m = &sim.KindStats{Kind: k.Kind}
				byKind[k.Kind] = m
				order = append(order, k.Kind)
			}
			m.Ops += k.Ops
			for c := range k.Codes {
				m.Codes[c] += k.Codes[c]
			}
			if k.Latency != nil {
				if m.Latency == nil {
					m.Latency = sim.NewLatencyHistogram()
				}
				m.Latency.Merge(k.Latency)
			}
		}
	}
	slices.Sort(order)
	for _, k := range order {
		out.Kinds = append(out.Kinds, *byKind[k])
	}
	return out
}

func sweepPlans(sw *spec.Sweep, cfg Config) []plan {
	reps := max(sw.Repeat, 1)
	var ps []plan
	for _, reg := range sw.Registries {
		parts := sw.Partitions
		if reg != RegistrySharded {
			parts = []int{0}
		}
		for _, np := range parts {
			for _, wl := range sw.Workloads {
				for rep := range reps {
					for _, w := range sw.Workers {
						id := fmt.Sprintf("sweep=%s/registry=%s/partitions=%d/workload=%s/workers=%d/rep=%d", sw.Name, reg, np, wl.Name, w, rep)
						ps = append(ps, sweepPlan(sw, cfg, id, reg, np, wl, rep, w, 0))
					}
					for _, c := range sw.Connections {
						id := fmt.Sprintf("sweep=%s/registry=%s/partitions=%d/workload=%s/connections=%d/rep=%d", sw.Name, reg, np, wl.Name, c, rep)
						ps = append(ps, sweepPlan(sw, cfg, id, reg, np, wl, rep, 0, c))
					}
				}
			}
		}
	}
	return ps
}

func sweepPlan(sw *spec.Sweep, cfg Config, id, reg string, parts int, wl spec.WorkloadSpec, rep, workers, conns int) plan {
	return plan{id: id, estimate: sw.Duration.D() + 100*time.Millisecond, run: func(ctx context.Context) (store.Point, error) {
		seed := pointSeed(cfg.Seed, id)
		rs := sw.Registry
		rs.Partitions = parts
		keys := sw.Keys
		if wl.Keys != nil {
			keys = *wl.Keys
		}
		var mix sim.Mix
		var err error
		if wl.Mix == nil {
			mix, err = resolveMix("sweep", "workloads", wl.Name, nil)
		} else {
			mix, err = resolveMix("sweep", "workloads", "", wl.Mix)
		}
		if err != nil {
			return store.Point{}, err
		}
		sc := spec.Scenario{Name: sw.Name, Preload: sw.Preload, Registry: rs, SampleEvery: sw.SampleEvery, SeriesInterval: sw.SeriesInterval}
		var p store.Point
		if conns > 0 {
			sc.Kind = spec.KindConnections
			sc.Connections = &spec.ConnSpec{Count: conns, Think: sw.Think, ThinkDist: sw.ThinkDist, Mix: wl.Mix, ServerKeys: keys}
			p, err = runConnections(ctx, sc, reg, seed, sw.Duration.D())
		} else {
			sc.Groups = []spec.GroupSpec{{Name: wl.Name, Workers: workers, Keys: keys}}
			if wl.Mix == nil {
				sc.Groups[0].Workload = wl.Name
			} else {
				sc.Groups[0].Mix = wl.Mix
			}
			p, err = runClosed(ctx, sc, reg, seed, 0, sw.Duration.D(), false)
		}
		if err != nil {
			return p, err
		}
		_ = mix
		p.ID, p.Sweep, p.Mode, p.Registry, p.Rep, p.Seed, p.Quick = id, sw.Name, "sweep", reg, rep, seed, cfg.Quick
		p.Workload = wl.Name
		return p, nil
	}}
}

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

// Measure returns a metric of a point (see Metrics), optionally over one
// operation kind; ok is false when the point has no such figure.
func Measure(p *store.Point, metric, kind string) (float64, bool) {
	hist := func() *hdrhistogram.Histogram {
		if kind == "" {
			if p.Latency == nil {
				return nil
			}
			return p.Latency.H
		}
		for _, k := range p.Kinds {
			if k.Kind == kind && k.Latency != nil {
				return k.Latency.H
			}
		}
		return nil
	}
	pct := func(q float64) (float64, bool) {
		h := hist()
		if h == nil || h.TotalCount() == 0 {
			return 0, false
		}
		if q > 100 {
			return float64(h.Max()) / 1e3, true
		}
		return float64(h.ValueAtQuantile(q)) / 1e3, true
	}
	switch metric {
	case "throughput":
		return p.Throughput, p.ElapsedNs > 0
	case "p50_us":
		return pct(50)
	case "p95_us":
		return pct(95)
	case "p99_us":
		return pct(99)
	case "p999_us":
		return pct(99.9)
	case "max_us":
		return pct(101)
	case "ops_per_worker":
		if p.Workers == 0 {
			return 0, false
		}
		return float64(p.Ops) / float64(p.Workers), true
	case "errors", "failed":
		// "failed" leaves out registrations admission control rejected:
		// for clients that retry them (the connection scenarios), a
		// rejection is backpressure, and only what never succeeded fails.
		var n int64
		for code, v := range p.Errors {
			if metric == "failed" && code == model.CodeOverloaded.String() {
				continue
			}
			n += v
		}
		return float64(n), true
	case "skew":
		if p.Balance == nil {
			return 0, false
		}
		return p.Balance.SeedSkew, true
	case "max_over_mean":
		if p.Balance == nil {
			return 0, false
		}
		return p.Balance.MaxOverMean, true
	case "alarmed_max":
		if p.Contention == nil {
			return 0, false
		}
		return float64(p.Contention.MaxAlarmed), true
	case "rejected":
		if p.Contention == nil {
			return 0, false
		}
		return float64(p.Contention.Rejected), true
	case "recovered":
		if p.Contention == nil {
			return 0, false
		}
		if p.Contention.Recovered {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
