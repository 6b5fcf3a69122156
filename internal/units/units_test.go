package units

import (
	"strings"
	"testing"
)

func TestOneSpelling(t *testing.T) {
	cases := []struct{ got, want string }{
		{Ns(120), "120 ns"},
		{Ns(3254), "3.25 µs"},
		{Ns(2_420_113_000), "2.42 s"},
		{Ns(1_330_000_000), "1.33 s"},
		{Ns(999_700), "1 ms"},
		{Ns(1_000_000), "1 ms"},
		{Latency(2_420_113), "2.42 ms"},
		{Ops(140_000), "140K ops/s"},
		{Ops(6_240_000), "6.24M ops/s"},
		{Ops(93_600_000_000), "93.6G ops/s"},
		{Ops(12), "12 ops/s"},
		{Rate(12_345_678), "12.3M ops/s"},
		{Rate(950), "950 ops/s"},
		{Commas(10_000), "10,000"},
		{Sig3(0.30000000000000004), "0.3"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	for _, ns := range []float64{1, 999, 1e3, 12345, 1e6, 1.33e9, 1e12} {
		s := Ns(ns)
		if strings.ContainsAny(s, "e+") || !strings.Contains(s, " ") || strings.Contains(s, "us") {
			t.Errorf("Ns(%v) = %q: exponent, no space, or a spelling other than µs", ns, s)
		}
	}
}
