package partition

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// MaxPartitions is the largest partition count a constructor accepts. 4096
// is far beyond any useful count on one machine and keeps the O(n)
// rendezvous and the ring's n*vnodes points bounded.
const MaxPartitions = 4096

// DefaultVNodes is the number of virtual nodes per partition ByName gives
// the ring. With v points per partition each partition's share of the ring
// has a relative standard deviation of about 1/sqrt(v), so 128 gives ~9 %
// load spread for about 12 bytes x 128 x n of memory.
const DefaultVNodes = 128

// MaxVNodes bounds vnodes so that even a ring of MaxPartitions partitions
// (4M points, 10 bytes each plus the bucket table) stays in the tens of MB.
const MaxVNodes = 1024

// Sentinel errors returned (wrapped) by the constructors.
var (
	ErrPartitionCount = errors.New("partition: partition count out of range")
	ErrVNodes         = errors.New("partition: vnodes out of range")
	ErrUnknownName    = errors.New("partition: unknown partitioner")
)

// Partitioner maps an ID to a partition index in [0, n). Implementations are
// immutable after construction, safe for concurrent use, and their Partition
// method does not allocate.
//
// Every partitioner here places a key by Hash64(id) alone, and PartitionHash
// exposes that step: a caller that needs the hash anyway (the registry uses
// it again for its bucket index) hashes once. Partition(id) is always
// PartitionHash(Hash64(id)).
type Partitioner interface {
	Partition(id string) int
	PartitionHash(h uint64) int
	Partitions() int
	Name() string
}

// Names of the partitioners, as ByName and Names spell them.
const (
	NameHashMod    = "hashmod"
	NameJump       = "jump"
	NameRendezvous = "rendezvous"
	NameRing       = "ring"
	NameSingle     = "single"
)

// Names returns the names ByName accepts, default first.
func Names() []string {
	return []string{NameHashMod, NameJump, NameRendezvous, NameRing, NameSingle}
}

// ByName builds the named partitioner over n partitions ("ring" gets
// DefaultVNodes). An unknown name gives an error wrapping ErrUnknownName
// that lists the valid names.
func ByName(name string, n int) (Partitioner, error) {
	switch name {
	case NameHashMod:
		return NewHashMod(n)
	case NameJump:
		return NewJump(n)
	case NameRendezvous:
		return NewRendezvous(n)
	case NameRing:
		return NewRing(n, DefaultVNodes)
	case NameSingle:
		return NewSingle(n)
	}
	return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknownName, name, strings.Join(Names(), ", "))
}

func checkCount(n int) error {
	if n < 1 || n > MaxPartitions {
		return fmt.Errorf("%w: %d not in [1, %d]", ErrPartitionCount, n, MaxPartitions)
	}
	return nil
}

// hashMod reduces Hash64 to [0, n) with Lemire's multiply-shift,
// floor(h*n / 2^64), which uses the hash's high bits and costs one multiply
// instead of a division. It is not consistent: growing n to n+1 moves half
// of all keys for every n (a key at x = h/2^64 stays iff
// floor(xn) == floor(x(n+1)), which has measure 1/2; plain h mod n would move
// n/(n+1)), so it suits a fixed partition count.
type hashMod struct{ n uint64 }

// NewHashMod returns the default partitioner: Hash64 reduced to [0, n) by
// multiply-shift. It is the fastest and spreads keys as well as the hash
// does; it is not consistent (growing n to n+1 moves half the keys).
func NewHashMod(n int) (Partitioner, error) {
	if err := checkCount(n); err != nil {
		return nil, err
	}
	return hashMod{n: uint64(n)}, nil
}

func (p hashMod) Partition(id string) int { return p.PartitionHash(Hash64(id)) }
func (p hashMod) PartitionHash(h uint64) int {
	hi, _ := bits.Mul64(h, p.n)
	return int(hi)
}
func (p hashMod) Partitions() int { return int(p.n) }
func (hashMod) Name() string      { return NameHashMod }

// jump is Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash
// Algorithm" (2014), over Hash64. Growing n to n+1 moves exactly the keys
// that go to the new partition, 1/(n+1) in expectation; it costs O(ln n)
// iterations and no memory, but partitions can only be added or removed at
// the end.
type jump struct{ n int64 }

// NewJump returns a jump consistent hash partitioner over n partitions.
func NewJump(n int) (Partitioner, error) {
	if err := checkCount(n); err != nil {
		return nil, err
	}
	return jump{n: int64(n)}, nil
}

func (p jump) Partition(id string) int { return p.PartitionHash(Hash64(id)) }
func (p jump) PartitionHash(key uint64) int {
	var b, j int64 = -1, 0
	for j < p.n {
		b = j
		key = key*2862933555777941757 + 1 // the paper's 64-bit LCG
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}
func (p jump) Partitions() int { return int(p.n) }
func (jump) Name() string      { return NameJump }

// rendezvous is highest-random-weight hashing (Thaler & Ravishankar 1996):
// partition i scores mix64(h ^ seed_i) and the highest score wins (lowest
// index on a tie, which mix64 being a bijection makes impossible for a
// given h). The per-partition seeds do not depend on n, so growing n moves
// only the keys the new partition wins, 1/(n+1) in expectation, and any
// partition can be removed moving only its own keys.
//
// Cost: O(n) per call, one mix per partition; measured ~110-130 ns at
// n = 64 and ~1.7-3.9 µs at n = 1024 (BenchmarkPartition, shared 2-core box). Use it for small n or
// for studies, not as a hot-path default at large n.
type rendezvous struct{ seeds []uint64 }

// NewRendezvous returns a rendezvous (highest random weight) partitioner.
func NewRendezvous(n int) (Partitioner, error) {
	if err := checkCount(n); err != nil {
		return nil, err
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = partitionSeed(i, 0)
	}
	return rendezvous{seeds: seeds}, nil
}

// partitionSeed gives the i-th partition's v-th pseudo-random point. mix64 is
// a bijection and (i, v) -> i<<32|v is injective, so distinct (i, v) never
// collide; the constant keeps seed 0 away from mix64's fixed point at 0.
func partitionSeed(i, v int) uint64 {
	return mix64(uint64(i)<<32 | uint64(v) ^ 0x9e3779b97f4a7c15)
}

func (p rendezvous) Partition(id string) int { return p.PartitionHash(Hash64(id)) }
func (p rendezvous) PartitionHash(h uint64) int {
	best, bestScore := 0, mix64(h^p.seeds[0])
	for i := 1; i < len(p.seeds); i++ {
		if score := mix64(h ^ p.seeds[i]); score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}
func (p rendezvous) Partitions() int { return len(p.seeds) }
func (rendezvous) Name() string      { return NameRendezvous }

// ring is a consistent-hash ring (Karger et al. 1997) with virtual nodes: each
// partition owns vnodes points on the 64-bit circle and a key belongs to the
// first point at or after Hash64(id), wrapping around. Lookup indexes a
// bucket table by the hash's top bits and scans the ~1 point in the bucket,
// O(1) expected (a plain binary search was ~90 ns at n=64). Points depend only on (partition, vnode), so
// growing n moves only keys the new partition's points capture, about
// 1/(n+1); the load spread is wider than jump's (relative sd ~1/sqrt(vnodes)).
type ring struct {
	points []uint64 // sorted
	owners []uint16 // owners[i] owns points[i]; MaxPartitions fits in uint16
	// start[k] is the index of the first point whose top `bits` bits are >= k,
	// with start[1<<bits] = len(points). With 1<<bits >= len(points) a bucket
	// holds about one point, so a lookup is a table read and a short scan
	// instead of a ~log2(n*vnodes)-step binary search full of cache misses.
	start []uint32
	shift uint // 64 - bits; h>>shift is h's bucket (Go defines h>>64 == 0)
	n     int
}

// NewRing returns a consistent-hash ring with vnodes virtual nodes per
// partition (DefaultVNodes is a good start). vnodes must be in
// [1, MaxVNodes].
func NewRing(n, vnodes int) (Partitioner, error) {
	if err := checkCount(n); err != nil {
		return nil, err
	}
	if vnodes < 1 || vnodes > MaxVNodes {
		return nil, fmt.Errorf("%w: %d not in [1, %d]", ErrVNodes, vnodes, MaxVNodes)
	}
	type point struct {
		at    uint64
		owner uint16
	}
	all := make([]point, 0, n*vnodes)
	for i := range n {
		for v := range vnodes {
			all = append(all, point{at: partitionSeed(i, v+1), owner: uint16(i)})
		}
	}
	// Points are distinct (partitionSeed is injective), so this order is total.
	slices.SortFunc(all, func(a, b point) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	r := ring{points: make([]uint64, len(all)), owners: make([]uint16, len(all)), n: n}
	for i, pt := range all {
		r.points[i], r.owners[i] = pt.at, pt.owner
	}
	nbits := bits.Len(uint(len(all) - 1)) // smallest b with 1<<b >= len(points)
	r.shift = 64 - uint(nbits)
	buckets := 1 << nbits
	r.start = make([]uint32, buckets+1)
	i := 0
	for k := range buckets {
		for i < len(r.points) && r.points[i]>>r.shift < uint64(k) {
			i++
		}
		r.start[k] = uint32(i)
	}
	r.start[buckets] = uint32(len(r.points))
	return r, nil
}

func (r ring) Partition(id string) int { return r.PartitionHash(Hash64(id)) }
func (r ring) PartitionHash(h uint64) int {
	k := h >> r.shift
	i, end := int(r.start[k]), int(r.start[k+1])
	for i < end && r.points[i] < h {
		i++
	}
	if i == len(r.points) {
		i = 0 // past the last point: wrap around to the first
	}
	return int(r.owners[i])
}
func (r ring) Partitions() int { return r.n }
func (ring) Name() string      { return NameRing }

// single sends every key to partition 0 while reporting n partitions. It is
// deliberately bad: conformance suites run over it to show that correctness
// does not depend on keys spreading (cross-partition operations become
// same-partition ones, which is where lock-ordering bugs hide).
type single struct{ n int }

// NewSingle returns the degenerate partitioner that maps every ID to 0.
func NewSingle(n int) (Partitioner, error) {
	if err := checkCount(n); err != nil {
		return nil, err
	}
	return single{n: n}, nil
}

func (single) Partition(string) int     { return 0 }
func (single) PartitionHash(uint64) int { return 0 }
func (p single) Partitions() int        { return p.n }
func (single) Name() string             { return NameSingle }

// Counts returns how many of ids p sends to each partition.
func Counts(p Partitioner, ids []string) []int64 {
	counts := make([]int64, p.Partitions())
	for _, id := range ids {
		counts[p.Partition(id)]++
	}
	return counts
}

// Moved returns how many of ids a and b put in different partitions, e.g.
// the cost of growing from n to n+1 partitions.
func Moved(a, b Partitioner, ids []string) int {
	moved := 0
	for _, id := range ids {
		if a.Partition(id) != b.Partition(id) {
			moved++
		}
	}
	return moved
}
