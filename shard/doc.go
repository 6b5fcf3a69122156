// Package shard splits a long job (a sweep's points, a campaign's
// histories, a balance study's cells) over N independent processes, so a
// batch engine (a Slurm job array, a Kubernetes Indexed Job, a CI matrix)
// can run one shard per task and shardlab merge can put the pieces back.
//
// A Spec is "K/N": shard K (1-based) of N. Membership is a pure function of
// an item's id and N (Owns, OwnsIndex), so every item belongs to exactly
// one shard whatever order or machines the engine picks, and a shard that
// is rerun (or resumed) does the same items again. Resolve also reads the
// shard from the engine's environment for "--shard auto".
//
// It is not a scheduler: it starts nothing, knows no engine beyond the
// names of their index variables, and does not merge results (the results
// store does that).
package shard
