package sim

import (
	"flag"
	"math/rand/v2"
	"testing"

	"github.com/shardlab/shardlab/model"
)

// The external tests' -seed flag is registered by sim_test; these
// internal tests read it through the flag set.
func internalSeed(t *testing.T) uint64 {
	s := uint64(20240601)
	if f := flag.Lookup("seed"); f != nil {
		if v, ok := f.Value.(flag.Getter).Get().(uint64); ok && v != 0 {
			s = v
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d (replay with go test ./sim -run '%s' -seed %d)", s, t.Name(), s)
		}
	})
	return s
}

// A batch must draw exactly what op-by-op drawing draws, so a seed
// replays the same keys whatever the batching.
func TestFillDrawsWhatNextDraws(t *testing.T) {
	seed := internalSeed(t)
	for _, c := range []struct {
		keys Keys
		n    int
	}{{Keys{}, 10_000}, {Keys{}, 1024}, {Keys{}, 1}, {Keys{Dist: DistZipfian}, 10_000}, {Keys{Dist: DistHotspot}, 777}} {
		g, err := NewKeyGen(c.keys, c.n)
		if err != nil {
			t.Fatal(err)
		}
		pcgA, pcgB := rand.NewPCG(seed, 3), rand.NewPCG(seed, 3)
		a := g.Stream(rand.New(pcgA), 0)
		a.pcg = pcgA
		b := g.Stream(rand.New(pcgB), 0)
		buf := make([]int32, 100)
		for round := range 50 {
			a.fill(buf)
			for i, got := range buf {
				if want := b.Next(); int(got) != want {
					t.Fatalf("%s over %d keys, round %d draw %d: fill %d, Next %d", g.Keys().Dist, c.n, round, i, got, want)
				}
			}
		}
	}
}

func TestBatchedPlanMatchesOpByOp(t *testing.T) {
	seed := internalSeed(t)
	mix := MustMix(map[model.OpKind]float64{model.OpFindServer: 3, model.OpBind: 1, model.OpRegisterServer: 1, model.OpRouteToTransport: 2})
	ru := newRun(Config{Registry: Null{}, Seed: seed, Servers: 500, Transports: 300,
		Groups: []Group{{Workers: 2, Mix: mix, Keys: Keys{Dist: DistZipfian}}}})
	w := ru.workers[1]
	// The reference: what the driver drew before batching, one op at a
	// time from worker 1's PCG: the kind, then its transport, then its
	// server.
	rng := rand.New(rand.NewPCG(seed, 2))
	sg, _ := NewKeyGen(Keys{Dist: DistZipfian}, 500)
	tg, _ := NewKeyGen(Keys{Dist: DistZipfian}, 300)
	ss, ts := sg.Stream(rng, 0), tg.Stream(rng, 0)
	for batch := range 20 {
		n := 1 + batch*7%batchOps
		w.draw(n)
		for j := range n {
			k := mix.Pick(rng)
			if w.kinds[j] != k {
				t.Fatalf("batch %d op %d: kind %s, want %s", batch, j, w.kinds[j], k)
			}
			switch k {
			case model.OpBind:
				if tk, sk := ts.Next(), ss.Next(); int(w.tKeys[j]) != tk || int(w.sKeys[j]) != sk {
					t.Fatalf("batch %d op %d: bind keys %d,%d, want %d,%d", batch, j, w.tKeys[j], w.sKeys[j], tk, sk)
				}
			case model.OpFindServer:
				if sk := ss.Next(); int(w.sKeys[j]) != sk {
					t.Fatalf("batch %d op %d: server %d, want %d", batch, j, w.sKeys[j], sk)
				}
			case model.OpRouteToTransport:
				if tk := ts.Next(); int(w.tKeys[j]) != tk {
					t.Fatalf("batch %d op %d: transport %d, want %d", batch, j, w.tKeys[j], tk)
				}
			}
		}
	}
}
