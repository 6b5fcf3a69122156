package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/experiments/balance"
	"github.com/shardlab/shardlab/internal/host"
	"github.com/shardlab/shardlab/paper"
	"github.com/shardlab/shardlab/report"
	"github.com/shardlab/shardlab/store"
)

func newReportCmd() *cobra.Command {
	var (
		results    string
		dir        string
		out        string
		seed       uint64
		allowMixed bool
		fullKeys   bool
	)
	c := &cobra.Command{
		Use:   "report",
		Short: "Measure everything quick and build the design-review report (or rebuild it from --results)",
		Long: `report builds paper/build/report.md and a self-contained report.html with
figures, the claims audit, the capacity recommendation and the verification
summary.

Without --results it first measures, quick, into --dir (results/latest): the
built-in scenarios (sharded, mutex, channel), a partitions x workers sweep, the
partition balance study and a verification campaign (a few minutes on 2 cores).
An interrupted report resumes where it stopped when run again; a finished one
in --dir is kept, renamed after its creation time, and --dir is measured
afresh. With --results DIR it only rebuilds the report from that directory.

Exit status: 0 ok, 1 a failure while measuring, 2 bad input (missing, partial
or empty results, another schema version, results from different machines).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			t0 := time.Now()
			var keys []int
			if fullKeys {
				keys = append(balance.DefaultKeys(), 1_000_000)
			}
			built, err := report.Run(c.Context(), report.RunConfig{
				Collect: report.CollectConfig{
					Dir: dir, Seed: seed, Host: host.Detect(), CommandLine: os.Args, BalanceKeys: keys,
					Progress: c.ErrOrStderr(), Terminal: isTerminal(os.Stderr),
				},
				Results: results, Out: out, AllowMixedHosts: allowMixed,
			})
			if err != nil {
				return reportStatus(err)
			}
			fmt.Fprintf(c.ErrOrStderr(), "report: %d figures, built in %s\n", built.Figures, time.Since(t0).Round(time.Second))
			fmt.Fprintf(c.OutOrStdout(), "%s\n%s\n", built.HTML, built.Markdown)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&results, "results", "", "rebuild from this results directory without measuring")
	f.StringVar(&dir, "dir", report.DefaultDir, "measure into this directory (an interrupted report there is resumed; a finished one is kept beside it)")
	f.StringVar(&out, "out", filepath.Join("paper", "build"), "where report.md, report.html and figures/ go")
	f.Uint64Var(&seed, "seed", 1, "seed for every random choice when measuring")
	f.BoolVar(&allowMixed, "allow-mixed-hosts", false, "build from parts measured on different machines, stating it in the report")
	f.BoolVar(&fullKeys, "balance-1m", false, "add 1,000,000 keys to the balance study (slower)")
	return c
}

// reportStatus maps the paper package's input errors to exit 2.
func reportStatus(err error) error {
	for _, e := range []error{store.ErrEmpty, store.ErrPartial, store.ErrSchema, store.ErrMixedHosts, report.ErrConfig, paper.ErrConfig} {
		if errors.Is(err, e) {
			return withStatus(exitUsage, err)
		}
	}
	return experimentStatus(err)
}
