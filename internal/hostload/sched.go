package hostload

import (
	"math"
	"runtime/metrics"
	"time"
)

// Go runtime metrics that explain latency outliers: how long goroutines
// waited runnable before a CPU ran them, and how long the garbage
// collector stopped the world. Both are cumulative histograms since the
// process started; a Sample keeps a copy, and Between subtracts.
const (
	metricSchedWait = "/sched/latencies:seconds"
	metricGCPause   = "/sched/pauses/total/gc:seconds"
)

// runtimeHists reads the two histograms (nil where the runtime lacks one).
func runtimeHists() (sched, gc *metrics.Float64Histogram) {
	s := []metrics.Sample{{Name: metricSchedWait}, {Name: metricGCPause}}
	metrics.Read(s)
	get := func(v metrics.Value) *metrics.Float64Histogram {
		if v.Kind() != metrics.KindFloat64Histogram {
			return nil
		}
		h := v.Float64Histogram()
		return &metrics.Float64Histogram{Counts: append([]uint64(nil), h.Counts...), Buckets: h.Buckets}
	}
	return get(s[0].Value), get(s[1].Value)
}

// histDelta summarises the events recorded between a and b: their
// count, the upper bound of the bucket holding the p-th quantile, and
// the upper bound of the highest non-empty bucket (the runtime's
// histograms are bucketed, so these are upper bounds within about 12 %).
func histDelta(a, b *metrics.Float64Histogram, p float64) (n uint64, q, max time.Duration) {
	if a == nil || b == nil || len(a.Counts) != len(b.Counts) {
		return 0, 0, 0
	}
	d := make([]uint64, len(b.Counts))
	for i := range d {
		if b.Counts[i] >= a.Counts[i] {
			d[i] = b.Counts[i] - a.Counts[i]
		}
		n += d[i]
	}
	if n == 0 {
		return 0, 0, 0
	}
	upper := func(i int) time.Duration {
		hi := b.Buckets[i+1]
		if math.IsInf(hi, 1) {
			hi = b.Buckets[i]
		}
		return time.Duration(hi * 1e9)
	}
	rank := uint64(math.Ceil(p * float64(n)))
	var seen uint64
	for i, c := range d {
		if c == 0 {
			continue
		}
		seen += c
		if q == 0 && seen >= rank {
			q = upper(i)
		}
		max = upper(i)
	}
	return n, q, max
}
