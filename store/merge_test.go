package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/shard"
)

var mergeIDs = []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"}

func planned(Meta) ([]string, error) { return mergeIDs, nil }

// shardFolders writes the folders of shards 1..n of a 10-point run, each
// finished, and returns them.
func shardFolders(t *testing.T, n int, mut func(k int, m *Meta)) []string {
	t.Helper()
	root := t.TempDir()
	var dirs []string
	for k := 1; k <= n; k++ {
		sp := shard.Spec{K: k, N: n}
		dir := filepath.Join(root, fmt.Sprintf("shard%d", k))
		m := testMeta()
		m.Shard = sp.String()
		m.Host.CPUModel = fmt.Sprintf("cpu-%d", k)
		if mut != nil {
			mut(k, &m)
		}
		w, err := Open(dir, OpenConfig{Fingerprint: m.Fingerprint, Shard: m.Shard})
		if err != nil {
			t.Fatal(err)
		}
		w.WriteMetaIfNew(m)
		for _, id := range mergeIDs {
			if sp.Owns(id) {
				p := testPoint(id)
				p.Seed = PointSeed(m.Seed, id)
				if err := w.Append(p); err != nil {
					t.Fatal(err)
				}
			}
		}
		w.Finish(time.Now())
		w.Close()
		dirs = append(dirs, dir)
	}
	return dirs
}

func TestMergeRunsInUnshardedOrder(t *testing.T) {
	for _, n := range []int{1, 3, 7} {
		dirs := shardFolders(t, n, nil)
		slices.Reverse(dirs) // any order
		out := filepath.Join(t.TempDir(), "merged")
		res, err := Merge(MergeConfig{Out: out, Dirs: dirs, PlannedIDs: planned})
		if err != nil {
			t.Fatalf("N=%d: %v", n, err)
		}
		got, err := Load(out)
		if err != nil || got.Done == nil || res.Items != len(mergeIDs) {
			t.Fatalf("N=%d: load merged: %v %+v", n, err, got)
		}
		var ids []string
		for _, p := range got.Points {
			ids = append(ids, p.ID)
		}
		if !slices.Equal(ids, mergeIDs) {
			t.Fatalf("N=%d: merged order %v, want %v", n, ids, mergeIDs)
		}
		if got.Meta.Shard != "" || len(got.Meta.Merged) != n || got.Meta.Merged[n-1].Host.CPUModel != fmt.Sprintf("cpu-%d", n) {
			t.Fatalf("N=%d: meta shard %q, merged %+v", n, got.Meta.Shard, got.Meta.Merged)
		}
		// The merged folder resumes as the whole run: nothing left to do.
		w, err := Open(out, OpenConfig{Fingerprint: testFP})
		if err != nil {
			t.Fatalf("N=%d: resume merged: %v", n, err)
		}
		w.Close()
	}
}

// Bad merges fail with the named sentinel and leave OUT absent.
func TestMergeRefusesBadShards(t *testing.T) {
	cases := map[string]struct {
		dirs func(t *testing.T) []string
		want error
		says string
	}{
		"missing": {func(t *testing.T) []string { return shardFolders(t, 4, nil)[:3] }, ErrIncomplete, "missing shard 4/4"},
		"two missing": {func(t *testing.T) []string { d := shardFolders(t, 4, nil); return []string{d[0], d[2]} },
			ErrIncomplete, "missing shards 2/4, 4/4"},
		"duplicate": {func(t *testing.T) []string {
			d := shardFolders(t, 3, nil)
			cp := d[1] + "-copy"
			os.CopyFS(cp, os.DirFS(d[1]))
			return append(d, cp)
		}, ErrIncomplete, "shard 2/3 given twice"},
		"same folder twice": {func(t *testing.T) []string { d := shardFolders(t, 2, nil); return append(d, d[0]) }, ErrIncomplete, "given twice"},
		"other seed": {func(t *testing.T) []string {
			return shardFolders(t, 3, func(k int, m *Meta) {
				if k == 2 {
					m.Seed = 8
				}
			})
		}, ErrMismatch, "seed 7 vs 8"},
		"other spec": {func(t *testing.T) []string {
			return shardFolders(t, 3, func(k int, m *Meta) {
				if k == 3 {
					m.Spec = []byte(`{"name":"other"}`)
				}
			})
		}, ErrMismatch, "spec"},
		"other split": {func(t *testing.T) []string {
			a := shardFolders(t, 2, nil)
			b := shardFolders(t, 3, nil)
			return []string{a[0], b[1], b[2]}
		}, ErrMismatch, "shards of different splits"},
		"unfinished": {func(t *testing.T) []string {
			d := shardFolders(t, 3, nil)
			os.Remove(filepath.Join(d[1], DoneFile))
			return d
		}, ErrIncomplete, "shard2 (shard 2/3) has no done.json"},
		"other schema": {func(t *testing.T) []string {
			d := shardFolders(t, 2, nil)
			b, _ := os.ReadFile(filepath.Join(d[1], MetaFile))
			os.WriteFile(filepath.Join(d[1], MetaFile), []byte(strings.Replace(string(b), `"schema_version": 1`, `"schema_version": 9`, 1)), 0o644)
			return d
		}, ErrMismatch, "schema version 9"},
		"corrupt": {func(t *testing.T) []string {
			d := shardFolders(t, 2, nil)
			f, _ := os.OpenFile(filepath.Join(d[0], PointsFile), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("{\"id\":\"p1\",\"bogus\":true}\n")
			f.Close()
			return d
		}, ErrCorrupt, "points.jsonl:"},
		"not ours": {func(t *testing.T) []string { return []string{t.TempDir()} }, ErrIncomplete, "holds none of"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged")
			_, err := Merge(MergeConfig{Out: out, Dirs: c.dirs(t), PlannedIDs: planned})
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("err = %v; want %v saying %q", err, c.want, c.says)
			}
			if _, serr := os.Stat(out); serr == nil {
				t.Fatalf("%s was created by a refused merge", out)
			}
		})
	}
}

func TestMergeRefusesAShardStillBeingWritten(t *testing.T) {
	dirs := shardFolders(t, 2, nil)
	w, err := Open(dirs[1], OpenConfig{Fingerprint: testFP, Shard: "2/2"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	out := filepath.Join(t.TempDir(), "merged")
	_, err = Merge(MergeConfig{Out: out, Dirs: dirs, PlannedIDs: planned})
	if !errors.Is(err, ErrIncomplete) || !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "still being written") {
		t.Fatalf("err = %v", err)
	}
}

// OUT is untouched when it already holds something, and a leftover
// temporary folder of an interrupted merge is cleared by the next one.
func TestMergeOutputIsAtomic(t *testing.T) {
	dirs := shardFolders(t, 2, nil)
	parent := t.TempDir()
	out := filepath.Join(parent, "merged")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "keep"), []byte("mine"), 0o644)
	if _, err := Merge(MergeConfig{Out: out, Dirs: dirs, PlannedIDs: planned}); !errors.Is(err, ErrOutput) {
		t.Fatalf("non-empty OUT: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "keep")); string(b) != "mine" {
		t.Fatal("OUT was changed")
	}
	out2 := filepath.Join(parent, "m2")
	stale := filepath.Join(parent, ".m2.merge-123.tmp")
	os.MkdirAll(stale, 0o755)
	if _, err := Merge(MergeConfig{Out: out2, Dirs: dirs, PlannedIDs: planned}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Fatal("stale merge folder left")
	}
	ents, _ := os.ReadDir(out2)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{DoneFile, MetaFile, PointsFile, SummaryFile}) {
		t.Fatalf("merged folder holds %v", names)
	}
}

// A merged part carries every shard's host: a report built from shards
// that ran on different machines is refused, or with allowMixed says so.
func TestMergedHostsMeetTheMixedHostsRule(t *testing.T) {
	dir := copyFixture(t)
	path := filepath.Join(dir, SweepDir, MetaFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	host := m["host"].(map[string]any)
	other := map[string]any{}
	for k, v := range host {
		other[k] = v
	}
	other["cpu_model"] = "another machine"
	m["merged"] = []any{
		map[string]any{"shard": "1/2", "dir": "a", "host": host, "points": 1},
		map[string]any{"shard": "2/2", "dir": "b", "host": other, "points": 1},
	}
	data, _ = json.Marshal(m)
	os.WriteFile(path, data, 0o644)
	if _, err := LoadReport(dir, false); !errors.Is(err, ErrMixedHosts) || !strings.Contains(err.Error(), "sweep (shard 2/2)") {
		t.Fatalf("LoadReport: %v; want ErrMixedHosts naming sweep (shard 2/2)", err)
	}
	in, err := LoadReport(dir, true)
	if err != nil || !strings.Contains(strings.Join(in.Notes, " "), "another machine") {
		t.Fatalf("allowMixed: %v, notes %q", err, in.Notes)
	}
}
