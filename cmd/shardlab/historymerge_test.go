package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/store"
)

// writeServersHistory writes a history of n servers, each registered and
// then found by another client (n partitions); when broken, server 17's
// find answers server_not_found after its registration returned, a
// violation.
func writeServersHistory(t *testing.T, path string, n int, broken bool) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		call := 10 * i
		fmt.Fprintf(&b, `{"id":%d,"client":0,"op":"register_server","args":{"server":"s%d","owner":%d},"call":%d,"return":%d,"result":{"code":"ok"}}`+"\n",
			2*i, i, i+1, call+1, call+2)
		res := fmt.Sprintf(`{"code":"ok","owner":%d}`, i+1)
		if broken && i == 17 {
			res = `{"code":"server_not_found"}`
		}
		fmt.Fprintf(&b, `{"id":%d,"client":1,"op":"find_server","args":{"server":"s%d"},"call":%d,"return":%d,"result":%s}`+"\n",
			2*i+1, i, call+3, call+4, res)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// For N = 1, 3 and 7, merging the history-check folders of shards 1..N of
// one history gives the unsharded check's outcome and decided counts, and
// merge exits with that verdict's status.
func TestMergeHistoryShardsEqualsUnsharded(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{"ok": filepath.Join(root, "ok.jsonl"), "bad": filepath.Join(root, "bad.jsonl")}
	writeServersHistory(t, files["ok"], 40, false)
	writeServersHistory(t, files["bad"], 40, true)
	for _, name := range []string{"ok", "bad"} {
		path := files[name]
		want, err := check.CheckFile(path, check.Options{})
		if err != nil {
			t.Fatal(err)
		}
		wantOutcome := map[string]check.Outcome{"ok": check.Ok, "bad": check.Violation}[name]
		if want.Outcome != wantOutcome || want.Decided.Count == 0 {
			t.Fatalf("%s: unsharded verdict %v (decided %s), want %v", name, want, want.Decided, wantOutcome)
		}
		wantStatus := map[check.Outcome]int{check.Ok: exitOK, check.Violation: exitFailure}[want.Outcome]
		for _, n := range []int{1, 3, 7} {
			var dirs []string
			worst := exitOK
			for k := n; k >= 1; k-- { // any order
				dir := filepath.Join(root, fmt.Sprintf("%s-%dof%d", name, k, n))
				rc := run([]string{"check", "--history", path, "--shard", fmt.Sprintf("%d/%d", k, n), "--out", dir})
				if rc != exitOK && rc != exitFailure {
					t.Fatalf("%s: shard %d/%d: exit %d", name, k, n, rc)
				}
				worst = max(worst, rc)
				dirs = append(dirs, dir)
			}
			if worst != wantStatus {
				t.Errorf("%s N=%d: worst shard exit %d, want %d", name, n, worst, wantStatus)
			}
			out := filepath.Join(root, fmt.Sprintf("%s-merged-%d", name, n))
			if rc := run(append([]string{"merge", out}, dirs...)); rc != wantStatus {
				t.Fatalf("%s N=%d: merge exit %d, want %d", name, n, rc, wantStatus)
			}
			got, err := store.LoadHistoryCheck(out)
			if err != nil {
				t.Fatalf("%s N=%d: %v", name, n, err)
			}
			g := got.Verdict
			if g.Outcome != want.Outcome.String() || g.Partitions != want.Partitions || g.Ops != want.Ops || got.Shard != "" || len(got.Merged) != n {
				t.Errorf("%s N=%d: merged %+v (shard %q, %d merged), unsharded %v", name, n, g, got.Shard, len(got.Merged), want)
			}
			switch want.Outcome {
			case check.Ok:
				// Every partition decided, once: the sizes add up exactly.
				if g.Decided.Count != want.Decided.Count || g.Decided.Total != want.Decided.Total ||
					g.Decided.Min != want.Decided.Min || g.Decided.Max != want.Decided.Max || g.Decided.Count != want.Partitions {
					t.Errorf("%s N=%d: merged decided %+v, unsharded %s", name, n, g.Decided, want.Decided)
				}
			case check.Violation:
				// A check stops at its first violating partition, so how
				// many others it decided depends on scheduling; the
				// violating partition itself must be the unsharded one.
				if g.Description != want.Description || strings.Join(g.Keys, ",") != strings.Join(want.Keys, ",") ||
					g.Decided.Count < 1 || g.Decided.Count > want.Partitions {
					t.Errorf("%s N=%d: merged violation %q keys %v decided %d, unsharded %q keys %v", name, n, g.Description, g.Keys, g.Decided.Count, want.Description, want.Keys)
				}
			}
		}
	}

	// Shards of different files, a shard given twice, a missing shard and
	// an unfinished shard are refused (exit 2) and nothing is written.
	okDir := func(k int) string { return filepath.Join(root, fmt.Sprintf("ok-%dof3", k)) }
	badDir := func(k int) string { return filepath.Join(root, fmt.Sprintf("bad-%dof3", k)) }
	// Same base name, other content: the hash tells them apart.
	other := filepath.Join(root, "other", "ok.jsonl")
	if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
		t.Fatal(err)
	}
	writeServersHistory(t, other, 40, true)
	otherDir := filepath.Join(root, "other-2of3")
	if rc := run([]string{"check", "--history", other, "--shard", "2/3", "--out", otherDir}); rc != exitOK && rc != exitFailure {
		t.Fatalf("other: exit %d", rc)
	}
	unfinished := filepath.Join(root, "unfinished")
	if err := os.MkdirAll(unfinished, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		dirs []string
		want error
		says string
	}{
		{"different histories", []string{okDir(1), badDir(2), okDir(3)}, store.ErrMismatch, "field history"},
		{"same name, other content", []string{okDir(1), otherDir, okDir(3)}, store.ErrMismatch, "field history"},
		{"duplicate", []string{okDir(1), okDir(2), filepath.Join(root, "ok-1of3"+string(filepath.Separator)), okDir(3)}, store.ErrIncomplete, "twice"},
		{"missing", []string{okDir(1), okDir(3)}, store.ErrIncomplete, "2/3"},
		{"unfinished", []string{okDir(1), okDir(2), unfinished}, store.ErrIncomplete, "has not finished"},
	} {
		out := filepath.Join(root, "refused-"+strings.ReplaceAll(c.name, " ", "-"))
		_, err := store.Merge(store.MergeConfig{Out: out, Dirs: c.dirs, MergeVerdicts: mergeHistoryVerdicts})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want %v naming %q", c.name, err, c.want, c.says)
		}
		if rc := run(append([]string{"merge", out}, c.dirs...)); rc != exitUsage {
			t.Errorf("%s: merge exit %d, want %d", c.name, rc, exitUsage)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: merge wrote %s", c.name, out)
		}
	}
}

// An undecided shard (its time budget ran out) records its verdict, and
// the merge of it with a passing shard is undecided: exit 3, never a pass.
func TestMergeHistoryUndecidedShard(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "h.jsonl")
	writeServersHistory(t, path, 40, false)
	d1, d2 := filepath.Join(root, "s1"), filepath.Join(root, "s2")
	if rc := run([]string{"check", "--history", path, "--shard", "1/2", "--timeout", "1ns", "--out", d1}); rc != exitUndecided {
		t.Fatalf("shard 1/2 with --timeout 1ns: exit %d, want %d", rc, exitUndecided)
	}
	if rc := run([]string{"check", "--history", path, "--shard", "2/2", "--out", d2}); rc != exitOK {
		t.Fatalf("shard 2/2: exit %d, want %d", rc, exitOK)
	}
	out := filepath.Join(root, "merged")
	if rc := run([]string{"merge", out, d1, d2}); rc != exitUndecided {
		t.Fatalf("merge: exit %d, want %d", rc, exitUndecided)
	}
	got, err := store.LoadHistoryCheck(out)
	if err != nil || got.Verdict.Outcome != check.Undecided.String() || got.Verdict.Error == "" {
		t.Fatalf("merged: %+v, %v", got, err)
	}
}
