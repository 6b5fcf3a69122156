package capacity_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

func plan(t *testing.T, c capacity.PlanConfig) *capacity.PlanResult {
	t.Helper()
	c.Seed, c.Replicates = testSeed(t), 3
	if c.Ops == 0 {
		c.Ops = 30_000
	}
	r, err := capacity.Plan(c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The README's example: 10,000 connections thinking 100 ms offer exactly
// 100,000 ops/s; the plan compares the achieved throughput with the offered
// load within a tolerance, so it can pass (it never could when the default
// requirement equalled the offered load exactly).
func TestPlanConnectionsKeepUp(t *testing.T) {
	cal := synthetic(capacity.Exponential(300), 0.5)
	r := plan(t, capacity.PlanConfig{Calibration: cal, Cores: 2, Connections: 10_000, Think: 100 * time.Millisecond,
		Mix: mix(t, map[model.OpKind]float64{model.OpRouteToServer: 90, model.OpFindServer: 10}), P99: time.Millisecond,
		Partitions: []int{1, 4, 16}})
	if r.Recommended != 1 {
		t.Fatalf("recommended %d, want 1 (reads never wait for a lock):\n%s", r.Recommended, r.Text())
	}
	if r.Limiting != "the cores" {
		t.Errorf("limiting %q, want the cores", r.Limiting)
	}
	if !strings.Contains(r.Prose, "recommends 1 partition:") || strings.Contains(r.Prose, "1 partitions") {
		t.Errorf("prose lacks the singular \"1 partition\":\n%s", r.Prose)
	}
	if len(r.Indistinguishable) != 2 || !strings.Contains(r.Prose, "4 and 16 partitions also pass and are indistinguishable") {
		t.Errorf("indistinguishable %v; prose:\n%s", r.Indistinguishable, r.Prose)
	}
}

// Writes that hold their lock for their whole service, 16 workers on 16
// cores: one partition serialises them; the plan needs more partitions
// and names the lock as the limit where it fails.
func TestPlanLockBound(t *testing.T) {
	cal := synthetic(capacity.Exponential(500), 1)
	r := plan(t, capacity.PlanConfig{Calibration: cal, Cores: 16, Workers: 16,
		Mix: mix(t, map[model.OpKind]float64{model.OpRegisterServer: 1}), Throughput: 10e6,
		Partitions: []int{1, 4, 16, 64, 256}})
	if r.Rows[0].Pass || r.Rows[0].Limiting != "the hottest partition's lock" {
		t.Errorf("P=1: pass %v, limiting %q; want a failure on the lock", r.Rows[0].Pass, r.Rows[0].Limiting)
	}
	if r.Recommended < 16 {
		t.Errorf("recommended %d: 16 workers writing 500 ns each need at least 16 partitions for 10M ops/s x 1.2\n%s", r.Recommended, r.Text())
	}
}

// Zipfian binds: past some count the hottest key, not the partition
// count, bounds the hottest lock.
func TestPlanHottestKey(t *testing.T) {
	cal := synthetic(capacity.Exponential(2000), 1)
	r := plan(t, capacity.PlanConfig{Calibration: cal, Cores: 64, Workers: 64,
		Mix: mix(t, map[model.OpKind]float64{model.OpBind: 1}), Keys: sim.Keys{Dist: sim.DistZipfian}, P99: 20 * time.Microsecond,
		Partitions: []int{16, 256, 1024}})
	last := r.Rows[len(r.Rows)-1]
	if last.Limiting != "the hottest key" {
		t.Errorf("P=%d: limiting %q, want the hottest key\n%s", last.Partitions, last.Limiting, r.Text())
	}
	one := plan(t, capacity.PlanConfig{Calibration: cal, Cores: 64, Workers: 64,
		Mix: mix(t, map[model.OpKind]float64{model.OpBind: 1}), Keys: sim.Keys{Dist: sim.DistZipfian}, P99: 20 * time.Microsecond,
		Partitions: []int{1024}})
	if !strings.Contains(one.Prose, "no partition count can split one key") {
		t.Errorf("prose does not say a key cannot be split:\n%s", one.Prose)
	}
}

func TestPlanErrors(t *testing.T) {
	cal := synthetic(capacity.Fixed(100), 0.5)
	m := mix(t, map[model.OpKind]float64{model.OpFindServer: 1})
	for name, c := range map[string]capacity.PlanConfig{
		"margin":  {Calibration: cal, Cores: 2, Workers: 2, Mix: m, Margin: -1},
		"cores":   {Calibration: cal, Cores: 0, Workers: 2, Mix: m},
		"workers": {Calibration: cal, Cores: 2, Workers: -3, Mix: m},
		"p99":     {Calibration: cal, Cores: 2, Workers: 2, Mix: m, P99: -1},
		"parts":   {Calibration: cal, Cores: 2, Workers: 2, Mix: m, Partitions: []int{0}},
	} {
		if _, err := capacity.Plan(c); !errors.Is(err, capacity.ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
}
