package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// One spelling everywhere: a space between number and unit ("120 ns",
// "3.25 µs", "1.5 s"), "µs" with the micro sign, throughputs as "K ops/s",
// "M ops/s", "G ops/s", never exponent notation, and a latency always in
// the largest unit it reaches (never "2420113 µs").

// Commas writes n with thousands separators: 1234567 as "1,234,567".
func Commas(n int) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Ops writes a throughput to three significant digits: "1.23M ops/s",
// "n/a" for NaN.
func Ops(x float64) string { return scaleOps(x, Sig3) }

// Rate writes a throughput to one decimal, as tables show it: "12.3M
// ops/s", "950 ops/s".
func Rate(x float64) string {
	if math.Abs(x) < 1e3 {
		return strconv.FormatFloat(x, 'f', 0, 64) + " ops/s"
	}
	return scaleOps(x, func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) })
}

// round3 rounds to three significant digits.
func round3(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	e := math.Pow10(int(math.Floor(math.Log10(math.Abs(v)))) - 2)
	return math.Round(v/e) * e
}

func scaleOps(x float64, num func(float64) string) string {
	x = round3(x)
	switch {
	case math.IsNaN(x):
		return "n/a"
	case math.Abs(x) >= 1e9:
		return num(x/1e9) + "G ops/s"
	case math.Abs(x) >= 1e6:
		return num(x/1e6) + "M ops/s"
	case math.Abs(x) >= 1e3:
		return num(x/1e3) + "K ops/s"
	}
	return num(x) + " ops/s"
}

// Ns writes a duration given in nanoseconds to three significant digits
// in the largest unit it reaches: "120 ns", "3.25 µs", "12.5 ms", "1.33 s".
func Ns(ns float64) string {
	ns = round3(ns) // so 999.7 µs reads "1 ms", not "1000 µs"
	switch a := math.Abs(ns); {
	case math.IsNaN(ns):
		return "n/a"
	case a >= 1e9:
		return Sig3(ns/1e9) + " s"
	case a >= 1e6:
		return Sig3(ns/1e6) + " ms"
	case a >= 1e3:
		return Sig3(ns/1e3) + " µs"
	}
	return Sig3(ns) + " ns"
}

// Latency writes an integer nanosecond latency as Ns does; tables use it.
func Latency(ns int64) string { return Ns(float64(ns)) }

// Sig3 writes v with three significant digits in plain decimal, without
// trailing zeros: 1330 as "1330", 0.1234 as "0.123", 20.0 as "20".
func Sig3(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	mag := int(math.Floor(math.Log10(math.Abs(v))))
	r := math.Round(v*math.Pow10(2-mag)) / math.Pow10(2-mag)
	// Rounding can carry into a new decade (999.7 → 1000).
	mag = int(math.Floor(math.Log10(math.Abs(r))))
	out := strconv.FormatFloat(r, 'f', max(0, 2-mag), 64)
	if strings.Contains(out, ".") {
		out = strings.TrimRight(strings.TrimRight(out, "0"), ".")
	}
	return out
}
