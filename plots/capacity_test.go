package plots

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
)

// checkGolden compares p's SVG with testdata/<name>.golden.svg (see
// TestFiguresGolden; -update rewrites it).
func checkGolden(t *testing.T, name string, p *plot.Plot) {
	t.Helper()
	w, err := p.WriterTo(FigureWidth, FigureHeight, "svg")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := w.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".golden.svg")
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if *pngDir != "" {
		if err := Save(p, filepath.Join(*pngDir, name), "png"); err != nil {
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
}

func TestCapacityFiguresGolden(t *testing.T) {
	parts := []float64{1, 4, 16, 64, 256}
	p, err := P99VsPartitions(PartitionLatencyFigure{
		Kind: "model, write-heavy zipfian, workers = cores",
		Lines: []Series{
			{Name: "2 cores", X: parts, Y: []float64{3.1, 2.4, 2.2, 2.2, 2.2}},
			{Name: "16 cores", X: parts, Y: []float64{310, 42, 6.5, 3.0, 2.6}},
			{Name: "64 cores", X: parts, Y: []float64{1900, 380, 55, 9.1, 4.0}},
		},
		Knees:      []float64{1, 16, 64},
		KneeLabel:  "hottest lock ≤ 50 % busy",
		References: []Reference{{Name: "goal: p99 100 µs", Value: 100}},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "p99_vs_partitions", p)

	p, err = ModelVsMeasured(AgreementFigure{
		Title: "Model vs measured p99 (closed-loop service time)", Metric: "p99 (µs)", Band: 0.3,
		Groups: []Series{
			{Name: "workers ≤ cores", X: []float64{0.9, 1.1, 1.6, 2.2, 1.4}, Y: []float64{0.87, 1.0, 1.5, 2.6, 1.5}},
			{Name: "oversubscribed", X: []float64{1.2, 1.9, 2.5}, Y: []float64{0.9, 25, 3.1}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "model_vs_measured", p)
}

func TestCapacityFiguresRejectBadData(t *testing.T) {
	if _, err := P99VsPartitions(PartitionLatencyFigure{}); !errors.Is(err, ErrNoData) {
		t.Errorf("no lines: %v, want ErrNoData", err)
	}
	line := Series{Name: "2 cores", X: []float64{1, 4}, Y: []float64{2, 1}}
	if _, err := P99VsPartitions(PartitionLatencyFigure{Lines: []Series{line}, Knees: []float64{8}}); !errors.Is(err, ErrInvalidData) {
		t.Errorf("knee off the line: %v, want ErrInvalidData", err)
	}
	if _, err := ModelVsMeasured(AgreementFigure{}); !errors.Is(err, ErrNoData) {
		t.Errorf("no groups: %v, want ErrNoData", err)
	}
	if _, err := ModelVsMeasured(AgreementFigure{Groups: []Series{{Name: "x", X: []float64{0}, Y: []float64{1}}}}); !errors.Is(err, ErrInvalidData) {
		t.Errorf("zero on a log axis: %v, want ErrInvalidData", err)
	}
}
