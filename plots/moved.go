package plots

import (
	"fmt"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// MovedFigure is the fraction of keys that change partition when a
// partitioner grows from n to n+1 partitions, one line per partitioner.
type MovedFigure struct {
	Title string // default "Keys moved growing n → n+1"
	// Keys is how many keys were placed; when > 0 it is appended to the
	// title, as on every skew figure.
	Keys int64
	// Partitioners: X = partition count n, Y = fraction of keys moved
	// (both > 0: the axes are logarithmic).
	Partitioners []Series
}

// KeysMoved draws a MovedFigure on log-log axes, ticks at the measured
// partition counts, with theory beside it: 1/(n+1) for consistent schemes
// and 1/2 for a multiply-shift reduction (hashmod).
func KeysMoved(f MovedFigure) (*plot.Plot, error) {
	const name = "moved figure"
	if len(f.Partitioners) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoData)
	}
	var xs []float64
	for i, s := range f.Partitioners {
		if err := checkSeries(name, i, s, axisNeeds{logX: true, logY: true}); err != nil {
			return nil, err
		}
		xs = append(xs, s.X...)
	}
	title := orDefault(f.Title, "Keys moved growing n → n+1")
	if f.Keys > 0 && !strings.Contains(title, commas(f.Keys)) {
		title += fmt.Sprintf(" (%s keys)", commas(f.Keys))
	}
	p := newPlot(title, "partitions n (log scale)", "fraction of keys moved (log scale)")
	useLogX(p, xs, intLabel)
	useLogY(p, formatSI)
	for i, s := range f.Partitioners {
		if err := addLinePoints(p, i, s); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	ns := slices.Clone(xs)
	slices.Sort(ns)
	ns = slices.Compact(ns)
	var cons, half plotter.XYs
	for _, n := range ns {
		cons = append(cons, plotter.XY{X: n, Y: 1 / (n + 1)})
		half = append(half, plotter.XY{X: n, Y: 0.5})
	}
	for i, t := range []struct {
		name string
		xy   plotter.XYs
	}{{"theory 1/(n+1) (consistent schemes)", cons}, {"theory 1/2 (hashmod)", half}} {
		l, err := plotter.NewLine(t.xy)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		l.LineStyle = referenceStyles[(i+1)%len(referenceStyles)]
		p.Add(l)
		p.Legend.Add(t.name, l)
	}
	padLogX(p)
	padLogY(p)
	return p, nil
}
