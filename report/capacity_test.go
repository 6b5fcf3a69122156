package report

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/store"
)

// withCapacity copies the paper's fixture results into a temporary
// directory and adds testdata/capacity (a calibration and a validation
// measured on the fixture's machine kind), optionally renaming the
// calibration's CPU.
func withCapacity(t *testing.T, cpu string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "results")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "paper", "testdata", "results"))); err != nil {
		t.Fatal(err)
	}
	capDir := filepath.Join(dir, store.CapacityDir)
	if err := os.CopyFS(capDir, os.DirFS(filepath.Join("testdata", "capacity"))); err != nil {
		t.Fatal(err)
	}
	if cpu != "" {
		path := filepath.Join(capDir, store.CalibrationFile)
		var c map[string]any
		data, _ := os.ReadFile(path)
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatal(err)
		}
		c["host"].(map[string]any)["cpu_model"] = cpu
		data, _ = json.Marshal(c)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCapacityFromAnotherMachineIsRefused(t *testing.T) {
	dir := withCapacity(t, "Some Other CPU")
	if _, err := Build(Config{Results: dir, Out: t.TempDir()}); !errors.Is(err, store.ErrMixedHosts) {
		t.Errorf("calibration from another CPU: %v, want store.ErrMixedHosts", err)
	}
}

// The capacity section: plans for this machine, 16 and 64 cores, the
// validation table and both figures. It simulates for a few seconds.
func TestCapacitySection(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates the report's capacity questions (seconds)")
	}
	out := t.TempDir()
	b, err := Build(Config{Results: withCapacity(t, ""), Out: out})
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(b.Markdown)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### 2 cores: the seed's 100,000 connections", "### 16 cores: the seed's 100,000 connections", "### 64 cores: write-heavy zipfian",
		"### The model against measurement", "workers <= cores: 30 cells", "The limiting resource is",
		"figures/capacity_p99_vs_partitions.png", "figures/capacity_model_vs_measured.png",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	for _, f := range []string{"capacity_p99_vs_partitions.svg", "capacity_model_vs_measured.svg"} {
		if _, err := os.Stat(filepath.Join(out, "figures", f)); err != nil {
			t.Error(err)
		}
	}
}
