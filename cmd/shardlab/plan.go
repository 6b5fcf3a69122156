package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/report"
)

func newPlanCmd() *cobra.Command {
	var (
		cfg         report.PlanConfig
		workers     int
		connections int
		ops         float64
		p99         time.Duration
		maxSkew     float64
		cores       int
		mix         string
		partsArg    string
	)
	c := &cobra.Command{
		Use:   "plan",
		Short: "Recommend the smallest partition count that meets a target, from measured sweep results",
		Long: `plan answers "we expect this load on these cores: how many partitions?".

Give the concurrency (--workers, closed-loop callers, or --connections with
--think), and any of --ops (required ops/s; with connections it defaults to
connections/think), --p99, --max-skew, --cores. The recommendation is the
smallest measured partition count meeting every requirement
(analysis.PlanCapacity); the table it decided from and the reason for each
rejection are printed. With --results DIR (a sweep, or a report's results
directory) it plans from those measurements; without, it first runs a focused
quick sweep of the --workload (or --mix) and --dist into --out.

Where the target lies beyond what this machine measured, it says what the USL
fit extrapolates and how far to trust it.

Exit status: 0 a recommendation, 1 none meets the target, 2 bad input.`,
		Example: `  shardlab plan --workers 100 --ops 100000 --p99 100us --max-skew 0.3
  shardlab plan --results results/latest --workload sustained --workers 64 --ops 500000
  shardlab plan --connections 10000 --think 100ms --p99 1ms --mix route_to_server:90,find_server:10`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			switch {
			case workers > 0 && connections > 0:
				return usageError("give --workers or --connections, not both")
			case workers < 0 || connections < 0:
				return usageError("--workers and --connections must be positive")
			case workers == 0 && connections == 0:
				return usageError("give the target concurrency: --workers N (closed-loop callers) or --connections N (with --think)")
			case ops < 0:
				return usageError("--ops %v: want >= 0", ops)
			case p99 < 0:
				return usageError("--p99 %v: want >= 0", p99)
			case maxSkew < 0:
				return usageError("--max-skew %v: want >= 0", maxSkew)
			case cores < 0:
				return usageError("--cores %d: want >= 0", cores)
			}
			if connections > 0 {
				cfg.Connections = true
				workers = connections
				if ops == 0 && cfg.Think > 0 {
					ops = float64(connections) / cfg.Think.Seconds()
				}
				// A connection registers when it connects and only reads
				// and routes after; sustained's writes are not for it.
				if mix == "" && !c.Flags().Changed("workload") {
					cfg.Workload = "route"
				}
			}
			if mix != "" {
				m, err := parseMix(mix)
				if err != nil {
					return err
				}
				cfg.Mix = m
				if !c.Flags().Changed("workload") {
					cfg.Workload = "custom"
				}
			}
			var err error
			if cfg.Partitions, err = intList("--partitions", partsArg); err != nil {
				return err
			}
			cfg.Target = analysis.Target{Workers: workers, Throughput: ops, P99: p99, MaxSkew: maxSkew, Cores: cores}
			if cfg.Connections {
				cfg.Target.Unit = "connections"
			}
			if cfg.Results == "" && cfg.Out == "" {
				cfg.Out = filepath.Join("results", fmt.Sprintf("plan-%s-w%d-seed%d", sanitize(cfg.Workload), workers, cfg.Seed))
			}
			if err := cfg.Validate(); err != nil {
				return usageError("%v", err)
			}
			cfg.Host, cfg.Progress, cfg.Terminal = detectHost(), c.ErrOrStderr(), isTerminal(os.Stderr)
			rep, err := report.Plan(c.Context(), cfg)
			if err != nil {
				return reportStatus(err)
			}
			fmt.Fprint(c.OutOrStdout(), rep.Text())
			if rep.Plan.Recommended == 0 {
				return withStatus(exitFailure, fmt.Errorf("no measured partition count meets the target"))
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.Results, "results", "", "plan from these sweep results (a sweep directory or a report's results directory)")
	f.StringVar(&cfg.Out, "out", "", "where the focused sweep writes its results (default results/plan-...)")
	f.IntVar(&workers, "workers", 0, "target concurrency: callers issuing operations back to back")
	f.IntVar(&connections, "connections", 0, "target concurrency as connections, each issuing one op per --think")
	f.DurationVar(&cfg.Think, "think", 100*time.Millisecond, "think time per connection (with --connections)")
	f.Float64Var(&ops, "ops", 0, "required throughput, ops/s (0: none, or connections/think)")
	f.DurationVar(&p99, "p99", 0, "p99 latency goal, e.g. 100us (0: none)")
	f.Float64Var(&maxSkew, "max-skew", 0, "skew limit, (max-min)/(mean+1) (0: none)")
	f.IntVar(&cores, "cores", 0, "cores in production (0: not stated)")
	f.StringVar(&cfg.Workload, "workload", "sustained", "built-in operation mix (shardlab scenarios lists them; route with --connections)")
	f.StringVar(&mix, "mix", "", "custom operation mix, e.g. find_server:90,register_server:10 (replaces --workload)")
	f.StringVar(&cfg.Dist, "dist", "", "key distribution: uniform (default), zipfian, hotspot or latest")
	f.StringVar(&partsArg, "partitions", "", "partition counts the focused sweep measures (default 1,4,16,64,256)")
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed of the focused sweep")
	return c
}

// parseMix reads "op:weight,op:weight".
func parseMix(s string) (map[string]float64, error) {
	m := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		op, w, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, usageError("--mix %q: want op:weight,op:weight", s)
		}
		v, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return nil, usageError("--mix %q: weight %q is not a number", s, w)
		}
		m[op] = v
	}
	return m, nil
}
