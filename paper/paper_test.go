package paper_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/internal/host"
	"github.com/shardlab/shardlab/report"
	"github.com/shardlab/shardlab/store"
)

var (
	update        = flag.Bool("update", false, "rewrite testdata/report.golden.md from the fixture")
	updateFixture = flag.Bool("update-fixture", false, "measure testdata/results afresh (report.Collect, a few minutes), then rerun with -update")
)

// fixtureTime stamps a regenerated fixture's metadata, so the report's
// header does not change with the day it was measured.
var fixtureTime = time.Date(2026, 11, 30, 4, 12, 11, 0, time.UTC)

// TestUpdateFixture measures the fixture anew with -update-fixture: the
// quick report's measurements on this machine, metadata stamped with
// fixtureTime. Without the flag there is nothing to do.
func TestUpdateFixture(t *testing.T) {
	if !*updateFixture {
		t.Skip("measures only with -update-fixture")
	}
	dir := filepath.Join(t.TempDir(), "results")
	// The Go drivers of the registries-in-other-languages part are served
	// by the shardlab binary, not by this test's.
	exe := filepath.Join(t.TempDir(), "shardlab")
	if out, err := exec.Command("go", "build", "-o", exe, "../cmd/shardlab").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	err := report.Collect(context.Background(), report.CollectConfig{
		Dir: dir, Seed: 1, Host: host.Detect(), CommandLine: []string{"shardlab", "report", "--seed", "1"},
		Progress: os.Stderr, Now: func() time.Time { return fixtureTime }, Shardlab: exe,
		FindingsDir: filepath.Join("..", "docs", "findings"),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The files a report reads, and no others (summaries, CSVs), to keep
	// the fixture small.
	for _, f := range []string{
		filepath.Join(store.ScenariosDir, store.MetaFile), filepath.Join(store.ScenariosDir, store.PointsFile),
		filepath.Join(store.SweepDir, store.MetaFile), filepath.Join(store.SweepDir, store.PointsFile),
		filepath.Join(store.BalanceDir, store.BalanceJSONFile), store.CheckFile, store.BeamFile,
	} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(fixture, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(fixture, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%s measured afresh; now run go test ./paper -update and review the diff", fixture)
}

const fixture = "testdata/results"

// copyFixture copies the committed fixture so a test can damage it.
func copyFixture(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "results")
	if err := os.CopyFS(dst, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestBuildGolden(t *testing.T) {
	out := t.TempDir()
	b, err := report.Build(report.Config{Results: fixture, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(b.Markdown)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.golden.md")
	if *update {
		if err := os.WriteFile(golden, md, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./paper -update)", err)
	}
	if !bytes.Equal(md, want) {
		t.Errorf("report.md differs from %s (run go test ./paper -update and review the diff)", golden)
	}
	// The HTML is self-contained: every figure embedded, none linked.
	html, err := os.ReadFile(b.HTML)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(html, []byte(`src="data:image/svg`)); n != b.Figures || n < 6 {
		t.Errorf("html embeds %d figures, built %d (want >= 6)", n, b.Figures)
	}
	if bytes.Contains(html, []byte(`src="figures/`)) || bytes.Contains(html, []byte("http://")) {
		t.Error("html links an external file")
	}
	for _, s := range []string{"Claims audit", "Capacity recommendation", "Verification", "Threats to validity", "closed-loop service time"} {
		if !bytes.Contains(html, []byte(s)) || !bytes.Contains(md, []byte(s)) {
			t.Errorf("report lacks %q", s)
		}
	}
	for _, f := range []string{"skew_vs_partitions", "partition_load", "moved_fraction", "p99_vs_workers", "latency_percentiles"} {
		for _, ext := range []string{".png", ".svg"} {
			if _, err := os.Stat(filepath.Join(out, "figures", f+ext)); err != nil {
				t.Errorf("figure %s%s: %v", f, ext, err)
			}
		}
	}
}

// TestMixedHostsStated: a report over parts from different machines,
// when allowed, is built and says so.
func TestMixedHostsStated(t *testing.T) {
	dir := copyFixture(t)
	path := filepath.Join(dir, "sweep", "meta.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"num_cpu": 2`) {
		t.Fatalf("sweep/meta.json has no %q", `"num_cpu": 2`)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), `"num_cpu": 2`, `"num_cpu": 64`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := report.Build(report.Config{Results: dir, Out: t.TempDir(), AllowMixedHosts: true})
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(b.Markdown)
	if !strings.Contains(string(md), "different machines") {
		t.Error("a report over mixed hosts does not state it")
	}
}

// TestBeamSectionNeverOmitted: results without the BEAM part, or with it
// not measured, still get the section, saying so and how to measure it.
func TestBeamSectionNeverOmitted(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(dir string)
		want  string
	}{
		{"predates the part", func(dir string) { os.Remove(filepath.Join(dir, store.BeamFile)) }, "predate the section"},
		{"no BEAM here", func(dir string) {
			if err := store.WriteBeam(filepath.Join(dir, store.BeamFile), &store.Beam{NotMeasured: "not measured on this machine: erl not on PATH"}); err != nil {
				t.Fatal(err)
			}
		}, "not measured on this machine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyFixture(t)
			tc.write(dir)
			b, err := report.Build(report.Config{Results: dir, Out: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{b.Markdown, b.HTML} {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				s := string(data)
				for _, w := range []string{"Registries in other languages", tc.want, "apt-get install erlang-nox elixir", "make report"} {
					if !strings.Contains(s, w) {
						t.Errorf("%s lacks %q", filepath.Base(f), w)
					}
				}
				if strings.Contains(s, "ops/s (median)") {
					t.Errorf("%s shows a measurement table with nothing measured", filepath.Base(f))
				}
			}
		})
	}
}
