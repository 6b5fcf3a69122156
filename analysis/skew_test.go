package analysis

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestSkewHandComputed(t *testing.T) {
	s, err := Skew([]int64{10, 20, 30, 40})
	if err != nil {
		t.Fatal(err)
	}
	// By hand: total 100, mean 25, deviations ±15, ±5, sum of squares 500.
	// Chi-square survival for 3 df has the closed form
	// erfc(sqrt(x/2)) + sqrt(2x/π) e^{-x/2}.
	wantP := math.Erfc(math.Sqrt(10)) + math.Sqrt(40/math.Pi)*math.Exp(-10)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"Mean", s.Mean, 25},
		{"SeedSkew", s.SeedSkew, 30.0 / 26.0},
		{"MaxOverMean", s.MaxOverMean, 40.0 / 25.0},
		{"CV", s.CV, math.Sqrt(500.0/4) / 25},
		{"ChiSquare", s.ChiSquare, 20},
		{"PValue", s.PValue, wantP},
	}
	for _, c := range checks {
		if !nearRel(c.got, c.want, 1e-9) {
			t.Errorf("%s = %.12g, want %.12g", c.name, c.got, c.want)
		}
	}
	if s.Min != 10 || s.Max != 40 || s.Total != 100 || s.DegreesOfFreedom != 3 || s.Partitions != 4 {
		t.Errorf("Min/Max/Total/DF/Partitions = %d/%d/%d/%d/%d, want 10/40/100/3/4",
			s.Min, s.Max, s.Total, s.DegreesOfFreedom, s.Partitions)
	}
}

func TestSkewPValueTwoDF(t *testing.T) {
	// With 2 df the chi-square survival is e^{-x/2}; counts 5,10,15 give
	// x = (25+0+25)/10 = 5.
	s, err := Skew([]int64{5, 10, 15})
	if err != nil {
		t.Fatal(err)
	}
	if !nearRel(s.PValue, math.Exp(-2.5), 1e-9) {
		t.Errorf("PValue = %v, want e^-2.5 = %v", s.PValue, math.Exp(-2.5))
	}
}

func TestSkewRejectsBadInput(t *testing.T) {
	cases := []struct {
		counts []int64
		want   error
	}{
		{nil, ErrNoData},
		{[]int64{5}, ErrTooFewPoints},
		{[]int64{5, -1}, ErrInvalidArgument},
		{[]int64{0, 0, 0}, ErrNoData},
	}
	for _, c := range cases {
		if _, err := Skew(c.counts); !errors.Is(err, c.want) {
			t.Errorf("Skew(%v) error = %v, want %v", c.counts, err, c.want)
		}
	}
}

func TestExpectedIdealSkewHandComputed(t *testing.T) {
	got, err := ExpectedIdealSkew(10_000, 64)
	if err != nil {
		t.Fatal(err)
	}
	// Evaluated by hand (Python, math module) from the doc formulas:
	// mu = 156.25, sigma = 12.40196, L = 2.884054, z = 2.398307.
	checks := []struct {
		name      string
		got, want float64
	}{
		{"MeanLoad", got.MeanLoad, 156.25},
		{"LoadStdDev", got.LoadStdDev, 12.401959270615269},
		{"ExpectedMax", got.ExpectedMax, 185.9937060814637},
		{"ExpectedMin", got.ExpectedMin, 126.50629391853629},
		{"SeedSkew", got.SeedSkew, 0.37829832854007905},
		{"MaxOverMean", got.MaxOverMean, 1.1903597189213677},
		{"CV", got.CV, 0.07937253933193772},
	}
	for _, c := range checks {
		if !nearRel(c.got, c.want, 1e-12) {
			t.Errorf("%s = %.15g, want %.15g", c.name, c.got, c.want)
		}
	}
	for _, bad := range []struct {
		keys int64
		n    int
	}{{0, 64}, {100, 1}, {-5, 8}} {
		if _, err := ExpectedIdealSkew(bad.keys, bad.n); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ExpectedIdealSkew(%d, %d) error = %v, want ErrInvalidArgument", bad.keys, bad.n, err)
		}
	}
}

// TestSimulateIdealSkewDesignFacts reproduces docs/seed.md: for 10,000 keys in
// 64 bins the seed skew averages about 0.37 for a good hash, and 0.18
// appeared in 0 of 2,000 random trials.
func TestSimulateIdealSkewDesignFacts(t *testing.T) {
	rng := newRNG(t, 20240601)
	sim, err := SimulateIdealSkew(rng, 10_000, 64, 2000)
	if err != nil {
		t.Fatal(err)
	}
	// The trial standard deviation is about 0.05, so the mean of 2,000
	// trials has a standard error near 0.001; ±0.01 is ten of them.
	if !near(sim.SeedSkew.Mean, 0.37, 0.01) {
		t.Errorf("mean seed skew = %.4f, want 0.37 ± 0.01", sim.SeedSkew.Mean)
	}
	if f := sim.SeedSkew.FractionAtMost(0.18); f != 0 {
		t.Errorf("fraction of trials with seed skew <= 0.18 = %v, want 0", f)
	}
	if !(sim.SeedSkew.P025 < sim.SeedSkew.P50 && sim.SeedSkew.P50 < sim.SeedSkew.P975) {
		t.Errorf("quantiles not ordered: %+v", sim.SeedSkew)
	}
	if len(sim.SeedSkew.Samples) != 2000 || sim.Trials != 2000 {
		t.Errorf("got %d samples, want 2000", len(sim.SeedSkew.Samples))
	}
}

// TestSimulateIdealSkewIsExactMultinomial checks the binomial-chain sampler
// against exact multinomial facts. The statistic E[ChiSquare] = n-1 holds
// exactly for Multinomial(m, 1/n) counts, and ChiSquare = n*mu*CV².
func TestSimulateIdealSkewIsExactMultinomial(t *testing.T) {
	rng := newRNG(t, 7)
	const m, n, trials = 10_000, 64, 2000
	sim, err := SimulateIdealSkew(rng, m, n, trials)
	if err != nil {
		t.Fatal(err)
	}
	mu := float64(m) / n
	var chi float64
	for _, cv := range sim.CV.Samples {
		chi += n * mu * cv * cv
	}
	chi /= trials
	// Var(ChiSquare) ≈ 2(n-1), so the mean over 2,000 trials has standard
	// error sqrt(126/2000) ≈ 0.25; allow 4 of them.
	if !near(chi, n-1, 1.0) {
		t.Errorf("mean chi-square = %.3f, want %d ± 1.0", chi, n-1)
	}
}

// TestThrowBallsPerBinMeans guards against a chain that favours early or
// late bins: every bin's mean count must be m/n.
func TestThrowBallsPerBinMeans(t *testing.T) {
	rng := newRNG(t, 99)
	const m, n, trials = 800, 8, 5000
	sums := make([]float64, n)
	counts := make([]int64, n)
	for range trials {
		throwBalls(rng, m, counts)
		var total int64
		for i, c := range counts {
			sums[i] += float64(c)
			total += c
		}
		if total != m {
			t.Fatalf("counts %v sum to %d, want %d", counts, total, m)
		}
	}
	// Each count has variance m(1/n)(1-1/n) = 87.5; the mean over 5,000
	// trials has standard error 0.13; allow 4 of them.
	for i, s := range sums {
		if got := s / trials; !near(got, 100, 0.53) {
			t.Errorf("bin %d mean count = %.3f, want 100 ± 0.53", i, got)
		}
	}
}

// TestSimulateIdealSkewSmallCaseExact compares with exact enumeration:
// 4 keys into 2 bins, c1 ~ Bin(4, 1/2). The seed skew |2 c1 - 4| / 3 is
// 0 w.p. 6/16, 2/3 w.p. 8/16 and 4/3 w.p. 2/16, so its mean is 1/2 and its
// variance 4/9 - 1/4 = 7/36.
func TestSimulateIdealSkewSmallCaseExact(t *testing.T) {
	rng := newRNG(t, 3)
	trials := 20_000
	if testing.Short() {
		trials = 5_000 // the tolerances below scale with the trial count
	}
	sim, err := SimulateIdealSkew(rng, 4, 2, trials)
	if err != nil {
		t.Fatal(err)
	}
	se := math.Sqrt(7.0 / 36 / float64(trials))
	if !near(sim.SeedSkew.Mean, 0.5, 4*se) {
		t.Errorf("mean seed skew = %.4f, want 0.5 ± %.4f", sim.SeedSkew.Mean, 4*se)
	}
	pZero := sim.SeedSkew.FractionAtMost(0)
	if tol := 4 * math.Sqrt(6.0/16*10/16/float64(trials)); !near(pZero, 6.0/16, tol) {
		t.Errorf("P(skew = 0) = %.4f, want 0.375 ± %.4f", pZero, tol)
	}
}

// TestExpectedIdealSkewMatchesSimulation checks the closed form against the
// Monte Carlo in the regime the doc comment claims (n >= 16, mu >= 50).
// Over seeds 1..20 with 200 trials the worst gaps were 4.1 % (seed skew)
// and 1.1 % (max/mean), both at n = 16; the tolerances are 6 % and 2 %.
// The CV formula is the root of E[CV²], which is exact for a multinomial,
// so it is compared with the root-mean-square simulated CV, within four
// standard errors (CV² = ChiSquare/(n mu), relative sd sqrt(2/(n-1)) per
// trial, halved by the square root).
func TestExpectedIdealSkewMatchesSimulation(t *testing.T) {
	rng := newRNG(t, 11)
	trials := 500
	if testing.Short() {
		trials = 200
	}
	for _, c := range []struct {
		keys int64
		n    int
	}{{1_000, 16}, {10_000, 64}, {100_000, 256}, {1_000_000, 1024}} {
		sim, err := SimulateIdealSkew(rng, c.keys, c.n, trials)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := ExpectedIdealSkew(c.keys, c.n)
		if !nearRel(want.SeedSkew, sim.SeedSkew.Mean, 0.06) {
			t.Errorf("m=%d n=%d: closed-form seed skew %.4f, simulated %.4f (want within 6%%)",
				c.keys, c.n, want.SeedSkew, sim.SeedSkew.Mean)
		}
		if !nearRel(want.MaxOverMean, sim.MaxOverMean.Mean, 0.02) {
			t.Errorf("m=%d n=%d: closed-form max/mean %.4f, simulated %.4f (want within 2%%)",
				c.keys, c.n, want.MaxOverMean, sim.MaxOverMean.Mean)
		}
		var meanSq float64
		for _, cv := range sim.CV.Samples {
			meanSq += cv * cv
		}
		rms := math.Sqrt(meanSq / float64(trials))
		tol := 4 * math.Sqrt(2/float64(c.n-1)) / math.Sqrt(float64(trials)) / 2
		if !nearRel(rms, want.CV, tol) {
			t.Errorf("m=%d n=%d: closed-form CV %.4f, simulated RMS %.4f (want within %.1f%%)",
				c.keys, c.n, want.CV, rms, 100*tol)
		}
	}
}

func TestSimulateIdealSkewReproducible(t *testing.T) {
	a, _ := SimulateIdealSkew(newRNG(t, 42), 1000, 16, 50)
	b, _ := SimulateIdealSkew(newRNG(t, 42), 1000, 16, 50)
	for i := range a.SeedSkew.Samples {
		if a.SeedSkew.Samples[i] != b.SeedSkew.Samples[i] {
			t.Fatalf("same seed, sample %d differs: %v vs %v", i, a.SeedSkew.Samples[i], b.SeedSkew.Samples[i])
		}
	}
}

func TestSimulateIdealSkewRejectsBadInput(t *testing.T) {
	rng := newRNG(t, 1)
	if _, err := SimulateIdealSkew(nil, 10, 2, 10); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil rng: error = %v", err)
	}
	if _, err := SimulateIdealSkew(rng, 10, 1, 10); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("1 partition: error = %v", err)
	}
	if _, err := SimulateIdealSkew(rng, 10, 2, 1); !errors.Is(err, ErrTooFewPoints) {
		t.Errorf("1 trial: error = %v", err)
	}
}

func TestJudgeBalance(t *testing.T) {
	rng := newRNG(t, 5)
	ideal := make([]int64, 64)
	throwBalls(rng, 10_000, ideal)

	hot := make([]int64, 64)
	for i := range hot {
		hot[i] = 150
	}
	hot[0] = 400 // one partition with 2.7x the mean

	// 10,000 keys spread evenly from 142 to 170: the range of the seed's
	// claimed 18 % skew, but with every partition placed, not random.
	even := make([]int64, 64)
	var total int64
	for i := range even {
		even[i] = 142 + int64(i*29/64)
		total += even[i]
	}
	// Hand the remainder out one key each to middle partitions, which keeps
	// min 142 and max 170.
	for i := 0; total < 10_000; i++ {
		even[16+i]++
		total++
	}

	flat := make([]int64, 64)
	for i := range flat {
		flat[i] = 100
	}

	cases := []struct {
		name   string
		counts []int64
		want   BalanceOutcome
	}{
		{"random hash", ideal, ConsistentWithIdeal},
		{"one hot partition", hot, WorseThanIdeal},
		{"evenly spread 18% skew", even, MoreEvenThanIdeal},
		{"perfectly flat", flat, MoreEvenThanIdeal},
	}
	for _, c := range cases {
		v, err := JudgeBalance(c.counts, DefaultAlpha)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if v.Outcome != c.want {
			t.Errorf("%s: outcome %v, want %v (%s)", c.name, v.Outcome, c.want, v.Explanation)
		}
		if !strings.HasPrefix(v.Explanation, c.want.String()) {
			t.Errorf("%s: explanation %q does not start with the outcome", c.name, v.Explanation)
		}
	}
	if s, _ := Skew(even); !near(s.SeedSkew, 0.18, 0.01) {
		t.Errorf("constructed even counts have seed skew %.3f, want 0.18 ± 0.01", s.SeedSkew)
	}
}

func TestJudgeBalanceWarnsOnSparseCounts(t *testing.T) {
	v, err := JudgeBalance([]int64{1, 3, 2, 0, 4}, DefaultAlpha)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v.Explanation, "unreliable") {
		t.Errorf("explanation %q does not warn about mean count < 5", v.Explanation)
	}
	for _, alpha := range []float64{0, 0.5, -1, math.NaN()} {
		if _, err := JudgeBalance([]int64{1, 2}, alpha); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("alpha %v: error = %v, want ErrInvalidArgument", alpha, err)
		}
	}
}
