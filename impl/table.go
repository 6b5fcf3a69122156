package impl

import (
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/shardlab/shardlab/impl/partition"
)

// table is one partition's hash table for one kind of entry: open
// addressing over cache-line buckets, lock-free readers, writers
// serialised by the partition's lock.
//
// A bucket is one 64-byte line: a metadata word holding one tag byte per
// slot, and seven slots, each an entry pointer. The ID's one hash
// (partition.Hash64, computed once per operation) picks the partition from
// its top bits, the home bucket from its low bits and the tag from bits
// 40-47, so the three are independent. A lookup loads the home bucket's
// metadata, compares all seven tags at once, follows only the slots whose
// tag matches, and stops at the first bucket that has a never-used slot;
// a bucket with no free slot sends it to the next (linear probing).
//
// Slot life: a tag byte is 0 while its slot was never used. Inserting
// stores the entry pointer, then the tag. Removing stores nil in the slot
// and keeps the tag (a tombstone), so a probe that passed the slot earlier
// is never cut short. At most one entry per ID is linked at a time: a
// registration that replaces a dead entry stores the new entry in the dead
// one's slot, in one store. Entries never move between slots of a table.
//
// Growing (or sweeping tombstones) builds a new table from the linked
// entries and publishes it with one store; the old one is never written
// again. A reader still on the old table sees the contents at the instant
// of the switch, plus liveness flags that only ever go from live to dead,
// which is what the lock-free reads' linearizability needs (see
// Registry.findLive).
type table struct {
	buckets []bucket
	mask    uint64
}

// slotsPerBucket fills a 64-byte line with the metadata word.
const slotsPerBucket = 7

type bucket struct {
	meta  atomic.Uint64
	slots [slotsPerBucket]atomic.Pointer[entry]
}

const (
	// minBuckets is an empty table's size: 2 buckets (128 bytes) hold 12
	// entries before the first rebuild, and a registry with thousands of
	// partitions starts small.
	minBuckets = 2
	// A table is rebuilt when used slots (linked or tombstone) would pass
	// maxLoadNum/maxLoadDen of all slots (as Swiss tables do: with seven
	// tags compared at once, a probe rarely leaves its home bucket below
	// that). The rebuilt table has twice the buckets when linked entries
	// fill more than half of that, else the same number (tombstones swept):
	// so a growing table's load stays between 7/16 and 7/8, about 17 bytes
	// of buckets per entry on average.
	maxLoadNum, maxLoadDen = 7, 8
	lowBits                = 0x0101010101010101
	highBits               = 0x0080808080808080 // the seven slot bytes' top bits
)

func newTable(buckets int) *table {
	return &table{buckets: make([]bucket, buckets), mask: uint64(buckets - 1)}
}

// capacity is how many slots may be used before the table is rebuilt.
func (t *table) capacity() int {
	return len(t.buckets) * slotsPerBucket * maxLoadNum / maxLoadDen
}

// tagOf returns the tag byte for hash h: its top bit set, which an unused
// slot's 0 byte lacks, and seven bits of the hash.
func tagOf(h uint64) uint64 {
	return (h>>40)&0x7f | 0x80
}

// matches returns a word with the top bit of byte i set when byte i of meta
// may equal tag (false positives are possible after a matching byte, false
// negatives are not).
func matches(meta, tag uint64) uint64 {
	x := meta ^ (tag * lowBits)
	return (x - lowBits) &^ x & highBits
}

// hasUnused reports whether some slot of meta was never used.
func hasUnused(meta uint64) bool {
	return ^meta&highBits != 0
}

// bucket returns bucket i&mask without a bounds check: the mask keeps it
// in range.
func (t *table) bucket(i uint64) *bucket {
	return (*bucket)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(t.buckets)), uintptr(i&t.mask)*unsafe.Sizeof(bucket{})))
}

// slot returns the slot of b whose metadata byte holds the lowest set bit
// of m, a matches result (so a bit of highBits: a slot index below 7),
// without a bounds check.
func (b *bucket) slot(m uint64) *atomic.Pointer[entry] {
	j := uintptr(bits.TrailingZeros64(m) >> 3)
	return (*atomic.Pointer[entry])(unsafe.Add(unsafe.Pointer(&b.slots), j*unsafe.Sizeof(b.slots[0])))
}

// find returns the entry linked for id, live or not, or nil. It is the
// readers' path; writers use it too.
func (t *table) find(h uint64, id string) *entry {
	tag := tagOf(h)
	i := h & t.mask
	for {
		b := &t.buckets[i]
		meta := b.meta.Load()
		for m := matches(meta, tag); m != 0; m &= m - 1 {
			j := bits.TrailingZeros64(m) >> 3
			if e := b.slots[j].Load(); e != nil && e.id == id {
				return e
			}
		}
		if hasUnused(meta) {
			return nil
		}
		i = (i + 1) & t.mask
	}
}

// findSlot is find for writers: it also returns where the entry is. The
// caller holds the lock.
func (t *table) findSlot(h uint64, id string) (*bucket, int, *entry) {
	tag := tagOf(h)
	for i := h; ; i++ {
		b := t.bucket(i)
		meta := b.meta.Load()
		for m := matches(meta, tag); m != 0; m &= m - 1 {
			j := bits.TrailingZeros64(m) >> 3
			if e := b.slots[j].Load(); e != nil && e.id == id {
				return b, j, e
			}
		}
		if hasUnused(meta) {
			return nil, 0, nil
		}
	}
}

// slotOf returns the bucket and slot index holding e, or nil. The caller
// holds the lock.
func (t *table) slotOf(h uint64, e *entry) (*bucket, int) {
	tag := tagOf(h)
	for i := h; ; i++ {
		b := t.bucket(i)
		meta := b.meta.Load()
		for m := matches(meta, tag); m != 0; m &= m - 1 {
			j := bits.TrailingZeros64(m) >> 3
			if b.slots[j].Load() == e {
				return b, j
			}
		}
		if hasUnused(meta) {
			return nil, 0
		}
	}
}

// freeSlot returns the first slot on h's probe sequence that holds no
// entry, and whether it was never used. The caller holds the lock and has
// checked that no entry for the ID is linked. The table always has an
// unused slot (see capacity), so the probe ends.
func (t *table) freeSlot(h uint64) (b *bucket, j int, unused bool) {
	i := h & t.mask
	for {
		b = &t.buckets[i]
		meta := b.meta.Load()
		for j := range slotsPerBucket {
			if meta>>(8*j)&0xff == 0 {
				return b, j, true
			}
			if b.slots[j].Load() == nil {
				return b, j, false
			}
		}
		i = (i + 1) & t.mask
	}
}

// put links e, whose hash is h, into slot j of b: the pointer first, then
// the tag, which publishes it. The caller holds the lock.
func (b *bucket) put(j int, h uint64, e *entry) {
	b.slots[j].Store(e)
	shift := uint(8 * j)
	meta := b.meta.Load()
	b.meta.Store(meta&^(0xff<<shift) | tagOf(h)<<shift)
}

// kindTable is a table with the writer-side counts that decide when it is
// rebuilt. Guarded by the partition's lock.
type kindTable struct {
	tp     *atomic.Pointer[table] // the shard's servers or transports
	linked int                    // slots holding an entry
	used   int                    // slots ever used since the table was built (linked or tombstone)
}

// link publishes e (hash h) for its ID. old is the entry currently linked
// for the ID (dead, or the caller would not replace it), or nil. The caller
// holds the lock.
func (k *kindTable) link(h uint64, e, old *entry) {
	t := k.tp.Load()
	if old != nil {
		if b, j := t.slotOf(h, old); b != nil {
			b.slots[j].Store(e) // replaces the dead entry in one store
			return
		}
	}
	b, j, unused := t.freeSlot(h)
	if unused && k.used+1 > t.capacity() {
		t = k.rebuild(t)
		b, j, unused = t.freeSlot(h)
	}
	b.put(j, h, e)
	k.linked++
	if unused {
		k.used++
	}
}

// unlink removes e (hash h) if it is linked and reports whether it was.
// The caller holds the lock.
//
// The slot becomes a tombstone (nil, tag kept), unless its bucket still has
// an unused slot: then no probe has ever gone past the bucket (a bucket
// gets an unused slot back only this way, so it has had one throughout),
// and the slot can be unused again, which keeps churn from filling the
// table with tombstones. A reader holding the old metadata finds the slot
// nil or holding another entry, and skips it.
func (k *kindTable) unlink(h uint64, e *entry) bool {
	b, j := k.tp.Load().slotOf(h, e)
	if b == nil {
		return false
	}
	k.unlinkAt(b, j)
	return true
}

// unlinkAt empties slot j of b, a bucket of the current table; see unlink.
func (k *kindTable) unlinkAt(b *bucket, j int) {
	b.slots[j].Store(nil)
	k.linked--
	if meta := b.meta.Load(); hasUnused(meta) {
		b.meta.Store(meta &^ (0xff << (8 * j)))
		k.used--
	}
}

// rebuild publishes a new table holding the linked entries of t and
// returns it: twice t's size when they fill more than half of its
// capacity, else t's size. The caller holds the lock.
func (k *kindTable) rebuild(t *table) *table {
	n := len(t.buckets)
	if (k.linked+1)*2 > t.capacity() {
		n *= 2
	}
	g := newTable(n)
	used := 0
	for i := range t.buckets {
		b := &t.buckets[i]
		for j := range slotsPerBucket {
			if e := b.slots[j].Load(); e != nil {
				h := partition.Hash64(e.id)
				nb, nj, _ := g.freeSlot(h)
				nb.put(nj, h, e)
				used++
			}
		}
	}
	k.used = used
	k.tp.Store(g)
	return g
}

// each calls f for every linked entry, reading only the slots whose tag
// byte says they were ever used.
func (k *kindTable) each(f func(*entry)) {
	t := k.tp.Load()
	for i := range t.buckets {
		b := &t.buckets[i]
		for m := b.meta.Load() & highBits; m != 0; m &= m - 1 {
			if e := b.slot(m).Load(); e != nil {
				f(e)
			}
		}
	}
}
