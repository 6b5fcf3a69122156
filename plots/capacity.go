package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PartitionLatencyFigure is the capacity model's predicted latency
// against the partition count, one line per core count, with each line's
// knee marked: the partition count from which the hottest partition lock
// is no longer the bottleneck.
type PartitionLatencyFigure struct {
	Title string // default "Predicted p99 vs partitions"
	Kind  string // which latency, appended to the title
	Unit  string // y unit; default "µs"
	// Lines: X = partitions, Y = p99 in Unit (> 0: log axes).
	Lines []Series
	// Knees[i] is line i's knee (a partition count among its X), 0 for
	// none; KneeLabel says what it means (e.g. "hottest lock ≤ 50 % busy").
	Knees      []float64
	KneeLabel  string
	References []Reference
}

// P99VsPartitions draws a PartitionLatencyFigure on log2 partitions and a
// logarithmic latency axis; each knee is a large open circle on its line.
func P99VsPartitions(f PartitionLatencyFigure) (*plot.Plot, error) {
	const name = "p99 vs partitions figure"
	if len(f.Lines) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	if f.Knees != nil && len(f.Knees) != len(f.Lines) {
		return nil, fmt.Errorf("%s: %d knees for %d lines: %w", name, len(f.Knees), len(f.Lines), ErrInvalidData)
	}
	title := orDefault(f.Title, "Predicted p99 vs partitions")
	if f.Kind != "" {
		title += " (" + f.Kind + ")"
	}
	p := newPlot(title, "partitions (log2 scale)", fmt.Sprintf("p99 latency (%s, log scale)", orDefault(f.Unit, "µs")))
	useLogX(p, log2Ticks)
	useLogY(p)
	var knees plotter.XYs
	for i, s := range f.Lines {
		if err := checkSeries(name, i, s, axisNeeds{logX: true, logY: true}); err != nil {
			return nil, err
		}
		if err := addLinePoints(p, i, s); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if f.Knees == nil || f.Knees[i] == 0 {
			continue
		}
		j := -1
		for k, x := range s.X {
			if x == f.Knees[i] {
				j = k
			}
		}
		if j < 0 {
			return nil, fmt.Errorf("%s: knee %g of %q is not one of its partition counts: %w", name, f.Knees[i], s.Name, ErrInvalidData)
		}
		knees = append(knees, plotter.XY{X: s.X[j], Y: s.Y[j]})
	}
	entries := len(f.Lines) + len(f.References)
	if len(knees) > 0 {
		sc, err := plotter.NewScatter(knees)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		sc.Shape = draw.RingGlyph{}
		sc.Radius = vg.Points(7)
		sc.Color = color.Black
		p.Add(sc)
		p.Legend.Add(orDefault(f.KneeLabel, "knee"), sc)
		entries++
	}
	if err := addReferences(p, f.References, true); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	legendHeadroom(p, entries, true)
	return p, nil
}

// AgreementFigure compares predictions with measurements: one scatter
// group per kind of cell (X = measured, Y = predicted, both > 0), the
// line of agreement y = x and a band of ±Band around it.
type AgreementFigure struct {
	Title  string // default "Model vs measured"
	Metric string // e.g. "p99 latency (µs)"
	Groups []Series
	Band   float64 // e.g. 0.3 for ±30 %; 0 draws none
}

// ModelVsMeasured draws an AgreementFigure on log-log axes.
func ModelVsMeasured(f AgreementFigure) (*plot.Plot, error) {
	const name = "model vs measured figure"
	if len(f.Groups) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	metric := orDefault(f.Metric, "value")
	p := newPlot(orDefault(f.Title, "Model vs measured"), "measured "+metric+" (log scale)", "predicted "+metric+" (log scale)")
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks
	useLogY(p)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, g := range f.Groups {
		if err := checkSeries(name, i, g, axisNeeds{logX: true, logY: true}); err != nil {
			return nil, err
		}
		sc, err := plotter.NewScatter(xys(g.X, g.Y))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		sc.Color = plotutil.Color(i)
		sc.Shape = plotutil.Shape(i)
		p.Add(sc)
		p.Legend.Add(g.Name, sc)
		for j := range g.X {
			lo, hi = math.Min(lo, math.Min(g.X[j], g.Y[j])), math.Max(hi, math.Max(g.X[j], g.Y[j]))
		}
	}
	lo, hi = lo/1.5, hi*1.5
	diag := func(k float64, label string, dashes []vg.Length) error {
		l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo * k}, {X: hi, Y: hi * k}})
		if err != nil {
			return err
		}
		l.Color = color.Gray{Y: 60}
		l.Dashes = dashes
		p.Add(l)
		if label != "" {
			p.Legend.Add(label, l)
		}
		return nil
	}
	entries := len(f.Groups) + 1
	if err := diag(1, "model = measured", nil); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if f.Band > 0 && f.Band < 1 {
		dash := []vg.Length{vg.Points(4), vg.Points(3)}
		if err := diag(1+f.Band, fmt.Sprintf("±%.0f %%", 100*f.Band), dash); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := diag(1-f.Band, "", dash); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		entries++
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	legendHeadroom(p, entries, true)
	return p, nil
}

// FormatMicros writes a duration in µs for a legend: "100 µs", "2.5 ms".
func FormatMicros(us float64) string {
	if us >= 1000 {
		return fmt.Sprintf("%g ms", roundSig(us/1000))
	}
	return fmt.Sprintf("%g µs", roundSig(us))
}
