// Package calibrate measures, on the machine at hand, what package
// capacity's model needs (Run: service demand per operation kind, lock
// hold share, contended hand-off, timer and wake-up costs, repeated with
// intervals), and checks the model against measurement (Validate:
// predicted and measured throughput, p50 and p99 side by side, with the
// relative error per cell).
//
// It drives the real registry (impl) with the real load drivers (sim),
// with workers <= cores wherever it infers a cost, because more workers
// than cores measure the Go scheduler rather than the registry. It sets
// GOMAXPROCS for each run and restores it before returning, so run
// nothing else in the process meanwhile.
//
// What it is not: the model (package capacity, which needs no registry)
// or a benchmark suite (impl's benchmarks compare registries).
package calibrate
