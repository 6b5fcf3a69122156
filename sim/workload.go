package sim

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/shardlab/shardlab/model"
)

// Sentinel errors for invalid workload and driver configuration. They are
// wrapped with the offending field and value.
var (
	ErrMix          = errors.New("sim: invalid operation mix")
	ErrDistribution = errors.New("sim: invalid key distribution")
	ErrConfig       = errors.New("sim: invalid driver configuration")
)

// numKinds and numCodes size the per-worker counter arrays. model keeps its
// own counts unexported; these follow from its last declared values.
const (
	numKinds = int(model.OpOwnerDown) + 1
	numCodes = int(model.CodeOther) + 1
)

// Mix is a set of weights over registry operations: each op a worker issues
// is drawn from it independently. Build one with NewMix or ParseMix.
type Mix struct {
	kinds []model.OpKind
	cum   []float64 // cumulative weights normalised so the last is 1
	raw   []float64
}

// NewMix validates weights (finite, non-negative, summing to more than 0,
// valid kinds) and returns the mix. Zero-weight kinds are dropped.
func NewMix(weights map[model.OpKind]float64) (Mix, error) {
	kinds := make([]model.OpKind, 0, len(weights))
	for k := range weights {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var m Mix
	total := 0.0
	for _, k := range kinds {
		w := weights[k]
		if k < model.OpRegisterServer || int(k) >= numKinds {
			return Mix{}, fmt.Errorf("%w: unknown operation kind %d", ErrMix, k)
		}
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return Mix{}, fmt.Errorf("%w: weight of %s is %v (want a finite number >= 0)", ErrMix, k, w)
		}
		if w == 0 {
			continue
		}
		total += w
		m.kinds = append(m.kinds, k)
		m.raw = append(m.raw, w)
	}
	if !(total > 0) {
		return Mix{}, fmt.Errorf("%w: weights sum to 0 (give at least one operation a positive weight)", ErrMix)
	}
	acc := 0.0
	for _, w := range m.raw {
		acc += w
		m.cum = append(m.cum, acc/total)
	}
	m.cum[len(m.cum)-1] = 1 // guard against rounding leaving a gap at the top
	return m, nil
}

// ParseMix is NewMix over operation names as model.OpKind.String spells
// them (e.g. "find_server").
func ParseMix(weights map[string]float64) (Mix, error) {
	ws := make(map[model.OpKind]float64, len(weights))
	for name, w := range weights {
		k, err := model.ParseOpKind(name)
		if err != nil {
			return Mix{}, fmt.Errorf("%w: %w", ErrMix, err)
		}
		ws[k] = w
	}
	return NewMix(ws)
}

// MustMix is NewMix for weights known valid at compile time (built-in
// workloads); it panics on invalid input and must not see user input.
func MustMix(weights map[model.OpKind]float64) Mix {
	m, err := NewMix(weights)
	if err != nil {
		panic(err)
	}
	return m
}

// Pick draws an operation kind.
func (m Mix) Pick(r *rand.Rand) model.OpKind {
	if len(m.kinds) == 1 {
		return m.kinds[0]
	}
	u := r.Float64()
	for i, c := range m.cum {
		if u < c {
			return m.kinds[i]
		}
	}
	return m.kinds[len(m.kinds)-1]
}

// Kinds returns the kinds with a positive weight, ascending.
func (m Mix) Kinds() []model.OpKind { return slices.Clone(m.kinds) }

// Fraction returns k's share of the mix, in [0, 1].
func (m Mix) Fraction(k model.OpKind) float64 {
	prev := 0.0
	for i, kk := range m.kinds {
		if kk == k {
			return m.cum[i] - prev
		}
		prev = m.cum[i]
	}
	return 0
}

// IsZero reports whether m was never built.
func (m Mix) IsZero() bool { return len(m.kinds) == 0 }

// String renders the mix as "kind:percent,..." e.g. "find_server:40,route_to_server:60".
func (m Mix) String() string {
	parts := make([]string, len(m.kinds))
	for i, k := range m.kinds {
		parts[i] = k.String() + ":" + strconv.FormatFloat(100*m.Fraction(k), 'g', 4, 64)
	}
	return strings.Join(parts, ",")
}

// Key distribution names, as workload specs spell them.
const (
	DistUniform    = "uniform"
	DistZipfian    = "zipfian"
	DistHotspot    = "hotspot"
	DistLatest     = "latest"
	DistSequential = "sequential"
)

// Distributions lists the valid distribution names.
func Distributions() []string {
	return []string{DistUniform, DistZipfian, DistHotspot, DistLatest, DistSequential}
}

// Defaults for Keys, from YCSB's CoreWorkload.
const (
	DefaultTheta   = 0.99 // YCSB's zipfian constant
	DefaultHotKeys = 0.2  // hotspot: the hot set is 20 % of the keys ...
	DefaultHotOps  = 0.8  // ... and receives 80 % of the operations
	// ScrambledItems is the rank space of the scrambled zipfian, YCSB's
	// ScrambledZipfianGenerator.ITEM_COUNT: ranks are drawn over it and
	// hashed onto the keys.
	ScrambledItems = 10_000_000_000
)

// Keys says how a worker picks which existing key an operation touches.
// The zero value is uniform.
//
//   - uniform: every key equally likely.
//   - zipfian: YCSB's scrambled zipfian. A zipfian rank r over
//     ScrambledItems (10^10) ranks, P(r) = (r+1)^-theta / zeta(10^10,
//     theta), is hashed with FNV-1a-64 and reduced modulo the key count,
//     so the popular keys are spread over the key space rather than being
//     the lowest indices. The same rank space serves every Theta, so each
//     rank's share is continuous in Theta and every key is reachable
//     (10^10 ranks cover any key count); at theta 0.99 the hottest key
//     gets 1/zeta(10^10, 0.99) = 3.78 % plus whatever other ranks hash
//     onto it. Ranks are drawn exactly (see zipfRanks), not by Gray's
//     approximation.
//   - hotspot: HotOps of the operations go to the first HotKeys of the
//     keys (the hot set), uniformly; the rest go uniformly to the others.
//   - latest: the highest indices (the most recently preloaded keys) are
//     the most popular: index = n-1-r with r an exact zipfian rank over
//     the n keys, YCSB's SkewedLatest over a fixed key count. Here the
//     map from rank to key is one-to-one: P(index n-1-r) = (r+1)^-theta /
//     zeta(n, theta).
//   - sequential: each worker walks the keys in order from its own
//     starting offset, wrapping around.
type Keys struct {
	Dist    string
	Theta   float64 // zipfian and latest (default 0.99)
	HotKeys float64 // hotspot (default 0.2)
	HotOps  float64 // hotspot (default 0.8)
}

// KeyGen draws key indices in [0, n) from a distribution. It is immutable
// and shared by workers; each worker draws through its own KeyStream.
type KeyGen struct {
	keys  Keys
	n     int
	zipf  *zipfRanks
	hotN  int
	hotOp float64
}

// NewKeyGen validates k for a key space of n keys.
func NewKeyGen(k Keys, n int) (*KeyGen, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: key count %d (want >= 1)", ErrDistribution, n)
	}
	if k.Dist == "" {
		k.Dist = DistUniform
	}
	if k.Theta == 0 {
		k.Theta = DefaultTheta
	}
	if k.HotKeys == 0 {
		k.HotKeys = DefaultHotKeys
	}
	if k.HotOps == 0 {
		k.HotOps = DefaultHotOps
	}
	g := &KeyGen{keys: k, n: n}
	switch k.Dist {
	case DistUniform, DistSequential:
	case DistZipfian, DistLatest:
		if !(k.Theta > 0 && k.Theta < 1) {
			return nil, fmt.Errorf("%w: theta %v (want 0 < theta < 1)", ErrDistribution, k.Theta)
		}
		items := uint64(n)
		if k.Dist == DistZipfian {
			items = ScrambledItems
		}
		g.zipf = newZipfRanks(items, k.Theta)
	case DistHotspot:
		if !(k.HotKeys > 0 && k.HotKeys < 1) || !(k.HotOps >= 0 && k.HotOps <= 1) {
			return nil, fmt.Errorf("%w: hotspot hot_keys %v (want in (0,1)), hot_ops %v (want in [0,1])", ErrDistribution, k.HotKeys, k.HotOps)
		}
		g.hotN = max(1, int(float64(n)*k.HotKeys))
		g.hotOp = k.HotOps
	default:
		return nil, fmt.Errorf("%w: unknown distribution %q (want one of %s)", ErrDistribution, k.Dist, strings.Join(Distributions(), ", "))
	}
	return g, nil
}

// N returns the key count.
func (g *KeyGen) N() int { return g.n }

// Keys returns the distribution with its defaults filled.
func (g *KeyGen) Keys() Keys { return g.keys }

// KeyStream is one worker's view of a KeyGen: its random source and, for
// the sequential distribution, its position. Not safe for concurrent use.
type KeyStream struct {
	g   *KeyGen
	r   *rand.Rand
	pos uint64
	// pcg, when set, is r's source: the uniform distribution then draws
	// from it directly (see fill), the same numbers without the
	// interface call per draw.
	pcg *rand.PCG
}

// Stream returns a stream drawing from r. start is the sequential
// distribution's first index (taken modulo n); other distributions ignore it.
func (g *KeyGen) Stream(r *rand.Rand, start int) *KeyStream {
	return &KeyStream{g: g, r: r, pos: uint64(start % g.n)}
}

// is32bit: rand.Rand reduces small bounds differently on 32-bit
// platforms; fill then leaves the reduction to it.
const is32bit = ^uint(0)>>32 == 0

// uint64n is rand.Rand.Uint64N (Lemire's multiply-and-reject, the same
// draws and the same results) over a concrete PCG, so it inlines.
func uint64n(p *rand.PCG, n uint64) uint64 {
	if n&(n-1) == 0 {
		return p.Uint64() & (n - 1)
	}
	hi, lo := bits.Mul64(p.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(p.Uint64(), n)
		}
	}
	return hi
}

// fill draws len(dst) key indices, exactly the ones len(dst) calls of
// Next would return, in order.
func (s *KeyStream) fill(dst []int32) {
	if s.g.keys.Dist == DistUniform && s.pcg != nil && !is32bit {
		n := uint64(s.g.n)
		for i := range dst {
			dst[i] = int32(uint64n(s.pcg, n))
		}
		return
	}
	for i := range dst {
		dst[i] = int32(s.Next())
	}
}

// Next returns the next key index in [0, n).
func (s *KeyStream) Next() int {
	g := s.g
	n := uint64(g.n)
	switch g.keys.Dist {
	case DistZipfian:
		return int(fnv64(g.zipf.next(s.r)) % n)
	case DistLatest:
		return int(n - 1 - min(g.zipf.next(s.r), n-1))
	case DistHotspot:
		if s.r.Float64() < g.hotOp || g.hotN == g.n {
			return s.r.IntN(g.hotN)
		}
		return g.hotN + s.r.IntN(g.n-g.hotN)
	case DistSequential:
		i := s.pos
		s.pos++
		if s.pos == n {
			s.pos = 0
		}
		return int(i)
	default:
		return int(s.r.Uint64N(n))
	}
}

// fnv64 is YCSB's Utils.fnvhash64: FNV-1a over the value's 8 bytes, low
// byte first. (YCSB then takes Java's Math.abs of the signed result; the
// modulo below works on the unsigned value instead, which changes which
// keys are hot but not how hot they are.)
func fnv64(v uint64) uint64 {
	h := uint64(0xCBF29CE484222325)
	for range 8 {
		h ^= v & 0xff
		h *= 1099511628211
		v >>= 8
	}
	return h
}
