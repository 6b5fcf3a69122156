package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/internal/benchratio"
)

func newBenchratioCmd() *cobra.Command {
	cfg := benchratio.Config{Impl: "sharded"}
	cmd := &cobra.Command{
		Use:   "benchratio FILE",
		Short: "Tabulate registry benchmarks as impl/peer throughput ratios, with the goals marked",
		Long: `benchratio reads go test -bench output (as make bench writes to
results/bench.txt), takes the median of each benchmark's repeats per -cpu
value, and prints the sharded registry's throughput relative to each peer
(peer ns/op / impl ns/op: >1 means the impl is faster) beside its allocs/op
and the performance goals, each marked met or NOT MET.

Exit status: 0, or 1 with --strict when a goal is not met; 2 when FILE is
missing or holds no registry benchmarks.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Input = args[0]
			cfg.Out = cmd.OutOrStdout()
			err := benchratio.Run(cfg)
			switch {
			case err == nil:
				return nil
			case errors.Is(err, benchratio.ErrGoalsNotMet):
				return withStatus(exitFailure, err)
			case errors.Is(err, os.ErrNotExist), errors.Is(err, benchratio.ErrNoResults), errors.Is(err, benchratio.ErrMalformed):
				return usageError("%w", err)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&cfg.Impl, "impl", cfg.Impl, "registry= value of the implementation compared with the others")
	cmd.Flags().BoolVar(&cfg.Strict, "strict", false, "exit 1 when a goal is not met")
	cmd.Flags().StringVar(&cfg.Callgrind, "callgrind", "", "also print the instruction counts in this file (make callgrind writes it)")
	return cmd
}
