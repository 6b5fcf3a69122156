package analysis

import (
	"fmt"
	"math"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// LatencySummary is the fixed set of latency figures shardlab reports.
// Every value is in the unit the histogram was recorded in (shardlab's
// drivers record nanoseconds unless they say otherwise); the summary does
// not convert units.
//
// Quantiles are HdrHistogram's: the highest value equivalent (within the
// histogram's significant figures) to the smallest recorded value at or
// above the requested fraction of the count.
type LatencySummary struct {
	Count int64
	Mean  float64
	Min   int64
	P50   int64
	P95   int64
	P99   int64
	P999  int64 // the 99.9th percentile
	Max   int64
}

// Summarize returns the count, mean, p50, p95, p99, p99.9 and max of h.
// It returns ErrNoData when h is nil or empty, so a summary of nothing
// never reads as "latency 0".
//
// Note that hdrhistogram's ValueAtQuantile takes a percentile in 0..100,
// not a fraction in 0..1; Summarize passes 50, 95, 99 and 99.9.
func Summarize(h *hdrhistogram.Histogram) (LatencySummary, error) {
	if h == nil || h.TotalCount() == 0 {
		return LatencySummary{}, fmt.Errorf("summarize latency: %w", ErrNoData)
	}
	return LatencySummary{
		Count: h.TotalCount(),
		Mean:  h.Mean(),
		Min:   h.Min(),
		P50:   h.ValueAtQuantile(50),
		P95:   h.ValueAtQuantile(95),
		P99:   h.ValueAtQuantile(99),
		P999:  h.ValueAtQuantile(99.9),
		Max:   h.Max(),
	}, nil
}

// MergeHistograms returns a new histogram holding every value of hs; the
// inputs are not modified. The result's trackable range is the union of
// the inputs' ranges and its precision the finest of theirs, so no value
// is dropped; should hdrhistogram still drop any, the error wraps
// ErrValuesDropped. Nil histograms are skipped; with none left the error
// is ErrNoData.
//
// Use it to combine per-worker histograms (each worker records into its
// own to keep the hot path free of shared writes) into one per run.
func MergeHistograms(hs ...*hdrhistogram.Histogram) (*hdrhistogram.Histogram, error) {
	var (
		lowest, highest int64
		sigFigs         int64
		found           bool
	)
	for _, h := range hs {
		if h == nil {
			continue
		}
		if !found {
			lowest, highest, sigFigs = h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures()
			found = true
			continue
		}
		lowest = min(lowest, h.LowestTrackableValue())
		highest = max(highest, h.HighestTrackableValue())
		sigFigs = max(sigFigs, h.SignificantFigures())
	}
	if !found {
		return nil, fmt.Errorf("merge histograms: %w", ErrNoData)
	}
	merged := hdrhistogram.New(lowest, highest, int(sigFigs))
	var dropped int64
	for _, h := range hs {
		if h != nil {
			dropped += merged.Merge(h)
		}
	}
	if dropped > 0 {
		return merged, fmt.Errorf("merge histograms: %d values: %w", dropped, ErrValuesDropped)
	}
	return merged, nil
}

// LatencyBucket counts the recorded values v with Low <= v < High.
// The last bucket of BucketCounts has High == math.MaxInt64.
type LatencyBucket struct {
	Low, High int64
	Count     int64
}

// BucketCounts splits the values recorded in h into the half-open buckets
// [edges[i], edges[i+1]) plus a final overflow bucket [edges[last], +inf).
// When edges[0] > 0 a leading bucket [0, edges[0]) is added, so the buckets
// always cover every value and their counts sum to h.TotalCount().
// The seed's latency buckets are edges 0,10,25,50,100,200,500,1000,5000 (µs).
//
// Edges must be non-negative and strictly increasing (ErrInvalidArgument
// otherwise). An empty histogram yields zero counts, not an error: a
// bucket table of an idle run is still a table.
//
// A histogram stores values at its precision: each recorded value is
// assigned by the lowest value equivalent to it. An edge that is not
// exactly representable at that precision (e.g. 1001 in a 2-significant-
// figure histogram) may therefore move values across by at most one
// histogram resolution step.
func BucketCounts(h *hdrhistogram.Histogram, edges []int64) ([]LatencyBucket, error) {
	if h == nil {
		return nil, fmt.Errorf("bucket counts: nil histogram: %w", ErrNoData)
	}
	if len(edges) == 0 {
		return nil, fmt.Errorf("bucket counts: no edges: %w", ErrInvalidArgument)
	}
	for i, e := range edges {
		if e < 0 {
			return nil, fmt.Errorf("bucket counts: edge %d is negative (%d): %w", i, e, ErrInvalidArgument)
		}
		if i > 0 && e <= edges[i-1] {
			return nil, fmt.Errorf("bucket counts: edges not strictly increasing at %d (%d after %d): %w",
				i, e, edges[i-1], ErrInvalidArgument)
		}
	}
	var buckets []LatencyBucket
	if edges[0] > 0 {
		buckets = append(buckets, LatencyBucket{Low: 0, High: edges[0]})
	}
	for i, e := range edges {
		high := int64(math.MaxInt64)
		if i+1 < len(edges) {
			high = edges[i+1]
		}
		buckets = append(buckets, LatencyBucket{Low: e, High: high})
	}
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		// Buckets are few (about ten), so a linear scan is clearer than a
		// binary search and costs nothing next to the histogram walk.
		for i := range buckets {
			if bar.From >= buckets[i].Low && bar.From < buckets[i].High {
				buckets[i].Count += bar.Count
				break
			}
		}
	}
	return buckets, nil
}
