package plots

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/shardlab/shardlab/internal/atomicfile"
)

// Sentinel errors; builders wrap them with the figure and series at fault.
var (
	// ErrNoData: a figure was asked for with nothing to draw. Builders
	// refuse rather than return an empty plot that looks like a result.
	ErrNoData = errors.New("plots: no data")
	// ErrInvalidData: mismatched lengths, NaN or infinite values, or
	// non-positive values on a logarithmic axis.
	ErrInvalidData = errors.New("plots: invalid data")
)

// Figure size used by Save and the golden tests: wide enough for a legend
// beside six lines, and the aspect ratio of a paper column figure.
const (
	FigureWidth  = 6 * vg.Inch
	FigureHeight = 4 * vg.Inch
	// PNGDPI makes PNGs sharp on screens and in printed reports; the
	// gonum default (96) looks blurry when a reviewer zooms in.
	PNGDPI = 150
)

// Series is one named line: Y against X, in the units the figure states.
type Series struct {
	Name string
	X, Y []float64
}

// Reference is a horizontal line at Value, e.g. a claim to compare with
// ("seed claim: p99 < 100 µs") or a goal.
type Reference struct {
	Name  string
	Value float64
}

// Save writes p to pathWithoutExt + "." + format for each format ("png",
// "svg"; both when none are given) at FigureWidth × FigureHeight. Each
// file is written to a temporary file in the same directory and renamed
// into place, so a reader never sees a half-written figure and a failed
// run leaves the previous one intact.
func Save(p *plot.Plot, pathWithoutExt string, formats ...string) error {
	if p == nil {
		return fmt.Errorf("save: nil plot: %w", ErrNoData)
	}
	if len(formats) == 0 {
		formats = []string{"png", "svg"}
	}
	for _, format := range formats {
		format = strings.ToLower(strings.TrimPrefix(format, "."))
		w, err := render(p, format)
		if err != nil {
			return fmt.Errorf("save %s: %w", pathWithoutExt, err)
		}
		if err := atomicfile.WriteFrom(pathWithoutExt+"."+format, w); err != nil {
			return fmt.Errorf("save %s: %w", pathWithoutExt, err)
		}
	}
	return nil
}

func render(p *plot.Plot, format string) (io.WriterTo, error) {
	switch format {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(FigureWidth, FigureHeight), vgimg.UseDPI(PNGDPI))
		p.Draw(draw.New(c))
		return vgimg.PngCanvas{Canvas: c}, nil
	case "svg":
		return p.WriterTo(FigureWidth, FigureHeight, "svg")
	}
	return nil, fmt.Errorf("format %q not supported (want png or svg)", format)
}

// newPlot returns a plot with the shared look: title, axis labels with
// units, a light grid, legend top-left.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	p.Legend.Left = true
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 220}
	grid.Horizontal.Color = color.Gray{Y: 220}
	p.Add(grid)
	return p
}

// axisNeeds says what an axis demands of its values.
type axisNeeds struct{ logX, logY bool }

func checkSeries(figure string, i int, s Series, need axisNeeds) error {
	if len(s.X) == 0 {
		return fmt.Errorf("%s: series %d %q: %w", figure, i, s.Name, ErrNoData)
	}
	if len(s.X) != len(s.Y) {
		return fmt.Errorf("%s: series %d %q has %d x and %d y values: %w", figure, i, s.Name, len(s.X), len(s.Y), ErrInvalidData)
	}
	for j := range s.X {
		if err := checkValue(s.X[j], need.logX); err != nil {
			return fmt.Errorf("%s: series %q x[%d]: %w", figure, s.Name, j, err)
		}
		if err := checkValue(s.Y[j], need.logY); err != nil {
			return fmt.Errorf("%s: series %q y[%d]: %w", figure, s.Name, j, err)
		}
	}
	return nil
}

func checkValue(v float64, logAxis bool) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("value %v: %w", v, ErrInvalidData)
	}
	if logAxis && v <= 0 {
		return fmt.Errorf("value %v on a log axis: %w", v, ErrInvalidData)
	}
	return nil
}

func xys(xs, ys []float64) plotter.XYs {
	pts := make(plotter.XYs, len(xs))
	for i := range xs {
		pts[i] = plotter.XY{X: xs[i], Y: ys[i]}
	}
	return pts
}

// addLinePoints draws s as a line with markers in the i-th palette style.
func addLinePoints(p *plot.Plot, i int, s Series) error {
	line, points, err := plotter.NewLinePoints(xys(s.X, s.Y))
	if err != nil {
		return err
	}
	line.Color = plotutil.Color(i)
	line.Width = vg.Points(1.5)
	points.Color = plotutil.Color(i)
	points.Shape = plotutil.Shape(i)
	p.Add(line, points)
	p.Legend.Add(s.Name, line, points)
	return nil
}

// addReferences draws each reference as a dashed horizontal line and
// stretches the y range to include it (a plotter.Function does not take
// part in autoscaling).
func addReferences(p *plot.Plot, refs []Reference, logY bool) error {
	for i, r := range refs {
		if err := checkValue(r.Value, logY); err != nil {
			return fmt.Errorf("reference %q: %w", r.Name, err)
		}
		v := r.Value
		f := plotter.NewFunction(func(float64) float64 { return v })
		f.Color = color.Gray{Y: 60}
		f.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		f.Width = vg.Points(1)
		if i > 0 {
			f.Dashes = plotutil.Dashes(i + 1)
		}
		p.Add(f)
		p.Legend.Add(r.Name, f)
		p.Y.Min = math.Min(p.Y.Min, v)
		p.Y.Max = math.Max(p.Y.Max, v)
	}
	return nil
}

// log2Ticks labels powers of two, the natural steps of a partition count.
var log2Ticks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	if min <= 0 || max <= 0 {
		return ticks
	}
	for e := math.Floor(math.Log2(min)); e <= math.Ceil(math.Log2(max)); e++ {
		v := math.Exp2(e)
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%g", v)})
	}
	return ticks
})

// logTicks labels decades, with minor ticks between; unlike
// plot.LogTicks it tolerates a non-positive range instead of panicking.
var logTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	if min <= 0 || max <= 0 {
		return nil
	}
	return plot.LogTicks{Prec: -1}.Ticks(min, max)
})

func useLogX(p *plot.Plot, ticks plot.Ticker) {
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = ticks
}

func useLogY(p *plot.Plot) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks
}

// siTicks labels a linear axis with SI suffixes (250k, 1.5M) instead of
// gonum's default exponent notation (2.5e+05), which reviewers misread.
var siTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = formatSI(ticks[i].Value)
		}
	}
	return ticks
})

func formatSI(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return fmt.Sprintf("%gG", roundSig(v/1e9))
	case a >= 1e6:
		return fmt.Sprintf("%gM", roundSig(v/1e6))
	case a >= 1e3:
		return fmt.Sprintf("%gk", roundSig(v/1e3))
	}
	return fmt.Sprintf("%g", roundSig(v))
}

// roundSig keeps 4 significant digits, hiding float noise like 0.30000000000000004.
func roundSig(v float64) float64 {
	if v == 0 {
		return 0
	}
	scale := math.Pow10(3 - int(math.Floor(math.Log10(math.Abs(v)))))
	return math.Round(v*scale) / scale
}

// legendHeadroom raises the top of the y axis so a top legend of entries
// lines sits above the data instead of on it. Each entry takes about 6 %
// of the plot height at FigureHeight; call it after all data is added.
func legendHeadroom(p *plot.Plot, entries int, logY bool) {
	f := math.Min(0.5, 0.06*float64(entries)+0.02)
	if logY {
		if p.Y.Min > 0 && p.Y.Max > 0 {
			decades := math.Log10(p.Y.Max / p.Y.Min)
			p.Y.Max *= math.Pow(10, decades*f/(1-f))
		}
		return
	}
	p.Y.Max = p.Y.Min + (p.Y.Max-p.Y.Min)/(1-f)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
