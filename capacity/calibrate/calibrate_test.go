package calibrate

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/capacity"
)

// A tiny calibration measures every modelled kind, writes a file that
// loads back here, restores GOMAXPROCS, and feeds the model.
func TestCalibrateAndValidateTiny(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	path := filepath.Join(t.TempDir(), "calibration.json")
	cal, err := Run(context.Background(), Config{Reps: 2, Duration: 30 * time.Millisecond, Out: path})
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != prev {
		t.Errorf("GOMAXPROCS %d after Run, want %d restored", got, prev)
	}
	for _, k := range capacity.ModelledKinds() {
		kc, err := cal.Cost(k)
		if err != nil {
			t.Fatal(err)
		}
		if !(kc.ServiceMean.Median > 0) || len(kc.Service.Quantiles) != quantiles+1 {
			t.Errorf("%s: service mean %v, %d quantiles", k, kc.ServiceMean.Median, len(kc.Service.Quantiles))
		}
	}
	if !(cal.Timer.Median > 0) || len(cal.Timer.Reps) != 2 {
		t.Errorf("timer %+v: want 2 positive repetitions", cal.Timer)
	}
	loaded, _, err := Load(context.Background(), path, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Kinds) != len(cal.Kinds) {
		t.Errorf("loaded %d kinds, wrote %d", len(loaded.Kinds), len(cal.Kinds))
	}

	v, err := Validate(context.Background(), ValidateConfig{Calibration: cal, Procs: []int{1}, Partitions: []int{4},
		Workloads: DefaultWorkloads()[2:], Duration: 30 * time.Millisecond, Reps: 1, ModelOps: 5000, Replicates: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Cells) != 2 { // workers = cores and oversubscribed
		t.Fatalf("%d cells, want 2", len(v.Cells))
	}
	for _, c := range v.Cells {
		if !(c.Measured.Throughput > 0 && c.Predicted.Throughput > 0 && c.Measured.P99 > 0 && c.Predicted.P99 > 0) {
			t.Errorf("cell %+v lacks a figure", c)
		}
	}
	if tab := v.Table(); !strings.Contains(tab, "writes-zipf") || !strings.Contains(tab, "workers <= cores: 1 cells") {
		t.Errorf("table:\n%s", tab)
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]Config{"reps": {Reps: 1}, "duration": {Duration: time.Millisecond}} {
		if _, err := Run(ctx, c); !errors.Is(err, capacity.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	if _, _, err := Load(ctx, "/nonexistent/cal.json", false, nil); !errors.Is(err, capacity.ErrConfig) {
		t.Errorf("missing file: %v, want ErrConfig", err)
	}
	var out bytes.Buffer
	for name, pc := range map[string]PredictConfig{
		"cores":  {Cores: 0, Workers: 1},
		"loads":  {Cores: 2, Workers: 1, Rate: 5},
		"think":  {Cores: 2, Connections: 3},
		"mix":    {Cores: 2, Workers: 1, Mix: "owner_down:1"},
		"keys":   {Cores: 2, Workers: 1, Dist: "pareto"},
		"parts":  {Cores: 2, Workers: 1, Partitions: "1,,4"},
		"thinkd": {Cores: 2, Connections: 3, Think: time.Millisecond, ThinkDist: "weibull"},
	} {
		pc.Out = &out
		if err := Predict(ctx, pc); err == nil || !(errors.Is(err, capacity.ErrConfig) || errors.Is(err, capacity.ErrNotKind)) {
			t.Errorf("predict %s: %v, want a configuration error", name, err)
		}
	}
	if _, err := Plan(ctx, PlanConfig{Cores: 2, Workers: 2, Mix: "find_server:1"}); !errors.Is(err, capacity.ErrConfig) {
		t.Errorf("plan without a goal: %v, want ErrConfig", err)
	}
}
