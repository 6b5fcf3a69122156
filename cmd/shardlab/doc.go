// Command shardlab runs shardlab's checks, scenarios, sweeps, planner and
// report. Each subcommand only parses flags into a Config and calls the Run
// of the package that does the work; nothing else in the module reads flags
// or the environment.
//
// Subcommands:
//
//	check       linearizability campaign, or check a recorded history file (package check)
//	scenarios   list the seed's scenarios and the built-in sweeps (package experiments)
//	run         run scenarios against one or more registries side by side
//	sweep       run a partitions x workers x workload x registry sweep
//	balance     the partition balance study (package experiments/balance)
//	plan        recommend a partition count for a target (packages paper, analysis)
//	report      measure (quick) and build the report, or rebuild it from results (package paper)
//	benchratio  turn go test -bench output into impl-vs-peer ratios (internal/benchratio)
//
// Exit statuses, for every subcommand: 0 ok; 1 the command ran and found a
// failure (a violation, a missed target with --strict, no plan meets the
// target); 2 usage error or bad input (flags, spec files, history files,
// results directories); 3 undecided (a check ran out of its time or memory
// budget, or a signal stopped it).
package main
