package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBeamRoundTrip: beam.json comes back as written, stamped with its
// schema version; another version, a measured file without rows and rows
// missing a repeat's figures are refused.
func TestBeamRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), BeamFile)
	in := &Beam{Measured: true, Workers: 8, Repeats: 2, Rows: []BeamRow{{Driver: "elixir", Partitions: 4, Kind: "find_server",
		Baseline: "erlang-null", Throughput: []float64{1, 2}, P50Ns: []int64{3, 4}, P99Ns: []int64{5, 6}}},
		Findings: []BeamFinding{{File: "docs/findings/x.jsonl", Outcome: "violation", Ops: 7}}}
	if err := WriteBeam(path, in); err != nil {
		t.Fatal(err)
	}
	got, err := LoadBeam(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.SchemaVersion != BeamSchemaVersion || len(got.Rows) != 1 || got.Rows[0].Throughput[1] != 2 || got.Findings[0].Ops != 7 {
		t.Fatalf("read back %+v", got)
	}
	for _, tc := range []struct {
		name   string
		change func(b *Beam)
		want   error
	}{
		{"no rows", func(b *Beam) { b.Rows = nil }, ErrPartial},
		{"missing p99", func(b *Beam) { b.Rows[0].P99Ns = b.Rows[0].P99Ns[:1] }, ErrPartial},
	} {
		b := *in
		b.Rows = []BeamRow{in.Rows[0]}
		tc.change(&b)
		if err := WriteBeam(path, &b); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadBeam(path); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), `"schema_version": 1`, `"schema_version": 99`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBeam(path); !errors.Is(err, ErrSchema) {
		t.Errorf("schema 99: %v, want ErrSchema", err)
	}
}
