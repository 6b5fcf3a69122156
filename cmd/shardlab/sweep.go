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
	)
	c := &cobra.Command{
		Use:   "sweep SPEC",
		Short: "Run a sweep (partitions x workers/connections x workload x registry): a built-in name or a JSON file",
		Long: `Run a sweep defined as data: SPEC is a built-in name (` + strings.Join(experiments.BuiltinSweepNames(), ", ") + `)
or a path to a JSON sweep spec (see the experiments package documentation).
Results go to --out; rerunning with the same flags resumes an interrupted sweep.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			sw, err := experiments.ResolveSweep(args[0])
			if err != nil {
				return experimentStatus(err)
			}
			var regs []string
			if regList != "" {
				if regs, err = registries.Parse(regList); err != nil {
					return experimentStatus(err)
				}
			}
			if quick {
				*sw = experiments.QuickSweep(*sw)
			}
			if out == "" {
				out = experiments.SweepDir(sw.Name, seed, quick)
			}
			_, err = experiments.RunSweep(c.Context(), experiments.Config{
				Sweep: sw, Registries: regs, Partitions: partitions, Seed: seed, Quick: quick,
				Out: out, Host: host.Detect(), CommandLine: os.Args,
				Progress: c.ErrOrStderr(), Terminal: isTerminal(os.Stderr), Report: c.OutOrStdout(),
			})
			return experimentStatus(err)
		},
	}
	f := c.Flags()
	f.StringVar(&regList, "registry", "", "registries, comma-separated, replacing the sweep's: "+strings.Join(registries.Names(), ", "))
	f.IntVar(&partitions, "partitions", 0, "run only this partition count (0: the sweep's list)")
	f.Uint64Var(&seed, "seed", 1, "seed for every random choice")
	f.StringVar(&out, "out", "", "results directory (default results/sweep-NAME-seedN)")
	f.BoolVar(&quick, "quick", false, "100 ms per point, one repetition")
	return c
}
