package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScenariosListsEveryBuiltin(t *testing.T) {
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"scenarios"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lookup_100", "open_loop_lookup", "open_loop_overload", "connections_10k", "connections_100k", "contention"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("scenarios listing lacks %s:\n%s", name, out.String())
		}
	}
}

func TestRunRefusesABadFolderWithUsageStatus(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "points.jsonl"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// points.jsonl without meta.json: corrupt, refused before any
	// measurement (exit 2).
	if got := run([]string{"run", "lookup_10", "--quick", "--out", dir}); got != exitUsage {
		t.Errorf("exit %d, want %d", got, exitUsage)
	}
}
