package experiments_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/experiments/spec"
)

func smallSweep() spec.Sweep {
	return spec.Sweep{
		Name: "small", Registries: []string{"sharded"}, Partitions: []int{2, 4}, Workers: []int{1, 2},
		Workloads: []spec.WorkloadSpec{{Name: "lookup"}},
		Preload:   spec.PreloadSpec{Servers: 50}, Duration: spec.Duration(10 * time.Millisecond),
	}
}

// A bad spec is refused whole, before the results folder exists: nothing is
// measured and no meta.json fixes a run the corrected spec would then
// contradict. Regression for issue 11 item 5: duplicates, registry options
// checked only when the first point started, no upper bounds, workloads
// without the preload they need.
func TestSpecRefusedBeforeAnythingIsWritten(t *testing.T) {
	sweeps := map[string]struct {
		mut  func(s *spec.Sweep, cfg *experiments.Config)
		want string
	}{
		"duplicate partitions": {func(s *spec.Sweep, _ *experiments.Config) { s.Partitions = []int{4, 4} }, "partitions[1]: 4 repeats partitions[0]"},
		"duplicate workers":    {func(s *spec.Sweep, _ *experiments.Config) { s.Workers = []int{2, 1, 2} }, "workers[2]: 2 repeats workers[0]"},
		"duplicate workloads": {func(s *spec.Sweep, _ *experiments.Config) {
			s.Workloads = []spec.WorkloadSpec{{Name: "lookup"}, {Name: "lookup"}}
		}, `workloads[1].name: "lookup" repeats workloads[0]`},
		"duplicate registries": {func(s *spec.Sweep, _ *experiments.Config) { s.Registries = []string{"sharded", "sharded"} }, `registries[1]: "sharded" repeats`},
		"duplicate --registry": {func(_ *spec.Sweep, c *experiments.Config) {
			c.Registries = []string{"sharded", "mutex", "sharded"}
		}, `"sharded" repeats`},
		"admission_fraction 5": {func(s *spec.Sweep, _ *experiments.Config) { s.Registry.AdmissionFraction = 5 }, "registry.admission_fraction"},
		"partitioner nope":     {func(s *spec.Sweep, _ *experiments.Config) { s.Registry.Partitioner = "nope" }, "registry.partitioner"},
		"read_sampling 3":      {func(s *spec.Sweep, _ *experiments.Config) { s.Registry.ReadSampling = 3 }, "registry.read_sampling"},
		"negative window": {func(s *spec.Sweep, _ *experiments.Config) {
			s.Registry.ContentionWindow = spec.Duration(-time.Second)
		}, "registry.contention_window"},
		"clear above alarm": {func(s *spec.Sweep, _ *experiments.Config) {
			s.Registry.AlarmWait, s.Registry.ClearWait = spec.Duration(time.Millisecond), spec.Duration(2*time.Millisecond)
		}, "registry.clear_wait"},
		"preload 2e9":            {func(s *spec.Sweep, _ *experiments.Config) { s.Preload.Servers = 2e9 }, "would need about 600 GB"},
		"repeat 1e8":             {func(s *spec.Sweep, _ *experiments.Config) { s.Repeat = 1e8 }, "sweep.repeat: 100000000"},
		"points 1e8":             {func(s *spec.Sweep, _ *experiments.Config) { s.Repeat = 1000; s.Workers = seq(1, 100) }, "200000 points would need about"},
		"lookup without servers": {func(s *spec.Sweep, _ *experiments.Config) { s.Preload.Servers = 0 }, "workloads[0]: mix uses find_server but no servers are preloaded"},
		"series too fine": {func(s *spec.Sweep, _ *experiments.Config) {
			s.Duration, s.SeriesInterval = spec.Duration(time.Hour), spec.Duration(time.Microsecond)
		}, "series_interval"},
	}
	for name, c := range sweeps {
		t.Run("sweep/"+name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			sw := smallSweep()
			cfg := experiments.Config{Seed: 1, Out: out, CeilingFor: 10 * time.Millisecond}
			c.mut(&sw, &cfg)
			cfg.Sweep = &sw
			_, err := experiments.RunSweep(context.Background(), cfg)
			if !errors.Is(err, experiments.ErrSpec) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v; want ErrSpec containing %q", err, c.want)
			}
			if _, serr := os.Stat(out); serr == nil {
				t.Fatalf("%s was created for a spec that was refused", out)
			}
		})
	}
	scenarios := map[string]struct {
		mut  func(ss []spec.Scenario) []spec.Scenario
		want string
	}{
		"duplicate names": {func(ss []spec.Scenario) []spec.Scenario { return append(ss, ss[0]) }, `scenarios[4].name: "lookups" repeats scenarios[0]`},
		"admission_fraction 5": {func(ss []spec.Scenario) []spec.Scenario {
			ss[1].Registry.AdmissionFraction = 5
			return ss
		}, "balance.registry.admission_fraction"},
		"preload 2e9": {func(ss []spec.Scenario) []spec.Scenario {
			ss[1].Preload.Servers = 2e9
			return ss
		}, "balance.preload.servers"},
		"lookup without servers": {func(ss []spec.Scenario) []spec.Scenario {
			ss[0].Preload = spec.PreloadSpec{}
			return ss
		}, "lookups.groups[0]: mix uses find_server but no servers are preloaded"},
	}
	for name, c := range scenarios {
		t.Run("scenarios/"+name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			_, err := experiments.RunScenarios(context.Background(), experiments.Config{
				Scenarios: c.mut(tiny()), Seed: 1, Out: out, CeilingFor: 10 * time.Millisecond,
			})
			if !errors.Is(err, experiments.ErrSpec) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v; want ErrSpec containing %q", err, c.want)
			}
			if _, serr := os.Stat(out); serr == nil {
				t.Fatalf("%s was created for a spec that was refused", out)
			}
		})
	}
	// --registry sharded,sharded on run: refused before the folder exists.
	out := filepath.Join(t.TempDir(), "out")
	_, err := experiments.RunScenarios(context.Background(), experiments.Config{
		Scenarios: tiny()[:1], Registries: []string{"sharded", "sharded"}, Seed: 1, Out: out, CeilingFor: 10 * time.Millisecond,
	})
	if !errors.Is(err, experiments.ErrSpec) || !strings.Contains(err.Error(), `"sharded" repeats`) {
		t.Errorf("run with registries sharded,sharded: %v; want a duplicate error", err)
	}
	if _, serr := os.Stat(out); serr == nil {
		t.Errorf("%s created for a refused run", out)
	}
	if _, err := experiments.SelectScenarios("lookup_100,lookup_100"); !errors.Is(err, experiments.ErrSpec) {
		t.Errorf("SelectScenarios with a repeated name = %v; want ErrSpec", err)
	}
}

func seq(lo, hi int) []int {
	var out []int
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

// Unknown fields are refused at every depth, also inside a sweep's workload
// object (which has its own UnmarshalJSON). Regression for issue 11 item 5.
func TestSweepFileUnknownFieldsAtEveryDepth(t *testing.T) {
	dir := t.TempDir()
	for name, wl := range map[string]string{
		"workload":      `{"name": "mine", "mix": {"find_server": 1}, "weight": 3}`,
		"workload.keys": `{"name": "mine", "mix": {"find_server": 1}, "keys": {"dist": "zipfian", "skew": 2}}`,
	} {
		path := filepath.Join(dir, name+".json")
		os.WriteFile(path, []byte(`{"name": "s", "registries": ["sharded"], "partitions": [1], "workers": [1],
			"workloads": [`+wl+`], "preload": {"servers": 10, "transports": 0}, "duration": "10ms"}`), 0o644)
		_, err := experiments.LoadSweep(path)
		if !errors.Is(err, experiments.ErrSpec) || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("%s: err = %v; want ErrSpec naming the unknown field", name, err)
		}
	}
	// A bare name still works.
	path := filepath.Join(dir, "ok.json")
	os.WriteFile(path, []byte(`{"name": "s", "registries": ["sharded"], "partitions": [1], "workers": [1],
		"workloads": ["lookup", {"name": "z", "mix": {"find_server": 1}, "keys": {"dist": "zipfian"}}], "preload": {"servers": 10, "transports": 0}, "duration": "10ms"}`), 0o644)
	if _, err := experiments.LoadSweep(path); err != nil {
		t.Fatalf("good sweep: %v", err)
	}
}

// Every built-in sweep and scenario passes the whole-spec validation.
func TestBuiltinsPassWholeValidation(t *testing.T) {
	for name, sw := range experiments.BuiltinSweeps() {
		if err := experiments.ValidateSweep(&sw); err != nil {
			t.Errorf("sweep %s: %v", name, err)
		}
	}
	if err := experiments.ValidateScenarios(experiments.BuiltinScenarios()); err != nil {
		t.Errorf("built-in scenarios: %v", err)
	}
}
