package impl

import (
	"math/rand/v2"
	"testing"

	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
)

func TestQuickDifferential(t *testing.T) {
	single, _ := partition.NewSingle(4)
	for _, o := range []Options{{Partitions: 1}, {Partitions: 4}, {Partitioner: single}} {
		for seed := uint64(0); seed < 300; seed++ {
			rng := rand.New(rand.NewPCG(seed, 1))
			r, _ := New(o)
			st := model.NewState()
			ids := []string{"a", "b", "c", "d", ""}
			for i := 0; i < 200; i++ {
				op := model.Op{Kind: model.OpKind(1 + rng.IntN(15)), Server: ids[rng.IntN(5)], Transport: ids[rng.IntN(5)], Owner: model.Owner(rng.IntN(4)), Config: "x"}
				want := st.Apply(op)
				got := model.Invoke(r, op)
				if got != want {
					t.Fatalf("seed %d step %d %v: got %v want %v (state %v)", seed, i, op, got, want, st)
				}
			}
		}
	}
}
