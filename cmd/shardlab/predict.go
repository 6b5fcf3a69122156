package main

import (
	"github.com/spf13/cobra"
	"runtime"

	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/capacity/calibrate"
)

func newPredictCmd() *cobra.Command {
	var cfg calibrate.PredictConfig
	c := &cobra.Command{
		Use:   "predict",
		Short: "Predict throughput and latency from the calibrated model for a load on C cores",
		Long: `predict runs the capacity model (a discrete-event simulation of the sharded
registry on --cores cores, calibrated on this machine) for one load:
--workers W (closed loop), --connections N with --think T, or --rate R
(open loop), at each of --partitions, and prints throughput, latency
percentiles, lock waits and the utilisation of the cores and of the hottest
partition lock and key, with intervals over replicates. Without
--calibration it calibrates this machine first, briefly.`,
		Example: `  shardlab predict --cores 16 --workers 16 --partitions 1,16,64
  shardlab predict --calibration results/calibration.json --cores 64 --connections 100000 --think 100ms --mix route_to_server:90,find_server:10
  shardlab predict --cores 2 --rate 2000000 --partitions 64 --json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg.Out, cfg.Progress = c.OutOrStdout(), c.ErrOrStderr()
			return capacityStatus(calibrate.Predict(c.Context(), cfg))
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.Calibration, "calibration", "", "calibration file (default: calibrate now, briefly)")
	f.BoolVar(&cfg.AllowOtherHost, "allow-other-host", false, "use a calibration measured on another machine kind")
	f.IntVar(&cfg.Cores, "cores", runtime.NumCPU(), "cores of the target machine (default: this machine's)")
	f.IntVar(&cfg.Workers, "workers", 0, "closed-loop workers")
	f.IntVar(&cfg.Connections, "connections", 0, "connections, each issuing one op per --think")
	f.DurationVar(&cfg.Think, "think", 0, "think time per connection")
	f.StringVar(&cfg.ThinkDist, "think-dist", "", "think time distribution: fixed (default) or exp")
	f.Float64Var(&cfg.Rate, "rate", 0, "open-loop arrival rate, ops/s")
	f.StringVar(&cfg.Partitions, "partitions", "", "partition counts (default 1,4,16,64,256)")
	f.StringVar(&cfg.Mix, "mix", "", "operation mix (default "+capacity.DefaultMix+")")
	f.StringVar(&cfg.Dist, "keys", "", "key distribution: uniform (default), zipfian, hotspot, latest")
	f.Float64Var(&cfg.Theta, "theta", 0, "zipfian/latest theta (default 0.99)")
	f.Int64Var(&cfg.Ops, "ops", 0, "simulated ops per replicate (default 200000)")
	f.IntVar(&cfg.Replicates, "replicates", 0, "simulated replicates (default 5)")
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed of the simulation")
	f.BoolVar(&cfg.JSON, "json", false, "print JSON instead of a table")
	return c
}
