package report

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBeamFindingsRechecked: the kept BEAM histories are rechecked and
// each stays a violation, with its explanation.
func TestBeamFindingsRechecked(t *testing.T) {
	got, note := recheckFindings(context.Background(), filepath.Join("..", "docs", "findings"))
	if note != "" || len(got) != len(keptFindings) {
		t.Fatalf("%d findings, note %q; want %d", len(got), note, len(keptFindings))
	}
	for _, f := range got {
		if f.Outcome != "violation" || f.Ops == 0 || f.Explanation == "" || f.Error != "" {
			t.Errorf("%s: outcome %s, %d ops, error %q; want a violation explained", f.File, f.Outcome, f.Ops, f.Error)
		}
	}
	if _, note := recheckFindings(context.Background(), filepath.Join(t.TempDir(), "absent")); note == "" {
		t.Error("a missing findings folder gave no note")
	}
}

// TestBeamNotMeasuredWithoutBEAM: without erl and elixir on PATH the part
// says it was not measured and how to measure it, and holds no rows.
func TestBeamNotMeasuredWithoutBEAM(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	b, err := MeasureBeam(context.Background(), BeamConfig{Now: time.Unix(0, 0), FindingsDir: filepath.Join("..", "docs", "findings")})
	if err != nil {
		t.Fatal(err)
	}
	if b.Measured || len(b.Rows) != 0 || !strings.Contains(b.NotMeasured, "apt-get install erlang-nox elixir") || !strings.Contains(b.NotMeasured, "make report") {
		t.Fatalf("measured %v, %d rows, not measured %q", b.Measured, len(b.Rows), b.NotMeasured)
	}
	if len(b.Findings) != len(keptFindings) {
		t.Errorf("findings not rechecked without the BEAM: %d", len(b.Findings))
	}
}
