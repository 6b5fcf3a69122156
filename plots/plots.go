package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

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
// Low and High, when given (both, one per point), are each point's
// interval (e.g. the range or a 95 % interval over repetitions), drawn
// as error bars; Low[i] <= Y[i] <= High[i].
type Series struct {
	Name      string
	X, Y      []float64
	Low, High []float64
}

// Reference is a horizontal line at Value, e.g. a claim to compare with
// ("seed claim: p99 < 100 µs") or a goal. It is drawn in a colour and
// dash pattern of its own and labelled on the figure.
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
	w, h := figureSize(p)
	switch format {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(PNGDPI))
		drawFigure(p, draw.New(c))
		return vgimg.PngCanvas{Canvas: c}, nil
	case "svg":
		c := vgsvg.New(w, h)
		drawFigure(p, draw.New(c))
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return nil, err
		}
		return bytes.NewReader(webSVG(buf.Bytes())), nil
	}
	return nil, fmt.Errorf("format %q not supported (want png or svg)", format)
}

// legendGap separates the legend from the x axis label above it.
const legendGap = 0.12 * vg.Inch

// figureSize is the size p is drawn at: FigureWidth by FigureHeight for
// the plot, plus room for its legend under it. A legend under the plot
// never covers data, and the data area keeps its height whatever the
// number of lines.
func figureSize(p *plot.Plot) (vg.Length, vg.Length) {
	h := p.Legend.Rectangle(draw.Canvas{}).Size().Y
	if h > 0 {
		h += legendGap
	}
	return FigureWidth, FigureHeight + h
}

// drawFigure draws p onto c, which figureSize sized: the plot on top,
// its legend below, aligned with the left edge of the data area.
//
// It draws the y axis label itself, centred on the data area: gonum
// places it at the arithmetic middle of the range, which on a log axis
// sits near the top and pushes the whole plot down to make room.
func drawFigure(p *plot.Plot, c draw.Canvas) {
	leg, yLabel := p.Legend, p.Y.Label.Text
	p.Legend = plot.NewLegend()
	p.Y.Label.Text = ""
	defer func() { p.Legend, p.Y.Label.Text = leg, yLabel }()

	legendH := leg.Rectangle(draw.Canvas{}).Size().Y
	if legendH > 0 {
		legendH += legendGap
	}
	var labelW vg.Length
	sty := p.Y.Label.TextStyle
	if yLabel != "" {
		labelW = sty.Height(yLabel) + vg.Points(6)
	}
	top := draw.Crop(c, labelW, 0, legendH, -vg.Points(4))
	p.Draw(top)
	data := p.DataCanvas(top)
	if yLabel != "" {
		sty.Rotation = math.Pi / 2
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		c.FillText(sty, vg.Point{X: c.Min.X, Y: (data.Min.Y + data.Max.Y) / 2}, yLabel)
	}
	if legendH == 0 {
		return
	}
	leg.Top, leg.Left = true, true
	leg.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: data.Min.X, Y: c.Min.Y},
		Max: vg.Point{X: c.Max.X, Y: c.Min.Y + legendH - legendGap/2},
	}})
}

// sansFont is the figures' typeface: Liberation Sans, which gonum/plot
// bundles (so PNGs look the same on every machine) and which has the
// metrics of Arial and Helvetica, the page's own sans-serif fonts.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// webSVG makes gonum's SVG output fit a web page: the font falls back to
// the metric-compatible Arial/Helvetica where Liberation Sans is not
// installed (an SVG names its font rather than embedding it).
func webSVG(svg []byte) []byte {
	return bytes.ReplaceAll(svg, []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
}

// paletteColor is the i-th series colour.
func paletteColor(i int) color.Color { return plotutil.Color(i) }

// newPlot returns a plot with the shared look: sans-serif text, title,
// axis labels with units, a light grid, legend top-left, and linear axes
// labelled in plain SI notation.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Title.TextStyle.Font = font.From(sansFont, 12)
	p.Title.Padding = vg.Points(8)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sansFont, 11)
		ax.Tick.Label.Font = font.From(sansFont, 10)
		ax.Tick.Marker = linearTicks(formatSI)
	}
	p.Legend.TextStyle.Font = font.From(sansFont, 10)
	p.Legend.Top = true
	p.Legend.Left = true
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 225}
	grid.Horizontal.Color = color.Gray{Y: 225}
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
	if len(s.Low) != 0 || len(s.High) != 0 {
		if len(s.Low) != len(s.Y) || len(s.High) != len(s.Y) {
			return fmt.Errorf("%s: series %d %q has %d values but %d low and %d high bounds: %w", figure, i, s.Name, len(s.Y), len(s.Low), len(s.High), ErrInvalidData)
		}
		for j := range s.Y {
			if err := checkValue(s.Low[j], need.logY); err != nil {
				return fmt.Errorf("%s: series %q low[%d]: %w", figure, s.Name, j, err)
			}
			if err := checkValue(s.High[j], need.logY); err != nil {
				return fmt.Errorf("%s: series %q high[%d]: %w", figure, s.Name, j, err)
			}
			if !(s.Low[j] <= s.Y[j] && s.Y[j] <= s.High[j]) {
				return fmt.Errorf("%s: series %q point %d: %v outside its interval [%v, %v]: %w", figure, s.Name, j, s.Y[j], s.Low[j], s.High[j], ErrInvalidData)
			}
		}
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

// addLinePoints draws s as a line with markers in the i-th palette
// style, with its error bars when it has an interval.
func addLinePoints(p *plot.Plot, i int, s Series) error {
	line, points, err := plotter.NewLinePoints(xys(s.X, s.Y))
	if err != nil {
		return err
	}
	line.Color = paletteColor(i)
	line.Width = vg.Points(1.5)
	points.Color = paletteColor(i)
	points.Shape = plotutil.Shape(i)
	p.Add(line, points)
	p.Legend.Add(s.Name, line, points)
	return addErrorBars(p, i, s)
}

// useLogX puts x on a log scale with ticks at the given values (the
// counts the data was measured at), or at round numbers when none.
func useLogX(p *plot.Plot, at []float64, label labelFunc) {
	p.X.Scale = plot.LogScale{}
	if len(at) > 0 {
		p.X.Tick.Marker = valueTicks(at, label)
		return
	}
	p.X.Tick.Marker = logTicks(label)
}

// useLogY puts y on a log scale labelled by label.
func useLogY(p *plot.Plot, label labelFunc) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks(label)
}

// spansDecades says whether positive values range over more than a
// factor of ten, where a linear axis would crush the small ones.
func spansDecades(vs []float64) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		if v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return hi/lo > 10
}

// padLogX widens a log x axis by a few percent each side so the end
// markers and their labels are not cut by the frame.
func padLogX(p *plot.Plot) {
	if p.X.Min > 0 && p.X.Max > 0 {
		p.X.Min /= 1.08
		p.X.Max *= 1.08
	}
}

// padLogY does the same for a log y axis.
func padLogY(p *plot.Plot) {
	if p.Y.Min > 0 && p.Y.Max > 0 {
		p.Y.Min /= 1.15
		p.Y.Max *= 1.15
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
