package plots

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"

	"github.com/shardlab/shardlab/analysis"
)

func labels(ticks []plot.Tick) []string {
	var out []string
	for _, t := range ticks {
		if t.Label != "" {
			out = append(out, t.Label)
		}
	}
	return out
}

// TestTickersLabelEnoughInOneNotation draws random ranges over many
// magnitudes and checks every ticker labels at least two ticks inside the
// range (four for linear axes), never in exponent notation, and only
// inside the range.
func TestTickersLabelEnoughInOneNotation(t *testing.T) {
	seed := uint64(20261201)
	rng := rand.New(rand.NewPCG(seed, 0))
	for i := range 2000 {
		lo := math.Pow(10, -4+10*rng.Float64())
		hi := lo * (1.05 + math.Pow(10, 6*rng.Float64()))
		for name, tk := range map[string]plot.Ticker{
			"linear SI":       linearTicks(formatSI),
			"log SI":          logTicks(formatSI),
			"log durations":   logTicks(durationLabel(1e3)),
			"linear integers": linearTicks(intLabel),
		} {
			if name == "linear integers" && hi-lo < 8 {
				continue // integer labels need integer steps
			}
			ticks := tk.Ticks(lo, hi)
			ls := labels(ticks)
			want := 2
			if strings.HasPrefix(name, "linear") {
				want = 4
			}
			if len(ls) < want {
				t.Fatalf("seed %d case %d: %s ticks on [%g, %g] label %d (%v), want >= %d", seed, i, name, lo, hi, len(ls), ls, want)
			}
			for _, tick := range ticks {
				if tick.Value < lo*(1-1e-9) || tick.Value > hi*(1+1e-9) {
					t.Fatalf("seed %d case %d: %s tick %g outside [%g, %g]", seed, i, name, tick.Value, lo, hi)
				}
			}
			for _, l := range ls {
				if strings.ContainsAny(l, "eE+") {
					t.Fatalf("seed %d case %d: %s label %q is in exponent notation", seed, i, name, l)
				}
			}
		}
	}
}

func TestLinearTicksFourToEight(t *testing.T) {
	for _, r := range [][2]float64{{0, 186}, {0, 2.2e6}, {0, 1}, {0, 0.007}, {120, 190}, {1, 60}} {
		n := len(labels(linearTicks(formatSI).Ticks(r[0], r[1])))
		if n < 4 || n > 9 {
			t.Errorf("linear ticks on %v: %d labels, want 4..9", r, n)
		}
	}
}

func TestLabels(t *testing.T) {
	cases := []struct {
		got, want string
	}{
		{formatSI(0), "0"},
		{formatSI(250_000), "250k"},
		{formatSI(1_500_000), "1.5M"},
		{formatSI(2e9), "2G"},
		{formatSI(0.25), "0.25"},
		{formatSI(1e6), "1M"},
		{durationLabel(1e3)(0.25), "250 ns"},
		{durationLabel(1e3)(1), "1 µs"},
		{durationLabel(1e3)(1500), "1.5 ms"},
		{durationLabel(1e3)(1e6), "1 s"},
		{durationLabel(1)(5), "5 ns"},
		{intLabel(4096), "4096"},
		{commas(10_000), "10,000"},
		{commas(-1234567), "-1,234,567"},
		{trimNum(0.30000000000000004), "0.3"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("label %q, want %q", c.got, c.want)
		}
	}
	if _, err := unitNs("furlongs"); !errors.Is(err, ErrInvalidData) {
		t.Errorf("unitNs(furlongs) error = %v, want ErrInvalidData", err)
	}
}

func TestValueTicksSitOnTheData(t *testing.T) {
	ticks := valueTicks([]float64{100, 1, 2, 2, 4}, intLabel).Ticks(1, 100)
	if got := strings.Join(labels(ticks), ","); got != "1,2,4,100" {
		t.Errorf("value ticks %q, want 1,2,4,100", got)
	}
}

func TestUSLFitUsable(t *testing.T) {
	for _, c := range []struct {
		fit analysis.USLFit
		ok  bool
	}{
		{analysis.USLFit{Sigma: 0.1, Kappa: 1e-4, RSquared: 0.99}, true},
		{analysis.USLFit{Sigma: 1.03, Kappa: 0, RSquared: 0.99}, false},
		{analysis.USLFit{Sigma: 0.1, Kappa: -1e-3, RSquared: 0.99}, false},
		{analysis.USLFit{Sigma: 0.1, Kappa: 0, RSquared: 0.45}, false},
		{analysis.USLFit{Sigma: math.NaN(), RSquared: 0.99}, false},
	} {
		if ok, why := USLFitUsable(c.fit); ok != c.ok || (!ok && why == "") {
			t.Errorf("USLFitUsable(%+v) = %v %q, want %v with a reason when false", c.fit, ok, why, c.ok)
		}
	}
}

func TestLegendSitsBelowThePlot(t *testing.T) {
	p, err := figureCases()[1].build(t)
	if err != nil {
		t.Fatal(err)
	}
	w, h := figureSize(p)
	if w != FigureWidth || h <= FigureHeight {
		t.Errorf("figure with a legend is %v × %v, want %v wide and taller than %v", w, h, FigureWidth, FigureHeight)
	}
	if p.Legend.Rectangle(drawCanvasZero()).Size().Y == 0 {
		t.Error("legend is empty")
	}
}

func drawCanvasZero() (c draw.Canvas) { return c }

// TestReferenceFarBeyondDataIsNotToScale: a target a hundred times above
// every measurement is named at the edge, not drawn to scale, so the data
// keeps the axis (a 100 µs target over sub-µs p99s squeezed them before).
func TestReferenceFarBeyondDataIsNotToScale(t *testing.T) {
	w := []float64{1, 2, 8}
	p, err := P99VsWorkers(LatencyFigure{Lines: []Series{{Name: "a", X: w, Y: []float64{0.4, 0.5, 0.9}}},
		References: []Reference{{Name: "target 100 µs", Value: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Y.Max >= 10 {
		t.Errorf("y axis reaches %v µs for data up to 0.9 µs: the far reference was drawn to scale", p.Y.Max)
	}
	near, err := P99VsWorkers(LatencyFigure{Lines: []Series{{Name: "a", X: w, Y: []float64{20, 30, 40}}},
		References: []Reference{{Name: "target 100 µs", Value: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	if near.Y.Max < 100 {
		t.Errorf("y axis stops at %v µs: a reference within range was not drawn", near.Y.Max)
	}
}

func TestCurveCutoffNamesThePercentile(t *testing.T) {
	for n, want := range map[int64]string{47_790: "p99.98", 100_000: "p99.99", 1_000: "p99", 200: "p95"} {
		if got := CurveCutoff(n); !strings.Contains(got, "stop at "+want+",") {
			t.Errorf("CurveCutoff(%d) = %q, want it to stop at %s", n, got, want)
		}
	}
}
