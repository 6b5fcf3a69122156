package capacity

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// The engine is a plain discrete-event simulation: one clock (float64
// ns), one event heap ordered by (time, sequence number) so that ties
// resolve the same way every run, one PCG from the seed, consumed in event
// order. A worker is a goroutine of the modelled program (a closed-loop
// worker, a connection, an open-loop worker); it alternates CPU segments,
// which need one of the Cores, with waits that do not (a lock, a think
// time, an arrival). An op is:
//
//	overhead + (1-f) s  on a core   (the driver's own work, then the call
//	                                 up to its first lock; timed from the
//	                                 end of the overhead)
//	lock(s)             off core    (as Go's sync.Mutex: a waiter parks in
//	                                 FIFO order and gives its core up; a
//	                                 release frees the lock and wakes the
//	                                 head waiter, which runs Handoff later,
//	                                 once it wins a core, and retries: a
//	                                 running worker may take the lock
//	                                 first (barging), and the loser goes
//	                                 back to the head of the queue; a
//	                                 waiter parked for starvationNs or more
//	                                 is handed the lock directly)
//	f s                 on a core   (holding the lock(s))
//
// with s drawn from the kind's service distribution and f its hold
// fraction (0 for reads, which take no lock). A worker keeps its core from
// op to op until it waits or its Quantum has run out while others are
// runnable; the check happens between segments, so a lock holder can be
// preempted, as in Go.

type evKind uint8

const (
	evSegment evKind = iota // a worker's CPU segment ends
	evWake                  // a worker becomes runnable (lock hand-off, think over)
	evArrival               // an open-loop arrival
	evSpin                  // a spinning worker gives up and parks
)

type event struct {
	t   float64
	seq uint64
	w   int32
	k   evKind
	gen uint32 // evSpin: the spin it ends (stale when the worker's spin moved on)
}

// eventHeap is a binary min-heap on (t, seq), written out so that pushes
// and pops neither allocate nor go through interfaces.
type eventHeap []event

func (h eventHeap) less(i, j int) bool {
	return h[i].t < h[j].t || (h[i].t == h[j].t && h[i].seq < h[j].seq)
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *eventHeap) pop() event {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// ring is a FIFO of int32 (run queue, lock waiters, idle workers) or,
// for arrivals, float64; it grows by doubling.
type ring[T any] struct {
	buf        []T
	head, size int
}

func (q *ring[T]) push(v T) {
	if q.size == len(q.buf) {
		nb := make([]T, max(8, 2*len(q.buf)))
		for i := range q.size {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = v
	q.size++
}

func (q *ring[T]) pushFront(v T) {
	q.push(v) // makes room
	q.size--
	q.head = (q.head - 1 + len(q.buf)) % len(q.buf)
	q.buf[q.head] = v
	q.size++
}

func (q *ring[T]) pop() T {
	v := q.buf[q.head]
	q.head = (q.head + 1) % len(q.buf)
	q.size--
	return v
}

type phase uint8

const (
	phStart   phase = iota // about to begin an op (needs a core)
	phPre                  // running the op's part before its locks
	phAcquire              // taking its locks
	phHold                 // running with its locks held
)

type lock struct {
	owner   int32 // -1 when free
	spinner int32 // a worker spinning for it, or -1
	since   float64
	busy    float64
	waiters ring[int32]
}

type kindCost struct {
	service  Demand
	overhead float64
	hold     float64 // fraction
	rule     lockRule
}

type worker struct {
	ph         phase
	waitSince  float64 // when it first parked for the lock it is taking (-1: not waiting)
	retry      bool    // woken by a release to retry (requeues at the head)
	onCore     bool    // running (or spinning) on a core
	spinGen    uint32
	kind       model.OpKind
	seg        float64 // CPU time of the pending segment
	hold       float64 // CPU time to run with the locks held
	locks      [2]int32
	nlocks     int8
	nheld      int8
	keyed      [2]int32 // per lock: key index (servers >= 0, transports encoded as -2-i), or -1
	start      float64  // the op's timed start (or arrival)
	lockAsked  float64
	quantumEnd float64
	runFrom    float64
	liveS      int
	liveT      int
	then       model.OpKind // a registration to do after this churn unregistration
	sleeping   bool         // a connection in its think time (its wake starts an op)
}

type engine struct {
	c       Config
	r       *rand.Rand
	now     float64
	seq     uint64
	events  eventHeap
	workers []worker
	free    int
	runq    ring[int32]
	locks   []lock
	costs   [32]kindCost
	sPart   []uint16
	tPart   []uint16
	missing [2]int32 // partitions of the miss IDs unregistrations fall back to
	sKeys   *sim.KeyStream
	tKeys   *sim.KeyStream
	handoff float64
	// yieldTo: waiters a release just handed a lock to directly (Go's
	// starvation mode); the releaser yields its core to the first.
	yieldTo []int32
	spin    float64
	wake    float64
	quantum float64

	// sleepers: connections thinking a fixed time wake in the order they
	// fell asleep, so a FIFO of (wake time, worker) replaces the heap for
	// them: with 100,000 connections that is most events.
	sleepT ring[float64]
	sleepW ring[int32]

	// open loop
	arrivals ring[float64]
	idle     ring[int32]
	gap      float64

	// measurement
	done, warm     int64
	measuring      bool
	tWarm          float64
	busy, busyWarm float64
	lockBusyWarm   []float64
	sHold, tHold   []float64
	lat, lockWait  *hdrhistogram.Histogram
	writes         int64
}

func newEngine(c Config) (*engine, error) {
	e := &engine{
		c:        c,
		r:        rand.New(rand.NewPCG(c.Seed, 0x5ca1ab1e)),
		free:     c.Cores,
		handoff:  c.Calibration.Handoff.Median,
		spin:     c.Calibration.Spin.Median,
		wake:     c.Calibration.Wake.Median,
		quantum:  float64(c.Quantum),
		lat:      sim.NewLatencyHistogram(),
		lockWait: sim.NewLatencyHistogram(),
	}
	for _, k := range c.Mix.Kinds() {
		if err := e.setCost(k); err != nil {
			return nil, err
		}
	}
	// A registration may bring its unregistration along (churn).
	for reg, unreg := range map[model.OpKind]model.OpKind{model.OpRegisterServer: model.OpUnregisterServer, model.OpRegisterTransport: model.OpUnregisterTransport} {
		if c.Mix.Fraction(reg) > 0 && e.costs[unreg].rule == lockNone {
			if err := e.setCost(unreg); err != nil {
				return nil, fmt.Errorf("mix: %s churns into %s: %w", reg, unreg, err)
			}
		}
	}
	p, err := partition.ByName(c.Partitioner, c.Partitions)
	if err != nil {
		return nil, fmt.Errorf("%w: partitioner: %w", ErrConfig, err)
	}
	e.sPart = make([]uint16, c.Servers)
	for i := range e.sPart {
		e.sPart[i] = uint16(p.Partition(sim.ServerID(i)))
	}
	e.tPart = make([]uint16, c.Transports)
	for i := range e.tPart {
		e.tPart[i] = uint16(p.Partition(sim.TransportID(i)))
	}
	e.missing = [2]int32{int32(p.Partition(missingID)), int32(p.Partition(missingID))}
	sg, err := sim.NewKeyGen(c.Keys, c.Servers)
	if err != nil {
		return nil, fmt.Errorf("%w: keys: %w", ErrConfig, err)
	}
	tg, err := sim.NewKeyGen(c.Keys, c.Transports)
	if err != nil {
		return nil, fmt.Errorf("%w: keys: %w", ErrConfig, err)
	}
	e.sKeys, e.tKeys = sg.Stream(e.r, 0), tg.Stream(e.r, c.Transports/2)
	e.sHold, e.tHold = make([]float64, c.Servers), make([]float64, c.Transports)
	e.locks = make([]lock, c.Partitions)
	for i := range e.locks {
		e.locks[i].owner, e.locks[i].spinner = -1, -1
	}
	e.lockBusyWarm = make([]float64, c.Partitions)
	return e, nil
}

// missingID is the ID sim's workers unregister when they have nothing
// live; the model locks its partition for such a miss, as the registry
// does.
const missingID = "missing_entry"

func (e *engine) setCost(k model.OpKind) error {
	kc, err := e.c.Calibration.Cost(k)
	if err != nil {
		return err
	}
	rule, _ := ruleOf(k)
	f := kc.HoldFraction.Median
	if rule == lockNone {
		f = 0
	}
	e.costs[k] = kindCost{service: kc.Service.Scaled(e.c.Scale), overhead: max(0, kc.Overhead.Median) * e.c.Scale, hold: f, rule: rule}
	return nil
}

func (e *engine) schedule(t float64, w int32, k evKind) {
	e.seq++
	e.events.push(event{t: t, seq: e.seq, w: w, k: k})
}

func (e *engine) run() (Result, error) {
	c := e.c
	switch {
	case c.Workers > 0:
		e.workers = make([]worker, c.Workers)
		for i := range e.workers {
			e.getCore(int32(i))
		}
	case c.Connections > 0:
		e.workers = make([]worker, c.Connections)
		for i := range e.workers {
			e.workers[i].sleeping = true
			// Each connection's first op comes after a uniform random
			// fraction of its think time, as in sim.Connections.
			e.schedule(e.r.Float64()*float64(c.Think), int32(i), evWake)
		}
	default:
		e.workers = make([]worker, c.OpenWorkers)
		for i := range e.workers {
			e.idle.push(int32(i))
		}
		e.gap = 1e9 / c.Rate
		e.schedule(e.nextGap(), -1, evArrival)
	}
	target := c.Warmup + c.Ops
	if c.Warmup == 0 {
		e.startMeasuring()
	}
	for e.done < target {
		if len(e.events) == 0 && e.sleepT.size == 0 {
			return Result{}, fmt.Errorf("capacity: simulation stalled at %.0f ns with %d of %d ops done (a bug)", e.now, e.done, target)
		}
		var ev event
		if e.sleepT.size > 0 && (len(e.events) == 0 || e.sleepT.buf[e.sleepT.head] < e.events[0].t) {
			ev = event{t: e.sleepT.pop(), w: e.sleepW.pop(), k: evWake}
		} else if len(e.events) > 0 {
			ev = e.events.pop()
		}
		e.now = ev.t
		switch ev.k {
		case evSegment:
			e.segmentEnd(ev.w)
		case evWake:
			e.woken(ev.w)
		case evArrival:
			e.arrival()
		case evSpin:
			e.spinEnd(ev.w, ev.gen)
		}
	}
	return e.result()
}

func (e *engine) nextGap() float64 {
	if e.c.Arrivals == ArrivalsPaced {
		return e.gap
	}
	return e.gap * e.r.ExpFloat64()
}

// getCore runs w now if a core is free, else queues it.
func (e *engine) getCore(w int32) {
	if e.free > 0 {
		e.free--
		e.workers[w].quantumEnd = e.now + e.quantum
		e.continueOn(w)
		return
	}
	e.runq.push(w)
}

// releaseCore gives the caller's core to the next runnable worker.
func (e *engine) releaseCore() {
	if e.runq.size > 0 {
		next := e.runq.pop()
		e.workers[next].quantumEnd = e.now + e.quantum
		e.continueOn(next)
		return
	}
	e.free++
}

// continueOn resumes w, which has a core, where it left off.
func (e *engine) continueOn(w int32) {
	wk := &e.workers[w]
	wk.onCore = true
	switch wk.ph {
	case phStart:
		e.startOp(w)
	case phAcquire:
		e.acquire(w)
	default:
		e.runSegment(w)
	}
}

// runSegment starts w's pending segment, unless w's quantum is spent and
// another worker wants the core.
func (e *engine) runSegment(w int32) {
	wk := &e.workers[w]
	if e.now >= wk.quantumEnd {
		if e.runq.size > 0 {
			wk.onCore = false
			e.runq.push(w)
			e.releaseCore()
			return
		}
		wk.quantumEnd = e.now + e.quantum
	}
	wk.runFrom = e.now
	e.schedule(e.now+wk.seg, w, evSegment)
}

// startOp draws w's next op and runs its first segment.
func (e *engine) startOp(w int32) {
	wk := &e.workers[w]
	k := wk.then
	wk.then = 0
	if k == 0 {
		k = e.c.Mix.Pick(e.r)
		switch {
		case k == model.OpRegisterServer && wk.liveS >= e.c.MaxLivePerWorker:
			k, wk.then = model.OpUnregisterServer, k
		case k == model.OpRegisterTransport && wk.liveT >= e.c.MaxLivePerWorker:
			k, wk.then = model.OpUnregisterTransport, k
		}
	}
	kc := &e.costs[k]
	s := kc.service.draw(e.r)
	wk.kind = k
	wk.hold = kc.hold * s
	untimed := kc.overhead
	if wk.sleeping {
		untimed += e.wake
		wk.sleeping = false
	}
	if e.c.Rate == 0 {
		wk.start = e.now + untimed
	}
	wk.seg = untimed + s - wk.hold
	wk.ph = phPre
	e.runSegment(w)
}

func (e *engine) segmentEnd(w int32) {
	wk := &e.workers[w]
	e.busy += e.now - wk.runFrom
	switch wk.ph {
	case phPre:
		if e.costs[wk.kind].rule == lockNone {
			e.complete(w)
			return
		}
		e.chooseLocks(w)
		wk.lockAsked = e.now
		wk.ph = phAcquire
		e.acquire(w)
	case phHold:
		for i := range wk.nlocks {
			e.release(wk.locks[i])
		}
		e.complete(w)
	}
}

// chooseLocks picks the partitions w's write locks, in ascending order,
// from the real partitioner's layout of the keys it draws.
func (e *engine) chooseLocks(w int32) {
	wk := &e.workers[w]
	wk.nlocks, wk.nheld = 1, 0
	wk.keyed = [2]int32{-1, -1}
	switch e.costs[wk.kind].rule {
	case lockFresh:
		wk.locks[0] = int32(e.r.IntN(e.c.Partitions))
		if wk.kind == model.OpRegisterServer {
			wk.liveS++
		} else {
			wk.liveT++
		}
	case lockOwn:
		live := &wk.liveT
		if wk.kind == model.OpUnregisterServer {
			live = &wk.liveS
		}
		if *live > 0 {
			*live--
			wk.locks[0] = int32(e.r.IntN(e.c.Partitions))
		} else {
			wk.locks[0] = e.missing[0]
		}
	case lockTransport:
		t := e.tKeys.Next()
		wk.locks[0], wk.keyed[0] = int32(e.tPart[t]), -2-int32(t)
	case lockBind:
		t, s := e.tKeys.Next(), e.sKeys.Next()
		tp, sp := int32(e.tPart[t]), int32(e.sPart[s])
		switch {
		case tp == sp:
			wk.locks[0], wk.keyed[0] = tp, -2-int32(t)
		case tp < sp:
			wk.nlocks = 2
			wk.locks, wk.keyed = [2]int32{tp, sp}, [2]int32{-2 - int32(t), int32(s)}
		default:
			wk.nlocks = 2
			wk.locks, wk.keyed = [2]int32{sp, tp}, [2]int32{int32(s), -2 - int32(t)}
		}
	}
}

// acquire takes w's remaining locks in order; at the first one held by
// another it parks w in that lock's FIFO and gives up the core.
func (e *engine) acquire(w int32) {
	wk := &e.workers[w]
	for wk.nheld < wk.nlocks {
		l := &e.locks[wk.locks[wk.nheld]]
		if l.owner >= 0 {
			// Go's sync.Mutex spins briefly before parking when another
			// P could be running the holder and nothing else waits for
			// this core (runtime_canSpin): with short holds, spinning
			// usually wins the lock and no convoy forms.
			if e.spin > 0 && e.c.Cores > 1 && e.runq.size == 0 && l.spinner < 0 && e.workers[l.owner].onCore {
				l.spinner = w
				wk.spinGen++
				wk.runFrom = e.now
				e.seq++
				e.events.push(event{t: e.now + e.spin, seq: e.seq, w: w, k: evSpin, gen: wk.spinGen})
				return
			}
			if wk.retry {
				l.waiters.pushFront(w)
			} else {
				l.waiters.push(w)
				wk.waitSince = e.now
			}
			wk.retry = false
			wk.onCore = false
			e.releaseCore()
			return
		}
		l.owner, l.since = w, e.now
		wk.nheld++
		wk.retry = false
	}
	if e.measuring {
		e.writes++
		e.lockWait.RecordValue(int64(e.now - wk.lockAsked + 0.5))
		for i := range wk.nlocks {
			if k := wk.keyed[i]; k >= 0 {
				e.sHold[k] += wk.hold
			} else if k <= -2 {
				e.tHold[-2-k] += wk.hold
			}
		}
	}
	wk.ph = phHold
	wk.seg = wk.hold
	e.runSegment(w)
}

// spinEnd: w spun for e.spin without the lock coming free; it parks.
func (e *engine) spinEnd(w int32, gen uint32) {
	wk := &e.workers[w]
	if wk.spinGen != gen {
		return // it got the lock meanwhile
	}
	wk.spinGen++
	e.busy += e.now - wk.runFrom
	l := &e.locks[wk.locks[wk.nheld]]
	l.spinner = -1
	if wk.retry {
		l.waiters.pushFront(w)
	} else {
		l.waiters.push(w)
		wk.waitSince = e.now - e.spin
	}
	wk.retry = false
	wk.onCore = false
	e.releaseCore()
}

// starvationNs: a sync.Mutex waiter that has waited this long switches
// the mutex to handing the lock over directly (Go's starvation mode).
const starvationNs = 1e6

// release frees partition p and wakes its head waiter to retry after the
// hand-off, or, when that waiter has starved, passes the lock to it.
func (e *engine) release(p int32) {
	l := &e.locks[p]
	if s := l.spinner; s >= 0 {
		// The spinner sees the lock free at once and takes it; the
		// parked waiters stay parked (the spinner set mutexWoken).
		l.spinner = -1
		l.busy += e.now - l.since
		l.owner, l.since = s, e.now
		sw := &e.workers[s]
		sw.spinGen++
		sw.nheld++
		sw.retry = false
		e.busy += e.now - sw.runFrom
		e.acquire(s)
		return
	}
	if l.waiters.size == 0 {
		l.busy += e.now - l.since
		l.owner = -1
		return
	}
	next := l.waiters.pop()
	nw := &e.workers[next]
	if e.now-nw.waitSince >= starvationNs {
		// Go hands the lock over and yields the releaser's P to the new
		// owner at once (semrelease with handoff), so a starved waiter
		// does not hold the lock while it queues for a core.
		l.owner = next
		nw.nheld++
		e.yieldTo = append(e.yieldTo, next)
		return
	}
	l.busy += e.now - l.since
	l.owner = -1
	nw.retry = true
	e.schedule(e.now+e.handoff, next, evWake)
}

// woken makes w runnable: a connection whose think is over queues for a
// core like any goroutine; a lock waiter woken by a release goes to the
// head of the run queue, as Go puts a goroutine it readies into its P's
// runnext slot, to run as soon as the running one blocks or is preempted.
func (e *engine) woken(w int32) {
	if e.workers[w].ph == phAcquire && e.free == 0 {
		e.runq.pushFront(w)
		return
	}
	e.getCore(w)
}

func (e *engine) arrival() {
	e.arrivals.push(e.now)
	e.schedule(e.now+e.nextGap(), -1, evArrival)
	if e.idle.size > 0 {
		w := e.idle.pop()
		e.workers[w].start = e.arrivals.pop()
		e.getCore(w)
	}
}

// complete records w's op and sets w on to its next.
func (e *engine) complete(w int32) {
	wk := &e.workers[w]
	if e.measuring {
		e.lat.RecordValue(max(1, int64(e.now-wk.start+0.5)))
	}
	e.done++
	if !e.measuring && e.done >= e.c.Warmup {
		e.startMeasuring()
	}
	wk.ph = phStart
	if len(e.yieldTo) > 0 {
		for _, y := range e.yieldTo[1:] {
			e.runq.pushFront(y)
		}
		first := e.yieldTo[0]
		e.yieldTo = e.yieldTo[:0]
		if e.c.Workers > 0 || wk.then != 0 {
			wk.onCore = false
			e.runq.push(w)
			e.workers[first].quantumEnd = e.now + e.quantum
			e.continueOn(first)
			return
		}
		e.runq.pushFront(first) // the releaser sleeps or idles below; its core goes to first
	}
	switch {
	case e.c.Workers > 0 || wk.then != 0:
		e.startOp(w) // a closed-loop worker (or a churn pair) goes straight on
	case e.c.Connections > 0:
		wk.sleeping = true
		wk.onCore = false
		e.releaseCore()
		if e.c.ThinkDist == sim.ThinkFixed {
			e.sleepT.push(e.now + float64(e.c.Think))
			e.sleepW.push(w)
		} else {
			e.schedule(e.now+e.think(), w, evWake)
		}
	default:
		if e.arrivals.size > 0 {
			wk.start = e.arrivals.pop()
			e.startOp(w)
			return
		}
		e.idle.push(w)
		wk.onCore = false
		e.releaseCore()
	}
}

func (e *engine) think() float64 {
	if e.c.ThinkDist == sim.ThinkExponential {
		return float64(e.c.Think) * e.r.ExpFloat64()
	}
	return float64(e.c.Think)
}

func (e *engine) startMeasuring() {
	e.measuring = true
	e.tWarm = e.now
	e.busyWarm = e.busy
	for i := range e.locks {
		l := &e.locks[i]
		e.lockBusyWarm[i] = l.busy
		if l.owner >= 0 {
			e.lockBusyWarm[i] += e.now - l.since
		}
	}
	e.done = e.c.Warmup
}

func (e *engine) result() (Result, error) {
	c := e.c
	elapsed := e.now - e.tWarm
	if elapsed <= 0 {
		return Result{}, fmt.Errorf("capacity: no simulated time elapsed over %d ops", c.Ops)
	}
	lat, err := analysis.Summarize(e.lat)
	if err != nil {
		return Result{}, err
	}
	res := Result{
		Ops:             c.Ops,
		Elapsed:         time.Duration(elapsed),
		Throughput:      float64(c.Ops) / elapsed * 1e9,
		Latency:         lat,
		Writes:          e.writes,
		CoreUtilisation: (e.busy - e.busyWarm) / (float64(c.Cores) * elapsed),
		LockUtilisation: make([]float64, c.Partitions),
		Histogram:       e.lat,
	}
	if e.writes > 0 {
		res.LockWait, _ = analysis.Summarize(e.lockWait)
	}
	switch {
	case c.Rate > 0:
		res.Offered = c.Rate
	case c.Connections > 0:
		res.Offered = float64(c.Connections) / c.Think.Seconds()
	}
	for i := range e.locks {
		l := &e.locks[i]
		b := l.busy
		if l.owner >= 0 {
			b += e.now - l.since
		}
		u := (b - e.lockBusyWarm[i]) / elapsed
		res.LockUtilisation[i] = u
		if u > res.HottestLockUtilisation {
			res.HottestLockUtilisation, res.HottestPartition = u, i
		}
	}
	hot := 0.0
	for _, h := range e.sHold {
		hot = math.Max(hot, h)
	}
	for _, h := range e.tHold {
		hot = math.Max(hot, h)
	}
	res.HottestKeyUtilisation = hot / elapsed
	return res, nil
}
