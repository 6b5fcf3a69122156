package balance

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/shardlab/shardlab/store"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/internal/atomicfile"
	"github.com/shardlab/shardlab/sim"
)

// SchemaVersion is the version of balance.json. Load refuses others.
const SchemaVersion = 1

// File names written by Write.
const (
	JSONFile = "balance.json"
	CSVFile  = "balance.csv"
)

// SeedClaimedSkew is the seed's claimed partition skew for 10,000 servers
// in 64 partitions ("Skew Ratio: 0.18 (18% skew, target < 30%)", section
// "Partition Distribution" of seed/000_a8f0d87c28636304.txt).
const SeedClaimedSkew = 0.18

// SeedTargetSkew is the seed's acceptance target for that skew ("< 30%
// skew", same section).
const SeedTargetSkew = 0.30

// The seed's placement experiment: 10,000 server_N keys, 64 partitions.
const (
	SeedKeys       = 10_000
	SeedPartitions = 64
)

// Sentinel errors.
var (
	ErrConfig = errors.New("balance: invalid configuration")
	ErrSchema = errors.New("balance: unsupported results schema")
	ErrOutput = errors.New("balance: cannot write results")
	ErrRead   = errors.New("balance: cannot read results")
	// ErrDisagree: the registry placed keys differently from its
	// partitioner. Run returns it with the study, which records both.
	ErrDisagree = errors.New("balance: registry placement differs from partition.Counts")
)

// Config configures Run. Zero fields take the defaults in brackets.
type Config struct {
	// Partitioners by name [partition.Names()].
	Partitioners []string
	// Partitions counts [1, 2, 4, ..., 1024].
	Partitions []int
	// Keys counts [1,000, 10,000, 100,000]; 1,000,000 is a useful option.
	Keys []int
	// Trials per ideal-hash simulation [400]; SeedTrials for the seed
	// check [2,000].
	Trials, SeedTrials int
	// Alpha for JudgeBalance [analysis.DefaultAlpha].
	Alpha float64
	Seed  uint64
	// Host is recorded in the study (the CLI detects it).
	Host store.Host
	// Progress receives one line per partitioner and key count; nil is quiet.
	Progress io.Writer

	_ struct{}
}

// DefaultPartitions are the powers of two from 1 to 1024.
func DefaultPartitions() []int {
	var ps []int
	for p := 1; p <= 1024; p *= 2 {
		ps = append(ps, p)
	}
	return ps
}

// DefaultKeys is the quick grid; add 1,000,000 for the full study.
func DefaultKeys() []int { return []int{1_000, 10_000, 100_000} }

func (c Config) withDefaults() (Config, error) {
	if len(c.Partitioners) == 0 {
		c.Partitioners = partition.Names()
	}
	if len(c.Partitions) == 0 {
		c.Partitions = DefaultPartitions()
	}
	if len(c.Keys) == 0 {
		c.Keys = DefaultKeys()
	}
	if c.Trials == 0 {
		c.Trials = 400
	}
	if c.SeedTrials == 0 {
		c.SeedTrials = 2000
	}
	if c.Alpha == 0 {
		c.Alpha = analysis.DefaultAlpha
	}
	for _, n := range c.Partitioners {
		if _, err := partition.ByName(n, 1); err != nil {
			return c, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	for _, p := range c.Partitions {
		// n+1 must be constructible for the movement measurement.
		if p < 1 || p >= partition.MaxPartitions {
			return c, fmt.Errorf("%w: partitions %d (want 1..%d)", ErrConfig, p, partition.MaxPartitions-1)
		}
	}
	for _, k := range c.Keys {
		if k < 1 || k > 10_000_000 {
			return c, fmt.Errorf("%w: keys %d (want 1..10,000,000)", ErrConfig, k)
		}
	}
	switch {
	case c.Trials < 2 || c.SeedTrials < 2:
		return c, fmt.Errorf("%w: trials %d, seed trials %d (want >= 2)", ErrConfig, c.Trials, c.SeedTrials)
	case !(c.Alpha > 0 && c.Alpha < 0.5):
		return c, fmt.Errorf("%w: alpha %v (want in (0, 0.5))", ErrConfig, c.Alpha)
	}
	c.Partitions = sortedUnique(c.Partitions)
	c.Keys = sortedUnique(c.Keys)
	return c, nil
}

func sortedUnique(xs []int) []int {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

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

// Cell is one partitioner at one partition count and key count.
type Cell struct {
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
	// Target is the seed's target (SeedTargetSkew); TargetFraction the
	// fraction of simulated ideal-hash trials that meet it (skew < target).
	Target         float64 `json:"target"`
	TargetFraction float64 `json:"target_fraction"`
	Verdict        string  `json:"verdict"`
}

// Study is what Run returns and Write stores.
type Study struct {
	SchemaVersion int        `json:"schema_version"`
	Created       time.Time  `json:"created"`
	Host          store.Host `json:"host"`
	Seed          uint64     `json:"seed"`
	Partitioners  []string   `json:"partitioners"`
	Partitions    []int      `json:"partitions"`
	Keys          []int      `json:"keys"`
	Alpha         float64    `json:"alpha"`
	ElapsedNs     int64      `json:"elapsed_ns"`
	Cells         []Cell     `json:"cells"`
	SeedCheck     SeedCheck  `json:"seed_check"`
}

// Cell returns the cell for (partitioner, partitions, keys), or nil.
func (s *Study) Cell(partitioner string, partitions, keys int) *Cell {
	for i := range s.Cells {
		c := &s.Cells[i]
		if c.Partitioner == partitioner && c.Partitions == partitions && c.Keys == keys {
			return c
		}
	}
	return nil
}

// ExpectedMovedFraction is the fraction of keys theory says move when a
// partitioner grows from n to n+1 partitions (see the package doc).
func ExpectedMovedFraction(partitioner string, n int) float64 {
	switch partitioner {
	case partition.NameHashMod:
		return 0.5
	case partition.NameSingle:
		return 0
	}
	return 1 / float64(n+1)
}

// Run runs the study. Every random choice (the ideal-hash simulations)
// derives from cfg.Seed, so the same seed gives the same study. Placements
// are deterministic. When the registry's placement disagrees with
// partition.Counts, Run returns the study and an error wrapping ErrDisagree.
func Run(ctx context.Context, cfg Config) (*Study, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	st := &Study{
		SchemaVersion: SchemaVersion, Created: t0.UTC(), Host: cfg.Host, Seed: cfg.Seed,
		Partitioners: cfg.Partitioners, Partitions: cfg.Partitions, Keys: cfg.Keys, Alpha: cfg.Alpha,
	}
	maxKeys := slices.Max(cfg.Keys)
	ids := make([]string, max(maxKeys, SeedKeys))
	for i := range ids {
		ids[i] = sim.ServerID(i)
	}
	// One simulation per (keys, partitions), shared by every partitioner;
	// each from its own PCG stream so adding a cell changes no other.
	ideal := map[[2]int]*Ideal{}
	idealFor := func(keys, parts int) (*Ideal, error) {
		k := [2]int{keys, parts}
		if v, ok := ideal[k]; ok {
			return v, nil
		}
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(keys)<<20|uint64(parts)))
		simu, err := analysis.SimulateIdealSkew(rng, int64(keys), parts, cfg.Trials)
		if err != nil {
			return nil, err
		}
		exp, err := analysis.ExpectedIdealSkew(int64(keys), parts)
		if err != nil {
			return nil, err
		}
		v := &Ideal{Expected: exp.SeedSkew, Mean: simu.SeedSkew.Mean, P025: simu.SeedSkew.P025, P975: simu.SeedSkew.P975, Trials: cfg.Trials}
		ideal[k] = v
		return v, nil
	}
	for _, name := range cfg.Partitioners {
		for _, keys := range cfg.Keys {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if cfg.Progress != nil {
				fmt.Fprintf(cfg.Progress, "balance: %s, %d keys, %d partition counts\n", name, keys, len(cfg.Partitions))
			}
			kids := ids[:keys]
			for _, n := range cfg.Partitions {
				c, err := measureCell(name, n, kids, cfg.Alpha, idealFor)
				if err != nil {
					return nil, err
				}
				st.Cells = append(st.Cells, c)
			}
		}
	}
	st.SeedCheck, err = seedCheck(ids[:SeedKeys], cfg)
	st.ElapsedNs = int64(time.Since(t0))
	return st, err
}

func measureCell(name string, n int, ids []string, alpha float64, idealFor func(int, int) (*Ideal, error)) (Cell, error) {
	p, err := partition.ByName(name, n)
	if err != nil {
		return Cell{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	next, err := partition.ByName(name, n+1)
	if err != nil {
		return Cell{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	counts := partition.Counts(p, ids)
	moved := partition.Moved(p, next, ids)
	c := Cell{
		Partitioner: name, Partitions: n, Keys: len(ids),
		Min: slices.Min(counts), Max: slices.Max(counts),
		MovedToNext: moved, MovedFraction: float64(moved) / float64(len(ids)),
		ExpectedMoved: ExpectedMovedFraction(name, n),
	}
	if n < 2 {
		return c, nil
	}
	v, err := analysis.JudgeBalance(counts, alpha)
	if err != nil {
		return Cell{}, fmt.Errorf("balance: %s n=%d keys=%d: %w", name, n, len(ids), err)
	}
	s := v.Stats
	c.SeedSkew, c.MaxOverMean, c.CV, c.PValue = &s.SeedSkew, &s.MaxOverMean, &s.CV, &s.PValue
	c.Verdict, c.Explanation = v.Outcome.String(), v.Explanation
	if c.Ideal, err = idealFor(len(ids), n); err != nil {
		return Cell{}, fmt.Errorf("balance: ideal for n=%d keys=%d: %w", n, len(ids), err)
	}
	return c, nil
}

// seedCheck places the seed's 10,000 server_N keys in a real 64-partition
// registry and compares with the partitioner's own counts and with theory.
func seedCheck(ids []string, cfg Config) (SeedCheck, error) {
	sc := SeedCheck{Keys: len(ids), Partitions: SeedPartitions, Partitioner: partition.NameHashMod,
		Claimed: SeedClaimedSkew, Target: SeedTargetSkew}
	reg, err := impl.New(impl.Options{Partitions: SeedPartitions})
	if err != nil {
		return sc, fmt.Errorf("balance: seed check registry: %w", err)
	}
	if err := (sim.Preload{Servers: len(ids)}).Apply(reg); err != nil {
		return sc, fmt.Errorf("balance: seed check preload: %w", err)
	}
	for _, s := range reg.PartitionStats() {
		sc.ImplCounts = append(sc.ImplCounts, int64(s.Entries))
	}
	p, err := partition.ByName(sc.Partitioner, SeedPartitions)
	if err != nil {
		return sc, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	sc.PartitionerCounts = partition.Counts(p, ids)
	sc.Agree = slices.Equal(sc.ImplCounts, sc.PartitionerCounts)
	s, err := analysis.Skew(sc.ImplCounts)
	if err != nil {
		return sc, fmt.Errorf("balance: seed check: %w", err)
	}
	sc.SeedSkew, sc.MaxOverMean, sc.PValue = s.SeedSkew, s.MaxOverMean, s.PValue
	exp, err := analysis.ExpectedIdealSkew(int64(len(ids)), SeedPartitions)
	if err != nil {
		return sc, err
	}
	// Stream 0 is free: cell streams put the key count in the high bits.
	simu, err := analysis.SimulateIdealSkew(rand.New(rand.NewPCG(cfg.Seed, 0)), int64(len(ids)), SeedPartitions, cfg.SeedTrials)
	if err != nil {
		return sc, err
	}
	sc.Ideal = Ideal{Expected: exp.SeedSkew, Mean: simu.SeedSkew.Mean, P025: simu.SeedSkew.P025, P975: simu.SeedSkew.P975, Trials: cfg.SeedTrials}
	sc.IdealSimStdDev = simu.SeedSkew.StdDev
	sc.ClaimFraction = simu.SeedSkew.FractionAtMost(sc.Claimed)
	sc.TargetFraction = simu.SeedSkew.FractionAtMost(math.Nextafter(sc.Target, 0))
	inBand := sc.SeedSkew >= sc.Ideal.P025 && sc.SeedSkew <= sc.Ideal.P975
	sc.Verdict = fmt.Sprintf("measured %.3f is %s the ideal hash's 95%% band [%.3f, %.3f]; the claimed %.2f occurred in %d of %d simulated trials",
		sc.SeedSkew, map[bool]string{true: "inside", false: "outside"}[inBand], sc.Ideal.P025, sc.Ideal.P975,
		sc.Claimed, int(math.Round(sc.ClaimFraction*float64(cfg.SeedTrials))), cfg.SeedTrials)
	if !sc.Agree {
		return sc, fmt.Errorf("%w: impl %v, partitioner %v", ErrDisagree, sc.ImplCounts, sc.PartitionerCounts)
	}
	return sc, nil
}

// CSVColumns are balance.csv's columns.
var CSVColumns = []string{
	"partitioner", "partitions", "keys", "min", "max", "seed_skew", "max_over_mean", "cv",
	"chi_square_p_value", "ideal_expected_seed_skew", "ideal_sim_mean", "ideal_sim_p025", "ideal_sim_p975",
	"verdict", "moved_to_next", "moved_fraction", "expected_moved_fraction",
}

// Write stores the study in dir as balance.json and balance.csv, each
// written to a temporary file and renamed into place.
func Write(dir string, st *Study) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	if err := atomicfile.Write(filepath.Join(dir, JSONFile), append(data, '\n')); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(CSVColumns)
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
	if err := atomicfile.Write(filepath.Join(dir, CSVFile), buf.Bytes()); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	return nil
}

// Load reads balance.json from dir. A missing file wraps fs.ErrNotExist;
// another schema version is ErrSchema.
func Load(dir string) (*Study, error) {
	path := filepath.Join(dir, JSONFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRead, err)
	}
	var probe struct {
		SchemaVersion int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrRead, path, err)
	}
	if probe.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%w: %s: schema version %d (this shardlab reads %d)", ErrSchema, path, probe.SchemaVersion, SchemaVersion)
	}
	var st Study
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrRead, path, err)
	}
	if len(st.Cells) == 0 {
		return nil, fmt.Errorf("%w: %s: no cells", ErrRead, path)
	}
	return &st, nil
}
