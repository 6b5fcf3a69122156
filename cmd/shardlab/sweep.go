package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl/partition"
)

func newSweepCmd() *cobra.Command {
	var (
		registries string
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
			if registries != "" {
				if regs, err = experiments.ParseRegistries(registries); err != nil {
					return experimentStatus(err)
				}
			}
			if partitions < 0 || partitions > partition.MaxPartitions {
				return usageError("--partitions %d: want 0 (the sweep's own) or 1..4096", partitions)
			}
			if quick {
				// --quick trims any sweep to a smoke test: each point runs
				// 100 ms.
				sw.Duration = spec.Duration(100e6)
				sw.Repeat = 1
			}
			if out == "" {
				out = filepath.Join("results", fmt.Sprintf("sweep-%s-seed%d", sanitize(sw.Name), seed))
				if quick {
					out += "-quick"
				}
			}
			_, err = experiments.RunSweep(c.Context(), experiments.Config{
				Sweep: sw, Registries: regs, Partitions: partitions, Seed: seed, Quick: quick,
				Out: out, Host: detectHost(), CommandLine: os.Args,
				Progress: c.ErrOrStderr(), Terminal: isTerminal(os.Stderr), Report: c.OutOrStdout(),
			})
			return experimentStatus(err)
		},
	}
	f := c.Flags()
	f.StringVar(&registries, "registry", "", "registries, comma-separated, replacing the sweep's: "+strings.Join(experiments.RegistryNames(), ", "))
	f.IntVar(&partitions, "partitions", 0, "run only this partition count (0: the sweep's list)")
	f.Uint64Var(&seed, "seed", 1, "seed for every random choice")
	f.StringVar(&out, "out", "", "results directory (default results/sweep-NAME-seedN)")
	f.BoolVar(&quick, "quick", false, "100 ms per point, one repetition")
	return c
}
