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
	"github.com/shardlab/shardlab/internal/atomicfile"
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
		summary     string
		asJSON      bool
		workers     int
		maxMemory   string
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

A history file is checked on --workers cores at once (its partitions are
independent), within --timeout and --max-memory from the first byte read;
it prints the sizes of the partitions it decided. Ctrl-C or SIGTERM stops it
at once with exit status 3. An undecided check prints one line and writes the
details (every key and operation of the partition that was running) under
--out. With --shard K/N it decides only shard K's partitions; with --shard or
--out it records the verdict as history-check.json under --out, which
shardlab merge combines with the other shards'.

Exit status: 0 linearizable, 1 violation, 2 usage error or malformed history,
3 undecided (the --timeout or --max-memory ran out, or a signal stopped it;
never a pass).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			if historyPath != "" {
				// Campaign flags do nothing to a recorded history: refuse
				// them rather than let a user believe they applied.
				for _, name := range []string{"registry", "partitions", "seed", "histories", "long", "clients", "ops", "keys", "long-ops", "long-keys", "summary", "verbose", "json"} {
					if cmd.Flags().Changed(name) {
						return usageError("--%s applies to campaigns; it does nothing with --history", name)
					}
				}
			}
			if summary != "" {
				if err := checkWritable(filepath.Dir(summary)); err != nil {
					return usageError("--summary %s: %v", summary, err)
				}
			}
			// An empty value is a script's unset variable, never a
			// request for the default.
			for _, name := range []string{"history", "registry", "out", "max-memory", "driver"} {
				if fl := cmd.Flags().Lookup(name); fl.Changed && fl.Value.String() == "" {
					return usageError("--%s: empty value (leave the flag out for its default)", name)
				}
			}
			memBudget := check.DefaultMaxMemory()
			if maxMemory != "" {
				n, err := check.ParseBytes(maxMemory)
				if err != nil {
					return usageError("--max-memory: %v", err)
				}
				memBudget = n
			}
			if workers < 0 {
				return usageError("--workers %d: want 0 (one per core) or more", workers)
			}
			if out == "" {
				// Artifacts exist only for a violation: a temporary
				// folder, removed again when the check leaves it empty.
				dir, err := os.MkdirTemp("", "shardlab-check-")
				if err != nil {
					return err
				}
				defer os.Remove(dir) // fails, keeping it, when it holds artifacts
				out = dir
			}
			if c.Timeout <= 0 {
				return usageError("--timeout %v: want a positive duration", c.Timeout)
			}
			sh, err := resolveShard(shardArg)
			if err != nil {
				return err
			}
			if historyPath != "" {
				// --shard K/N decides only the partitions of shard K (by
				// key); the exit statuses of the N shards combine as the
				// verdicts do: any 1 is a violation, else any 3 undecided.
				// With --shard or --out the verdict is recorded as
				// history-check.json, which shardlab merge combines.
				record := cmd.Flags().Changed("out") || cmd.Flags().Changed("shard")
				return checkHistoryFile(cmd, historyPath, out, record, check.Options{Timeout: c.Timeout, Workers: workers, MaxMemory: memBudget,
					HTMLPath: filepath.Join(out, filepath.Base(historyPath)+".html"), Shard: check.Shard{K: sh.K, N: sh.N}})
			}
			if registry != registries.Sharded && !strings.HasPrefix(registry, drivers.Prefix) && cmd.Flags().Changed("partitions") {
				return usageError("--partitions applies to the sharded registry; %s has none", registry)
			}
			c.Shard = sh
			// check.json (the folder's final marker for shardlab merge)
			// is written where the user asked for results, never into
			// the temporary artifacts folder.
			o := campaignOutput{summary: summary, json: asJSON, registry: registry, partitions: partitions,
				record: cmd.Flags().Changed("out") || cmd.Flags().Changed("shard")}
			if partitions < 1 || partitions > partition.MaxPartitions {
				return usageError("--partitions %d: want 1..%d", partitions, partition.MaxPartitions)
			}
			if err := campaignFlagsValid(c); err != nil {
				return err
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
				return checkDriver(cmd, strings.Fields(driverCmd), df, c, out, o)
			}
			newReg, err := registries.Factory(registry, spec.RegistrySpec{Partitions: partitions})
			if err != nil {
				return usageError("%v", err)
			}
			c.Name = registries.Label(registry, partitions)
			c.NewRegistry, c.OutDir = newReg, out
			if err := partitionLayout(&c); err != nil {
				return usageError("%v", err)
			}
			return runCampaign(cmd, c, o)
		},
	}
	f, d := cmd.Flags(), check.DefaultCampaign()
	f.StringVar(&historyPath, "history", "", "check this history file (JSON lines) instead of running a campaign")
	f.StringVar(&registry, "registry", registries.Sharded, "registry to check: "+strings.Join(registries.Names(), ", "))
	f.IntVar(&partitions, "partitions", impl.DefaultPartitions, "partitions of the sharded registry")
	f.Uint64Var(&c.Seed, "seed", 1, "seed of the generated workloads")
	f.IntVar(&c.Histories, "histories", d.Histories, "short histories to run (0: none, but then --long must be at least 1)")
	f.IntVar(&c.Long, "long", d.Long, "long histories to run after the short ones (0: none)")
	f.IntVar(&c.Clients, "clients", d.Clients, "concurrent clients per history (default: more than the cores)")
	f.IntVar(&c.Ops, "ops", d.Ops, "operations per client in a short history")
	f.IntVar(&c.Keys, "keys", d.Keys, "distinct IDs in a short history (small, so operations collide)")
	f.IntVar(&c.LongOps, "long-ops", d.LongOps, "operations per client in a long history")
	f.IntVar(&c.LongKeys, "long-keys", d.LongKeys, "distinct IDs in a long history")
	f.DurationVar(&c.Timeout, "timeout", d.Timeout, "time budget for checking one history")
	f.StringVar(&out, "out", "", "directory for artifacts (default: a new temporary directory)")
	f.IntVar(&workers, "workers", 0, "partitions of a history file checked at once (0: one per core)")
	f.StringVar(&maxMemory, "max-memory", "", "memory budget of a history check, e.g. 2GiB (default: half the machine's memory, at most 4GiB)")
	f.BoolP("verbose", "v", false, "print one line per history")
	f.StringVar(&summary, "summary", "", "add this campaign's outcome to a verification summary (check.json, as `report --results DIR` reads it), creating it if missing")
	f.BoolVar(&asJSON, "json", false, "print a campaign's outcome as JSON (the summary's record)")
	f.StringVar(&driverCmd, "driver", "", "check a registry in any language: the command (split on spaces) of a driver speaking docs/protocol.md")
	df.add(cmd)
	addShardFlag(f, &shardArg)
	return cmd
}

// partitionLayout sets the campaign's PartitionOf and Partitions when the
// registry tells where IDs go (the sharded registry does), so that
// generated keys reach every partition. The layout is the partitioner's,
// the same for every registry the factory builds.
func partitionLayout(c *check.Campaign) error {
	reg, err := c.NewRegistry()
	if err != nil {
		return err
	}
	if closer, ok := reg.(io.Closer); ok {
		defer closer.Close()
	}
	if l, ok := reg.(interface {
		PartitionOf(id string) int
		Partitions() int
	}); ok {
		c.PartitionOf, c.Partitions = l.PartitionOf, l.Partitions()
	}
	return nil
}

// campaignFlagsValid rejects counts that cannot mean anything and a
// campaign that would check nothing: a pass after checking no operation
// would be a lie.
func campaignFlagsValid(c check.Campaign) error {
	for _, f := range []struct {
		name string
		n    int
	}{{"histories", c.Histories}, {"long", c.Long}} {
		if f.n < 0 {
			return usageError("--%s %d: want a count >= 0", f.name, f.n)
		}
	}
	if c.Histories == 0 && c.Long == 0 {
		return usageError("--histories 0 and --long 0: nothing to check")
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"clients", c.Clients}, {"ops", c.Ops}, {"keys", c.Keys}, {"long-ops", c.LongOps}, {"long-keys", c.LongKeys}} {
		// Counts that only shape histories that do not run are not
		// checked: --long 0 --long-ops 0 is fine.
		if (f.name == "long-ops" || f.name == "long-keys") && c.Long == 0 {
			continue
		}
		if (f.name == "ops" || f.name == "keys") && c.Histories == 0 {
			continue
		}
		if f.n < 1 {
			return usageError("--%s %d: want a count >= 1 (nothing to check)", f.name, f.n)
		}
	}
	return nil
}

// checkHistoryFile checks one history file under the command's context
// (cancelled by SIGINT and SIGTERM). When record is set it holds out's
// lock and, once the check has finished (not when a signal stopped it),
// writes its verdict there as history-check.json: the folder's final
// marker for shardlab merge.
func checkHistoryFile(cmd *cobra.Command, path, out string, record bool, opts check.Options) error {
	w := cmd.OutOrStdout()
	var id store.HistoryFile
	if record {
		var err error
		if id, err = historyIdentity(path); err != nil {
			return usageError("%v", err)
		}
		lock, err := store.LockDir(out)
		if err != nil {
			return experimentStatus(err)
		}
		defer lock.Close()
	}
	v, err := check.CheckFileContext(cmd.Context(), path, opts)
	if err != nil {
		return usageError("%v", err)
	}
	if record && !errors.Is(v.Err, check.ErrInterrupted) {
		if err := writeHistoryCheck(out, id, opts.Shard, v); err != nil {
			return withStatus(exitFailure, err)
		}
		fmt.Fprintf(w, "verdict: %s\n", filepath.Join(out, store.HistoryCheckFile))
	}
	fmt.Fprintf(w, "%s: %s\n", path, v)
	fmt.Fprintf(w, "decided: %s\n", v.Decided)
	if v.Outcome == check.Undecided {
		details := filepath.Join(out, filepath.Base(path)+".undecided.txt")
		if err := os.MkdirAll(out, 0o755); err == nil {
			err = atomicfile.WriteFrom(details, writerTo(v.WriteDetails))
		}
		if err != nil {
			details = fmt.Sprintf("(could not write details: %v)", err)
		}
		return withStatus(exitUndecided, fmt.Errorf("undecided: %v; %d of %d partitions decided; details in %s",
			v.Err, v.Decided.Count, v.Partitions, details))
	}
	return verdictStatus(w, v, "")
}

// writerTo adapts a write function to io.WriterTo.
type writerTo func(io.Writer) error

func (f writerTo) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	err := f(cw)
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// campaignOutput is where a campaign's outcome goes besides the
// terminal: a verification summary (--summary), JSON (--json) and, when
// record is set, check.json in the campaign's folder.
type campaignOutput struct {
	summary    string
	json       bool
	registry   string
	partitions int
	record     bool
}

// runCampaign runs c and prints its summary and verdict. When o.record is
// set it holds the lock of c.OutDir and, once the campaign (or its shard)
// has finished, writes check.json there: the folder's final marker for
// shardlab merge.
func runCampaign(cmd *cobra.Command, c check.Campaign, o campaignOutput) error {
	w := cmd.OutOrStdout()
	if o.record {
		lock, err := store.LockDir(c.OutDir)
		if err != nil {
			return experimentStatus(err)
		}
		defer lock.Close()
	}
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
	parts := o.partitions
	if o.registry != registries.Sharded && !strings.HasPrefix(o.registry, drivers.Prefix) {
		parts = 0
	}
	run := report.CampaignRecord(c, parts, res, err)
	if o.record {
		if werr := writeCampaign(c.OutDir, c, o.registry, parts, run); werr != nil {
			return withStatus(exitFailure, werr)
		}
	}
	if o.summary != "" {
		if err := report.AppendCheck(o.summary, host.Detect(), time.Now(), run); err != nil {
			return withStatus(exitFailure, err)
		}
	}
	if o.json {
		if jerr := writeJSON(w, run); jerr != nil {
			return jerr
		}
		w = io.Discard
	}
	fmt.Fprintf(w, "%s: %s after %d histories (%d ops), seed %d; run %v (%.0f ops/s), check %v (%.1f histories/s checked)\n",
		c.Name, res.Outcome, res.Histories, res.Ops, c.Seed, res.RunTime.Round(time.Millisecond),
		float64(res.Ops)/max(res.RunTime.Seconds(), 1e-9), res.CheckTime.Round(time.Millisecond), res.HistoriesPerSecond())
	if err != nil {
		if res.Failure != nil && res.Failure.HistoryPath != "" {
			fmt.Fprintf(w, "history so far (unfinished operations pending): %s\n", res.Failure.HistoryPath)
		}
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
func checkDriver(cmd *cobra.Command, command []string, df driverFlags, c check.Campaign, out string, o campaignOutput) error {
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
	runErr := runCampaign(cmd, c, o)
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
func writeCampaign(out string, c check.Campaign, registry string, partitions int, run store.CheckRun) error {
	s := &store.CheckSummary{
		SchemaVersion: store.CheckSchemaVersion, Created: time.Now().UTC(), Host: host.Detect(), Seed: c.Seed,
		Method: report.CampaignMethod,
		Runs:   []store.CheckRun{run},
		Campaign: &store.CheckCampaign{
			Registry: registry, Partitions: partitions, Histories: max(c.Histories, 0), Long: max(c.Long, 0),
			Clients: c.Clients, Ops: c.Ops, Keys: c.Keys, LongOps: c.LongOps, LongKeys: c.LongKeys, TimeoutNs: int64(c.Timeout),
		},
		Shard: c.Shard.String(),
	}
	return store.WriteCheck(filepath.Join(out, store.CheckFile), s)
}
