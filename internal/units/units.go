package units

import (
	"fmt"
	"math"
)

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
func Ops(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case x >= 1e6:
		return fmt.Sprintf("%.3gM ops/s", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.3gK ops/s", x/1e3)
	}
	return fmt.Sprintf("%.3g ops/s", x)
}

// Ns writes a duration given in nanoseconds to three significant digits
// in ns, µs or ms.
func Ns(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	}
	return fmt.Sprintf("%.3g ns", ns)
}

// Rate writes a throughput to one decimal, as tables show it: "12.3M
// ops/s".
func Rate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM ops/s", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fK ops/s", v/1e3)
	}
	return fmt.Sprintf("%.0f ops/s", v)
}

// Micros writes nanoseconds as microseconds, two decimals below 10 µs:
// "3.25µs", "120µs".
func Micros(v int64) string {
	if v < 10_000 {
		return fmt.Sprintf("%.2fµs", float64(v)/1e3)
	}
	return fmt.Sprintf("%.0fµs", float64(v)/1e3)
}
