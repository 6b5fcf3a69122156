package capacity_test

import (
	"errors"
	"flag"
	"math"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

var seedFlag = flag.Uint64("seed", 0, "replay random tests with this seed")

func testSeed(t *testing.T) uint64 {
	s := *seedFlag
	if s == 0 {
		s = 20261201
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d (replay with go test ./capacity -run '%s' -seed %d)", s, t.Name(), s)
		}
	})
	return s
}

// synthetic is a calibration with the given service demand for every
// modelled kind, no driver overhead and no hand-off: the assumptions of
// the closed forms.
func synthetic(service capacity.Demand, holdFraction float64) *capacity.Calibration {
	c := &capacity.Calibration{Schema: capacity.CalibrationSchema, Reps: 1, Level: 0.95,
		Host: capacity.Host{CPUModel: "a synthetic machine", NumCPU: 1}}
	for _, k := range capacity.ModelledKinds() {
		m := service.Mean
		c.Kinds = append(c.Kinds, capacity.KindCost{
			Kind: k.String(), Service: service,
			ServiceMean:  capacity.Estimate{Median: m, Low: m, High: m, Reps: []float64{m}},
			HoldFraction: capacity.Estimate{Median: holdFraction, Low: holdFraction, High: holdFraction, Reps: []float64{holdFraction}},
		})
	}
	return c
}

func mix(t *testing.T, w map[model.OpKind]float64) sim.Mix {
	t.Helper()
	m, err := sim.NewMix(w)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func simulate(t *testing.T, c capacity.Config) capacity.Result {
	t.Helper()
	r, err := capacity.Simulate(c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*want {
		t.Errorf("%s = %.4g, closed form %.4g (tolerance ±%.0f %%)", what, got, want, 100*tol)
	}
}

// Tolerances: with 400,000 measured ops at utilisation 0.7-0.8 the mean
// response of an M/M/c simulation has a standard error of about 1 % (the
// batch-means estimate of these runs); 4 % is four of those. A p99 is
// noisier: 6 %.
const (
	tolMean = 0.04
	tolP99  = 0.06
	simOps  = 400_000
)

// One core, one worker, Poisson arrivals, exponential service, reads (no
// lock): the cores are an M/M/1 queue.
func TestCoresAreMM1(t *testing.T) {
	const mean, rho = 1000.0, 0.7 // ns
	res := simulate(t, capacity.Config{
		Calibration: synthetic(capacity.Exponential(mean), 0),
		Cores:       1, Partitions: 1, Mix: mix(t, map[model.OpKind]float64{model.OpFindServer: 1}),
		Rate: rho / mean * 1e9, Ops: simOps, Seed: testSeed(t),
	})
	q, err := analysis.MM1(rho/mean, 1/mean)
	if err != nil {
		t.Fatal(err)
	}
	p99, _ := q.ResponseTimeQuantile(0.99)
	within(t, "mean response (ns)", res.Latency.Mean, q.MeanResponse, tolMean)
	within(t, "p99 response (ns)", float64(res.Latency.P99), p99, tolP99)
	within(t, "core utilisation", res.CoreUtilisation, rho, 0.02)
	within(t, "throughput (ops/s)", res.Throughput, rho/mean*1e9, 0.02)
}

// c cores, c open-loop workers: an M/M/c queue.
func TestCoresAreMMc(t *testing.T) {
	const mean, c, rho = 1000.0, 4, 0.8
	lambda := rho * c / mean
	res := simulate(t, capacity.Config{
		Calibration: synthetic(capacity.Exponential(mean), 0),
		Cores:       c, Partitions: 16, Mix: mix(t, map[model.OpKind]float64{model.OpRouteToServer: 1}),
		Rate: lambda * 1e9, Ops: simOps, Seed: testSeed(t),
	})
	q, err := analysis.MMc(lambda, 1/mean, c)
	if err != nil {
		t.Fatal(err)
	}
	p99, _ := q.ResponseTimeQuantile(0.99)
	within(t, "mean response (ns)", res.Latency.Mean, q.MeanResponse, tolMean)
	within(t, "p99 response (ns)", float64(res.Latency.P99), p99, tolP99)
	within(t, "core utilisation", res.CoreUtilisation, rho, 0.02)
}

// Plenty of cores and workers, writes that hold their partition lock for
// their whole exponential service: each partition lock is an M/M/1 queue
// fed by a uniform share of the Poisson arrivals (fresh IDs hash
// uniformly), so with P partitions each sees lambda/P.
func TestPartitionLocksAreMM1(t *testing.T) {
	const mean, rho = 500.0, 0.7 // per lock
	for _, p := range []int{1, 4} {
		lambda := rho * float64(p) / mean
		res := simulate(t, capacity.Config{
			Calibration: synthetic(capacity.Exponential(mean), 1),
			Cores:       256, OpenWorkers: 256, Partitions: p,
			Mix:  mix(t, map[model.OpKind]float64{model.OpRegisterServer: 1}),
			Rate: lambda * 1e9, Ops: simOps, Seed: testSeed(t), MaxLivePerWorker: 1 << 30,
		})
		q, err := analysis.MM1(lambda/float64(p), 1/mean)
		if err != nil {
			t.Fatal(err)
		}
		p99, _ := q.ResponseTimeQuantile(0.99)
		within(t, "mean response (ns)", res.Latency.Mean, q.MeanResponse, tolMean)
		within(t, "p99 response (ns)", float64(res.Latency.P99), p99, tolP99)
		within(t, "mean lock wait (ns)", res.LockWait.Mean, q.MeanWait, tolMean)
		for i, u := range res.LockUtilisation {
			if math.Abs(u-rho) > 0.03 {
				t.Errorf("P=%d: partition %d lock utilisation %.3f, want %.2f ± 0.03", p, i, u, rho)
			}
		}
		// Writes are counted when they hold their locks, ops when they
		// complete: they differ by the writes in flight at either end.
		if d := res.Writes - simOps; d < -256 || d > 256 {
			t.Errorf("P=%d: %d writes recorded, want %d ± 256 in flight", p, res.Writes, simOps)
		}
	}
}

// A closed loop of W <= C workers never waits: throughput is W over the
// cycle (service + overhead), latency the service time. With W = 2C the
// cores saturate and throughput stays at C per cycle.
func TestClosedLoopBounds(t *testing.T) {
	cal := synthetic(capacity.Fixed(300), 0)
	for i := range cal.Kinds {
		cal.Kinds[i].Overhead = capacity.Estimate{Median: 100, Low: 100, High: 100, Reps: []float64{100}}
	}
	for _, tc := range []struct{ cores, workers int }{{1, 1}, {4, 4}, {2, 4}, {4, 64}} {
		res := simulate(t, capacity.Config{
			Calibration: cal, Cores: tc.cores, Partitions: 4, Workers: tc.workers,
			Mix: mix(t, map[model.OpKind]float64{model.OpFindServer: 1}), Ops: 100_000, Seed: testSeed(t),
		})
		want := float64(min(tc.cores, tc.workers)) / 400 * 1e9
		within(t, "closed-loop throughput", res.Throughput, want, 0.001)
		if res.Latency.P99 != 300 {
			t.Errorf("cores %d workers %d: p99 %d ns, want the service time 300", tc.cores, tc.workers, res.Latency.P99)
		}
	}
}

// Connections obey the response time law X = N / (R + Z): N connections,
// think Z, response R (here the service, the wake-up and the overhead, as
// the cores never queue).
func TestConnectionsResponseTimeLaw(t *testing.T) {
	cal := synthetic(capacity.Exponential(2000), 0)
	cal.Wake = capacity.Estimate{Median: 1000, Low: 1000, High: 1000, Reps: []float64{1000}}
	const n, z = 2000, time.Millisecond
	res := simulate(t, capacity.Config{
		Calibration: cal, Cores: 64, Partitions: 4, Connections: n, Think: z, ThinkDist: sim.ThinkExponential,
		Mix: mix(t, map[model.OpKind]float64{model.OpRouteToServer: 1}), Ops: 200_000, Seed: testSeed(t),
	})
	want := n / (z.Seconds() + 3e-6)
	within(t, "connections throughput", res.Throughput, want, 0.01)
	within(t, "offered", res.Offered, n/z.Seconds(), 1e-9)
}

// Zipfian binds pile onto the hot keys' partitions: more partitions lower
// the hottest lock's utilisation, but never below the hottest key's.
func TestHotKeysMakeHotPartitions(t *testing.T) {
	cal := synthetic(capacity.Exponential(400), 0.5)
	var last float64 = 2
	for _, p := range []int{1, 16, 256} {
		res := simulate(t, capacity.Config{
			Calibration: cal, Cores: 8, Partitions: p, Workers: 8,
			Mix:  mix(t, map[model.OpKind]float64{model.OpBind: 1, model.OpFindServer: 1}),
			Keys: sim.Keys{Dist: sim.DistZipfian}, Ops: 100_000, Seed: testSeed(t),
		})
		if res.HottestKeyUtilisation <= 0 || res.HottestKeyUtilisation > res.HottestLockUtilisation+1e-9 {
			t.Errorf("P=%d: hottest key utilisation %.4f, hottest lock %.4f: want 0 < key <= lock", p, res.HottestKeyUtilisation, res.HottestLockUtilisation)
		}
		if res.HottestLockUtilisation >= last {
			t.Errorf("P=%d: hottest lock utilisation %.3f did not fall below %.3f", p, res.HottestLockUtilisation, last)
		}
		last = res.HottestLockUtilisation
	}
}

func TestDeterministic(t *testing.T) {
	cfg := capacity.Config{
		Calibration: synthetic(capacity.Exponential(400), 0.5), Cores: 2, Partitions: 4, Workers: 5,
		Mix:  mix(t, map[model.OpKind]float64{model.OpBind: 1, model.OpRegisterServer: 1, model.OpFindServer: 2}),
		Keys: sim.Keys{Dist: sim.DistZipfian}, Ops: 20_000, Seed: testSeed(t), MaxLivePerWorker: 100,
	}
	a, b := simulate(t, cfg), simulate(t, cfg)
	a.Histogram, b.Histogram = nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same config, different results:\n%+v\n%+v", a, b)
	}
	cfg.Seed++
	if c := simulate(t, cfg); c.Latency == a.Latency && c.Throughput == a.Throughput {
		t.Errorf("seeds %d and %d gave the same result", cfg.Seed-1, cfg.Seed)
	}
}

func TestConfigErrors(t *testing.T) {
	good := func() capacity.Config {
		return capacity.Config{Calibration: synthetic(capacity.Fixed(100), 0.5), Cores: 2, Partitions: 4, Workers: 2,
			Mix: mix(t, map[model.OpKind]float64{model.OpFindServer: 1})}
	}
	if _, err := capacity.Simulate(good()); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, bad := range map[string]func(*capacity.Config){
		"no calibration":    func(c *capacity.Config) { c.Calibration = nil },
		"cores 0":           func(c *capacity.Config) { c.Cores = 0 },
		"partitions 0":      func(c *capacity.Config) { c.Partitions = 0 },
		"workers -1":        func(c *capacity.Config) { c.Workers = -1 },
		"two loads":         func(c *capacity.Config) { c.Rate = 10 },
		"no load":           func(c *capacity.Config) { c.Workers = 0 },
		"rate NaN":          func(c *capacity.Config) { c.Workers, c.Rate = 0, math.NaN() },
		"rate negative":     func(c *capacity.Config) { c.Workers, c.Rate = 0, -1 },
		"connections, no Z": func(c *capacity.Config) { c.Workers, c.Connections = 0, 10 },
		"think dist": func(c *capacity.Config) {
			c.Workers, c.Connections, c.Think, c.ThinkDist = 0, 10, time.Millisecond, "pareto"
		},
		"no mix":       func(c *capacity.Config) { c.Mix = sim.Mix{} },
		"unknown dist": func(c *capacity.Config) { c.Keys = sim.Keys{Dist: "pareto"} },
		"partitioner":  func(c *capacity.Config) { c.Partitioner = "nope" },
		"arrivals":     func(c *capacity.Config) { c.Workers, c.Rate, c.Arrivals = 0, 1, "bursty" },
	} {
		c := good()
		bad(&c)
		if _, err := capacity.Simulate(c); !errors.Is(err, capacity.ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
	c := good()
	c.Mix = mix(t, map[model.OpKind]float64{model.OpListServers: 1})
	if _, err := capacity.Simulate(c); !errors.Is(err, capacity.ErrNotKind) {
		t.Errorf("list_servers: err = %v, want ErrNotKind", err)
	}
}

func TestCalibrationFile(t *testing.T) {
	here := capacity.Host{CPUModel: "Test CPU", OS: "linux", Arch: "amd64", NumCPU: 2}
	cal := synthetic(capacity.Empirical([]float64{80, 90, 100, 150, 400}), 0.4)
	cal.Host = here
	path := filepath.Join(t.TempDir(), "new", "calibration.json") // Save makes the folder
	if err := cal.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := capacity.LoadCalibration(path, here, false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Kinds, cal.Kinds) {
		t.Errorf("round trip changed the kinds")
	}
	other := here
	other.CPUModel = "Other CPU"
	if _, err := capacity.LoadCalibration(path, other, false); !errors.Is(err, capacity.ErrOtherHost) {
		t.Errorf("other host: err = %v, want ErrOtherHost", err)
	}
	if _, err := capacity.LoadCalibration(path, other, true); err != nil {
		t.Errorf("other host allowed: %v", err)
	}
	cal.Schema = "shardlab.calibration/v0"
	if err := cal.Validate(); !errors.Is(err, capacity.ErrSchema) {
		t.Errorf("old schema: err = %v, want ErrSchema", err)
	}
}

func TestEmpiricalDemandMean(t *testing.T) {
	d := capacity.Empirical([]float64{300, 100, 200})
	if d.Mean != 200 || d.Quantiles[0] != 100 {
		t.Errorf("Empirical(300, 100, 200) = %+v, want sorted quantiles with mean 200", d)
	}
	if err := (capacity.Demand{Shape: "gamma"}).Validate("x"); !errors.Is(err, capacity.ErrConfig) {
		t.Errorf("unknown shape: %v", err)
	}
}
