package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/internal/host"
	"github.com/shardlab/shardlab/registries"
)

func newRunCmd() *cobra.Command {
	var (
		regList    string
		partitions int
		seed       uint64
		out        string
		quick      bool
		strict     bool
	)
	c := &cobra.Command{
		Use:   "run SCENARIO[,SCENARIO...]|all|FILE.json",
		Short: "Run the seed's stress scenarios (or a scenario spec file) and print target vs measurement",
		Long: `Run scenarios against one or more registries side by side, write a results
directory (meta.json, points.jsonl, summary.csv) and print, per seed target:
scenario, registry, seed target, seed claim, our measurement, pass or fail.
An interrupted run resumes from its finished points when rerun with the same
flags and --out.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			scs, err := experiments.SelectScenarios(args[0])
			if err != nil {
				return experimentStatus(err)
			}
			regs, err := registries.Parse(regList)
			if err != nil {
				return experimentStatus(err)
			}
			if out == "" {
				out = experiments.RunDir(args[0], regList, seed, quick, partitions)
			}
			res, err := experiments.RunScenarios(c.Context(), experiments.Config{
				Scenarios: scs, Registries: regs, Partitions: partitions, Seed: seed, Quick: quick,
				Out: out, Host: host.Detect(), CommandLine: os.Args,
				Progress: c.ErrOrStderr(), Terminal: isTerminal(os.Stderr), Report: c.OutOrStdout(),
			})
			if err != nil {
				return experimentStatus(err)
			}
			if p, ch, failed := experiments.FirstFailure(res); strict && failed {
				return withStatus(exitFailure, fmt.Errorf("%s on %s: %s measured %s", p.Scenario, p.Registry, ch.Target, experiments.FormatMeasured(ch.Metric, ch.Measured)))
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&regList, "registry", "sharded", "registries, comma-separated: "+strings.Join(registries.Names(), ", "))
	f.IntVar(&partitions, "partitions", 0, "partition count for the sharded registry (0: each scenario's own)")
	f.Uint64Var(&seed, "seed", 1, "seed for every random choice")
	f.StringVar(&out, "out", "", "results directory (default results/run-SCENARIOS-REGISTRIES-seedN[-quick])")
	f.BoolVar(&quick, "quick", false, "run each scenario for about 1-2 s instead of the seed's 10-30 s")
	f.BoolVar(&strict, "strict", false, "exit 1 when any seed target fails")
	return c
}
