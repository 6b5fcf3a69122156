package experiments_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/store"
)

var seedFlag = flag.Uint64("seed", 1, "seed for the runs in these tests")

// tiny returns small, fast scenarios covering every kind.
func tiny() []spec.Scenario {
	pre := spec.PreloadSpec{Servers: 200, Transports: 200, Bind: true}
	ms := spec.Duration(30 * time.Millisecond)
	return []spec.Scenario{
		{Name: "lookups", Preload: pre, Groups: []spec.GroupSpec{{Workers: 4, Workload: "lookup"}},
			OpsPerWorker: 200, Duration: ms, SampleEvery: 2,
			Checks: []spec.Check{{Metric: "p99_us", Kind: "find_server", Cmp: "<", Value: 1e9, Target: "p99 < forever", Claim: "-"},
				{Metric: "ops_per_worker", Cmp: ">=", Value: 200, Target: "200 ops", Claim: "-"}}},
		{Name: "balance", Kind: spec.KindBalance, Preload: spec.PreloadSpec{Servers: 640}, Registry: spec.RegistrySpec{Partitions: 8},
			Checks: []spec.Check{{Metric: "skew", Cmp: "<", Value: 10, Target: "skew < 10", Claim: "-"}}},
		{Name: "conns", Kind: spec.KindConnections, Preload: spec.PreloadSpec{Servers: 10}, Duration: ms,
			Connections: &spec.ConnSpec{Count: 50, Think: spec.Duration(time.Millisecond)}},
		{Name: "phases", Kind: spec.KindContention, Preload: pre, SeriesInterval: spec.Duration(5 * time.Millisecond),
			Registry: spec.RegistrySpec{Partitions: 2},
			Phases: []spec.PhaseSpec{
				{Name: "storm", Duration: ms, Groups: []spec.GroupSpec{{Workers: 4, Workload: "contention"}}},
				{Name: "recovery", Duration: ms, Groups: []spec.GroupSpec{{Workers: 1, Workload: "storm"}}},
			}},
	}
}

func runTiny(t *testing.T, out string, regs ...string) (*store.Results, error) {
	t.Helper()
	return experiments.RunScenarios(context.Background(), experiments.Config{
		Scenarios: tiny(), Registries: regs, Seed: *seedFlag, Out: out,
		CommandLine: []string{"test"}, CeilingFor: 10 * time.Millisecond,
	})
}

func TestRunWritesLoadableResults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "res")
	res, err := runTiny(t, out, "sharded", "mutex")
	if err != nil {
		t.Fatal(err)
	}
	// lookups: ops + duration; balance; conns; phases = 5 per registry.
	if len(res.Points) != 10 {
		t.Fatalf("%d points, want 10", len(res.Points))
	}
	loaded, err := store.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Meta.SchemaVersion != store.SchemaVersion || loaded.Meta.Seed != *seedFlag || len(loaded.Points) != 10 {
		t.Fatalf("meta %+v with %d points", loaded.Meta, len(loaded.Points))
	}
	for _, p := range loaded.Points {
		if p.Mode == "balance" {
			if p.Balance == nil || len(p.Balance.Counts) != 8 {
				t.Errorf("%s: balance %+v, want 8 partition counts", p.ID, p.Balance)
			}
			continue
		}
		if p.Latency == nil || p.Latency.H == nil {
			t.Fatalf("%s: histogram not decoded", p.ID)
		}
		// The decoded histogram must reproduce the recorded summary.
		if got := p.Latency.H.ValueAtQuantile(99); got != p.Latency.P99 || p.Latency.H.TotalCount() != p.Latency.Count {
			t.Errorf("%s: decoded p99 %d count %d, recorded %d / %d", p.ID, got, p.Latency.H.TotalCount(), p.Latency.P99, p.Latency.Count)
		}
		if p.Throughput <= 0 || p.ElapsedNs <= 0 {
			t.Errorf("%s: throughput %v elapsed %d", p.ID, p.Throughput, p.ElapsedNs)
		}
	}
	for _, p := range loaded.Points {
		if p.Mode == "ops" {
			if p.Ops != 800 {
				t.Errorf("%s: %d ops, want 4 workers x 200", p.ID, p.Ops)
			}
			for _, c := range p.Checks {
				if !c.Pass {
					t.Errorf("%s: check %s failed at %v", p.ID, c.Target, c.Measured)
				}
			}
		}
		if p.Mode == "contention" && p.Registry == "mutex" && (p.Contention == nil || p.Contention.Supported) {
			t.Errorf("mutex contention record %+v: must say unsupported", p.Contention)
		}
	}
	summary, err := os.ReadFile(filepath.Join(out, store.SummaryFile))
	if err != nil || strings.Count(string(summary), "\n") != 11 {
		t.Errorf("summary.csv: %v, %d lines, want header + 10", err, strings.Count(string(summary), "\n"))
	}
	// Results are for sharing: every file is world-readable, whatever the
	// temporary file it was written through.
	for _, name := range []string{store.MetaFile, store.PointsFile, store.SummaryFile} {
		fi, err := os.Stat(filepath.Join(out, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want -rw-r--r--", name, fi.Mode())
		}
	}
}

func TestResumeSkipsFinishedPointsAndToleratesATornLine(t *testing.T) {
	out := filepath.Join(t.TempDir(), "res")
	if _, err := runTiny(t, out, "sharded"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, store.PointsFile)
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
	// Keep two finished points and half of the third: an interrupted write.
	torn := lines[0] + lines[1] + lines[2][:len(lines[2])/2]
	if err := os.WriteFile(path, []byte(torn), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := store.Load(out)
	if err != nil || !r.TornTail || len(r.Points) != 2 {
		t.Fatalf("Load of torn file: err %v, torn %v, %d points; want 2 points and a torn tail", err, r != nil && r.TornTail, len(r.Points))
	}
	firstID := r.Points[0].ID
	firstStarted := r.Points[0].Started
	res, err := runTiny(t, out, "sharded")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 5 {
		t.Fatalf("%d points after resume, want 5", len(res.Points))
	}
	seen := map[string]bool{}
	for _, p := range res.Points {
		if seen[p.ID] {
			t.Errorf("point %s recorded twice", p.ID)
		}
		seen[p.ID] = true
		if p.ID == firstID && !p.Started.Equal(firstStarted) {
			t.Errorf("finished point %s was rerun", p.ID)
		}
	}
	if _, err := store.Load(out); err != nil {
		t.Fatalf("after resume: %v", err)
	}
}

func TestCorruptResultsFileNamesTheLine(t *testing.T) {
	out := filepath.Join(t.TempDir(), "res")
	if _, err := runTiny(t, out, "sharded"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, store.PointsFile)
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	lines[1] = "{not json\n"
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644)
	_, err := store.Load(out)
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), store.PointsFile+":2") {
		t.Fatalf("err = %v, want ErrCorrupt naming %s:2", err, store.PointsFile)
	}
	if _, err := runTiny(t, out, "sharded"); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("resume over a corrupt file: err = %v, want ErrCorrupt", err)
	}
}

func TestResumeRefusesADifferentRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "res")
	if _, err := runTiny(t, out, "sharded"); err != nil {
		t.Fatal(err)
	}
	if _, err := runTiny(t, out, "mutex"); !errors.Is(err, store.ErrMismatch) {
		t.Fatalf("err = %v, want ErrMismatch", err)
	}
}

func TestUnwritableOutput(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, []byte("x"), 0o644)
	_, err := runTiny(t, filepath.Join(blocker, "res"), "sharded")
	if !errors.Is(err, store.ErrOutput) {
		t.Fatalf("err = %v, want ErrOutput", err)
	}
}

func TestBadInputs(t *testing.T) {
	base := tiny()[0]
	mut := func(f func(s *spec.Scenario)) spec.Scenario {
		s := base
		s.Groups = append([]spec.GroupSpec(nil), base.Groups...)
		f(&s)
		return s
	}
	cases := map[string]struct {
		s     spec.Scenario
		field string
	}{
		"negative workers": {mut(func(s *spec.Scenario) { s.Groups[0].Workers = -3 }), "groups[0].workers"},
		"zero weights": {mut(func(s *spec.Scenario) {
			s.Groups[0].Workload = ""
			s.Groups[0].Mix = map[string]float64{"find_server": 0}
		}), "groups[0].mix"},
		"unknown dist":     {mut(func(s *spec.Scenario) { s.Groups[0].Keys.Dist = "pareto" }), "groups[0].keys"},
		"unknown workload": {mut(func(s *spec.Scenario) { s.Groups[0].Workload = "nope" }), "groups[0].workload"},
		"unknown metric":   {mut(func(s *spec.Scenario) { s.Checks = []spec.Check{{Metric: "speed", Cmp: "<"}} }), "checks[0].metric"},
		"no stop":          {mut(func(s *spec.Scenario) { s.Duration, s.OpsPerWorker = 0, 0 }), "duration"},
	}
	for name, c := range cases {
		err := experiments.ValidateScenario(&c.s)
		if !errors.Is(err, experiments.ErrSpec) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: err = %v, want ErrSpec naming %s", name, err, c.field)
		}
	}
	if _, err := experiments.SelectScenarios("lookup_1000"); !errors.Is(err, experiments.ErrUnknownScenario) {
		t.Errorf("unknown scenario: %v", err)
	}
	if _, err := registries.Parse("sharded,etcd"); !errors.Is(err, experiments.ErrUnknownRegistry) {
		t.Errorf("unknown registry: %v", err)
	}
	if _, err := experiments.ResolveSweep("no-such-sweep"); !errors.Is(err, experiments.ErrUnknownSweep) {
		t.Errorf("unknown sweep: %v", err)
	}
}

func TestSpecFilesReportFileLine(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\n  \"name\": \"x\",\n  \"groups\": [ {\"workers\": \"many\"} ]\n}\n"), 0o644)
	_, err := experiments.LoadScenarios(bad)
	if !errors.Is(err, experiments.ErrSpec) || !strings.Contains(err.Error(), "bad.json:3") {
		t.Errorf("type error: %v, want ErrSpec naming bad.json:3", err)
	}
	unknown := filepath.Join(dir, "unknown.json")
	os.WriteFile(unknown, []byte(`{"name": "x", "wokers": 3}`), 0o644)
	if _, err := experiments.LoadScenarios(unknown); !errors.Is(err, experiments.ErrSpec) || !strings.Contains(err.Error(), "wokers") {
		t.Errorf("unknown field: %v", err)
	}
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"scenarios": [{"name": "mine", "preload": {"servers": 10, "transports": 0},
		"groups": [{"workers": 2, "mix": {"find_server": 3, "register_server": 1}, "keys": {"dist": "zipfian"}}],
		"duration": "20ms"}]}`), 0o644)
	ss, err := experiments.LoadScenarios(good)
	if err != nil || len(ss) != 1 || ss[0].Duration.D() != 20*time.Millisecond {
		t.Fatalf("good spec: %v %+v", err, ss)
	}
	sweep := filepath.Join(dir, "sweep.json")
	os.WriteFile(sweep, []byte(`{"name": "s", "registries": ["sharded"], "partitions": [1, 0], "workers": [1],
		"workloads": ["lookup"], "preload": {"servers": 10, "transports": 0}, "duration": "10ms"}`), 0o644)
	if _, err := experiments.LoadSweep(sweep); !errors.Is(err, experiments.ErrSpec) || !strings.Contains(err.Error(), "partitions[1]") {
		t.Errorf("sweep with partitions 0: %v", err)
	}
}

func TestSweepRuns(t *testing.T) {
	sw := &spec.Sweep{
		Name: "t", Registries: []string{"sharded", "mutex"}, Partitions: []int{1, 4},
		Workers: []int{1, 2}, Connections: []int{20}, Think: spec.Duration(time.Millisecond),
		Workloads: []spec.WorkloadSpec{{Name: "lookup"}, {Name: "mine", Mix: map[string]float64{"route_to_server": 1}}},
		Preload:   spec.PreloadSpec{Servers: 100, Transports: 100, Bind: true},
		Duration:  spec.Duration(10 * time.Millisecond),
	}
	out := filepath.Join(t.TempDir(), "sweep")
	res, err := experiments.RunSweep(context.Background(), experiments.Config{Sweep: sw, Seed: *seedFlag, Out: out, CeilingFor: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// sharded: 2 partitions x 2 workloads x (2 workers + 1 conns) = 12;
	// mutex: 1 x 2 x 3 = 6.
	if len(res.Points) != 18 {
		t.Fatalf("%d points, want 18", len(res.Points))
	}
	for _, p := range res.Points {
		if p.Registry == "mutex" && p.Partitions != 0 {
			t.Errorf("%s: mutex recorded with %d partitions", p.ID, p.Partitions)
		}
	}
}

func TestBadFolderFailsBeforeTheDriverCeiling(t *testing.T) {
	out := filepath.Join(t.TempDir(), "res")
	if _, err := runTiny(t, out, "sharded"); err != nil {
		t.Fatal(err)
	}
	// A cancelled context stops the ceiling measurement at once with
	// context.Canceled: only a folder check made before it can answer
	// with the folder's own error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	run := func(regs ...string) error {
		_, err := experiments.RunScenarios(ctx, experiments.Config{
			Scenarios: tiny(), Registries: regs, Seed: *seedFlag, Out: out, CeilingFor: time.Hour,
		})
		return err
	}
	if err := run("mutex"); !errors.Is(err, store.ErrMismatch) {
		t.Errorf("foreign folder: err = %v, want ErrMismatch before measuring", err)
	}
	path := filepath.Join(out, store.PointsFile)
	data, _ := os.ReadFile(path)
	os.WriteFile(path, append([]byte("{not json\n"), data...), 0o644)
	if err := run("sharded"); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("corrupt folder: err = %v, want ErrCorrupt before measuring", err)
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	_, err := experiments.RunScenarios(ctx, experiments.Config{Scenarios: tiny(), Seed: *seedFlag, Out: fresh, CeilingFor: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("fresh folder, cancelled: err = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(fresh, store.MetaFile)); err == nil {
		t.Errorf("a run cancelled before its ceiling wrote %s", store.MetaFile)
	}
}

func TestBuiltinScenarios(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range experiments.BuiltinScenarios() {
		if err := experiments.ValidateScenario(&s); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
		if seen[s.Name] {
			t.Errorf("%s defined twice", s.Name)
		}
		seen[s.Name] = true
	}
	for _, want := range []string{"lookup_100", "open_loop_lookup", "open_loop_overload", "connections_10k", "connections_100k"} {
		if !seen[want] {
			t.Errorf("no built-in %s", want)
		}
	}
	sc, err := experiments.SelectScenarios("connections_100k")
	if err != nil || sc[0].Connections.Count != 100_000 || sc[0].Connections.QuickCount >= 100_000 {
		t.Errorf("connections_100k: %v %+v, want 100,000 connections, fewer under --quick", err, sc)
	}
}

func TestQuickConnectionCountIsRecorded(t *testing.T) {
	sc := spec.Scenario{Name: "c", Kind: spec.KindConnections, Preload: spec.PreloadSpec{Servers: 10},
		Duration:    spec.Duration(20 * time.Millisecond),
		Connections: &spec.ConnSpec{Count: 60, QuickCount: 15, Think: spec.Duration(time.Millisecond)}}
	for _, quick := range []bool{false, true} {
		res, err := experiments.RunScenarios(context.Background(), experiments.Config{
			Scenarios: []spec.Scenario{sc}, Seed: *seedFlag, Quick: quick,
			Out: filepath.Join(t.TempDir(), "res"), CeilingFor: 10 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := 60
		if quick {
			want = 15
		}
		p := res.Points[0]
		if p.Connections != want || p.Kinds[0].Ops == 0 {
			t.Errorf("quick %v: %d connections recorded (%+v), want %d", quick, p.Connections, p.Kinds, want)
		}
	}
}
