package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testFP = "fp-test"

func testMeta() Meta {
	return Meta{SchemaVersion: SchemaVersion, Kind: "sweep", Name: "s", Fingerprint: testFP, Seed: 7, Registries: []string{"sharded"}}
}

func testPoint(id string) Point {
	return Point{ID: id, Sweep: "s", Mode: "sweep", Registry: "sharded", Partitions: 4, Workers: 2,
		Seed: PointSeed(7, id), ElapsedNs: 1e8, Ops: 1000, Throughput: 10_000, LatencyBasis: "service"}
}

// newFolder writes a folder holding meta and the given points through a
// Writer, and closes it.
func newFolder(t *testing.T, ids ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	w, err := Open(dir, OpenConfig{Fingerprint: testFP})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.WriteMetaIfNew(testMeta()); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := w.Append(testPoint(id)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Two writers on one folder recorded every point twice and left a folder
// refused for good. Now the second gets ErrLocked naming the holder, and
// the lock goes with the first writer. Regression for issue 11 item 4.
func TestSecondWriterIsRefusedNamingTheHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	first, err := Open(dir, OpenConfig{Fingerprint: testFP})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, OpenConfig{Fingerprint: testFP})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second writer: %v; want ErrLocked naming pid %d", err, os.Getpid())
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := Open(dir, OpenConfig{Fingerprint: testFP})
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	second.Close()
}

// Resume and report accepted foreign or garbage point lines. Now each line
// is decoded strictly and checked against the run: ErrCorrupt naming
// points.jsonl:LINE. Regression for issue 11 item 4.
func TestPointLinesAreStrictAndBelongToTheRun(t *testing.T) {
	other := testPoint("b")
	other.Seed = PointSeed(8, "b")
	foreign := testPoint("c")
	foreign.Sweep = "another"
	neg := testPoint("d")
	neg.ElapsedNs = -5
	negT := testPoint("e")
	negT.Throughput = -1
	quick := testPoint("f")
	quick.Quick = true
	reg := testPoint("g")
	reg.Registry = "mutex"
	line := func(p Point) string { b, _ := json.Marshal(p); return string(b) }
	cases := map[string]struct{ line, want string }{
		"unknown field":  {`{"id":"x","foo":1}`, `unknown field "foo"`},
		"bare id":        {`{"id":"x"}`, "no mode"},
		"another seed":   {line(other), "not this run's"},
		"another sweep":  {line(foreign), `sweep "another"`},
		"negative time":  {line(neg), "negative elapsed_ns -5"},
		"negative tput":  {line(negT), "throughput -1"},
		"quick mismatch": {line(quick), "quick true"},
		"registry":       {line(reg), `registry "mutex"`},
		"duplicate":      {line(testPoint("a")), "already recorded at line 1"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := newFolder(t, "a")
			f, _ := os.OpenFile(filepath.Join(dir, PointsFile), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString(c.line + "\n")
			f.Close()
			for what, err := range map[string]error{
				"Load": func() error { _, err := Load(dir); return err }(),
				"Open": func() error {
					w, err := Open(dir, OpenConfig{Fingerprint: testFP})
					if err == nil {
						w.Close()
					}
					return err
				}(),
			} {
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "points.jsonl:2") || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: %v; want ErrCorrupt at points.jsonl:2 saying %q", what, err, c.want)
				}
			}
		})
	}
	// The runner's own check: a point it did not plan.
	dir := newFolder(t, "a", "b")
	_, err := Open(dir, OpenConfig{Fingerprint: testFP, Accept: func(p *Point) error {
		if p.ID == "b" {
			return errors.New("not a point of this run")
		}
		return nil
	}})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "points.jsonl:2: point b: not a point of this run") {
		t.Errorf("Accept: %v", err)
	}
}

// summary.csv was never repaired after a kill during its rewrite. Now it
// is rebuilt from the points whenever the folder is opened. Regression for
// issue 11 item 4.
func TestSummaryIsRebuiltOnOpen(t *testing.T) {
	dir := newFolder(t, "a", "b", "c")
	path := filepath.Join(dir, SummaryFile)
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	os.WriteFile(path, []byte(strings.Join(lines[:2], "")), 0o644) // header + 1 of 3 rows
	w, err := Open(dir, OpenConfig{Fingerprint: testFP})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	data, _ = os.ReadFile(path)
	if rows := strings.Count(string(data), "\n"); rows != 4 {
		t.Fatalf("summary has %d lines after open, want header + 3 rows:\n%s", rows, data)
	}
}

// .summary.csv.NNN.tmp files were left behind for good. Now opening a
// folder removes temporaries of our own naming, and only those.
// Regression for issue 11 item 4.
func TestStaleTempFilesOfOurNamingAreRemoved(t *testing.T) {
	dir := newFolder(t, "a")
	ours := []string{".summary.csv.123456.tmp", ".meta.json.99.tmp", ".done.json.1.tmp"}
	theirs := []string{".notes.txt.123.tmp", "summary.csv.123.tmp", ".summary.csv.abc.tmp", "keep.tmp"}
	for _, n := range append(append([]string{}, ours...), theirs...) {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644)
	}
	w, err := Open(dir, OpenConfig{Fingerprint: testFP})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	for _, n := range ours {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			t.Errorf("%s was left", n)
		}
	}
	for _, n := range theirs {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s (not ours) was removed", n)
		}
	}
}

// A folder of one shard is not resumed as another shard or as the whole
// run, and Finish writes the final marker Load reports.
func TestShardAndFinalMarker(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	w, err := Open(dir, OpenConfig{Fingerprint: testFP, Shard: "1/3"})
	if err != nil {
		t.Fatal(err)
	}
	m := testMeta()
	m.Shard = "1/3"
	w.WriteMetaIfNew(m)
	w.Append(testPoint("a"))
	res, _ := Load(dir)
	if res.Done != nil {
		t.Fatal("done before Finish")
	}
	if err := w.Finish(time.Now()); err != nil {
		t.Fatal(err)
	}
	w.Close()
	res, err = Load(dir)
	if err != nil || res.Done == nil || res.Done.Points != 1 || res.Meta.Shard != "1/3" {
		t.Fatalf("after Finish: %+v, %v", res, err)
	}
	for _, sh := range []string{"", "2/3"} {
		if _, err := Open(dir, OpenConfig{Fingerprint: testFP, Shard: sh}); !errors.Is(err, ErrMismatch) {
			t.Errorf("open as shard %q: %v; want ErrMismatch", sh, err)
		}
	}
}
