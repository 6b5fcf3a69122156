package store

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// CheckSchemaVersion is the version of check.json.
const CheckSchemaVersion = 1

// CheckRun is one campaign's outcome.
type CheckRun struct {
	Registry   string `json:"registry"` // e.g. "sharded-p64"
	Partitions int    `json:"partitions"`
	Outcome    string `json:"outcome"` // check.Outcome as it prints: ok, violation, undecided
	Histories  int    `json:"histories"`
	Ops        int    `json:"ops"`
	// Short and Long describe the generated histories.
	Short        string  `json:"short"`
	Long         string  `json:"long"`
	RunSeconds   float64 `json:"run_s"`
	CheckSeconds float64 `json:"check_s"`
	// Failure describes the first failing history; HistoryPath replays it
	// with `shardlab check --history`.
	Failure     string `json:"failure,omitempty"`
	HistoryPath string `json:"history_path,omitempty"`
	Error       string `json:"error,omitempty"`
}

// CheckSummary is check.json: the quick verification campaign.
type CheckSummary struct {
	SchemaVersion int        `json:"schema_version"`
	Created       time.Time  `json:"created"`
	Host          Host       `json:"host"`
	Seed          uint64     `json:"seed"`
	Method        string     `json:"method"`
	Runs          []CheckRun `json:"runs"`
}

// OutcomeOk is CheckRun.Outcome of a linearizable campaign: check.Ok as
// it prints (package report's tests hold the two together).
const OutcomeOk = "ok"

// Violations counts runs that did not end Ok.
func (s *CheckSummary) Violations() int {
	n := 0
	for _, r := range s.Runs {
		if r.Outcome != OutcomeOk {
			n++
		}
	}
	return n
}

// Histories is the total number of histories checked.
func (s *CheckSummary) Histories() (h, ops int) {
	for _, r := range s.Runs {
		h += r.Histories
		ops += r.Ops
	}
	return h, ops
}

// WriteCheck stores s as path atomically.
func WriteCheck(path string, s *CheckSummary) error {
	if err := writeJSONAtomic(path, s); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrOutput, path, err)
	}
	return nil
}

// LoadCheck reads check.json. A missing file wraps fs.ErrNotExist;
// another schema version is ErrSchema; a file that does not parse or
// records no campaign is ErrPartial.
func LoadCheck(path string) (*CheckSummary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var s CheckSummary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrPartial, path, err)
	}
	if s.SchemaVersion != CheckSchemaVersion {
		return nil, fmt.Errorf("%w: %s: schema version %d (this shardlab reads %d)", ErrSchema, path, s.SchemaVersion, CheckSchemaVersion)
	}
	if len(s.Runs) == 0 {
		return nil, fmt.Errorf("%w: %s records no campaign", ErrPartial, path)
	}
	return &s, nil
}
