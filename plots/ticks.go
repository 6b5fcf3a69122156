package plots

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
)

// Tick marks. Every axis of every figure is labelled in one notation:
// plain numbers with SI suffixes (250k, 1.5M) for counts and rates,
// scaled time units (250 ns, 1.5 µs, 12 ms) for latencies, never
// exponent notation (1e+06) and never a mix. Each ticker labels enough
// ticks inside the data's range (four or more where the range allows) so
// a reader can place a point without counting gridlines.

// labelFunc turns a tick value into its label.
type labelFunc func(float64) string

// linearTicks labels a linear axis at a 1-2-2.5-5 step chosen so that
// 4 to 8 labelled ticks fall inside [min, max], with an unlabelled minor
// tick halfway between labelled ones.
func linearTicks(label labelFunc) plot.Ticker {
	return plot.TickerFunc(func(min, max float64) []plot.Tick {
		if !(max > min) || math.IsInf(max-min, 0) {
			return []plot.Tick{{Value: min, Label: label(min)}}
		}
		step := niceStep(min, max)
		var ticks []plot.Tick
		first := math.Ceil(min/step-1e-9) * step
		for v := first - step/2; v <= max+step*1e-9; v += step / 2 {
			if v < min-step*1e-9 {
				continue
			}
			major := math.Abs(math.Remainder(v, step)) < step*1e-6
			t := plot.Tick{Value: cleanZero(v)}
			if major {
				t.Label = label(t.Value)
			}
			ticks = append(ticks, t)
		}
		return ticks
	})
}

// niceStep is the largest 1, 2, 2.5 or 5 × 10^k step with at least 4
// multiples inside [min, max].
func niceStep(min, max float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(max-min)))
	for _, m := range []float64{1, 0.5, 0.25, 0.2, 0.1, 0.05} {
		step := m * mag
		if math.Floor(max/step+1e-9)-math.Ceil(min/step-1e-9)+1 >= 4 {
			return step
		}
	}
	return 0.05 * mag
}

// cleanZero turns -0 and float noise around zero into 0.
func cleanZero(v float64) float64 {
	if math.Abs(v) < 1e-12 {
		return 0
	}
	return v
}

// logTicks labels a logarithmic axis: every decade; also 2 and 5 within
// each decade when the range spans 3 decades or less; also 3 and 7
// when it spans 1.2 or less. Other integers in a decade get unlabelled
// minor ticks, unless the range spans more than four decades. Only ticks inside [min, max] are returned, and it never
// panics on a non-positive range (gonum's LogTicks does).
func logTicks(label labelFunc) plot.Ticker {
	return plot.TickerFunc(func(min, max float64) []plot.Tick {
		if min <= 0 || max <= 0 || !(max >= min) {
			return nil
		}
		decades := math.Log10(max / min)
		labelled := []float64{1}
		switch {
		case decades <= 1.2:
			labelled = []float64{1, 2, 3, 5, 7}
		case decades <= 3:
			labelled = []float64{1, 2, 5}
		}
		var ticks []plot.Tick
		for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
			base := math.Pow(10, e)
			for m := 1.0; m <= 9; m++ {
				v := roundSig(m * base)
				if v < min*(1-1e-9) || v > max*(1+1e-9) {
					continue
				}
				if decades > 4 && m != 1 {
					continue // minor ticks in every decade would be a comb
				}
				t := plot.Tick{Value: v}
				if slices.Contains(labelled, m) {
					t.Label = label(v)
				}
				ticks = append(ticks, t)
			}
		}
		if countLabels(ticks) < 2 {
			// Less than a decade with at most one round number inside:
			// label the ends too so the axis has a scale.
			ticks = append(ticks, plot.Tick{Value: min, Label: label(roundSig(min))}, plot.Tick{Value: max, Label: label(roundSig(max))})
		}
		return ticks
	})
}

func countLabels(ticks []plot.Tick) int {
	n := 0
	for _, t := range ticks {
		if t.Label != "" {
			n++
		}
	}
	return n
}

// valueTicks labels exactly the given values (e.g. the worker or
// partition counts a sweep measured), so ticks sit where the data is.
// More than maxLabels values are thinned to every k-th, always keeping
// the first and last.
func valueTicks(values []float64, label labelFunc) plot.Ticker {
	vs := slices.Clone(values)
	slices.Sort(vs)
	vs = slices.Compact(vs)
	const maxLabels = 12
	k := (len(vs) + maxLabels - 1) / maxLabels
	return plot.TickerFunc(func(min, max float64) []plot.Tick {
		var ticks []plot.Tick
		for i, v := range vs {
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			if k <= 1 || i%k == 0 || i == len(vs)-1 {
				t.Label = label(v)
			}
			ticks = append(ticks, t)
		}
		return ticks
	})
}

// formatSI writes v with an SI suffix and at most 3 significant digits:
// 0, 0.25, 12, 250k, 1.5M, 2G.
func formatSI(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimNum(v/1e9) + "G"
	case a >= 1e6:
		return trimNum(v/1e6) + "M"
	case a >= 1e3:
		return trimNum(v/1e3) + "k"
	}
	return trimNum(v)
}

// trimNum formats v in plain decimal notation (never exponent) with at
// most 3 significant digits and no trailing zeros.
func trimNum(v float64) string {
	v = roundSig3(v)
	if v == 0 {
		return "0"
	}
	decimals := max(0, 2-int(math.Floor(math.Log10(math.Abs(v)))))
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// durationUnits are the time units latency labels use, largest first.
var durationUnits = []struct {
	name string
	ns   float64
}{{"s", 1e9}, {"ms", 1e6}, {"µs", 1e3}, {"ns", 1}}

// unitNs is how many nanoseconds one unit is ("ns", "µs", "us", "ms", "s").
func unitNs(unit string) (float64, error) {
	switch unit {
	case "", "µs", "us":
		return 1e3, nil
	case "ns":
		return 1, nil
	case "ms":
		return 1e6, nil
	case "s":
		return 1e9, nil
	}
	return 0, fmt.Errorf("latency unit %q (want ns, µs, ms or s): %w", unit, ErrInvalidData)
}

// durationLabel labels a value given in a unit of scale nanoseconds with
// the largest time unit it reaches: 250 ns, 1.5 µs, 12 ms, 1 s.
func durationLabel(scale float64) labelFunc {
	return func(v float64) string {
		ns := v * scale
		for _, u := range durationUnits {
			if math.Abs(ns) >= u.ns*(1-1e-9) || u.ns == 1 {
				return trimNum(ns/u.ns) + " " + u.name
			}
		}
		return trimNum(ns) + " ns"
	}
}

// roundSig keeps 4 significant digits, hiding float noise like 0.30000000000000004.
func roundSig(v float64) float64 { return roundDigits(v, 4) }

// roundSig3 keeps 3 significant digits: labels do not pretend to more.
func roundSig3(v float64) float64 { return roundDigits(v, 3) }

func roundDigits(v float64, digits int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	scale := math.Pow10(digits - 1 - int(math.Floor(math.Log10(math.Abs(v)))))
	return math.Round(v*scale) / scale
}

// commas writes an integer with thousands separators: 10,000.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
