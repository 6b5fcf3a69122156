package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/shardlab/shardlab/analysis"
)

var (
	bandFill  = color.NRGBA{R: 160, G: 160, B: 160, A: 110}
	idealGray = color.Gray{Y: 90}
)

// SkewFigure is skew against partition count, one line per partitioner,
// over the ideal-hash band.
type SkewFigure struct {
	Title string // default "Partition skew vs partition count"
	// Partitioners: X = partition count, Y = seed skew (max-min)/(mean+1).
	Partitioners []Series
	// Ideal: one simulation per partition count, from
	// analysis.SimulateIdealSkew with the same key count as the runs. Its
	// SeedSkew P025..P975 is drawn as the shaded band, its mean dashed.
	Ideal      []analysis.IdealSkewSimulation
	References []Reference // e.g. {"seed claim", 0.18}
}

// SkewVsPartitions draws a SkewFigure on a log2 partition axis.
func SkewVsPartitions(f SkewFigure) (*plot.Plot, error) {
	const name = "skew figure"
	if len(f.Partitioners) == 0 && len(f.Ideal) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	p := newPlot(orDefault(f.Title, "Partition skew vs partition count"),
		"partitions (log2 scale)", "skew (max − min) / (mean + 1)")
	useLogX(p, log2Ticks)
	if len(f.Ideal) > 0 {
		ideal := slices.Clone(f.Ideal)
		slices.SortFunc(ideal, func(a, b analysis.IdealSkewSimulation) int { return cmp.Compare(a.Partitions, b.Partitions) })
		var band, mean plotter.XYs
		for _, s := range ideal {
			if s.Partitions < 1 || len(s.SeedSkew.Samples) == 0 {
				return nil, fmt.Errorf("%s: ideal simulation for %d partitions is empty: %w", name, s.Partitions, ErrInvalidData)
			}
			x := float64(s.Partitions)
			band = append(band, plotter.XY{X: x, Y: s.SeedSkew.P025})
			mean = append(mean, plotter.XY{X: x, Y: s.SeedSkew.Mean})
		}
		for i := len(ideal) - 1; i >= 0; i-- {
			band = append(band, plotter.XY{X: float64(ideal[i].Partitions), Y: ideal[i].SeedSkew.P975})
		}
		poly, err := plotter.NewPolygon(band)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		poly.Color = bandFill
		poly.LineStyle.Width = 0
		meanLine, err := plotter.NewLine(mean)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		meanLine.Color = idealGray
		meanLine.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(poly, meanLine)
		p.Legend.Add("ideal hash, 95% band", poly)
		p.Legend.Add("ideal hash, mean", meanLine)
	}
	for i, s := range f.Partitioners {
		if err := checkSeries(name, i, s, axisNeeds{logX: true}); err != nil {
			return nil, err
		}
		if err := addLinePoints(p, i, s); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := addReferences(p, f.References, false); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.Y.Min = math.Min(p.Y.Min, 0)
	legendHeadroom(p, 2*min(1, len(f.Ideal))+len(f.Partitioners)+len(f.References), false)
	return p, nil
}

// LatencyFigure is a latency percentile against concurrency, one line per
// partition count (or registry).
type LatencyFigure struct {
	Title string // default "p99 latency vs workers"
	// Kind says which latency this is, as docs/design.md requires ("Metrics"): e.g.
	// "closed-loop service time" or "open-loop, from intended start".
	// It is appended to the title.
	Kind  string
	Unit  string   // y unit; default "µs"
	Lines []Series // X = workers, Y = p99 in Unit (> 0: log axis)
	// References, e.g. {"seed claim: p99 < 100 µs", 100}.
	References []Reference
}

// P99VsWorkers draws a LatencyFigure with a logarithmic latency axis.
func P99VsWorkers(f LatencyFigure) (*plot.Plot, error) {
	const name = "p99 figure"
	if len(f.Lines) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	title := orDefault(f.Title, "p99 latency vs workers")
	if f.Kind != "" {
		title += " (" + f.Kind + ")"
	}
	p := newPlot(title, "workers", fmt.Sprintf("p99 latency (%s, log scale)", orDefault(f.Unit, "µs")))
	useLogY(p)
	for i, s := range f.Lines {
		if err := checkSeries(name, i, s, axisNeeds{logY: true}); err != nil {
			return nil, err
		}
		if err := addLinePoints(p, i, s); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := addReferences(p, f.References, true); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	legendHeadroom(p, len(f.Lines)+len(f.References), true)
	return p, nil
}

// ScalingSeries is measured throughput against concurrency, optionally
// with its USL fit.
type ScalingSeries struct {
	Name       string
	Workers    []float64
	Throughput []float64        // ops/s
	Fit        *analysis.USLFit // nil: points are joined by a line instead
}

// ScalingFigure is throughput against workers with USL fits.
type ScalingFigure struct {
	Title string // default "Throughput vs workers"
	Lines []ScalingSeries
	// FitUpTo extends fitted curves to this many workers (to show the
	// predicted peak); 0 draws them over the measured range only.
	FitUpTo float64
}

// ThroughputVsWorkers draws measured points and, where given, the USL
// curve X(N) = λN / (1 + σ(N-1) + κN(N-1)) fitted to them; the legend
// gives σ, κ and R².
func ThroughputVsWorkers(f ScalingFigure) (*plot.Plot, error) {
	const name = "throughput figure"
	if len(f.Lines) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	p := newPlot(orDefault(f.Title, "Throughput vs workers"), "workers", "throughput (ops/s)")
	p.Y.Tick.Marker = siTicks
	for i, l := range f.Lines {
		s := Series{Name: l.Name, X: l.Workers, Y: l.Throughput}
		if err := checkSeries(name, i, s, axisNeeds{}); err != nil {
			return nil, err
		}
		if l.Fit == nil {
			if err := addLinePoints(p, i, s); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			continue
		}
		points, err := plotter.NewScatter(xys(s.X, s.Y))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		points.Color = plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		lo, hi := slices.Min(s.X), max(slices.Max(s.X), f.FitUpTo)
		const samples = 200
		curve := make(plotter.XYs, samples)
		for k := range curve {
			x := lo + (hi-lo)*float64(k)/(samples-1)
			curve[k] = plotter.XY{X: x, Y: l.Fit.Predict(x)}
		}
		line, err := plotter.NewLine(curve)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(1.5)
		p.Add(line, points)
		p.Legend.Add(fmt.Sprintf("%s (USL σ=%.3g κ=%.3g R²=%.3f)", l.Name, l.Fit.Sigma, l.Fit.Kappa, l.Fit.RSquared), line, points)
	}
	p.Y.Min = math.Min(p.Y.Min, 0)
	legendHeadroom(p, len(f.Lines), false)
	return p, nil
}

// PercentileCurve is latency against percentile for one registry or run.
type PercentileCurve struct {
	Name        string
	Percentiles []float64 // in [0, 100)
	Values      []float64 // latency at each percentile, > 0, in the figure's unit
}

// CurveFromHistogram samples h at percentiles evenly spaced in "nines"
// (0, 90, 99, 99.9, ... with 20 steps per nine) up to the resolution the
// count supports (10 samples beyond the last nine would be noise), scaling
// each value by scale (e.g. 1e-3 for ns → µs). Values <= 0 are dropped:
// a log axis cannot show them.
func CurveFromHistogram(name string, h *hdrhistogram.Histogram, scale float64) (PercentileCurve, error) {
	if h == nil || h.TotalCount() == 0 {
		return PercentileCurve{}, fmt.Errorf("curve %q: empty histogram: %w", name, ErrNoData)
	}
	if !(scale > 0) || math.IsInf(scale, 0) {
		return PercentileCurve{}, fmt.Errorf("curve %q: scale %v: %w", name, scale, ErrInvalidData)
	}
	// With n samples the p-quantile for 1-p < 10/n rests on fewer than ten
	// values; stop there.
	maxNines := math.Max(1, math.Log10(float64(h.TotalCount())/10))
	c := PercentileCurve{Name: name}
	for k := 0; float64(k)/20 <= maxNines; k++ {
		pct := 100 * (1 - math.Pow(10, -float64(k)/20))
		q := h.ValueAtQuantile(pct)
		if k == 0 {
			// hdrhistogram answers the 0th percentile with 0 rather than
			// the smallest recorded value.
			q = h.Min()
		}
		v := float64(q) * scale
		if v > 0 {
			c.Percentiles = append(c.Percentiles, pct)
			c.Values = append(c.Values, v)
		}
	}
	if len(c.Values) == 0 {
		return PercentileCurve{}, fmt.Errorf("curve %q: no positive values: %w", name, ErrNoData)
	}
	return c, nil
}

// PercentileFigure is latency distributions of several registries.
type PercentileFigure struct {
	Title  string // default "Latency by percentile"
	Kind   string // which latency, appended to the title
	Unit   string // default "µs"
	Curves []PercentileCurve
}

// nines maps a percentile to its "number of nines", -log10(1 - p/100):
// 0 → 0, 90 → 1, 99 → 2, 99.9 → 3. On this axis the tail gets as much room
// as the body, which is where registries differ.
func nines(pct float64) float64 { return -math.Log10(1 - pct/100) }

// LatencyPercentiles draws each curve with percentile on a nines axis and
// latency on a log axis.
func LatencyPercentiles(f PercentileFigure) (*plot.Plot, error) {
	const name = "percentile figure"
	if len(f.Curves) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	title := orDefault(f.Title, "Latency by percentile")
	if f.Kind != "" {
		title += " (" + f.Kind + ")"
	}
	p := newPlot(title, "percentile", fmt.Sprintf("latency (%s, log scale)", orDefault(f.Unit, "µs")))
	useLogY(p)
	maxN := 1.0
	for i, c := range f.Curves {
		s := Series{Name: c.Name, X: make([]float64, len(c.Percentiles)), Y: c.Values}
		for j, pct := range c.Percentiles {
			if !(pct >= 0 && pct < 100) {
				return nil, fmt.Errorf("%s: curve %q percentile %v outside [0, 100): %w", name, c.Name, pct, ErrInvalidData)
			}
			s.X[j] = nines(pct)
			maxN = math.Max(maxN, s.X[j])
		}
		if err := checkSeries(name, i, s, axisNeeds{logY: true}); err != nil {
			return nil, err
		}
		line, err := plotter.NewLine(xys(s.X, s.Y))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(1.5)
		line.Dashes = plotutil.Dashes(i)
		p.Add(line)
		p.Legend.Add(c.Name, line)
	}
	var ticks plot.ConstantTicks
	labels := []string{"0", "90", "99", "99.9", "99.99", "99.999", "99.9999", "99.99999"}
	for k := 0; k <= int(math.Ceil(maxN)) && k < len(labels); k++ {
		ticks = append(ticks, plot.Tick{Value: float64(k), Label: labels[k]})
	}
	p.X.Tick.Marker = ticks
	// A little room past the last tick so its label is not clipped.
	p.X.Min, p.X.Max = 0, math.Ceil(maxN)+0.1
	legendHeadroom(p, len(f.Curves), true)
	return p, nil
}

// LoadFigure is the per-partition load of one run.
type LoadFigure struct {
	Title  string // default "Load per partition"
	Unit   string // what was counted; default "keys"
	Counts []int64
}

// PartitionLoad draws one bar per partition with the mean and the ideal
// hash's expected max and min (analysis.ExpectedIdealSkew for the same
// total and partition count) as horizontal lines; bars above the expected
// max are what a reviewer should look at.
func PartitionLoad(f LoadFigure) (*plot.Plot, error) {
	const name = "load figure"
	if len(f.Counts) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	stats, err := analysis.Skew(f.Counts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrInvalidData, err)
	}
	ideal, err := analysis.ExpectedIdealSkew(stats.Total, stats.Partitions)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrInvalidData, err)
	}
	unit := orDefault(f.Unit, "keys")
	p := newPlot(orDefault(f.Title, "Load per partition"), "partition", unit+" per partition")
	values := make(plotter.Values, len(f.Counts))
	for i, c := range f.Counts {
		values[i] = float64(c)
	}
	// Bars fill 80 % of an approximate data-area width so 4 and 1,024
	// partitions both read as bars, not hairlines or slabs.
	width := vg.Length(math.Max(0.5, float64(FigureWidth-1.2*vg.Inch)/float64(len(f.Counts))*0.8))
	bars, err := plotter.NewBarChart(values, width)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	bars.Color = plotutil.Color(0)
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.Legend.Add(fmt.Sprintf("partition (seed skew %.3f)", stats.SeedSkew), bars)
	lines := []struct {
		label string
		v     float64
		dash  []vg.Length
	}{
		{fmt.Sprintf("mean %.1f", stats.Mean), stats.Mean, nil},
		{fmt.Sprintf("ideal hash E[max] %.1f", ideal.ExpectedMax), ideal.ExpectedMax, []vg.Length{vg.Points(5), vg.Points(3)}},
		{fmt.Sprintf("ideal hash E[min] %.1f", ideal.ExpectedMin), ideal.ExpectedMin, []vg.Length{vg.Points(2), vg.Points(2)}},
	}
	for _, l := range lines {
		v := l.v
		fn := plotter.NewFunction(func(float64) float64 { return v })
		fn.Color = idealGray
		fn.Width = vg.Points(1.2)
		fn.Dashes = l.dash
		p.Add(fn)
		p.Legend.Add(l.label, fn)
	}
	p.Y.Min = 0
	p.Y.Max = math.Max(p.Y.Max, ideal.ExpectedMax)
	legendHeadroom(p, 1+len(lines), false)
	p.X.Min, p.X.Max = -1, float64(len(f.Counts))
	return p, nil
}

// TimelineFigure is throughput over time in a sustained run.
type TimelineFigure struct {
	Title      string   // default "Throughput over time"
	Lines      []Series // X = seconds since start, Y = ops/s in that interval
	References []Reference
}

// ThroughputOverTime draws each run's per-interval throughput.
func ThroughputOverTime(f TimelineFigure) (*plot.Plot, error) {
	const name = "timeline figure"
	if len(f.Lines) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	p := newPlot(orDefault(f.Title, "Throughput over time"), "time since start (s)", "throughput (ops/s)")
	p.Y.Tick.Marker = siTicks
	for i, s := range f.Lines {
		if err := checkSeries(name, i, s, axisNeeds{}); err != nil {
			return nil, err
		}
		line, err := plotter.NewLine(xys(s.X, s.Y))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(1.2)
		p.Add(line)
		p.Legend.Add(s.Name, line)
	}
	if err := addReferences(p, f.References, false); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.Y.Min = math.Min(p.Y.Min, 0)
	legendHeadroom(p, len(f.Lines)+len(f.References), false)
	return p, nil
}

// BarSeries is one registry's value in each group.
type BarSeries struct {
	Name   string
	Values []float64 // one per group, >= 0
}

// GroupedBarFigure compares registries across scenarios: one group per
// scenario, one bar per registry.
type GroupedBarFigure struct {
	Title  string // default "Throughput by registry and scenario"
	YLabel string // default "throughput (ops/s)"; say "ratio to sync.Map" for ratios
	Groups []string
	Bars   []BarSeries
}

// CompareRegistries draws a GroupedBarFigure.
func CompareRegistries(f GroupedBarFigure) (*plot.Plot, error) {
	const name = "registry comparison"
	if len(f.Groups) == 0 || len(f.Bars) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	p := newPlot(orDefault(f.Title, "Throughput by registry and scenario"), "scenario",
		orDefault(f.YLabel, "throughput (ops/s)"))
	// Groups sit at 0..len-1 on an axis padded by half a group each side,
	// so a group spans about the data-area width over the groups; bars
	// share 75 % of it, leaving a gap between groups.
	groupWidth := float64(FigureWidth-1.2*vg.Inch) / float64(len(f.Groups))
	barWidth := vg.Length(groupWidth * 0.75 / float64(len(f.Bars)))
	for i, b := range f.Bars {
		if len(b.Values) != len(f.Groups) {
			return nil, fmt.Errorf("%s: %q has %d values for %d groups: %w", name, b.Name, len(b.Values), len(f.Groups), ErrInvalidData)
		}
		for j, v := range b.Values {
			if err := checkValue(v, false); err != nil || v < 0 {
				return nil, fmt.Errorf("%s: %q value %d is %v: %w", name, b.Name, j, v, ErrInvalidData)
			}
		}
		chart, err := plotter.NewBarChart(plotter.Values(b.Values), barWidth)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		chart.Color = plotutil.Color(i)
		chart.LineStyle.Width = 0
		chart.Offset = barWidth * vg.Length(float64(i)-float64(len(f.Bars)-1)/2)
		p.Add(chart)
		p.Legend.Add(b.Name, chart)
	}
	p.NominalX(f.Groups...)
	p.X.Min, p.X.Max = -0.5, float64(len(f.Groups))-0.5
	p.Y.Tick.Marker = siTicks
	p.Y.Min = 0
	legendHeadroom(p, len(f.Bars), false)
	p.Legend.Left = false
	return p, nil
}
