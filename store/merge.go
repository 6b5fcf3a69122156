package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/shardlab/shardlab/shard"
)

// ErrIncomplete: a merge was given shards that do not make a whole run:
// one missing, one given twice, or one that has not finished.
var ErrIncomplete = errors.New("store: shards missing, repeated or unfinished")

// MergeConfig configures Merge.
type MergeConfig struct {
	// Out is the folder to create; it must not exist (or be empty).
	Out string
	// Dirs are the shard folders, one per shard K of N, in any order.
	Dirs []string
	// PlannedIDs returns, for a run folder's meta, the id of every point
	// the whole run plans, in the order the unsharded run records them
	// (experiments.PlannedIDs). Required to merge run folders.
	PlannedIDs func(Meta) ([]string, error)
	// CommandLine is recorded in the merged meta.json.
	CommandLine []string
	// Now stamps done.json (time.Now when nil).
	Now func() time.Time
	// MergeVerdicts combines the verdicts of the shards of one history
	// check (check.MergeVerdicts through the CLI). Required to merge
	// history-check folders.
	MergeVerdicts func([]HistoryVerdict) HistoryVerdict
}

// MergeResult says what Merge wrote.
type MergeResult struct {
	Kind   string // "run", "check", "balance" or "history"
	Shards int
	// Items: points for a run, histories for a campaign, cells for a
	// balance study, partitions decided for a history check.
	Items int
	// History is the merged record of a history check.
	History *HistoryCheck
}

type shardDir struct {
	dir  string
	spec shard.Spec
}

// Merge combines the folders of shards 1..N of one run (a sweep or
// scenarios run, a `shardlab check` campaign, a balance study, or the
// check of one history file) into cfg.Out, which then
// reads exactly like the folder of the unsharded run. It refuses folders
// of different runs (ErrMismatch: spec, seed, schema), missing, repeated
// or unfinished shards (ErrIncomplete, naming them), folders another
// process is writing (ErrLocked) and corrupt ones (ErrCorrupt). The result
// is built in a temporary folder beside Out and renamed into place, so an
// interrupted merge leaves Out absent or complete. Each shard's host is
// kept in the merged metadata (Merged), so a report built from shards of
// different machines is refused or says so.
func Merge(cfg MergeConfig) (*MergeResult, error) {
	if len(cfg.Dirs) == 0 {
		return nil, fmt.Errorf("%w: no shard folders to merge", ErrIncomplete)
	}
	outAbs, err := filepath.Abs(cfg.Out)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutput, err)
	}
	seen := map[string]string{}
	for _, d := range cfg.Dirs {
		a, _ := filepath.Abs(d)
		if a == outAbs {
			return nil, fmt.Errorf("%w: %s is both an input and the output", ErrOutput, d)
		}
		if prev, dup := seen[a]; dup {
			return nil, fmt.Errorf("%w: %s given twice (as %s and %s)", ErrIncomplete, a, prev, d)
		}
		seen[a] = d
	}
	if ents, err := os.ReadDir(cfg.Out); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("%w: %s already exists and is not empty; merge writes a new folder", ErrOutput, cfg.Out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", ErrOutput, err)
	}
	// Hold every input's lock: a shard still being written is refused.
	for _, d := range cfg.Dirs {
		if _, err := os.Stat(d); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
		}
		l, err := LockDir(d)
		if err != nil {
			if errors.Is(err, ErrLocked) {
				return nil, fmt.Errorf("%w: %s is still being written: %w", ErrIncomplete, d, err)
			}
			return nil, err
		}
		defer l.Close()
	}
	kind := ""
	for _, d := range cfg.Dirs {
		k := folderKind(d)
		if k == "" {
			return nil, fmt.Errorf("%w: %s holds none of %s, %s, %s, %s: not a results folder, or a shard that has not finished", ErrIncomplete, d, MetaFile, CheckFile, BalanceJSONFile, HistoryCheckFile)
		}
		if kind != "" && k != kind {
			return nil, fmt.Errorf("%w: %s holds a %s folder, %s a %s folder", ErrMismatch, cfg.Dirs[0], kind, d, k)
		}
		kind = k
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch kind {
	case "check":
		return mergeChecks(cfg)
	case "balance":
		return mergeBalance(cfg)
	case "history":
		return mergeHistoryChecks(cfg)
	}
	return mergeRuns(cfg)
}

func folderKind(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, MetaFile)); err == nil {
		return "run"
	}
	if _, err := os.Stat(filepath.Join(dir, CheckFile)); err == nil {
		return "check"
	}
	if _, err := os.Stat(filepath.Join(dir, BalanceJSONFile)); err == nil {
		return "balance"
	}
	if _, err := os.Stat(filepath.Join(dir, HistoryCheckFile)); err == nil {
		return "history"
	}
	return ""
}

// orderShards parses each folder's shard, checks they agree on N, and
// returns them by K, naming any shard missing or given twice.
func orderShards(dirs []string, shardOf func(i int) string) ([]shardDir, error) {
	var ss []shardDir
	for i, d := range dirs {
		s := shard.Spec{K: 1, N: 1}
		if v := shardOf(i); v != "" {
			var err error
			if s, err = shard.Parse(v); err != nil {
				return nil, fmt.Errorf("%w: %s: field shard: %w", ErrCorrupt, d, err)
			}
		}
		ss = append(ss, shardDir{dir: d, spec: s})
	}
	n := ss[0].spec.N
	for _, s := range ss[1:] {
		if s.spec.N != n {
			return nil, fmt.Errorf("%w: %s is shard %s but %s is shard %s: shards of different splits", ErrMismatch, ss[0].dir, ss[0].spec, s.dir, s.spec)
		}
	}
	byK := make([]*shardDir, n+1)
	for i := range ss {
		s := &ss[i]
		if prev := byK[s.spec.K]; prev != nil {
			return nil, fmt.Errorf("%w: shard %s given twice: %s and %s", ErrIncomplete, s.spec, prev.dir, s.dir)
		}
		byK[s.spec.K] = s
	}
	var missing []string
	for k := 1; k <= n; k++ {
		if byK[k] == nil {
			missing = append(missing, fmt.Sprintf("%d/%d", k, n))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: missing shard%s %s (given %d of %d)", ErrIncomplete, map[bool]string{true: "s"}[len(missing) > 1], strings.Join(missing, ", "), len(ss), n)
	}
	out := make([]shardDir, 0, n)
	for k := 1; k <= n; k++ {
		out = append(out, *byK[k])
	}
	return out, nil
}

// mismatch names the first field in which b's run differs from a's.
func mismatch(a, b Meta) string {
	switch {
	case a.SchemaVersion != b.SchemaVersion:
		return fmt.Sprintf("schema_version %d vs %d", a.SchemaVersion, b.SchemaVersion)
	case a.Kind != b.Kind:
		return fmt.Sprintf("kind %q vs %q", a.Kind, b.Kind)
	case a.Name != b.Name:
		return fmt.Sprintf("name %q vs %q", a.Name, b.Name)
	case a.Seed != b.Seed:
		return fmt.Sprintf("seed %d vs %d", a.Seed, b.Seed)
	case a.Quick != b.Quick:
		return fmt.Sprintf("quick %v vs %v", a.Quick, b.Quick)
	case !slices.Equal(a.Registries, b.Registries):
		return fmt.Sprintf("registries %v vs %v", a.Registries, b.Registries)
	case !bytes.Equal(compactJSON(a.Spec), compactJSON(b.Spec)):
		return "spec (the resolved scenarios or sweep differ)"
	case a.Fingerprint != b.Fingerprint:
		return fmt.Sprintf("fingerprint %s vs %s", a.Fingerprint, b.Fingerprint)
	}
	return ""
}

func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

func mergeRuns(cfg MergeConfig) (*MergeResult, error) {
	if cfg.PlannedIDs == nil {
		return nil, errors.New("store: Merge of run folders needs PlannedIDs")
	}
	var rs []*Results
	for _, d := range cfg.Dirs {
		r, err := Load(d)
		if err != nil {
			if errors.Is(err, ErrSchema) {
				return nil, fmt.Errorf("%w: %w", ErrMismatch, err)
			}
			return nil, err
		}
		rs = append(rs, r)
	}
	shards, err := orderShards(cfg.Dirs, func(i int) string { return rs[i].Meta.Shard })
	if err != nil {
		return nil, err
	}
	byDir := map[string]*Results{}
	for _, r := range rs {
		byDir[r.Dir] = r
	}
	first := byDir[shards[0].dir]
	for _, s := range shards {
		r := byDir[s.dir]
		if why := mismatch(first.Meta, r.Meta); why != "" {
			return nil, fmt.Errorf("%w: %s (shard %s) and %s (shard %s) are different runs: %s", ErrMismatch, first.Dir, shards[0].spec, r.Dir, s.spec, why)
		}
		if r.Done == nil || r.TornTail {
			return nil, fmt.Errorf("%w: %s (shard %s) has no %s: still running or interrupted; rerun its command to resume it", ErrIncomplete, r.Dir, s.spec, DoneFile)
		}
	}
	planned, err := cfg.PlannedIDs(first.Meta)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: spec: %w", ErrCorrupt, first.Dir, err)
	}
	n := shards[0].spec.N
	got := map[string]Point{}
	from := map[string]string{}
	isPlanned := map[string]bool{}
	for _, id := range planned {
		isPlanned[id] = true
	}
	var merged []MergedShard
	for _, s := range shards {
		r := byDir[s.dir]
		for _, p := range r.Points {
			switch {
			case !isPlanned[p.ID]:
				return nil, fmt.Errorf("%w: %s: point %s is not part of this run", ErrCorrupt, r.Dir, p.ID)
			case s.spec.N > 1 && shard.Of(p.ID, n) != s.spec.Index():
				return nil, fmt.Errorf("%w: %s (shard %s): point %s belongs to shard %d/%d", ErrCorrupt, r.Dir, s.spec, p.ID, shard.Of(p.ID, n)+1, n)
			case from[p.ID] != "":
				return nil, fmt.Errorf("%w: point %s is in both %s and %s", ErrCorrupt, p.ID, from[p.ID], r.Dir)
			}
			got[p.ID], from[p.ID] = p, r.Dir
		}
		merged = append(merged, MergedShard{Shard: s.spec.String(), Dir: r.Dir, Host: r.Meta.Host, Points: len(r.Points)})
	}
	points := make([]Point, 0, len(planned))
	for _, id := range planned {
		p, ok := got[id]
		if !ok {
			k := shard.Of(id, n) + 1
			return nil, fmt.Errorf("%w: point %s of shard %d/%d is missing from %s although it has %s", ErrIncomplete, id, k, n, shards[k-1].dir, DoneFile)
		}
		points = append(points, p)
	}
	meta := first.Meta
	meta.Shard, meta.Merged = "", merged
	for _, r := range rs {
		if r.Meta.Created.Before(meta.Created) {
			meta.Created = r.Meta.Created
		}
	}
	if cfg.CommandLine != nil {
		meta.CommandLine = cfg.CommandLine
	}
	metaJSON, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutput, err)
	}
	var lines bytes.Buffer
	for _, p := range points {
		b, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOutput, err)
		}
		lines.Write(b)
		lines.WriteByte('\n')
	}
	done, _ := json.MarshalIndent(Done{Points: len(points), Finished: cfg.Now().UTC()}, "", "  ")
	err = writeFolder(cfg.Out, map[string][]byte{
		MetaFile:    append(metaJSON, '\n'),
		PointsFile:  lines.Bytes(),
		SummaryFile: summaryCSV(points),
		DoneFile:    append(done, '\n'),
	})
	if err != nil {
		return nil, err
	}
	return &MergeResult{Kind: "run", Shards: n, Items: len(points)}, nil
}

func mergeChecks(cfg MergeConfig) (*MergeResult, error) {
	var cs []*CheckSummary
	for _, d := range cfg.Dirs {
		c, err := LoadCheck(filepath.Join(d, CheckFile))
		if err != nil {
			if errors.Is(err, ErrSchema) {
				return nil, fmt.Errorf("%w: %w", ErrMismatch, err)
			}
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if c.Campaign == nil || len(c.Runs) != 1 {
			return nil, fmt.Errorf("%w: %s: field campaign: not written by `shardlab check` (one campaign per folder)", ErrCorrupt, d)
		}
		cs = append(cs, c)
	}
	shards, err := orderShards(cfg.Dirs, func(i int) string { return cs[i].Shard })
	if err != nil {
		return nil, err
	}
	byDir := map[string]*CheckSummary{}
	for i, d := range cfg.Dirs {
		byDir[d] = cs[i]
	}
	first := byDir[shards[0].dir]
	n := shards[0].spec.N
	total := first.Campaign.Histories + first.Campaign.Long
	out := *first
	run := first.Runs[0]
	run.Histories, run.Ops, run.RunSeconds, run.CheckSeconds = 0, 0, 0, 0
	run.Failure, run.HistoryPath, run.Error, run.FailureIndex = "", "", "", nil
	var errs []string
	rank := map[string]int{OutcomeOk: 0, "undecided": 1, "violation": 2}
	run.Outcome = OutcomeOk
	out.Merged = nil
	for _, s := range shards {
		c := byDir[s.dir]
		switch {
		case c.Seed != first.Seed:
			return nil, fmt.Errorf("%w: %s and %s are different campaigns: seed %d vs %d", ErrMismatch, shards[0].dir, s.dir, first.Seed, c.Seed)
		case !reflect.DeepEqual(*c.Campaign, *first.Campaign):
			return nil, fmt.Errorf("%w: %s and %s are different campaigns: campaign %+v vs %+v", ErrMismatch, shards[0].dir, s.dir, *first.Campaign, *c.Campaign)
		}
		r := c.Runs[0]
		if _, ok := rank[r.Outcome]; !ok {
			return nil, fmt.Errorf("%w: %s: field runs[0].outcome: %q", ErrCorrupt, s.dir, r.Outcome)
		}
		// A shard that passed checked every history it owns.
		want := 0
		for i := range total {
			if s.spec.OwnsIndex(i) || n == 1 {
				want++
			}
		}
		if r.Outcome == OutcomeOk && r.Error == "" && r.Histories != want {
			return nil, fmt.Errorf("%w: %s (shard %s) passed %d histories, but the shard owns %d", ErrIncomplete, s.dir, s.spec, r.Histories, want)
		}
		run.Histories += r.Histories
		run.Ops += r.Ops
		run.RunSeconds += r.RunSeconds
		run.CheckSeconds += r.CheckSeconds
		if r.Error != "" {
			errs = append(errs, fmt.Sprintf("shard %s: %s", s.spec, r.Error))
		}
		// The worst outcome wins; among equals, the lowest history.
		better := rank[r.Outcome] > rank[run.Outcome] ||
			(rank[r.Outcome] == rank[run.Outcome] && r.FailureIndex != nil && (run.FailureIndex == nil || *r.FailureIndex < *run.FailureIndex))
		if better && r.Outcome != OutcomeOk {
			run.Outcome, run.Failure, run.HistoryPath, run.FailureIndex = r.Outcome, r.Failure, r.HistoryPath, r.FailureIndex
		}
		if c.Created.Before(out.Created) {
			out.Created = c.Created
		}
		out.Merged = append(out.Merged, MergedShard{Shard: s.spec.String(), Dir: s.dir, Host: c.Host, Points: r.Histories})
	}
	run.Error = strings.Join(errs, "; ")
	out.Runs = []CheckRun{run}
	out.Shard = ""
	data, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutput, err)
	}
	if err := writeFolder(cfg.Out, map[string][]byte{CheckFile: append(data, '\n')}); err != nil {
		return nil, err
	}
	return &MergeResult{Kind: "check", Shards: n, Items: run.Histories}, nil
}

// writeFolder creates dir holding exactly files, atomically: the files are
// written and synced in a temporary folder beside dir, which is then
// renamed to dir. Leftover temporary folders of an interrupted merge are
// removed first.
func writeFolder(dir string, files map[string][]byte) error {
	parent, base := filepath.Split(filepath.Clean(dir))
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	prefix := "." + base + ".merge-"
	if ents, err := os.ReadDir(parent); err == nil {
		for _, e := range ents {
			if e.IsDir() && strings.HasPrefix(e.Name(), prefix) && strings.HasSuffix(e.Name(), ".tmp") {
				_ = os.RemoveAll(filepath.Join(parent, e.Name()))
			}
		}
	}
	tmp, err := os.MkdirTemp(parent, prefix+"*.tmp")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	for name, data := range files {
		if err := writeAtomic(filepath.Join(tmp, name), data); err != nil {
			return err
		}
	}
	// An empty dir may stand where the merge goes; rename replaces it.
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	ok = true
	if d, err := os.Open(parent); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func mergeBalance(cfg MergeConfig) (*MergeResult, error) {
	var bs []*Balance
	for _, d := range cfg.Dirs {
		b, err := LoadBalance(d)
		if err != nil {
			if errors.Is(err, ErrSchema) {
				return nil, fmt.Errorf("%w: %w", ErrMismatch, err)
			}
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		bs = append(bs, b)
	}
	shards, err := orderShards(cfg.Dirs, func(i int) string { return bs[i].Shard })
	if err != nil {
		return nil, err
	}
	byDir := map[string]*Balance{}
	for i, d := range cfg.Dirs {
		byDir[d] = bs[i]
	}
	first := byDir[shards[0].dir]
	n := shards[0].spec.N
	cells := map[string]BalanceCell{}
	out := *first
	out.Cells, out.Shard, out.Merged, out.ElapsedNs = nil, "", nil, 0
	haveSeed := false
	for _, s := range shards {
		b := byDir[s.dir]
		switch {
		case b.Seed != first.Seed:
			return nil, fmt.Errorf("%w: %s and %s are different studies: seed %d vs %d", ErrMismatch, shards[0].dir, s.dir, first.Seed, b.Seed)
		case !slices.Equal(b.Partitioners, first.Partitioners) || !slices.Equal(b.Partitions, first.Partitions) || !slices.Equal(b.Keys, first.Keys) || b.Alpha != first.Alpha:
			return nil, fmt.Errorf("%w: %s and %s are different studies: partitioners, partitions, keys or alpha differ", ErrMismatch, shards[0].dir, s.dir)
		}
		for _, c := range b.Cells {
			id := BalanceCellID(c.Partitioner, c.Partitions, c.Keys)
			if n > 1 && shard.Of(id, n) != s.spec.Index() {
				return nil, fmt.Errorf("%w: %s (shard %s): cell %s belongs to shard %d/%d", ErrCorrupt, s.dir, s.spec, id, shard.Of(id, n)+1, n)
			}
			cells[id] = c
		}
		if s.spec.Owns(BalanceSeedCheckID) || n == 1 {
			out.SeedCheck, haveSeed = b.SeedCheck, true
		}
		out.ElapsedNs += b.ElapsedNs
		if b.Created.Before(out.Created) {
			out.Created = b.Created
		}
		out.Merged = append(out.Merged, MergedShard{Shard: s.spec.String(), Dir: s.dir, Host: b.Host, Points: len(b.Cells)})
	}
	if !haveSeed {
		return nil, fmt.Errorf("%w: no shard holds the seed check", ErrIncomplete)
	}
	// The study's own order: partitioner, keys, partitions.
	for _, p := range first.Partitioners {
		for _, k := range first.Keys {
			for _, np := range first.Partitions {
				id := BalanceCellID(p, np, k)
				c, ok := cells[id]
				if !ok {
					return nil, fmt.Errorf("%w: cell %s of shard %d/%d is missing", ErrIncomplete, id, shard.Of(id, n)+1, n)
				}
				out.Cells = append(out.Cells, c)
			}
		}
	}
	parent, base := filepath.Split(filepath.Clean(cfg.Out))
	if parent == "" {
		parent = "."
	}
	// Write through WriteBalance (json and csv) into a staging folder,
	// then move it into place like any merge.
	stage, err := os.MkdirTemp(parent, "."+base+".stage-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutput, err)
	}
	defer os.RemoveAll(stage)
	if err := WriteBalance(stage, &out); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, name := range []string{BalanceJSONFile, BalanceCSVFile} {
		data, err := os.ReadFile(filepath.Join(stage, name))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOutput, err)
		}
		files[name] = data
	}
	if err := writeFolder(cfg.Out, files); err != nil {
		return nil, err
	}
	return &MergeResult{Kind: "balance", Shards: n, Items: len(out.Cells)}, nil
}
