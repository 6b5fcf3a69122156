package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/store"
)

// fixture is a report's results directory, committed with paper's tests.
const fixture = "../paper/testdata/results"

func TestPlanFromFixture(t *testing.T) {
	res, err := store.LoadSweep(fixture)
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
	if _, err := planFrom(res, PlanConfig{Target: ReportTarget(2), Workload: "storm"}); !errors.Is(err, store.ErrPartial) {
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

// TestOutcomeOkIsChecks: store records check.Ok by its printed name
// without importing check; the two must agree.
func TestOutcomeOkIsChecks(t *testing.T) {
	if got := check.Ok.String(); got != store.OutcomeOk {
		t.Fatalf("check.Ok prints %q, store.OutcomeOk is %q", got, store.OutcomeOk)
	}
}

// TestPlanRequestDefaults: the defaults a request leaves to the package.
func TestPlanRequestDefaults(t *testing.T) {
	c, err := PlanRequest{Workers: 100, Ops: 1000, Seed: 3}.Config()
	if err != nil {
		t.Fatal(err)
	}
	if c.Workload != "sustained" || c.Connections || c.Out != "results/plan-sustained-w100-seed3" || c.Target.Workers != 100 {
		t.Errorf("workers request: %+v", c)
	}
	c, err = PlanRequest{Connections: 1000, Think: 100 * time.Millisecond, P99: time.Millisecond}.Config()
	if err != nil {
		t.Fatal(err)
	}
	if c.Workload != "route" || !c.Connections || c.Target.Throughput != 10_000 || c.Target.Unit != "connections" {
		t.Errorf("connections request: %+v", c)
	}
	c, err = PlanRequest{Workers: 8, Ops: 1, Mix: map[string]float64{"find_server": 1}, Results: "x"}.Config()
	if err != nil {
		t.Fatal(err)
	}
	if c.Workload != "custom" || c.Out != "" {
		t.Errorf("mix request: %+v", c)
	}
	for i, r := range []PlanRequest{{}, {Workers: 1, Connections: 1, Ops: 1}, {Workers: -1, Ops: 1}, {Workers: 10}} {
		if _, err := r.Config(); !errors.Is(err, ErrConfig) {
			t.Errorf("case %d: %v, want ErrConfig", i, err)
		}
	}
}
