package capacity

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Demand shapes, as Demand.Shape spells them.
const (
	ShapeFixed       = "fixed"       // always Mean
	ShapeExponential = "exponential" // exponential with mean Mean
	ShapeEmpirical   = "empirical"   // interpolated between Quantiles
)

// Demand is a distribution of a non-negative duration in nanoseconds: an
// operation's CPU time, or a think time.
//
// An empirical demand holds equally spaced quantiles q_0 (the minimum) ..
// q_m (the maximum) of a measured distribution; a draw picks u uniform in
// [0, 1) and interpolates linearly between q_floor(um) and q_floor(um)+1,
// so draws reproduce the measured distribution to the resolution of its
// quantiles (Mean is then the mean of the interpolated distribution, the
// average of the segment midpoints).
type Demand struct {
	Shape     string    `json:"shape"`
	Mean      float64   `json:"mean_ns"`
	Quantiles []float64 `json:"quantiles_ns,omitempty"`
}

// Fixed, Exponential and Empirical build demands; Empirical sorts a copy
// of its quantiles.
func Fixed(ns float64) Demand       { return Demand{Shape: ShapeFixed, Mean: ns} }
func Exponential(ns float64) Demand { return Demand{Shape: ShapeExponential, Mean: ns} }
func Empirical(quantiles []float64) Demand {
	q := slices.Clone(quantiles)
	slices.Sort(q)
	d := Demand{Shape: ShapeEmpirical, Quantiles: q}
	d.Mean = d.interpolatedMean()
	return d
}

func (d Demand) interpolatedMean() float64 {
	q := d.Quantiles
	if len(q) == 1 {
		return q[0]
	}
	s := 0.0
	for i := 1; i < len(q); i++ {
		s += (q[i-1] + q[i]) / 2
	}
	return s / float64(len(q)-1)
}

// Validate reports a demand that cannot be drawn from: an unknown shape, a
// negative or non-finite mean or quantile, an empirical one without
// quantiles. what names the field in the error.
func (d Demand) Validate(what string) error {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) || x < 0 }
	switch d.Shape {
	case ShapeFixed, ShapeExponential:
		if bad(d.Mean) {
			return fmt.Errorf("%w: %s: mean %v ns (want a finite number >= 0)", ErrConfig, what, d.Mean)
		}
	case ShapeEmpirical:
		if len(d.Quantiles) == 0 {
			return fmt.Errorf("%w: %s: empirical demand without quantiles", ErrConfig, what)
		}
		for _, q := range d.Quantiles {
			if bad(q) {
				return fmt.Errorf("%w: %s: quantile %v ns (want finite, >= 0)", ErrConfig, what, q)
			}
		}
		if !slices.IsSorted(d.Quantiles) {
			return fmt.Errorf("%w: %s: quantiles not ascending", ErrConfig, what)
		}
	default:
		return fmt.Errorf("%w: %s: unknown shape %q (want %s, %s or %s)", ErrConfig, what, d.Shape, ShapeFixed, ShapeExponential, ShapeEmpirical)
	}
	return nil
}

// Scaled returns d with every value multiplied by f.
func (d Demand) Scaled(f float64) Demand {
	d.Mean *= f
	if d.Quantiles != nil {
		q := make([]float64, len(d.Quantiles))
		for i, v := range d.Quantiles {
			q[i] = v * f
		}
		d.Quantiles = q
	}
	return d
}

// draw returns one value in ns.
func (d *Demand) draw(r *rand.Rand) float64 {
	switch d.Shape {
	case ShapeExponential:
		return d.Mean * r.ExpFloat64()
	case ShapeEmpirical:
		q := d.Quantiles
		if len(q) == 1 {
			return q[0]
		}
		x := r.Float64() * float64(len(q)-1)
		i := int(x)
		return q[i] + (x-float64(i))*(q[i+1]-q[i])
	default:
		return d.Mean
	}
}
