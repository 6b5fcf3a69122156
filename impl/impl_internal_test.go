package impl

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
)

// fakeClock is an injected clock. Each read is announced on reads (when a
// test listens) so a test knows a writer has found a lock held.
type fakeClock struct {
	now   atomic.Int64
	reads chan struct{}
}

func newFakeClock() *fakeClock { return &fakeClock{reads: make(chan struct{}, 64)} }

func (c *fakeClock) read() time.Duration {
	select {
	case c.reads <- struct{}{}:
	default:
	}
	return time.Duration(c.now.Load())
}

func (c *fakeClock) advance(d time.Duration) { c.now.Add(int64(d)) }

func (c *fakeClock) drain() {
	for {
		select {
		case <-c.reads:
		default:
			return
		}
	}
}

var nop = model.HandlerFunc(func(model.Message) {})

// contend makes one RegisterServer wait d (on the fake clock) for
// partition 0's lock: the test holds the lock, waits until the writer has
// read the clock on its slow path, advances the clock and lets go.
func contend(t *testing.T, r *Registry, c *fakeClock, id string, d time.Duration) error {
	t.Helper()
	p := &r.parts[0]
	c.drain()
	p.mu.Lock()
	done := make(chan error, 1)
	go func() { done <- r.RegisterServer(id, 1, nop, "") }()
	<-c.reads // the writer failed TryLock and is about to wait
	c.advance(d)
	p.mu.Unlock()
	return <-done
}

// newAlarmRegistry is a one-partition registry on clock c whose alarms
// react to the contention tests' waits: 10 ms windows, alarm at a 1 ms mean
// wait, clear below 500 µs, one write enough to judge a window.
func newAlarmRegistry(t *testing.T, c *fakeClock, disableAdmission bool) *Registry {
	t.Helper()
	r, err := New(Options{
		Partitions: 1, Clock: c.read,
		ContentionWindow: 10 * time.Millisecond, AlarmWait: time.Millisecond,
		ClearWait: 500 * time.Microsecond, MinWindowWrites: 1,
		DisableAdmission: disableAdmission,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestContentionAlarmRejectsRegistrationsThenRecovers(t *testing.T) {
	c := newFakeClock()
	r := newAlarmRegistry(t, c, false)
	// A writer that waited 20 ms closes the first window (20 ms >= 10 ms)
	// with a mean wait of 20 ms per write: over the 1 ms alarm level.
	if err := contend(t, r, c, "server_1", 20*time.Millisecond); err != nil {
		t.Fatalf("contended registration: %v", err)
	}
	st := r.ContentionStatus()
	if len(st.Alarmed) != 1 || !st.Overloaded {
		t.Fatalf("after 20 ms of lock wait: status %+v, want partition 0 alarmed and overloaded", st)
	}
	if err := r.RegisterServer("server_2", 1, nop, ""); !errors.Is(err, model.ErrOverloaded) {
		t.Fatalf("registration while overloaded: %v, want ErrOverloaded", err)
	}
	if err := r.RegisterTransport("t", 1, nop, "", ""); !errors.Is(err, model.ErrOverloaded) {
		t.Fatalf("transport registration while overloaded: %v, want ErrOverloaded", err)
	}
	// Reads, routes and unregistrations are always admitted.
	if _, err := r.FindServer("server_1"); err != nil {
		t.Fatalf("read while overloaded: %v", err)
	}
	if err := r.RouteToServer("server_1", nil); err != nil {
		t.Fatalf("route while overloaded: %v", err)
	}
	if err := r.UnregisterServer("server_1"); err != nil {
		t.Fatalf("unregister while overloaded: %v", err)
	}
	if got := r.ContentionStatus().Rejected; got != 2 {
		t.Fatalf("rejected = %d, want 2", got)
	}
	// A quiet window later the alarm clears and registrations are admitted.
	c.advance(20 * time.Millisecond)
	if err := r.RegisterServer("server_2", 1, nop, ""); err != nil {
		t.Fatalf("registration after the load went: %v", err)
	}
	if st := r.ContentionStatus(); len(st.Alarmed) != 0 || st.Overloaded {
		t.Fatalf("after a quiet window: %+v, want no alarms", st)
	}
	ps := r.PartitionStats()[0]
	if ps.Alarms != 1 || ps.ContendedWrites != 1 || ps.MaxWait != 20*time.Millisecond {
		t.Fatalf("stats %+v: want 1 alarm, 1 contended write, max wait 20ms", ps)
	}
}

func TestAlarmHysteresis(t *testing.T) {
	r, err := New(Options{Partitions: 2, AlarmWait: 100 * time.Microsecond, ClearWait: 50 * time.Microsecond, MinWindowWrites: 4})
	if err != nil {
		t.Fatal(err)
	}
	p := &r.parts[0]
	window := func(writes int64, meanWait time.Duration) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.winWrites, p.winWait = writes, time.Duration(writes)*meanWait
		r.closeWindow(p, 0)
		return p.alarmed
	}
	steps := []struct {
		writes int64
		mean   time.Duration
		want   bool
		why    string
	}{
		{100, 80 * time.Microsecond, false, "below the alarm level"},
		{3, time.Second, false, "too few writes to raise an alarm"},
		{100, 150 * time.Microsecond, true, "above the alarm level"},
		{100, 80 * time.Microsecond, true, "between the levels: stays alarmed"},
		{100, 40 * time.Microsecond, false, "below the clear level"},
		{100, 80 * time.Microsecond, false, "between the levels: stays clear"},
		{100, 101 * time.Microsecond, true, "alarms again"},
		{0, 0, false, "an empty window clears"},
	}
	for i, s := range steps {
		if got := window(s.writes, s.mean); got != s.want {
			t.Fatalf("step %d (%s): alarmed=%v, want %v", i, s.why, got, s.want)
		}
	}
	if got := r.alarmed.Load(); got != 0 {
		t.Fatalf("alarmed partition count %d after clearing, want 0", got)
	}
	if p.alarms != 2 {
		t.Fatalf("alarms = %d, want 2", p.alarms)
	}
}

func TestAdmissionFraction(t *testing.T) {
	// With 4 partitions and fraction 0.5, two alarms are allowed; the third
	// overloads.
	r, err := New(Options{Partitions: 4, AdmissionFraction: 0.5, ContentionWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		p := &r.parts[i]
		p.mu.Lock()
		p.winWrites, p.winWait = 100, 100*time.Second
		r.closeWindow(p, 0)
		p.mu.Unlock()
		err := r.RegisterServer("s", 1, nop, "")
		if i < 2 && err != nil && !errors.Is(err, model.ErrAlreadyRegistered) {
			t.Fatalf("%d alarmed of 4: %v, want admitted", i+1, err)
		}
		if i == 2 && !errors.Is(err, model.ErrOverloaded) {
			t.Fatalf("3 alarmed of 4: %v, want ErrOverloaded", err)
		}
	}
	d, err := New(Options{Partitions: 1, DisableAdmission: true})
	if err != nil {
		t.Fatal(err)
	}
	d.parts[0].alarmed = true
	d.alarmed.Store(1)
	if err := d.RegisterServer("s", 1, nop, ""); err != nil {
		t.Fatalf("admission disabled: %v", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	hm3, _ := partition.NewHashMod(3)
	cases := []struct {
		name string
		o    Options
		want error
	}{
		{"negative partitions", Options{Partitions: -1}, ErrPartitions},
		{"too many partitions", Options{Partitions: 4097}, ErrPartitions},
		{"partitioner mismatch", Options{Partitions: 4, Partitioner: hm3}, ErrPartitioner},
		{"fraction above 1", Options{AdmissionFraction: 1.5}, ErrAdmissionFraction},
		{"negative fraction", Options{AdmissionFraction: -0.1}, ErrAdmissionFraction},
		{"clear above alarm", Options{AlarmWait: time.Millisecond, ClearWait: 2 * time.Millisecond}, ErrThresholds},
		{"negative window", Options{ContentionWindow: -1}, ErrThresholds},
		{"sampling not a power of two", Options{ReadSampling: 3}, ErrReadSampling},
	}
	for _, c := range cases {
		if _, err := New(c.o); !errors.Is(err, c.want) {
			t.Errorf("%s: New error %v, want %v", c.name, err, c.want)
		}
	}
	r, err := New(Options{Partitioner: hm3})
	if err != nil || r.Partitions() != 3 {
		t.Fatalf("partition count from the partitioner: %v, %v", r, err)
	}
}

// lastPartition is a partitioner that calls itself "hashmod" but sends
// every ID to its last partition.
type lastPartition struct{ n int }

func (p lastPartition) Partition(string) int     { return p.n - 1 }
func (p lastPartition) PartitionHash(uint64) int { return p.n - 1 }
func (p lastPartition) Partitions() int          { return p.n }
func (lastPartition) Name() string               { return partition.NameHashMod }

// TestCustomPartitionerIsHonoured: the inlined hashmod reduction is used
// only for package partition's hashmod, not for anything named like it.
func TestCustomPartitionerIsHonoured(t *testing.T) {
	r, err := New(Options{Partitioner: lastPartition{n: 8}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"server_1", "server_2", "transport_42"} {
		if got := r.PartitionOf(id); got != 7 {
			t.Fatalf("PartitionOf(%q) = %d, the partitioner says 7", id, got)
		}
	}
	hm, _ := partition.NewHashMod(8)
	r, err = New(Options{Partitioner: hm})
	if err != nil {
		t.Fatal(err)
	}
	if r.hashModN != 8 {
		t.Fatalf("hashmod's reduction not inlined: hashModN = %d", r.hashModN)
	}
	if got, want := r.PartitionOf("server_1"), hm.Partition("server_1"); got != want {
		t.Fatalf("PartitionOf(server_1) = %d, hashmod says %d", got, want)
	}
}

func TestStatisticsAgreeWithContents(t *testing.T) {
	r, err := New(Options{Partitions: 8, ReadSampling: 1})
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	for i := range n {
		id := "server_" + itoa(i)
		if err := r.RegisterServer(id, model.Owner(1+i%3), nop, ""); err != nil {
			t.Fatal(err)
		}
		if err := r.RegisterTransport("transport_"+itoa(i), 7, nop, "", id); err != nil {
			t.Fatal(err)
		}
		if _, err := r.FindServer(id); err != nil {
			t.Fatal(err)
		}
	}
	check := func(wantServers, wantTransports int, wantReads int64) {
		t.Helper()
		var servers, transports int
		var reads int64
		for i, ps := range r.PartitionStats() {
			servers += ps.Servers
			transports += ps.Transports
			reads += ps.Reads
			if ps.Entries != ps.Servers+ps.Transports {
				t.Fatalf("partition %d: entries %d != %d + %d", i, ps.Entries, ps.Servers, ps.Transports)
			}
		}
		if servers != wantServers || transports != wantTransports {
			t.Fatalf("stats count %d servers, %d transports; want %d, %d", servers, transports, wantServers, wantTransports)
		}
		if servers != len(r.ListServers()) || transports != len(r.ListTransports()) {
			t.Fatalf("stats disagree with the lists")
		}
		if reads != wantReads {
			t.Fatalf("reads = %d, want %d (sampling 1 counts exactly)", reads, wantReads)
		}
	}
	check(n, n, n)
	// Owner 1 owns every third server; its death removes them and unbinds
	// their transports, which stay (owner 7).
	got, err := r.OwnerDown(1)
	if err != nil || got != (n+2)/3 {
		t.Fatalf("OwnerDown(1) = %d, %v; want %d", got, err, (n+2)/3)
	}
	check(n-(n+2)/3, n, n)
	if _, err := r.ServerForTransport("transport_0"); !errors.Is(err, model.ErrNotBound) {
		t.Fatalf("transport of a dead server: %v, want ErrNotBound", err)
	}
	if got, _ := r.OwnerDown(7); got != n {
		t.Fatalf("OwnerDown(7) = %d, want %d", got, n)
	}
	check(n-(n+2)/3, 0, n+1) // and the ServerForTransport read
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

func TestReadsDoNotAllocate(t *testing.T) {
	r, err := New(Options{Partitions: 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterServer("server_1", 1, nop, "cfg"); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterTransport("transport_1", 1, nop, "", "server_1"); err != nil {
		t.Fatal(err)
	}
	var msg model.Message = &struct{}{}
	reads := map[string]func(){
		"FindServer":         func() { _, _ = r.FindServer("server_1") },
		"FindServer(miss)":   func() { _, _ = r.FindServer("server_2") },
		"FindTransport":      func() { _, _ = r.FindTransport("transport_1") },
		"ServerForTransport": func() { _, _ = r.ServerForTransport("transport_1") },
		"RouteToServer":      func() { _ = r.RouteToServer("server_1", msg) },
		"RouteToTransport":   func() { _ = r.RouteToTransport("transport_1", msg) },
	}
	for name, f := range reads {
		if a := testing.AllocsPerRun(1000, f); a != 0 {
			t.Errorf("%s: %v allocs/op, want 0", name, a)
		}
	}
}

// downRecorder signals when OwnerDown has run.
type downRecorder struct {
	*Registry
	done chan model.Owner
}

func (d downRecorder) OwnerDown(o model.Owner) (int, error) {
	n, err := d.Registry.OwnerDown(o)
	d.done <- o
	return n, err
}

func (d downRecorder) pinOwner(o model.Owner) func() {
	down := d.Registry.pinOwner(o)
	return func() { down(); d.done <- o }
}

func TestWatchOwner(t *testing.T) {
	r, err := New(Options{Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	rec := downRecorder{r, make(chan model.Owner, 1)}
	if err := r.RegisterServer("server_1", 42, nop, ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	WatchOwner(ctx, rec, 42)
	stopped := WatchOwner(context.Background(), rec, 43)
	if !stopped() {
		t.Fatal("stop before the context ended reported false")
	}
	cancel()
	if o := <-rec.done; o != 42 {
		t.Fatalf("OwnerDown(%d), want 42", o)
	}
	if _, err := r.FindServer("server_1"); !errors.Is(err, model.ErrServerNotFound) {
		t.Fatalf("after the owner's context ended: %v, want ErrServerNotFound", err)
	}
}

// TestStaleOwnerDown: a death notice for an incarnation that has already
// gone never touches a later registration of the same ID, whether by
// another owner or by a new incarnation of the same owner.
func TestStaleOwnerDown(t *testing.T) {
	r, err := New(Options{Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.RegisterServer("s", 1, nop, ""))
	if n, _ := r.OwnerDown(1); n != 1 {
		t.Fatalf("OwnerDown(1) = %d, want 1", n)
	}
	must(r.RegisterServer("s", 2, nop, ""))
	if n, _ := r.OwnerDown(1); n != 0 {
		t.Fatalf("stale OwnerDown(1) removed %d, want 0", n)
	}
	if e, err := r.FindServer("s"); err != nil || e.Owner != 2 {
		t.Fatalf("after a stale notice: %+v, %v", e, err)
	}
}

// TestConcurrentOwnerDownAndRegistration runs owner deaths against
// registrations and binds for the race detector and checks the end state's
// invariants; linearizability itself is check/'s job.
func TestConcurrentOwnerDownAndRegistration(t *testing.T) {
	r, err := New(Options{Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				o := model.Owner(1 + (i+w)%3)
				s, tr := "s"+itoa(i%7), "t"+itoa((i+w)%5)
				_ = r.RegisterServer(s, o, nop, "")
				_ = r.RegisterTransport(tr, o, nop, "", s)
				_ = r.BindTransportToServer(tr, "s"+itoa((i+1)%7))
				_, _ = r.ServerForTransport(tr)
				_, _ = r.Broadcast(s, nil)
				if i%10 == w {
					_, _ = r.OwnerDown(o)
				}
				if i%13 == 0 {
					_ = r.UnregisterServer(s)
				}
			}
		}()
	}
	wg.Wait()
	servers := map[string]bool{}
	for _, e := range r.ListServers() {
		servers[e.ID] = true
	}
	for _, tr := range r.ListTransports() {
		s, err := r.ServerForTransport(tr.ID)
		if err == nil && !servers[s] {
			t.Fatalf("transport %s bound to unregistered server %s", tr.ID, s)
		}
	}
}

// TestShardLayout pins the cache-line layout that keeps readers' lines
// free of writers' bookkeeping (see shard).
func TestShardLayout(t *testing.T) {
	var s shard
	if size := unsafe.Sizeof(s); size%64 != 0 {
		t.Errorf("shard is %d bytes, want a multiple of 64", size)
	}
	if off := unsafe.Offsetof(s.reads); off != 64 {
		t.Errorf("reads at offset %d, want 64 (its own line)", off)
	}
	if off := unsafe.Offsetof(s.mu); off != 128 {
		t.Errorf("mu at offset %d, want 128", off)
	}
	var e entry
	if end := unsafe.Offsetof(e.cfg) + unsafe.Sizeof(e.cfg); end > 64 {
		t.Errorf("a lookup's fields end at byte %d of entry, want within the first 64", end)
	}
	if size := unsafe.Sizeof(e); size != 80 {
		t.Errorf("entry is %d bytes, want 80 (a size class; see BenchmarkMemory)", size)
	}
	if size := unsafe.Sizeof(bucket{}); size != 64 {
		t.Errorf("bucket is %d bytes, want 64 (one cache line)", size)
	}
	var r Registry
	if off := unsafe.Offsetof(r.dying); off != 64 {
		t.Errorf("dying at offset %d, want 64 (its own line)", off)
	}
}
