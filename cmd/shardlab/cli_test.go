package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shardlab/shardlab/store"
)

// execute runs the CLI in-process and returns its exit status and what it
// wrote to stdout and stderr (cobra's own output; run()'s final error
// line goes to the process's stderr).
func execute(t *testing.T, args ...string) (int, string) {
	t.Helper()
	code, out, errOut := executeSplit(t, args...)
	return code, errOut + out
}

// executeSplit is execute with stdout and stderr apart.
func executeSplit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	code := exitOK
	if err != nil {
		code = exitFailure
		if ee, ok := err.(*exitError); ok {
			code = ee.code
		} else if isCobraUsage(err) {
			code = exitUsage
		}
		errOut.WriteString(err.Error())
	}
	return code, out.String(), errOut.String()
}

func TestUsageErrorsShowUsageAndExit2(t *testing.T) {
	for _, args := range [][]string{{"run"}, {"sweep"}, {"run", "a", "b"}, {"help", "nosuch"}, {"nosuch"}} {
		code, out := execute(t, args...)
		if code != exitUsage {
			t.Errorf("shardlab %s: exit %d, want %d", strings.Join(args, " "), code, exitUsage)
		}
		if args[0] != "help" && args[0] != "nosuch" && !strings.Contains(out, "Usage:") {
			t.Errorf("shardlab %s prints no usage:\n%s", strings.Join(args, " "), out)
		}
	}
	if got := run([]string{"help", "nosuch"}); got != exitUsage {
		t.Errorf("run(help nosuch) = %d, want %d", got, exitUsage)
	}
	if code, out := execute(t, "help", "run"); code != exitOK || !strings.Contains(out, "Usage:") {
		t.Errorf("help run: exit %d, output %q", code, out)
	}
}

func TestVersionComesFromBuildInfo(t *testing.T) {
	code, out := execute(t, "--version")
	if code != exitOK || !strings.HasPrefix(out, "shardlab ") || !strings.Contains(out, "go1.") {
		t.Errorf("--version: exit %d, output %q; want \"shardlab VERSION ... goX\"", code, out)
	}
}

func TestCompletionOffersNames(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "run", "lookup_1"}, "lookup_100"},
		{[]string{"__complete", "run", "all"}, "all"},
		{[]string{"__complete", "sweep", ""}, "quick"},
		{[]string{"__complete", "run", "lookup_10", "--registry", "sharded,mu"}, "sharded,mutex"},
		{[]string{"__complete", "check", "--registry", "sy"}, "syncmap"},
	}
	for _, c := range cases {
		code, out := execute(t, c.args...)
		if code != exitOK || !strings.Contains(out, c.want+"\n") {
			t.Errorf("%v: exit %d, completions %q; want %q among them", c.args, code, out, c.want)
		}
	}
	// A name already in the list is not offered again.
	if _, out := execute(t, "__complete", "run", "x", "--registry", "sharded,"); strings.Contains(out, "sharded,sharded") {
		t.Errorf("completion repeats a listed registry: %q", out)
	}
}

func TestInterruptExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	out := t.TempDir()
	if got := runContext(ctx, []string{"run", "lookup_100", "--out", out}); got != exitInterrupted {
		t.Errorf("interrupted run: exit %d, want %d", got, exitInterrupted)
	}
}

// TestUnwritableOutIsUsageEverywhere: every command with --out refuses a
// folder it cannot write with exit 2 before doing any work.
func TestUnwritableOutIsUsageEverywhere(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(file, "out")
	for _, args := range [][]string{
		{"run", "lookup_10", "--quick", "--out", bad},
		{"sweep", "quick", "--out", bad},
		{"plan", "--workers", "4", "--ops", "1", "--out", bad},
		{"report", "--out", bad},
		{"balance", "--out", bad},
		{"check", "--histories", "1", "--long", "0", "--out", bad},
	} {
		start := time.Now()
		if got := run(args); got != exitUsage {
			t.Errorf("shardlab %s: exit %d, want %d", strings.Join(args, " "), got, exitUsage)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("shardlab %s took %v to refuse: it worked first", strings.Join(args, " "), d)
		}
	}
}

func TestCheckLeavesNoTempFolder(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if got := run([]string{"check", "--registry", "mutex", "--histories", "2", "--long", "0"}); got != exitOK {
		t.Fatalf("check: exit %d", got)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("check left %d entries in TMPDIR (first %s)", len(entries), entries[0].Name())
	}
}

func TestScenariosFit100Columns(t *testing.T) {
	code, out := execute(t, "scenarios")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("line of %d columns: %q", n, line)
		}
	}
	code, wide := execute(t, "scenarios", "--wide")
	if code != exitOK || !strings.Contains(wide, "SEED TEST") || !strings.Contains(wide, "test_baseline_lookup_100k") {
		t.Errorf("--wide: exit %d, lacks the seed test column:\n%s", code, wide)
	}
	code, js := execute(t, "scenarios", "--json")
	var v struct {
		Scenarios []struct{ Name string } `json:"scenarios"`
	}
	if code != exitOK || json.Unmarshal([]byte(js), &v) != nil || len(v.Scenarios) < 10 {
		t.Errorf("--json: exit %d, %d scenarios decoded", code, len(v.Scenarios))
	}
}

// TestFlagsThatDoNothingAreRejected: a flag that has no effect in the
// mode chosen is a usage error, not silently ignored.
func TestFlagsThatDoNothingAreRejected(t *testing.T) {
	fixture := filepath.Join("..", "..", "paper", "testdata", "results")
	hist := filepath.Join(t.TempDir(), "h.jsonl")
	if err := os.WriteFile(hist, []byte(`{"id":0,"client":0,"op":"find_server","args":{"server":"s1"},"call":1,"return":2,"result":{"code":"server_not_found"}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"check", "--history", hist, "--seed", "3"},
		{"check", "--history", hist, "--registry", "mutex"},
		{"check", "--history", hist, "--summary", filepath.Join(t.TempDir(), "c.json")},
		{"check", "--registry", "mutex", "--partitions", "4"},
		{"plan", "--workers", "4", "--ops", "1", "--think", "1s"},
		{"report", "--results", fixture, "--out", t.TempDir(), "--seed", "2"},
		{"report", "--results", fixture, "--out", t.TempDir(), "--full"},
		{"scenarios", "--wide", "--json"},
	} {
		if got := run(args); got != exitUsage {
			t.Errorf("shardlab %s: exit %d, want %d", strings.Join(args, " "), got, exitUsage)
		}
	}
	// Without the stray flags both commands succeed.
	if got := run([]string{"check", "--history", hist}); got != exitOK {
		t.Errorf("check --history: exit %d, want 0", got)
	}
	if got := run([]string{"report", "--results", fixture, "--out", t.TempDir()}); got != exitOK {
		t.Errorf("report --results fixture: exit %d, want 0", got)
	}
}

// TestCheckWritesTheSummaryTheReportReads: campaigns run with --summary
// accumulate into one check.json that store.LoadCheck (the report's
// reader) accepts.
func TestCheckWritesTheSummaryTheReportReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results", "check.json")
	for _, reg := range []string{"mutex", "sharded"} {
		if got := run([]string{"check", "--registry", reg, "--histories", "3", "--long", "0", "--summary", path}); got != exitOK {
			t.Fatalf("check --registry %s --summary: exit %d", reg, got)
		}
	}
	s, err := store.LoadCheck(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Runs) != 2 || s.Runs[0].Registry != "mutex" || s.Runs[1].Registry != "sharded-p64" || s.Violations() != 0 {
		t.Errorf("summary runs %+v; want mutex then sharded-p64, no violations", s.Runs)
	}
}

// TestRunTablesFit100ColumnsAndJSONDecodes runs the quickest scenario:
// its tables fit 100 columns, and --json prints the results instead.
func TestRunTablesFit100ColumnsAndJSONDecodes(t *testing.T) {
	if testing.Short() {
		t.Skip("measures for a few seconds")
	}
	code, out, _ := executeSplit(t, "run", "lookup_10", "--quick", "--out", filepath.Join(t.TempDir(), "r"))
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Host:") || strings.HasPrefix(line, "Driver ceiling") || strings.HasPrefix(line, "Latency is") {
			continue // prose lines, not table rows
		}
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("table line of %d columns: %q", n, line)
		}
	}
	code, js, _ := executeSplit(t, "run", "lookup_10", "--quick", "--json", "--out", filepath.Join(t.TempDir(), "j"))
	var res store.Results
	if code != exitOK || json.Unmarshal([]byte(js), &res) != nil || len(res.Points) == 0 {
		t.Errorf("run --json: exit %d, %d points decoded from %.200q", code, len(res.Points), js)
	}
}

func TestWriteJSONWritesNonFiniteAsNull(t *testing.T) {
	type rec struct {
		Peak  float64           `json:"peak"`
		Skip  float64           `json:"skip,omitempty"`
		Ratio *float64          `json:"ratio"`
		By    map[string]any    `json:"by"`
		When  time.Time         `json:"when"`
		Inner []struct{ X any } `json:"inner"`
	}
	nan := math.NaN()
	var b bytes.Buffer
	err := writeJSON(&b, rec{Peak: math.Inf(1), Ratio: &nan, By: map[string]any{"a": math.Inf(-1), "b": 2.5}, When: time.Unix(0, 0).UTC(), Inner: []struct{ X any }{{X: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if got["peak"] != nil || got["ratio"] != nil || got["by"].(map[string]any)["a"] != nil || got["by"].(map[string]any)["b"] != 2.5 {
		t.Errorf("non-finite values not null or finite ones lost: %s", b.String())
	}
	if _, ok := got["skip"]; ok || got["when"] != "1970-01-01T00:00:00Z" {
		t.Errorf("omitempty or a Marshaler ignored: %s", b.String())
	}
}
