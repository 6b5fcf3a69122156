package seed

import (
	"strings"
	"testing"
)

// TestClaims: every claim has a unique ID, targets in the seed's words
// and a section to look it up in; the IDs other packages quote exist.
func TestClaims(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Claims() {
		if c.ID == "" || seen[c.ID] {
			t.Errorf("claim ID %q empty or repeated", c.ID)
		}
		seen[c.ID] = true
		if c.About == "" || c.Section == "" || len(c.Targets) == 0 {
			t.Errorf("claim %s lacks a description, section or target: %+v", c.ID, c)
		}
		for _, tg := range c.Targets {
			if tg.Metric == "" || tg.Cmp == "" || tg.Text == "" || tg.Claimed == "" {
				t.Errorf("claim %s: incomplete target %+v", c.ID, tg)
			}
		}
	}
	for _, id := range []string{"p99", "throughput", "skew", "sustained", "contention", "timeouts", "p50p95"} {
		if !seen[id] {
			t.Errorf("no claim %q (paper and experiments quote it)", id)
		}
	}
}

func TestJoinedTexts(t *testing.T) {
	c, ok := ClaimByID("p50p95")
	if !ok {
		t.Fatal("no p50p95 claim")
	}
	if got := c.Target(); got != "p50 < 50 µs; p95 < 100 µs" {
		t.Errorf("Target() = %q", got)
	}
	if got := c.Claimed(); got != "~8 µs; ~40 µs" {
		t.Errorf("Claimed() = %q", got)
	}
	if _, ok := TargetOf("p50p95", "p95_us", "find_server"); !ok {
		t.Error("TargetOf(p50p95, p95_us, find_server) not found")
	}
	if _, ok := TargetOf("p50p95", "p99_us", "find_server"); ok {
		t.Error("TargetOf found a target the claim does not have")
	}
	if _, ok := ClaimByID("nope"); ok {
		t.Error("ClaimByID(nope) found something")
	}
}

// TestClaimsAreCopies: a caller changing what Claims returned changes
// nothing for the next caller.
func TestClaimsAreCopies(t *testing.T) {
	a := Claims()
	a[0].Targets[0].Value = -1
	a[0].About = "changed"
	b := Claims()
	if b[0].Targets[0].Value == -1 || strings.Contains(b[0].About, "changed") {
		t.Fatal("Claims returned shared data")
	}
}
