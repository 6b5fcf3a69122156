package units

import (
	"math"
	"testing"
)

func TestUnits(t *testing.T) {
	cases := []struct{ got, want string }{
		{Commas(0), "0"}, {Commas(999), "999"}, {Commas(1000), "1,000"}, {Commas(1234567), "1,234,567"}, {Commas(-1234), "-1,234"},
		{Ops(math.NaN()), "n/a"}, {Ops(950), "950 ops/s"}, {Ops(140e3), "140K ops/s"}, {Ops(7.28e6), "7.28M ops/s"},
		{Ns(369), "369 ns"}, {Ns(13_700), "13.7 µs"}, {Ns(2.5e6), "2.5 ms"},
		{Rate(950), "950 ops/s"}, {Rate(12_345), "12.3K ops/s"}, {Rate(12.34e6), "12.3M ops/s"},
		{Micros(3_250), "3.25µs"}, {Micros(120_000), "120µs"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}
