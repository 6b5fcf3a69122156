package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// A report's results directory may hold the registries in other languages:
//
//	DIR/beam.json   Beam: Elixir's Registry beside impl through the driver
//	                protocol, and the kept BEAM findings rechecked
//
// The part is optional for loading (results measured before it existed
// still build a report, whose section then says so); a report's collect
// step always writes it, with Measured false and a reason when Erlang or
// Elixir is missing.
const BeamFile = "beam.json"

// BeamSchemaVersion is the version of beam.json.
const BeamSchemaVersion = 1

// Beam is beam.json.
type Beam struct {
	SchemaVersion int       `json:"schema_version"`
	Created       time.Time `json:"created"`
	Host          Host      `json:"host"`
	// Measured says whether the drivers ran; NotMeasured says why not
	// and how to measure (when Measured is false).
	Measured    bool   `json:"measured"`
	NotMeasured string `json:"not_measured,omitempty"`
	// Settings of the measurement: closed-loop workers, each run's
	// length, interleaved repeats, servers preloaded.
	Workers    int       `json:"workers"`
	DurationNs int64     `json:"duration_ns"`
	Repeats    int       `json:"repeats"`
	Servers    int       `json:"servers"`
	Rows       []BeamRow `json:"rows,omitempty"`
	// Findings are the kept histories rechecked when the part was
	// written; FindingsNote says why there are none, if there are none.
	Findings     []BeamFinding `json:"findings,omitempty"`
	FindingsNote string        `json:"findings_note,omitempty"`
}

// BeamRow is one driver, partition count (0: none) and operation kind over
// its repeats; Baseline names the null driver its throughput is divided
// by (the same language's).
type BeamRow struct {
	Driver      string    `json:"driver"`
	Description string    `json:"description,omitempty"`
	Partitions  int       `json:"partitions"`
	Kind        string    `json:"kind"`
	Null        bool      `json:"null,omitempty"`
	Baseline    string    `json:"baseline,omitempty"`
	Throughput  []float64 `json:"throughput"` // ops/s per repeat
	P50Ns       []int64   `json:"p50_ns"`
	P99Ns       []int64   `json:"p99_ns"`
	Errors      int64     `json:"errors,omitempty"`
}

// BeamFinding is one kept history and the verdict a recheck gave.
type BeamFinding struct {
	File        string `json:"file"`
	Registry    string `json:"registry"`
	Outcome     string `json:"outcome"` // check.Outcome as it prints
	Ops         int    `json:"ops"`
	Explanation string `json:"explanation"`
	// Detail is the checker's first line about the failing operations.
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
}

// WriteBeam writes beam.json atomically.
func WriteBeam(path string, b *Beam) error {
	b.SchemaVersion = BeamSchemaVersion
	return writeJSONAtomic(path, b)
}

// LoadBeam reads beam.json. A missing file wraps fs.ErrNotExist; another
// schema version is ErrSchema; a file that does not parse, or rows without
// a figure per repeat, is ErrPartial.
func LoadBeam(path string) (*Beam, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b Beam
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrPartial, path, err)
	}
	if b.SchemaVersion != BeamSchemaVersion {
		return nil, fmt.Errorf("%w: %s: schema version %d (this shardlab reads %d)", ErrSchema, path, b.SchemaVersion, BeamSchemaVersion)
	}
	if b.Measured && len(b.Rows) == 0 {
		return nil, fmt.Errorf("%w: %s: measured, but holds no rows", ErrPartial, path)
	}
	for _, r := range b.Rows {
		if len(r.Throughput) == 0 || len(r.P50Ns) != len(r.Throughput) || len(r.P99Ns) != len(r.Throughput) {
			return nil, fmt.Errorf("%w: %s: row %s p=%d %s has %d throughputs, %d p50s, %d p99s", ErrPartial, path, r.Driver, r.Partitions, r.Kind, len(r.Throughput), len(r.P50Ns), len(r.P99Ns))
		}
	}
	return &b, nil
}

// loadBeamPart loads DIR/beam.json into in.Beam; absent is no error.
func (in *Inputs) loadBeamPart(dir string) error {
	b, err := LoadBeam(filepath.Join(dir, BeamFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	}
	in.Beam = b
	return nil
}
