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
//   - Summarize: the median ns/op, allocs/op and B/op over -count repeats,
//     per benchmark name and GOMAXPROCS, split into the configuration (the
//     name without its registry= and partitions= elements), the registry
//     and the partition count.
//   - Compare: the ratio rows (peer ns/op over impl ns/op, so >1 means the
//     impl is faster) with each goal marked met or not met.
//   - Goals: the goals checked, and Write, which prints rows and a summary.
//   - Run(Config): all of it for `shardlab benchratio FILE`.
//
// Ratios use medians: one noisy repeat on a shared machine moves a median
// far less than a mean. With -count 1 the median is the single value, and
// the table says how many repeats each figure rests on.
//
// What it is not: a statistics package. It does not test whether a ratio is
// significant; use benchstat on the same file for confidence intervals.
package benchratio
