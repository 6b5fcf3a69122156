package balance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/seed"
	"github.com/shardlab/shardlab/sim"
	"github.com/shardlab/shardlab/store"
)

// Sentinel errors.
var (
	ErrConfig = errors.New("balance: invalid configuration")
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
	// Now stamps the study's creation [time.Now]; elapsed time is always
	// measured on the real clock.
	Now func() time.Time

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
func Run(ctx context.Context, cfg Config) (*store.Balance, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	t0, created := time.Now(), time.Now()
	if cfg.Now != nil {
		created = cfg.Now()
	}
	st := &store.Balance{
		SchemaVersion: store.BalanceSchemaVersion, Created: created.UTC(), Host: cfg.Host, Seed: cfg.Seed,
		Partitioners: cfg.Partitioners, Partitions: cfg.Partitions, Keys: cfg.Keys, Alpha: cfg.Alpha,
	}
	maxKeys := slices.Max(cfg.Keys)
	ids := make([]string, max(maxKeys, seed.PlacementKeys))
	for i := range ids {
		ids[i] = sim.ServerID(i)
	}
	// One simulation per (keys, partitions), shared by every partitioner;
	// each from its own PCG stream so adding a cell changes no other.
	ideal := map[[2]int]*store.Ideal{}
	idealFor := func(keys, parts int) (*store.Ideal, error) {
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
		v := &store.Ideal{Expected: exp.SeedSkew, Mean: simu.SeedSkew.Mean, P025: simu.SeedSkew.P025, P975: simu.SeedSkew.P975, Trials: cfg.Trials}
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
	st.SeedCheck, err = seedCheck(ids[:seed.PlacementKeys], cfg)
	st.ElapsedNs = int64(time.Since(t0))
	return st, err
}

func measureCell(name string, n int, ids []string, alpha float64, idealFor func(int, int) (*store.Ideal, error)) (store.BalanceCell, error) {
	p, err := partition.ByName(name, n)
	if err != nil {
		return store.BalanceCell{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	next, err := partition.ByName(name, n+1)
	if err != nil {
		return store.BalanceCell{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	counts := partition.Counts(p, ids)
	moved := partition.Moved(p, next, ids)
	c := store.BalanceCell{
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
		return store.BalanceCell{}, fmt.Errorf("balance: %s n=%d keys=%d: %w", name, n, len(ids), err)
	}
	s := v.Stats
	c.SeedSkew, c.MaxOverMean, c.CV, c.PValue = &s.SeedSkew, &s.MaxOverMean, &s.CV, &s.PValue
	c.Verdict, c.Explanation = v.Outcome.String(), v.Explanation
	if c.Ideal, err = idealFor(len(ids), n); err != nil {
		return store.BalanceCell{}, fmt.Errorf("balance: ideal for n=%d keys=%d: %w", n, len(ids), err)
	}
	return c, nil
}

// ImplCounts is a real registry's placement: its live entries per
// partition, from its own statistics.
func ImplCounts(reg *impl.Registry) []int64 {
	var counts []int64
	for _, s := range reg.PartitionStats() {
		counts = append(counts, int64(s.Entries))
	}
	return counts
}

// Record measures a placement (entries per partition, from source): the
// seed skew and the other spread measures, beside the ideal hash's
// expected seed skew for as many keys and partitions.
func Record(source string, counts []int64) (*store.BalanceRecord, error) {
	sk, err := analysis.Skew(counts)
	if err != nil {
		return nil, fmt.Errorf("balance: %w", err)
	}
	b := &store.BalanceRecord{Source: source, Counts: counts,
		SeedSkew: sk.SeedSkew, MaxOverMean: sk.MaxOverMean, CV: sk.CV, PValue: sk.PValue}
	if ideal, err := analysis.ExpectedIdealSkew(sk.Total, len(counts)); err == nil {
		b.IdealSeedSkew = ideal.SeedSkew
	}
	return b, nil
}

// seedCheck places the seed's 10,000 server_N keys in a real 64-partition
// registry and compares with the partitioner's own counts and with theory.
func seedCheck(ids []string, cfg Config) (store.SeedCheck, error) {
	sc := store.SeedCheck{Keys: len(ids), Partitions: seed.Partitions, Partitioner: partition.NameHashMod,
		Claimed: seed.ClaimedSkew, Target: seed.TargetSkew}
	reg, err := impl.New(impl.Options{Partitions: seed.Partitions})
	if err != nil {
		return sc, fmt.Errorf("balance: seed check registry: %w", err)
	}
	if err := (sim.Preload{Servers: len(ids)}).Apply(reg); err != nil {
		return sc, fmt.Errorf("balance: seed check preload: %w", err)
	}
	sc.ImplCounts = ImplCounts(reg)
	p, err := partition.ByName(sc.Partitioner, seed.Partitions)
	if err != nil {
		return sc, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	sc.PartitionerCounts = partition.Counts(p, ids)
	sc.Agree = slices.Equal(sc.ImplCounts, sc.PartitionerCounts)
	rec, err := Record("impl.PartitionStats", sc.ImplCounts)
	if err != nil {
		return sc, fmt.Errorf("balance: seed check: %w", err)
	}
	sc.SeedSkew, sc.MaxOverMean, sc.PValue = rec.SeedSkew, rec.MaxOverMean, rec.PValue
	// Stream 0 is free: cell streams put the key count in the high bits.
	simu, err := analysis.SimulateIdealSkew(rand.New(rand.NewPCG(cfg.Seed, 0)), int64(len(ids)), seed.Partitions, cfg.SeedTrials)
	if err != nil {
		return sc, err
	}
	sc.Ideal = store.Ideal{Expected: rec.IdealSeedSkew, Mean: simu.SeedSkew.Mean, P025: simu.SeedSkew.P025, P975: simu.SeedSkew.P975, Trials: cfg.SeedTrials}
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
