package analysis

import (
	"flag"
	"math"
	"math/rand/v2"
	"testing"
)

var (
	update   = flag.Bool("update", false, "rewrite testdata golden files")
	seedFlag = flag.Uint64("seed", 0, "replay random tests with this seed (0: each test's fixed default)")
)

// newRNG returns a PCG generator seeded with def (or -seed when given) and
// arranges for the seed to be printed if the test fails, so any failure can
// be replayed with `go test ./analysis -run TestName -seed N`.
func newRNG(t testing.TB, def uint64) *rand.Rand {
	t.Helper()
	seed := def
	if *seedFlag != 0 {
		seed = *seedFlag
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("random seed: %d (replay with -seed %d)", seed, seed)
		}
	})
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol
}

func nearRel(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)
}
