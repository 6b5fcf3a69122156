package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is a report's results directory, committed with paper's tests.
const fixture = "../paper/testdata/results"

// copyFixture copies the committed fixture so a test can damage it.
func copyFixture(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "results")
	if err := os.CopyFS(dst, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestLoadReportBadInput(t *testing.T) {
	edit := func(t *testing.T, dir, file, old, new string) {
		t.Helper()
		path := filepath.Join(dir, file)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), old) {
			t.Fatalf("%s has no %q", file, old)
		}
		if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   error
		says   string
	}{
		{"missing dir", func(t *testing.T, dir string) { os.RemoveAll(dir) }, ErrEmpty, "does not exist"},
		{"empty dir", func(t *testing.T, dir string) {
			os.RemoveAll(dir)
			os.MkdirAll(dir, 0o755)
		}, ErrEmpty, "empty"},
		{"no check", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, CheckFile)) }, ErrPartial, CheckFile},
		{"no sweep points", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, SweepDir, "points.jsonl")) }, ErrPartial, "no finished points"},
		{"scenarios schema", func(t *testing.T, dir string) {
			edit(t, dir, "scenarios/meta.json", `"schema_version": 1`, `"schema_version": 7`)
		}, ErrSchema, "schema version 7"},
		{"balance schema", func(t *testing.T, dir string) {
			edit(t, dir, "balance/balance.json", `"schema_version": 1`, `"schema_version": 2`)
		}, ErrSchema, "schema version 2"},
		{"check schema", func(t *testing.T, dir string) {
			edit(t, dir, CheckFile, `"schema_version": 1`, `"schema_version": 3`)
		}, ErrSchema, "schema version 3"},
		{"mixed hosts", func(t *testing.T, dir string) {
			edit(t, dir, "sweep/meta.json", `"num_cpu": 2`, `"num_cpu": 64`)
		}, ErrMixedHosts, "64 CPUs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyFixture(t)
			c.damage(t, dir)
			_, err := LoadReport(dir, false)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("LoadReport: %v, want %v saying %q", err, c.want, c.says)
			}
		})
	}
	// Mixed hosts, allowed: loaded, and the difference is a note.
	dir := copyFixture(t)
	edit(t, dir, "sweep/meta.json", `"num_cpu": 2`, `"num_cpu": 64`)
	in, err := LoadReport(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(in.Notes, "\n"), "different machines") {
		t.Errorf("notes %q do not state the mixed hosts", in.Notes)
	}
}
