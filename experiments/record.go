package experiments

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/sim"
	"github.com/shardlab/shardlab/store"
)

// setup builds the registry and applies the preload.
func setup(reg string, rs spec.RegistrySpec, pre spec.PreloadSpec) (*registries.Instance, error) {
	in, err := registries.New(reg, rs)
	if errors.Is(err, registries.ErrOptions) {
		err = fmt.Errorf("%w: %w", ErrSpec, err)
	}
	if err != nil {
		return nil, err
	}
	if err := (sim.Preload{Servers: pre.Servers, Transports: pre.Transports, Bind: pre.Bind}).Apply(in.Registry); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

func partitionHooks(in *registries.Instance) (func(string) int, int) {
	if in.Sharded == nil {
		return nil, 0
	}
	return in.Sharded.PartitionOf, in.Sharded.Partitions()
}

func groupsLabel(gs []sim.Group) (workload, mix, dist string, workers int) {
	var ws, ms, ds []string
	for _, g := range gs {
		workers += g.Workers
		ws = append(ws, cmp.Or(g.Name, "custom"))
		ms = append(ms, g.Mix.String())
		ds = append(ds, cmp.Or(g.Keys.Dist, sim.DistUniform))
	}
	return strings.Join(ws, "+"), strings.Join(ms, " + "), strings.Join(slices.Compact(ds), "+"), workers
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
func pointFrom(r *sim.Result, in *registries.Instance) (store.Point, error) {
	p := store.Point{
		ElapsedNs: int64(r.Elapsed), Ops: r.Ops, Throughput: r.Throughput,
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
