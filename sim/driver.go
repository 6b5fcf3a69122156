package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardlab/shardlab/model"
)

// Defaults and limits for Config.
const (
	// DefaultMaxLivePerWorker bounds the registrations one worker keeps
	// alive. Beyond it, a registration is preceded by an unregistration of
	// the worker's oldest entry (recorded as its own op), so a 30-second
	// write-heavy run at millions of ops/s does not grow the registry by
	// tens of millions of entries and end up measuring map growth.
	DefaultMaxLivePerWorker = 10_000
	// MaxWorkers bounds workers and connections (goroutines).
	MaxWorkers = 1_000_000
	// batchOps: a closed-loop worker draws the kinds and keys of this many
	// ops at once, then issues them; it publishes its op count for the
	// time series and checks the stop flag once per batch, so the hot loop
	// touches shared memory rarely and stops at most batchOps-1 ops (plus
	// churn) after the flag is raised. The open loop publishes at the same
	// interval.
	batchOps = 64
	// DefaultMinSamples is the number of latencies an op-count run aims to
	// record (see Config.MinSamples).
	DefaultMinSamples = 20_000
)

// Group is a set of workers running one mix over one key distribution.
type Group struct {
	Name    string
	Workers int
	Mix     Mix
	Keys    Keys
}

// Probe is a value read at every tick of the time series, e.g. the number
// of alarmed partitions.
type Probe struct {
	Name string
	Read func() float64
}

// Config configures ClosedLoop and OpenLoop.
type Config struct {
	Registry model.Registry
	// Seed derives every worker's PCG: worker i uses rand.NewPCG(Seed, i+1).
	Seed   uint64
	Groups []Group
	// Servers and Transports are the key spaces read-style ops draw from:
	// server_0..server_(Servers-1) and likewise transports, which the
	// caller preloaded (see Preload).
	Servers, Transports int
	// Duration and OpsPerWorker stop each worker at whichever comes first;
	// at least one must be set. OpenLoop needs Duration.
	Duration     time.Duration
	OpsPerWorker int64
	// Rate is OpenLoop's target in ops/s over all workers.
	Rate float64
	// SampleEvery records latency for one op in SampleEvery per worker
	// (default 1: every op). Every op is counted regardless.
	SampleEvery int
	// MinSamples (closed loop in op-count mode, Duration 0): SampleEvery
	// is lowered, when needed, so that at least this many latencies are
	// recorded: every = max(1, min(SampleEvery, workers x OpsPerWorker /
	// MinSamples)). 0 leaves SampleEvery as given. Result.SampleEvery is
	// the rate used. A duration run cannot know its op count in advance
	// and keeps SampleEvery.
	MinSamples int
	// MaxLivePerWorker: see DefaultMaxLivePerWorker.
	MaxLivePerWorker int
	// IDTag distinguishes the IDs this run registers from an earlier run's
	// on the same registry ("w" when empty): worker i registers
	// server_<tag><i>_<n>.
	IDTag string
	// PartitionOf and Partitions enable per-partition op counts.
	PartitionOf func(id string) int
	Partitions  int
	// SeriesInterval enables the throughput time series; Probes are read
	// at every tick.
	SeriesInterval time.Duration
	Probes         []Probe

	_ struct{}
}

func (c *Config) validate(driver string) error {
	if c.Registry == nil {
		return fmt.Errorf("%w: registry is nil", ErrConfig)
	}
	if len(c.Groups) == 0 {
		return fmt.Errorf("%w: no worker groups", ErrConfig)
	}
	total := 0
	for i, g := range c.Groups {
		if g.Workers < 1 || g.Workers > MaxWorkers {
			return fmt.Errorf("%w: groups[%d].workers = %d (want 1..%d)", ErrConfig, i, g.Workers, MaxWorkers)
		}
		if g.Mix.IsZero() {
			return fmt.Errorf("%w: groups[%d].mix is empty", ErrConfig, i)
		}
		if err := needsKeys(g.Mix, c.Servers, c.Transports); err != nil {
			return fmt.Errorf("%w: groups[%d]: %w", ErrConfig, i, err)
		}
		total += g.Workers
	}
	if total > MaxWorkers {
		return fmt.Errorf("%w: %d workers in all (want <= %d)", ErrConfig, total, MaxWorkers)
	}
	if c.Servers < 0 || c.Transports < 0 || c.Servers > math.MaxInt32 || c.Transports > math.MaxInt32 {
		return fmt.Errorf("%w: servers %d, transports %d (want 0..%d)", ErrConfig, c.Servers, c.Transports, math.MaxInt32)
	}
	if c.Duration < 0 || c.OpsPerWorker < 0 {
		return fmt.Errorf("%w: duration %v, ops per worker %d (want >= 0)", ErrConfig, c.Duration, c.OpsPerWorker)
	}
	if c.Duration == 0 && (c.OpsPerWorker == 0 || driver == "open") {
		return fmt.Errorf("%w: %s loop needs a duration%s", ErrConfig, driver, map[bool]string{true: "", false: " or an op count"}[driver == "open"])
	}
	if driver == "open" && !(c.Rate > 0) {
		return fmt.Errorf("%w: open loop rate %v (want > 0 ops/s)", ErrConfig, c.Rate)
	}
	if c.SampleEvery < 0 || c.MinSamples < 0 || c.MaxLivePerWorker < 0 || c.SeriesInterval < 0 {
		return fmt.Errorf("%w: sample_every %d, min samples %d, max live %d, series interval %v (want >= 0)", ErrConfig, c.SampleEvery, c.MinSamples, c.MaxLivePerWorker, c.SeriesInterval)
	}
	if (c.PartitionOf == nil) != (c.Partitions == 0) || c.Partitions < 0 {
		return fmt.Errorf("%w: PartitionOf and Partitions (%d) go together", ErrConfig, c.Partitions)
	}
	return nil
}

// NeedsPreload reports a mix that would draw servers or transports from an
// empty key space with this preload: what every driver refuses at start,
// for callers that validate a spec before running it.
func (m Mix) NeedsPreload(servers, transports int) error { return needsKeys(m, servers, transports) }

// needsKeys reports a mix that draws servers or transports from an empty
// key space.
func needsKeys(m Mix, servers, transports int) error {
	for _, k := range m.kinds {
		switch k {
		case model.OpFindServer, model.OpRouteToServer, model.OpBroadcast, model.OpBind:
			if servers == 0 {
				return fmt.Errorf("mix uses %s but no servers are preloaded (servers = 0)", k)
			}
		}
		switch k {
		case model.OpFindTransport, model.OpRouteToTransport, model.OpServerForTransport, model.OpBind, model.OpUnbind:
			if transports == 0 {
				return fmt.Errorf("mix uses %s but no transports are preloaded (transports = 0)", k)
			}
		}
	}
	return nil
}

// idQueue is a worker's live registrations, oldest first.
type idQueue struct {
	ids  []string
	head int
}

func (q *idQueue) len() int { return len(q.ids) - q.head }
func (q *idQueue) push(id string) {
	if q.head > 0 && q.head >= len(q.ids)/2 {
		q.ids = append(q.ids[:0], q.ids[q.head:]...)
		q.head = 0
	}
	q.ids = append(q.ids, id)
}
func (q *idQueue) pop() (string, bool) {
	if q.len() == 0 {
		return "", false
	}
	id := q.ids[q.head]
	q.ids[q.head] = ""
	q.head++
	return id, true
}
func (q *idQueue) reset() { q.ids, q.head = q.ids[:0], 0 }

// worker issues ops for one goroutine of a closed or open loop.
type worker struct {
	reg model.Registry
	ids *idTable
	rec *recorder
	mix Mix
	rng *rand.Rand
	// single is the mix's only kind (0 when it has several): no draw
	// picks a kind then.
	single      model.OpKind
	servers     *KeyStream
	transports  *KeyStream
	index       int
	owner       model.Owner
	incarnation uint64
	maxLive     int
	tag         []byte // server_/transport_ IDs are built from it
	seq         int64
	liveS       idQueue
	liveT       idQueue
	partitionOf func(string) int
	idBuf       []byte
	// The current batch: op j is kinds[j] (or single) on server
	// sKeys[j] and transport tKeys[j], where its kind takes them.
	kinds        [batchOps]model.OpKind
	sKeys, tKeys [batchOps]int32
	batchIDs     [batchOps]string // readBatch's IDs, looked up together
}

// ownerFor gives worker i, incarnation n an owner no other worker or the
// preload uses.
func ownerFor(i int, n uint64) model.Owner {
	return model.Owner(uint64(i+2) | n<<32)
}

func (w *worker) freshID(prefix string) string {
	w.seq++
	b := append(w.idBuf[:0], prefix...)
	b = append(b, w.tag...)
	b = strconv.AppendInt(b, int64(w.index), 10)
	b = append(b, '_')
	b = strconv.AppendInt(b, w.seq, 10)
	w.idBuf = b
	return string(b)
}

// missingID is an ID no run registers: unregistering it is a clean miss.
const missingID = "missing_entry"

// drawKeys draws the keys op j of kind k takes, in the order do uses
// them (a bind's transport before its server).
func (w *worker) drawKeys(k model.OpKind, j int) {
	switch k {
	case model.OpFindServer, model.OpRouteToServer, model.OpBroadcast:
		w.sKeys[j] = int32(w.servers.Next())
	case model.OpFindTransport, model.OpUnbind, model.OpServerForTransport, model.OpRouteToTransport:
		w.tKeys[j] = int32(w.transports.Next())
	case model.OpBind:
		w.tKeys[j] = int32(w.transports.Next())
		w.sKeys[j] = int32(w.servers.Next())
	}
}

// draw plans the next n ops (n <= batchOps). It consumes the worker's
// random numbers exactly as drawing each op's kind and then its keys one
// op at a time would, so a seed replays the same ops however they are
// batched.
func (w *worker) draw(n int) {
	switch w.single {
	case 0:
		for j := range n {
			k := w.mix.Pick(w.rng)
			w.kinds[j] = k
			w.drawKeys(k, j)
		}
	case model.OpFindServer, model.OpRouteToServer, model.OpBroadcast:
		w.servers.fill(w.sKeys[:n])
	case model.OpFindTransport, model.OpUnbind, model.OpServerForTransport, model.OpRouteToTransport:
		w.transports.fill(w.tKeys[:n])
	default:
		for j := range n {
			w.drawKeys(w.single, j)
		}
	}
}

// do performs op j of the batch, of kind k, and returns its outcome and
// the ID it touched first ("" when it has none).
func (w *worker) do(k model.OpKind, j int) (model.Code, string) {
	var (
		err error
		id  string
	)
	r := w.reg
	switch k {
	case model.OpRegisterServer:
		id = w.freshID("server_")
		if err = r.RegisterServer(id, w.owner, model.NopHandler, ""); err == nil {
			w.liveS.push(id)
		}
	case model.OpRegisterTransport:
		id = w.freshID("transport_")
		if err = r.RegisterTransport(id, w.owner, model.NopHandler, "", ""); err == nil {
			w.liveT.push(id)
		}
	case model.OpUnregisterServer:
		var ok bool
		if id, ok = w.liveS.pop(); !ok {
			id = missingID
		}
		err = r.UnregisterServer(id)
	case model.OpUnregisterTransport:
		var ok bool
		if id, ok = w.liveT.pop(); !ok {
			id = missingID
		}
		err = r.UnregisterTransport(id)
	case model.OpFindServer:
		id = w.ids.servers[w.sKeys[j]]
		_, err = r.FindServer(id)
	case model.OpFindTransport:
		id = w.ids.transports[w.tKeys[j]]
		_, err = r.FindTransport(id)
	case model.OpListServers:
		_ = r.ListServers()
	case model.OpListTransports:
		_ = r.ListTransports()
	case model.OpBind:
		id = w.ids.transports[w.tKeys[j]]
		err = r.BindTransportToServer(id, w.ids.servers[w.sKeys[j]])
	case model.OpUnbind:
		id = w.ids.transports[w.tKeys[j]]
		err = r.UnbindTransport(id)
	case model.OpServerForTransport:
		id = w.ids.transports[w.tKeys[j]]
		_, err = r.ServerForTransport(id)
	case model.OpRouteToServer:
		id = w.ids.servers[w.sKeys[j]]
		err = r.RouteToServer(id, nil)
	case model.OpRouteToTransport:
		id = w.ids.transports[w.tKeys[j]]
		err = r.RouteToTransport(id, nil)
	case model.OpBroadcast:
		id = w.ids.servers[w.sKeys[j]]
		_, err = r.Broadcast(id, nil)
	case model.OpOwnerDown:
		_, err = r.OwnerDown(w.owner)
		w.liveS.reset()
		w.liveT.reset()
		w.incarnation++
		w.owner = ownerFor(w.index, w.incarnation)
	}
	if err == nil {
		return model.CodeOK, id
	}
	return model.CodeOf(err), id
}

// churnFirst returns the unregistration that must precede a registration
// of kind k to keep the worker under its live cap, or 0.
func (w *worker) churnFirst(k model.OpKind) model.OpKind {
	switch {
	case k == model.OpRegisterServer && w.liveS.len() >= w.maxLive:
		return model.OpUnregisterServer
	case k == model.OpRegisterTransport && w.liveT.len() >= w.maxLive:
		return model.OpUnregisterTransport
	}
	return 0
}

func (w *worker) countPartition(id string) {
	if w.partitionOf != nil && id != "" {
		w.rec.parts[w.partitionOf(id)]++
	}
}

// paddedCount is a worker's published op count, alone on its cache lines.
type paddedCount struct {
	n atomic.Int64
	_ [120]byte
}

// run is the state ClosedLoop and OpenLoop share.
type run struct {
	cfg       Config
	workers   []*worker
	published []paddedCount
	stop      atomic.Bool
	start     time.Time
}

func newRun(cfg Config) *run {
	if cfg.SampleEvery == 0 {
		cfg.SampleEvery = 1
	}
	if cfg.MaxLivePerWorker == 0 {
		cfg.MaxLivePerWorker = DefaultMaxLivePerWorker
	}
	if cfg.IDTag == "" {
		cfg.IDTag = "w"
	}
	ids := newIDTable(cfg.Servers, cfg.Transports)
	ru := &run{cfg: cfg}
	index := 0
	for _, g := range cfg.Groups {
		sg, _ := NewKeyGen(g.Keys, max(cfg.Servers, 1))
		tg, _ := NewKeyGen(g.Keys, max(cfg.Transports, 1))
		for range g.Workers {
			pcg := rand.NewPCG(cfg.Seed, uint64(index)+1)
			rng := rand.New(pcg)
			total := totalWorkers(cfg.Groups)
			w := &worker{
				reg:         cfg.Registry,
				ids:         ids,
				rec:         newRecorder(cfg.Partitions),
				mix:         g.Mix,
				rng:         rng,
				servers:     sg.Stream(rng, index*max(cfg.Servers, 1)/total),
				transports:  tg.Stream(rng, index*max(cfg.Transports, 1)/total),
				index:       index,
				owner:       ownerFor(index, 0),
				maxLive:     cfg.MaxLivePerWorker,
				tag:         []byte(cfg.IDTag),
				partitionOf: cfg.PartitionOf,
			}
			w.servers.pcg, w.transports.pcg = pcg, pcg
			if len(g.Mix.kinds) == 1 {
				w.single = g.Mix.kinds[0]
			}
			ru.workers = append(ru.workers, w)
			index++
		}
	}
	ru.published = make([]paddedCount, len(ru.workers))
	return ru
}

func totalWorkers(gs []Group) int {
	n := 0
	for _, g := range gs {
		n += g.Workers
	}
	return n
}

// validateKeys checks each group's distribution before any goroutine starts.
func validateKeys(gs []Group) error {
	for i, g := range gs {
		if _, err := NewKeyGen(g.Keys, 1); err != nil {
			return fmt.Errorf("groups[%d].keys: %w", i, err)
		}
	}
	return nil
}

// series samples published op counts and probes every interval until done
// is closed, then takes a last, partial tick.
func sampleSeries(start time.Time, interval time.Duration, probes []Probe, total func() int64, done <-chan struct{}) []Tick {
	var ticks []Tick
	prev := int64(0)
	take := func() {
		now := total()
		t := Tick{At: time.Since(start), Ops: now - prev}
		prev = now
		for _, p := range probes {
			t.Probes = append(t.Probes, p.Read())
		}
		ticks = append(ticks, t)
	}
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		select {
		case <-tk.C:
			take()
		case <-done:
			take()
			return ticks
		}
	}
}

func probeNames(ps []Probe) []string {
	var ns []string
	for _, p := range ps {
		ns = append(ns, p.Name)
	}
	return ns
}

// ClosedLoop runs every worker flat out, each issuing its next op as soon
// as the previous one returns, until Duration passes or it has done
// OpsPerWorker ops. Latency is service time. Cancelling ctx stops the
// workers early; the partial result comes back with ctx's error.
//
// A worker plans batchOps ops at a time (kinds and keys from its PCG, the
// same draws as one at a time), then issues them; it checks the stop
// flag between batches, so it may run up to batchOps-1 ops past the
// Duration. Those ops are counted and Elapsed runs until the last worker
// has stopped, so Throughput stays completed ops over the time they took.
func ClosedLoop(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate("closed"); err != nil {
		return nil, err
	}
	if err := validateKeys(cfg.Groups); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if cfg.Duration == 0 && cfg.MinSamples > 0 {
		every := max(cfg.SampleEvery, 1)
		total := cfg.OpsPerWorker * int64(totalWorkers(cfg.Groups))
		cfg.SampleEvery = int(max(1, min(int64(every), total/int64(cfg.MinSamples))))
	}
	ru := newRun(cfg)
	cfg = ru.cfg
	res := &Result{Driver: "closed", LatencyBasis: LatencyService, Workers: len(ru.workers),
		SampleEvery: cfg.SampleEvery, TimerCost: MeasureTimerCost(1 << 14)}
	return ru.execute(ctx, res, func(w *worker, slot *paddedCount) {
		w.closedLoop(&ru.stop, cfg.OpsPerWorker, cfg.SampleEvery, ru.start, slot)
	})
}

// closedLoop is one closed-loop worker: batches of planned ops until stop
// is raised or limit ops (0: no limit) were issued.
func (w *worker) closedLoop(stop *atomic.Bool, limit int64, every int, base time.Time, slot *paddedCount) {
	sampleIn := 1
	var issued, done int64 // done also counts churn unregistrations
	for (limit == 0 || issued < limit) && !stop.Load() {
		n := batchOps
		if limit > 0 {
			n = int(min(int64(n), limit-issued))
		}
		w.draw(n)
		if isRead(w.single) {
			w.readBatch(w.single, n, &sampleIn, every, base)
			done += int64(n)
		} else {
			for j := range n {
				k := w.single
				if k == 0 {
					k = w.kinds[j]
				}
				if c := w.churnFirst(k); c != 0 {
					w.timed(c, j, &sampleIn, every, base)
					done++
				}
				w.timed(k, j, &sampleIn, every, base)
				done++
			}
		}
		issued += int64(n)
		slot.n.Store(done)
	}
}

// isRead reports the kinds readBatch issues: one preloaded key, no
// worker state.
func isRead(k model.OpKind) bool {
	switch k {
	case model.OpFindServer, model.OpFindTransport, model.OpRouteToServer, model.OpRouteToTransport, model.OpServerForTransport:
		return true
	}
	return false
}

// readBatch issues the batch's n ops of read kind k: the lookup and
// routing scenarios' hot loop. It samples, times and counts exactly as
// timed does, with the per-op work cut to the call itself: successes are
// counted once per batch and only a failure classifies its error.
func (w *worker) readBatch(k model.OpKind, n int, sampleIn *int, every int, base time.Time) {
	r, ids := w.reg, w.batchIDs[:n]
	// Independent loads in a tight loop overlap their cache misses.
	if k == model.OpFindServer || k == model.OpRouteToServer {
		for j := range ids {
			ids[j] = w.ids.servers[w.sKeys[j]]
		}
	} else {
		for j := range ids {
			ids[j] = w.ids.transports[w.tKeys[j]]
		}
	}
	ok := int64(0)
	for _, id := range ids {
		*sampleIn--
		timed := *sampleIn == 0
		var t0 time.Duration
		if timed {
			*sampleIn = every
			t0 = time.Since(base)
		}
		var err error
		switch k {
		case model.OpFindServer:
			_, err = r.FindServer(id)
		case model.OpFindTransport:
			_, err = r.FindTransport(id)
		case model.OpRouteToServer:
			err = r.RouteToServer(id, nil)
		case model.OpRouteToTransport:
			err = r.RouteToTransport(id, nil)
		case model.OpServerForTransport:
			_, err = r.ServerForTransport(id)
		}
		if timed {
			w.rec.latency(k, time.Since(base)-t0)
			w.countPartition(id)
		}
		if err == nil {
			ok++
		} else {
			w.rec.codes[k][model.CodeOf(err)]++
		}
	}
	w.rec.ops[k] += int64(n)
	w.rec.codes[k][model.CodeOK] += ok
}

// timed performs op j of the batch as kind k, timing it when its turn in
// the sampling comes. A timing is two monotonic clock reads against base
// (time.Since of a time with a monotonic reading reads one clock).
func (w *worker) timed(k model.OpKind, j int, sampleIn *int, every int, base time.Time) {
	*sampleIn--
	if *sampleIn == 0 {
		*sampleIn = every
		t0 := time.Since(base)
		code, id := w.do(k, j)
		d := time.Since(base) - t0
		w.rec.latency(k, d)
		w.rec.count(k, code)
		w.countPartition(id)
		return
	}
	code, _ := w.do(k, j)
	w.rec.count(k, code)
}

// execute starts the workers together, stops them after Duration (or on
// ctx), samples the series, and merges what they recorded.
func (ru *run) execute(ctx context.Context, res *Result, body func(*worker, *paddedCount)) (*Result, error) {
	cfg := ru.cfg
	var wg sync.WaitGroup
	startGate := make(chan struct{})
	for i, w := range ru.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startGate
			body(w, &ru.published[i])
		}()
	}
	stopOnCancel := context.AfterFunc(ctx, func() { ru.stop.Store(true) })
	defer stopOnCancel()
	done := make(chan struct{})
	var ticks []Tick
	seriesDone := make(chan struct{})
	ru.start = time.Now()
	if cfg.SeriesInterval > 0 {
		go func() {
			defer close(seriesDone)
			ticks = sampleSeries(ru.start, cfg.SeriesInterval, cfg.Probes, ru.publishedTotal, done)
		}()
	} else {
		close(seriesDone)
	}
	var timer *time.Timer
	if cfg.Duration > 0 {
		timer = time.AfterFunc(cfg.Duration, func() { ru.stop.Store(true) })
	}
	close(startGate)
	wg.Wait()
	res.Elapsed = time.Since(ru.start)
	if timer != nil {
		timer.Stop()
	}
	close(done)
	<-seriesDone
	rcs := make([]*recorder, len(ru.workers))
	for i, w := range ru.workers {
		rcs[i] = w.rec
	}
	mergeRecorders(res, cfg.Partitions, rcs)
	if res.Elapsed > 0 {
		res.Throughput = float64(res.Ops) / res.Elapsed.Seconds()
	}
	res.SeriesInterval = cfg.SeriesInterval
	res.ProbeNames = probeNames(cfg.Probes)
	res.Series = ticks
	return res, ctx.Err()
}

func (ru *run) publishedTotal() int64 {
	var n int64
	for i := range ru.published {
		n += ru.published[i].n.Load()
	}
	return n
}

// openLoopGrace is how long past Duration an open loop keeps issuing ops
// that were due before the end, so a registry that fell behind is measured
// on its backlog rather than abandoned; what is still unissued then counts
// as Missed.
func openLoopGrace(d time.Duration) time.Duration { return d/2 + time.Second }

// OpenLoop issues ops at Rate ops/s in all, spread evenly over the
// workers: worker i of W issues its j-th op at the intended time
// (i/W + j) * W/Rate from the start, whether or not earlier ops have
// returned, and records latency from the intended start (or from the
// actual start, if it went early) to the end. A worker that falls behind
// issues its overdue ops back to back. Ops due before Duration are
// issued; the Result reports the achieved rate (Throughput) beside
// TargetRate, and the ops still unissued at the hard stop as Missed.
func OpenLoop(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate("open"); err != nil {
		return nil, err
	}
	if err := validateKeys(cfg.Groups); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	cfg.SampleEvery = 1 // the clock is read for every op anyway
	ru := newRun(cfg)
	cfg = ru.cfg
	res := &Result{Driver: "open", LatencyBasis: LatencyIntended, Workers: len(ru.workers),
		SampleEvery: 1, TimerCost: MeasureTimerCost(1 << 14), TargetRate: cfg.Rate}
	nw := float64(len(ru.workers))
	intervalNs := nw / cfg.Rate * 1e9
	var missed atomic.Int64
	hardStop := time.AfterFunc(cfg.Duration+openLoopGrace(cfg.Duration), func() { ru.stop.Store(true) })
	defer hardStop.Stop()
	// execute's own Duration timer would stop issuing at Duration even for
	// ops that were due earlier; the open loop stops by schedule instead.
	durationForSchedule := cfg.Duration
	ru.cfg.Duration = 0
	out, err := ru.execute(ctx, res, func(w *worker, slot *paddedCount) {
		phase := float64(w.index) / nw * intervalNs
		// Ops j with phase + j*interval < Duration are due within the run.
		scheduled := int64(0)
		if span := float64(durationForSchedule) - phase; span > 0 {
			scheduled = int64(math.Ceil(span / intervalNs))
		}
		var j, done int64
		for ; j < scheduled && (cfg.OpsPerWorker == 0 || j < cfg.OpsPerWorker); j++ {
			if ru.stop.Load() {
				break
			}
			intended := time.Duration(phase + float64(j)*intervalNs)
			waitUntil(ru.start, intended, &ru.stop)
			k := w.mix.Pick(w.rng)
			w.drawKeys(k, 0)
			if c := w.churnFirst(k); c != 0 {
				w.openOp(c, intended, ru.start)
				done++
			}
			w.openOp(k, intended, ru.start)
			done++
			if done%batchOps == 0 {
				slot.n.Store(done)
			}
		}
		slot.n.Store(done)
		if cfg.OpsPerWorker > 0 {
			scheduled = min(scheduled, cfg.OpsPerWorker)
		}
		missed.Add(scheduled - j)
	})
	if out != nil {
		out.Missed = missed.Load()
	}
	return out, err
}

// Pacing: a sleeping goroutine wakes up to about a millisecond late on an
// idle Go runtime, and in an open loop that lateness is charged to the
// registry. So a worker sleeps only while the next op is more than
// spinBelow away, and then spins on the monotonic clock until it is due.
// Spinning costs a core per worker: open loops that need sub-millisecond
// pacing should run about one worker per core, each at a high rate.
const spinBelow = 2 * time.Millisecond

// waitUntil returns when intended (measured from start) has come, or when
// stop is set.
func waitUntil(start time.Time, intended time.Duration, stop *atomic.Bool) {
	for {
		wait := intended - time.Since(start)
		switch {
		case wait <= 0 || stop.Load():
			return
		case wait > spinBelow:
			time.Sleep(wait - spinBelow/2)
		}
	}
}

func (w *worker) openOp(k model.OpKind, intended time.Duration, start time.Time) {
	// Late: from the intended start, so queueing behind a stall counts.
	// Early (the sleep was skipped): from the actual start.
	began := min(time.Since(start), intended)
	code, id := w.do(k, 0)
	w.rec.latency(k, time.Since(start)-began)
	w.rec.count(k, code)
	w.countPartition(id)
}
