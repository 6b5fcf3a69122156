package paper

import (
	"math"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/internal/hostload"
	"github.com/shardlab/shardlab/store"
)

func pt(scenario, reg, mode string, workers int, ops float64, p99, max int64) point {
	return point{ID: scenario + "/" + reg + "/" + mode, Scenario: scenario, Registry: reg, Mode: mode, Workers: workers,
		Throughput: ops, LatencyBasis: "service", ElapsedNs: 1e9, Latency: &store.Hist{P99: p99, P999: 2 * p99, Max: max}}
}

func TestFindingsStatePeersLatencyAndMaximum(t *testing.T) {
	open := pt("open_loop_lookup", "sharded", "open", 2, 140e3, 11_800_000, 20_000_000)
	open.LatencyBasis, open.TargetRate = "intended", 140e3
	slow := pt("lookup_100", "sharded", "duration", 100, 6.24e6, 283, 1_000_000_000)
	slow.Noise = &hostload.Noise{SchedWaitMaxNs: 1_070_000_000, SchedWaitP99Ns: 10_000_000}
	sustained := pt("sustained", "sharded", "duration", 100, 586e3, 5000, 1e6)
	sustained.Kinds = []store.KindRecord{{Kind: "register_server", Ops: 1000, Errors: map[string]int64{"overloaded": 40}}}
	ps := []point{
		slow, pt("lookup_100", "mutex", "duration", 100, 7.94e6, 300, 1e6),
		pt("routing_100", "sharded", "duration", 100, 5e6, 300, 1e6), pt("routing_100", "mutex", "duration", 100, 5.1e6, 300, 1e6),
		sustained, pt("sustained", "mutex", "duration", 100, 1.16e6, 300, 1e6),
		pt("binding_routing", "sharded", "duration", 40, 2e6, 300, 1e6), pt("binding_routing", "mutex", "duration", 40, 1e6, 300, 1e6),
		open,
	}
	sc := &store.Results{Points: ps, Meta: store.Meta{Kind: "scenarios", DriverCeiling: 20e6, DriverCeilingSamples: []float64{5.4e6, 20e6, 93.6e6}, DriverCeilingMaxNs: 900_000_000}}
	f := buildFindings(sc, nil, "sharded", 2, 100_000)

	lat := strings.Join(f.Latency, " ")
	for _, want := range []string{"283 ns as closed-loop service time", "11.8 ms from the intended start", "140K ops/s offered", "misses it"} {
		if !strings.Contains(lat, want) {
			t.Errorf("latency finding lacks %q:\n%s", want, lat)
		}
	}
	peers := strings.Join(f.Peers, " ")
	for _, want := range []string{"mutex was faster in 2", "lookup_100 (mutex 7.94M ops/s, sharded 6.24M ops/s)", "sharded was faster in 1", "not distinguishable", "routing_100", "with 2 cores"} {
		if !strings.Contains(peers, want) {
			t.Errorf("peer finding lacks %q:\n%s", want, peers)
		}
	}
	for _, want := range []string{"1 s", "lookup_100", "1.07 s", "descheduled between its two clock reads", "does nothing"} {
		if !strings.Contains(f.MaxLat, want) {
			t.Errorf("max-latency finding lacks %q:\n%s", want, f.MaxLat)
		}
	}
	if !strings.Contains(f.Admission, "40 of 1,000 registrations (4.0 %) in sustained") {
		t.Errorf("admission finding: %s", f.Admission)
	}
	if !strings.Contains(strings.Join(f.Noise, " "), "range 5.4M ops/s to 93.6M ops/s") {
		t.Errorf("noise findings lack the ceiling's range: %q", f.Noise)
	}
	conc := strings.Join(f.Conclusions, " ")
	if !strings.Contains(conc, "not the fastest choice") || !strings.Contains(conc, "only as service time") {
		t.Errorf("conclusions do not say what to decide:\n%s", conc)
	}
}

func TestRelativeSpreadAndVerdicts(t *testing.T) {
	var ps []point
	for rep, v := range []float64{90, 100, 110} {
		ps = append(ps, point{Registry: "sharded", Workload: "lookup", Partitions: 4, Workers: 8, Rep: rep, Throughput: v})
	}
	if s := relativeSpread(ps); math.Abs(s-0.2) > 1e-9 {
		t.Errorf("spread %v, want 0.2 ((110-90)/100)", s)
	}
	if !math.IsNaN(relativeSpread(ps[:1])) {
		t.Error("spread of an unrepeated cell is not NaN")
	}
	for _, c := range []struct {
		a, b, spread float64
		want         string
	}{{130, 100, 0.2, "higher"}, {115, 100, 0.2, "not distinguishable"}, {70, 100, 0.2, "lower"}, {105, 100, math.NaN(), "not distinguishable"}} {
		if got := compareVerdict(c.a, c.b, c.spread); got != c.want {
			t.Errorf("compareVerdict(%v, %v, %v) = %q, want %q", c.a, c.b, c.spread, got, c.want)
		}
	}
}
