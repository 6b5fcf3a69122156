package impl

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/shardlab/shardlab/model"
)

// ownerRec is one incarnation of an owner. Every entry points at the
// incarnation that registered it, and an entry is live only while its
// incarnation is not dead: so setting dead is the single step in which all
// of an owner's entries, in every partition, disappear together, and an
// entry registered after that (under a new incarnation) is untouched by it.
type ownerRec struct {
	id   model.Owner
	dead atomic.Bool
	// Readers load dead on every lookup; writers lock mu. Keeping them on
	// separate cache lines stops writers' lock traffic from evicting the
	// line readers need.
	_ [56]byte
	// mu orders owner death against writes that depend on the owner's
	// entries being live: such writes hold mu.RLock from their check to
	// their store; OwnerDown holds mu.Lock to set dead.
	mu      sync.RWMutex
	listMu  sync.Mutex // guards entries among concurrent RLock holders
	entries []*entry
	// compactAt is the length at which entries is next filtered of
	// unregistered entries, so churn under one owner does not grow it
	// without bound.
	compactAt int
}

func (o *ownerRec) add(e *entry) {
	o.listMu.Lock()
	if len(o.entries) >= o.compactAt {
		o.entries = slices.DeleteFunc(o.entries, func(e *entry) bool { return e.state.Load() != 0 })
		o.compactAt = max(8, 2*len(o.entries))
	}
	o.entries = append(o.entries, e)
	o.listMu.Unlock()
}

const ownerShards = 64

// owners maps each Owner to its current incarnation, sharded so that
// registrations by different owners do not meet on one lock.
type owners struct {
	shards [ownerShards]struct {
		mu sync.Mutex
		m  map[model.Owner]*ownerRec
		_  [40]byte
	}
}

func (os *owners) shard(o model.Owner) int {
	// splitmix64's finaliser: owners are often small sequential integers.
	z := uint64(o) + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return int((z ^ z>>31) % ownerShards)
}

// current returns the live incarnation of o, creating one if needed. The
// caller must RLock it and check dead, retrying if it died meanwhile.
func (os *owners) current(o model.Owner) *ownerRec {
	s := &os.shards[os.shard(o)]
	s.mu.Lock()
	rec := s.m[o]
	if rec == nil || rec.dead.Load() {
		rec = &ownerRec{id: o, compactAt: 8}
		if s.m == nil {
			s.m = map[model.Owner]*ownerRec{}
		}
		s.m[o] = rec
	}
	s.mu.Unlock()
	return rec
}

// kill declares o's current incarnation dead (only if it is only, when
// only is not nil) and returns how many of its entries were live at that
// instant, with every entry it registered for the caller to clean up. The
// shard lock is held across the dead store so that no registration can
// pick up a fresh incarnation of o before the old one is dead:
// registrations ordered after this OwnerDown are exactly those that
// survive it. Nothing that holds the owner's read lock ever waits for a
// shard lock, so waiting for the write lock here cannot deadlock.
//
// dying is raised before the dead store and lowered once every entry is
// marked entryGone (see Registry.live).
func (os *owners) kill(o model.Owner, only *ownerRec, dying *atomic.Int64) (live int, entries []*entry) {
	s := &os.shards[os.shard(o)]
	s.mu.Lock()
	rec := s.m[o]
	if rec == nil || (only != nil && rec != only) {
		s.mu.Unlock()
		return 0, nil
	}
	delete(s.m, o)
	rec.mu.Lock()
	dying.Add(1)
	rec.dead.Store(true) // the linearization point of OwnerDown
	s.mu.Unlock()
	for _, e := range rec.entries {
		if e.state.Load() == 0 {
			live++
		}
		e.state.Or(entryGone)
	}
	dying.Add(-1)
	entries, rec.entries = rec.entries, nil
	rec.mu.Unlock()
	return live, entries
}

// ownerLocks read-locks the owners a write depends on (at most two: a
// transport's and a server's) in a fixed order, by owner and then address,
// so two writers never wait on each other's owner locks in opposite orders.
// It lives on the caller's stack: writes should not allocate for locking.
type ownerLocks struct {
	recs [2]*ownerRec
	n    int
}

func (l *ownerLocks) rlock(a, b *ownerRec) {
	if a == nil && b == nil {
		l.n = 0
		return
	}
	if b == nil || b == a {
		l.recs[0], l.n = a, 1
	} else if a == nil {
		l.recs[0], l.n = b, 1
	} else if ownerBefore(a, b) {
		l.recs, l.n = [2]*ownerRec{a, b}, 2
	} else {
		l.recs, l.n = [2]*ownerRec{b, a}, 2
	}
	for _, r := range l.recs[:l.n] {
		r.mu.RLock()
	}
}

func (l *ownerLocks) unlock() {
	for _, r := range l.recs[:l.n] {
		r.mu.RUnlock()
	}
	l.n = 0
}

func ownerBefore(a, b *ownerRec) bool {
	if a.id != b.id {
		return a.id < b.id
	}
	// Two incarnations of one owner: any fixed order will do.
	return uintptr(unsafe.Pointer(a)) < uintptr(unsafe.Pointer(b))
}

// WatchOwner ties owner to ctx: when ctx is done, reg.OwnerDown(owner) runs,
// removing everything the owner registered. The returned stop function
// cancels the watch and reports whether it did so before the owner was
// declared down. It works with any model.Registry.
//
// With this package's Registry the watch belongs to one incarnation of the
// owner: the one current when WatchOwner is called, or, if the owner has
// no entries then, the one its next registrations join. If that
// incarnation goes down another way (OwnerDown) and the owner ID is reused
// by later registrations, those form a new incarnation, and the watch,
// when its context ends, leaves them alone. So the way to reuse an owner
// ID is: declare the old owner down (or let its watch fire), then register
// under the same ID again, with a new watch if one is wanted. Other
// registries have no incarnations; for them the watch calls OwnerDown
// with the ID, whatever registered under it since.
func WatchOwner(ctx context.Context, reg model.Registry, owner model.Owner) (stop func() bool) {
	if p, ok := reg.(incarnationPinner); ok {
		return context.AfterFunc(ctx, p.pinOwner(owner))
	}
	return context.AfterFunc(ctx, func() { _, _ = reg.OwnerDown(owner) })
}

// incarnationPinner is implemented by registries with owner incarnations.
type incarnationPinner interface {
	// pinOwner returns a function that declares down the incarnation of
	// owner current now (created if there is none), if it is still the
	// current one when called.
	pinOwner(owner model.Owner) (down func())
}

func (r *Registry) pinOwner(owner model.Owner) func() {
	if owner == 0 {
		return func() {}
	}
	rec := r.owners.current(owner)
	return func() { r.ownerDown(owner, rec) }
}
