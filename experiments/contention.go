package experiments

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
	"github.com/shardlab/shardlab/store"
)

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
	merged := sim.Merge(results...)
	merged.Elapsed = offset
	if offset > 0 {
		merged.Throughput = float64(merged.Ops) / offset.Seconds()
	}
	p, err := pointFrom(merged, in)
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
			gs = append(gs, fmt.Sprintf("%dx%s", g.Workers, cmp.Or(g.Workload, "custom")))
		}
		ns = append(ns, p.Name+"("+strings.Join(gs, "+")+")")
	}
	return strings.Join(ns, " -> ")
}
