package analysis

import (
	"errors"
	"math"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func TestSummarizeUniformValues(t *testing.T) {
	h := hdrhistogram.New(1, 10_000_000, 3)
	for v := int64(1); v <= 10_000; v++ {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Summarize(h)
	if err != nil {
		t.Fatal(err)
	}
	// Expected by hand for the values 1..10000: the q-quantile is the
	// smallest v with v/10000 >= q, the mean is 10001/2. Tolerance: a
	// 3-significant-figure histogram is exact to 1 part in 1024.
	const rel = 1.0 / 1024
	checks := []struct {
		name      string
		got, want float64
	}{
		{"P50", float64(s.P50), 5000},
		{"P95", float64(s.P95), 9500},
		{"P99", float64(s.P99), 9900},
		{"P999", float64(s.P999), 9990},
		{"Max", float64(s.Max), 10000},
		{"Min", float64(s.Min), 1},
		{"Mean", s.Mean, 5000.5},
	}
	for _, c := range checks {
		if !nearRel(c.got, c.want, rel) {
			t.Errorf("%s = %v, want %v ± %.2g%%", c.name, c.got, c.want, 100*rel)
		}
	}
	if s.Count != 10_000 {
		t.Errorf("Count = %d, want 10000", s.Count)
	}
}

func TestSummarizeEmpty(t *testing.T) {
	if _, err := Summarize(nil); !errors.Is(err, ErrNoData) {
		t.Errorf("Summarize(nil) error = %v, want ErrNoData", err)
	}
	if _, err := Summarize(hdrhistogram.New(1, 1000, 3)); !errors.Is(err, ErrNoData) {
		t.Errorf("Summarize(empty) error = %v, want ErrNoData", err)
	}
}

func TestMergeHistogramsEqualsRecordingTogether(t *testing.T) {
	// Two workers with different ranges (same precision, since a coarser
	// input has already lost detail); the merge must equal one histogram
	// that saw every value (checked through the summary).
	a := hdrhistogram.New(1, 1_000, 3)
	b := hdrhistogram.New(1, 1_000_000, 3)
	all := hdrhistogram.New(1, 1_000_000, 3)
	for v := int64(1); v <= 1000; v++ {
		_ = a.RecordValue(v)
		_ = all.RecordValue(v)
	}
	for v := int64(1000); v <= 500_000; v += 1000 {
		_ = b.RecordValue(v)
		_ = all.RecordValue(v)
	}
	merged, err := MergeHistograms(a, nil, b)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := Summarize(merged)
	want, _ := Summarize(all)
	if got != want {
		t.Errorf("merged summary %+v, want %+v", got, want)
	}
	if a.TotalCount() != 1000 || b.TotalCount() != 500 {
		t.Errorf("inputs modified: counts %d, %d", a.TotalCount(), b.TotalCount())
	}
	if _, err := MergeHistograms(nil, nil); !errors.Is(err, ErrNoData) {
		t.Errorf("MergeHistograms(nil, nil) error = %v, want ErrNoData", err)
	}
}

func TestBucketCountsSeedBuckets(t *testing.T) {
	h := hdrhistogram.New(1, 10_000_000, 3)
	for _, v := range []int64{5, 9, 10, 24, 25, 49, 50, 99, 100, 150, 499, 999, 1000, 4999, 5000, 100_000} {
		_ = h.RecordValue(v)
	}
	got, err := BucketCounts(h, []int64{0, 10, 25, 50, 100, 200, 500, 1000, 5000})
	if err != nil {
		t.Fatal(err)
	}
	// Counted by hand from the values above.
	want := []LatencyBucket{
		{0, 10, 2}, {10, 25, 2}, {25, 50, 2}, {50, 100, 2}, {100, 200, 2},
		{200, 500, 1}, {500, 1000, 1}, {1000, 5000, 2}, {5000, math.MaxInt64, 2},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d buckets %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bucket %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestBucketCountsAddsLeadingBucket(t *testing.T) {
	h := hdrhistogram.New(1, 1000, 3)
	for _, v := range []int64{1, 5, 10, 500} {
		_ = h.RecordValue(v)
	}
	got, err := BucketCounts(h, []int64{10, 100})
	if err != nil {
		t.Fatal(err)
	}
	want := []LatencyBucket{{0, 10, 2}, {10, 100, 1}, {100, math.MaxInt64, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bucket %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestBucketCountsRejectsBadEdges(t *testing.T) {
	h := hdrhistogram.New(1, 1000, 3)
	for _, edges := range [][]int64{nil, {10, 5}, {0, 0}, {-1, 10}} {
		if _, err := BucketCounts(h, edges); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("BucketCounts(%v) error = %v, want ErrInvalidArgument", edges, err)
		}
	}
	if _, err := BucketCounts(nil, []int64{0}); !errors.Is(err, ErrNoData) {
		t.Errorf("BucketCounts(nil) error = %v, want ErrNoData", err)
	}
}
