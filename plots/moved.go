package plots

import (
	"fmt"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// MovedFigure is the fraction of keys that change partition when a
// partitioner grows from n to n+1 partitions, one line per partitioner.
type MovedFigure struct {
	Title string // default "Keys moved growing n → n+1"
	// Partitioners: X = partition count n, Y = fraction of keys moved
	// (both > 0: the axes are logarithmic).
	Partitioners []Series
}

// KeysMoved draws a MovedFigure on log-log axes with theory beside it:
// 1/(n+1) for consistent schemes and 1/2 for a multiply-shift reduction
// (hashmod), over the partition counts measured.
func KeysMoved(f MovedFigure) (*plot.Plot, error) {
	const name = "moved figure"
	if len(f.Partitioners) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	p := plot.New()
	p.Title.Text = orDefault(f.Title, "Keys moved growing n → n+1")
	p.X.Label.Text = "partitions n (log scale)"
	p.Y.Label.Text = "fraction of keys moved (log scale)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = false, true
	var ns []float64
	for i, s := range f.Partitioners {
		if err := checkSeries(name, i, s, axisNeeds{logX: true, logY: true}); err != nil {
			return nil, err
		}
		if err := addLinePoints(p, i, s); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, x := range s.X {
			if !slices.Contains(ns, x) {
				ns = append(ns, x)
			}
		}
	}
	slices.Sort(ns)
	var cons, half plotter.XYs
	for _, n := range ns {
		cons = append(cons, plotter.XY{X: n, Y: 1 / (n + 1)})
		half = append(half, plotter.XY{X: n, Y: 0.5})
	}
	for _, t := range []struct {
		name string
		xy   plotter.XYs
		dash []vg.Length
	}{{"theory 1/(n+1)", cons, []vg.Length{vg.Points(4), vg.Points(2)}}, {"theory 1/2 (hashmod)", half, []vg.Length{vg.Points(1), vg.Points(2)}}} {
		l, err := plotter.NewLine(t.xy)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		l.Dashes, l.Width = t.dash, vg.Points(1.2)
		p.Add(l)
		p.Legend.Add(t.name, l)
	}
	return p, nil
}
