package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// referenceStyles tell references apart by colour and dash pattern both,
// so two of them never look alike in colour or in greyscale print.
var referenceStyles = []draw.LineStyle{
	{Color: color.NRGBA{R: 200, G: 30, B: 30, A: 255}, Width: vg.Points(1.3), Dashes: []vg.Length{vg.Points(7), vg.Points(3)}},
	{Color: color.NRGBA{R: 30, G: 30, B: 30, A: 255}, Width: vg.Points(1.3), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}},
	{Color: color.NRGBA{R: 120, G: 60, B: 170, A: 255}, Width: vg.Points(1.3), Dashes: []vg.Length{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}},
	{Color: color.NRGBA{R: 0, G: 120, B: 120, A: 255}, Width: vg.Points(1.3), Dashes: []vg.Length{vg.Points(3), vg.Points(5)}},
}

// coreStyle marks the machine's core count on scaling figures: beyond
// it, added workers share cores and measure the scheduler.
var coreStyle = draw.LineStyle{Color: color.NRGBA{R: 230, G: 120, B: 0, A: 255}, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(1.5), vg.Points(2.5)}}

// rule is a line across the whole data area at one x (vertical) or one
// y (horizontal), labelled at its end inside the plot, so the reader
// need not match dash patterns against the legend.
type rule struct {
	vertical bool
	left     bool // label a horizontal rule at its left end
	at       float64
	label    string
	style    draw.LineStyle
	text     text.Style
}

// Plot implements plot.Plotter.
func (r *rule) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	ts := r.text
	if r.vertical {
		x := trX(r.at)
		if x < c.Min.X || x > c.Max.X {
			return
		}
		c.StrokeLine2(r.style, x, c.Min.Y, x, c.Max.Y)
		if r.label == "" {
			return
		}
		// The label sits across the top of the rule, on its right, where
		// scaling curves (low at few workers) leave room.
		ts.XAlign, ts.YAlign = draw.XLeft, draw.YTop
		w, h := ts.Width(r.label), ts.Height(r.label)
		at := vg.Point{X: x + vg.Points(3), Y: c.Max.Y - vg.Points(2)}
		labelBox(c, vg.Rectangle{Min: vg.Point{X: at.X, Y: at.Y - h}, Max: vg.Point{X: at.X + w, Y: at.Y}})
		c.FillText(ts, at, r.label)
		return
	}
	y := trY(r.at)
	if y < c.Min.Y || y > c.Max.Y {
		return
	}
	c.StrokeLine2(r.style, c.Min.X, y, c.Max.X, y)
	if r.label == "" {
		return
	}
	w, h := ts.Width(r.label), ts.Height(r.label)
	// Labels alternate between the right and left ends, so two close
	// references do not print over each other.
	at := vg.Point{X: c.Max.X - vg.Points(3), Y: y + vg.Points(1.5)}
	ts.XAlign, ts.YAlign = draw.XRight, draw.YBottom
	box := vg.Rectangle{Min: vg.Point{X: at.X - w, Y: at.Y}, Max: vg.Point{X: at.X, Y: at.Y + h}}
	if r.left {
		at.X = c.Min.X + vg.Points(3)
		ts.XAlign = draw.XLeft
		box = vg.Rectangle{Min: vg.Point{X: at.X, Y: at.Y}, Max: vg.Point{X: at.X + w, Y: at.Y + h}}
	}
	labelBox(c, box)
	c.FillText(ts, at, r.label)
}

// labelBox whitens the area behind a label so gridlines and data lines
// do not run through its letters.
func labelBox(c draw.Canvas, r vg.Rectangle) {
	c.SetColor(color.NRGBA{R: 255, G: 255, B: 255, A: 210})
	c.Fill(r.Path())
}

// Thumbnail implements plot.Thumbnailer, so a rule can have a legend entry.
func (r *rule) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(r.style, c.Min.X, y, c.Max.X, y)
}

func labelStyle(col color.Color) text.Style {
	return text.Style{Color: col, Font: font.From(sansFont, 9), Handler: plot.DefaultTextHandler}
}

// offScaleFactor: on a log axis, a reference more than this factor
// beyond the data is not drawn to scale (it would squeeze the data into a
// corner); a note at the edge names it instead.
const offScaleFactor = 10

// addReferences draws each reference as a labelled horizontal rule, in
// its own colour and dash pattern, and stretches the y range to include
// it, except on a log axis for a reference far beyond the data
// (offScaleFactor), which is noted at the edge it lies beyond.
func addReferences(p *plot.Plot, refs []Reference, logY bool) error {
	dataMin, dataMax := p.Y.Min, p.Y.Max
	for i, r := range refs {
		if err := checkValue(r.Value, logY); err != nil {
			return fmt.Errorf("reference %q: %w", r.Name, err)
		}
		st := referenceStyles[i%len(referenceStyles)]
		if logY && dataMax > 0 && dataMin > 0 && (r.Value > dataMax*offScaleFactor || r.Value < dataMin/offScaleFactor) {
			above := r.Value > dataMax
			p.Add(&offScale{label: r.Name, above: above, text: labelStyle(st.Color)})
			continue
		}
		p.Add(&rule{at: r.Value, label: r.Name, left: i%2 == 1, style: st, text: labelStyle(st.Color)})
		p.Y.Min = math.Min(p.Y.Min, r.Value)
		p.Y.Max = math.Max(p.Y.Max, r.Value)
	}
	return nil
}

// offScale notes a reference beyond the axis: "↑ seed target p99 < 100 µs
// (off scale)" at the top right, or "↓ …" at the bottom.
type offScale struct {
	label string
	above bool
	text  text.Style
}

// Plot implements plot.Plotter.
func (o *offScale) Plot(c draw.Canvas, _ *plot.Plot) {
	ts := o.text
	ts.XAlign = draw.XRight
	label := "↑ " + o.label + " (above this range)"
	at := vg.Point{X: c.Max.X - vg.Points(3), Y: c.Max.Y - vg.Points(2)}
	ts.YAlign = draw.YTop
	if !o.above {
		label = "↓ " + o.label + " (below this range)"
		at.Y = c.Min.Y + vg.Points(2)
		ts.YAlign = draw.YBottom
	}
	w, h := ts.Width(label), ts.Height(label)
	box := vg.Rectangle{Min: vg.Point{X: at.X - w, Y: at.Y - h}, Max: vg.Point{X: at.X, Y: at.Y}}
	if !o.above {
		box = vg.Rectangle{Min: vg.Point{X: at.X - w, Y: at.Y}, Max: vg.Point{X: at.X, Y: at.Y + h}}
	}
	labelBox(c, box)
	c.FillText(ts, at, label)
}

// addCoreMarker draws a labelled vertical rule at the core count and
// widens the x range to show it. cores <= 0 draws nothing.
func addCoreMarker(p *plot.Plot, cores int) {
	if cores <= 0 {
		return
	}
	v := float64(cores)
	p.Add(&rule{vertical: true, at: v, label: fmt.Sprintf("%d cores", cores), style: coreStyle, text: labelStyle(coreStyle.Color)})
	p.X.Min = math.Min(p.X.Min, v)
	p.X.Max = math.Max(p.X.Max, v)
}

// interval is a point's estimate with its interval, for error bars.
type interval struct {
	plotter.XYs
	low, high []float64 // absolute bounds
}

// YError implements plotter.YErrorer (errors relative to the point).
func (iv interval) YError(i int) (float64, float64) {
	return iv.XYs[i].Y - iv.low[i], iv.high[i] - iv.XYs[i].Y
}

// XError implements plotter.XErrorer for horizontal intervals.
func (iv interval) XError(i int) (float64, float64) {
	return iv.XYs[i].X - iv.low[i], iv.high[i] - iv.XYs[i].X
}

// addErrorBars draws s's interval [Low, High] at each point as a
// vertical bar in palette colour i. Series without Low/High draw nothing.
func addErrorBars(p *plot.Plot, i int, s Series) error {
	if len(s.Low) == 0 {
		return nil
	}
	bars, err := plotter.NewYErrorBars(interval{XYs: xys(s.X, s.Y), low: s.Low, high: s.High})
	if err != nil {
		return err
	}
	bars.Color = paletteColor(i)
	bars.Width = vg.Points(1)
	bars.CapWidth = vg.Points(4)
	p.Add(bars)
	return nil
}
