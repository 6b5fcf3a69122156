package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/shardlab/shardlab/experiments"
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
			fmt.Fprintf(out, "registries: %s\n", strings.Join(experiments.RegistryNames(), ", "))
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
		experiments.ErrUnknownRegistry, store.ErrOutput, store.ErrCorrupt, store.ErrMismatch, store.ErrSchema} {
		if errors.Is(err, e) {
			return withStatus(exitUsage, err)
		}
	}
	return withStatus(exitFailure, err)
}

// detectHost describes this machine and build for the results' meta.
func detectHost() store.Host {
	h := store.Host{
		GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPUModel: "unknown",
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				h.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		h.GitRevision = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain").Output(); err == nil && len(st) > 0 {
			h.GitRevision += "+dirty"
		}
	} else if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				h.GitRevision = s.Value
			}
		}
	}
	return h
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
