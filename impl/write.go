package impl

import (
	"slices"
	"strings"
	"sync/atomic"

	"github.com/shardlab/shardlab/model"
)

// Lock order, everywhere: one snapshot slot (read lock), then partitions in
// ascending index, then owners (ownerLocks' order). OwnerDown holds a slot
// and one owner's write lock but never a partition while it does, so no
// cycle can form.

func (r *Registry) slotFor(partitionIdx int) *paddedRW {
	return &r.slots[partitionIdx%len(r.slots)]
}

// lockPart locks p, measuring the wait only when the lock is taken: the
// uncontended path reads no clock.
func (r *Registry) lockPart(p *shard) {
	if p.mu.TryLock() {
		p.writes++
		p.winWrites++
		return
	}
	start := r.clock()
	p.mu.Lock()
	now := r.clock()
	wait := max(now-start, 0)
	p.writes++
	p.winWrites++
	p.contended++
	p.waitTotal += wait
	p.winWait += wait
	p.maxWait = max(p.maxWait, wait)
	if now-p.winStart >= r.opts.ContentionWindow {
		r.closeWindow(p, now)
	}
}

// lockFor takes the locks a write to one partition needs, in the global
// order: its snapshot slot (read), then its partition. unlockFor(idx)
// releases them.
func (r *Registry) lockFor(id string) (hash uint64, p *shard, idx int) {
	hash, p, idx = r.locate(id)
	r.slotFor(idx).RLock()
	r.lockPart(p)
	return hash, p, idx
}

func (r *Registry) unlockFor(idx int) {
	r.parts[idx].mu.Unlock()
	r.slotFor(idx).RUnlock()
}

// lockParts locks the partitions a and b (b may be -1 or equal to a) in
// index order.
func (r *Registry) lockParts(a, b int) {
	switch {
	case b < 0 || b == a:
		r.lockPart(&r.parts[a])
	case a < b:
		r.lockPart(&r.parts[a])
		r.lockPart(&r.parts[b])
	default:
		r.lockPart(&r.parts[b])
		r.lockPart(&r.parts[a])
	}
}

func (r *Registry) unlockParts(a, b int) {
	r.parts[a].mu.Unlock()
	if b >= 0 && b != a {
		r.parts[b].mu.Unlock()
	}
}

// admit implements admission control. The fast path is one load of a
// counter that changes only when an alarm is raised or cleared.
func (r *Registry) admit() error {
	if r.opts.DisableAdmission || r.alarmed.Load() <= r.admitLimit {
		return nil
	}
	r.reevaluate()
	if r.alarmed.Load() <= r.admitLimit {
		return nil
	}
	r.rejected.Add(1)
	return model.ErrOverloaded
}

// lockOwnerFor read-locks the current incarnation of owner (with other, if
// not nil) and returns it, retrying if the incarnation died meanwhile.
func (r *Registry) lockOwnerFor(ol *ownerLocks, owner model.Owner, other *ownerRec) *ownerRec {
	for {
		rec := r.owners.current(owner)
		ol.rlock(rec, other)
		if !rec.dead.Load() {
			return rec
		}
		ol.unlock()
	}
}

// insert publishes e in the table tp of shard p, growing the table first
// when it holds as many entries as buckets. The caller holds p's lock.
func insert(p *shard, tp *atomic.Pointer[table], n *int, e *entry) {
	t := tp.Load()
	if *n >= len(t.buckets) {
		p.resizes.Add(1) // odd: readers that miss will retry
		t = t.grow()
		tp.Store(t)
		p.resizes.Add(1)
	}
	t.insert(e)
	*n++
}

// addBound records t in s's bound set, dropping members that are no longer
// bound to s whenever the set has doubled. The caller holds s's partition lock.
func addBound(s, t *entry) {
	if s.boundSet == nil {
		s.boundSet = make(map[*entry]struct{}, 1)
		s.pruneAt = 8
	}
	if len(s.boundSet) >= int(s.pruneAt) {
		for m := range s.boundSet {
			if m.binding.Load() != s || !m.live() {
				delete(s.boundSet, m)
			}
		}
		s.pruneAt = int32(max(8, 2*len(s.boundSet)))
	}
	s.boundSet[t] = struct{}{}
}

// clearBindings drops bindings to the dead server s. Readers already treat
// them as unbound; this only lets the memory go. A CAS leaves alone any
// transport that has moved on. The caller holds s's partition lock.
func clearBindings(s *entry) {
	for t := range s.boundSet {
		t.binding.CompareAndSwap(s, nil)
	}
	s.boundSet = nil
}

// RegisterServer implements model.Registry.
func (r *Registry) RegisterServer(id string, owner model.Owner, h model.Handler, cfg model.Config) error {
	if err := model.CheckRegistration(id, owner, h, ""); err != nil {
		return err
	}
	if err := r.admit(); err != nil {
		return err
	}
	hash, p, idx := r.lockFor(id)
	defer r.unlockFor(idx)

	old := p.servers.Load().find(hash, id)
	if old != nil && old.live() {
		return model.ErrAlreadyRegistered
	}
	var ol ownerLocks
	rec := r.lockOwnerFor(&ol, owner, nil)
	defer ol.unlock()
	e := &entry{id: id, hash: hash, owner: rec, handler: h, cfg: cfg}
	rec.add(e)
	if old != nil && p.servers.Load().remove(old) {
		p.nServers--
	}
	insert(p, &p.servers, &p.nServers, e) // the linearization point
	return nil
}

// RegisterTransport implements model.Registry.
func (r *Registry) RegisterTransport(id string, owner model.Owner, h model.Handler, cfg model.Config, bindTo string) error {
	if err := model.CheckRegistration(id, owner, h, bindTo); err != nil {
		return err
	}
	if err := r.admit(); err != nil {
		return err
	}
	th, tp, ti := r.locate(id)
	var (
		sh uint64
		sp *shard
		si = -1
	)
	if bindTo != "" {
		sh, sp, si = r.locate(bindTo)
	}
	slot := r.slotFor(ti)
	slot.RLock()
	defer slot.RUnlock()
	r.lockParts(ti, si)
	defer r.unlockParts(ti, si)

	old := tp.transports.Load().find(th, id)
	if old != nil && old.live() {
		return model.ErrAlreadyRegistered
	}
	var srv *entry
	var srvOwner *ownerRec
	if bindTo != "" {
		srv = sp.servers.Load().find(sh, bindTo)
		if srv == nil || !srv.live() {
			return model.ErrServerNotFound
		}
		srvOwner = srv.owner
	}
	var ol ownerLocks
	rec := r.lockOwnerFor(&ol, owner, srvOwner)
	defer ol.unlock()
	if srv != nil && !srv.live() { // its owner died before we held the lock
		return model.ErrServerNotFound
	}
	e := &entry{id: id, hash: th, owner: rec, handler: h, cfg: cfg}
	if srv != nil {
		e.binding.Store(srv)
		addBound(srv, e)
	}
	rec.add(e)
	if old != nil && tp.transports.Load().remove(old) {
		tp.nTransports--
	}
	insert(tp, &tp.transports, &tp.nTransports, e) // registered and bound in one store
	return nil
}

// UnregisterServer implements model.Registry. Bindings to the server stop
// counting at the same store that removes it.
func (r *Registry) UnregisterServer(id string) error { return r.unregister(id, true) }

// UnregisterTransport implements model.Registry.
func (r *Registry) UnregisterTransport(id string) error { return r.unregister(id, false) }

func (r *Registry) unregister(id string, server bool) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	hash, p, idx := r.lockFor(id)
	defer r.unlockFor(idx)
	tp, n, notFound := &p.transports, &p.nTransports, model.ErrTransportNotFound
	if server {
		tp, n, notFound = &p.servers, &p.nServers, model.ErrServerNotFound
	}
	e := tp.Load().find(hash, id)
	if !r.markRemoved(e) {
		return notFound
	}
	if tp.Load().remove(e) {
		*n--
	}
	if server {
		clearBindings(e)
	} else {
		e.binding.Store(nil)
	}
	return nil
}

func ownerOf(e *entry) *ownerRec {
	if e == nil {
		return nil
	}
	return e.owner
}

// markRemoved sets e.removed if e is live, holding e's owner so that the
// owner cannot die between the check and the store. The caller holds e's
// partition lock. It reports whether e was live.
func (r *Registry) markRemoved(e *entry) bool {
	if e == nil || !e.live() {
		return false
	}
	var ol ownerLocks
	ol.rlock(e.owner, nil)
	defer ol.unlock()
	if e.owner.dead.Load() {
		return false
	}
	e.removed.Store(true) // the linearization point
	return true
}

// BindTransportToServer implements model.Registry.
func (r *Registry) BindTransportToServer(transportID, serverID string) error {
	if err := model.ValidateID(transportID); err != nil {
		return err
	}
	if err := model.ValidateID(serverID); err != nil {
		return err
	}
	th, tp, ti := r.locate(transportID)
	sh, sp, si := r.locate(serverID)
	slot := r.slotFor(ti)
	slot.RLock()
	defer slot.RUnlock()
	r.lockParts(ti, si)
	defer r.unlockParts(ti, si)

	// The partition locks freeze which entries are linked; the owner locks
	// freeze their owners' lives. Only with both held do the two liveness
	// checks below describe one instant: otherwise an owner of both could
	// die between them, and the answer (server live, transport gone) would
	// match no state the registry was ever in.
	s := sp.servers.Load().find(sh, serverID)
	t := tp.transports.Load().find(th, transportID)
	var ol ownerLocks
	ol.rlock(ownerOf(s), ownerOf(t))
	defer ol.unlock()
	if s == nil || !s.live() {
		return model.ErrServerNotFound
	}
	if t == nil || !t.live() {
		return model.ErrTransportNotFound
	}
	t.binding.Store(s) // the linearization point; the old server's set goes stale
	addBound(s, t)
	return nil
}

// UnbindTransport implements model.Registry.
func (r *Registry) UnbindTransport(transportID string) error {
	if err := model.ValidateID(transportID); err != nil {
		return err
	}
	hash, p, idx := r.lockFor(transportID)
	defer r.unlockFor(idx)
	t := p.transports.Load().find(hash, transportID)
	if t == nil || !t.live() {
		return model.ErrTransportNotFound
	}
	var ol ownerLocks
	ol.rlock(t.owner, nil)
	defer ol.unlock()
	if t.owner.dead.Load() {
		return model.ErrTransportNotFound
	}
	t.binding.Store(nil)
	return nil
}

// OwnerDown implements model.Registry. Setting the incarnation's dead flag
// removes all its entries at once; the tables are cleaned up afterwards,
// before OwnerDown returns.
func (r *Registry) OwnerDown(owner model.Owner) (int, error) {
	if owner == 0 {
		return 0, model.ErrInvalidOwner
	}
	shard := r.owners.shard(owner)
	slot := &r.slots[shard%len(r.slots)]
	slot.RLock()
	defer slot.RUnlock()
	n, entries := r.owners.kill(owner)
	for _, e := range entries {
		r.cleanup(e)
	}
	return n, nil
}

// cleanup unlinks the dead entry e from its partition, if a newer
// registration has not already replaced it, and drops bindings to it.
func (r *Registry) cleanup(e *entry) {
	_, p, _ := r.locate(e.id)
	r.lockPart(p)
	defer p.mu.Unlock()
	switch {
	case p.servers.Load().remove(e):
		p.nServers--
	case p.transports.Load().remove(e):
		p.nTransports--
	}
	clearBindings(e)
}

// snapshot stops every writer (readers carry on) until the returned
// function is called, so that what is read meanwhile existed at one instant.
func (r *Registry) snapshot() (release func()) {
	for i := range r.slots {
		r.slots[i].Lock()
	}
	return func() {
		for i := range r.slots {
			r.slots[i].Unlock()
		}
	}
}

func (r *Registry) list(servers bool) []model.Entry {
	release := r.snapshot()
	var out []model.Entry
	for i := range r.parts {
		t := r.parts[i].transports.Load()
		if servers {
			t = r.parts[i].servers.Load()
		}
		t.each(func(e *entry) {
			if e.live() {
				out = append(out, model.Entry{ID: e.id, Owner: e.owner.id, Config: e.cfg})
			}
		})
	}
	release()
	slices.SortFunc(out, func(a, b model.Entry) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// ListServers implements model.Registry.
func (r *Registry) ListServers() []model.Entry { return r.list(true) }

// ListTransports implements model.Registry.
func (r *Registry) ListTransports() []model.Entry { return r.list(false) }

// Broadcast implements model.Registry. The set of recipients is taken in a
// snapshot; the handlers run after writers are released.
func (r *Registry) Broadcast(serverID string, msg model.Message) (int, error) {
	if err := model.ValidateID(serverID); err != nil {
		return 0, err
	}
	hash, p, _ := r.locate(serverID)
	release := r.snapshot()
	s := p.servers.Load().find(hash, serverID)
	if s == nil || !s.live() {
		release()
		return 0, model.ErrServerNotFound
	}
	var handlers []model.Handler
	for t := range s.boundSet {
		if t.binding.Load() == s && t.live() {
			handlers = append(handlers, t.handler)
		} else {
			delete(s.boundSet, t) // safe: no writer runs during a snapshot
		}
	}
	release()
	for _, h := range handlers {
		h.Handle(msg)
	}
	return len(handlers), nil
}
