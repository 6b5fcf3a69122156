package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/capacity/calibrate"
)

func newCalibrateCmd() *cobra.Command {
	var cfg calibrate.Config
	c := &cobra.Command{
		Use:   "calibrate",
		Short: "Measure what the capacity model needs on this machine (per-kind service demand, lock hold, hand-off, timer, wake-up)",
		Long: `calibrate measures the registry on this machine, with workers <= cores, and
writes what package capacity's model needs as schema-versioned JSON with the
host recorded: each operation kind's service demand (a distribution), the
driver's overhead, each write's lock hold share, the contended hand-off,
the timer's and a connection's wake-up cost, each repeated with an interval.
predict, validate-model and plan read it; they refuse a calibration from
another machine kind unless given --allow-other-host.`,
		Example: `  shardlab calibrate
  shardlab calibrate --quick --out results/calibration.json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg.Progress = c.ErrOrStderr()
			cal, err := calibrate.Run(c.Context(), cfg)
			if err != nil {
				return capacityStatus(err)
			}
			fmt.Fprint(c.OutOrStdout(), cal.Summary())
			if cfg.Out != "" {
				fmt.Fprintf(c.OutOrStdout(), "\nwrote %s\n", cfg.Out)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.Out, "out", calibrate.DefaultCalibrationFile, "calibration file to write")
	f.IntVar(&cfg.Reps, "reps", 0, "repetitions of each measurement (default 5; --quick 3)")
	f.DurationVar(&cfg.Duration, "duration", 0, "length of each measured run (default 300ms; --quick 100ms)")
	f.BoolVar(&cfg.Quick, "quick", false, "fewer, shorter runs (for make report)")
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed of the measured runs")
	return c
}

// capacityStatus maps the capacity packages' input errors to exit 2.
func capacityStatus(err error) error {
	for _, e := range []error{capacity.ErrConfig, capacity.ErrSchema, capacity.ErrOtherHost, capacity.ErrNotKind} {
		if errors.Is(err, e) {
			return withStatus(exitUsage, err)
		}
	}
	return err
}
