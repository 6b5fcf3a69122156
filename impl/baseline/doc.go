// Package baseline holds the peers the sharded registry (package impl) is
// measured against: other ways to build the same model.Registry, each with
// the model's exact semantics and error order, so that side-by-side
// benchmarks compare designs rather than features.
//
// What it offers:
//
//   - NewMutex ("mutex"): plain maps behind one sync.Mutex.
//   - NewChannel ("channel"): the gen_server analogue. One goroutine owns
//     the maps and serves every operation, reads included, sent to it over
//     a channel, as the seed's erlmcp registry did through gen_server:call.
//     Close stops the goroutine; later calls return ErrClosed.
//   - NewSyncMap ("syncmap"): two sync.Maps with lock-free single-key reads
//     and writers serialised on a mutex.
//   - NewXSync ("xsync"): the same design over xsync.Map
//     (github.com/puzpuzpuz/xsync/v4).
//   - Names, ByName, ErrUnknownName: pick a peer by name (CLIs, experiments).
//     Every peer has Close() error, so a caller can close any of them
//     through io.Closer.
//
// The lock-free peers stay linearizable across keys without locking reads:
// values are immutable and replaced on write, a binding points at the exact
// server value it was made against and counts only while that value is
// current, and owner death flips one shared flag before any entry is
// deleted. lockfree.go gives the argument; package model/modeltest and
// package check test it. FindServer, FindTransport, ServerForTransport,
// RouteToServer and RouteToTransport allocate nothing in the lock-free
// peers. Lists and Broadcast take the writers' mutex.
//
// What it is not: production code. The peers have no partitions,
// statistics or admission control (they never return model.ErrOverloaded),
// and they are tuned only as far as a fair comparison needs.
package baseline
