package impl_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/baseline"
	"github.com/shardlab/shardlab/model"
)

// The benchmarks run every registry over the same preloaded keys, named so
// benchstat and `shardlab benchratio` can line them up:
//
//	Benchmark<Op>/registry=sharded/partitions=<P>[/...]
//	Benchmark<Op>/registry=<peer>[/...]
//
// Peers have no partitions, so their names have no partitions element.

// preloaded is the seed's workload size: 10,000 server_N keys.
const preloaded = 10_000

// shardedPartitions are the impl's partition counts under benchmark: one
// (a single lock, like the mutex peer but with lock-free reads), a few, the
// seed's 64, and more than this machine has cores by far.
var shardedPartitions = []int{1, 16, 64, 256}

type benchRegistry struct {
	name string
	make func(tb testing.TB) model.Registry
}

func benchRegistries() []benchRegistry {
	var rs []benchRegistry
	for _, p := range shardedPartitions {
		rs = append(rs, benchRegistry{
			name: "registry=sharded/partitions=" + strconv.Itoa(p),
			make: func(tb testing.TB) model.Registry {
				r, err := impl.New(impl.Options{Partitions: p})
				if err != nil {
					tb.Fatal(err)
				}
				return r
			},
		})
	}
	for _, name := range baseline.Names() {
		rs = append(rs, benchRegistry{
			name: "registry=" + name,
			make: func(tb testing.TB) model.Registry {
				r, err := baseline.ByName(name)
				if err != nil {
					tb.Fatal(err)
				}
				return r
			},
		})
	}
	return rs
}

func serverIDs(from, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "server_" + strconv.Itoa(from+i)
	}
	return ids
}

var preloadedIDs = serverIDs(0, preloaded)

// preloadedRegistry makes a registry holding the preloaded servers. It is
// built outside the measured functions, so loading it is neither timed nor
// counted in B/op, and once per benchmark, not once per b.N calibration.
func preloadedRegistry(b *testing.B, br benchRegistry) model.Registry {
	r := br.make(b)
	b.Cleanup(func() {
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
	})
	for _, id := range preloadedIDs {
		if err := r.RegisterServer(id, 1, model.NopHandler, ""); err != nil {
			b.Fatalf("preload %s into %s: %v", id, br.name, err)
		}
	}
	return r
}

// forEachRegistry runs f as sub-benchmark "<registry>/<suffix>" over every
// preloaded registry, for each suffix in turn. The registry is the innermost
// loop so that the impl and its peers in one configuration run seconds
// apart, not minutes: on a shared machine a busy spell then hits all of
// them alike instead of skewing one side of a ratio. Sub-benchmarks share
// the registries; their writes leave them as they found them. A suffix of
// "" runs f under the registry's name alone.
func forEachRegistry(b *testing.B, suffixes []string, f func(b *testing.B, r model.Registry, suffix string)) {
	brs := benchRegistries()
	regs := make([]model.Registry, len(brs))
	for i, br := range brs {
		regs[i] = preloadedRegistry(b, br)
	}
	for _, suffix := range suffixes {
		for i, br := range brs {
			name := br.name
			if suffix != "" {
				name += "/" + suffix
			}
			b.Run(name, func(b *testing.B) { f(b, regs[i], suffix) })
		}
	}
}

// goroutineSeq numbers RunParallel goroutines so each gets its own PCG
// stream and its own write keys.
var goroutineSeq atomic.Uint64

// benchSeed fixes the key sequences; runs differ only by scheduling.
const benchSeed = 1

func BenchmarkFindServer(b *testing.B) {
	forEachRegistry(b, []string{""}, func(b *testing.B, r model.Registry, _ string) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			rng := rand.New(rand.NewPCG(benchSeed, goroutineSeq.Add(1)))
			for pb.Next() {
				if _, err := r.FindServer(preloadedIDs[rng.IntN(preloaded)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkRouteToServer(b *testing.B) {
	var msg model.Message = "ping" // boxed once: routing itself must not allocate
	forEachRegistry(b, []string{""}, func(b *testing.B, r model.Registry, _ string) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			rng := rand.New(rand.NewPCG(benchSeed, goroutineSeq.Add(1)))
			for pb.Next() {
				if err := r.RouteToServer(preloadedIDs[rng.IntN(preloaded)], msg); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// writeKeysPerGoroutine bounds how far the registry grows during writes.
const writeKeysPerGoroutine = 64

// writeKeys returns a goroutine's own keys beyond the preloaded range, so
// writers never collide and the registry stays near its preloaded size.
func writeKeys(g uint64) []string {
	return serverIDs(preloaded+int(g%1_000_000)*writeKeysPerGoroutine, writeKeysPerGoroutine)
}

// BenchmarkRegisterUnregister: one op is a registration and the
// unregistration of the same fresh key.
func BenchmarkRegisterUnregister(b *testing.B) {
	forEachRegistry(b, []string{""}, func(b *testing.B, r model.Registry, _ string) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			keys := writeKeys(goroutineSeq.Add(1))
			i := 0
			for pb.Next() {
				id := keys[i%len(keys)]
				i++
				if err := r.RegisterServer(id, 2, model.NopHandler, ""); err != nil {
					b.Error(err)
					return
				}
				if err := r.UnregisterServer(id); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// zipfS stands in for YCSB's zipfian constant theta = 0.99: math/rand/v2's
// Zipf needs s > 1. With s = 1.01 over 10,000 keys the top key gets about
// 10 % of draws and the top 100 about half.
const zipfS = 1.01

// keyChooser draws preloaded key indexes for one goroutine.
type keyChooser func() int

func uniformKeys(rng *rand.Rand) keyChooser {
	return func() int { return rng.IntN(preloaded) }
}

// zipfianKeys walks a shared table of zipfian draws from a random start.
// Drawing from rand.Zipf costs more than a lookup (it takes logarithms and
// rejects), so drawing inline would measure the generator; the table is
// made once, outside any timed loop.
func zipfianKeys(rng *rand.Rand) keyChooser {
	draws := zipfDraws()
	i := rng.IntN(len(draws))
	return func() int {
		i++
		if i == len(draws) {
			i = 0
		}
		return int(draws[i])
	}
}

// zipfDraws are 1<<20 draws (4 MiB, ~100 cycles through the hot keys per
// goroutine start) of zipf ranks scrambled through a fixed permutation, as
// YCSB does, so the hot keys are not simply server_0, server_1, ...
var zipfDraws = sync.OnceValue(func() []int32 {
	rng := rand.New(rand.NewPCG(benchSeed, 0x21f))
	perm := rng.Perm(preloaded)
	z := rand.NewZipf(rng, zipfS, 1, preloaded-1)
	draws := make([]int32, 1<<20)
	for i := range draws {
		draws[i] = int32(perm[z.Uint64()])
	}
	return draws
})

var mixKeys = []struct {
	name string
	make func(*rand.Rand) keyChooser
}{{"uniform", uniformKeys}, {"zipfian", zipfianKeys}}

// mixReads are the read percentages: pure lookups, the read-mostly mixes a
// registry sees in steady state, and a write-heavy one.
var mixReads = []int{100, 99, 90, 75}

// BenchmarkMix: reads% FindServer on preloaded keys, the rest writes, each a
// registration or an unregistration (alternating per key) of the
// goroutine's own keys beyond the preloaded range.
func BenchmarkMix(b *testing.B) {
	type mix struct {
		reads int
		keys  func(*rand.Rand) keyChooser
	}
	mixes := map[string]mix{}
	var suffixes []string
	for _, reads := range mixReads {
		for _, keys := range mixKeys {
			suffix := fmt.Sprintf("reads=%d/keys=%s", reads, keys.name)
			suffixes = append(suffixes, suffix)
			mixes[suffix] = mix{reads, keys.make}
		}
	}
	zipfDraws() // made before any timer starts
	forEachRegistry(b, suffixes, func(b *testing.B, r model.Registry, suffix string) {
		m := mixes[suffix]
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			g := goroutineSeq.Add(1)
			rng := rand.New(rand.NewPCG(benchSeed, g))
			next := m.keys(rng)
			own := writeKeys(g)
			var registered [writeKeysPerGoroutine]bool
			w := 0
			for pb.Next() {
				if rng.IntN(100) < m.reads {
					_, _ = r.FindServer(preloadedIDs[next()])
					continue
				}
				// An error (admission control, say) means this write changed
				// nothing; the flag follows what happened.
				k := w % writeKeysPerGoroutine
				w++
				if registered[k] {
					registered[k] = r.UnregisterServer(own[k]) != nil
				} else {
					registered[k] = r.RegisterServer(own[k], 2, model.NopHandler, "") == nil
				}
			}
			for k, ok := range registered {
				if ok {
					_ = r.UnregisterServer(own[k])
				}
			}
		})
	})
}

// memoryServers is how many servers BenchmarkMemory registers.
const memoryServers = 1_000_000

// BenchmarkMemory reports the heap each registry holds per registered
// server (B/server): the HeapAlloc growth, after GC, from registering
// memoryServers servers that share one owner and one handler. The ID
// strings are made before the first reading, so their bytes (held by the
// caller too) are not counted. Run it on its own:
//
//	go test -run '^$' -bench Memory -benchtime 1x ./impl/
func BenchmarkMemory(b *testing.B) {
	ids := serverIDs(0, memoryServers)
	for _, br := range benchRegistries() {
		b.Run(br.name+"/servers="+strconv.Itoa(memoryServers), func(b *testing.B) {
			var perServer float64
			for range b.N {
				perServer = heapPerServer(b, br, ids)
			}
			b.ReportMetric(perServer, "B/server")
		})
	}
}

func heapPerServer(b *testing.B, br benchRegistry, ids []string) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := br.make(b)
	for _, id := range ids {
		if err := r.RegisterServer(id, 1, model.NopHandler, ""); err != nil {
			b.Fatalf("register %s: %v", id, err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(r)
	if c, ok := r.(io.Closer); ok {
		c.Close()
	}
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(len(ids))
}
