package analysis

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sweepX is the synthetic system behind the planner tests: USL with
// λ = 100,000 ops/s, contention σ = 0.5/P falling with the partition count,
// κ = 1e-4.
func sweepX(partitions int, workers float64) float64 {
	sigma := 0.5 / float64(partitions)
	return 100_000 * workers / (1 + sigma*(workers-1) + 1e-4*workers*(workers-1))
}

// sweepP99 is 3x the closed-loop mean latency from Little's law, W/X(W).
func sweepP99(partitions int, workers float64) time.Duration {
	return time.Duration(3 * workers / sweepX(partitions, workers) * float64(time.Second))
}

func sweep() []Measurement {
	skew := map[int]float64{1: 0, 4: 0.6, 16: 0.3, 64: 0.35}
	var ms []Measurement
	for _, p := range []int{1, 4, 16, 64} {
		for _, w := range []int{1, 2, 4, 8, 16, 32} {
			ms = append(ms, Measurement{
				Partitions: p, Workers: w, Cores: 2,
				Throughput: sweepX(p, float64(w)),
				P99:        sweepP99(p, float64(w)),
				Skew:       skew[p],
			})
		}
	}
	return ms
}

func candidate(t *testing.T, plan CapacityPlan, partitions int) Candidate {
	t.Helper()
	for _, c := range plan.Candidates {
		if c.Partitions == partitions {
			return c
		}
	}
	t.Fatalf("no candidate for %d partitions", partitions)
	return Candidate{}
}

func TestPlanCapacityMeasuredTarget(t *testing.T) {
	// At 16 workers (by hand from sweepX): P=1 gives 187,705 ops/s and
	// p99 256 µs; P=4 551,915 ops/s, p99 87 µs but skew 0.6; P=16
	// 1,071,847 ops/s, p99 45 µs, skew 0.3. So P=16 is the smallest that
	// meets 500k ops/s, p99 <= 100 µs and skew <= 0.5.
	plan, err := PlanCapacity(sweep(), Target{Workers: 16, Throughput: 500_000, P99: 100 * time.Microsecond, MaxSkew: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Recommended != 16 || plan.Evidence != EvidenceMeasured {
		t.Fatalf("recommended %d (%v), want 16 (measured)\n%s", plan.Recommended, plan.Evidence, plan.Table())
	}
	fails := map[int][]string{1: {"throughput", "p99"}, 4: {"skew"}, 16: nil, 64: nil}
	for p, want := range fails {
		c := candidate(t, plan, p)
		var got []string
		for _, ch := range c.Checks {
			if !ch.Pass {
				got = append(got, ch.Name)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("P=%d failed %v, want %v", p, got, want)
		}
	}
	if c := candidate(t, plan, 4); !nearRel(c.Throughput, 551_915, 1e-5) {
		t.Errorf("P=4 throughput %v, want 551,915", c.Throughput)
	}
}

func TestPlanCapacityExtrapolation(t *testing.T) {
	ms := sweep()
	cases := []struct {
		workers  int
		evidence Evidence
	}{
		{12, EvidenceInterpolated}, // inside 1..32: USL prediction, p99 bounded by the 16-worker run
		{48, EvidenceExtrapolated}, // 1.5x the largest measured
		{128, EvidenceUntrusted},   // 4x: beyond MaxTrustedExtrapolation
	}
	for _, c := range cases {
		plan, err := PlanCapacity(ms, Target{Workers: c.workers, Throughput: 500_000, P99: time.Millisecond, MaxSkew: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Recommended != 16 || plan.Evidence != c.evidence {
			t.Errorf("workers %d: recommended %d (%v), want 16 (%v)\n%s", c.workers, plan.Recommended, plan.Evidence, c.evidence, plan.Table())
		}
		cand := candidate(t, plan, 16)
		// The sweep is noise-free, so the USL prediction must match the
		// generating formula closely.
		if want := sweepX(16, float64(c.workers)); !nearRel(cand.Throughput, want, 1e-3) {
			t.Errorf("workers %d: throughput %.0f, want %.0f", c.workers, cand.Throughput, want)
		}
		if c.workers > 32 {
			// Little's law extrapolation is exact for this synthetic system,
			// whose p99 is 3 W / X(W) by construction.
			if want := sweepP99(16, float64(c.workers)); !nearRel(float64(cand.P99), float64(want), 1e-3) {
				t.Errorf("workers %d: p99 %v, want %v", c.workers, cand.P99, want)
			}
		} else if want := sweepP99(16, 16); cand.P99 != want {
			t.Errorf("workers %d: p99 %v, want the 16-worker bound %v", c.workers, cand.P99, want)
		}
		notes := strings.Join(plan.Notes, "\n")
		if c.evidence == EvidenceUntrusted && !strings.Contains(notes, "measure P=16 at 128 workers") {
			t.Errorf("untrusted plan lacks a note saying where to measure: %q", notes)
		}
	}
}

func TestPlanCapacityPrefersTrustedEvidence(t *testing.T) {
	// P=2 passes only by extrapolating 4x from 3 points; P=8 was measured
	// at the target. The planner must prefer the measured one.
	ms := []Measurement{
		{Partitions: 2, Workers: 1, Throughput: 1000},
		{Partitions: 2, Workers: 2, Throughput: 2000},
		{Partitions: 2, Workers: 4, Throughput: 4000},
		{Partitions: 8, Workers: 16, Throughput: 12_000},
	}
	plan, err := PlanCapacity(ms, Target{Workers: 16, Throughput: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Recommended != 8 || plan.Evidence != EvidenceMeasured {
		t.Errorf("recommended %d (%v), want 8 (measured)\n%s", plan.Recommended, plan.Evidence, plan.Table())
	}
	if c := candidate(t, plan, 2); !c.Pass || c.Evidence != EvidenceUntrusted {
		t.Errorf("P=2 pass=%v evidence=%v, want an untrusted pass", c.Pass, c.Evidence)
	}
}

func TestPlanCapacityJudgesCILowerBound(t *testing.T) {
	ms := []Measurement{
		{Partitions: 2, Workers: 8, Throughput: 600_000, ThroughputLow: 450_000},
		{Partitions: 8, Workers: 8, Throughput: 700_000, ThroughputLow: 650_000},
	}
	plan, err := PlanCapacity(ms, Target{Workers: 8, Throughput: 500_000})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Recommended != 8 {
		t.Errorf("recommended %d, want 8: P=2's mean passes but its CI low (450k) does not\n%s", plan.Recommended, plan.Table())
	}
}

func TestPlanCapacityMissingEvidence(t *testing.T) {
	ms := []Measurement{
		{Partitions: 2, Workers: 1, Cores: 2, Throughput: 1000, P99: time.Millisecond},
		{Partitions: 2, Workers: 2, Cores: 2, Throughput: 1900, P99: time.Millisecond},
	}
	plan, err := PlanCapacity(ms, Target{Workers: 8, Throughput: 500, P99: 10 * time.Millisecond, Cores: 16})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Recommended != 0 {
		t.Errorf("recommended %d, want none: 2 points cannot reach 8 workers", plan.Recommended)
	}
	c := candidate(t, plan, 2)
	if c.Pass || c.Evidence != EvidenceMissing || !strings.Contains(c.Checks[0].Reason, "cannot estimate") {
		t.Errorf("candidate %+v, want a missing-evidence failure", c)
	}
	notes := strings.Join(plan.Notes, "\n")
	for _, want := range []string{"re-measure on the target hardware", "no measured partition count"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
}

func TestPlanCapacityRejectsBadInput(t *testing.T) {
	good := Measurement{Partitions: 4, Workers: 8, Throughput: 100}
	cases := []struct {
		name   string
		ms     []Measurement
		target Target
		want   error
	}{
		{"no measurements", nil, Target{Workers: 1}, ErrNoData},
		{"no target workers", []Measurement{good}, Target{}, ErrInvalidArgument},
		{"duplicate cell", []Measurement{good, good}, Target{Workers: 8}, ErrInvalidArgument},
		{"zero partitions", []Measurement{{Workers: 1, Throughput: 1}}, Target{Workers: 1}, ErrInvalidArgument},
		{"NaN throughput", []Measurement{{Partitions: 1, Workers: 1, Throughput: math.NaN()}}, Target{Workers: 1}, ErrInvalidArgument},
		{"CI low above mean", []Measurement{{Partitions: 1, Workers: 1, Throughput: 1, ThroughputLow: 2}}, Target{Workers: 1}, ErrInvalidArgument},
		{"negative requirement", []Measurement{good}, Target{Workers: 8, Throughput: -1}, ErrInvalidArgument},
	}
	for _, c := range cases {
		if _, err := PlanCapacity(c.ms, c.target); !errors.Is(err, c.want) {
			t.Errorf("%s: error = %v, want %v", c.name, err, c.want)
		}
	}
}

// TestPlanTableGolden pins the plain-text rendering; refresh with
// `go test ./analysis -run TestPlanTableGolden -update` and review the diff.
func TestPlanTableGolden(t *testing.T) {
	plan, err := PlanCapacity(sweep(), Target{Workers: 48, Throughput: 500_000, P99: 100 * time.Microsecond, MaxSkew: 0.5, Cores: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := plan.Table()
	path := filepath.Join("testdata", "plan_table.golden.txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("Table() differs from %s (rerun with -update if intended):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestPlanCapacityExplainsNoRecommendation: when no count passes, the notes
// say which requirement fails everywhere, or, when each passes somewhere,
// that they conflict and where each holds (the shape the report's sustained
// sweep showed: p99 met only at many partitions, skew only at few).
func TestPlanCapacityExplainsNoRecommendation(t *testing.T) {
	ms := []Measurement{
		{Partitions: 4, Workers: 100, Throughput: 1e6, P99: time.Millisecond, Skew: 0.04},
		{Partitions: 64, Workers: 100, Throughput: 1e6, P99: 200 * time.Microsecond, Skew: 0.24},
		{Partitions: 256, Workers: 100, Throughput: 1e6, P99: 3 * time.Microsecond, Skew: 0.55},
	}
	notes := func(target Target) string {
		t.Helper()
		plan, err := PlanCapacity(ms, target)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Recommended != 0 {
			t.Fatalf("recommended P=%d, want none", plan.Recommended)
		}
		return strings.Join(plan.Notes, "\n")
	}
	got := notes(Target{Workers: 100, P99: 100 * time.Microsecond, MaxSkew: 0.3})
	for _, want := range []string{"conflict", "p99 at P=[256]", "skew at P=[4 64]"} {
		if !strings.Contains(got, want) {
			t.Errorf("notes %q do not contain %q", got, want)
		}
	}
	got = notes(Target{Workers: 100, MaxSkew: 0.01})
	if !strings.Contains(got, "no measured partition count meets the skew requirement") || strings.Contains(got, "conflict") {
		t.Errorf("skew failing everywhere: notes %q", got)
	}
}
