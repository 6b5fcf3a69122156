package analysis

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/optimize"
)

// ScalingPoint is one throughput measurement at concurrency N (workers,
// connections or cores: whatever the sweep varied).
type ScalingPoint struct {
	N          float64
	Throughput float64 // ops/s
}

// USLFit is Gunther's Universal Scalability Law fitted to throughput:
//
//	X(N) = λ N / (1 + σ (N-1) + κ N (N-1))
//
// λ (Lambda) is the throughput of one worker, σ (Sigma) the contention
// (serialised fraction, Amdahl's law), κ (Kappa) the coherency cost
// (pairwise crosstalk, which makes throughput fall past a peak).
//
// When κ > 0 and σ < 1 throughput peaks at
//
//	N* = sqrt((1 - σ) / κ),    X(N*) = PeakThroughput.
//
// When κ = 0 there is no peak: PeakN is +Inf and PeakThroughput is the
// asymptote λ/σ (+Inf when σ = 0 too: linear scaling). When σ >= 1 and
// κ > 0 adding workers never helps and PeakN is 1.
//
// RSquared is 1 - SS_res/SS_tot over the fitted points. A high R² on
// few points says little about extrapolation; see PlanCapacity.
type USLFit struct {
	Lambda, Sigma, Kappa float64
	RSquared             float64
	PeakN                float64
	PeakThroughput       float64
	Points               int     // number of points fitted
	MaxN                 float64 // largest N fitted: extrapolating far past it is guesswork
}

// MinUSLRSquared is the floor under which a USL fit is not evidence: it
// explains less than 90 % of the variance of the throughputs it was fitted
// to, so its curve is not the measured one.
const MinUSLRSquared = 0.9

// Usable reports why a fit may not be used as evidence (nil when it may):
// the law holds only for 0 <= σ < 1 and 0 <= κ < 1 (σ >= 1 means adding a
// caller lowers throughput from the start, outside the law's range), and
// R² must reach MinUSLRSquared. The error wraps ErrInvalidArgument.
func (f USLFit) Usable() error {
	var why []string
	if !(f.Sigma >= 0 && f.Sigma < 1) {
		why = append(why, fmt.Sprintf("σ = %.3g outside [0, 1)", f.Sigma))
	}
	if !(f.Kappa >= 0 && f.Kappa < 1) {
		why = append(why, fmt.Sprintf("κ = %.3g outside [0, 1)", f.Kappa))
	}
	if !(f.RSquared >= MinUSLRSquared) {
		why = append(why, fmt.Sprintf("R² = %.3f below %.2f", f.RSquared, MinUSLRSquared))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("USL fit refused as evidence: %s: %w", strings.Join(why, ", "), ErrInvalidArgument)
}

// Predict returns the fitted throughput X(N).
func (f USLFit) Predict(n float64) float64 {
	return f.Lambda * n / (1 + f.Sigma*(n-1) + f.Kappa*n*(n-1))
}

func (f USLFit) String() string {
	return fmt.Sprintf("USL λ=%.4g σ=%.4g κ=%.4g R²=%.4f", f.Lambda, f.Sigma, f.Kappa, f.RSquared)
}

// FitUSL fits the Universal Scalability Law to points by least squares on
// throughput, sum_i (X_i - X(N_i))².
//
// How: for fixed σ and κ the model is linear in λ, so the best λ has the
// closed form λ = Σ X_i g_i / Σ g_i² with g_i = N_i/(1+σ(N_i-1)+κN_i(N_i-1)).
// That leaves a 2-parameter search, done with Nelder–Mead (gonum/optimize)
// in the transformed space σ = a², κ = (b/N_max)²: squaring keeps both
// non-negative without constraints, and scaling κ by N_max² puts a and b on
// comparable scales. The search starts from the best cell of a small grid
// of (σ, κ) values spanning "perfect scaling" to "heavily contended", which
// avoids the local minima a single start can fall into. Finally σ and κ are
// snapped to exactly 0 when that costs no fit (relative SSE within 1e-9),
// so perfectly linear data reports σ = κ = 0 and no peak.
//
// It needs at least 3 distinct N (ErrTooFewPoints), N >= 1 and finite,
// non-negative throughput (ErrInvalidArgument). Several points at one N
// (repetitions) are fine and weight that N more.
func FitUSL(points []ScalingPoint) (USLFit, error) {
	if len(points) == 0 {
		return USLFit{}, fmt.Errorf("fit USL: %w", ErrNoData)
	}
	distinct := map[float64]bool{}
	var maxN, sumX float64
	for i, p := range points {
		if !(p.N >= 1) || math.IsInf(p.N, 0) {
			return USLFit{}, fmt.Errorf("fit USL: point %d has N=%v, need finite N >= 1: %w", i, p.N, ErrInvalidArgument)
		}
		if !(p.Throughput >= 0) || math.IsInf(p.Throughput, 0) {
			return USLFit{}, fmt.Errorf("fit USL: point %d has throughput %v: %w", i, p.Throughput, ErrInvalidArgument)
		}
		distinct[p.N] = true
		maxN = max(maxN, p.N)
		sumX += p.Throughput
	}
	if len(distinct) < 3 {
		return USLFit{}, fmt.Errorf("fit USL: %d distinct N, need at least 3: %w", len(distinct), ErrTooFewPoints)
	}
	if sumX == 0 {
		return USLFit{}, fmt.Errorf("fit USL: all throughputs are zero: %w", ErrNoData)
	}

	// sse returns the relative residual sum of squares and the best λ for
	// given σ, κ. Dividing by Σ X² makes the objective unit-free, so the
	// optimiser's tolerances mean the same for 10 ops/s and 10M ops/s.
	var sumX2 float64
	for _, p := range points {
		sumX2 += p.Throughput * p.Throughput
	}
	sse := func(sigma, kappa float64) (float64, float64) {
		var xg, gg float64
		for _, p := range points {
			g := p.N / (1 + sigma*(p.N-1) + kappa*p.N*(p.N-1))
			xg += p.Throughput * g
			gg += g * g
		}
		lambda := xg / gg
		var r float64
		for _, p := range points {
			d := p.Throughput - lambda*p.N/(1+sigma*(p.N-1)+kappa*p.N*(p.N-1))
			r += d * d
		}
		return r / sumX2, lambda
	}
	fromAB := func(x []float64) (float64, float64) {
		return x[0] * x[0], (x[1] / maxN) * (x[1] / maxN)
	}

	bestSigma, bestKappa := 0.0, 0.0
	bestSSE, _ := sse(0, 0)
	for _, sigma := range []float64{0, 1e-3, 1e-2, 0.05, 0.2, 0.5, 1} {
		// κ N_max² from 0 (no coherency cost) to 10 (peak well inside the range).
		for _, kn2 := range []float64{0, 1e-3, 1e-2, 0.1, 1, 10} {
			kappa := kn2 / (maxN * maxN)
			if s, _ := sse(sigma, kappa); s < bestSSE {
				bestSSE, bestSigma, bestKappa = s, sigma, kappa
			}
		}
	}
	problem := optimize.Problem{Func: func(x []float64) float64 {
		s, _ := sse(fromAB(x))
		return s
	}}
	start := []float64{math.Sqrt(bestSigma), math.Sqrt(bestKappa) * maxN}
	// Nudge zero coordinates so the initial simplex is not degenerate in
	// the squared parameterisation (d/da of a² is 0 at a = 0).
	for i := range start {
		if start[i] == 0 {
			start[i] = 1e-3
		}
	}
	settings := &optimize.Settings{
		Converger:       &optimize.FunctionConverge{Absolute: 1e-15, Relative: 1e-12, Iterations: 200},
		FuncEvaluations: 20000,
	}
	// An error with a result means a limit was hit; the best point found
	// is still a valid fit, and the grid start remains the fallback.
	if res, _ := optimize.Minimize(problem, start, settings, &optimize.NelderMead{}); res != nil && res.F < bestSSE {
		bestSSE = res.F
		bestSigma, bestKappa = fromAB(res.X)
	}
	// Snap parameters to the boundary when it fits as well: the optimiser
	// approaches 0 only asymptotically in the squared space.
	tol := 1e-9*bestSSE + 1e-15
	for _, c := range [][2]float64{{0, 0}, {0, bestKappa}, {bestSigma, 0}} {
		if s, _ := sse(c[0], c[1]); s <= bestSSE+tol {
			bestSigma, bestKappa = c[0], c[1]
			bestSSE = min(bestSSE, s)
			break
		}
	}
	_, lambda := sse(bestSigma, bestKappa)

	fit := USLFit{Lambda: lambda, Sigma: bestSigma, Kappa: bestKappa, Points: len(points), MaxN: maxN}
	fit.RSquared = rSquared(points, fit)
	switch {
	case bestKappa == 0 && bestSigma == 0:
		fit.PeakN, fit.PeakThroughput = math.Inf(1), math.Inf(1)
	case bestKappa == 0:
		fit.PeakN, fit.PeakThroughput = math.Inf(1), lambda/bestSigma
	case bestSigma >= 1:
		fit.PeakN, fit.PeakThroughput = 1, lambda
	default:
		fit.PeakN = math.Sqrt((1 - bestSigma) / bestKappa)
		fit.PeakThroughput = fit.Predict(fit.PeakN)
	}
	return fit, nil
}

// rSquared is 1 - SS_res/SS_tot; with constant throughput (SS_tot = 0) it
// is 1 for an exact fit and 0 otherwise.
func rSquared(points []ScalingPoint, f USLFit) float64 {
	xs := make([]float64, len(points))
	for i, p := range points {
		xs[i] = p.Throughput
	}
	var mean float64
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var res, tot float64
	for _, p := range points {
		d := p.Throughput - f.Predict(p.N)
		res += d * d
		tot += (p.Throughput - mean) * (p.Throughput - mean)
	}
	if tot == 0 {
		if res <= 1e-12*slices.Max(xs)*slices.Max(xs) {
			return 1
		}
		return 0
	}
	return 1 - res/tot
}
