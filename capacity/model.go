package capacity

import (
	"fmt"
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// Defaults for Config.
const (
	DefaultOps = 200_000
	// DefaultKeys is the key space writes draw from, the drivers' preload
	// (server_0.. and transport_0..).
	DefaultKeys = 10_000
	// DefaultQuantum is how long a goroutine may keep a core while others
	// wait for one: the Go runtime preempts a goroutine that has run for
	// 10 ms (forcePreemptNS).
	DefaultQuantum = 10 * time.Millisecond
	// MaxCores, MaxLoad bound the configuration so a typo cannot ask for
	// an unbounded simulation.
	MaxCores = 4096
	MaxLoad  = 10_000_000
	MaxOps   = 1 << 31
)

// Arrival processes for the open loop.
const (
	ArrivalsPoisson = "poisson" // exponential gaps: an M/ queue
	ArrivalsPaced   = "paced"   // equal gaps of 1/Rate, as sim's open loop schedules
)

// Config is one simulated run: a machine (Cores, from a Calibration), a
// registry layout (Partitions, Partitioner), a workload (Mix, Keys) and a
// load, which is exactly one of
//
//   - Workers: a closed loop, each worker issuing its next op as soon as
//     the last returns (sim.ClosedLoop);
//   - Connections with Think: each connection issues an op, then sleeps
//     Think (fixed or exponential), as sim.Connections' steady phase;
//   - Rate: an open loop, arrivals at Rate ops/s (Poisson or paced) queue
//     FIFO for OpenWorkers goroutines (default Cores); latency runs from
//     the arrival.
type Config struct {
	Calibration *Calibration
	Cores       int
	Partitions  int
	Partitioner string // impl/partition name; default hashmod, the registry's
	Mix         sim.Mix
	Keys        sim.Keys
	// Servers and Transports are the key spaces (default DefaultKeys).
	Servers, Transports int

	Workers     int
	Connections int
	Think       time.Duration
	ThinkDist   string // sim.ThinkFixed (default) or sim.ThinkExponential
	Rate        float64
	Arrivals    string // ArrivalsPoisson (default) or ArrivalsPaced
	OpenWorkers int

	// Ops is how many ops are measured, after Warmup more (default
	// DefaultOps and Ops/10).
	Ops, Warmup int64
	Seed        uint64
	// Quantum: see DefaultQuantum.
	Quantum time.Duration
	// MaxLivePerWorker: as in sim (registrations beyond it are preceded
	// by an unregistration of the worker's oldest).
	MaxLivePerWorker int
	// Scale multiplies every service time (used to carry a calibration
	// repetition's level into a replicate); 0 means 1.
	Scale float64
}

// Result is what one simulated run measured. Times are simulated
// nanoseconds; latency is from the timed start of the call (closed loop,
// connections: service time as the drivers measure it) or from the
// arrival (open loop).
type Result struct {
	Ops        int64
	Elapsed    time.Duration
	Throughput float64 // Ops per simulated second
	// Offered is the load asked for in ops/s (open loop, connections; 0
	// for a closed loop, whose load is whatever it achieves).
	Offered float64
	Latency analysis.LatencySummary
	// LockWait covers the writes: time from asking for the first lock to
	// holding the last (hand-off included).
	LockWait analysis.LatencySummary
	Writes   int64
	// CoreUtilisation is CPU busy time over Cores x Elapsed.
	CoreUtilisation float64
	// LockUtilisation is each partition lock's held time over Elapsed
	// (hand-offs included); Hottest is the busiest partition.
	LockUtilisation        []float64
	HottestPartition       int
	HottestLockUtilisation float64
	// HottestKeyUtilisation is the lock time the single busiest key asks
	// for, over Elapsed: a floor under the hottest lock's utilisation that
	// no partition count can split.
	HottestKeyUtilisation float64
	// Histogram holds every measured latency in ns.
	Histogram *hdrhistogram.Histogram `json:"-"`
}

// lockRule says which partition locks an op kind takes.
type lockRule uint8

const (
	lockNone      lockRule = iota // reads: lock-free
	lockFresh                     // a registration of a fresh ID: one lock, its hash's partition
	lockOwn                       // unregistration of the worker's oldest entry (or a miss)
	lockTransport                 // unbind: the transport key's partition
	lockBind                      // bind: transport's and server's partitions, in index order
)

// ruleOf returns the rule for a modelled kind; ok is false for kinds
// the model does not cover (lists, broadcast, owner_down).
func ruleOf(k model.OpKind) (lockRule, bool) {
	switch k {
	case model.OpFindServer, model.OpFindTransport, model.OpRouteToServer, model.OpRouteToTransport, model.OpServerForTransport:
		return lockNone, true
	case model.OpRegisterServer, model.OpRegisterTransport:
		return lockFresh, true
	case model.OpUnregisterServer, model.OpUnregisterTransport:
		return lockOwn, true
	case model.OpUnbind:
		return lockTransport, true
	case model.OpBind:
		return lockBind, true
	}
	return 0, false
}

// ModelledKinds lists the operation kinds the model covers.
func ModelledKinds() []model.OpKind {
	var ks []model.OpKind
	for _, k := range model.OpKinds() {
		if _, ok := ruleOf(k); ok {
			ks = append(ks, k)
		}
	}
	return ks
}

// withDefaults validates c and fills its defaults. Errors name the field
// as the CLI spells it.
func (c Config) withDefaults() (Config, error) {
	if c.Calibration == nil {
		return c, fmt.Errorf("%w: calibration: none given", ErrConfig)
	}
	if err := c.Calibration.Validate(); err != nil {
		return c, err
	}
	if c.Cores < 1 || c.Cores > MaxCores {
		return c, fmt.Errorf("%w: cores %d (want 1..%d)", ErrConfig, c.Cores, MaxCores)
	}
	if c.Partitions < 1 || c.Partitions > partition.MaxPartitions {
		return c, fmt.Errorf("%w: partitions %d (want 1..%d)", ErrConfig, c.Partitions, partition.MaxPartitions)
	}
	if c.Partitioner == "" {
		c.Partitioner = partition.NameHashMod
	}
	if c.Mix.IsZero() {
		return c, fmt.Errorf("%w: mix: none given (weights must sum to more than 0)", ErrConfig)
	}
	for _, k := range c.Mix.Kinds() {
		if _, err := c.Calibration.Cost(k); err != nil {
			return c, fmt.Errorf("mix: %w", err)
		}
	}
	if c.Servers == 0 {
		c.Servers = DefaultKeys
	}
	if c.Transports == 0 {
		c.Transports = DefaultKeys
	}
	if c.Servers < 1 || c.Transports < 1 {
		return c, fmt.Errorf("%w: keys: %d servers, %d transports (want >= 1)", ErrConfig, c.Servers, c.Transports)
	}
	loads := 0
	for _, set := range []bool{c.Workers != 0, c.Connections != 0, c.Rate != 0} {
		if set {
			loads++
		}
	}
	if loads != 1 {
		return c, fmt.Errorf("%w: give exactly one load: workers, connections (with think) or rate", ErrConfig)
	}
	switch {
	case c.Workers != 0 && (c.Workers < 1 || c.Workers > MaxLoad):
		return c, fmt.Errorf("%w: workers %d (want 1..%d)", ErrConfig, c.Workers, MaxLoad)
	case c.Connections != 0 && (c.Connections < 1 || c.Connections > MaxLoad):
		return c, fmt.Errorf("%w: connections %d (want 1..%d)", ErrConfig, c.Connections, MaxLoad)
	case c.Connections != 0 && c.Think <= 0:
		return c, fmt.Errorf("%w: think %v (want > 0 with connections)", ErrConfig, c.Think)
	case c.Rate != 0 && !(c.Rate > 0 && c.Rate < math.Inf(1)):
		return c, fmt.Errorf("%w: rate %v (want a finite number > 0)", ErrConfig, c.Rate)
	}
	switch c.ThinkDist {
	case "":
		c.ThinkDist = sim.ThinkFixed
	case sim.ThinkFixed, sim.ThinkExponential:
	default:
		return c, fmt.Errorf("%w: think distribution %q (want %s or %s)", ErrConfig, c.ThinkDist, sim.ThinkFixed, sim.ThinkExponential)
	}
	switch c.Arrivals {
	case "":
		c.Arrivals = ArrivalsPoisson
	case ArrivalsPoisson, ArrivalsPaced:
	default:
		return c, fmt.Errorf("%w: arrivals %q (want %s or %s)", ErrConfig, c.Arrivals, ArrivalsPoisson, ArrivalsPaced)
	}
	if c.OpenWorkers == 0 {
		c.OpenWorkers = c.Cores
	}
	if c.OpenWorkers < 1 || c.OpenWorkers > MaxLoad {
		return c, fmt.Errorf("%w: open-loop workers %d (want 1..%d)", ErrConfig, c.OpenWorkers, MaxLoad)
	}
	if c.Ops == 0 {
		c.Ops = DefaultOps
	}
	if c.Ops < 1 || c.Ops > MaxOps {
		return c, fmt.Errorf("%w: ops %d (want 1..%d)", ErrConfig, c.Ops, int64(MaxOps))
	}
	if c.Warmup == 0 {
		c.Warmup = c.Ops / 10
	}
	if c.Warmup < 0 || c.Warmup > MaxOps {
		return c, fmt.Errorf("%w: warmup %d (want 0..%d)", ErrConfig, c.Warmup, int64(MaxOps))
	}
	if c.Quantum == 0 {
		c.Quantum = DefaultQuantum
	}
	if c.Quantum < 0 {
		return c, fmt.Errorf("%w: quantum %v (want > 0)", ErrConfig, c.Quantum)
	}
	if c.MaxLivePerWorker == 0 {
		c.MaxLivePerWorker = sim.DefaultMaxLivePerWorker
	}
	if c.MaxLivePerWorker < 1 {
		return c, fmt.Errorf("%w: max live per worker %d (want >= 1)", ErrConfig, c.MaxLivePerWorker)
	}
	if c.Scale == 0 {
		c.Scale = 1
	}
	if !(c.Scale > 0 && c.Scale < math.Inf(1)) {
		return c, fmt.Errorf("%w: scale %v (want > 0)", ErrConfig, c.Scale)
	}
	return c, nil
}

// Simulate runs the model for cfg. The same Config (Seed included) gives
// the same Result, on any machine.
func Simulate(cfg Config) (Result, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	e, err := newEngine(c)
	if err != nil {
		return Result{}, err
	}
	return e.run()
}

// Validate reports what Simulate would refuse in c, without running it.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}
