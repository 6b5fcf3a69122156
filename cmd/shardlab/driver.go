package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/drivers"
	"github.com/shardlab/shardlab/drivers/bench"
	godriver "github.com/shardlab/shardlab/drivers/go"
	"github.com/shardlab/shardlab/drivers/protocol"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/internal/atomicfile"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/registries"
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
				f, err := registries.Factory(name, spec.RegistrySpec{Partitions: partitions})
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
		finders                  int
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
				c, err := drivers.Command(registry, partitions)
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
			p, err := protocol.ProbeOwnerDeath(d, trials, finders)
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
	f.StringVar(&registry, "registry", "driver:erlang-global", "a driver in this repository: "+strings.Join(drivers.Names(), ", "))
	f.StringVar(&driverCmd, "driver", "", "or any driver's command (split on spaces)")
	f.IntVar(&partitions, "partitions", 4, "partitions, for the drivers that have them")
	f.IntVar(&trials, "trials", 200, "owner deaths to probe")
	f.IntVar(&finders, "finders", 2, "other clients looking the server up without a pause meanwhile")
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
				if err != nil || p < 1 || p > partition.MaxPartitions {
					return usageError("--partitions %q: want a comma-separated list of 1..%d", partitions, partition.MaxPartitions)
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
				b, err := drivers.Lookup(n)
				if err == nil {
					_, err = drivers.Command(n, 1)
				}
				if err != nil {
					return usageError("--registry: %v", err)
				}
				c.Drivers = append(c.Drivers, bench.Driver{
					Name:        b.Name,
					Command:     func(p int) []string { cmd, _ := drivers.Command(n, p); return cmd },
					Partitioned: b.Partitioned, Null: b.Null, Baseline: b.Baseline,
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
	f.StringVar(&registries, "registry", "driver:go-sharded,driver:elixir", "drivers, comma-separated: "+strings.Join(drivers.Names(), ", "))
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
