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
	"github.com/shardlab/shardlab/drivers"
	"github.com/shardlab/shardlab/drivers/protocol"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/internal/host"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/report"
	"github.com/shardlab/shardlab/store"
)

func newCheckCmd() *cobra.Command {
	var (
		historyPath string
		registry    string
		partitions  int
		c           check.Campaign
		out         string
		driverCmd   string
		df          driverFlags
		shardArg    string
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
			if historyPath != "" && shardArg != "" {
				// Splitting one history's partitions over machines comes
				// with the parallel partition checker; until then refuse
				// rather than check the whole history in every shard.
				return usageError("--shard applies to campaigns; checking one shard of a --history is not supported yet")
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
			sh, err := resolveShard(shardArg)
			if err != nil {
				return err
			}
			c.Shard = sh
			if partitions < 1 || partitions > partition.MaxPartitions {
				return usageError("--partitions %d: want 1..%d", partitions, partition.MaxPartitions)
			}
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
			if strings.HasPrefix(registry, drivers.Prefix) && driverCmd == "" {
				command, err := drivers.Command(registry, partitions)
				if err != nil {
					return usageError("%v", err)
				}
				driverCmd = strings.Join(command, " ")
			}
			if driverCmd != "" {
				// One driver process for the whole campaign, reset before
				// each history.
				return checkDriver(cmd, strings.Fields(driverCmd), df, c, out, registry, partitions)
			}
			newReg, err := registries.Factory(registry, spec.RegistrySpec{Partitions: partitions})
			if err != nil {
				return usageError("%v", err)
			}
			c.Name = registries.Label(registry, partitions)
			c.NewRegistry, c.OutDir = newReg, out
			return runCampaign(cmd, c, registry, partitions)
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
	f.StringVar(&driverCmd, "driver", "", "check a registry in any language: the command (split on spaces) of a driver speaking docs/protocol.md")
	df.add(cmd)
	addShardFlag(f, &shardArg)
	return cmd
}

// runCampaign runs c and prints its summary and verdict. It holds the
// lock of c.OutDir and, once the campaign (or its shard) has finished,
// writes check.json there: the folder's final marker for shardlab merge.
func runCampaign(cmd *cobra.Command, c check.Campaign, registry string, partitions int) error {
	w := cmd.OutOrStdout()
	lock, err := store.LockDir(c.OutDir)
	if err != nil {
		return experimentStatus(err)
	}
	defer lock.Close()
	res, err := c.Run(cmd.Context())
	if errors.Is(err, check.ErrWorkload) || errors.Is(err, check.ErrCampaign) {
		return usageError("%v", err)
	}
	if isDriverError(err) {
		// A driver that broke the protocol gives no verdict.
		return usageError("%v", err)
	}
	if ctxErr := cmd.Context().Err(); ctxErr != nil && err != nil {
		return err // interrupted: no summary that could read as a pass
	}
	if werr := writeCampaign(c.OutDir, c, registry, partitions, res, err); werr != nil {
		return withStatus(exitFailure, werr)
	}
	fmt.Fprintf(w, "%s: %s after %d histories (%d ops), seed %d; run %v (%.0f ops/s), check %v (%.1f histories/s checked)\n",
		c.Name, res.Outcome, res.Histories, res.Ops, c.Seed, res.RunTime.Round(time.Millisecond),
		float64(res.Ops)/max(res.RunTime.Seconds(), 1e-9), res.CheckTime.Round(time.Millisecond), res.HistoriesPerSecond())
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
}

// checkDriver runs the campaign against a driver process, which is always
// reaped (Ctrl-C included: the command's context ends it).
func checkDriver(cmd *cobra.Command, command []string, df driverFlags, c check.Campaign, out, registry string, partitions int) error {
	d, err := protocol.Start(cmd.Context(), df.config(command))
	if err != nil {
		return usageError("%v", err)
	}
	defer d.Close()
	fmt.Fprintf(cmd.OutOrStdout(), "driver: %s\n", d.Hello())
	if !d.Hello().Supports(model.OpRegisterTransport) && !cmd.Flags().Changed("clients") && !cmd.Flags().Changed("ops") {
		// A servers-profile history is mostly registrations and owner
		// deaths, which such registries answer without a count (pending):
		// each pending operation multiplies the orders to try, and 8
		// clients x 30 ops can take porcupine minutes per history.
		c.Clients, c.Ops = 4, 20
		fmt.Fprintln(cmd.OutOrStdout(), "servers profile: 4 clients x 20 ops per short history (set --clients and --ops to change)")
	}
	c = d.Campaign(c)
	c.Name = d.Hello().Name
	c.OutDir = out
	runErr := runCampaign(cmd, c, registry, partitions)
	if err := d.Close(); err != nil && runErr == nil {
		return usageError("%v", err)
	}
	return runErr
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

// writeCampaign records a campaign's outcome as check.json in out, in the
// format a report reads and shardlab merge combines.
func writeCampaign(out string, c check.Campaign, registry string, partitions int, res check.CampaignResult, runErr error) error {
	if registry != registries.Sharded {
		partitions = 0
	}
	s := &store.CheckSummary{
		SchemaVersion: store.CheckSchemaVersion, Created: time.Now().UTC(), Host: host.Detect(), Seed: c.Seed,
		Method: report.CampaignMethod,
		Runs:   []store.CheckRun{report.CampaignRecord(c, partitions, res, runErr)},
		Campaign: &store.CheckCampaign{
			Registry: registry, Partitions: partitions, Histories: max(c.Histories, 0), Long: max(c.Long, 0),
			Clients: c.Clients, Ops: c.Ops, Keys: c.Keys, LongOps: c.LongOps, LongKeys: c.LongKeys, TimeoutNs: int64(c.Timeout),
		},
		Shard: c.Shard.String(),
	}
	return store.WriteCheck(filepath.Join(out, store.CheckFile), s)
}
