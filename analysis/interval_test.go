package analysis

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestMeanCIHandComputed(t *testing.T) {
	iv, err := MeanCI([]float64{1, 2, 3, 4, 5}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: mean 3, s = sqrt(2.5), se = s/sqrt(5) = 0.70711;
	// t_{0.975, 4} = 2.776445 (standard t table), half width 1.963243.
	if !near(iv.Estimate, 3, 1e-12) || !near(iv.HalfWidth(), 1.963243, 1e-6) {
		t.Errorf("MeanCI = %v, want 3 ± 1.963243", iv)
	}
	if !near(iv.Low, 3-1.963243, 1e-6) || !near(iv.High, 3+1.963243, 1e-6) || iv.Level != 0.95 {
		t.Errorf("MeanCI bounds = %v", iv)
	}
}

// TestMeanCICoverage checks by seeded Monte Carlo that the 95 % interval
// covers the true mean of normal samples 95 % of the time.
func TestMeanCICoverage(t *testing.T) {
	rng := newRNG(t, 2024)
	const trials = 2000
	covered := 0
	xs := make([]float64, 10)
	for range trials {
		for i := range xs {
			xs[i] = 5 + 2*rng.NormFloat64()
		}
		iv, err := MeanCI(xs, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if iv.Contains(5) {
			covered++
		}
	}
	// Binomial standard error sqrt(.95*.05/2000) ≈ 0.0049; allow 4 of them.
	if got := float64(covered) / trials; !near(got, 0.95, 0.02) {
		t.Errorf("coverage = %.3f, want 0.95 ± 0.02", got)
	}
}

func TestMeanCIRejectsBadInput(t *testing.T) {
	cases := []struct {
		xs    []float64
		level float64
		want  error
	}{
		{nil, 0.95, ErrNoData},
		{[]float64{1}, 0.95, ErrTooFewPoints},
		{[]float64{1, 2}, 1, ErrInvalidArgument},
		{[]float64{1, 2}, 0, ErrInvalidArgument},
		{[]float64{1, math.NaN()}, 0.95, ErrInvalidArgument},
		{[]float64{1, math.Inf(1)}, 0.95, ErrInvalidArgument},
	}
	for _, c := range cases {
		if _, err := MeanCI(c.xs, c.level); !errors.Is(err, c.want) {
			t.Errorf("MeanCI(%v, %v) error = %v, want %v", c.xs, c.level, err, c.want)
		}
	}
}

func TestMedianAndQuantile(t *testing.T) {
	in := []float64{4, 1, 3, 2}
	cases := []struct {
		xs   []float64
		p    float64
		want float64
	}{
		{[]float64{3, 1, 2}, 0.5, 2},
		{in, 0.5, 2.5},
		{in, 0.25, 1.75}, // R: quantile(c(1,2,3,4), 0.25) = 1.75
		{in, 0, 1},
		{in, 1, 4},
		{[]float64{7}, 0.9, 7},
	}
	for _, c := range cases {
		got, err := Quantile(c.xs, c.p)
		if err != nil || !near(got, c.want, 1e-12) {
			t.Errorf("Quantile(%v, %v) = %v, %v; want %v", c.xs, c.p, got, err, c.want)
		}
	}
	if m, _ := Median(in); m != 2.5 {
		t.Errorf("Median(%v) = %v, want 2.5", in, m)
	}
	if !slices.Equal(in, []float64{4, 1, 3, 2}) {
		t.Errorf("Median modified its input: %v", in)
	}
	if _, err := Median(nil); !errors.Is(err, ErrNoData) {
		t.Errorf("Median(nil) error = %v, want ErrNoData", err)
	}
	if _, err := Quantile(in, 1.5); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Quantile(p=1.5) error = %v, want ErrInvalidArgument", err)
	}
}

func medianOf(xs []float64) float64 {
	m, _ := Median(xs)
	return m
}

func TestBootstrapCIConstantData(t *testing.T) {
	iv, err := BootstrapCI(newRNG(t, 1), []float64{7, 7, 7, 7}, medianOf, 0.95, 200)
	if err != nil {
		t.Fatal(err)
	}
	if iv.Estimate != 7 || iv.Low != 7 || iv.High != 7 {
		t.Errorf("BootstrapCI of constant data = %v, want 7 [7, 7]", iv)
	}
}

func TestBootstrapCIReproducible(t *testing.T) {
	xs := []float64{3.1, 4.7, 2.2, 9.4, 5.5, 6.1, 1.8, 7.7}
	a, _ := BootstrapCI(newRNG(t, 77), xs, medianOf, 0.9, 500)
	b, _ := BootstrapCI(newRNG(t, 77), xs, medianOf, 0.9, 500)
	if a != b {
		t.Errorf("same seed gave %v and %v", a, b)
	}
	if !(a.Low <= a.Estimate && a.Estimate <= a.High) {
		t.Errorf("interval %v does not contain its estimate", a)
	}
}

// TestBootstrapCICoverage checks by seeded Monte Carlo that the 95 %
// percentile-bootstrap interval for the median of 41 Exp(1) samples covers
// the true median ln 2 close to 95 % of the time. The percentile bootstrap
// of a median is known to be only approximately calibrated, so the band is
// wider than sampling error alone (±0.03 at 300 trials) would need.
func TestBootstrapCICoverage(t *testing.T) {
	rng := newRNG(t, 31337)
	trials := 300
	if testing.Short() {
		trials = 100
	}
	covered := 0
	xs := make([]float64, 41)
	for range trials {
		for i := range xs {
			xs[i] = rng.ExpFloat64()
		}
		iv, err := BootstrapCI(rng, xs, medianOf, 0.95, 400)
		if err != nil {
			t.Fatal(err)
		}
		if iv.Contains(math.Ln2) {
			covered++
		}
	}
	if got := float64(covered) / float64(trials); got < 0.88 || got > 0.995 {
		t.Errorf("coverage = %.3f over %d trials, want within [0.88, 0.995]", got, trials)
	}
}

func TestBootstrapCIRejectsBadInput(t *testing.T) {
	rng := newRNG(t, 1)
	xs := []float64{1, 2, 3}
	if _, err := BootstrapCI(rng, nil, medianOf, 0.95, 100); !errors.Is(err, ErrNoData) {
		t.Errorf("no data: error = %v", err)
	}
	if _, err := BootstrapCI(nil, xs, medianOf, 0.95, 100); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil rng: error = %v", err)
	}
	if _, err := BootstrapCI(rng, xs, nil, 0.95, 100); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil statistic: error = %v", err)
	}
	if _, err := BootstrapCI(rng, xs, medianOf, 0.95, 1); !errors.Is(err, ErrTooFewPoints) {
		t.Errorf("1 resample: error = %v", err)
	}
	if _, err := BootstrapCI(rng, xs, medianOf, 1.5, 100); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("level 1.5: error = %v", err)
	}
}
