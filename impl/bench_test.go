package impl_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/baseline"
	"github.com/shardlab/shardlab/model"
)

// The benchmarks run every target over the same preloaded keys, named so
// benchstat and `shardlab benchratio` can line them up:
//
//	Benchmark<Op>/registry=sharded/partitions=<P>/<config>
//	Benchmark<Op>/registry=<peer>/<config>
//	Benchmark<Op>/registry=bare-<map>/<config>
//
// Targets are of two kinds. Registry peers (package baseline) implement the
// whole model.Registry and pay for that layer. Bare peers are what a Go user
// would pick instead of a registry: an xsync.Map, a sync.Map or a map behind
// a sync.RWMutex from ID to a pointer, with Load as the lookup, LoadOrStore
// as the registration and LoadAndDelete as the unregistration. They check
// nothing (no ID validation, owners, bindings or liveness) and are the floor
// a lookup can reach.

// shardedPartitions are the impl's partition counts under benchmark: one (a
// single lock, like the mutex peer but with lock-free reads), the seed's 64,
// and more than this machine has cores by far.
var shardedPartitions = []int{1, 64, 256}

// target is the part of a registry the benchmarks drive. Every target is
// called through this interface, so each pays one dynamic call per op.
type target interface {
	find(id string) bool
	route(id string, msg model.Message) bool
	register(id string) bool
	unregister(id string) bool
}

// regTarget drives a model.Registry.
type regTarget struct{ r model.Registry }

func (t regTarget) find(id string) bool { _, err := t.r.FindServer(id); return err == nil }
func (t regTarget) route(id string, msg model.Message) bool {
	return t.r.RouteToServer(id, msg) == nil
}
func (t regTarget) register(id string) bool {
	return t.r.RegisterServer(id, 2, model.NopHandler, "") == nil
}
func (t regTarget) unregister(id string) bool { return t.r.UnregisterServer(id) == nil }

// implTarget drives *impl.Registry without the interface in between.
type implTarget struct{ r *impl.Registry }

func (t implTarget) find(id string) bool { _, err := t.r.FindServer(id); return err == nil }
func (t implTarget) route(id string, msg model.Message) bool {
	return t.r.RouteToServer(id, msg) == nil
}
func (t implTarget) register(id string) bool {
	return t.r.RegisterServer(id, 2, model.NopHandler, "") == nil
}
func (t implTarget) unregister(id string) bool { return t.r.UnregisterServer(id) == nil }

// bareValue is what a bare map stores per ID: what a registration carries.
type bareValue struct {
	owner   model.Owner
	handler model.Handler
	cfg     model.Config
}

func newBareValue() *bareValue { return &bareValue{owner: 2, handler: model.NopHandler} }

type bareXSync struct {
	m *xsync.Map[string, *bareValue]
}

func (t bareXSync) find(id string) bool { _, ok := t.m.Load(id); return ok }
func (t bareXSync) route(id string, msg model.Message) bool {
	v, ok := t.m.Load(id)
	if ok {
		v.handler.Handle(msg)
	}
	return ok
}
func (t bareXSync) register(id string) bool {
	_, loaded := t.m.LoadOrStore(id, newBareValue())
	return !loaded
}
func (t bareXSync) unregister(id string) bool { _, ok := t.m.LoadAndDelete(id); return ok }

type bareSyncMap struct{ m *sync.Map }

func (t bareSyncMap) find(id string) bool { _, ok := t.m.Load(id); return ok }
func (t bareSyncMap) route(id string, msg model.Message) bool {
	v, ok := t.m.Load(id)
	if ok {
		v.(*bareValue).handler.Handle(msg)
	}
	return ok
}
func (t bareSyncMap) register(id string) bool {
	_, loaded := t.m.LoadOrStore(id, newBareValue())
	return !loaded
}
func (t bareSyncMap) unregister(id string) bool { _, ok := t.m.LoadAndDelete(id); return ok }

type bareRWMutex struct {
	mu *sync.RWMutex
	m  map[string]*bareValue
}

func (t bareRWMutex) find(id string) bool {
	t.mu.RLock()
	_, ok := t.m[id]
	t.mu.RUnlock()
	return ok
}
func (t bareRWMutex) route(id string, msg model.Message) bool {
	t.mu.RLock()
	v, ok := t.m[id]
	t.mu.RUnlock()
	if ok {
		v.handler.Handle(msg)
	}
	return ok
}
func (t bareRWMutex) register(id string) bool {
	v := newBareValue()
	t.mu.Lock()
	_, loaded := t.m[id]
	if !loaded {
		t.m[id] = v
	}
	t.mu.Unlock()
	return !loaded
}
func (t bareRWMutex) unregister(id string) bool {
	t.mu.Lock()
	_, ok := t.m[id]
	delete(t.m, id)
	t.mu.Unlock()
	return ok
}

type benchTarget struct {
	name string
	// big reports whether the target is run on the large key space too:
	// impl and the bare maps are; the registry peers are not, to keep the
	// heap (and the forced collections before each timed run) smaller.
	big  bool
	make func(tb testing.TB) (target, io.Closer)
}

func benchTargets() []benchTarget {
	var ts []benchTarget
	for _, p := range shardedPartitions {
		ts = append(ts, benchTarget{
			name: "registry=sharded/partitions=" + strconv.Itoa(p), big: true,
			make: func(tb testing.TB) (target, io.Closer) {
				r, err := impl.New(impl.Options{Partitions: p})
				if err != nil {
					tb.Fatal(err)
				}
				return implTarget{r}, nil
			},
		})
	}
	for _, name := range baseline.Names() {
		ts = append(ts, benchTarget{
			name: "registry=" + name, big: false, // the 1M goals compare with the bare maps
			make: func(tb testing.TB) (target, io.Closer) {
				r, err := baseline.ByName(name)
				if err != nil {
					tb.Fatal(err)
				}
				c, _ := r.(io.Closer)
				return regTarget{r}, c
			},
		})
	}
	ts = append(ts,
		benchTarget{name: "registry=bare-xsync", big: true, make: func(testing.TB) (target, io.Closer) {
			return bareXSync{xsync.NewMap[string, *bareValue]()}, nil
		}},
		benchTarget{name: "registry=bare-syncmap", big: true, make: func(testing.TB) (target, io.Closer) {
			return bareSyncMap{&sync.Map{}}, nil
		}},
		benchTarget{name: "registry=bare-rwmutex", big: true, make: func(testing.TB) (target, io.Closer) {
			return bareRWMutex{&sync.RWMutex{}, map[string]*bareValue{}}, nil
		}},
	)
	return ts
}

func serverIDs(from, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "server_" + strconv.Itoa(from+i)
	}
	return ids
}

// Key spaces: the seed's workload size, 10,000 server_N keys, and a million,
// which no longer fits in this machine's caches.
const (
	smallKeys = 10_000
	bigKeys   = 1_000_000
)

// keySpace is a set of preloaded IDs and the targets that hold them, made
// once per test process and shared by every benchmark that uses it (their
// writes leave the targets as they found them). Each target is loaded the
// first time a sub-benchmark selected by -bench needs it.
type keySpace struct {
	n       int
	ids     []string
	targets []benchTarget
	loaded  []target
	once    []sync.Once
	zipf    []int32
}

var (
	keySpacesMu sync.Mutex
	keySpaces   = map[int]*keySpace{}
)

func space(n int) *keySpace {
	keySpacesMu.Lock()
	defer keySpacesMu.Unlock()
	if ks := keySpaces[n]; ks != nil {
		return ks
	}
	ks := &keySpace{n: n, ids: serverIDs(0, n), zipf: zipfDraws(n)}
	for _, bt := range benchTargets() {
		if n <= smallKeys || bt.big {
			ks.targets = append(ks.targets, bt)
		}
	}
	ks.loaded = make([]target, len(ks.targets))
	ks.once = make([]sync.Once, len(ks.targets))
	keySpaces[n] = ks
	return ks
}

// target returns target i, preloading it on first use. The caller resets
// its benchmark's timer afterwards, so loading is neither timed nor counted
// in B/op. The targets outlive any one benchmark (the channel peer's
// goroutine runs until the process exits).
func (ks *keySpace) target(b *testing.B, i int) target {
	ks.once[i].Do(func() {
		bt := ks.targets[i]
		t, _ := bt.make(b)
		for _, id := range ks.ids {
			var err error
			switch t := t.(type) {
			case implTarget:
				err = t.r.RegisterServer(id, 1, model.NopHandler, "")
			case regTarget:
				err = t.r.RegisterServer(id, 1, model.NopHandler, "")
			default:
				if !t.register(id) {
					err = fmt.Errorf("already present")
				}
			}
			if err != nil {
				b.Fatalf("preload %s into %s: %v", id, bt.name, err)
			}
		}
		ks.loaded[i] = t
	})
	if ks.loaded[i] == nil {
		b.Fatalf("%s: preload failed earlier", ks.targets[i].name)
	}
	return ks.loaded[i]
}

// zipfS stands in for YCSB's zipfian constant theta = 0.99: math/rand/v2's
// Zipf needs s > 1. With s = 1.01 over 10,000 keys the top key gets about
// 10 % of draws and the top 100 about half.
const zipfS = 1.01

// zipfDraws are 1<<20 draws of zipf ranks over n keys scrambled through a
// fixed permutation, as YCSB does, so the hot keys are not simply server_0,
// server_1, ... Drawing from rand.Zipf costs more than a lookup, so the
// benchmarks walk this table instead of drawing inline.
func zipfDraws(n int) []int32 {
	rng := rand.New(rand.NewPCG(benchSeed, 0x21f))
	perm := rng.Perm(n)
	z := rand.NewZipf(rng, zipfS, 1, uint64(n-1))
	draws := make([]int32, 1<<20)
	for i := range draws {
		draws[i] = int32(perm[z.Uint64()])
	}
	return draws
}

// keyChooser draws preloaded key indexes for one goroutine.
type keyChooser func() int

func chooser(ks *keySpace, dist string, rng *rand.Rand) keyChooser {
	if dist == "uniform" {
		n := ks.n
		return func() int { return rng.IntN(n) }
	}
	draws := ks.zipf
	i := rng.IntN(len(draws))
	return func() int {
		i++
		if i == len(draws) {
			i = 0
		}
		return int(draws[i])
	}
}

// config is one sub-benchmark configuration: a key space and distribution,
// and for mixes the share of reads.
type config struct {
	keys  int
	dist  string
	reads int // percent; 0 when the benchmark is not a mix
}

func (c config) String() string {
	s := "keys=" + strconv.Itoa(c.keys) + "/dist=" + c.dist
	if c.reads > 0 {
		s = "reads=" + strconv.Itoa(c.reads) + "/" + s
	}
	return s
}

// lookupConfigs are the configurations of FindServer and RouteToServer.
var lookupConfigs = []config{
	{keys: smallKeys, dist: "uniform"}, {keys: smallKeys, dist: "zipfian"},
	{keys: bigKeys, dist: "uniform"}, {keys: bigKeys, dist: "zipfian"},
}

// forEachTarget runs f as sub-benchmark "<target>/<config>" for each config
// in turn and, within one, each target. The target is the innermost loop so
// that the impl and its peers in one configuration run seconds apart, not
// minutes: on a shared machine a busy spell then hits all of them alike
// instead of skewing one side of a ratio.
//
// With SHARDLAB_BENCH_ROUNDS=N (make bench sets it from COUNT) the whole
// sequence runs N times in one process, so the preloaded key spaces (a
// million keys take a while to load) are loaded once; the testing package
// names the repeats NAME#01, NAME#02, ..., which benchratio groups.
func forEachTarget(b *testing.B, configs []config, f func(b *testing.B, ks *keySpace, t target, c config)) {
	keys := benchKeys(b)
	for range benchRounds(b) {
		for _, c := range configs {
			if keys != 0 && c.keys != keys {
				continue
			}
			ks := space(c.keys)
			for i, bt := range ks.targets {
				b.Run(bt.name+"/"+c.String(), func(b *testing.B) {
					t := ks.target(b, i)
					runtime.GC() // garbage from loading is not this benchmark's
					b.ResetTimer()
					f(b, ks, t, c)
				})
			}
		}
	}
}

// benchKeys reads SHARDLAB_BENCH_KEYS: run only the configurations of that
// key space (0, the default: all). make bench runs the two key spaces in
// separate processes: with a million keys loaded in six targets the heap
// is about a gigabyte, and the collection the testing package forces
// before every timed run then costs seconds, which the small key space's
// benchmarks should not pay.
func benchKeys(b *testing.B) int {
	v := os.Getenv("SHARDLAB_BENCH_KEYS")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || (n != smallKeys && n != bigKeys) {
		b.Fatalf("SHARDLAB_BENCH_KEYS=%q: want %d or %d", v, smallKeys, bigKeys)
	}
	return n
}

// benchRounds reads SHARDLAB_BENCH_ROUNDS (default 1).
func benchRounds(b *testing.B) int {
	v := os.Getenv("SHARDLAB_BENCH_ROUNDS")
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		b.Fatalf("SHARDLAB_BENCH_ROUNDS=%q: want a whole number of rounds in [1, 1000]", v)
	}
	return n
}

// goroutineSeq numbers RunParallel goroutines so each gets its own PCG
// stream and its own write keys.
var goroutineSeq atomic.Uint64

// benchSeed fixes the key sequences; runs differ only by scheduling.
const benchSeed = 1

func BenchmarkFindServer(b *testing.B) {
	forEachTarget(b, lookupConfigs, func(b *testing.B, ks *keySpace, t target, c config) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			rng := rand.New(rand.NewPCG(benchSeed, goroutineSeq.Add(1)))
			next := chooser(ks, c.dist, rng)
			for pb.Next() {
				if !t.find(ks.ids[next()]) {
					b.Error("preloaded key not found")
					return
				}
			}
		})
	})
}

func BenchmarkRouteToServer(b *testing.B) {
	var msg model.Message = "ping" // boxed once: routing itself must not allocate
	forEachTarget(b, lookupConfigs, func(b *testing.B, ks *keySpace, t target, c config) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			rng := rand.New(rand.NewPCG(benchSeed, goroutineSeq.Add(1)))
			next := chooser(ks, c.dist, rng)
			for pb.Next() {
				if !t.route(ks.ids[next()], msg) {
					b.Error("preloaded key not found")
					return
				}
			}
		})
	})
}

// writeKeysPerGoroutine bounds how far a target grows during writes.
const writeKeysPerGoroutine = 64

// writeKeys returns a goroutine's own keys beyond every preloaded range, so
// writers never collide and targets stay near their preloaded size.
func writeKeys(g uint64) []string {
	return serverIDs(bigKeys+int(g%1_000_000)*writeKeysPerGoroutine, writeKeysPerGoroutine)
}

// BenchmarkRegisterUnregister: one op is a registration and the
// unregistration of the same fresh key, on the small key space.
func BenchmarkRegisterUnregister(b *testing.B) {
	forEachTarget(b, []config{{keys: smallKeys, dist: "uniform"}}, func(b *testing.B, _ *keySpace, t target, _ config) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			keys := writeKeys(goroutineSeq.Add(1))
			i := 0
			for pb.Next() {
				id := keys[i%len(keys)]
				i++
				if !t.register(id) || !t.unregister(id) {
					b.Error("register or unregister of a fresh key failed")
					return
				}
			}
		})
	})
}

// mixConfigs: the read-mostly mixes a registry sees in steady state and a
// write-heavy one; the 99 % mix on the large key space too.
var mixConfigs = []config{
	{keys: smallKeys, dist: "uniform", reads: 99}, {keys: smallKeys, dist: "zipfian", reads: 99},
	{keys: bigKeys, dist: "uniform", reads: 99},
	{keys: smallKeys, dist: "uniform", reads: 90}, {keys: smallKeys, dist: "zipfian", reads: 90},
	{keys: smallKeys, dist: "uniform", reads: 75},
}

// BenchmarkMix: reads% FindServer on preloaded keys, the rest writes, each a
// registration or an unregistration (alternating per key) of the
// goroutine's own keys beyond the preloaded range.
func BenchmarkMix(b *testing.B) {
	forEachTarget(b, mixConfigs, func(b *testing.B, ks *keySpace, t target, c config) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			g := goroutineSeq.Add(1)
			rng := rand.New(rand.NewPCG(benchSeed, g))
			next := chooser(ks, c.dist, rng)
			own := writeKeys(g)
			var registered [writeKeysPerGoroutine]bool
			w := 0
			for pb.Next() {
				if rng.IntN(100) < c.reads {
					t.find(ks.ids[next()])
					continue
				}
				// A failed write (admission control, say) changed nothing;
				// the flag follows what happened.
				k := w % writeKeysPerGoroutine
				w++
				if registered[k] {
					registered[k] = !t.unregister(own[k])
				} else {
					registered[k] = t.register(own[k])
				}
			}
			for k, ok := range registered {
				if ok {
					t.unregister(own[k])
				}
			}
		})
	})
}

// memoryServers is how many servers BenchmarkMemory registers.
const memoryServers = 1_000_000

// BenchmarkMemory reports the heap each target holds per registered server
// (B/server): the HeapAlloc growth, after GC, from registering memoryServers
// servers that share one owner and one handler. The ID strings are made
// before the first reading, so their bytes (held by the caller too) are not
// counted. Run it on its own:
//
//	go test -run '^$' -bench Memory -benchtime 1x ./impl/
func BenchmarkMemory(b *testing.B) {
	ids := serverIDs(0, memoryServers)
	for _, bt := range benchTargets() {
		b.Run(bt.name+"/servers="+strconv.Itoa(memoryServers), func(b *testing.B) {
			var perServer float64
			for range b.N {
				perServer = heapPerServer(b, bt, ids)
			}
			b.ReportMetric(perServer, "B/server")
		})
	}
}

func heapPerServer(b *testing.B, bt benchTarget, ids []string) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t, c := bt.make(b)
	for _, id := range ids {
		if !t.register(id) {
			b.Fatalf("register %s into %s failed", id, bt.name)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(t)
	if c != nil {
		c.Close()
	}
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(len(ids))
}
