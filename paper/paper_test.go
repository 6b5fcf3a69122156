package paper

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/report.golden.md from the fixture")

const fixture = "testdata/results"

// copyFixture copies the committed fixture so a test can damage it.
func copyFixture(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "results")
	err := filepath.WalkDir(fixture, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fixture, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestBuildGolden(t *testing.T) {
	out := t.TempDir()
	b, err := Build(Config{Results: fixture, Out: out})
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

func TestBadInput(t *testing.T) {
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
			_, err := Build(Config{Results: dir, Out: t.TempDir()})
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("Build: %v, want %v saying %q", err, c.want, c.says)
			}
		})
	}
	// Mixed hosts, allowed: the report is built and says so.
	dir := copyFixture(t)
	edit(t, dir, "sweep/meta.json", `"num_cpu": 2`, `"num_cpu": 64`)
	b, err := Build(Config{Results: dir, Out: t.TempDir(), AllowMixedHosts: true})
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(b.Markdown)
	if !strings.Contains(string(md), "different machines") {
		t.Error("a report over mixed hosts does not state it")
	}
}

func TestPlanFromFixture(t *testing.T) {
	res, err := loadSweep(fixture)
	if err != nil {
		t.Fatal(err)
	}
	cfg := PlanConfig{Target: ReportTarget(2), Workload: "lookup"}
	cfg.Target.P99 = 0 // throughput and skew only: decided by the fixture's means
	rep, err := planFrom(res, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Plan.Recommended != 1 || !strings.Contains(rep.Text(), "capacity plan at 100 workers") {
		t.Fatalf("plan from the fixture:\n%s", rep.Text())
	}
	if _, err := planFrom(res, PlanConfig{Target: ReportTarget(2), Workload: "storm"}); !errors.Is(err, ErrPartial) {
		t.Fatalf("plan for a workload the sweep lacks: %v, want ErrPartial", err)
	}
	far := PlanConfig{Target: ReportTarget(2), Workload: "lookup"}
	far.Target.Workers = 1000
	rep, err = planFrom(res, far)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Text(), "beyond this machine") || !strings.Contains(rep.Text(), "10.0x the largest measured") {
		t.Errorf("a target past the measured range is not explained:\n%s", rep.Text())
	}
}

func TestPlanConfigValidate(t *testing.T) {
	ok := PlanConfig{Target: ReportTarget(0), Workload: "sustained"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(c *PlanConfig){
		func(c *PlanConfig) { c.Target.Workers = 0 },
		func(c *PlanConfig) { c.Target.Throughput = -1 },
		func(c *PlanConfig) { c.Target.P99 = -1 },
		func(c *PlanConfig) { c.Target.MaxSkew = -0.1 },
		func(c *PlanConfig) { c.Target.Cores = -2 },
		func(c *PlanConfig) { c.Target.Throughput, c.Target.P99, c.Target.MaxSkew = 0, 0, 0 },
		func(c *PlanConfig) { c.Workload = "nope" },
		func(c *PlanConfig) { c.Mix = map[string]float64{"fly": 1} },
		func(c *PlanConfig) { c.Dist = "gaussian" },
		func(c *PlanConfig) { c.Connections, c.Think = true, 0 },
		func(c *PlanConfig) { c.Partitions = []int{0} },
	}
	for i, f := range bad {
		c := ok
		f(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("case %d: Validate() = %v, want ErrConfig", i, err)
		}
	}
}
