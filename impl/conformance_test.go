package impl_test

import (
	"testing"

	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/model/modeltest"
)

// TestConformance runs the shared suite over the sharded registry at one
// partition, at the default count, with every key forced into one
// partition (correctness must not depend on keys spreading), and with a
// ring partitioner at an odd count.
func TestConformance(t *testing.T) {
	single, err := partition.NewSingle(64)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := partition.NewRing(7, partition.DefaultVNodes)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opts impl.Options
	}{
		{"partitions=1", impl.Options{Partitions: 1}},
		{"partitions=64", impl.Options{Partitions: 64}},
		{"partitions=64/partitioner=single", impl.Options{Partitions: 64, Partitioner: single}},
		{"partitions=7/partitioner=ring", impl.Options{Partitions: 7, Partitioner: ring}},
	} {
		t.Run(c.name, func(t *testing.T) {
			modeltest.Run(t, func(t *testing.T) model.Registry {
				r, err := impl.New(c.opts)
				if err != nil {
					t.Fatalf("New(%+v): %v", c.opts, err)
				}
				return r
			})
		})
	}
}
