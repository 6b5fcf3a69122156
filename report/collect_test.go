package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shardlab/shardlab/store"
)

// copyDir copies src to dst (which must not exist).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// TestArchiveFinished: a finished report is kept under its creation time,
// never deleted; an unfinished one stays where it is, to be resumed.
func TestArchiveFinished(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "latest")
	copyDir(t, fixture, dir)
	kept, err := archiveFinished(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := dir + "-20261130T041211Z"; kept != want {
		t.Fatalf("kept as %q, want %q", kept, want)
	}
	if _, err := store.LoadReport(kept, false); err != nil {
		t.Fatalf("the kept report does not load: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s still exists after archiving: %v", dir, err)
	}
	// A second finished report from the same moment: refused, not overwritten.
	copyDir(t, fixture, dir)
	if _, err := archiveFinished(dir); err == nil {
		t.Fatal("archiving over an existing archive succeeded")
	}
	// Unfinished: left alone.
	os.RemoveAll(dir)
	copyDir(t, fixture, dir)
	if err := os.Remove(filepath.Join(dir, store.CheckFile)); err != nil {
		t.Fatal(err)
	}
	if kept, err := archiveFinished(dir); err != nil || kept != "" {
		t.Fatalf("unfinished report: kept %q, err %v; want it left to resume", kept, err)
	}
	if _, err := os.Stat(filepath.Join(dir, store.ScenariosDir)); err != nil {
		t.Fatalf("unfinished report moved or damaged: %v", err)
	}
}
