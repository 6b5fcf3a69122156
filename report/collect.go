package report

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/experiments/balance"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/store"
)

// CollectConfig configures Collect: the quick measurements a report needs.
type CollectConfig struct {
	// Dir is the report's results directory (created; a part already
	// finished there with the same settings is resumed, not rerun).
	Dir  string
	Seed uint64
	// Registries measured side by side in the scenarios [sharded, mutex,
	// channel: the impl, one global lock, one goroutine (the gen_server
	// analogue)].
	Registries []string
	// BalanceKeys overrides the balance study's key counts.
	BalanceKeys []int
	Host        store.Host
	CommandLine []string
	// Progress receives progress; Terminal selects progress bars.
	Progress io.Writer
	Terminal bool

	_ struct{}
}

// DefaultReportRegistries are the scenarios' registries in a report.
var DefaultReportRegistries = []string{experiments.RegistrySharded, "mutex", "channel"}

// ReportSweep is the sweep a report runs: partition counts x workers for
// the lookup and sustained mixes, three repetitions of 250 ms each so
// throughput carries a confidence interval and each p99 rests on tens of
// thousands of samples (100 ms points let one scheduler hiccup decide a
// p99). About a minute on 2 cores.
func ReportSweep() spec.Sweep {
	return spec.Sweep{
		Name: "report", Registries: []string{experiments.RegistrySharded},
		Partitions: []int{1, 4, 16, 64, 256}, Workers: []int{1, 2, 8, 32, 100},
		Workloads: []spec.WorkloadSpec{{Name: "lookup"}, {Name: "sustained"}},
		Preload:   spec.PreloadSpec{Servers: 10_000, Transports: 10_000, Bind: true},
		Duration:  spec.Duration(250 * time.Millisecond), Repeat: 3, SampleEvery: 8,
	}
}

// Collect runs, into cfg.Dir, every part a report needs: the seed's ten
// scenarios (quick durations) against cfg.Registries, ReportSweep, the
// balance study and the quick verification campaign.
func Collect(ctx context.Context, cfg CollectConfig) error {
	if cfg.Dir == "" {
		return fmt.Errorf("%w: no results directory", ErrConfig)
	}
	regs := cfg.Registries
	if len(regs) == 0 {
		regs = DefaultReportRegistries
	}
	say := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", args...)
		}
	}
	base := experiments.Config{
		Registries: regs, Seed: cfg.Seed, Quick: true, Host: cfg.Host, CommandLine: cfg.CommandLine,
		Progress: cfg.Progress, Terminal: cfg.Terminal,
	}
	t0 := time.Now()
	say("report [1/4]: the seed's ten scenarios, quick, against %v", regs)
	sc := base
	sc.Scenarios, sc.Out = experiments.BuiltinScenarios(), filepath.Join(cfg.Dir, store.ScenariosDir)
	if _, err := experiments.RunScenarios(ctx, sc); err != nil {
		return fmt.Errorf("scenarios: %w", err)
	}
	say("report [2/4]: sweep over partitions x workers (%s so far)", time.Since(t0).Round(time.Second))
	sw := base
	s := ReportSweep()
	sw.Sweep, sw.Registries, sw.Out = &s, nil, filepath.Join(cfg.Dir, store.SweepDir)
	if _, err := experiments.RunSweep(ctx, sw); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	say("report [3/4]: partition balance study (%s so far)", time.Since(t0).Round(time.Second))
	st, err := balance.Run(ctx, balance.Config{Seed: cfg.Seed, Host: cfg.Host, Keys: cfg.BalanceKeys, Progress: cfg.Progress})
	if st != nil {
		if werr := store.WriteBalance(filepath.Join(cfg.Dir, store.BalanceDir), st); werr != nil {
			return werr
		}
	}
	if err != nil {
		return fmt.Errorf("balance: %w", err)
	}
	say("report [4/4]: verification campaign, quick (%s so far)", time.Since(t0).Round(time.Second))
	cs, err := RunQuickCheck(ctx, cfg.Seed, cfg.Host, filepath.Join(cfg.Dir, "check-artifacts"), cfg.Progress)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if err := store.WriteCheck(filepath.Join(cfg.Dir, store.CheckFile), cs); err != nil {
		return err
	}
	say("report: measurements done in %s", time.Since(t0).Round(time.Second))
	return nil
}
