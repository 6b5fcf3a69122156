package paper

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/shardlab/shardlab/store"
	"io"
	"os"
	"time"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/model"
)

// CheckSchemaVersion is the version of check.json.
const CheckSchemaVersion = 1

// CheckRun is one campaign's outcome.
type CheckRun struct {
	Registry   string `json:"registry"` // e.g. "sharded-p64"
	Partitions int    `json:"partitions"`
	Outcome    string `json:"outcome"` // Ok, Violation or Undecided, as check.Outcome prints
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
	Host          store.Host `json:"host"`
	Seed          uint64     `json:"seed"`
	Method        string     `json:"method"`
	Runs          []CheckRun `json:"runs"`
}

// Violations counts runs that did not end Ok.
func (s *CheckSummary) Violations() int {
	n := 0
	for _, r := range s.Runs {
		if r.Outcome != check.Ok.String() {
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

// QuickCheckPartitions are the sharded registry's layouts the quick
// campaign checks: one partition (every operation contends), a few (most
// cross-partition operations span two locks) and the seed's 64.
var QuickCheckPartitions = []int{1, 4, 64}

// quickCampaign is the quick campaign's shape (check.Campaign's defaults),
// spelled out so the report describes what ran.
var quickCampaign = check.Campaign{Histories: 100, Clients: 8, Ops: 30, Keys: 8, Long: 1, LongOps: 2000, LongKeys: 256}

// RunQuickCheck runs check.Campaign in quickCampaign's shape against the sharded registry at each of QuickCheckPartitions,
// from seed. Failing histories are kept in artifacts.
func RunQuickCheck(ctx context.Context, seed uint64, host store.Host, artifacts string, progress io.Writer) (*CheckSummary, error) {
	s := &CheckSummary{
		SchemaVersion: CheckSchemaVersion, Created: time.Now().UTC(), Host: host, Seed: seed,
		Method: "check.Campaign: porcupine linearizability of recorded concurrent histories against model.State, partitioned by key cluster",
	}
	for _, p := range QuickCheckPartitions {
		parts := p
		c := quickCampaign
		c.Name, c.Seed, c.OutDir = fmt.Sprintf("sharded-p%d", parts), seed, artifacts
		c.NewRegistry = func() (model.Registry, error) { return impl.New(impl.Options{Partitions: parts}) }
		res, err := c.Run(ctx)
		run := CheckRun{
			Registry: c.Name, Partitions: parts, Outcome: res.Outcome.String(), Histories: res.Histories, Ops: res.Ops,
			Short:      fmt.Sprintf("%d histories x %d clients x %s ops over %d IDs", c.Histories, c.Clients, commas(c.Ops), c.Keys),
			Long:       fmt.Sprintf("%d long x %d clients x %s ops over %d IDs", c.Long, c.Clients, commas(c.LongOps), c.LongKeys),
			RunSeconds: res.RunTime.Seconds(), CheckSeconds: res.CheckTime.Seconds(),
		}
		if res.Failure != nil {
			run.Failure = fmt.Sprintf("history %d (long=%t, seed %d, stream %d): %s", res.Failure.Index, res.Failure.Long,
				res.Failure.Seed, res.Failure.Stream, res.Failure.Verdict.Description)
			run.HistoryPath = res.Failure.HistoryPath
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			run.Error = err.Error()
			if run.Outcome == check.Ok.String() {
				run.Outcome = check.Undecided.String()
			}
		}
		if progress != nil {
			fmt.Fprintf(progress, "check: %s %s after %d histories (%d ops)\n", c.Name, run.Outcome, run.Histories, run.Ops)
		}
		s.Runs = append(s.Runs, run)
	}
	return s, nil
}

// WriteCheck stores s as path atomically.
func WriteCheck(path string, s *CheckSummary) error {
	if err := writeJSONAtomic(path, s); err != nil {
		return fmt.Errorf("paper: writing %s: %w", path, err)
	}
	return nil
}

// LoadCheck reads check.json. A missing file wraps fs.ErrNotExist.
func LoadCheck(path string) (*CheckSummary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("paper: %w", err)
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
