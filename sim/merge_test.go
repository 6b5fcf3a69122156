package sim_test

import (
	"testing"

	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// TestMerge: consecutive runs add up per kind (ops, codes, histograms) and
// per partition; workers is the largest group.
func TestMerge(t *testing.T) {
	run := func(workers int, kind model.OpKind, ops int64, ns int64, parts []int64) *sim.Result {
		h := sim.NewLatencyHistogram()
		if err := h.RecordValue(ns); err != nil {
			t.Fatal(err)
		}
		k := sim.KindStats{Kind: kind, Ops: ops, Latency: h}
		k.Codes[model.CodeOK] = ops - 1
		k.Codes[model.CodeOverloaded] = 1
		return &sim.Result{Workers: workers, Ops: ops, Kinds: []sim.KindStats{k}, PartitionOps: parts}
	}
	m := sim.Merge(
		run(2, model.OpFindServer, 10, 100, []int64{1, 2}),
		run(8, model.OpFindServer, 5, 300, []int64{3, 4}),
		run(1, model.OpBind, 4, 200, []int64{0, 1}),
	)
	if m.Workers != 8 || m.Ops != 19 {
		t.Fatalf("workers %d ops %d, want 8 and 19", m.Workers, m.Ops)
	}
	if len(m.PartitionOps) != 2 || m.PartitionOps[0] != 4 || m.PartitionOps[1] != 7 {
		t.Errorf("partition ops %v, want [4 7]", m.PartitionOps)
	}
	find := m.Kind(model.OpFindServer)
	if find == nil || find.Ops != 15 || find.Codes[model.CodeOverloaded] != 2 || find.Latency.TotalCount() != 2 || find.Latency.Max() < 299 {
		t.Fatalf("find_server merged as %+v", find)
	}
	if b := m.Kind(model.OpBind); b == nil || b.Ops != 4 {
		t.Fatalf("bind merged as %+v", b)
	}
}
