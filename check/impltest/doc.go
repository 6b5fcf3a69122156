// Package impltest runs shardlab's verification (package check) against the
// production sharded registry (package impl) at 1, 4 and 64 partitions and
// against every peer in impl/baseline: rapid state-machine tests with the
// impl's statistics invariant, rapid-driven concurrent tests judged by
// porcupine, a short randomized campaign, and a fuzz target over operation
// sequences.
//
// It holds only tests, kept apart from package check so that check's own
// tests do not depend on impl compiling.
//
// Replay: campaigns print their seed on failure; pass it back with
// `go test ./check/impltest -seed N`. rapid failures print -rapid.seed=N.
// Fuzz: `go test ./check/impltest -run '^$' -fuzz FuzzSharded`.
package impltest
