package plots

import (
	"cmp"
	"fmt"
	"gonum.org/v1/plot/vg/draw"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

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
	Title string // default "Partition skew vs partition count"; the key count is appended
	// Keys is how many keys were placed. Required: skew depends on it
	// (fewer keys per partition, more skew), so every skew figure says it.
	Keys int64
	// Partitioners: X = partition count, Y = seed skew (max-min)/(mean+1).
	Partitioners []Series
	// Ideal: one simulation per partition count, from
	// analysis.SimulateIdealSkew with the same key count as the runs. Its
	// SeedSkew P025..P975 is drawn as the shaded band, its mean dashed.
	Ideal      []analysis.IdealSkewSimulation
	References []Reference // e.g. {"seed claim", 0.18}
}

// SkewVsPartitions draws a SkewFigure on a log2 partition axis with
// ticks at the measured counts. When skews span more than a decade (few
// keys per partition at high counts make skew grow past 1) the skew
// axis is logarithmic, so the region where decisions are made (0.1 to
// 0.5) keeps its room; points with skew 0 cannot sit on it and are
// counted in the legend instead.
func SkewVsPartitions(f SkewFigure) (*plot.Plot, error) {
	const name = "skew figure"
	if len(f.Partitioners) == 0 && len(f.Ideal) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	if f.Keys <= 0 {
		return nil, fmt.Errorf("%s: key count %d: every skew figure must state how many keys it placed: %w", name, f.Keys, ErrInvalidData)
	}
	ideal := slices.Clone(f.Ideal)
	slices.SortFunc(ideal, func(a, b analysis.IdealSkewSimulation) int { return cmp.Compare(a.Partitions, b.Partitions) })
	var all, xs []float64
	for _, s := range ideal {
		if s.Partitions < 1 || len(s.SeedSkew.Samples) == 0 {
			return nil, fmt.Errorf("%s: ideal simulation for %d partitions is empty: %w", name, s.Partitions, ErrInvalidData)
		}
		all = append(all, s.SeedSkew.P025, s.SeedSkew.P975, s.SeedSkew.Mean)
		xs = append(xs, float64(s.Partitions))
	}
	for i, s := range f.Partitioners {
		if err := checkSeries(name, i, s, axisNeeds{logX: true}); err != nil {
			return nil, err
		}
		all = append(all, s.Y...)
		xs = append(xs, s.X...)
	}
	for _, r := range f.References {
		all = append(all, r.Value)
	}
	logY := spansDecades(all)
	floor := 0.0
	if logY {
		floor = math.Inf(1)
		for _, v := range all {
			if v > 0 {
				floor = math.Min(floor, v)
			}
		}
		floor /= 1.5
	}
	title := orDefault(f.Title, "Partition skew vs partition count")
	if !strings.Contains(title, commas(f.Keys)) {
		title += fmt.Sprintf(" (%s keys)", commas(f.Keys))
	}
	yLabel := "skew (max − min) / (mean + 1)"
	if logY {
		yLabel += ", log scale"
	}
	p := newPlot(title, "partitions (log scale)", yLabel)
	useLogX(p, xs, intLabel)
	if logY {
		useLogY(p, formatSI)
	}
	if len(ideal) > 0 {
		var band, mean plotter.XYs
		for _, s := range ideal {
			x := float64(s.Partitions)
			band = append(band, plotter.XY{X: x, Y: math.Max(s.SeedSkew.P025, floor)})
			mean = append(mean, plotter.XY{X: x, Y: math.Max(s.SeedSkew.Mean, floor)})
		}
		for i := len(ideal) - 1; i >= 0; i-- {
			band = append(band, plotter.XY{X: float64(ideal[i].Partitions), Y: math.Max(ideal[i].SeedSkew.P975, floor)})
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
	zeros := 0
	for i, s := range f.Partitioners {
		if logY {
			s, zeros = dropNonPositive(s, zeros)
			if len(s.X) == 0 {
				continue
			}
		}
		if err := addLinePoints(p, i, s); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := addReferences(p, f.References, logY); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	entries := 2*min(1, len(ideal)) + len(f.Partitioners)
	if zeros > 0 {
		p.Legend.Add(fmt.Sprintf("(%d points with skew 0 not shown)", zeros))
		entries++
	}
	if !logY {
		p.Y.Min = math.Min(p.Y.Min, 0)
	} else {
		padLogY(p)
	}
	padLogX(p)
	return p, nil
}

// dropNonPositive removes points a log axis cannot show, adding their
// number to dropped.
func dropNonPositive(s Series, dropped int) (Series, int) {
	out := Series{Name: s.Name}
	for j := range s.X {
		if s.Y[j] <= 0 {
			dropped++
			continue
		}
		out.X = append(out.X, s.X[j])
		out.Y = append(out.Y, s.Y[j])
		if len(s.Low) > 0 {
			out.Low = append(out.Low, math.Max(s.Low[j], s.Y[j]/10))
			out.High = append(out.High, s.High[j])
		}
	}
	return out, dropped
}

// intLabel labels counts (partitions, workers) as plain integers: 4096,
// not 4.1k.
func intLabel(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', 0, 64) }

// LatencyFigure is a latency percentile against concurrency, one line per
// partition count (or registry).
type LatencyFigure struct {
	Title string // default "p99 latency vs workers"
	// Kind says which latency this is, as docs/design.md requires
	// ("Metrics"): e.g. "closed-loop service time" or "open-loop, from
	// intended start". It is appended to the title.
	Kind string
	Unit string // unit of Y (ns, µs, ms, s); default "µs". Ticks are labelled in scaled units.
	// Lines: X = workers, Y = p99 in Unit (> 0: log axis). Low/High, when
	// given, are drawn as error bars (e.g. the range over repetitions).
	Lines []Series
	// References, e.g. {"seed claim: p99 < 100 µs", 100}.
	References []Reference
	// Cores marks the machine's core count (0: no mark); beyond it
	// workers share cores.
	Cores int
}

// P99VsWorkers draws a LatencyFigure with logarithmic worker and
// latency axes, ticks at the measured worker counts.
func P99VsWorkers(f LatencyFigure) (*plot.Plot, error) {
	const name = "p99 figure"
	if len(f.Lines) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	scale, err := unitNs(f.Unit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	title := orDefault(f.Title, "p99 latency vs workers")
	if f.Kind != "" {
		title += " (" + f.Kind + ")"
	}
	p := newPlot(title, "workers (log scale)", "p99 latency (log scale)")
	var xs []float64
	for i, s := range f.Lines {
		if err := checkSeries(name, i, s, axisNeeds{logX: true, logY: true}); err != nil {
			return nil, err
		}
		xs = append(xs, s.X...)
	}
	useLogX(p, xs, intLabel)
	useLogY(p, durationLabel(scale))
	for i, s := range f.Lines {
		if err := addLinePoints(p, i, s); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := addReferences(p, f.References, true); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	addCoreMarker(p, f.Cores)
	padLogX(p)
	padLogY(p)
	return p, nil
}

// ScalingSeries is measured throughput against concurrency, optionally
// with its USL fit.
type ScalingSeries struct {
	Name       string
	Workers    []float64
	Throughput []float64 // ops/s
	// Low and High, when given, are each point's interval over
	// repetitions, drawn as error bars.
	Low, High []float64
	Fit       *analysis.USLFit // nil: points are joined by a line instead
}

// ScalingFigure is throughput against workers with USL fits.
type ScalingFigure struct {
	Title string // default "Throughput vs workers"
	Lines []ScalingSeries
	// FitUpTo extends fitted curves to this many workers (to show the
	// predicted peak); 0 draws them over the measured range only.
	FitUpTo float64
	// Cores marks the machine's core count (0: no mark).
	Cores int
}

// MinUSLRSquared is the least R² at which a USL fit is drawn: below it
// the law explains too little of the data for its curve to mean much.
const MinUSLRSquared = 0.8

// USLFitUsable says whether a fit is inside the law's range (0 <= σ < 1,
// κ >= 0) and explains the data (R² >= MinUSLRSquared); if not, it says
// why, for the legend or the caption.
func USLFitUsable(fit analysis.USLFit) (bool, string) {
	switch {
	case !(fit.Sigma >= 0 && fit.Sigma < 1):
		return false, fmt.Sprintf("σ=%.3g outside [0, 1)", fit.Sigma)
	case !(fit.Kappa >= 0):
		return false, fmt.Sprintf("κ=%.3g below 0", fit.Kappa)
	case !(fit.RSquared >= MinUSLRSquared):
		return false, fmt.Sprintf("R²=%.2f below %.1f", fit.RSquared, MinUSLRSquared)
	}
	return true, ""
}

// ThroughputVsWorkers draws measured points (with error bars where
// given) on a log worker axis and, where the fit is usable
// (USLFitUsable), the USL curve X(N) = λN / (1 + σ(N-1) + κN(N-1))
// fitted to them; the legend gives σ, κ and R², or why no curve is drawn.
// The throughput axis is logarithmic when values span more than a decade.
func ThroughputVsWorkers(f ScalingFigure) (*plot.Plot, error) {
	const name = "throughput figure"
	if len(f.Lines) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	var xs, ys []float64
	for i, l := range f.Lines {
		s := Series{Name: l.Name, X: l.Workers, Y: l.Throughput, Low: l.Low, High: l.High}
		if err := checkSeries(name, i, s, axisNeeds{logX: true}); err != nil {
			return nil, err
		}
		xs = append(xs, s.X...)
		ys = append(ys, s.Y...)
	}
	logY := spansDecades(ys)
	yLabel := "throughput (ops/s)"
	if logY {
		yLabel = "throughput (ops/s, log scale)"
	}
	p := newPlot(orDefault(f.Title, "Throughput vs workers"), "workers (log scale)", yLabel)
	useLogX(p, xs, intLabel)
	if logY {
		for i, l := range f.Lines {
			if err := checkSeries(name, i, Series{Name: l.Name, X: l.Workers, Y: l.Throughput, Low: l.Low, High: l.High}, axisNeeds{logX: true, logY: true}); err != nil {
				return nil, err
			}
		}
		useLogY(p, formatSI)
	}
	for i, l := range f.Lines {
		s := Series{Name: l.Name, X: l.Workers, Y: l.Throughput, Low: l.Low, High: l.High}
		usable, why := false, ""
		if l.Fit != nil {
			usable, why = USLFitUsable(*l.Fit)
		}
		if !usable {
			if why != "" {
				s.Name += " (no USL curve: " + why + ")"
			}
			if err := addLinePoints(p, i, s); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			continue
		}
		points, err := plotter.NewScatter(xys(s.X, s.Y))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		points.Color = paletteColor(i)
		points.Shape = plotutil.Shape(i)
		lo, hi := slices.Min(s.X), max(slices.Max(s.X), f.FitUpTo)
		const samples = 200
		curve := make(plotter.XYs, 0, samples)
		for k := range samples {
			// Evenly spaced on the log axis the curve is drawn on.
			x := lo * math.Pow(hi/lo, float64(k)/(samples-1))
			if y := l.Fit.Predict(x); y > 0 || !logY {
				curve = append(curve, plotter.XY{X: x, Y: y})
			}
		}
		line, err := plotter.NewLine(curve)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line.Color = paletteColor(i)
		line.Width = vg.Points(1.5)
		p.Add(line, points)
		p.Legend.Add(fmt.Sprintf("%s (USL σ=%.3g κ=%.3g R²=%.2f)", l.Name, l.Fit.Sigma, l.Fit.Kappa, l.Fit.RSquared), line, points)
		if err := addErrorBars(p, i, s); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	addCoreMarker(p, f.Cores)
	if !logY {
		p.Y.Min = math.Min(p.Y.Min, 0)
	} else {
		padLogY(p)
	}
	padLogX(p)
	return p, nil
}

// PercentileCurve is latency against percentile for one registry or run.
type PercentileCurve struct {
	Name        string
	Percentiles []float64 // in [0, 100)
	Values      []float64 // latency at each percentile, > 0, in the figure's unit
	// Max is the largest latency recorded (0: not shown). The curve stops
	// where fewer than ten samples remain, so a rare outlier (a goroutine
	// descheduled mid-operation, say) shows only here: it is drawn as a
	// marker in a "max" column right of the curve.
	Max float64
}

// CurveFromHistogram samples h at percentiles evenly spaced in "nines"
// (0, 90, 99, 99.9, ... with 20 steps per nine) up to the resolution the
// count supports (10 samples beyond the last nine would be noise; see
// CurveCutoff), records its maximum in Max, and scales
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
	c.Max = float64(h.Max()) * scale
	return c, nil
}

// PercentileFigure is latency distributions of several registries.
type PercentileFigure struct {
	Title  string // default "Latency by percentile"
	Kind   string // which latency, appended to the title
	Unit   string // unit of the values (ns, µs, ms, s); default "µs"; ticks are labelled in scaled units
	Curves []PercentileCurve
}

// CurveCutoff says, for a caption, where CurveFromHistogram stops a
// curve of n samples: the percentile beyond which fewer than ten
// samples remain.
func CurveCutoff(n int64) string {
	if n <= 0 {
		return "no samples"
	}
	nines := math.Floor(math.Max(1, math.Log10(float64(n)/10))*20) / 20
	pct := 100 * (1 - math.Pow(10, -nines))
	decimals := max(0, int(math.Ceil(nines))-2)
	return fmt.Sprintf("curves stop at p%s, beyond which fewer than 10 of the %s samples remain; the marker in the max column is the largest latency recorded",
		strconv.FormatFloat(pct, 'f', decimals, 64), commas(n))
}

// nines maps a percentile to its "number of nines", -log10(1 - p/100):
// 0 → 0, 90 → 1, 99 → 2, 99.9 → 3. On this axis the tail gets as much room
// as the body, which is where registries differ.
func nines(pct float64) float64 { return -math.Log10(1 - pct/100) }

// LatencyPercentiles draws each curve with percentile on a nines axis and
// latency on a log axis labelled in scaled time units, and each curve's
// maximum in a "max" column at the right.
func LatencyPercentiles(f PercentileFigure) (*plot.Plot, error) {
	const name = "percentile figure"
	if len(f.Curves) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	scale, err := unitNs(f.Unit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	title := orDefault(f.Title, "Latency by percentile")
	if f.Kind != "" {
		title += " (" + f.Kind + ")"
	}
	p := newPlot(title, "percentile", "latency (log scale)")
	useLogY(p, durationLabel(scale))
	maxN := 1.0
	var series []Series
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
		if c.Max != 0 {
			if err := checkValue(c.Max, true); err != nil {
				return nil, fmt.Errorf("%s: curve %q max: %w", name, c.Name, err)
			}
		}
		series = append(series, s)
	}
	maxCol := math.Ceil(maxN) + 0.6
	hasMax := false
	for i, s := range series {
		line, err := plotter.NewLine(xys(s.X, s.Y))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line.Color = paletteColor(i)
		line.Width = vg.Points(1.5)
		line.Dashes = plotutil.Dashes(i)
		p.Add(line)
		if m := f.Curves[i].Max; m > 0 {
			hasMax = true
			// Spread the registries' max markers a little so equal
			// maxima do not hide each other.
			x := maxCol + 0.12*(float64(i)-float64(len(series)-1)/2)
			mark, err := plotter.NewScatter(plotter.XYs{{X: x, Y: m}})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			mark.Color = paletteColor(i)
			mark.Shape = plotutil.Shape(i)
			mark.Radius = vg.Points(3.5)
			p.Add(mark)
			p.Legend.Add(fmt.Sprintf("%s (max %s)", s.Name, durationLabel(scale)(m)), line, mark)
			continue
		}
		p.Legend.Add(s.Name, line)
	}
	var ticks plot.ConstantTicks
	labels := []string{"0", "90", "99", "99.9", "99.99", "99.999", "99.9999", "99.99999"}
	for k := 0; k <= int(math.Ceil(maxN)) && k < len(labels); k++ {
		ticks = append(ticks, plot.Tick{Value: float64(k), Label: labels[k]})
	}
	p.X.Min, p.X.Max = 0, math.Ceil(maxN)+0.1
	if hasMax {
		ticks = append(ticks, plot.Tick{Value: maxCol, Label: "max"})
		p.X.Max = maxCol + 0.4
		p.Add(&rule{vertical: true, at: math.Ceil(maxN) + 0.25, style: draw.LineStyle{Color: color.Gray{Y: 160}, Width: vg.Points(0.8)}})
	}
	p.X.Tick.Marker = ticks
	padLogY(p)
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
	p.Legend.Add(fmt.Sprintf("%s %s in %d partitions (seed skew %.3f)", commas(stats.Total), unit, stats.Partitions, stats.SeedSkew), bars)
	lines := []struct {
		label string
		v     float64
		dash  []vg.Length
		color color.Color
	}{
		{fmt.Sprintf("mean %.1f", stats.Mean), stats.Mean, nil, color.Gray{Y: 40}},
		{fmt.Sprintf("ideal hash E[max] %.1f", ideal.ExpectedMax), ideal.ExpectedMax, referenceStyles[0].Dashes, referenceStyles[0].Color},
		{fmt.Sprintf("ideal hash E[min] %.1f", ideal.ExpectedMin), ideal.ExpectedMin, referenceStyles[1].Dashes, referenceStyles[1].Color},
	}
	for _, l := range lines {
		st := draw.LineStyle{Color: l.color, Width: vg.Points(1.3), Dashes: l.dash}
		r := &rule{at: l.v, label: l.label, style: st, text: labelStyle(l.color)}
		p.Add(r)
		p.Legend.Add(l.label, r)
	}
	p.Y.Min = 0
	p.Y.Max = 1.08 * math.Max(p.Y.Max, ideal.ExpectedMax)
	p.X.Min, p.X.Max = -0.6, float64(len(f.Counts))-0.4
	p.X.Tick.Marker = linearTicks(intLabel)
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
	return p, nil
}

// BarSeries is one registry's value in each group.
type BarSeries struct {
	Name   string
	Values []float64 // one per group, >= 0
	// Low and High, when given (one per group each), are each value's
	// interval over repetitions, drawn as error bars.
	Low, High []float64
}

// GroupedBarFigure compares registries across scenarios: one row per
// scenario (named as the scenario is), one marker per registry.
type GroupedBarFigure struct {
	Title  string // default "Throughput by registry and scenario"
	YLabel string // the value axis' label; default "throughput (ops/s)"; say "ratio to sync.Map" for ratios
	Groups []string
	Bars   []BarSeries
}

// CompareRegistries draws a GroupedBarFigure as a dot plot: groups are
// rows labelled with their full names (long scenario names fit; tilted
// or shortened column labels would not), each registry a marker with its
// interval. The value axis is logarithmic when values span more than a
// decade, so a slow peer does not flatten the others against zero.
func CompareRegistries(f GroupedBarFigure) (*plot.Plot, error) {
	const name = "registry comparison"
	if len(f.Groups) == 0 || len(f.Bars) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	var all []float64
	for _, b := range f.Bars {
		if len(b.Values) != len(f.Groups) {
			return nil, fmt.Errorf("%s: %q has %d values for %d groups: %w", name, b.Name, len(b.Values), len(f.Groups), ErrInvalidData)
		}
		if (len(b.Low) != 0 || len(b.High) != 0) && (len(b.Low) != len(b.Values) || len(b.High) != len(b.Values)) {
			return nil, fmt.Errorf("%s: %q has %d values but %d low and %d high bounds: %w", name, b.Name, len(b.Values), len(b.Low), len(b.High), ErrInvalidData)
		}
		for j, v := range b.Values {
			if err := checkValue(v, false); err != nil || v < 0 {
				return nil, fmt.Errorf("%s: %q value %d is %v: %w", name, b.Name, j, v, ErrInvalidData)
			}
			if len(b.Low) > 0 && !(b.Low[j] <= v && v <= b.High[j]) {
				return nil, fmt.Errorf("%s: %q value %d (%v) outside its interval [%v, %v]: %w", name, b.Name, j, v, b.Low[j], b.High[j], ErrInvalidData)
			}
		}
		all = append(all, b.Values...)
	}
	logX := spansDecades(all)
	if logX {
		for _, v := range all {
			if v <= 0 {
				logX = false // a zero cannot sit on a log axis; stay linear
			}
		}
	}
	xLabel := orDefault(f.YLabel, "throughput (ops/s)")
	if logX {
		xLabel += ", log scale"
	}
	p := newPlot(orDefault(f.Title, "Throughput by registry and scenario"), xLabel, "")
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks(formatSI)
	}
	// Groups read top to bottom in the order given.
	n := len(f.Groups)
	rows := make([]string, n)
	for i, g := range f.Groups {
		rows[n-1-i] = g
	}
	p.NominalY(rows...)
	p.Y.Label.Text = "scenario"
	spread := 0.6 / float64(len(f.Bars))
	for i, b := range f.Bars {
		pts := make(plotter.XYs, n)
		for j, v := range b.Values {
			pts[j] = plotter.XY{X: v, Y: float64(n-1-j) + spread*(float64(len(f.Bars)-1)/2-float64(i))}
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		sc.Color = paletteColor(i)
		sc.Shape = plotutil.Shape(i)
		sc.Radius = vg.Points(3.5)
		p.Add(sc)
		p.Legend.Add(b.Name, sc)
		if len(b.Low) > 0 {
			bars, err := plotter.NewXErrorBars(interval{XYs: pts, low: b.Low, high: b.High})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			bars.Color = paletteColor(i)
			bars.Width = vg.Points(1)
			bars.CapWidth = vg.Points(4)
			p.Add(bars)
		}
	}
	if logX {
		p.X.Min /= 1.5
		p.X.Max *= 1.5
	} else {
		p.X.Min = 0
		p.X.Max *= 1.05
	}
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	p.Legend.Left = false
	return p, nil
}
