package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/shardlab/shardlab/model"
)

// Think-time distributions.
const (
	ThinkFixed       = "fixed"
	ThinkExponential = "exp"
)

// ConnConfig configures Connections.
type ConnConfig struct {
	Registry model.Registry
	// Seed derives connection i's PCG: rand.NewPCG(Seed, i+1).
	Seed uint64
	// Connections is the number of simulated client connections, one
	// goroutine each (1..MaxWorkers).
	Connections int
	// Servers is how many preloaded servers (server_0..) connections bind
	// to; ServerKeys picks which one each connection binds to.
	Servers    int
	ServerKeys Keys
	// Mix is what a connected client does, each op on its own transport
	// or its bound server: route_to_server, route_to_transport,
	// server_for_transport, find_server, find_transport, broadcast
	// (default: route_to_server and route_to_transport, equally).
	Mix Mix
	// Think is the pause between a connection's ops: exactly Think
	// (ThinkFixed, the default) or exponential with mean Think
	// (ThinkExponential). Each connection's first op comes after a
	// uniform random fraction of Think, so the steady phase does not start
	// in lock step.
	Think     time.Duration
	ThinkDist string
	// Duration is the length of the steady phase.
	Duration time.Duration
	// SampleEvery: as in Config (default 1).
	SampleEvery int
	// ConnectRetries is how many times a connection retries a registration
	// that admission control rejected with model.ErrOverloaded, as a real
	// client would: after a backoff that starts at ConnectBackoff, doubles
	// each time up to 64x, and is jittered to 50-150 % by the connection's
	// PCG. Every attempt is recorded, so rejections stay visible in the
	// overloaded count. 0 means DefaultConnectRetries; negative, none.
	ConnectRetries int
	ConnectBackoff time.Duration // default DefaultConnectBackoff
	// IDTag distinguishes this run's transport IDs (conn_<tag><i>).
	IDTag          string
	PartitionOf    func(id string) int
	Partitions     int
	SeriesInterval time.Duration
	Probes         []Probe

	_ struct{}
}

// connKinds are the steady-phase ops a connection can issue.
var connKinds = map[model.OpKind]bool{
	model.OpRouteToServer: true, model.OpRouteToTransport: true, model.OpServerForTransport: true,
	model.OpFindServer: true, model.OpFindTransport: true, model.OpBroadcast: true,
}

// CheckConnectionMix returns an ErrConfig error naming the first op in m
// that a connection cannot issue in its steady phase (it registers and
// binds only when it connects).
func CheckConnectionMix(m Mix) error {
	for _, k := range m.kinds {
		if !connKinds[k] {
			return fmt.Errorf("%w: connection mix has %s (a connection may only issue route_to_server, route_to_transport, server_for_transport, find_server, find_transport, broadcast)", ErrConfig, k)
		}
	}
	return nil
}

func (c *ConnConfig) validate() error {
	switch {
	case c.Registry == nil:
		return fmt.Errorf("%w: registry is nil", ErrConfig)
	case c.Connections < 1 || c.Connections > MaxWorkers:
		return fmt.Errorf("%w: connections = %d (want 1..%d)", ErrConfig, c.Connections, MaxWorkers)
	case c.Servers < 1:
		return fmt.Errorf("%w: connections need preloaded servers to bind to (servers = %d)", ErrConfig, c.Servers)
	case c.Duration <= 0:
		return fmt.Errorf("%w: connections steady duration %v (want > 0)", ErrConfig, c.Duration)
	case c.Think < 0:
		return fmt.Errorf("%w: think time %v (want >= 0)", ErrConfig, c.Think)
	case c.ThinkDist != "" && c.ThinkDist != ThinkFixed && c.ThinkDist != ThinkExponential:
		return fmt.Errorf("%w: think distribution %q (want %q or %q)", ErrConfig, c.ThinkDist, ThinkFixed, ThinkExponential)
	case c.SampleEvery < 0 || c.SeriesInterval < 0:
		return fmt.Errorf("%w: sample_every %d, series interval %v (want >= 0)", ErrConfig, c.SampleEvery, c.SeriesInterval)
	case (c.PartitionOf == nil) != (c.Partitions == 0) || c.Partitions < 0:
		return fmt.Errorf("%w: PartitionOf and Partitions (%d) go together", ErrConfig, c.Partitions)
	}
	if err := CheckConnectionMix(c.Mix); err != nil {
		return err
	}
	if _, err := NewKeyGen(c.ServerKeys, c.Servers); err != nil {
		return fmt.Errorf("%w: server_keys: %w", ErrConfig, err)
	}
	return nil
}

// shard is a recorder shared by the connections that hash to it. A
// hundred thousand per-connection histograms would take gigabytes.
type shard struct {
	mu  sync.Mutex
	rec *recorder
	_   [64]byte
}

// Defaults for a connection's retries of rejected registrations.
const (
	DefaultConnectRetries = 10
	DefaultConnectBackoff = time.Millisecond
)

// Connections models C client connections with the life of an MCP
// transport: a connect storm (every connection registers its transport
// conn_<i> and binds it to a server, all at once), a steady phase of
// Duration in which each connection issues an op from Mix, then thinks,
// and a disconnect storm (every connection unregisters its transport).
// Latency is service time. The Result's Phases time each part; its Ops,
// Elapsed and Throughput are the steady phase's; Kinds cover all three
// (the storms are the register_transport, bind and unregister_transport
// kinds).
func Connections(ctx context.Context, cfg ConnConfig) (*Result, error) {
	if cfg.Mix.IsZero() {
		cfg.Mix = MustMix(map[model.OpKind]float64{model.OpRouteToServer: 1, model.OpRouteToTransport: 1})
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.SampleEvery == 0 {
		cfg.SampleEvery = 1
	}
	if cfg.ThinkDist == "" {
		cfg.ThinkDist = ThinkFixed
	}
	if cfg.IDTag == "" {
		cfg.IDTag = "c"
	}
	if cfg.ConnectRetries == 0 {
		cfg.ConnectRetries = DefaultConnectRetries
	}
	if cfg.ConnectBackoff <= 0 {
		cfg.ConnectBackoff = DefaultConnectBackoff
	}
	keys, _ := NewKeyGen(cfg.ServerKeys, cfg.Servers)
	ids := newIDTable(cfg.Servers, 0)
	shards := make([]shard, 4*runtime.GOMAXPROCS(0))
	for i := range shards {
		shards[i].rec = newRecorder(cfg.Partitions)
	}
	res := &Result{Driver: "connections", LatencyBasis: LatencyService, Workers: cfg.Connections,
		SampleEvery: cfg.SampleEvery, TimerCost: MeasureTimerCost(1 << 14)}

	var (
		connected, finished sync.WaitGroup
		startGate           = make(chan struct{})
		steadyGate          = make(chan struct{})
		stop                = make(chan struct{})
		stopOnce            sync.Once
	)
	stopAll := func() { stopOnce.Do(func() { close(stop) }) }
	cancelHook := context.AfterFunc(ctx, stopAll)
	defer cancelHook()

	record := func(sh *shard, k model.OpKind, code model.Code, id string, d time.Duration, timed bool) {
		sh.mu.Lock()
		sh.rec.count(k, code)
		if timed {
			sh.rec.latency(k, d)
		}
		if cfg.PartitionOf != nil && id != "" {
			sh.rec.parts[cfg.PartitionOf(id)]++
		}
		sh.mu.Unlock()
	}
	for i := range cfg.Connections {
		connected.Add(1)
		finished.Add(1)
		go func() {
			defer finished.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
			sh := &shards[i%len(shards)]
			sid := ids.servers[keys.Stream(rng, i).Next()]
			tid := "conn_" + cfg.IDTag + strconv.Itoa(i)
			owner := ownerFor(i, 0)
			sampleIn := 1 + i%cfg.SampleEvery
			op := func(k model.OpKind, f func() error) error {
				sampleIn--
				timed := sampleIn == 0
				if timed {
					sampleIn = cfg.SampleEvery
				}
				t0 := time.Now()
				err := f()
				d := time.Since(t0)
				id := tid
				if k == model.OpRouteToServer || k == model.OpFindServer || k == model.OpBroadcast {
					id = sid
				}
				record(sh, k, model.CodeOf(err), id, d, timed)
				return err
			}
			<-startGate
			backoff := cfg.ConnectBackoff
			for attempt := 0; ; attempt++ {
				err := op(model.OpRegisterTransport, func() error {
					return cfg.Registry.RegisterTransport(tid, owner, model.NopHandler, "", "")
				})
				if !errors.Is(err, model.ErrOverloaded) || attempt >= cfg.ConnectRetries {
					break
				}
				select {
				case <-stop:
				case <-time.After(time.Duration((0.5 + rng.Float64()) * float64(backoff))):
				}
				backoff = min(2*backoff, 64*cfg.ConnectBackoff)
			}
			_ = op(model.OpBind, func() error { return cfg.Registry.BindTransportToServer(tid, sid) })
			connected.Done()
			<-steadyGate
			think := func() time.Duration {
				if cfg.ThinkDist == ThinkExponential {
					return time.Duration(rng.ExpFloat64() * float64(cfg.Think))
				}
				return cfg.Think
			}
			timer := time.NewTimer(time.Duration(rng.Float64() * float64(cfg.Think)))
			defer timer.Stop()
		steady:
			for {
				select {
				case <-stop:
					break steady
				case <-timer.C:
				}
				switch k := cfg.Mix.Pick(rng); k {
				case model.OpRouteToServer:
					_ = op(k, func() error { return cfg.Registry.RouteToServer(sid, nil) })
				case model.OpRouteToTransport:
					_ = op(k, func() error { return cfg.Registry.RouteToTransport(tid, nil) })
				case model.OpServerForTransport:
					_ = op(k, func() error { _, err := cfg.Registry.ServerForTransport(tid); return err })
				case model.OpFindServer:
					_ = op(k, func() error { _, err := cfg.Registry.FindServer(sid); return err })
				case model.OpFindTransport:
					_ = op(k, func() error { _, err := cfg.Registry.FindTransport(tid); return err })
				case model.OpBroadcast:
					_ = op(k, func() error { _, err := cfg.Registry.Broadcast(sid, nil); return err })
				}
				timer.Reset(think())
			}
			_ = op(model.OpUnregisterTransport, func() error { return cfg.Registry.UnregisterTransport(tid) })
		}()
	}

	shardOps := func() int64 {
		var n int64
		for i := range shards {
			shards[i].mu.Lock()
			for _, c := range shards[i].rec.ops {
				n += c
			}
			shards[i].mu.Unlock()
		}
		return n
	}
	start := time.Now()
	seriesDone := make(chan struct{})
	allDone := make(chan struct{})
	var ticks []Tick
	if cfg.SeriesInterval > 0 {
		go func() {
			defer close(seriesDone)
			ticks = sampleSeries(start, cfg.SeriesInterval, cfg.Probes, shardOps, allDone)
		}()
	} else {
		close(seriesDone)
	}
	close(startGate)
	connected.Wait()
	connectElapsed := time.Since(start)
	connectOps := shardOps()

	steadyStart := time.Now()
	timer := time.AfterFunc(cfg.Duration, stopAll)
	close(steadyGate)
	<-stop
	timer.Stop()
	steadyElapsed := time.Since(steadyStart)
	steadyOps := shardOps() - connectOps

	finished.Wait()
	disconnectElapsed := time.Since(steadyStart) - steadyElapsed
	close(allDone)
	<-seriesDone

	rcs := make([]*recorder, len(shards))
	for i := range shards {
		rcs[i] = shards[i].rec
	}
	mergeRecorders(res, cfg.Partitions, rcs)
	total := res.Ops
	res.Phases = []Phase{
		{Name: "connect", Elapsed: connectElapsed, Ops: connectOps},
		{Name: "steady", Elapsed: steadyElapsed, Ops: steadyOps},
		{Name: "disconnect", Elapsed: disconnectElapsed, Ops: total - connectOps - steadyOps},
	}
	res.Ops, res.Elapsed = steadyOps, steadyElapsed
	if steadyElapsed > 0 {
		res.Throughput = float64(steadyOps) / steadyElapsed.Seconds()
	}
	res.SeriesInterval = cfg.SeriesInterval
	res.ProbeNames = probeNames(cfg.Probes)
	res.Series = ticks
	return res, ctx.Err()
}
