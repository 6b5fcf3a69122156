package sim

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/model"
)

// Histogram bounds: every latency is recorded in nanoseconds, 1 ns .. 10 s,
// at 3 significant figures (a resolution of 0.1 %).
const (
	LatencyLowestNs  = 1
	LatencyHighestNs = int64(10 * time.Second)
	LatencySigFigs   = 3
)

// NewLatencyHistogram returns an empty histogram with shardlab's bounds.
func NewLatencyHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(LatencyLowestNs, LatencyHighestNs, LatencySigFigs)
}

// Latency bases: which latency a histogram holds.
const (
	// LatencyService is the time the call took (closed loop, connections).
	LatencyService = "service"
	// LatencyIntended is the time from the op's intended start to its end
	// (open loop), so a stalled registry cannot hide the ops that queued
	// behind the stall (no coordinated omission).
	LatencyIntended = "intended"
)

// KindStats is what a run did with one operation kind.
type KindStats struct {
	Kind model.OpKind
	// Ops counts every completed op of this kind, sampled or not.
	Ops int64
	// Codes counts outcomes by model.Code (index CodeOK is successes).
	Codes [numCodes]int64
	// Latency holds the sampled latencies in ns (nil when none sampled).
	Latency *hdrhistogram.Histogram
}

// Errors returns the failed ops of this kind by code.
func (k *KindStats) Errors() map[model.Code]int64 {
	m := map[model.Code]int64{}
	for c, n := range k.Codes {
		if c != int(model.CodeOK) && n > 0 {
			m[model.Code(c)] = n
		}
	}
	return m
}

// Tick is one interval of a run's time series.
type Tick struct {
	// At is the end of the interval, from the start of the run.
	At time.Duration
	// Ops completed during the interval.
	Ops int64
	// Probes holds each probe's value read at At, in Result.ProbeNames order.
	Probes []float64
}

// Phase is one part of a connections run: connect, steady, disconnect.
type Phase struct {
	Name    string
	Elapsed time.Duration
	Ops     int64
}

// Result is what a driver measured. Throughput is always completed ops
// divided by measured elapsed time.
type Result struct {
	Driver       string // "closed", "open", "connections"
	LatencyBasis string // LatencyService or LatencyIntended
	Workers      int    // workers, or connections
	Elapsed      time.Duration
	Ops          int64
	Throughput   float64 // Ops / Elapsed, per second
	Kinds        []KindStats
	// PartitionOps counts the sampled ops (one in SampleEvery, the ones
	// whose latency is recorded) per partition of the op's first ID
	// argument, nil without Config.PartitionOf. Sampling keeps a hash per op
	// out of the hot loop; the counts are an unbiased sample. List and
	// owner_down ops carry no ID and are not counted.
	PartitionOps []int64
	// SampleEvery: latency was recorded for one op in SampleEvery per
	// worker; every op is counted.
	SampleEvery int
	// TimerCost is the measured cost of one latency measurement (a pair of
	// clock reads), included in every sampled latency.
	TimerCost time.Duration
	// Clamped counts latencies above LatencyHighestNs recorded as the max.
	Clamped        int64
	SeriesInterval time.Duration
	ProbeNames     []string
	Series         []Tick
	// TargetRate (open loop) is the requested ops/s; Missed counts ops
	// scheduled within the duration that were never issued because the
	// run's hard stop came first.
	TargetRate float64
	Missed     int64
	// Phases (connections) splits the run; Ops, Elapsed and Throughput are
	// then the steady phase's.
	Phases []Phase
}

// Kind returns the stats of kind k, or nil if no op of that kind ran.
func (r *Result) Kind(k model.OpKind) *KindStats {
	for i := range r.Kinds {
		if r.Kinds[i].Kind == k {
			return &r.Kinds[i]
		}
	}
	return nil
}

// Errors sums failed ops by code over every kind.
func (r *Result) Errors() map[model.Code]int64 {
	m := map[model.Code]int64{}
	for i := range r.Kinds {
		for c, n := range r.Kinds[i].Errors() {
			m[c] += n
		}
	}
	return m
}

// Latency merges the latency histograms of the given kinds (every kind
// when none are given) into a new histogram.
func (r *Result) Latency(kinds ...model.OpKind) *hdrhistogram.Histogram {
	h := NewLatencyHistogram()
	for i := range r.Kinds {
		k := &r.Kinds[i]
		if k.Latency == nil || (len(kinds) > 0 && !slices.Contains(kinds, k.Kind)) {
			continue
		}
		h.Merge(k.Latency)
	}
	return h
}

// recorder accumulates one worker's (or one shard's) counts. It is not
// shared while a run is in flight, except connection shards, which are
// guarded by their own mutex.
type recorder struct {
	ops     [numKinds]int64
	codes   [numKinds][numCodes]int64
	hist    [numKinds]*hdrhistogram.Histogram
	parts   []int64
	clamped int64
}

func newRecorder(partitions int) *recorder {
	rc := &recorder{}
	if partitions > 0 {
		rc.parts = make([]int64, partitions)
	}
	return rc
}

func (rc *recorder) count(k model.OpKind, c model.Code) {
	rc.ops[k]++
	rc.codes[k][c]++
}

func (rc *recorder) latency(k model.OpKind, d time.Duration) {
	h := rc.hist[k]
	if h == nil {
		// Lazily: a histogram at these bounds is ~200 KB, and most mixes
		// use a few kinds.
		h = NewLatencyHistogram()
		rc.hist[k] = h
	}
	v := int64(d)
	if v < LatencyLowestNs {
		v = LatencyLowestNs
	}
	if v > LatencyHighestNs {
		v = LatencyHighestNs
		rc.clamped++
	}
	_ = h.RecordValue(v) // cannot fail: v is within the bounds
}

// merge folds recorders into a Result's kinds and partition counts.
func mergeRecorders(res *Result, partitions int, rcs []*recorder) {
	if partitions > 0 {
		res.PartitionOps = make([]int64, partitions)
	}
	for k := 1; k < numKinds; k++ {
		ks := KindStats{Kind: model.OpKind(k)}
		for _, rc := range rcs {
			ks.Ops += rc.ops[k]
			for c := range numCodes {
				ks.Codes[c] += rc.codes[k][c]
			}
			if h := rc.hist[k]; h != nil {
				if ks.Latency == nil {
					ks.Latency = NewLatencyHistogram()
				}
				ks.Latency.Merge(h)
			}
		}
		if ks.Ops > 0 {
			res.Kinds = append(res.Kinds, ks)
			res.Ops += ks.Ops
		}
	}
	for _, rc := range rcs {
		for i, n := range rc.parts {
			res.PartitionOps[i] += n
		}
		res.Clamped += rc.clamped
	}
	sort.Slice(res.Kinds, func(i, j int) bool { return res.Kinds[i].Kind < res.Kinds[j].Kind })
}

// MeasureTimerCost returns the cost of one latency measurement as the
// drivers take it (two monotonic clock reads, time.Since of a base time):
// n back-to-back pairs in 8 rounds, the median round's mean, so one
// preemption or a neighbour's burst on a shared machine does not decide it.
func MeasureTimerCost(n int) time.Duration {
	const rounds = 8
	per := max(n/rounds, 1)
	var sink time.Duration
	base := time.Now()
	means := make([]time.Duration, rounds)
	for r := range means {
		start := time.Since(base)
		for range per {
			t0 := time.Since(base)
			sink += time.Since(base) - t0
		}
		means[r] = (time.Since(base) - start) / time.Duration(per)
	}
	_ = sink
	slices.Sort(means)
	return means[rounds/2]
}

// String summarises r on one line.
func (r *Result) String() string {
	return fmt.Sprintf("%s: %d ops in %v = %.0f ops/s (%d workers)", r.Driver, r.Ops, r.Elapsed.Round(time.Millisecond), r.Throughput, r.Workers)
}
