package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Interval is a point estimate with a confidence interval [Low, High] at
// confidence Level (e.g. 0.95).
type Interval struct {
	Estimate  float64
	Low, High float64
	Level     float64
}

// HalfWidth is (High - Low) / 2, the "±" of a symmetric interval.
func (iv Interval) HalfWidth() float64 { return (iv.High - iv.Low) / 2 }

// Contains reports whether Low <= x <= High.
func (iv Interval) Contains(x float64) bool { return iv.Low <= x && x <= iv.High }

func (iv Interval) String() string {
	return fmt.Sprintf("%.4g [%.4g, %.4g] (%.0f%%)", iv.Estimate, iv.Low, iv.High, 100*iv.Level)
}

func checkSamples(what string, xs []float64) error {
	if len(xs) == 0 {
		return fmt.Errorf("%s: %w", what, ErrNoData)
	}
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%s: sample %d is %v: %w", what, i, x, ErrInvalidArgument)
		}
	}
	return nil
}

func checkLevel(what string, level float64) error {
	if !(level > 0 && level < 1) {
		return fmt.Errorf("%s: confidence level %v outside (0, 1): %w", what, level, ErrInvalidArgument)
	}
	return nil
}

// MeanCI returns the Student-t confidence interval for the mean of
// independent repetitions xs:
//
//	mean ± t_{(1+level)/2, k-1} · s / sqrt(k)
//
// with s the sample standard deviation (divisor k-1) over k = len(xs)
// samples. It assumes the repetitions are independent and roughly normal
// (means of long runs are); for skewed per-run statistics such as p99 use
// BootstrapCI. It needs at least 2 samples.
func MeanCI(xs []float64, level float64) (Interval, error) {
	if err := checkSamples("mean CI", xs); err != nil {
		return Interval{}, err
	}
	if err := checkLevel("mean CI", level); err != nil {
		return Interval{}, err
	}
	if len(xs) < 2 {
		return Interval{}, fmt.Errorf("mean CI: %d sample, need at least 2: %w", len(xs), ErrTooFewPoints)
	}
	k := float64(len(xs))
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / k
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	se := math.Sqrt(ss/(k-1)) / math.Sqrt(k)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: k - 1}.Quantile((1 + level) / 2)
	return Interval{Estimate: mean, Low: mean - t*se, High: mean + t*se, Level: level}, nil
}

// BootstrapCI returns the percentile-bootstrap confidence interval of
// statistic over xs: it draws resamples resamples of len(xs) values with
// replacement from xs using rng, evaluates statistic on each, and reports
// the (1-level)/2 and (1+level)/2 quantiles of those values. Estimate is
// statistic(xs). statistic may reorder its argument.
//
// The percentile bootstrap suits medians and percentiles of a handful of
// repetitions where no closed form exists; with fewer than about 5 samples
// no method gives a meaningful interval. Use at least 1,000 resamples for a
// 95 % interval (the quantiles of the resampled statistic are themselves
// estimated). Results depend only on rng's state.
func BootstrapCI(rng *rand.Rand, xs []float64, statistic func([]float64) float64, level float64, resamples int) (Interval, error) {
	if err := checkSamples("bootstrap CI", xs); err != nil {
		return Interval{}, err
	}
	if err := checkLevel("bootstrap CI", level); err != nil {
		return Interval{}, err
	}
	if rng == nil || statistic == nil {
		return Interval{}, fmt.Errorf("bootstrap CI: nil rng or statistic: %w", ErrInvalidArgument)
	}
	if resamples < 2 {
		return Interval{}, fmt.Errorf("bootstrap CI: %d resamples, need at least 2: %w", resamples, ErrTooFewPoints)
	}
	estimate := statistic(slices.Clone(xs))
	stats := make([]float64, resamples)
	buf := make([]float64, len(xs))
	for r := range resamples {
		for i := range buf {
			buf[i] = xs[rng.IntN(len(xs))]
		}
		stats[r] = statistic(buf)
	}
	slices.Sort(stats)
	return Interval{
		Estimate: estimate,
		Low:      quantileSorted(stats, (1-level)/2),
		High:     quantileSorted(stats, (1+level)/2),
		Level:    level,
	}, nil
}

// Median returns the middle value of xs (the mean of the two middle values
// when len(xs) is even). xs is not modified.
func Median(xs []float64) (float64, error) {
	return Quantile(xs, 0.5)
}

// Quantile returns the p-quantile of xs (0 <= p <= 1) by linear
// interpolation between order statistics (Hyndman–Fan type 7, the default
// of R and NumPy): with xs sorted and h = (k-1)p,
//
//	Q(p) = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])
//
// xs is not modified.
func Quantile(xs []float64, p float64) (float64, error) {
	if err := checkSamples("quantile", xs); err != nil {
		return 0, err
	}
	if !(p >= 0 && p <= 1) {
		return 0, fmt.Errorf("quantile: p %v outside [0, 1]: %w", p, ErrInvalidArgument)
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	return quantileSorted(sorted, p), nil
}

// quantileSorted is Quantile over already sorted, non-empty data.
func quantileSorted(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * p
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
