package sim_test

import (
	"context"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

var seedFlag = flag.Uint64("seed", 0, "replay the random tests with this seed (0: a fixed default)")

func testSeed(t *testing.T) uint64 {
	s := *seedFlag
	if s == 0 {
		s = 20240601
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d (replay with go test ./sim -run '%s' -seed %d)", s, t.Name(), s)
		}
	})
	return s
}

func TestMixValidation(t *testing.T) {
	for name, ws := range map[string]map[string]float64{
		"zero sum":  {"find_server": 0},
		"negative":  {"find_server": -1, "bind": 2},
		"unknown":   {"fetch": 1},
		"nan":       {"find_server": math.NaN()},
		"empty map": {},
	} {
		if _, err := sim.ParseMix(ws); !errors.Is(err, sim.ErrMix) {
			t.Errorf("%s: err = %v, want ErrMix", name, err)
		}
	}
	m, err := sim.ParseMix(map[string]float64{"find_server": 40, "route_to_server": 30, "register_server": 20, "bind": 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Fraction(model.OpFindServer); math.Abs(got-0.4) > 1e-12 {
		t.Errorf("find_server fraction %v, want 0.4", got)
	}
}

func TestMixPickFrequencies(t *testing.T) {
	r := rand.New(rand.NewPCG(testSeed(t), 1))
	m := sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 4, model.OpRouteToServer: 3, model.OpRegisterServer: 2, model.OpBind: 1})
	const n = 200_000
	counts := map[model.OpKind]int{}
	for range n {
		counts[m.Pick(r)]++
	}
	for k, want := range map[model.OpKind]float64{model.OpFindServer: 0.4, model.OpRouteToServer: 0.3, model.OpRegisterServer: 0.2, model.OpBind: 0.1} {
		got := float64(counts[k]) / n
		// 5 standard errors of a proportion at n = 200,000 is under 0.006.
		if math.Abs(got-want) > 0.006 {
			t.Errorf("%s: frequency %.4f, want %.2f", k, got, want)
		}
	}
}

func draw(t *testing.T, k sim.Keys, n, draws int) []int {
	t.Helper()
	g, err := sim.NewKeyGen(k, n)
	if err != nil {
		t.Fatal(err)
	}
	s := g.Stream(rand.New(rand.NewPCG(testSeed(t), 7)), 0)
	counts := make([]int, n)
	for range draws {
		i := s.Next()
		if i < 0 || i >= n {
			t.Fatalf("%s: index %d outside [0, %d)", k.Dist, i, n)
		}
		counts[i]++
	}
	return counts
}

func TestDistributions(t *testing.T) {
	const n, draws = 1000, 200_000
	t.Run("uniform", func(t *testing.T) {
		c := draw(t, sim.Keys{Dist: sim.DistUniform}, n, draws)
		// Chi-square with 999 degrees of freedom: mean 999, sd ~45.
		chi := 0.0
		for _, x := range c {
			d := float64(x) - draws/n
			chi += d * d / (draws / n)
		}
		if chi > 999+6*45 {
			t.Errorf("chi-square %.0f, too uneven for uniform", chi)
		}
	})
	t.Run("zipfian", func(t *testing.T) {
		c := draw(t, sim.Keys{Dist: sim.DistZipfian}, n, draws)
		top := 0
		for _, x := range c {
			top = max(top, x)
		}
		// Rank 0 has probability 1/zeta(10^10, 0.99) = 1/26.469 = 3.78 %;
		// scrambling may add other ranks onto the same key, never less.
		if f := float64(top) / draws; f < 0.036 || f > 0.06 {
			t.Errorf("hottest key frequency %.4f, want about 0.0378", f)
		}
	})
	// Every theta reaches every key, and the hottest key's share moves
	// continuously with theta (it jumped from 0.038 at 0.99 to 0.098 at
	// 0.9899 when other thetas drew ranks over the key count and hashed
	// them mod n, which also left 27 % of the keys unreachable).
	t.Run("zipfian-any-theta", func(t *testing.T) {
		const n, draws = 10_000, 1_000_000
		var tops []float64
		for _, theta := range []float64{0.5, 0.9, 0.9899, 0.99} {
			c := draw(t, sim.Keys{Dist: sim.DistZipfian, Theta: theta}, n, draws)
			never, top := 0, 0
			for _, x := range c {
				if x == 0 {
					never++
				}
				top = max(top, x)
			}
			if never > 0 {
				t.Errorf("theta %v: %d of %d keys never drawn in %d draws", theta, never, n, draws)
			}
			tops = append(tops, float64(top)/draws)
		}
		// 0.9899 and 0.99: 1/zeta(10^10, theta) differs by 0.0001; the
		// sampling error of a 0.038 share over 10^6 draws is 0.0002.
		if d := math.Abs(tops[3] - tops[2]); d > 0.002 {
			t.Errorf("hottest key share %.4f at theta 0.9899 vs %.4f at 0.99: not continuous in theta", tops[2], tops[3])
		}
		if !(tops[0] < tops[1] && tops[1] < tops[3]) {
			t.Errorf("hottest key shares %v at theta 0.5, 0.9, 0.9899, 0.99: want increasing with theta", tops)
		}
	})
	t.Run("hotspot", func(t *testing.T) {
		c := draw(t, sim.Keys{Dist: sim.DistHotspot}, n, draws)
		hot := 0
		for _, x := range c[:n/5] {
			hot += x
		}
		if f := float64(hot) / draws; math.Abs(f-0.8) > 0.01 {
			t.Errorf("hot set got %.3f of ops, want 0.8", f)
		}
	})
	t.Run("latest", func(t *testing.T) {
		c := draw(t, sim.Keys{Dist: sim.DistLatest}, n, draws)
		// P(newest key) = 1/zeta(1000, 0.99), about 0.13.
		if f := float64(c[n-1]) / draws; f < 0.11 || f > 0.15 {
			t.Errorf("newest key frequency %.3f, want about 0.13", f)
		}
		if c[n-1] <= c[0] {
			t.Errorf("newest key drawn %d times, oldest %d: latest must favour the newest", c[n-1], c[0])
		}
	})
	t.Run("sequential", func(t *testing.T) {
		g, _ := sim.NewKeyGen(sim.Keys{Dist: sim.DistSequential}, 5)
		s := g.Stream(rand.New(rand.NewPCG(1, 1)), 3)
		want := []int{3, 4, 0, 1, 2, 3}
		for i, w := range want {
			if got := s.Next(); got != w {
				t.Fatalf("draw %d = %d, want %d", i, got, w)
			}
		}
	})
	for _, bad := range []sim.Keys{{Dist: "pareto"}, {Dist: sim.DistZipfian, Theta: 1.5}, {Dist: sim.DistHotspot, HotKeys: 2}} {
		if _, err := sim.NewKeyGen(bad, 10); !errors.Is(err, sim.ErrDistribution) {
			t.Errorf("%+v: err = %v, want ErrDistribution", bad, err)
		}
	}
}

func preloaded(t *testing.T, servers, transports int) *model.Reference {
	t.Helper()
	r := model.NewReference()
	if err := (sim.Preload{Servers: servers, Transports: transports, Bind: true}).Apply(r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestClosedLoopCountsEveryOp(t *testing.T) {
	reg := preloaded(t, 100, 100)
	p, _ := partition.NewHashMod(8)
	mix := sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 1, model.OpRouteToTransport: 1, model.OpRegisterServer: 1, model.OpUnregisterServer: 1})
	res, err := sim.ClosedLoop(context.Background(), sim.Config{
		Registry: reg, Seed: testSeed(t), Servers: 100, Transports: 100,
		Groups:       []sim.Group{{Workers: 4, Mix: mix}, {Workers: 2, Mix: sim.MustMix(map[model.OpKind]float64{model.OpFindTransport: 1}), Keys: sim.Keys{Dist: sim.DistZipfian}}},
		OpsPerWorker: 500, SampleEvery: 3, MaxLivePerWorker: 5,
		PartitionOf: p.Partition, Partitions: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	var mixOps, sampled, parts int64
	for _, k := range res.Kinds {
		mixOps += k.Ops
		if k.Latency != nil {
			sampled += k.Latency.TotalCount()
		}
	}
	for _, n := range res.PartitionOps {
		parts += n
	}
	if res.Ops != mixOps || res.Ops < 6*500 {
		t.Errorf("ops %d, sum over kinds %d, want equal and >= 3000", res.Ops, mixOps)
	}
	if parts != sampled {
		t.Errorf("partition counts sum to %d, want every sampled op (%d): all ops here carry an ID", parts, sampled)
	}
	// Every third op of each worker is timed.
	if want := res.Ops / 3; sampled < want-6 || sampled > want+6 {
		t.Errorf("sampled %d latencies, want about %d", sampled, want)
	}
	if res.Throughput <= 0 || res.Elapsed <= 0 || res.TimerCost <= 0 {
		t.Errorf("throughput %v, elapsed %v, timer cost %v: all must be measured", res.Throughput, res.Elapsed, res.TimerCost)
	}
	// The churn cap keeps each worker at <= 5 live registrations.
	st := reg.State()
	servers, _, _ := st.Counts()
	if servers > 100+4*5 {
		t.Errorf("%d servers live, want at most 100 preloaded + 4 workers x 5", servers)
	}
	if res.Kind(model.OpFindServer).Errors()[model.CodeServerNotFound] != 0 {
		t.Errorf("lookups of preloaded servers failed: %v", res.Kind(model.OpFindServer).Errors())
	}
}

func TestClosedLoopCountsErrorsByCode(t *testing.T) {
	reg := preloaded(t, 10, 10)
	// Unregistering with nothing registered misses; registering the same
	// transports twice is impossible here (IDs are fresh), so the only
	// errors are not-found.
	res, err := sim.ClosedLoop(context.Background(), sim.Config{
		Registry: reg, Seed: testSeed(t), Servers: 10, Transports: 10,
		Groups:       []sim.Group{{Workers: 2, Mix: sim.MustMix(map[model.OpKind]float64{model.OpUnregisterTransport: 1})}},
		OpsPerWorker: 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Errors()[model.CodeTransportNotFound]; got != 100 {
		t.Errorf("transport_not_found = %d, want 100 (every op)", got)
	}
}

func TestClosedLoopDurationAndSeries(t *testing.T) {
	var probeReads atomic.Int64
	res, err := sim.ClosedLoop(context.Background(), sim.Config{
		Registry: sim.Null{}, Seed: testSeed(t), Servers: 10, Transports: 10,
		Groups:   []sim.Group{{Workers: 2, Mix: sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 1})}},
		Duration: 60 * time.Millisecond, SampleEvery: 16,
		SeriesInterval: 10 * time.Millisecond,
		Probes:         []sim.Probe{{Name: "reads", Read: func() float64 { return float64(probeReads.Add(1)) }}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Elapsed < 60*time.Millisecond {
		t.Errorf("elapsed %v, shorter than the duration", res.Elapsed)
	}
	var seriesOps int64
	for _, tk := range res.Series {
		seriesOps += tk.Ops
		if len(tk.Probes) != 1 {
			t.Fatalf("tick has %d probe values, want 1", len(tk.Probes))
		}
	}
	if len(res.Series) < 2 || seriesOps != res.Ops {
		t.Errorf("%d ticks summing to %d ops, want >= 2 ticks summing to %d", len(res.Series), seriesOps, res.Ops)
	}
}

func TestClosedLoopIsDeterministicInOpCountMode(t *testing.T) {
	run := func() map[model.OpKind]int64 {
		reg := preloaded(t, 50, 50)
		res, err := sim.ClosedLoop(context.Background(), sim.Config{
			Registry: reg, Seed: testSeed(t), Servers: 50, Transports: 50,
			Groups:       []sim.Group{{Workers: 3, Mix: sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 1, model.OpBind: 1, model.OpRegisterTransport: 1})}},
			OpsPerWorker: 200,
		})
		if err != nil {
			t.Fatal(err)
		}
		m := map[model.OpKind]int64{}
		for _, k := range res.Kinds {
			m[k.Kind] = k.Ops
		}
		return m
	}
	a, b := run(), run()
	for k, n := range a {
		if b[k] != n {
			t.Errorf("%s: %d ops then %d with the same seed", k, n, b[k])
		}
	}
}

func TestConfigErrors(t *testing.T) {
	mix := sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 1})
	for name, cfg := range map[string]sim.Config{
		"no registry":      {Groups: []sim.Group{{Workers: 1, Mix: mix}}, Servers: 1, Duration: time.Millisecond},
		"negative workers": {Registry: sim.Null{}, Groups: []sim.Group{{Workers: -1, Mix: mix}}, Servers: 1, Duration: time.Millisecond},
		"no stop":          {Registry: sim.Null{}, Groups: []sim.Group{{Workers: 1, Mix: mix}}, Servers: 1},
		"no servers":       {Registry: sim.Null{}, Groups: []sim.Group{{Workers: 1, Mix: mix}}, Duration: time.Millisecond},
		"bad dist":         {Registry: sim.Null{}, Groups: []sim.Group{{Workers: 1, Mix: mix, Keys: sim.Keys{Dist: "x"}}}, Servers: 1, Duration: time.Millisecond},
	} {
		if _, err := sim.ClosedLoop(context.Background(), cfg); !errors.Is(err, sim.ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
	if _, err := sim.OpenLoop(context.Background(), sim.Config{Registry: sim.Null{}, Groups: []sim.Group{{Workers: 1, Mix: mix}}, Servers: 1, Duration: time.Millisecond}); !errors.Is(err, sim.ErrConfig) {
		t.Errorf("open loop without a rate: err = %v, want ErrConfig", err)
	}
}

func TestOpenLoopIssuesWhatWasScheduled(t *testing.T) {
	res, err := sim.OpenLoop(context.Background(), sim.Config{
		Registry: preloaded(t, 10, 0), Seed: testSeed(t), Servers: 10,
		Groups:   []sim.Group{{Workers: 4, Mix: sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 1})}},
		Duration: 100 * time.Millisecond, Rate: 20_000,
	})
	if err != nil {
		t.Fatal(err)
	}
	// 20,000 ops/s for 0.1 s: 2,000 ops due, each issued or counted missed.
	if res.Ops+res.Missed != 2000 {
		t.Errorf("ops %d + missed %d, want 2000 scheduled", res.Ops, res.Missed)
	}
	if res.LatencyBasis != sim.LatencyIntended || res.TargetRate != 20_000 {
		t.Errorf("basis %q, target %v", res.LatencyBasis, res.TargetRate)
	}
	if got := res.Latency().TotalCount(); got != res.Ops {
		t.Errorf("%d latencies for %d ops: the open loop times every op", got, res.Ops)
	}
}

func TestConnectionsLifecycle(t *testing.T) {
	reg := preloaded(t, 20, 0)
	const conns = 200
	res, err := sim.Connections(context.Background(), sim.ConnConfig{
		Registry: reg, Seed: testSeed(t), Connections: conns, Servers: 20,
		Think: time.Millisecond, ThinkDist: sim.ThinkExponential, Duration: 30 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []model.OpKind{model.OpRegisterTransport, model.OpBind, model.OpUnregisterTransport} {
		ks := res.Kind(k)
		if ks == nil || ks.Ops != conns || ks.Codes[model.CodeOK] != conns {
			t.Fatalf("%s: %+v, want %d successful ops", k, ks, conns)
		}
	}
	if res.Kind(model.OpRouteToServer) == nil || len(res.Errors()) != 0 {
		t.Errorf("steady phase: routes %v, errors %v", res.Kind(model.OpRouteToServer), res.Errors())
	}
	if _, transports, bindings := reg.State().Counts(); transports != 0 || bindings != 0 {
		t.Errorf("after the disconnect storm: %d transports, %d bindings left", transports, bindings)
	}
	if len(res.Phases) != 3 || res.Phases[0].Ops != 2*conns {
		t.Errorf("phases %+v, want connect with %d ops", res.Phases, 2*conns)
	}
}

// rejecting refuses its first n transport registrations as overloaded,
// like admission control during a connect storm.
type rejecting struct {
	*model.Reference
	left atomic.Int64
}

func (r *rejecting) RegisterTransport(id string, o model.Owner, h model.Handler, cfg model.Config, bindTo string) error {
	if r.left.Add(-1) >= 0 {
		return model.ErrOverloaded
	}
	return r.Reference.RegisterTransport(id, o, h, cfg, bindTo)
}

func TestConnectionsRetryRejectedRegistrations(t *testing.T) {
	reg := &rejecting{Reference: preloaded(t, 20, 0)}
	const conns, rejected = 50, 120
	reg.left.Store(rejected)
	res, err := sim.Connections(context.Background(), sim.ConnConfig{
		Registry: reg, Seed: testSeed(t), Connections: conns, Servers: 20,
		Think: time.Millisecond, Duration: 10 * time.Millisecond, ConnectBackoff: 10 * time.Microsecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ks := res.Kind(model.OpRegisterTransport)
	if ks.Codes[model.CodeOK] != conns || ks.Codes[model.CodeOverloaded] != rejected {
		t.Fatalf("register_transport codes %v: want %d ok after %d overloaded attempts", ks.Codes, conns, rejected)
	}
	if b := res.Kind(model.OpBind); b.Codes[model.CodeOK] != conns {
		t.Fatalf("bind codes %v: every connection should bind once registered", b.Codes)
	}
}

func TestNullDriverCeilingIsMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("ceiling is a measurement; see BenchmarkClosedLoopNull")
	}
	res, err := sim.ClosedLoop(context.Background(), sim.Config{
		Registry: sim.Null{}, Seed: 1, Servers: 1000,
		Groups:   []sim.Group{{Workers: 2, Mix: sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 1})}},
		Duration: 100 * time.Millisecond, SampleEvery: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("driver ceiling: %.0f ops/s", res.Throughput)
}

func BenchmarkClosedLoopNull(b *testing.B) {
	mix := sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 1})
	for b.Loop() {
		res, err := sim.ClosedLoop(context.Background(), sim.Config{
			Registry: sim.Null{}, Seed: 1, Servers: 1000,
			Groups:       []sim.Group{{Workers: 2, Mix: mix}},
			OpsPerWorker: 1 << 20, SampleEvery: 16,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.Throughput, "ops/s")
	}
}

func TestReadBatchCountsHitsAndMisses(t *testing.T) {
	// 100 servers registered, keys drawn over 200: about half the
	// lookups miss, and every op is counted once, as a hit or by code.
	reg := preloaded(t, 100, 0)
	res, err := sim.ClosedLoop(context.Background(), sim.Config{
		Registry: reg, Seed: testSeed(t), Servers: 200,
		Groups:       []sim.Group{{Workers: 3, Mix: sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 1})}},
		OpsPerWorker: 1000, SampleEvery: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	k := res.Kind(model.OpFindServer)
	hits, misses := k.Codes[model.CodeOK], k.Codes[model.CodeServerNotFound]
	if k.Ops != 3000 || hits+misses != 3000 {
		t.Fatalf("ops %d, hits %d, misses %d: want 3000 = hits + misses", k.Ops, hits, misses)
	}
	// Binomial(3000, 1/2): sd ~27; 6 sd either side.
	if misses < 1340 || misses > 1660 {
		t.Errorf("%d misses of 3000, want about half", misses)
	}
	if got, want := k.Latency.TotalCount(), int64(3*((1000+6)/7)); got != want {
		t.Errorf("%d latencies, want %d (one op in 7 per worker, the first included)", got, want)
	}
}

func TestMinSamplesLowersSampleEveryInOpCountMode(t *testing.T) {
	res, err := sim.ClosedLoop(context.Background(), sim.Config{
		Registry: sim.Null{}, Seed: testSeed(t), Servers: 10,
		Groups:       []sim.Group{{Workers: 10, Mix: sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 1})}},
		OpsPerWorker: 1000, SampleEvery: 64, MinSamples: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	// 10,000 ops / 1,000 wanted samples: one op in 10.
	if res.SampleEvery != 10 || res.Latency().TotalCount() != 1000 {
		t.Errorf("sample_every %d with %d latencies, want 10 and 1000", res.SampleEvery, res.Latency().TotalCount())
	}
}
