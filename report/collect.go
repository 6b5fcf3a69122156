package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/experiments/balance"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/paper"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/store"
)

// CollectConfig configures Collect: the quick measurements a report needs.
type CollectConfig struct {
	// Dir is the report's results directory [DefaultDir]. An unfinished
	// one (an interrupted report) is resumed: finished points, the balance
	// study and the campaign are kept. A finished one is kept too, moved
	// aside to Dir-TIMESTAMP (its creation time), and Dir is measured
	// afresh. Nothing finished is deleted.
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
	// Now stamps every part's metadata [time.Now]; a fixed clock makes a
	// fixture's metadata reproducible.
	Now func() time.Time
	// Full runs the seed's durations (10-30 s per scenario), FullSweep
	// (longer points, six repetitions) and a campaign ten times longer
	// instead of the quick settings: a report to base a decision on, in
	// about half an hour on 2 cores.
	Full bool
	// FindingsDir holds the kept BEAM histories the report rechecks
	// [DefaultFindingsDir, relative to the working directory].
	FindingsDir string
	// Shardlab is the shardlab executable that serves the Go drivers
	// [this process's own executable: right for the CLI, not for a test].
	Shardlab string

	_ struct{}
}

// DefaultDir is where a report measures unless told otherwise.
const DefaultDir = "results/latest"

// defaultRegistries are the scenarios' registries in a report.
func defaultRegistries() []string {
	return []string{registries.Sharded, registries.Mutex, registries.Channel}
}

// ReportSweep is the sweep a report runs: partition counts x workers for
// the lookup and sustained mixes, three repetitions of 250 ms each so
// throughput carries a confidence interval and each p99 rests on tens of
// thousands of samples (100 ms points let one scheduler hiccup decide a
// p99). About a minute on 2 cores.
func ReportSweep() spec.Sweep {
	return spec.Sweep{
		Name: "report", Registries: []string{registries.Sharded},
		Partitions: []int{1, 4, 16, 64, 256}, Workers: []int{1, 2, 8, 32, 100},
		Workloads: []spec.WorkloadSpec{{Name: "lookup"}, {Name: "sustained"}},
		Preload:   experiments.SeedPreload(),
		Duration:  spec.Duration(250 * time.Millisecond), Repeat: 3, SampleEvery: 8,
	}
}

// FullSweep is ReportSweep at full length: 1 s points and six
// repetitions, enough for benchstat-style intervals.
func FullSweep() spec.Sweep {
	s := ReportSweep()
	s.Name, s.Duration, s.Repeat = "report-full", spec.Duration(time.Second), 6
	return s
}

// Collect runs, into cfg.Dir, every part a report needs: the seed's ten
// scenarios and the others (quick durations) against cfg.Registries,
// ReportSweep, the balance study, the quick verification campaign and the
// capacity model's calibration and validation (quick; kept when an
// interrupted run finished them), and the registries in other languages
// (Elixir's Registry beside impl through the driver protocol when erl and
// elixir are on PATH, and the kept BEAM findings rechecked).
func Collect(ctx context.Context, cfg CollectConfig) error {
	if cfg.Dir == "" {
		cfg.Dir = DefaultDir
	}
	regs := cfg.Registries
	if len(regs) == 0 {
		regs = defaultRegistries()
	}
	now := func() time.Time {
		if cfg.Now != nil {
			return cfg.Now().UTC()
		}
		return time.Now().UTC()
	}
	say := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", args...)
		}
	}
	if kept, err := archiveFinished(cfg.Dir); err != nil {
		return err
	} else if kept != "" {
		say("report: the finished report in %s is kept as %s; measuring afresh", cfg.Dir, kept)
	}
	// Temporary files an interrupted atomic write of ours left in the
	// report's own folders (the run folders clean theirs when opened).
	for _, d := range []string{cfg.Dir, filepath.Join(cfg.Dir, store.BalanceDir)} {
		if _, err := os.Stat(d); err == nil {
			if err := store.CleanTemps(d); err != nil {
				return err
			}
		}
	}
	base := experiments.Config{
		Registries: regs, Seed: cfg.Seed, Quick: !cfg.Full, Host: cfg.Host, CommandLine: cfg.CommandLine,
		Progress: cfg.Progress, Terminal: cfg.Terminal, Now: cfg.Now,
	}
	t0 := time.Now()
	length := "quick"
	if cfg.Full {
		length = "full length"
	}
	say("report [1/6]: the built-in scenarios, %s, against %v", length, regs)
	sc := base
	sc.Scenarios, sc.Out = experiments.BuiltinScenarios(), filepath.Join(cfg.Dir, store.ScenariosDir)
	if _, err := experiments.RunScenarios(ctx, sc); err != nil {
		return fmt.Errorf("scenarios: %w", err)
	}
	say("report [2/6]: sweep over partitions x workers (%s so far)", time.Since(t0).Round(time.Second))
	sw := base
	s := ReportSweep()
	if cfg.Full {
		s = FullSweep()
	}
	sw.Sweep, sw.Registries, sw.Out = &s, nil, filepath.Join(cfg.Dir, store.SweepDir)
	if _, err := experiments.RunSweep(ctx, sw); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	balanceDir := filepath.Join(cfg.Dir, store.BalanceDir)
	if old, err := store.LoadBalance(balanceDir); err == nil && old.Seed == cfg.Seed && (cfg.BalanceKeys == nil || slices.Equal(old.Keys, cfg.BalanceKeys)) {
		say("report [3/6]: partition balance study: kept from the interrupted run (%s so far)", time.Since(t0).Round(time.Second))
	} else {
		say("report [3/6]: partition balance study (%s so far)", time.Since(t0).Round(time.Second))
		st, err := balance.Run(ctx, balance.Config{Seed: cfg.Seed, Host: cfg.Host, Keys: cfg.BalanceKeys, Progress: cfg.Progress, Now: cfg.Now})
		if st != nil {
			if werr := store.WriteBalance(balanceDir, st); werr != nil {
				return werr
			}
		}
		if err != nil {
			return fmt.Errorf("balance: %w", err)
		}
	}
	checkPath := filepath.Join(cfg.Dir, store.CheckFile)
	if old, err := store.LoadCheck(checkPath); err == nil && old.Seed == cfg.Seed {
		say("report [4/6]: verification campaign: kept from the interrupted run")
	} else {
		say("report [4/6]: verification campaign, %s (%s so far)", length, time.Since(t0).Round(time.Second))
		campaign := check.DefaultCampaign()
		if cfg.Full {
			campaign = fullCampaign()
		}
		cs, err := runCheck(ctx, campaign, cfg.Seed, cfg.Host, now(), filepath.Join(cfg.Dir, "check-artifacts"), cfg.Progress)
		if err != nil {
			return fmt.Errorf("check: %w", err)
		}
		if err := store.WriteCheck(checkPath, cs); err != nil {
			return err
		}
	}
	say("report [5/6]: capacity model: calibrate and validate against measurement, quick (%s so far)", time.Since(t0).Round(time.Second))
	if err := collectCapacity(ctx, cfg.Dir, cfg.Seed, cfg.Progress); err != nil {
		return fmt.Errorf("capacity: %w", err)
	}
	beamPath := filepath.Join(cfg.Dir, store.BeamFile)
	if old, err := store.LoadBeam(beamPath); err == nil && old.Measured {
		say("report [6/6]: registries in other languages: kept from the interrupted run")
	} else {
		say("report [6/6]: registries in other languages: Elixir's Registry and impl through the driver protocol (%s so far)", time.Since(t0).Round(time.Second))
		b, err := MeasureBeam(ctx, BeamConfig{Full: cfg.Full, Seed: cfg.Seed, Host: cfg.Host, Now: now(),
			FindingsDir: cfg.FindingsDir, Shardlab: cfg.Shardlab, Progress: cfg.Progress})
		if err != nil {
			return err
		}
		if !b.Measured {
			say("report [6/6]: %s", b.NotMeasured)
		}
		if err := store.WriteBeam(beamPath, b); err != nil {
			return err
		}
	}
	say("report: measurements done in %s", time.Since(t0).Round(time.Second))
	return nil
}

// archiveFinished moves a finished report's directory aside, to
// DIR-YYYYMMDDTHHMMSSZ after its creation time, and returns where; an
// unfinished or absent one stays to be resumed ("" and nil).
func archiveFinished(dir string) (string, error) {
	in, err := store.LoadReport(dir, true)
	if err != nil {
		return "", nil
	}
	to := dir + "-" + in.Created().UTC().Format("20060102T150405Z")
	if _, err := os.Stat(to); err == nil {
		return "", fmt.Errorf("%w: cannot keep the finished report in %s: %s exists", store.ErrOutput, dir, to)
	}
	if err := os.Rename(dir, to); err != nil {
		return "", fmt.Errorf("%w: %w", store.ErrOutput, err)
	}
	return to, nil
}

// RunConfig configures Run.
type RunConfig struct {
	// Collect is what to measure; ignored when Results is set.
	Collect CollectConfig
	// Results rebuilds the report from this directory without measuring.
	Results string
	// Out and AllowMixedHosts are Build's.
	Out             string
	AllowMixedHosts bool

	_ struct{}
}

// Run measures into cfg.Collect.Dir (resuming an interrupted report), or
// takes cfg.Results as measured, and builds the report from it.
func Run(ctx context.Context, cfg RunConfig) (*paper.Built, error) {
	dir := cfg.Results
	if dir == "" {
		if err := Collect(ctx, cfg.Collect); err != nil {
			return nil, err
		}
		dir = cmp.Or(cfg.Collect.Dir, DefaultDir)
	}
	return Build(Config{Results: dir, Out: cfg.Out, AllowMixedHosts: cfg.AllowMixedHosts})
}
