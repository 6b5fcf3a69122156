package impl

import "sync/atomic"

// table is one partition's hash table for one kind of entry: separate
// chaining through the entries themselves (an entry is its own chain node,
// which saves a pointer hop and a cache miss per lookup), lock-free readers,
// writers serialised by the partition's lock.
//
// Writers publish a fully built entry at the head of its chain, or unlink
// one (prev.next = e.next). An unlinked entry keeps its next pointer, so a
// reader standing on it still reaches the rest of the chain. Within a chain
// the newest entry comes first, and at most one entry per ID is ever linked
// (a registration unlinks the dead entry it replaces).
//
// Growing relinks the entries into a larger bucket array in place, which
// can send a reader of the old array down the wrong chain. The partition's
// resize sequence number (odd while a resize runs) lets readers detect
// that: a lookup that finds no live entry retries if the sequence moved.
// A lookup that finds a live entry needs no check, because the only live
// entry for an ID is the current one.
type table struct {
	buckets []atomic.Pointer[entry]
	mask    uint64
}

// minBuckets keeps small partitions from resizing on their first writes.
const minBuckets = 8

func newTable(buckets int) *table {
	return &table{buckets: make([]atomic.Pointer[entry], buckets), mask: uint64(buckets - 1)}
}

// find returns the entry linked for id, live or not.
func (t *table) find(h uint64, id string) *entry {
	for e := t.buckets[h&t.mask].Load(); e != nil; e = e.next.Load() {
		if e.hash == h && e.id == id {
			return e
		}
	}
	return nil
}

// insert links e at the head of its chain. The caller holds the lock.
func (t *table) insert(e *entry) {
	b := &t.buckets[e.hash&t.mask]
	e.next.Store(b.Load())
	b.Store(e)
}

// remove unlinks e and reports whether it was linked. The caller holds the
// lock.
func (t *table) remove(e *entry) bool {
	b := &t.buckets[e.hash&t.mask]
	var prev *entry
	for n := b.Load(); n != nil; n = n.next.Load() {
		if n == e {
			if prev == nil {
				b.Store(n.next.Load())
			} else {
				prev.next.Store(n.next.Load())
			}
			return true
		}
		prev = n
	}
	return false
}

// grow relinks every entry into a table with twice the buckets and returns
// it. The caller holds the lock and brackets the call with the partition's
// resize sequence. Each old bucket splits into two new ones; relinking
// keeps each chain's order, so newest-first survives.
func (t *table) grow() *table {
	g := newTable(len(t.buckets) * 2)
	tails := make([]*entry, len(g.buckets))
	for i := range t.buckets {
		e := t.buckets[i].Load()
		for e != nil {
			next := e.next.Load()
			j := e.hash & g.mask
			e.next.Store(nil)
			if tails[j] == nil {
				g.buckets[j].Store(e)
			} else {
				tails[j].next.Store(e)
			}
			tails[j] = e
			e = next
		}
	}
	return g
}

// each calls f for every linked entry.
func (t *table) each(f func(*entry)) {
	for i := range t.buckets {
		for e := t.buckets[i].Load(); e != nil; e = e.next.Load() {
			f(e)
		}
	}
}
