package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/drivers/bench"
	godriver "github.com/shardlab/shardlab/drivers/go"
	"github.com/shardlab/shardlab/drivers/protocol"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/internal/atomicfile"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// driverFlags are the protocol's timeouts, shared by every command that
// starts a driver.
type driverFlags struct {
	answer, hang time.Duration
}

func (f *driverFlags) add(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&f.answer, "answer-timeout", protocol.DefaultAnswerTimeout, "a driver's answer later than this leaves its operation pending")
	cmd.Flags().DurationVar(&f.hang, "hang-timeout", protocol.DefaultHangTimeout, "a request unanswered this long is a hung driver (an error, exit 2)")
}

func (f driverFlags) config(command []string) protocol.Config {
	return protocol.Config{Command: command, AnswerTimeout: f.answer, HangTimeout: f.hang, Stderr: os.Stderr}
}

// isDriverError reports a driver that broke the protocol, exited, hung or
// did not start: exit status 2, never a verdict.
func isDriverError(err error) bool {
	for _, e := range []error{protocol.ErrProtocol, protocol.ErrExited, protocol.ErrHung, protocol.ErrStart, protocol.ErrUnsupported} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// builtinDrivers are the drivers in this repository, by the name
// `--registry driver:NAME` takes. partitions is passed to the registries
// that have them.
var builtinDrivers = []struct {
	name, what string
	command    func(exe, root string, partitions int) []string
}{
	{"go-sharded", "impl through the Go driver", func(exe, _ string, p int) []string {
		return []string{exe, "driver-serve", "sharded", "--partitions", strconv.Itoa(p)}
	}},
	{"go-null", "a Go driver that does nothing: the protocol's own cost", func(exe, _ string, _ int) []string {
		return []string{exe, "driver-serve", "null"}
	}},
	{"erlang-ets", "the Erlang registry after the seed's design (ETS per partition)", func(_, root string, p int) []string {
		return []string{filepath.Join(root, "drivers/erlang/run"), "ets", "--partitions", strconv.Itoa(p)}
	}},
	{"erlang-ets-stale", "its deliberately broken variant (a stale death notice)", func(_, root string, p int) []string {
		return []string{filepath.Join(root, "drivers/erlang/run"), "ets-stale", "--partitions", strconv.Itoa(p)}
	}},
	{"erlang-global", "OTP's global name registry (servers profile)", func(_, root string, _ int) []string {
		return []string{filepath.Join(root, "drivers/erlang/run"), "global"}
	}},
	{"erlang-null", "an Erlang driver that does nothing: the protocol's own cost on the BEAM", func(_, root string, _ int) []string {
		return []string{filepath.Join(root, "drivers/erlang/run"), "null"}
	}},
	{"elixir", "Elixir's Registry (keys: :unique, partitions: N; servers profile)", func(_, root string, p int) []string {
		return []string{filepath.Join(root, "drivers/elixir/run"), "--partitions", strconv.Itoa(p)}
	}},
}

// driverNames lists the built-in drivers as driver:NAME.
func driverNames() []string {
	var names []string
	for _, d := range builtinDrivers {
		names = append(names, "driver:"+d.name)
	}
	return names
}

// driverCommand resolves driver:NAME to its command line. The BEAM drivers
// live in this repository's drivers/ folder, looked up from the working
// directory upwards (or at $SHARDLAB_ROOT).
func driverCommand(name string, partitions int) ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	for _, d := range builtinDrivers {
		if "driver:"+d.name != name {
			continue
		}
		root := os.Getenv("SHARDLAB_ROOT")
		if root == "" {
			root, err = repoRoot()
			if err != nil && !strings.HasPrefix(d.name, "go-") {
				return nil, err
			}
		}
		return d.command(exe, root, partitions), nil
	}
	return nil, fmt.Errorf("unknown driver %q (want one of %s)", name, strings.Join(driverNames(), ", "))
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "drivers", "erlang", "run")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("drivers/ not found from the working directory upwards: run shardlab in its repository or set SHARDLAB_ROOT")
		}
		dir = up
	}
}

func newDriverServeCmd() *cobra.Command {
	var partitions int
	cmd := &cobra.Command{
		Use:    "driver-serve REGISTRY",
		Short:  "Serve a Go registry over the driver protocol on stdin/stdout (sharded, a peer, reference or null)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			var newReg func() (model.Registry, error)
			if name == "null" {
				newReg = func() (model.Registry, error) { return sim.Null{}, nil }
			} else {
				f, err := registryFactory(name, partitions)
				if err != nil {
					return usageError("%v", err)
				}
				newReg = f
			}
			info := godriver.Info{Name: "go-" + name, Version: "1"}
			if name == "sharded" {
				info.Name = fmt.Sprintf("go-sharded-p%d", partitions)
			}
			return godriver.Serve(os.Stdin, os.Stdout, info, newReg)
		},
	}
	cmd.Flags().IntVar(&partitions, "partitions", impl.DefaultPartitions, "partitions of the sharded registry")
	return cmd
}

func newDriverProbeCmd() *cobra.Command {
	var (
		registry, driverCmd, out string
		partitions, trials       int
		df                       driverFlags
	)
	cmd := &cobra.Command{
		Use:   "driver-probe",
		Short: "Ask a driver's registry what a caller sees right after an owner's death",
		Long: `driver-probe registers a server under a fresh owner, kills the owner
(owner_down), and at once finds the server, registers it under another owner
and lists the servers, --trials times. It prints how often the dead owner's
entry was still visible or blocked the new registration, and the check's
verdict on the history with each death pending (as recorded) and as if each
death had completed when its answer came. With --out it keeps both histories.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if trials < 1 {
				return usageError("--trials %d: want >= 1", trials)
			}
			command := strings.Fields(driverCmd)
			if driverCmd == "" {
				c, err := driverCommand(registry, partitions)
				if err != nil {
					return usageError("%v", err)
				}
				command = c
			}
			d, err := protocol.Start(cmd.Context(), df.config(command))
			if err != nil {
				return usageError("%v", err)
			}
			defer d.Close()
			p, err := protocol.ProbeOwnerDeath(d, trials)
			if err != nil {
				return usageError("%v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", d.Hello().Name, p)
			if out != "" {
				if err := os.MkdirAll(out, 0o755); err != nil {
					return err
				}
				for name, h := range map[string]check.History{"pending": p.History, "completed": p.CompletedHistory} {
					var b strings.Builder
					if err := check.WriteHistory(&b, h); err != nil {
						return err
					}
					path := filepath.Join(out, fmt.Sprintf("%s-owner-death-%s.jsonl", d.Hello().Name, name))
					if err := atomicfile.Write(path, []byte(b.String())); err != nil {
						return err
					}
				}
			}
			return d.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&registry, "registry", "driver:erlang-global", "a driver in this repository: "+strings.Join(driverNames(), ", "))
	f.StringVar(&driverCmd, "driver", "", "or any driver's command (split on spaces)")
	f.IntVar(&partitions, "partitions", 4, "partitions, for the drivers that have them")
	f.IntVar(&trials, "trials", 200, "owner deaths to probe")
	f.StringVar(&out, "out", "", "directory to keep the two histories in")
	df.add(cmd)
	return cmd
}

func newDriverBenchCmd() *cobra.Command {
	var (
		registries, partitions, ops string
		c                           bench.Config
		df                          driverFlags
	)
	cmd := &cobra.Command{
		Use:   "driver-bench",
		Short: "Measure registries through the driver protocol, beside null drivers (the protocol's own cost)",
		Long: `driver-bench runs a closed loop of one operation kind at a time against each
driver (at each --partitions count where the driver has partitions), --repeat
times, interleaved, and prints median ops/s with its range, p50 and p99 (service
time, the round trip included), and each figure as a share of the null drivers'
measured in the same run: the protocol's own ceiling.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range strings.Split(partitions, ",") {
				p, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil || p < 1 || p > 4096 {
					return usageError("--partitions %q: want a comma-separated list of 1..4096", partitions)
				}
				c.Partitions = append(c.Partitions, p)
			}
			for _, s := range strings.Split(ops, ",") {
				k, err := model.ParseOpKind(strings.TrimSpace(s))
				if err != nil {
					return usageError("--ops: %v", err)
				}
				c.Kinds = append(c.Kinds, k)
			}
			names := strings.Split(registries, ",")
			beam := false
			for _, n := range names {
				beam = beam || !strings.HasPrefix(n, "driver:go-")
			}
			names = append(names, "driver:go-null")
			if beam {
				names = append(names, "driver:erlang-null")
			}
			for _, n := range names {
				n = strings.TrimSpace(n)
				if _, err := driverCommand(n, 1); err != nil {
					return usageError("--registry: %v", err)
				}
				c.Drivers = append(c.Drivers, bench.Driver{
					Name:        strings.TrimPrefix(n, "driver:"),
					Command:     func(p int) []string { cmd, _ := driverCommand(n, max(p, 1)); return cmd },
					Partitioned: slices.Contains([]string{"driver:go-sharded", "driver:erlang-ets", "driver:erlang-ets-stale", "driver:elixir"}, n),
					Null:        strings.HasSuffix(n, "-null"),
					Baseline:    map[bool]string{true: "go-null", false: "erlang-null"}[strings.HasPrefix(n, "driver:go-")],
				})
			}
			c.Protocol = df.config(nil)
			c.Log = cmd.ErrOrStderr()
			rows, err := bench.Run(cmd.Context(), c)
			if errors.Is(err, bench.ErrConfig) || isDriverError(err) {
				return usageError("%v", err)
			}
			if err != nil {
				return err
			}
			bench.Table(cmd.OutOrStdout(), rows)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&registries, "registry", "driver:go-sharded,driver:elixir", "drivers, comma-separated: "+strings.Join(driverNames(), ", "))
	f.StringVar(&partitions, "partitions", "1,2,4,8,16", "partition counts for the drivers that have partitions")
	f.StringVar(&ops, "ops", "find_server,register_server", "operation kinds, each measured on its own")
	f.IntVar(&c.Workers, "workers", 8, "concurrent clients")
	f.DurationVar(&c.Duration, "duration", 2*time.Second, "length of each run")
	f.IntVar(&c.Repeats, "repeat", 3, "repeats of each cell, interleaved")
	f.IntVar(&c.Servers, "servers", 10000, "servers preloaded before each run")
	f.Uint64Var(&c.Seed, "seed", 1, "seed of the workers' draws")
	df.add(cmd)
	return cmd
}
