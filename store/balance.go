package store

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/shardlab/shardlab/internal/atomicfile"
)

// BalanceSchemaVersion is the version of balance.json. LoadBalance
// refuses others.
const BalanceSchemaVersion = 1

// File names WriteBalance writes.
const (
	BalanceJSONFile = "balance.json"
	BalanceCSVFile  = "balance.csv"
)

// Ideal is the ideal-hash reference for one (keys, partitions) pair.
type Ideal struct {
	// Expected is analysis.ExpectedIdealSkew's seed skew (closed form).
	Expected float64 `json:"expected_seed_skew"`
	// Mean, P025, P975: SimulateIdealSkew's seed skew over Trials trials.
	Mean   float64 `json:"sim_mean"`
	P025   float64 `json:"sim_p025"`
	P975   float64 `json:"sim_p975"`
	Trials int     `json:"trials"`
}

// BalanceCell is one partitioner at one partition count and key count.
type BalanceCell struct {
	Partitioner string `json:"partitioner"`
	Partitions  int    `json:"partitions"`
	Keys        int    `json:"keys"`
	Min         int64  `json:"min"`
	Max         int64  `json:"max"`
	// Skew figures exist from 2 partitions on (one partition has no spread).
	SeedSkew    *float64 `json:"seed_skew,omitempty"`
	MaxOverMean *float64 `json:"max_over_mean,omitempty"`
	CV          *float64 `json:"cv,omitempty"`
	PValue      *float64 `json:"chi_square_p_value,omitempty"`
	Ideal       *Ideal   `json:"ideal,omitempty"`
	Verdict     string   `json:"verdict,omitempty"`
	Explanation string   `json:"explanation,omitempty"`
	// MovedToNext keys change partition when the count grows to n+1.
	MovedToNext   int     `json:"moved_to_next"`
	MovedFraction float64 `json:"moved_fraction"`
	// ExpectedMoved is ExpectedMovedFraction(Partitioner, n).
	ExpectedMoved float64 `json:"expected_moved_fraction"`
}

// SeedCheck is the seed's skew claim re-examined with real placements.
type SeedCheck struct {
	Keys        int    `json:"keys"`
	Partitions  int    `json:"partitions"`
	Partitioner string `json:"partitioner"`
	// ImplCounts: entries per partition of an impl registry after
	// registering every key (PartitionStats().Entries).
	ImplCounts []int64 `json:"impl_counts"`
	// PartitionerCounts: partition.Counts with the registry's partitioner.
	PartitionerCounts []int64 `json:"partitioner_counts"`
	Agree             bool    `json:"agree"`
	SeedSkew          float64 `json:"seed_skew"`
	MaxOverMean       float64 `json:"max_over_mean"`
	PValue            float64 `json:"chi_square_p_value"`
	Ideal             Ideal   `json:"ideal"`
	// IdealSimStdDev is the simulated seed skew's standard deviation.
	IdealSimStdDev float64 `json:"ideal_sim_stddev"`
	Claimed        float64 `json:"claimed"`
	// ClaimFraction is the fraction of simulated ideal-hash trials with a
	// seed skew at or below the claim.
	ClaimFraction float64 `json:"claim_fraction"`
	// Target is the seed's target (seed.TargetSkew); TargetFraction the
	// fraction of simulated ideal-hash trials that meet it (skew < target).
	Target         float64 `json:"target"`
	TargetFraction float64 `json:"target_fraction"`
	Verdict        string  `json:"verdict"`
}

// Balance is balance.json: the partition balance study (package
// experiments/balance runs it).
type Balance struct {
	SchemaVersion int           `json:"schema_version"`
	Created       time.Time     `json:"created"`
	Host          Host          `json:"host"`
	Seed          uint64        `json:"seed"`
	Partitioners  []string      `json:"partitioners"`
	Partitions    []int         `json:"partitions"`
	Keys          []int         `json:"keys"`
	Alpha         float64       `json:"alpha"`
	ElapsedNs     int64         `json:"elapsed_ns"`
	Cells         []BalanceCell `json:"cells"`
	SeedCheck     SeedCheck     `json:"seed_check"`
}

// Cell returns the cell for (partitioner, partitions, keys), or nil.
func (s *Balance) Cell(partitioner string, partitions, keys int) *BalanceCell {
	for i := range s.Cells {
		c := &s.Cells[i]
		if c.Partitioner == partitioner && c.Partitions == partitions && c.Keys == keys {
			return c
		}
	}
	return nil
}

// balanceCSVColumns are balance.csv's columns.
var balanceCSVColumns = []string{
	"partitioner", "partitions", "keys", "min", "max", "seed_skew", "max_over_mean", "cv",
	"chi_square_p_value", "ideal_expected_seed_skew", "ideal_sim_mean", "ideal_sim_p025", "ideal_sim_p975",
	"verdict", "moved_to_next", "moved_fraction", "expected_moved_fraction",
}

// WriteBalance stores the study in dir as balance.json and balance.csv,
// each written atomically.
func WriteBalance(dir string, st *Balance) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	if err := atomicfile.Write(filepath.Join(dir, BalanceJSONFile), append(data, '\n')); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(balanceCSVColumns)
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'g', 6, 64)
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, c := range st.Cells {
		var ie, im, lo, hi *float64
		if c.Ideal != nil {
			ie, im, lo, hi = &c.Ideal.Expected, &c.Ideal.Mean, &c.Ideal.P025, &c.Ideal.P975
		}
		_ = w.Write([]string{
			c.Partitioner, strconv.Itoa(c.Partitions), strconv.Itoa(c.Keys),
			strconv.FormatInt(c.Min, 10), strconv.FormatInt(c.Max, 10),
			f(c.SeedSkew), f(c.MaxOverMean), f(c.CV), f(c.PValue), f(ie), f(im), f(lo), f(hi),
			c.Verdict, strconv.Itoa(c.MovedToNext), g(c.MovedFraction), g(c.ExpectedMoved),
		})
	}
	w.Flush()
	if err := atomicfile.Write(filepath.Join(dir, BalanceCSVFile), buf.Bytes()); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	return nil
}

// LoadBalance reads balance.json from dir. A missing file wraps
// fs.ErrNotExist; another schema version is ErrSchema; an unreadable one
// ErrCorrupt.
func LoadBalance(dir string) (*Balance, error) {
	path := filepath.Join(dir, BalanceJSONFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var probe struct {
		SchemaVersion int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if probe.SchemaVersion != BalanceSchemaVersion {
		return nil, fmt.Errorf("%w: %s: schema version %d (this shardlab reads %d)", ErrSchema, path, probe.SchemaVersion, BalanceSchemaVersion)
	}
	var st Balance
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if len(st.Cells) == 0 {
		return nil, fmt.Errorf("%w: %s: no cells", ErrCorrupt, path)
	}
	return &st, nil
}
