// Package bench measures registries through the driver protocol: each
// driver (at each partition count, where it has them) runs sim's closed
// loop over one operation kind at a time, repeated and interleaved, beside
// null drivers whose figures are the protocol's own cost. It backs
// `shardlab driver-bench`.
//
// What it is not: the scenario runner (package experiments runs the seed's
// scenarios), and not a statistics package: it reports medians and ranges
// of a few repeats.
package bench
