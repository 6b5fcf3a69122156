package analysis

import (
	"errors"
	"math"
	"testing"
)

func uslPoints(lambda, sigma, kappa float64, ns ...float64) []ScalingPoint {
	pts := make([]ScalingPoint, len(ns))
	for i, n := range ns {
		pts[i] = ScalingPoint{N: n, Throughput: lambda * n / (1 + sigma*(n-1) + kappa*n*(n-1))}
	}
	return pts
}

func TestFitUSLRecoversExactParameters(t *testing.T) {
	cases := []struct {
		name                 string
		lambda, sigma, kappa float64
		ns                   []float64
	}{
		{"retrograde", 1000, 0.05, 0.0002, []float64{1, 2, 4, 8, 16, 32, 64, 128}},
		{"peak inside range", 50_000, 0.02, 0.001, []float64{1, 4, 8, 16, 32, 64, 100}},
		{"large throughput", 2e6, 0.1, 1e-5, []float64{1, 2, 4, 8, 16, 32}},
	}
	for _, c := range cases {
		fit, err := FitUSL(uslPoints(c.lambda, c.sigma, c.kappa, c.ns...))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		// Noise-free data: the fit should match to optimiser precision.
		if !nearRel(fit.Lambda, c.lambda, 1e-4) || !nearRel(fit.Sigma, c.sigma, 1e-3) || !nearRel(fit.Kappa, c.kappa, 1e-3) {
			t.Errorf("%s: fit %v, want λ=%g σ=%g κ=%g", c.name, fit, c.lambda, c.sigma, c.kappa)
		}
		if fit.RSquared < 0.999999 {
			t.Errorf("%s: R² = %v, want ≈ 1", c.name, fit.RSquared)
		}
		// Closed form N* = sqrt((1-σ)/κ).
		if want := math.Sqrt((1 - c.sigma) / c.kappa); !nearRel(fit.PeakN, want, 1e-3) {
			t.Errorf("%s: PeakN = %v, want %v", c.name, fit.PeakN, want)
		}
		if want := fit.Predict(fit.PeakN); fit.PeakThroughput != want {
			t.Errorf("%s: PeakThroughput = %v, want Predict(PeakN) = %v", c.name, fit.PeakThroughput, want)
		}
	}
}

func TestFitUSLLinear(t *testing.T) {
	fit, err := FitUSL(uslPoints(500, 0, 0, 1, 2, 4, 8, 16))
	if err != nil {
		t.Fatal(err)
	}
	if fit.Sigma != 0 || fit.Kappa != 0 || !nearRel(fit.Lambda, 500, 1e-9) {
		t.Errorf("linear data: fit %v, want λ=500 σ=0 κ=0 exactly", fit)
	}
	if !math.IsInf(fit.PeakN, 1) || !math.IsInf(fit.PeakThroughput, 1) {
		t.Errorf("linear data: peak %v at %v, want none (+Inf)", fit.PeakThroughput, fit.PeakN)
	}
	if fit.RSquared != 1 {
		t.Errorf("linear data: R² = %v, want 1", fit.RSquared)
	}
}

func TestFitUSLAmdahl(t *testing.T) {
	// κ = 0: throughput approaches λ/σ and never peaks.
	fit, err := FitUSL(uslPoints(1000, 0.1, 0, 1, 2, 4, 8, 16, 32, 64))
	if err != nil {
		t.Fatal(err)
	}
	if fit.Kappa != 0 || !nearRel(fit.Sigma, 0.1, 1e-3) {
		t.Errorf("Amdahl data: fit %v, want σ=0.1 κ=0", fit)
	}
	if !math.IsInf(fit.PeakN, 1) || !nearRel(fit.PeakThroughput, 1000/0.1, 1e-3) {
		t.Errorf("Amdahl data: peak %v at %v, want asymptote 10000 at +Inf", fit.PeakThroughput, fit.PeakN)
	}
}

// TestFitUSLWithNoise fits data with 3 % multiplicative Gaussian noise
// (seeded) and checks that the fit is at least as good as the true
// parameters (least squares must not do worse than the truth) and close to
// them. The worst errors over seeds 1..200 were λ 6.8 %, σ 0.011 and
// N* 17 %; the tolerances (λ 8 %, σ 0.02, N* 25 %) sit above that.
func TestFitUSLWithNoise(t *testing.T) {
	rng := newRNG(t, 4242)
	const lambda, sigma, kappa = 10_000.0, 0.04, 0.0005
	var pts []ScalingPoint
	for _, n := range []float64{1, 2, 4, 8, 12, 16, 24, 32, 48, 64} {
		for range 3 {
			x := lambda * n / (1 + sigma*(n-1) + kappa*n*(n-1))
			pts = append(pts, ScalingPoint{N: n, Throughput: x * (1 + 0.03*rng.NormFloat64())})
		}
	}
	fit, err := FitUSL(pts)
	if err != nil {
		t.Fatal(err)
	}
	truth := USLFit{Lambda: lambda, Sigma: sigma, Kappa: kappa}
	sse := func(f USLFit) (s float64) {
		for _, p := range pts {
			d := p.Throughput - f.Predict(p.N)
			s += d * d
		}
		return s
	}
	if sse(fit) > sse(truth)*(1+1e-9) {
		t.Errorf("fit SSE %g worse than the true parameters' %g", sse(fit), sse(truth))
	}
	wantPeak := math.Sqrt((1 - sigma) / kappa)
	if !nearRel(fit.Lambda, lambda, 0.08) || !near(fit.Sigma, sigma, 0.02) || !nearRel(fit.PeakN, wantPeak, 0.25) {
		t.Errorf("noisy fit %v (peak %.1f), want λ=%g σ=%g peak %.1f", fit, fit.PeakN, lambda, sigma, wantPeak)
	}
	if fit.Sigma < 0 || fit.Kappa < 0 {
		t.Errorf("fit has negative parameters: %v", fit)
	}
}

func TestFitUSLRejectsBadInput(t *testing.T) {
	cases := []struct {
		name string
		pts  []ScalingPoint
		want error
	}{
		{"empty", nil, ErrNoData},
		{"two distinct N", []ScalingPoint{{1, 10}, {2, 20}, {2, 19}, {1, 11}}, ErrTooFewPoints},
		{"N below 1", []ScalingPoint{{0, 10}, {1, 20}, {2, 30}}, ErrInvalidArgument},
		{"negative throughput", []ScalingPoint{{1, -1}, {2, 20}, {3, 30}}, ErrInvalidArgument},
		{"NaN throughput", []ScalingPoint{{1, math.NaN()}, {2, 20}, {3, 30}}, ErrInvalidArgument},
		{"all zero", []ScalingPoint{{1, 0}, {2, 0}, {3, 0}}, ErrNoData},
	}
	for _, c := range cases {
		if _, err := FitUSL(c.pts); !errors.Is(err, c.want) {
			t.Errorf("%s: error = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestUSLFitUsable(t *testing.T) {
	for _, tc := range []struct {
		fit USLFit
		ok  bool
	}{
		{USLFit{Sigma: 0.05, Kappa: 0.001, RSquared: 0.99}, true},
		{USLFit{Sigma: 0, Kappa: 0, RSquared: 0.9}, true},
		{USLFit{Sigma: 1.03, Kappa: 0.001, RSquared: 0.99}, false}, // the report's Figure 5 fits had σ = 1.03-1.27
		{USLFit{Sigma: 0.1, Kappa: 1, RSquared: 0.99}, false},
		{USLFit{Sigma: -0.1, Kappa: 0, RSquared: 0.99}, false},
		{USLFit{Sigma: 0.1, Kappa: 0.01, RSquared: 0.45}, false},
		{USLFit{Sigma: math.NaN(), Kappa: 0, RSquared: 0.99}, false},
	} {
		err := tc.fit.Usable()
		if (err == nil) != tc.ok {
			t.Errorf("%v: Usable() = %v, want ok=%v", tc.fit, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%v: error %v does not wrap ErrInvalidArgument", tc.fit, err)
		}
	}
}
