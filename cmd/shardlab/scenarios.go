package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/store"
)

func newScenariosCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in scenarios, sweeps, workloads and registries",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "SCENARIO\tSEED TEST\tWHAT\tTARGETS")
			for _, s := range experiments.BuiltinScenarios() {
				var ts []string
				for _, ch := range s.Checks {
					ts = append(ts, ch.Target)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.Name, s.SeedTest, s.Title, strings.Join(ts, "; "))
			}
			w.Flush()
			out := c.OutOrStdout()
			fmt.Fprintf(out, "\nsweeps:     %s\n", strings.Join(experiments.BuiltinSweepNames(), ", "))
			fmt.Fprintf(out, "workloads:  %s\n", strings.Join(experiments.WorkloadNames(), ", "))
			fmt.Fprintf(out, "registries: %s\n", strings.Join(registries.Names(), ", "))
			return nil
		},
	}
}

// experimentStatus maps the experiments package's input errors to exit 2.
func experimentStatus(err error) error {
	if err == nil {
		return nil
	}
	for _, e := range []error{experiments.ErrSpec, experiments.ErrUnknownScenario, experiments.ErrUnknownSweep,
		registries.ErrUnknown, registries.ErrOptions, store.ErrOutput, store.ErrCorrupt, store.ErrMismatch, store.ErrSchema} {
		if errors.Is(err, e) {
			return withStatus(exitUsage, err)
		}
	}
	return withStatus(exitFailure, err)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
