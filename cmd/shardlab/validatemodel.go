package main

import (
	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/capacity/calibrate"
)

func newValidateModelCmd() *cobra.Command {
	var cfg calibrate.ValidateModelConfig
	c := &cobra.Command{
		Use:   "validate-model",
		Short: "Measure the registry and predict it with the model side by side, with the relative error per cell",
		Long: `validate-model measures closed loops of the real registry at each GOMAXPROCS
in --procs (default 1 and 2), with workers = cores and workers =
--oversubscribe x cores, for three mixes (read-mostly, the seed's sustained
mix, a write-heavy zipfian one) at each of --partitions, and prints the
model's prediction beside each: throughput, p50 and p99, predicted,
measured and (predicted - measured) / measured. It writes the cells to
--out for the report.`,
		Example: `  shardlab validate-model --calibration results/calibration.json
  shardlab validate-model --quick`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg.Stdout, cfg.Progress = c.OutOrStdout(), c.ErrOrStderr()
			_, err := calibrate.ValidateModel(c.Context(), cfg)
			return capacityStatus(err)
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.Calibration, "calibration", "", "calibration file (default: calibrate now, briefly)")
	f.BoolVar(&cfg.AllowOtherHost, "allow-other-host", false, "use a calibration measured on another machine kind")
	f.StringVar(&cfg.Procs, "procs", "", "GOMAXPROCS values (default 1,2 where this machine has them)")
	f.StringVar(&cfg.Partitions, "partitions", "", "partition counts (default 1,4,16,64,256)")
	f.IntVar(&cfg.Oversubscribe, "oversubscribe", 0, "workers per core in the oversubscribed runs (default 8)")
	f.DurationVar(&cfg.Duration, "duration", 0, "length of each measured run (default 300ms; --quick 50ms)")
	f.IntVar(&cfg.Reps, "reps", 0, "measured repetitions per cell (default 3; --quick 1)")
	f.BoolVar(&cfg.Quick, "quick", false, "short runs, one repetition (for make report)")
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed of the runs")
	f.StringVar(&cfg.Out, "out", calibrate.DefaultValidationFile, "validation file to write (\"\" none)")
	return c
}
