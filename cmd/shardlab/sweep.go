package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/internal/host"
	"github.com/shardlab/shardlab/registries"
)

func newSweepCmd() *cobra.Command {
	var (
		regList    string
		partitions int
		seed       uint64
		out        string
		quick      bool
		output     outputFlags
		shardArg   string
	)
	c := &cobra.Command{
		Use:   "sweep SPEC",
		Short: "Run a sweep (partitions x workers/connections x workload x registry): a built-in name or a JSON file",
		Long: `Run a sweep defined as data: SPEC is a built-in name (` + strings.Join(experiments.BuiltinSweepNames(), ", ") + `)
or a path to a JSON sweep spec (see the experiments package documentation).
Results go to --out; rerunning with the same flags resumes an interrupted sweep.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := output.check(); err != nil {
				return err
			}
			sh, err := resolveShard(shardArg)
			if err != nil {
				return err
			}
			sw, err := experiments.ResolveSweep(args[0])
			if err != nil {
				return experimentStatus(err)
			}
			var regs []string
			if regList != "" {
				if regs, err = registries.Parse(regList); err != nil {
					return experimentStatus(err)
				}
				// A registry behind the driver protocol is measured beside
				// its null driver: the protocol's own cost.
				regs = registries.WithProtocolBaselines(regs)
			}
			if quick {
				*sw = experiments.QuickSweep(*sw)
			}
			if out == "" {
				out = experiments.SweepDir(sw.Name, seed, quick) + shardSuffix(sh)
			}
			res, err := experiments.RunSweep(c.Context(), experiments.Config{
				Sweep: sw, Registries: regs, Partitions: partitions, Seed: seed, Quick: quick, Shard: sh,
				Out: out, Host: host.Detect(), CommandLine: os.Args,
				Progress: c.ErrOrStderr(), Terminal: isTerminal(os.Stderr), Report: output.tables(c.OutOrStdout()), Wide: output.wide,
			})
			if err == nil && output.json {
				return writeJSON(c.OutOrStdout(), res)
			}
			return experimentStatus(err)
		},
	}
	f := c.Flags()
	f.StringVar(&regList, "registry", "", "registries, comma-separated, replacing the sweep's: "+strings.Join(registries.Names(), ", "))
	f.IntVar(&partitions, "partitions", 0, "run only this partition count (0: the sweep's list)")
	f.Uint64Var(&seed, "seed", 1, "seed for every random choice")
	f.StringVar(&out, "out", "", "results directory (default results/sweep-NAME-seedN)")
	output.register(f, "the results")
	f.BoolVar(&quick, "quick", false, "100 ms per point, one repetition")
	addShardFlag(f, &shardArg)
	return c
}
