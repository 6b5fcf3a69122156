package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/registries"
)

func newCheckCmd() *cobra.Command {
	var (
		historyPath string
		registry    string
		partitions  int
		c           check.Campaign
		out         string
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check linearizability: a history file, or a randomized campaign against a registry",
		Long: `check decides whether a registry behaves like shardlab's model under concurrency.

With --history FILE it checks a recorded history (JSON lines, one operation per
line; see the check package documentation) from any registry, in any language.
Without it, it runs a randomized campaign against --registry: many short
histories over a small key space and a few long ones, all from --seed.

On a violation it writes porcupine's HTML visualisation of the failing
partition (and, for campaigns, the failing history as JSON lines) under --out
and prints their paths, the seed and the operations involved.

Exit status: 0 linearizable, 1 violation, 2 usage error or malformed history,
3 undecided (the --timeout ran out; never a pass).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			if out == "" {
				dir, err := os.MkdirTemp("", "shardlab-check-")
				if err != nil {
					return err
				}
				out = dir
			}
			if historyPath != "" {
				opts := check.Options{Timeout: c.Timeout, HTMLPath: filepath.Join(out, filepath.Base(historyPath)+".html")}
				v, err := check.CheckFile(historyPath, opts)
				if err != nil {
					return usageError("%v", err)
				}
				fmt.Fprintf(w, "%s: %s\n", historyPath, v)
				return verdictStatus(w, v, "")
			}
			if partitions < 1 || partitions > partition.MaxPartitions {
				return usageError("--partitions %d: want 1..%d", partitions, partition.MaxPartitions)
			}
			newReg, err := registries.Factory(registry, spec.RegistrySpec{Partitions: partitions})
			if err != nil {
				return usageError("%v", err)
			}
			c.Name = registry
			if e, _ := registries.Lookup(registry); e.Partitioned {
				c.Name = fmt.Sprintf("sharded-p%d", partitions)
			}
			c.NewRegistry, c.OutDir = newReg, out
			// A count of zero on the command line means none; Campaign
			// reads zero as "default" and a negative count as none.
			for _, n := range []*int{&c.Histories, &c.Long} {
				if *n == 0 {
					*n = -1
				}
			}
			if verbose, _ := cmd.Flags().GetBool("verbose"); verbose {
				c.Log = w
			}
			res, err := c.Run(cmd.Context())
			if errors.Is(err, check.ErrWorkload) || errors.Is(err, check.ErrCampaign) {
				return usageError("%v", err)
			}
			fmt.Fprintf(w, "%s: %s after %d histories (%d ops), seed %d; run %v, check %v (%.1f histories/s checked)\n",
				c.Name, res.Outcome, res.Histories, res.Ops, c.Seed, res.RunTime.Round(time.Millisecond),
				res.CheckTime.Round(time.Millisecond), res.HistoriesPerSecond())
			if err != nil {
				return withStatus(exitFailure, err)
			}
			if res.Failure == nil {
				return nil
			}
			f := res.Failure
			fmt.Fprintf(w, "history %d (long=%t) of seed %d: replay the workload with --seed %d; recheck exactly with --history %s\n",
				f.Index, f.Long, f.Seed, f.Seed, f.HistoryPath)
			return verdictStatus(w, f.Verdict, f.HistoryPath)
		},
	}
	f, d := cmd.Flags(), check.DefaultCampaign()
	f.StringVar(&historyPath, "history", "", "check this history file (JSON lines) instead of running a campaign")
	f.StringVar(&registry, "registry", registries.Sharded, "registry to check: "+strings.Join(registries.Names(), ", "))
	f.IntVar(&partitions, "partitions", impl.DefaultPartitions, "partitions of the sharded registry")
	f.Uint64Var(&c.Seed, "seed", 1, "seed of the generated workloads")
	f.IntVar(&c.Histories, "histories", d.Histories, "short histories to run")
	f.IntVar(&c.Long, "long", d.Long, "long histories to run after the short ones")
	f.IntVar(&c.Clients, "clients", d.Clients, "concurrent clients per history")
	f.IntVar(&c.Ops, "ops", d.Ops, "operations per client in a short history")
	f.IntVar(&c.Keys, "keys", d.Keys, "distinct IDs in a short history (small, so operations collide)")
	f.IntVar(&c.LongOps, "long-ops", d.LongOps, "operations per client in a long history")
	f.IntVar(&c.LongKeys, "long-keys", d.LongKeys, "distinct IDs in a long history")
	f.DurationVar(&c.Timeout, "timeout", d.Timeout, "time budget for checking one history")
	f.StringVar(&out, "out", "", "directory for artifacts (default: a new temporary directory)")
	f.BoolP("verbose", "v", false, "print one line per history")
	return cmd
}

// verdictStatus prints what a person needs to look at and maps the outcome
// to the exit status.
func verdictStatus(w io.Writer, v check.Verdict, historyPath string) error {
	switch v.Outcome {
	case check.Ok:
		return nil
	case check.Violation:
		fmt.Fprintln(w, v.Description)
		if v.HTMLPath != "" {
			fmt.Fprintf(w, "visualisation: %s\n", v.HTMLPath)
		}
		if historyPath != "" {
			fmt.Fprintf(w, "history: %s\n", historyPath)
		}
		return withStatus(exitFailure, errors.New("not linearizable"))
	default:
		fmt.Fprintln(w, v.Description)
		return withStatus(exitUndecided, fmt.Errorf("undecided: %w (raise --timeout)", check.ErrTimeout))
	}
}
