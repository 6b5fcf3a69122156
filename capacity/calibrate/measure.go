package calibrate

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"time"

	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// preloadKeys servers and as many transports (bound) are registered
// before every measured run: the key space the model's writes draw from.
const preloadKeys = capacity.DefaultKeys

// runSpec is one measured closed-loop run of the real registry.
type runSpec struct {
	procs, workers, partitions int
	mix                        map[model.OpKind]float64
	keys                       sim.Keys
	duration                   time.Duration
	seed                       uint64
	maxLive                    int
}

// lockStats are the registry's lock counts and the process's CPU time
// over a run. The CPU time, not the wall clock, prices an op: on a shared
// machine the wall clock also runs while other processes have the cores.
type lockStats struct {
	writes, contended int64
	cpu               time.Duration
}

// parallelism is the run's CPU time over its wall time: about procs when
// the workers really ran at once.
func (ls lockStats) parallelism(res *sim.Result) float64 {
	return ls.cpu.Seconds() / res.Elapsed.Seconds()
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// newRegistry is the registry every measurement uses: p partitions,
// admission control off (the model has none), the preload applied.
func newRegistry(p int) (*impl.Registry, error) {
	reg, err := impl.New(impl.Options{Partitions: p, DisableAdmission: true})
	if err != nil {
		return nil, err
	}
	if err := (sim.Preload{Servers: preloadKeys, Transports: preloadKeys, Bind: true}).Apply(reg); err != nil {
		return nil, err
	}
	return reg, nil
}

// measure runs s at GOMAXPROCS s.procs (the caller restores it) and
// returns the driver's result and the registry's lock counts.
func measure(ctx context.Context, s runSpec) (*sim.Result, lockStats, error) {
	runtime.GOMAXPROCS(s.procs)
	reg, err := newRegistry(s.partitions)
	if err != nil {
		return nil, lockStats{}, err
	}
	mix, err := sim.NewMix(s.mix)
	if err != nil {
		return nil, lockStats{}, err
	}
	// The preload's writes are in the counts: count from here.
	var before lockStats
	for _, p := range reg.PartitionStats() {
		before.writes += p.Writes
		before.contended += p.ContendedWrites
	}
	var (
		res  *sim.Result
		cpu0 time.Duration
	)
	// On a busy machine a short run can end before its workers were ever
	// scheduled: run again, twice as long, a few times before giving up.
	for try, d := 0, s.duration; ; try, d = try+1, 2*d {
		runtime.GC()
		cpu0 = cpuTime()
		res, err = sim.ClosedLoop(ctx, sim.Config{
			Registry: reg, Seed: s.seed,
			Groups:  []sim.Group{{Workers: s.workers, Mix: mix, Keys: s.keys}},
			Servers: preloadKeys, Transports: preloadKeys,
			Duration: d, SampleEvery: 1, MaxLivePerWorker: s.maxLive,
		})
		if err != nil {
			return nil, lockStats{}, fmt.Errorf("calibrate: measuring %s: %w", mix, err)
		}
		if res.Ops > 0 || try == 3 {
			break
		}
	}
	if res.Ops == 0 {
		return nil, lockStats{}, fmt.Errorf("calibrate: measuring %s: no ops completed in four tries", mix)
	}
	ls := lockStats{cpu: cpuTime() - cpu0, writes: -before.writes, contended: -before.contended}
	for _, p := range reg.PartitionStats() {
		ls.writes += p.Writes
		ls.contended += p.ContendedWrites
	}
	return res, ls, nil
}
