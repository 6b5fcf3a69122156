// Package store owns shardlab's results folders: their layout, their
// schema versions, reading them back (Load, LoadReport, LoadSweep,
// LoadBalance, LoadCheck) and writing them (Writer, WriteBalance,
// WriteCheck), always atomically or append-and-fsync.
//
// A run's folder (one `shardlab run` or `sweep`):
//
//	meta.json     Meta: what ran (kind, the resolved spec, seed, host, command line)
//	points.jsonl  one Point per finished point, with full HdrHistograms
//	summary.csv   one row per point rebuilt from the points on every Open
//	done.json     the final marker: every planned point is in (Writer.Finish)
//	.shardlab.lock  held (flock) by the one process writing the folder
//
// Open locks the folder (a second writer gets ErrLocked naming the
// holder), reads every point line strictly (unknown fields refused) and
// checks it against the run (its seed, name, registries, the runner's
// plan; no negative or non-finite figures), removes temporary files an
// interrupted write of ours left, and rebuilds summary.csv.
//
// A folder may hold one shard K/N of a run (Meta.Shard; package shard
// decides which points). Merge combines the folders of shards 1..N of a
// run, a `shardlab check` campaign (check.json), a balance study or the
// check of one history file (history-check.json, HistoryCheck) into one
// that reads like the unsharded run's, keeping each shard's host
// (MergedShard) for the report's mixed-hosts rule.
//
// A report's folder (`shardlab report`) holds one part per name:
//
//	scenarios/    a run's folder (kind "scenarios")
//	sweep/        a run's folder (kind "sweep")
//	balance/      balance.json + balance.csv (Balance)
//	check.json    the verification campaign's summary (CheckSummary)
//	capacity/     the capacity model's calibration and validation (optional)
//	beam.json     registries in other languages (Beam, optional to load:
//	              Elixir's Registry beside impl through the driver
//	              protocol, or why it was not measured; the kept BEAM
//	              findings rechecked)
//
// SweepCells aggregates a sweep's repetitions into cells (mean throughput
// with its interval, median p99, skew) as the planner and the figures use
// them; Measurements turns cells into the planner's input.
//
// Errors are sentinels checked with errors.Is: ErrSchema (another schema
// version), ErrCorrupt, ErrMismatch (a folder holding another run),
// ErrOutput, ErrLocked (another process writes the folder), ErrIncomplete
// (a merge's shards are missing, repeated or unfinished), and for a report's
// folder ErrEmpty, ErrPartial and ErrMixedHosts. Each means the user's input is at fault (exit status 2).
//
// What it is not: a runner (experiments, experiments/balance and report
// produce what is stored) or a renderer (paper). It imports no registry,
// driver or checker, so anything that only reads results stays light.
package store
