// Command lookupinstr is the workload behind the registry's instruction
// counts: it preloads 10,000 server_N keys into impl.Registry (at the
// partition count given) and into the bare maps a Go user would pick
// instead (xsync.Map, sync.Map, a map behind a sync.RWMutex), then runs
// the same sequence of uniformly drawn lookups and routes against each,
// single-threaded, each target in a function of its own.
//
// Run under valgrind's callgrind, the inclusive instruction count of each
// function divided by -ops is the instructions per operation, which,
// unlike a timing, repeats exactly on a busy machine. `make callgrind`
// does that and `shardlab benchratio --callgrind` prints the counts. The
// loop itself (drawing the key from a precomputed sequence, the call) is
// measured by the loop* functions and is included in every count.
//
// What it is not: a benchmark. Run outside valgrind it measures nothing.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/model"
)

type value struct {
	owner   model.Owner
	handler model.Handler
	cfg     model.Config
}

type rwMap struct {
	mu sync.RWMutex
	m  map[string]*value
}

var sink int

func main() {
	partitions := flag.Int("partitions", 64, "impl's partition count")
	keys := flag.Int("keys", 10_000, "preloaded server_N keys")
	ops := flag.Int("ops", 100_000, "operations per target")
	flag.Parse()
	if *keys < 1 || *ops < 10 {
		fmt.Fprintln(os.Stderr, "lookupinstr: -keys and -ops must be positive")
		os.Exit(2)
	}
	r, err := impl.New(impl.Options{Partitions: *partitions})
	if err != nil {
		fmt.Fprintln(os.Stderr, "lookupinstr:", err)
		os.Exit(2)
	}
	xm := xsync.NewMap[string, *value]()
	var sm sync.Map
	rw := &rwMap{m: map[string]*value{}}
	ids := make([]string, *keys)
	for i := range ids {
		ids[i] = "server_" + strconv.Itoa(i)
		if err := r.RegisterServer(ids[i], 1, model.NopHandler, ""); err != nil {
			fmt.Fprintln(os.Stderr, "lookupinstr:", err)
			os.Exit(1)
		}
		v := &value{owner: 1, handler: model.NopHandler}
		xm.Store(ids[i], v)
		sm.Store(ids[i], v)
		rw.m[ids[i]] = v
	}
	rng := rand.New(rand.NewPCG(1, 2))
	seq := make([]string, *ops)
	for i := range seq {
		seq[i] = ids[rng.IntN(len(ids))]
	}
	var msg model.Message = "ping"
	// No collection during the loops: callgrind charges whatever runs on
	// the thread to the function on its stack, goroutine switches included.
	runtime.GC()
	debug.SetGCPercent(-1)
	// Each twice: the first pass warms caches and lazy paths, callgrind
	// counts both, and the counts divide by 2*ops.
	for range 2 {
		loopBaseline(seq)
		findImpl(r, seq)
		routeImpl(r, seq, msg)
		findXSync(xm, seq)
		routeXSync(xm, seq, msg)
		findSyncMap(&sm, seq)
		routeSyncMap(&sm, seq, msg)
		findRWMutex(rw, seq)
		routeRWMutex(rw, seq, msg)
	}
	// Registrations allocate, so the collector runs again, but its work
	// is charged to its own goroutine's stack, and the write loops are
	// short: a register+unregister pair per fresh key, 64 keys cycled.
	fresh := make([]string, 64)
	for i := range fresh {
		fresh[i] = "server_" + strconv.Itoa(*keys+i)
	}
	debug.SetGCPercent(100)
	for range 2 {
		regImpl(r, fresh, *ops/10)
		regXSync(xm, fresh, *ops/10)
	}
	// The header `shardlab benchratio --callgrind` reads: the operations
	// each lookup function and each write function ran.
	fmt.Printf("partitions=%d keys=%d ops=%d writes=%d\n", *partitions, *keys, 2**ops, 2*(*ops/10))
}

//go:noinline
func loopBaseline(seq []string) {
	for _, id := range seq {
		sink += len(id)
	}
}

//go:noinline
func findImpl(r *impl.Registry, seq []string) {
	for _, id := range seq {
		if _, err := r.FindServer(id); err != nil {
			panic(err)
		}
	}
}

//go:noinline
func routeImpl(r *impl.Registry, seq []string, msg model.Message) {
	for _, id := range seq {
		if err := r.RouteToServer(id, msg); err != nil {
			panic(err)
		}
	}
}

//go:noinline
func findXSync(m *xsync.Map[string, *value], seq []string) {
	for _, id := range seq {
		if _, ok := m.Load(id); !ok {
			panic(id)
		}
	}
}

//go:noinline
func routeXSync(m *xsync.Map[string, *value], seq []string, msg model.Message) {
	for _, id := range seq {
		v, ok := m.Load(id)
		if !ok {
			panic(id)
		}
		v.handler.Handle(msg)
	}
}

//go:noinline
func findSyncMap(m *sync.Map, seq []string) {
	for _, id := range seq {
		if _, ok := m.Load(id); !ok {
			panic(id)
		}
	}
}

//go:noinline
func routeSyncMap(m *sync.Map, seq []string, msg model.Message) {
	for _, id := range seq {
		v, ok := m.Load(id)
		if !ok {
			panic(id)
		}
		v.(*value).handler.Handle(msg)
	}
}

//go:noinline
func findRWMutex(m *rwMap, seq []string) {
	for _, id := range seq {
		m.mu.RLock()
		_, ok := m.m[id]
		m.mu.RUnlock()
		if !ok {
			panic(id)
		}
	}
}

//go:noinline
func routeRWMutex(m *rwMap, seq []string, msg model.Message) {
	for _, id := range seq {
		m.mu.RLock()
		v, ok := m.m[id]
		m.mu.RUnlock()
		if !ok {
			panic(id)
		}
		v.handler.Handle(msg)
	}
}

//go:noinline
func regImpl(r *impl.Registry, fresh []string, n int) {
	for i := range n {
		id := fresh[i%len(fresh)]
		if err := r.RegisterServer(id, 2, model.NopHandler, ""); err != nil {
			panic(err)
		}
		if err := r.UnregisterServer(id); err != nil {
			panic(err)
		}
	}
}

//go:noinline
func regXSync(m *xsync.Map[string, *value], fresh []string, n int) {
	for i := range n {
		id := fresh[i%len(fresh)]
		if _, loaded := m.LoadOrStore(id, &value{owner: 2, handler: model.NopHandler}); loaded {
			panic(id)
		}
		if _, ok := m.LoadAndDelete(id); !ok {
			panic(id)
		}
	}
}
