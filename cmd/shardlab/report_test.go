package main

import (
	"os"
	"path/filepath"
	"testing"
)

// report measured into results/latest after deleting it: 30 finished
// points became 11. Now it resumes the folder: one holding another run is
// refused (exit 2) and left as it was, and only our stale temporary files
// are cleared. Regression for issue 11 item 4.
func TestReportNeverDeletesFinishedResults(t *testing.T) {
	t.Chdir(t.TempDir())
	scen := filepath.Join("results", "latest", "scenarios")
	if err := os.MkdirAll(scen, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"schema_version": 1, "kind": "scenarios", "name": "lookup_10", "fingerprint": "another-run", "seed": 99, "registries": ["sharded"], "spec": []}` + "\n"
	os.WriteFile(filepath.Join(scen, "meta.json"), []byte(meta), 0o644)
	os.WriteFile(filepath.Join(scen, "points.jsonl"), []byte("finished\n"), 0o644)
	stale := filepath.Join("results", "latest", ".check.json.12345.tmp")
	os.WriteFile(stale, []byte("{"), 0o644)

	if rc := run([]string{"report", "--seed", "1", "--out", filepath.Join("paper-build")}); rc != exitUsage {
		t.Fatalf("report over another run's folder: exit %d, want %d", rc, exitUsage)
	}
	got, err := os.ReadFile(filepath.Join(scen, "points.jsonl"))
	if err != nil || string(got) != "finished\n" {
		t.Fatalf("finished results were changed or deleted: %q, %v", got, err)
	}
	if b, _ := os.ReadFile(filepath.Join(scen, "meta.json")); string(b) != meta {
		t.Fatal("meta.json was changed")
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("stale temporary file left in results/latest")
	}
}
