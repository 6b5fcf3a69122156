package sim

import (
	"slices"

	"github.com/shardlab/shardlab/model"
)

// Merge combines the results of consecutive runs on one registry (a
// contention scenario's phases) into one: operations, codes, latency
// histograms and per-partition counts add up; workers is the largest
// group. Elapsed and Throughput are left to the caller, who knows how the
// runs were laid out in time.
func Merge(rs ...*Result) *Result {
	out := &Result{Driver: "closed", LatencyBasis: LatencyService}
	byKind := map[model.OpKind]*KindStats{}
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
				m = &KindStats{Kind: k.Kind}
				byKind[k.Kind] = m
				order = append(order, k.Kind)
			}
			m.Ops += k.Ops
			for c := range k.Codes {
				m.Codes[c] += k.Codes[c]
			}
			if k.Latency != nil {
				if m.Latency == nil {
					m.Latency = NewLatencyHistogram()
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
