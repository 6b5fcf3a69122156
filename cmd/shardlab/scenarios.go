package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/internal/textable"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/shard"
	"github.com/shardlab/shardlab/store"
)

func newScenariosCmd() *cobra.Command {
	var wide, asJSON bool
	c := &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in scenarios, sweeps, workloads and registries",
		Long: `List the built-in scenarios (name, what each runs, the seed's targets it
checks), sweeps, workloads and registries. The table fits 100 columns;
--wide adds the seed test each scenario reproduces and puts every row on one
line; --json prints the scenarios' full specs.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if asJSON && wide {
				return usageError("--wide and --json: give one")
			}
			out := c.OutOrStdout()
			if asJSON {
				return writeJSON(out, map[string]any{
					"scenarios":  experiments.BuiltinScenarios(),
					"sweeps":     experiments.BuiltinSweepNames(),
					"workloads":  experiments.WorkloadNames(),
					"registries": registries.Names(),
				})
			}
			t := textable.Table{Columns: []textable.Column{{Header: "SCENARIO"}, {Header: "WHAT", Max: 44}, {Header: "TARGETS", Max: 30}}}
			width := textable.DefaultWidth
			if wide {
				t.Columns = []textable.Column{{Header: "SCENARIO"}, {Header: "SEED TEST"}, {Header: "WHAT"}, {Header: "TARGETS"}}
				width = 0
			}
			for _, s := range experiments.BuiltinScenarios() {
				var ts []string
				for _, ch := range s.Checks {
					ts = append(ts, ch.Target)
				}
				row := []string{s.Name, s.Title, strings.Join(ts, "; ")}
				if wide {
					row = []string{s.Name, s.SeedTest, s.Title, strings.Join(ts, "; ")}
				}
				t.Rows = append(t.Rows, row)
			}
			if err := t.Write(out, width); err != nil {
				return err
			}
			fmt.Fprintf(out, "\nsweeps:     %s\n", strings.Join(experiments.BuiltinSweepNames(), ", "))
			fmt.Fprintf(out, "workloads:  %s\n", strings.Join(experiments.WorkloadNames(), ", "))
			fmt.Fprintf(out, "registries: %s\n", strings.Join(registries.Names(), ", "))
			return nil
		},
	}
	c.Flags().BoolVar(&wide, "wide", false, "every column (the seed test too), one line per scenario")
	c.Flags().BoolVar(&asJSON, "json", false, "print the scenarios' specs and the names as JSON")
	return c
}

// experimentStatus maps the experiments package's input errors to exit 2.
func experimentStatus(err error) error {
	if err == nil {
		return nil
	}
	if isDriverError(err) {
		// A driver that broke the protocol, or lacks an operation the
		// scenario needs: no figure.
		return withStatus(exitUsage, err)
	}
	for _, e := range []error{experiments.ErrSpec, experiments.ErrUnknownScenario, experiments.ErrUnknownSweep,
		registries.ErrUnknown, registries.ErrOptions, store.ErrOutput, store.ErrCorrupt, store.ErrMismatch, store.ErrSchema,
		store.ErrLocked, shard.ErrSpec} {
		if errors.Is(err, e) {
			return withStatus(exitUsage, err)
		}
	}
	return withStatus(exitFailure, err)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
