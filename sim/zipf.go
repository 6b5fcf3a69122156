package sim

import (
	"math"
	"math/rand/v2"
)

// zipfRanks draws ranks r in [0, items) with
//
//	P(r) = (r+1)^-theta / zeta(items, theta),  zeta(n, s) = sum_{i=1..n} i^-s,
//
// exactly, for any 0 < theta < 1 and any item count up to 2^53, in O(1)
// time and memory per draw: rejection-inversion (W. Hörmann and G.
// Derflinger, "Rejection-inversion to generate variates from monotone
// discrete distributions", ACM TOMACS 6(3), 1996).
//
// Why not YCSB's generator (Gray et al., SIGMOD 1994), which shardlab used
// before: it returns ranks 0 and 1 with their exact probabilities but
// draws every later rank from a continuous approximation, so rank 2 (the
// third) comes out about 20 % too often at theta 0.9 over 10,000 items,
// and it needs zeta(items, theta), which for 10^10 items YCSB only has
// precomputed at theta 0.99. Rejection-inversion needs no zeta at all.
//
// The method, with h(x) = x^-theta over 1-based ranks k and H its
// antiderivative: draw u uniformly in (H(1.5) - h(1), H(n + 0.5)], invert
// x = H^-1(u), round to k; accept k when u >= H(k + 0.5) - h(k), the top
// h(k) of k's strip [H(k - 0.5), H(k + 0.5)] (h is convex, so each strip
// is at least h(k) wide and rank 1's is exactly h(1)); otherwise retry.
// Every accepted k thus has probability proportional to h(k). The squeeze
// k - x <= s accepts most draws without evaluating H again. The expected
// number of tries is below 1.1 for these thetas.
type zipfRanks struct {
	items     uint64
	theta     float64
	hX1, hN   float64 // H(1.5) - h(1) and H(items + 0.5)
	squeezeAt float64
}

func newZipfRanks(items uint64, theta float64) *zipfRanks {
	z := &zipfRanks{items: items, theta: theta}
	z.hX1 = z.bigH(1.5) - 1
	z.hN = z.bigH(float64(items) + 0.5)
	z.squeezeAt = 2 - z.bigHInv(z.bigH(2.5)-z.h(2))
	return z
}

// h is x^-theta.
func (z *zipfRanks) h(x float64) float64 { return math.Exp(-z.theta * math.Log(x)) }

// bigH is the integral of h from 1 to x, (x^(1-theta) - 1)/(1-theta),
// written with Expm1 so it stays accurate as theta approaches 1.
func (z *zipfRanks) bigH(x float64) float64 {
	lx := math.Log(x)
	a := (1 - z.theta) * lx
	if a == 0 { // x = 1: the limit of expm1(a)/a is 1
		return lx
	}
	return math.Expm1(a) / a * lx
}

// bigHInv inverts bigH: (1 + (1-theta) y)^(1/(1-theta)).
func (z *zipfRanks) bigHInv(y float64) float64 {
	a := (1 - z.theta) * y
	if a == 0 { // y = 0 (u can land there): the limit of log1p(a)/a is 1
		return math.Exp(y)
	}
	return math.Exp(math.Log1p(a) / a * y)
}

// next returns a rank in [0, items).
func (z *zipfRanks) next(r *rand.Rand) uint64 {
	for {
		u := z.hN + r.Float64()*(z.hX1-z.hN)
		x := z.bigHInv(u)
		kf := math.Floor(x + 0.5)
		if kf < 1 {
			kf = 1
		} else if kf > float64(z.items) {
			kf = float64(z.items)
		}
		if kf-x <= z.squeezeAt || u >= z.bigH(kf+0.5)-z.h(kf) {
			return uint64(kf) - 1
		}
	}
}
