package calibrate

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// Defaults for Config.
const (
	DefaultReps     = 5
	DefaultDuration = 300 * time.Millisecond
	QuickReps       = 3
	QuickDuration   = 100 * time.Millisecond
	// quantiles is how many equal steps the service distributions keep
	// (257 values, 0 to 1 by 1/256).
	quantiles = 256
	// tailCap: measured service times above this quantile are capped at
	// it. On a shared machine the top 0.1 % is the operating system
	// running someone else, not the registry.
	tailCap = 0.999
	// maxLive keeps the registration runs churning (register, then
	// unregister the oldest) within a short run.
	maxLive = 100
	// assumedSpinNs: see the spin step in Run.
	assumedSpinNs = 1000
)

// Config configures Run. The zero value (plus Out) is a full calibration.
type Config struct {
	// Out is the file the calibration is written to ("" writes nothing).
	Out string
	// Reps repetitions of every measurement, each Duration long.
	Reps     int
	Duration time.Duration
	// Quick uses QuickReps and QuickDuration where those are unset.
	Quick bool
	Seed  uint64
	// Host is recorded in the calibration (default DetectHost()).
	Host capacity.Host
	// Progress, when set, gets one line per measurement.
	Progress io.Writer
}

func (c Config) withDefaults() (Config, error) {
	if c.Reps == 0 {
		c.Reps = DefaultReps
		if c.Quick {
			c.Reps = QuickReps
		}
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
		if c.Quick {
			c.Duration = QuickDuration
		}
	}
	if c.Reps < 2 || c.Reps > 100 {
		return c, fmt.Errorf("%w: reps %d (want 2..100: an interval needs two)", capacity.ErrConfig, c.Reps)
	}
	if c.Duration < 10*time.Millisecond || c.Duration > time.Minute {
		return c, fmt.Errorf("%w: duration %v (want 10ms..1m)", capacity.ErrConfig, c.Duration)
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Host == (capacity.Host{}) {
		c.Host = DetectHost()
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c, nil
}

// DetectHost describes this machine.
func DetectHost() capacity.Host {
	h := capacity.Host{CPUModel: "unknown", NumCPU: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version()}
	h.Hostname, _ = os.Hostname()
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				h.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return h
}

// group is one single-worker measurement: a mix whose kinds it calibrates.
type group struct {
	kinds []model.OpKind
	mix   map[model.OpKind]float64
}

// groups cover every modelled kind. A registration run also measures its
// unregistration: past maxLive live entries each registration brings one.
func groups() []group {
	var gs []group
	for _, k := range []model.OpKind{model.OpFindServer, model.OpFindTransport, model.OpRouteToServer, model.OpRouteToTransport, model.OpServerForTransport, model.OpBind, model.OpUnbind} {
		gs = append(gs, group{kinds: []model.OpKind{k}, mix: map[model.OpKind]float64{k: 1}})
	}
	gs = append(gs,
		group{kinds: []model.OpKind{model.OpRegisterServer, model.OpUnregisterServer}, mix: map[model.OpKind]float64{model.OpRegisterServer: 1}},
		group{kinds: []model.OpKind{model.OpRegisterTransport, model.OpUnregisterTransport}, mix: map[model.OpKind]float64{model.OpRegisterTransport: 1}},
	)
	return gs
}

// Run measures a calibration on this machine and, with Out set, writes it.
//
// Method (every step repeated Reps times; each Estimate is the median with
// a 95 % Student-t interval of the mean):
//
//  1. Service demand: for each kind (a registration together with the
//     unregistration it churns into), one closed-loop worker at
//     GOMAXPROCS 1 on a fresh registry (64 partitions, 10,000 servers and
//     transports preloaded and bound, admission control off), every op
//     timed. Nothing waits, so the timed latency is the op's CPU time
//     (plus one timer pair); the pooled histograms give the distribution
//     (capped at its p99.9) and each repetition's mean. The driver's
//     overhead is the cycle (the process's CPU time / ops: on a shared
//     machine the wall clock also runs while others have the core) minus
//     the mean service.
//  2. Lock hold time (needs 2 cores that really run at once: the run's
//     CPU time over its wall time must reach MinParallelism, else the
//     step is skipped and says so): two workers at GOMAXPROCS 2 on one
//     partition, one write kind at a time. A write finds the lock held
//     with probability phi (the registry's contended / writes) = the share
//     of time the other worker holds it = h / cycle, so h = phi x cycle and
//     the hold fraction is h over the kind's mean service.
//  3. Hand-off (same runs, bind): the extra time per contended
//     acquisition for which the model reproduces the measured throughput,
//     found by bisection.
//  4. Timer: sim.MeasureTimerCost.
//  5. Wake-up: 2,000 connections with 0.5 ms think at GOMAXPROCS 1; the
//     process's CPU time per op minus the route's service and overhead is
//     what sleeping and waking costs.
func Run(ctx context.Context, cfg Config) (*capacity.Calibration, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)

	cal := &capacity.Calibration{Schema: capacity.CalibrationSchema, Host: c.Host, Created: time.Now().UTC(), Reps: c.Reps, Level: 0.95}
	type perKind struct {
		hist             *hdrhistogram.Histogram
		means, overheads []float64
		holdFracs        []float64
	}
	kinds := map[model.OpKind]*perKind{}
	var order []model.OpKind
	runtime.GOMAXPROCS(1)
	for rep := range c.Reps {
		for gi, g := range groups() {
			res, ls, err := measure(ctx, runSpec{procs: 1, workers: 1, partitions: 64, mix: g.mix, duration: c.Duration, seed: c.Seed + uint64(rep*100+gi), maxLive: maxLive})
			if err != nil {
				return nil, err
			}
			cycle := float64(ls.cpu.Nanoseconds()) / float64(res.Ops)
			weighted := 0.0
			for _, k := range g.kinds {
				ks := kindStats(res, k)
				if ks == nil || ks.Latency == nil || ks.Latency.TotalCount() == 0 {
					continue // a short run on a busy machine may not churn; the other repetitions may
				}
				pk := kinds[k]
				if pk == nil {
					pk = &perKind{hist: sim.NewLatencyHistogram()}
					kinds[k] = pk
					order = append(order, k)
				}
				pk.hist.Merge(ks.Latency)
				m := serviceDemand(ks.Latency).Mean
				pk.means = append(pk.means, m)
				weighted += float64(ks.Ops) / float64(res.Ops) * m
			}
			for _, k := range g.kinds {
				if kinds[k] != nil {
					kinds[k].overheads = append(kinds[k].overheads, max(0, cycle-weighted))
				}
			}
			fmt.Fprintf(c.Progress, "calibrate: rep %d/%d %-40s %8.0f ops/s, cycle %6.1f ns\n", rep+1, c.Reps, mixName(g.mix), res.Throughput, cycle)
		}
	}
	for _, g := range groups() {
		for _, k := range g.kinds {
			if kinds[k] == nil {
				return nil, fmt.Errorf("calibrate: no %s ops measured in %d repetitions of %v (use a longer --duration)", k, c.Reps, c.Duration)
			}
		}
	}
	for _, k := range order {
		pk := kinds[k]
		cal.Kinds = append(cal.Kinds, capacity.KindCost{
			Kind: k.String(), Service: serviceDemand(pk.hist),
			ServiceMean: capacity.NewEstimate(pk.means), Overhead: capacity.NewEstimate(pk.overheads),
		})
	}
	cal.Notes = append(cal.Notes, fmt.Sprintf("service: 1 worker at GOMAXPROCS 1, %v x %d per kind, every op timed, capped at p%g", c.Duration, c.Reps, 100*tailCap))

	// Timer.
	var timers []float64
	for range c.Reps {
		timers = append(timers, float64(sim.MeasureTimerCost(100_000).Nanoseconds()))
	}
	cal.Timer = capacity.NewEstimate(timers)

	// Lock hold and hand-off.
	measured := false
	if runtime.NumCPU() >= 2 {
		if measured, err = holdAndHandoff(ctx, c, cal); err != nil {
			return nil, err
		}
	} else {
		cal.Notes = append(cal.Notes, "one core: two writers cannot run at once")
	}
	if !measured {
		for i := range cal.Kinds {
			if k, _ := model.ParseOpKind(cal.Kinds[i].Kind); isWrite(k) {
				cal.Kinds[i].HoldFraction = capacity.Estimate{Median: 0.5, Low: 0.25, High: 0.75, Reps: []float64{0.5}}
			}
		}
		cal.Handoff = capacity.Estimate{Median: 0, Low: 0, High: 0, Reps: []float64{0}}
		cal.Notes = append(cal.Notes, "hold fraction and hand-off NOT MEASURED: assumed 0.5 of each write's service and 0 ns")
	}

	// Spin: not measurable from outside the runtime. Go's sync.Mutex spins
	// up to 4 rounds of 30 PAUSE instructions, 0.4 to 6 µs depending on
	// the CPU's PAUSE latency; 1 µs is assumed.
	cal.Spin = capacity.Estimate{Median: assumedSpinNs, Low: 400, High: 6000, Reps: []float64{assumedSpinNs}}
	cal.Notes = append(cal.Notes, "spin before parking: ASSUMED 1 µs (Go's sync.Mutex: 4 x 30 PAUSE, 0.4-6 µs by CPU), not measured")

	// Wake-up.
	runtime.GOMAXPROCS(1)
	if err := wake(ctx, c, cal); err != nil {
		return nil, err
	}
	if err := cal.Validate(); err != nil {
		return nil, fmt.Errorf("calibrate: the measurement produced an invalid calibration: %w", err)
	}
	if c.Out != "" {
		if err := cal.Save(c.Out); err != nil {
			return nil, err
		}
	}
	return cal, nil
}

// serviceDemand is h's distribution as quantiles in 1/256 steps, capped
// at its p99.9 (see tailCap); its Mean is the capped distribution's, so
// one preemption by another process does not price every op.
func serviceDemand(h *hdrhistogram.Histogram) capacity.Demand {
	q := make([]float64, quantiles+1)
	top := float64(h.ValueAtQuantile(100 * tailCap))
	for i := range q {
		q[i] = math.Min(float64(h.ValueAtQuantile(100*float64(i)/quantiles)), top)
	}
	q[0] = float64(h.Min())
	return capacity.Empirical(q)
}

func isWrite(k model.OpKind) bool {
	switch k {
	case model.OpRegisterServer, model.OpRegisterTransport, model.OpUnregisterServer, model.OpUnregisterTransport, model.OpBind, model.OpUnbind:
		return true
	}
	return false
}

func kindStats(res *sim.Result, k model.OpKind) *sim.KindStats {
	for i := range res.Kinds {
		if res.Kinds[i].Kind == k {
			return &res.Kinds[i]
		}
	}
	return nil
}

func mixName(m map[model.OpKind]float64) string {
	mx, err := sim.NewMix(m)
	if err != nil {
		return "?"
	}
	return mx.String()
}

// MinParallelism is the CPU time over wall time a two-worker run must
// show for its contention to count: below it the two workers mostly took
// turns (other processes had the cores) and a lock they share looks free.
const MinParallelism = 1.6

// holdAndHandoff measures the hold fractions and the hand-off; it reports
// false (and notes why) when the machine never ran two workers at once.
func holdAndHandoff(ctx context.Context, c Config, cal *capacity.Calibration) (bool, error) {
	runtime.GOMAXPROCS(2)
	fracs := map[model.OpKind][]float64{}
	var handoffs []float64
	skipped := 0
	for rep := range c.Reps {
		for gi, g := range groups() {
			if !isWrite(g.kinds[0]) {
				continue
			}
			var (
				res *sim.Result
				ls  lockStats
				err error
			)
			for try := range 3 {
				res, ls, err = measure(ctx, runSpec{procs: 2, workers: 2, partitions: 1, mix: g.mix, duration: c.Duration, seed: c.Seed + uint64(1000+rep*100+gi+10_000*try), maxLive: maxLive})
				if err != nil {
					return false, err
				}
				if ls.parallelism(res) >= MinParallelism {
					break
				}
			}
			if par := ls.parallelism(res); par < MinParallelism || ls.writes == 0 {
				skipped++
				fmt.Fprintf(c.Progress, "calibrate: rep %d/%d %-40s 2 workers, 1 partition: parallelism %.2f < %.1f, skipped\n", rep+1, c.Reps, mixName(g.mix), par, MinParallelism)
				continue
			}
			phi := float64(ls.contended) / float64(ls.writes)
			cycle := 2 * float64(res.Elapsed.Nanoseconds()) / float64(res.Ops)
			svc := 0.0
			for _, k := range g.kinds {
				if ks := kindStats(res, k); ks != nil {
					kc, _ := cal.Cost(k)
					svc += float64(ks.Ops) / float64(res.Ops) * kc.ServiceMean.Median
				}
			}
			f := math.Min(1, phi*cycle/svc)
			for _, k := range g.kinds {
				fracs[k] = append(fracs[k], f)
			}
			fmt.Fprintf(c.Progress, "calibrate: rep %d/%d %-40s 2 workers, 1 partition: %8.0f ops/s, parallelism %.2f, contended %.3f, hold fraction %.2f\n", rep+1, c.Reps, mixName(g.mix), res.Throughput, ls.parallelism(res), phi, f)
			if g.kinds[0] == model.OpBind {
				kc, _ := cal.Cost(model.OpBind)
				kc.HoldFraction = capacity.NewEstimate([]float64{f, f})
				h, err := fitHandoff(cal, g.mix, res.Throughput, c.Seed+uint64(rep))
				if err != nil {
					return false, err
				}
				handoffs = append(handoffs, h)
			}
		}
	}
	complete := true
	for i := range cal.Kinds {
		k, _ := model.ParseOpKind(cal.Kinds[i].Kind)
		if !isWrite(k) {
			continue
		}
		if len(fracs[k]) < 2 {
			complete = false
			break
		}
		cal.Kinds[i].HoldFraction = capacity.NewEstimate(fracs[k])
	}
	if !complete || len(handoffs) < 2 {
		cal.Notes = append(cal.Notes, fmt.Sprintf("%d two-worker runs skipped: this machine did not run two workers at once (CPU/wall < %.1f)", skipped, MinParallelism))
		return false, nil
	}
	cal.Handoff = capacity.NewEstimate(handoffs)
	cal.Notes = append(cal.Notes,
		fmt.Sprintf("hold fraction: 2 workers at GOMAXPROCS 2 on 1 partition, contended/writes x cycle / mean service, %v x %d per write kind (%d runs skipped for lack of parallelism)", c.Duration, c.Reps, skipped),
		"hand-off: the model's value that reproduces the bind run's throughput (bisection, 0..20 µs)")
	return true, nil
}

// fitHandoff finds the hand-off at which the model's throughput for two
// workers on two cores and one partition equals measured.
func fitHandoff(cal *capacity.Calibration, weights map[model.OpKind]float64, measured float64, seed uint64) (float64, error) {
	mix, err := sim.NewMix(weights)
	if err != nil {
		return 0, err
	}
	model := func(h float64) (float64, error) {
		c := *cal
		c.Handoff = capacity.NewEstimate([]float64{h, h})
		if c.Wake.Reps == nil {
			c.Wake = capacity.NewEstimate([]float64{0, 0})
		}
		if c.Timer.Reps == nil {
			c.Timer = capacity.NewEstimate([]float64{0, 0})
		}
		r, err := capacity.Simulate(capacity.Config{Calibration: &c, Cores: 2, Workers: 2, Partitions: 1, Mix: mix, Ops: 40_000, Seed: seed})
		return r.Throughput, err
	}
	lo, hi := 0.0, 20_000.0
	x, err := model(lo)
	if err != nil || x <= measured {
		return 0, err
	}
	for range 20 {
		mid := (lo + hi) / 2
		x, err := model(mid)
		if err != nil {
			return 0, err
		}
		if x > measured {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2, nil
}

func wake(ctx context.Context, c Config, cal *capacity.Calibration) error {
	route, err := cal.Cost(model.OpRouteToServer)
	if err != nil {
		return err
	}
	var wakes []float64
	mix := sim.MustMix(map[model.OpKind]float64{model.OpRouteToServer: 1})
	for rep := range c.Reps {
		reg, err := newRegistry(64)
		if err != nil {
			return err
		}
		runtime.GC()
		cpu0 := cpuTime()
		res, err := sim.Connections(ctx, sim.ConnConfig{
			Registry: reg, Seed: c.Seed + uint64(2000+rep), Connections: 2000, Servers: preloadKeys,
			Mix: mix, Think: 500 * time.Microsecond, Duration: c.Duration, SampleEvery: 1,
		})
		if err != nil {
			return fmt.Errorf("calibrate: wake-up run: %w", err)
		}
		cpu := cpuTime() - cpu0
		var total int64
		for _, k := range res.Kinds {
			total += k.Ops // connect and disconnect storms too: the CPU covers them
		}
		cycle := float64(cpu.Nanoseconds()) / float64(max(1, total))
		w := max(0, cycle-route.ServiceMean.Median-route.Overhead.Median)
		wakes = append(wakes, w)
		fmt.Fprintf(c.Progress, "calibrate: rep %d/%d connections 2000, think 0.5ms: %8.0f ops/s, wake-up %6.0f ns\n", rep+1, c.Reps, res.Throughput, w)
	}
	cal.Wake = capacity.NewEstimate(wakes)
	cal.Notes = append(cal.Notes, fmt.Sprintf("wake-up: 2,000 connections, think 0.5 ms, GOMAXPROCS 1, %v x %d; process CPU per op minus route_to_server's service and overhead", c.Duration, c.Reps))
	return nil
}
