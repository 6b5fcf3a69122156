package experiments

import (
	"cmp"
	"context"
	"time"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/sim"
	"github.com/shardlab/shardlab/store"
)

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
	r, err := sim.Connections(ctx, sim.ConnConfig{
		Registry: in.Registry, Seed: seed, Connections: c.Count, Servers: sc.Preload.Servers,
		ServerKeys: simKeys(c.ServerKeys), Mix: mix, Think: c.Think.D(), ThinkDist: c.ThinkDist,
		Duration: dur, SampleEvery: sc.SampleEvery, PartitionOf: pof, Partitions: parts,
		SeriesInterval: sc.SeriesInterval.D(),
	})
	if err != nil && r == nil {
		return store.Point{}, err
	}
	p, err := pointFrom(r, in)
	if err != nil {
		return p, err
	}
	p.Connections, p.Workload, p.Mix, p.Dist = c.Count, "connections", r.Kinds[0].Kind.String(), cmp.Or(c.ServerKeys.Dist, sim.DistUniform)
	if mix.IsZero() {
		p.Mix = "route_to_server:50,route_to_transport:50"
	} else {
		p.Mix = mix.String()
	}
	return p, nil
}
