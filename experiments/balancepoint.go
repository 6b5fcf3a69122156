package experiments

import (
	"fmt"
	"time"

	"github.com/shardlab/shardlab/experiments/balance"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/sim"
	"github.com/shardlab/shardlab/store"
)

func runBalance(sc spec.Scenario, reg string) (store.Point, error) {
	t0 := time.Now()
	in, err := setup(reg, sc.Registry, sc.Preload)
	if err != nil {
		return store.Point{}, err
	}
	defer in.Close()
	elapsed := time.Since(t0)
	parts := sc.Registry.Partitions
	source, counts := "impl.PartitionStats", []int64(nil)
	if in.Sharded != nil {
		// Real placements: what the registry holds, read from its own
		// statistics after the preload.
		counts, parts = balance.ImplCounts(in.Sharded), in.Sharded.Partitions()
	} else {
		// A peer has no partitions: count where the default partitioner
		// would place the same keys.
		if parts == 0 {
			parts = impl.DefaultPartitions
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
		source, counts = "partitioner", partition.Counts(pt, ids)
	}
	b, err := balance.Record(source, counts)
	if err != nil {
		return store.Point{}, err
	}
	ops := int64(sc.Preload.Servers + sc.Preload.Transports)
	return store.Point{
		ElapsedNs: int64(elapsed), Ops: ops, Throughput: float64(ops) / elapsed.Seconds(),
		LatencyBasis: sim.LatencyService, Partitions: parts, Workers: 1, Workload: "preload",
		Mix: "register_server", Dist: sim.DistSequential, Options: in.Options, Balance: b,
	}, nil
}
