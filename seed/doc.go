// Package seed holds what the system shardlab reimplements claimed about
// itself, as data: each headline claim with its target, its claimed
// figure and the section it is quoted from, and the parameters of the
// seed's own experiments (its placement study, its preload). docs/seed.md
// tells the story: what was claimed, where, and what was found.
//
// Every package that judges or quotes a seed claim reads it here: the
// built-in scenarios (package experiments) carry the targets as checks,
// the balance study uses the placement experiment, and the report
// (package paper) quotes the claims beside the measurements.
//
// What it is not: a measurement or a verdict. Nothing here is measured;
// verdicts come from the scenario checks evaluated on real runs.
package seed
