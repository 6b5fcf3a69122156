package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// HistoryCheckFile is the final marker of a `shardlab check --history`
// folder written with --shard or --out: the verdict of one shard of one
// history (HistoryCheck).
const HistoryCheckFile = "history-check.json"

// HistoryCheckSchemaVersion is the version of history-check.json.
const HistoryCheckSchemaVersion = 1

// HistoryFile identifies a checked history: shards of one history share it.
type HistoryFile struct {
	Name   string `json:"name"`   // the file's base name
	SHA256 string `json:"sha256"` // hex digest of its bytes
	Bytes  int64  `json:"bytes"`
}

// PartitionSizes mirrors check.Sizes: how many partitions were decided,
// their total, smallest and largest sizes (operations) and a histogram by
// powers of two.
type PartitionSizes struct {
	Count   int   `json:"count"`
	Total   int   `json:"total"`
	Min     int   `json:"min"`
	Max     int   `json:"max"`
	Buckets []int `json:"buckets"`
}

// HistoryVerdict mirrors the mergeable fields of check.Verdict.
type HistoryVerdict struct {
	Outcome          string         `json:"outcome"` // ok, violation, undecided
	Error            string         `json:"error,omitempty"`
	Ops              int            `json:"ops"`
	Partitions       int            `json:"partitions"`
	LargestPartition int            `json:"largest_partition"`
	Decided          PartitionSizes `json:"decided"`
	Lists            string         `json:"lists"`
	// Keys are the failing (or undecided) partition's keys.
	Keys        []string `json:"keys,omitempty"`
	Description string   `json:"description,omitempty"`
	HTMLPath    string   `json:"html_path,omitempty"`
	ElapsedNs   int64    `json:"elapsed_ns"`
}

// HistoryCheck is history-check.json.
type HistoryCheck struct {
	SchemaVersion int         `json:"schema_version"`
	Created       time.Time   `json:"created"`
	Host          Host        `json:"host"`
	History       HistoryFile `json:"history"`
	// Shard is "K/N" for one shard of the history's partitions, "" for
	// the whole; Merged lists the shards a merge combined.
	Shard   string         `json:"shard,omitempty"`
	Verdict HistoryVerdict `json:"verdict"`
	Merged  []MergedShard  `json:"merged,omitempty"`
}

// WriteHistoryCheck stores h as dir/history-check.json atomically.
func WriteHistoryCheck(dir string, h *HistoryCheck) error {
	path := filepath.Join(dir, HistoryCheckFile)
	if err := writeJSONAtomic(path, h); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrOutput, path, err)
	}
	return nil
}

// LoadHistoryCheck reads dir/history-check.json. A missing file wraps
// fs.ErrNotExist; another schema version is ErrSchema; a file that does
// not parse, or lacks the history's identity or an outcome, is ErrCorrupt.
func LoadHistoryCheck(dir string) (*HistoryCheck, error) {
	path := filepath.Join(dir, HistoryCheckFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var h HistoryCheck
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if h.SchemaVersion != HistoryCheckSchemaVersion {
		return nil, fmt.Errorf("%w: %s: schema version %d (this shardlab reads %d)", ErrSchema, path, h.SchemaVersion, HistoryCheckSchemaVersion)
	}
	switch {
	case h.History.Name == "" || h.History.SHA256 == "":
		return nil, fmt.Errorf("%w: %s: field history: no name or sha256", ErrCorrupt, path)
	case h.Verdict.Outcome != OutcomeOk && h.Verdict.Outcome != "violation" && h.Verdict.Outcome != "undecided":
		return nil, fmt.Errorf("%w: %s: field verdict.outcome: %q", ErrCorrupt, path, h.Verdict.Outcome)
	}
	return &h, nil
}

func mergeHistoryChecks(cfg MergeConfig) (*MergeResult, error) {
	if cfg.MergeVerdicts == nil {
		return nil, errors.New("store: Merge of history checks needs MergeVerdicts")
	}
	var hs []*HistoryCheck
	for _, d := range cfg.Dirs {
		h, err := LoadHistoryCheck(d)
		if err != nil {
			if errors.Is(err, ErrSchema) {
				return nil, fmt.Errorf("%w: %w", ErrMismatch, err)
			}
			if !errors.Is(err, ErrCorrupt) {
				err = fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
			return nil, err
		}
		hs = append(hs, h)
	}
	shards, err := orderShards(cfg.Dirs, func(i int) string { return hs[i].Shard })
	if err != nil {
		return nil, err
	}
	byDir := map[string]*HistoryCheck{}
	for i, d := range cfg.Dirs {
		byDir[d] = hs[i]
	}
	first := byDir[shards[0].dir]
	out := *first
	out.Shard, out.Merged = "", nil
	var vs []HistoryVerdict
	for _, s := range shards {
		h := byDir[s.dir]
		if h.History != first.History {
			return nil, fmt.Errorf("%w: %s (shard %s) and %s (shard %s) checked different histories: field history: %s %s (%d bytes) vs %s %s (%d bytes)",
				ErrMismatch, shards[0].dir, shards[0].spec, s.dir, s.spec, first.History.Name, first.History.SHA256, first.History.Bytes,
				h.History.Name, h.History.SHA256, h.History.Bytes)
		}
		vs = append(vs, h.Verdict)
		if h.Created.Before(out.Created) {
			out.Created = h.Created
		}
		out.Merged = append(out.Merged, MergedShard{Shard: s.spec.String(), Dir: s.dir, Host: h.Host, Points: h.Verdict.Decided.Count})
	}
	out.Verdict = cfg.MergeVerdicts(vs)
	data, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutput, err)
	}
	if err := writeFolder(cfg.Out, map[string][]byte{HistoryCheckFile: append(data, '\n')}); err != nil {
		return nil, err
	}
	return &MergeResult{Kind: "history", Shards: shards[0].spec.N, Items: out.Verdict.Decided.Count, History: &out}, nil
}
