package report

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/drivers"
	"github.com/shardlab/shardlab/drivers/bench"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/store"
)

// BeamPartitions are the partition counts Elixir's Registry and impl are
// measured at in the report's section on registries in other languages.
var BeamPartitions = []int{1, 2, 4, 8, 16}

// beamRegistries are the drivers measured (driver-bench's defaults); the
// null drivers of both languages are added as in driver-bench.
var beamRegistries = []string{"driver:go-sharded", "driver:elixir", "driver:go-null", "driver:erlang-null"}

// BeamInstall is how to measure the section on a machine without the BEAM.
const BeamInstall = "install Erlang and Elixir (`apt-get install erlang-nox elixir`), then run `make report`"

// DefaultFindingsDir holds the kept histories the section rechecks.
const DefaultFindingsDir = "docs/findings"

// keptFindings are the histories docs/drivers.md reports, with the
// registry each was recorded from and its one-sentence explanation
// (from that page).
var keptFindings = []struct{ file, registry, why string }{
	{"global-default-one-name-per-pid.jsonl", "OTP `global`, default settings",
		"OTP's `global`, as shipped, refuses a second name for a process (`register_server(\"s0.1\", owner=1) -> already_registered` with no `s0.1` registered) unless the kernel parameter `global_multi_name_action` is `allow`, which the model requires and the driver now sets."},
	{"global-list-sees-partial-cleanup.jsonl", "OTP `global`",
		"`global` removes a dead owner's names one at a time, so a `list_servers` taken during the cleanup returned `[s0.3]` without `s0.1` and `s0.2`, which no order of the operations explains even with the death pending; lookups of single names were never caught out."},
	{"erlang-ets-stale-death-notice.jsonl", "`erlang-ets-stale`, deliberately broken",
		"The broken variant deletes, on an owner's death, every ID that owner ever registered, whoever holds it now (the stale death notice of erlmcp's gproc registry): owner 2 registers `t0.0` and unregisters it, owner 1 registers it, owner 2 dies, and `route_to_transport(\"t0.0\")` answers `transport_not_found` although owner 1 is alive."},
}

// beamSettings are the measurement's settings: quick (under ~30 s on 2
// cores with both toolchains: a BEAM driver takes about a second to
// start, per cell and repeat) or full.
func beamSettings(full bool) (workers int, d time.Duration, repeats, servers int) {
	if full {
		return 8, time.Second, 3, 10000
	}
	return 8, 100 * time.Millisecond, 3, 500
}

// BeamConfig configures MeasureBeam.
type BeamConfig struct {
	Full bool
	Seed uint64
	Host store.Host
	Now  time.Time
	// FindingsDir holds the kept histories [DefaultFindingsDir].
	FindingsDir string
	// Shardlab is the shardlab executable that serves the Go drivers
	// (driver-serve) [this process's own executable].
	Shardlab string
	Progress io.Writer
}

// MeasureBeam measures Elixir's Registry at BeamPartitions beside impl
// through the Go driver, plus both null drivers, when erl and elixir are
// on PATH (driver-bench's measurement, quick unless Full), and rechecks
// the kept findings. Without the BEAM it records that the part was not
// measured and how to measure it: never an error, never silence.
func MeasureBeam(ctx context.Context, cfg BeamConfig) (*store.Beam, error) {
	w, d, rep, servers := beamSettings(cfg.Full)
	b := &store.Beam{Created: cfg.Now.UTC(), Host: cfg.Host, Workers: w, DurationNs: int64(d), Repeats: rep, Servers: servers}
	if cfg.FindingsDir == "" {
		cfg.FindingsDir = DefaultFindingsDir
	}
	b.Findings, b.FindingsNote = recheckFindings(ctx, cfg.FindingsDir)
	seed, progress := cfg.Seed, cfg.Progress
	var missing []string
	for _, tool := range []string{"erl", "elixir"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		b.NotMeasured = fmt.Sprintf("not measured on this machine: %s not on PATH; to measure it, %s", strings.Join(missing, " and "), BeamInstall)
		return b, nil
	}
	c := bench.Config{Partitions: BeamPartitions, Kinds: []model.OpKind{model.OpFindServer, model.OpRegisterServer},
		Workers: w, Duration: d, Repeats: rep, Servers: servers, Seed: seed, Log: progress}
	desc := map[string]string{}
	for _, n := range beamRegistries {
		bi, err := drivers.Lookup(n)
		if err == nil {
			_, err = drivers.Command(n, 1)
		}
		if err != nil {
			return nil, fmt.Errorf("registries in other languages: %w", err)
		}
		desc[bi.Name] = bi.Description
		c.Drivers = append(c.Drivers, bench.Driver{
			Name: bi.Name,
			Command: func(p int) []string {
				cmd, _ := drivers.Command(n, p)
				if cfg.Shardlab != "" && strings.HasPrefix(bi.Name, "go-") {
					cmd[0] = cfg.Shardlab
				}
				return cmd
			},
			Partitioned: bi.Partitioned, Null: bi.Null, Baseline: bi.Baseline,
		})
	}
	rows, err := bench.Run(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("registries in other languages: %w", err)
	}
	for _, r := range rows {
		br := store.BeamRow{Driver: r.Driver, Description: desc[r.Driver], Partitions: r.Partitions, Kind: r.Kind.String(),
			Null: r.Null, Baseline: r.Baseline, Throughput: r.Throughput, Errors: r.Errors}
		for i := range r.P50 {
			br.P50Ns = append(br.P50Ns, int64(r.P50[i]))
			br.P99Ns = append(br.P99Ns, int64(r.P99[i]))
		}
		b.Rows = append(b.Rows, br)
	}
	b.Measured = true
	return b, nil
}

// recheckFindings checks every kept history again; a missing folder is a
// note in the report, a history that no longer parses is its finding's
// error.
func recheckFindings(ctx context.Context, dir string) ([]store.BeamFinding, string) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Sprintf("the kept histories were not rechecked: %v (run the report from the repository's root)", err)
	}
	var out []store.BeamFinding
	for _, k := range keptFindings {
		f := store.BeamFinding{File: filepath.ToSlash(filepath.Join(DefaultFindingsDir, k.file)), Registry: k.registry, Explanation: k.why}
		v, err := check.CheckFileContext(ctx, filepath.Join(dir, k.file), check.Options{})
		if err != nil {
			f.Outcome, f.Error = "error", err.Error()
		} else {
			f.Outcome, f.Ops = v.Outcome.String(), v.Ops
			f.Detail, _, _ = strings.Cut(strings.TrimSpace(v.Description), "\n")
		}
		out = append(out, f)
	}
	return out, ""
}
