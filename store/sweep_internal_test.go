package store

import (
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func hist(t *testing.T, ns int64, n int) *Hist {
	t.Helper()
	h := hdrhistogram.New(1, 10_000_000_000, 3)
	for range n {
		if err := h.RecordValue(ns); err != nil {
			t.Fatal(err)
		}
	}
	return &Hist{P99: ns, H: h}
}

// TestSteadyP99LeavesOutConnectionStorms: a connection point's p99 is the
// steady phase's; the connect storm's slow registrations must not decide it,
// while a closed-loop point's p99 is its merged latency.
func TestSteadyP99LeavesOutConnectionStorms(t *testing.T) {
	p := Point{
		Connections: 1000,
		Latency:     &Hist{P99: 5_000_000},
		Kinds: []KindRecord{
			{Kind: "register_transport", Latency: hist(t, 5_000_000, 1000)},
			{Kind: "bind", Latency: hist(t, 4_000_000, 1000)},
			{Kind: "route_to_server", Latency: hist(t, 3_000, 500)},
			{Kind: "route_to_transport", Latency: hist(t, 2_000, 500)},
		},
	}
	got, ok := steadyP99(p)
	if !ok || got < 2_990 || got > 3_010 {
		t.Fatalf("connection point: p99 %d ns (ok=%v), want the routes' ~3000 ns", got, ok)
	}
	p.Connections = 0
	if got, ok := steadyP99(p); !ok || got != 5_000_000 {
		t.Fatalf("closed-loop point: p99 %d ns (ok=%v), want the merged 5000000", got, ok)
	}
}
