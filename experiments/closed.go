package experiments

import (
	"context"
	"time"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/sim"
	"github.com/shardlab/shardlab/store"
)

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
	var r *sim.Result
	if open {
		r, err = sim.OpenLoop(ctx, cfg)
	} else {
		r, err = sim.ClosedLoop(ctx, cfg)
	}
	if err != nil && r == nil {
		return store.Point{}, err
	}
	p, perr := pointFrom(r, in)
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
