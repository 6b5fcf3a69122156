// Package benchratio turns `go test -bench` output for the registry
// benchmarks (package impl's bench_test.go) into a table of ratios: for each
// benchmark configuration and -cpu value, the sharded registry's throughput
// relative to each peer, beside its allocations and the performance goals
// the design states (docs/design.md, "Performance intent").
//
// What it offers:
//
//   - Parse: benchmark lines (name, iterations, value/unit pairs) from go
//     test output; other lines are ignored.
//
//   - Summarize: the median ns/op, allocs/op and B/op over -count repeats,
//     per benchmark name and GOMAXPROCS, split into the configuration (the
//     name without its registry= and partitions= elements), the registry
//     and the partition count.
//
//   - Compare: the ratio rows (peer ns/op over impl ns/op, so >1 means the
//     impl is faster) with each goal marked met or not met.
//
//   - Goals: the goals checked, and Write, which prints rows and a summary.
//
//   - Run(Config): all of it for `shardlab benchratio FILE`.
//
//   - MedianCI: a distribution-free confidence interval for a median (the
//     order-statistic method benchstat uses), applied to each impl ns/op
//     and to each ratio.
//
//   - ParseCallgrind, WriteInstr: the instruction counts `make callgrind`
//     measures (package impl/internal/lookupinstr under valgrind), printed
//     beside the timings.
//
// Ratios are taken round by round: make bench runs every target of a
// configuration within seconds of the others, COUNT rounds over, and the
// k-th repeat of the impl is divided by the k-th repeat of each peer, so a
// busy spell on a shared machine that slows one round moves one ratio,
// not the median. Two tables are printed: against the bare maps a Go user
// would pick instead of a registry (registry=bare-*), and against the
// registry peers of package impl/baseline.
//
// What it is not: a general statistics package, or a replacement for
// benchstat's comparisons of two files.
package benchratio
