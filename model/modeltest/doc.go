// Package modeltest is the conformance suite every model.Registry runs: the
// reference, the sharded registry at several partition counts and
// partitioners, and every peer in impl/baseline. A new implementation gets
// the whole suite with one call:
//
//	func TestConformance(t *testing.T) {
//		modeltest.Run(t, func(t *testing.T) model.Registry { return mine.New() })
//	}
//
// What it offers:
//
//   - Run: the suite. Subtests:
//     Cases (table-driven: every operation, every error in the documented
//     order, and after each case the whole contents compared with
//     model.State; failed operations must change nothing),
//     NilHandler (the handler check's place in the error order),
//     Routing (the right handler, exactly once; none on a miss; handlers may
//     call back into the registry), Broadcast, OwnerDown, StaleOwnerDown,
//     ListsSorted,
//     Differential (seeded random op sequences over a small key space,
//     every Result compared with model.State via model.Invoke, and the
//     contents compared after every op),
//     Concurrent (goroutines hammering every operation, for -race, then
//     invariants at quiescence: lists sorted and unique, every
//     ServerForTransport answer names a registered server, Broadcast counts
//     agree with the bindings, and OwnerDown of every owner empties the
//     registry).
//   - Snapshot, SnapshotOf, SnapshotOfState: a registry's whole observable
//     contents (entries, bindings as ServerForTransport reports them, and
//     each server's Broadcast fan-out), for comparisons.
//   - SeedEnv: the environment variable that replays one random sequence.
//
// # Seeds and replay
//
// Every random subtest derives from a seed and prints it on failure.
// Differential runs sequences with seeds 1..N (N is smaller under -short);
// setting SHARDLAB_SEED=<seed> runs just that sequence, with the same ops:
//
//	SHARDLAB_SEED=17 go test -run 'Conformance/.*/Differential' ./impl/baseline/
//
// Concurrent uses SHARDLAB_SEED too (default 1) to choose each goroutine's
// ops; the interleaving is up to the scheduler, so a replay repeats the ops,
// not the schedule.
//
// Reading the environment here is deliberate and limited to test support:
// the package is imported only by tests.
//
// What it is not: a linearizability checker. Concurrent finds data races
// and broken invariants; whether concurrent histories are linearizable is
// package check's job (porcupine).
package modeltest
