package plots

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"

	"github.com/shardlab/shardlab/analysis"
)

var (
	update = flag.Bool("update", false, "rewrite testdata/*.golden.svg")
	pngDir = flag.String("png", "", "also write each test figure as PNG into this directory, for looking at")
)

// Fixture data. Fixed seeds keep the goldens stable.

func idealSims(t *testing.T) []analysis.IdealSkewSimulation {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var sims []analysis.IdealSkewSimulation
	for _, n := range []int{4, 8, 16, 32, 64, 128, 256} {
		s, err := analysis.SimulateIdealSkew(rng, 10_000, n, 200)
		if err != nil {
			t.Fatal(err)
		}
		sims = append(sims, s)
	}
	return sims
}

func usl(lambda, sigma, kappa float64, ns []float64) []float64 {
	ys := make([]float64, len(ns))
	for i, n := range ns {
		ys[i] = lambda * n / (1 + sigma*(n-1) + kappa*n*(n-1))
	}
	return ys
}

func latencyHistogram(t *testing.T, seed uint64, scaleNs float64) *hdrhistogram.Histogram {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0))
	h := hdrhistogram.New(1, 10_000_000_000, 3)
	for range 100_000 {
		// Log-normal service time around scaleNs with a heavy-ish tail.
		if err := h.RecordValue(int64(scaleNs * math.Exp(0.6*rng.NormFloat64()))); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

type figureCase struct {
	name  string
	build func(t *testing.T) (*plot.Plot, error)
}

func figureCases() []figureCase {
	workers := []float64{1, 2, 4, 8, 16, 32, 64, 100}
	return []figureCase{
		{"keys_moved", func(t *testing.T) (*plot.Plot, error) {
			return KeysMoved(MovedFigure{
				Title: "Keys moved growing n → n+1, 10,000 keys",
				Partitioners: []Series{
					{Name: "hashmod", X: []float64{1, 2, 4, 8, 16}, Y: []float64{0.5, 0.5, 0.5, 0.5, 0.5}},
					{Name: "jump", X: []float64{1, 2, 4, 8, 16}, Y: []float64{0.5, 0.33, 0.2, 0.11, 0.059}},
				},
			})
		}},
		{"skew_vs_partitions", func(t *testing.T) (*plot.Plot, error) {
			return SkewVsPartitions(SkewFigure{
				Title: "Partition skew, 10,000 keys",
				Partitioners: []Series{
					{Name: "maphash", X: []float64{4, 8, 16, 32, 64, 128, 256}, Y: []float64{0.05, 0.09, 0.16, 0.24, 0.36, 0.52, 0.79}},
					{Name: "modulo of sequential IDs", X: []float64{4, 8, 16, 32, 64, 128, 256}, Y: []float64{0, 0, 0, 0.0003, 0.006, 0.012, 0.025}},
				},
				Ideal:      idealSims(t),
				References: []Reference{{Name: "seed claim (64 partitions): 0.18", Value: 0.18}},
			})
		}},
		{"p99_vs_workers", func(t *testing.T) (*plot.Plot, error) {
			return P99VsWorkers(LatencyFigure{
				Kind: "closed-loop service time",
				Lines: []Series{
					{Name: "P=1", X: workers, Y: []float64{0.4, 0.6, 1.1, 2.5, 6, 14, 30, 48}},
					{Name: "P=16", X: workers, Y: []float64{0.3, 0.35, 0.4, 0.6, 1.1, 2.2, 4.5, 7}},
					{Name: "P=64", X: workers, Y: []float64{0.3, 0.33, 0.37, 0.5, 0.9, 1.9, 3.8, 6}},
				},
				References: []Reference{{Name: "seed claim: p99 < 100 µs", Value: 100}},
			})
		}},
		{"throughput_vs_workers", func(t *testing.T) (*plot.Plot, error) {
			ns := []float64{1, 2, 4, 8, 16, 32, 64}
			var lines []ScalingSeries
			for i, sigma := range []float64{0.3, 0.02} {
				ys := usl(2e6, sigma, 2e-4, ns)
				rng := rand.New(rand.NewPCG(uint64(i), 9))
				for j := range ys {
					ys[j] *= 1 + 0.03*rng.NormFloat64()
				}
				pts := make([]analysis.ScalingPoint, len(ns))
				for j := range ns {
					pts[j] = analysis.ScalingPoint{N: ns[j], Throughput: ys[j]}
				}
				fit, err := analysis.FitUSL(pts)
				if err != nil {
					t.Fatal(err)
				}
				lines = append(lines, ScalingSeries{Name: []string{"P=1", "P=64"}[i], Workers: ns, Throughput: ys, Fit: &fit})
			}
			lines = append(lines, ScalingSeries{Name: "sync.Map (no fit)", Workers: ns, Throughput: usl(1.5e6, 0.05, 1e-3, ns)})
			return ThroughputVsWorkers(ScalingFigure{Lines: lines, FitUpTo: 100})
		}},
		{"latency_percentiles", func(t *testing.T) (*plot.Plot, error) {
			var curves []PercentileCurve
			for i, reg := range []struct {
				name string
				ns   float64
			}{{"sharded", 80}, {"global mutex", 300}, {"gen_server analogue", 2500}} {
				c, err := CurveFromHistogram(reg.name, latencyHistogram(t, uint64(i+1), reg.ns), 1e-3)
				if err != nil {
					t.Fatal(err)
				}
				curves = append(curves, c)
			}
			return LatencyPercentiles(PercentileFigure{Kind: "closed-loop service time", Curves: curves})
		}},
		{"partition_load", func(t *testing.T) (*plot.Plot, error) {
			rng := rand.New(rand.NewPCG(5, 5))
			counts := make([]int64, 64)
			for range 10_000 {
				counts[rng.IntN(64)]++
			}
			return PartitionLoad(LoadFigure{Title: "Load per partition: 10,000 servers, 64 partitions", Counts: counts})
		}},
		{"throughput_over_time", func(t *testing.T) (*plot.Plot, error) {
			xs := make([]float64, 60)
			a, b := make([]float64, 60), make([]float64, 60)
			for i := range xs {
				xs[i] = float64(i + 1)
				a[i] = 2.1e6 + 5e4*math.Sin(float64(i)/3)
				b[i] = 9.5e5 + 3e4*math.Cos(float64(i)/4)
			}
			return ThroughputOverTime(TimelineFigure{
				Title:      "Sustained mix (40/30/20/10), 100 workers",
				Lines:      []Series{{Name: "sharded P=64", X: xs, Y: a}, {Name: "global mutex", X: xs, Y: b}},
				References: []Reference{{Name: "seed claim: 81.5K ops/s", Value: 81_500}},
			})
		}},
		{"compare_registries", func(t *testing.T) (*plot.Plot, error) {
			return CompareRegistries(GroupedBarFigure{
				Groups: []string{"lookup", "register storm", "bind+route", "sustained"},
				Bars: []BarSeries{
					{Name: "sharded", Values: []float64{2.4e6, 1.1e6, 1.6e6, 1.9e6}},
					{Name: "xsync.Map", Values: []float64{2.3e6, 1.3e6, 1.2e6, 1.5e6}},
					{Name: "sync.Map", Values: []float64{1.7e6, 0.4e6, 0.9e6, 1.0e6}},
					{Name: "global mutex", Values: []float64{0.6e6, 0.5e6, 0.5e6, 0.5e6}},
				},
			})
		}},
	}
}

// TestFiguresGolden renders every figure to SVG (deterministic: no
// rasterising, fonts referenced not embedded) and compares it byte for
// byte with testdata/<name>.golden.svg.
func TestFiguresGolden(t *testing.T) {
	for _, fc := range figureCases() {
		t.Run(fc.name, func(t *testing.T) {
			p, err := fc.build(t)
			if err != nil {
				t.Fatal(err)
			}
			w, err := p.WriterTo(FigureWidth, FigureHeight, "svg")
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if _, err := w.WriteTo(&got); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", fc.name+".golden.svg")
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if *pngDir != "" {
				if err := Save(p, filepath.Join(*pngDir, fc.name), "png"); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run `go test ./plots -update` to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("SVG differs from %s; if the change is intended, rerun with -update and review the figure", path)
			}
			if title := p.Title.Text; title == "" || p.X.Label.Text == "" || p.Y.Label.Text == "" {
				t.Errorf("figure lacks a title or axis label: %q / %q / %q", title, p.X.Label.Text, p.Y.Label.Text)
			}
		})
	}
}

func TestFiguresRejectEmptyData(t *testing.T) {
	builds := map[string]func() (*plot.Plot, error){
		"skew":       func() (*plot.Plot, error) { return SkewVsPartitions(SkewFigure{}) },
		"p99":        func() (*plot.Plot, error) { return P99VsWorkers(LatencyFigure{}) },
		"throughput": func() (*plot.Plot, error) { return ThroughputVsWorkers(ScalingFigure{}) },
		"percentile": func() (*plot.Plot, error) { return LatencyPercentiles(PercentileFigure{}) },
		"load":       func() (*plot.Plot, error) { return PartitionLoad(LoadFigure{}) },
		"timeline":   func() (*plot.Plot, error) { return ThroughputOverTime(TimelineFigure{}) },
		"registries": func() (*plot.Plot, error) { return CompareRegistries(GroupedBarFigure{}) },
		"moved":      func() (*plot.Plot, error) { return KeysMoved(MovedFigure{}) },
		"empty series": func() (*plot.Plot, error) {
			return P99VsWorkers(LatencyFigure{Lines: []Series{{Name: "P=1"}}})
		},
	}
	for name, build := range builds {
		p, err := build()
		if !errors.Is(err, ErrNoData) || p != nil {
			t.Errorf("%s: got plot %v, error %v; want nil, ErrNoData", name, p != nil, err)
		}
	}
	if _, err := CurveFromHistogram("x", hdrhistogram.New(1, 1000, 3), 1); !errors.Is(err, ErrNoData) {
		t.Errorf("CurveFromHistogram(empty) error = %v, want ErrNoData", err)
	}
}

func TestFiguresRejectInvalidData(t *testing.T) {
	cases := map[string]func() (*plot.Plot, error){
		"length mismatch": func() (*plot.Plot, error) {
			return ThroughputOverTime(TimelineFigure{Lines: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1}}}})
		},
		"NaN": func() (*plot.Plot, error) {
			return ThroughputOverTime(TimelineFigure{Lines: []Series{{Name: "a", X: []float64{1}, Y: []float64{math.NaN()}}}})
		},
		"zero on log axis": func() (*plot.Plot, error) {
			return P99VsWorkers(LatencyFigure{Lines: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{0, 1}}}})
		},
		"zero partitions on log2 axis": func() (*plot.Plot, error) {
			return SkewVsPartitions(SkewFigure{Partitioners: []Series{{Name: "a", X: []float64{0}, Y: []float64{0.1}}}})
		},
		"percentile 100": func() (*plot.Plot, error) {
			return LatencyPercentiles(PercentileFigure{Curves: []PercentileCurve{{Name: "a", Percentiles: []float64{100}, Values: []float64{1}}}})
		},
		"bars per group": func() (*plot.Plot, error) {
			return CompareRegistries(GroupedBarFigure{Groups: []string{"a", "b"}, Bars: []BarSeries{{Name: "x", Values: []float64{1}}}})
		},
		"negative bar": func() (*plot.Plot, error) {
			return CompareRegistries(GroupedBarFigure{Groups: []string{"a"}, Bars: []BarSeries{{Name: "x", Values: []float64{-1}}}})
		},
		"all-zero load": func() (*plot.Plot, error) { return PartitionLoad(LoadFigure{Counts: []int64{0, 0}}) },
	}
	for name, build := range cases {
		if p, err := build(); !errors.Is(err, ErrInvalidData) || p != nil {
			t.Errorf("%s: got plot %v, error %v; want nil, ErrInvalidData", name, p != nil, err)
		}
	}
}

func TestCurveFromHistogramNines(t *testing.T) {
	h := hdrhistogram.New(1, 1_000_000, 3)
	for v := int64(1); v <= 100_000; v++ {
		_ = h.RecordValue(v)
	}
	c, err := CurveFromHistogram("uniform", h, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 100,000 samples support 4 nines (99.99 %) with 10 samples beyond;
	// 20 steps per nine gives 81 points, the first at 0 and the last at 99.99.
	if len(c.Percentiles) != 81 || c.Percentiles[0] != 0 || math.Abs(c.Percentiles[80]-99.99) > 1e-9 {
		t.Fatalf("percentiles: %d points, first %v, last %v; want 81, 0, 99.99", len(c.Percentiles), c.Percentiles[0], c.Percentiles[len(c.Percentiles)-1])
	}
	// Uniform 1..100000: the p-th percentile is about 1000 p (by hand),
	// within the histogram's 1/1024 resolution.
	for i, p := range c.Percentiles {
		want := math.Max(1, 1000*p)
		if math.Abs(c.Values[i]-want) > want/1024+1 {
			t.Errorf("value at %v%% = %v, want %v", p, c.Values[i], want)
		}
	}
}

func TestSaveWritesPNGAndSVGAtomically(t *testing.T) {
	p, err := figureCases()[4].build(t)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "load")
	if err := Save(p, base); err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile(base + ".png")
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("load.png missing or not a PNG (err %v)", err)
	}
	svg, err := os.ReadFile(base + ".svg")
	if err != nil || !bytes.Contains(svg[:min(len(svg), 200)], []byte("<svg")) {
		t.Errorf("load.svg missing or not an SVG (err %v)", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	if len(entries) != 2 {
		t.Errorf("dir holds %d files, want 2", len(entries))
	}
	if err := Save(p, base, "bmp"); err == nil {
		t.Error("Save with format bmp succeeded, want an error")
	}
	if err := Save(nil, base); !errors.Is(err, ErrNoData) {
		t.Errorf("Save(nil) error = %v, want ErrNoData", err)
	}
	if err := Save(p, filepath.Join(dir, "missing-dir", "x"), "svg"); err == nil {
		t.Error("Save into a missing directory succeeded, want an error")
	}
}
