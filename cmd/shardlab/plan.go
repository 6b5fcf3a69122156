package main

import (
	"errors"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/capacity/calibrate"
)

func newPlanCmd() *cobra.Command {
	var cfg calibrate.PlanConfig
	c := &cobra.Command{
		Use:   "plan",
		Short: "Recommend the smallest partition count that meets a target, from the calibrated model for the target's cores",
		Long: `plan answers "we expect this load on these cores: how many partitions?" from
the capacity model (a discrete-event simulation of the registry calibrated on
this machine; see predict), for the target's --cores (default: this
machine's). The load is --workers (closed-loop callers), --connections with
--think, or --rate (open loop); the target is --ops (required ops/s; with
connections or a rate, the offered load, which the prediction must keep up
with within 2 %) and --p99. The recommendation is the smallest of
--partitions whose predicted p99 and throughput meet the target with
--margin (default 20 %), judged on the pessimistic end of each interval;
candidates whose intervals overlap are indistinguishable and the smaller
wins. The plan names the limiting resource (cores, the hottest partition's
lock, or the hottest key, which no partition count can split) and writes its
decision as prose above the table. Where the target is this machine and a
closed loop, each candidate is also measured here (--measure) and shown
beside the model's figures; --results shows a sweep's measured cells
instead.

Exit status: 0 a recommendation, 1 none meets the target, 2 bad input.`,
		Example: `  shardlab plan --cores 16 --workers 16 --p99 100us --mix bind:60,unbind:20,find_server:20 --keys zipfian
  shardlab plan --cores 64 --connections 100000 --think 100ms --p99 100us
  shardlab plan --connections 10000 --think 100ms --p99 1ms --mix route_to_server:90,find_server:10`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg.Out, cfg.Progress = c.OutOrStdout(), c.ErrOrStderr()
			_, err := calibrate.Plan(c.Context(), cfg)
			if errors.Is(err, calibrate.ErrNoPlan) {
				return withStatus(exitFailure, err)
			}
			return capacityStatus(err)
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.Calibration, "calibration", "", "calibration file (default: calibrate now, briefly)")
	f.BoolVar(&cfg.AllowOtherHost, "allow-other-host", false, "use a calibration measured on another machine kind")
	f.StringVar(&cfg.Validation, "validation", "", "validate-model file: up to how many cores the model was checked (default "+calibrate.DefaultValidationFile+" if present)")
	f.IntVar(&cfg.Cores, "cores", runtime.NumCPU(), "cores of the target machine (default: this machine's)")
	f.IntVar(&cfg.Workers, "workers", 0, "target concurrency: closed-loop callers")
	f.IntVar(&cfg.Connections, "connections", 0, "target concurrency as connections, each issuing one op per --think")
	f.DurationVar(&cfg.Think, "think", 100*time.Millisecond, "think time per connection")
	f.StringVar(&cfg.ThinkDist, "think-dist", "", "think time distribution: fixed (default) or exp")
	f.Float64Var(&cfg.Rate, "rate", 0, "open-loop arrival rate, ops/s")
	f.Float64Var(&cfg.Ops, "ops", 0, "required throughput, ops/s (0: none; with --connections or --rate the offered load)")
	f.DurationVar(&cfg.P99, "p99", 0, "p99 latency goal, e.g. 100us (0: none)")
	f.Float64Var(&cfg.Margin, "margin", 0, "margin the target must be met by (default 0.2)")
	f.StringVar(&cfg.Mix, "mix", "", "operation mix (default "+capacity.DefaultMix+")")
	f.StringVar(&cfg.Dist, "keys", "", "key distribution: uniform (default), zipfian, hotspot, latest")
	f.Float64Var(&cfg.Theta, "theta", 0, "zipfian/latest theta (default 0.99)")
	f.StringVar(&cfg.Partitions, "partitions", "", "candidate partition counts (default 1,2,4,...,512)")
	f.BoolVar(&cfg.Measure, "measure", true, "also measure each candidate here when the target is this machine and a closed loop")
	f.StringVar(&cfg.Results, "results", "", "show this sweep's measured cells (a sweep or report results directory) beside the model")
	f.StringVar(&cfg.Workload, "workload", "", "the sweep workload --results shows (default sustained)")
	f.Int64Var(&cfg.SimOps, "sim-ops", 0, "simulated ops per replicate (default 200000)")
	f.IntVar(&cfg.Replicates, "replicates", 0, "simulated replicates (default 5)")
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed of the simulation and measurements")
	f.BoolVar(&cfg.JSON, "json", false, "print JSON instead of prose and a table")
	return c
}
