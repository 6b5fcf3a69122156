package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/store"
)

func newMergeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "merge OUT DIR...",
		Short: "Combine the results folders of shards 1..N of one run, check campaign, balance study or history check into OUT",
		Long: `merge combines the folders written by --shard K/N (on run, sweep or check),
one per shard, into OUT, which then reads as the folder of the unsharded run:
points in the unsharded order, one meta.json without a shard, summary.csv and
done.json; for a check campaign, one check.json whose verdict is the worst
shard's (a violation beats undecided, undecided beats ok) and whose counts
are the sums; for a balance study, one balance.json with every cell in the
study's order. Each shard's host is kept (meta.json "merged"), so report's
mixed-hosts rule sees every machine.

It refuses folders of different runs (spec, seed or schema version), names
missing shards, refuses a shard given twice, one still being written and one
without its final marker (done.json; check.json or balance.json, which are
written only when the shard finishes). OUT must not
exist (or be empty); it is written beside itself and renamed into place, so
an interrupted merge leaves no OUT at all.

The folders of one history file checked with check --history FILE --shard K/N
(history-check.json) merge into one verdict as the unsharded check's: any
violation wins, else any undecided makes the whole undecided; decided
partitions and sizes add up. Shards of different files (name or content
hash) are refused. merge prints that verdict and exits with its status.

Exit status: 0 merged (for a history check: linearizable), 1 the merged
history check found a violation, 2 bad input (nothing is written), 3 the
merged history check is undecided.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			res, err := store.Merge(store.MergeConfig{
				Out: args[0], Dirs: args[1:], PlannedIDs: experiments.PlannedIDs, CommandLine: os.Args,
				MergeVerdicts: mergeHistoryVerdicts,
			})
			if err != nil {
				for _, e := range []error{store.ErrIncomplete, store.ErrMismatch, store.ErrCorrupt, store.ErrSchema, store.ErrLocked, store.ErrOutput} {
					if errors.Is(err, e) {
						return withStatus(exitUsage, err)
					}
				}
				return withStatus(exitFailure, err)
			}
			unit := map[string]string{"run": "points", "check": "histories", "balance": "cells", "history": "partitions decided"}[res.Kind]
			fmt.Fprintf(c.OutOrStdout(), "%s: %d shards, %d %s\n", args[0], res.Shards, res.Items, unit)
			if res.History != nil {
				return historyCheckStatus(c.OutOrStdout(), res.History)
			}
			return nil
		},
	}
}
