package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shardlab/shardlab/internal/atomicfile"
)

// A report's results directory holds one folder per part:
//
//	DIR/scenarios/   experiments results (kind "scenarios")
//	DIR/sweep/       experiments results (kind "sweep")
//	DIR/balance/     balance.json + balance.csv (package balance)
//	DIR/check.json   the verification campaign's summary (CheckSummary)
const (
	ScenariosDir = "scenarios"
	SweepDir     = "sweep"
	BalanceDir   = "balance"
	CheckFile    = "check.json"
)

// Sentinel errors of a report's directory. Every one of them is the
// user's input at fault: the CLI maps them to exit status 2.
var (
	// ErrEmpty: the results directory does not exist or holds nothing.
	ErrEmpty = errors.New("store: no results")
	// ErrPartial: a part is missing or holds no points.
	ErrPartial = errors.New("store: partial results")
	// ErrMixedHosts: parts come from different machines.
	ErrMixedHosts = errors.New("store: results from different machines")
)

// Inputs is a loaded, validated results directory.
type Inputs struct {
	Dir       string
	Scenarios *Results
	Sweep     *Results
	Balance   *Balance
	Check     *CheckSummary
	// Beam is the registries-in-other-languages part (beam.json); nil in
	// results measured before it existed.
	Beam *Beam
	// Notes are findings about the inputs a reader must know (a torn
	// tail, hosts that differ, different builds).
	Notes []string
}

// Host returns the machine the measurements ran on (the scenarios').
func (in *Inputs) Host() Host { return in.Scenarios.Meta.Host }

// LoadReport reads and validates a report's results directory. It refuses an
// empty or partial directory (ErrEmpty, ErrPartial), parts of another
// schema version (ErrSchema) and, unless allowMixed, parts measured on
// different machines (ErrMixedHosts); with allowMixed the difference is
// recorded in Notes and stated in the report.
func LoadReport(dir string, allowMixed bool) (*Inputs, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist", ErrEmpty, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEmpty, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: %s is empty (run `shardlab report` to measure into it)", ErrEmpty, dir)
	}
	in := &Inputs{Dir: dir}
	var missing []string
	loadRuns := func(sub, kind string) (*Results, error) {
		path := filepath.Join(dir, sub)
		if _, err := os.Stat(filepath.Join(path, MetaFile)); err != nil {
			missing = append(missing, sub+"/")
			return nil, nil
		}
		res, err := Load(path)
		if err != nil {
			if strings.Contains(err.Error(), "schema version") {
				return nil, fmt.Errorf("%w: %w", ErrSchema, err)
			}
			return nil, fmt.Errorf("%w: %w", ErrPartial, err)
		}
		if res.Meta.Kind != kind {
			return nil, fmt.Errorf("%w: %s holds %q results, want %q", ErrPartial, path, res.Meta.Kind, kind)
		}
		if len(res.Points) == 0 {
			return nil, fmt.Errorf("%w: %s has no finished points", ErrPartial, path)
		}
		if res.TornTail {
			in.Notes = append(in.Notes, fmt.Sprintf("%s/%s ended in a partial line (an interrupted write); it was ignored", sub, PointsFile))
		}
		return res, nil
	}
	if in.Scenarios, err = loadRuns(ScenariosDir, "scenarios"); err != nil {
		return nil, err
	}
	if in.Sweep, err = loadRuns(SweepDir, "sweep"); err != nil {
		return nil, err
	}
	in.Balance, err = LoadBalance(filepath.Join(dir, BalanceDir))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		missing = append(missing, BalanceDir+"/"+BalanceJSONFile)
	case errors.Is(err, ErrSchema):
		return nil, fmt.Errorf("%w: %w", ErrSchema, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrPartial, err)
	}
	in.Check, err = LoadCheck(filepath.Join(dir, CheckFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		missing = append(missing, CheckFile)
	case err != nil:
		return nil, err
	}
	if err := in.loadBeamPart(dir); err != nil {
		return nil, err
	}
	if len(missing) == 4 {
		return nil, fmt.Errorf("%w: %s holds none of %s/, %s/, %s/, %s (is it a report's results directory?)",
			ErrEmpty, dir, ScenariosDir, SweepDir, BalanceDir, CheckFile)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s lacks %s (rerun `shardlab report` without --results to measure everything)",
			ErrPartial, dir, strings.Join(missing, ", "))
	}
	if err := in.checkHosts(allowMixed); err != nil {
		return nil, err
	}
	return in, nil
}

// machine is the part of a Host that decides performance.
func machine(h Host) string {
	return fmt.Sprintf("%s, %d CPUs, GOMAXPROCS %d, %s/%s", h.CPUModel, h.NumCPU, h.GOMAXPROCS, h.OS, h.Arch)
}

func (in *Inputs) checkHosts(allowMixed bool) error {
	parts := []struct {
		name string
		host Host
	}{
		{ScenariosDir, in.Scenarios.Meta.Host},
		{SweepDir, in.Sweep.Meta.Host},
		{BalanceDir, in.Balance.Host},
		{CheckFile, in.Check.Host},
	}
	// A merged part ran on every shard's machine, not only the first's.
	for _, m := range []struct {
		name   string
		shards []MergedShard
	}{{ScenariosDir, in.Scenarios.Meta.Merged}, {SweepDir, in.Sweep.Meta.Merged}, {BalanceDir, in.Balance.Merged}, {CheckFile, in.Check.Merged}} {
		for _, sh := range m.shards {
			parts = append(parts, struct {
				name string
				host Host
			}{fmt.Sprintf("%s (shard %s)", m.name, sh.Shard), sh.Host})
		}
	}
	byMachine := map[string][]string{}
	var order []string
	builds := map[string]bool{}
	for _, p := range parts {
		m := machine(p.host)
		if _, ok := byMachine[m]; !ok {
			order = append(order, m)
		}
		byMachine[m] = append(byMachine[m], p.name)
		builds[p.host.GoVersion+" "+p.host.GitRevision] = true
	}
	if len(order) > 1 {
		var desc []string
		for _, m := range order {
			desc = append(desc, fmt.Sprintf("%s on [%s]", strings.Join(byMachine[m], ", "), m))
		}
		msg := "parts of this report ran on different machines: " + strings.Join(desc, "; ")
		if !allowMixed {
			return fmt.Errorf("%w: %s (measure again on one machine, or pass --allow-mixed-hosts to state it in the report)", ErrMixedHosts, msg)
		}
		in.Notes = append(in.Notes, msg+"; figures that compare them compare machines as well as configurations")
	}
	if len(builds) > 1 {
		var bs []string
		for b := range builds {
			bs = append(bs, strings.TrimSpace(b))
		}
		slices.Sort(bs)
		in.Notes = append(in.Notes, "parts of this report came from different builds: "+strings.Join(bs, "; "))
	}
	return nil
}

// Created is the newest creation time among the parts: when the report's
// measurements finished being taken.
func (in *Inputs) Created() time.Time {
	t := in.Scenarios.Meta.Created
	for _, u := range []time.Time{in.Sweep.Meta.Created, in.Balance.Created, in.Check.Created} {
		if u.After(t) {
			t = u
		}
	}
	return t
}

// writeJSONAtomic writes v as indented JSON to path atomically.
func writeJSONAtomic(path string, v any) error {
	return atomicfile.WriteJSON(path, v)
}
