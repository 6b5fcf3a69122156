package paper

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/plots"
	"github.com/shardlab/shardlab/seed"
	"github.com/shardlab/shardlab/store"
)

// figure is one figure of the report, saved as PNG and SVG.
type figure struct {
	ID      string
	Title   string
	Caption string
	// Latency says which latency the figure shows ("" when none).
	Latency string
	PNG     string // path relative to the report
	SVG     string
	png     []byte
}

// Latency bases, as the report states them.
const (
	latencyClosed = "closed-loop service time (the call's own duration; the driver waits for each reply before the next call)"
	latencyOpen   = "open-loop, from the intended start (no coordinated omission)"
)

// figureBuilder returns a figure's plot, or plots.ErrNoData when the
// results hold nothing to draw (the figure is then left out and listed).
type figureBuilder struct {
	id, title, caption, latency string
	build                       func() (*plot.Plot, error)
}

// makeFigures builds every figure into outDir/figures. Figures without
// data are omitted and named in the returned list of gaps.
func makeFigures(in *input, outDir string) ([]figure, []string, error) {
	var figs []figure
	var gaps []string
	for _, b := range append(figureBuilders(in), capacityFigures(in.capacity)...) {
		p, err := b.build()
		if errors.Is(err, plots.ErrNoData) {
			gaps = append(gaps, fmt.Sprintf("%s: %v", b.title, err))
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("figure %s: %w", b.id, err)
		}
		base := filepath.Join(outDir, "figures", b.id)
		if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
			return nil, nil, err
		}
		if err := plots.Save(p, base, "png", "svg"); err != nil {
			return nil, nil, fmt.Errorf("figure %s: %w", b.id, err)
		}
		data, err := os.ReadFile(base + ".png")
		if err != nil {
			return nil, nil, err
		}
		figs = append(figs, figure{ID: b.id, Title: b.title, Caption: b.caption, Latency: b.latency,
			PNG: "figures/" + b.id + ".png", SVG: "figures/" + b.id + ".svg", png: data})
	}
	return figs, gaps, nil
}

// balanceKeys is the key count the balance figures show: the seed's
// 10,000 when studied, else the largest.
func balanceKeys(st *store.Balance) int {
	if slices.Contains(st.Keys, seed.PlacementKeys) {
		return seed.PlacementKeys
	}
	return slices.Max(st.Keys)
}

func figureBuilders(in *input) []figureBuilder {
	st := in.Balance
	keys := balanceKeys(st)
	return []figureBuilder{
		{id: "skew_vs_partitions", title: "Partition skew vs partition count",
			caption: fmt.Sprintf("Seed skew (max−min)/(mean+1) of %s server_N keys placed by each partitioner (single, which puts every key in one partition, is off this scale; see the table). The band is the central 95%% of %d simulated ideal-hash placements (analysis.SimulateIdealSkew), the dashed line their mean.", units.Commas(keys), trialsOf(st)),
			build:   func() (*plot.Plot, error) { return skewFigure(st, keys) }},
		{id: "partition_load", title: fmt.Sprintf("Seed claim: %s servers in %d partitions", units.Commas(st.SeedCheck.Keys), st.SeedCheck.Partitions),
			caption: fmt.Sprintf("Entries per partition of a real %d-partition registry (impl.New, then PartitionStats) after registering server_0..server_%d, with the ideal hash's expected max and min (analysis.ExpectedIdealSkew).", st.SeedCheck.Partitions, st.SeedCheck.Keys-1),
			build: func() (*plot.Plot, error) {
				return plots.PartitionLoad(plots.LoadFigure{Title: fmt.Sprintf("%s server_N keys in %d partitions (impl placement)", units.Commas(st.SeedCheck.Keys), st.SeedCheck.Partitions), Unit: "servers", Counts: st.SeedCheck.ImplCounts})
			}},
		{id: "moved_fraction", title: "Keys moved when growing from n to n+1 partitions",
			caption: fmt.Sprintf("Fraction of %s keys that change partition (partition.Moved) against theory: 1/(n+1) for consistent schemes, 1/2 for hashmod's multiply-shift reduction.", units.Commas(keys)),
			build:   func() (*plot.Plot, error) { return movedFigure(st, keys) }},
		{id: "p99_vs_workers", title: "p99 lookup latency vs workers", latency: latencyClosed,
			caption: "Sweep, lookup workload, one line per partition count; median of the repetitions' p99; " + samplingNote(sweepPoint(in.Sweep, "lookup")) + ".",
			build:   func() (*plot.Plot, error) { return p99Figure(in.Sweep, in.Subject, "lookup") }},
		{id: "throughput_vs_workers", title: "Throughput vs workers with USL fits",
			caption: "Sweep, sustained mix (" + sweepMix(in.Sweep, "sustained") + "); points are means over repetitions, curves the Universal Scalability Law fitted to them (analysis.FitUSL).",
			build:   func() (*plot.Plot, error) { return scalingFigure(in.Sweep, in.Subject, "sustained") }},
		{id: "latency_percentiles", title: "Lookup latency by percentile, " + lookup100Workers(in.Scenarios, in.Subject), latency: latencyClosed,
			caption: "lookup_100 scenario (duration mode), find_server latency per registry; " + samplingNote(scenarioPoint(in.Scenarios, "lookup_100", in.Subject)) + "; HdrHistogram, 3 significant digits.",
			build:   func() (*plot.Plot, error) { return percentileFigure(in.Scenarios, in.Subject) }},
		{id: "throughput_over_time", title: "Sustained throughput over time",
			caption: "sustained scenario, per-interval throughput per registry, with the seed's target (" + quote("sustained").Target() + ").",
			build:   func() (*plot.Plot, error) { return timelineFigure(in.Scenarios) }},
		{id: "registries", title: "Throughput by registry and scenario",
			caption: "Duration-mode points of each scenario, completed operations over measured elapsed time.",
			build:   func() (*plot.Plot, error) { return registriesFigure(in.Scenarios) }},
	}
}

// lookup100Workers is how many workers the lookup_100 scenario ran, as
// recorded ("100 workers").
func lookup100Workers(res *store.Results, subject string) string {
	if p := scenarioPoint(res, "lookup_100", subject); p != nil {
		return fmt.Sprintf("%d workers", p.Workers)
	}
	return "lookup_100"
}

// sweepMix is a sweep workload's operation mix as the sweep recorded it
// (its own mix, or the built-in one it names).
func sweepMix(res *store.Results, workload string) string {
	var sw spec.Sweep
	if err := json.Unmarshal(res.Meta.Spec, &sw); err == nil {
		for _, w := range sw.Workloads {
			if w.Name != workload || len(w.Mix) == 0 {
				continue
			}
			return mixText(w.Mix)
		}
	}
	if m, ok := spec.Workloads()[workload]; ok {
		weights := map[string]float64{}
		for k, w := range m {
			weights[k.String()] = w
		}
		return mixText(weights)
	}
	return workload
}

// mixText lists a mix's weights, heaviest first: "find_server 40 %, ...".
func mixText(weights map[string]float64) string {
	var total float64
	kinds := make([]string, 0, len(weights))
	for k, w := range weights {
		kinds = append(kinds, k)
		total += w
	}
	slices.SortFunc(kinds, func(a, b string) int {
		if c := cmp.Compare(weights[b], weights[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %.3g %%", k, 100*weights[k]/total)
	}
	return strings.Join(parts, " / ")
}

func trialsOf(st *store.Balance) int {
	for _, c := range st.Cells {
		if c.Ideal != nil {
			return c.Ideal.Trials
		}
	}
	return 0
}

// degenerate reports whether a partitioner put every key in one partition
// at every count from 2 on (the "single" partitioner, kept to test the
// tests): its skew is off any scale the others share.
func degenerate(st *store.Balance, partitioner string) bool {
	seen := false
	for _, c := range st.Cells {
		if c.Partitioner != partitioner || c.Partitions < 2 {
			continue
		}
		if c.Max != int64(c.Keys) {
			return false
		}
		seen = true
	}
	return seen
}

func skewFigure(st *store.Balance, keys int) (*plot.Plot, error) {
	f := plots.SkewFigure{
		Title:      fmt.Sprintf("Partition skew vs partition count (%s keys)", units.Commas(keys)),
		References: []plots.Reference{{Name: fmt.Sprintf("seed claim %.2f", seed.ClaimedSkew), Value: seed.ClaimedSkew}, {Name: fmt.Sprintf("seed target %.2f", seed.TargetSkew), Value: seed.TargetSkew}},
	}
	seen := map[int]bool{}
	for _, name := range st.Partitioners {
		if degenerate(st, name) {
			continue
		}
		s := plots.Series{Name: name}
		for _, c := range st.Cells {
			if c.Partitioner != name || c.Keys != keys || c.SeedSkew == nil {
				continue
			}
			s.X = append(s.X, float64(c.Partitions))
			s.Y = append(s.Y, *c.SeedSkew)
			if !seen[c.Partitions] && c.Ideal != nil {
				seen[c.Partitions] = true
				// The study stores the band's summary; the figure needs
				// only mean, P025 and P975.
				e := analysis.Empirical{Mean: c.Ideal.Mean, P025: c.Ideal.P025, P975: c.Ideal.P975, Samples: []float64{c.Ideal.Mean}}
				f.Ideal = append(f.Ideal, analysis.IdealSkewSimulation{Keys: int64(keys), Partitions: c.Partitions, Trials: c.Ideal.Trials, SeedSkew: e})
			}
		}
		if len(s.X) > 0 {
			f.Partitioners = append(f.Partitioners, s)
		}
	}
	return plots.SkewVsPartitions(f)
}

func movedFigure(st *store.Balance, keys int) (*plot.Plot, error) {
	f := plots.MovedFigure{Title: fmt.Sprintf("Keys moved growing n → n+1 (%s keys)", units.Commas(keys))}
	for _, name := range st.Partitioners {
		s := plots.Series{Name: name}
		for _, c := range st.Cells {
			if c.Partitioner == name && c.Keys == keys && c.MovedFraction > 0 {
				s.X, s.Y = append(s.X, float64(c.Partitions)), append(s.Y, c.MovedFraction)
			}
		}
		if len(s.X) > 0 {
			f.Partitioners = append(f.Partitioners, s)
		}
	}
	return plots.KeysMoved(f)
}

func p99Figure(res *store.Results, subject, workload string) (*plot.Plot, error) {
	cells, err := store.SweepCells(res, subject, workload, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", plots.ErrNoData, err)
	}
	f := plots.LatencyFigure{Kind: "closed-loop service time", Title: "p99 " + workload + " latency vs workers",
		References: []plots.Reference{seedTarget("p99")}}
	for _, part := range cellPartitions(cells) {
		s := plots.Series{Name: fmt.Sprintf("%d partitions", part)}
		for _, c := range cells {
			if c.Partitions == part && c.P99 > 0 {
				s.X = append(s.X, float64(c.Workers))
				s.Y = append(s.Y, float64(c.P99)/1e3)
			}
		}
		if len(s.X) > 0 {
			f.Lines = append(f.Lines, s)
		}
	}
	return plots.P99VsWorkers(f)
}

func cellPartitions(cells []store.SweepCell) []int {
	var ps []int
	for _, c := range cells {
		if !slices.Contains(ps, c.Partitions) {
			ps = append(ps, c.Partitions)
		}
	}
	slices.Sort(ps)
	return ps
}

func scalingFigure(res *store.Results, subject, workload string) (*plot.Plot, error) {
	cells, err := store.SweepCells(res, subject, workload, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", plots.ErrNoData, err)
	}
	f := plots.ScalingFigure{Title: "Throughput vs workers, " + workload + " mix"}
	for _, part := range cellPartitions(cells) {
		s := plots.ScalingSeries{Name: fmt.Sprintf("%d partitions", part)}
		var pts []analysis.ScalingPoint
		for _, c := range cells {
			if c.Partitions == part {
				s.Workers = append(s.Workers, float64(c.Workers))
				s.Throughput = append(s.Throughput, c.Throughput)
				pts = append(pts, analysis.ScalingPoint{N: float64(c.Workers), Throughput: c.Throughput})
			}
		}
		if fit, err := analysis.FitUSL(pts); err == nil {
			s.Fit = &fit
		}
		f.Lines = append(f.Lines, s)
	}
	return plots.ThroughputVsWorkers(f)
}

// samplingNote says how often p's operations were timed, as the point
// recorded it (the driver may time more often than the spec asked, to
// collect enough samples from a short run).
func samplingNote(p *store.Point) string {
	switch {
	case p == nil:
		return "sampling not recorded"
	case p.SampleEvery <= 1:
		return "every operation timed"
	}
	return fmt.Sprintf("1 in %d operations timed", p.SampleEvery)
}

// sweepPoint returns the first sweep point of a workload.
func sweepPoint(res *store.Results, workload string) *store.Point {
	for i := range res.Points {
		if res.Points[i].Workload == workload {
			return &res.Points[i]
		}
	}
	return nil
}

// scenarioPoint returns a scenario's point for a registry, preferring
// the duration mode (long enough to measure steadily).
func scenarioPoint(res *store.Results, scenario, registry string) *store.Point {
	var found *store.Point
	for i := range res.Points {
		p := &res.Points[i]
		if p.Scenario != scenario || p.Registry != registry {
			continue
		}
		if found == nil || p.Mode == "duration" {
			found = p
		}
	}
	return found
}

func registriesOf(res *store.Results) []string {
	if len(res.Meta.Registries) > 0 {
		return res.Meta.Registries
	}
	var rs []string
	for _, p := range res.Points {
		if !slices.Contains(rs, p.Registry) {
			rs = append(rs, p.Registry)
		}
	}
	return rs
}

func kindHist(p *store.Point, kind string) *store.Hist {
	for _, k := range p.Kinds {
		if k.Kind == kind {
			return k.Latency
		}
	}
	return nil
}

func percentileFigure(res *store.Results, subject string) (*plot.Plot, error) {
	f := plots.PercentileFigure{Title: "find_server latency by percentile, " + lookup100Workers(res, subject), Kind: "closed-loop service time"}
	for _, reg := range registriesOf(res) {
		p := scenarioPoint(res, "lookup_100", reg)
		if p == nil {
			continue
		}
		h := kindHist(p, "find_server")
		if h == nil || h.H == nil {
			continue
		}
		c, err := plots.CurveFromHistogram(reg, h.H, 1e-3)
		if err != nil {
			continue
		}
		f.Curves = append(f.Curves, c)
	}
	return plots.LatencyPercentiles(f)
}

func timelineFigure(res *store.Results) (*plot.Plot, error) {
	f := plots.TimelineFigure{Title: "Sustained mix throughput over time",
		References: []plots.Reference{seedTarget("sustained")}}
	for _, reg := range registriesOf(res) {
		p := scenarioPoint(res, "sustained", reg)
		if p == nil || p.Series == nil || p.Series.IntervalMs <= 0 {
			continue
		}
		s := plots.Series{Name: reg}
		for _, t := range p.Series.Ticks {
			s.X = append(s.X, t.AtMs/1e3)
			s.Y = append(s.Y, float64(t.Ops)/(p.Series.IntervalMs/1e3))
		}
		if len(s.X) > 0 {
			f.Lines = append(f.Lines, s)
		}
	}
	return plots.ThroughputOverTime(f)
}

func registriesFigure(res *store.Results) (*plot.Plot, error) {
	regs := registriesOf(res)
	f := plots.GroupedBarFigure{Title: "Throughput by registry and scenario (quick runs)"}
	for _, sc := range []string{"lookup_100", "register_lookup_storm", "binding_routing", "routing_100", "sustained"} {
		ok := true
		for _, r := range regs {
			if p := scenarioPoint(res, sc, r); p == nil || p.ElapsedNs <= 0 {
				ok = false
			}
		}
		if ok {
			f.Groups = append(f.Groups, shortScenario(sc))
		}
	}
	for _, r := range regs {
		b := plots.BarSeries{Name: r}
		for _, g := range f.Groups {
			b.Values = append(b.Values, scenarioPoint(res, longScenario(g), r).Throughput)
		}
		f.Bars = append(f.Bars, b)
	}
	if len(f.Groups) == 0 {
		return nil, fmt.Errorf("registries figure: %w", plots.ErrNoData)
	}
	return plots.CompareRegistries(f)
}

var scenarioShort = map[string]string{
	"lookup_100": "lookup", "register_lookup_storm": "storm", "binding_routing": "bind+route",
	"routing_100": "route", "sustained": "sustained",
}

func shortScenario(s string) string { return scenarioShort[s] }

func longScenario(short string) string {
	for k, v := range scenarioShort {
		if v == short {
			return k
		}
	}
	return short
}

// seedTarget is the reference line for a claim with one target: "seed
// target > 80K ops/s" at the target's value.
func seedTarget(id string) plots.Reference {
	c := quote(id)
	if len(c.Targets) == 0 {
		return plots.Reference{}
	}
	t := c.Targets[0]
	return plots.Reference{Name: "seed target " + t.Text, Value: t.Value}
}
