package impl

import (
	"reflect"
	"slices"
	"strings"

	"github.com/shardlab/shardlab/model"
)

// Lock order, everywhere: snapMu (OwnerDown shared, a snapshot
// exclusive), then partitions in ascending index, then owners (ownerLocks'
// order). OwnerDown holds snapMu and one owner's write lock but never a
// partition while it does, so no cycle can form.

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

// lockFor locks the partition that holds id; unlockFor(idx) releases it.
func (r *Registry) lockFor(id string) (hash uint64, p *shard, idx int) {
	hash, p, idx = r.locate(id)
	r.lockPart(p)
	return hash, p, idx
}

func (r *Registry) unlockFor(idx int) {
	r.parts[idx].mu.Unlock()
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

// addBound records t in s's bound list, dropping members that are no
// longer bound to s whenever the list is full. p is s's partition; the
// caller holds its lock.
func addBound(p *shard, s, t *entry) {
	if p.bound == nil {
		p.bound = map[*entry][]*entry{}
	}
	ts := p.bound[s]
	if len(ts) == cap(ts) && len(ts) >= 8 {
		ts = compactBound(s, ts)
	}
	p.bound[s] = append(ts, t)
}

// compactBound keeps, in place and once each, the members of ts that are
// live and bound to s. (A transport bound to s, moved and bound back is
// listed twice.) The caller holds s's partition lock.
func compactBound(s *entry, ts []*entry) []*entry {
	var seen map[*entry]bool
	if len(ts) > 1 {
		seen = make(map[*entry]bool, len(ts))
	}
	kept := ts[:0]
	for _, t := range ts {
		if t.binding.Load() == s && t.live() && !seen[t] {
			if seen != nil {
				seen[t] = true
			}
			kept = append(kept, t)
		}
	}
	clear(ts[len(kept):])
	return kept
}

// clearBindings drops bindings to the dead server s. Readers already treat
// them as unbound; this only lets the memory go. A CAS leaves alone any
// transport that has moved on. p is s's partition; the caller holds its
// lock.
func clearBindings(p *shard, s *entry) {
	if len(p.bound) == 0 {
		return
	}
	ts, ok := p.bound[s]
	if !ok {
		return
	}
	for _, t := range ts {
		t.binding.CompareAndSwap(s, nil)
	}
	delete(p.bound, s)
}

// checkRegistration is model.CheckRegistration, plus the refusal of
// handlers that are nil inside a non-nil interface (a nil HandlerFunc, a
// nil pointer, ...): the model cannot tell them from real handlers, and a
// route to one would panic on the caller's goroutine.
func checkRegistration(id string, owner model.Owner, h model.Handler, bindTo string) error {
	if err := model.CheckRegistration(id, owner, h, bindTo); err != nil {
		return err
	}
	if isNilHandler(h) {
		return model.ErrNilHandler
	}
	return nil
}

func isNilHandler(h model.Handler) bool {
	if f, ok := h.(model.HandlerFunc); ok { // the common case, without reflection
		return f == nil
	}
	v := reflect.ValueOf(h)
	switch v.Kind() {
	case reflect.Func, reflect.Pointer, reflect.Map, reflect.Chan, reflect.Slice, reflect.Interface, reflect.UnsafePointer:
		return v.IsNil()
	}
	return false
}

// RegisterServer implements model.Registry.
func (r *Registry) RegisterServer(id string, owner model.Owner, h model.Handler, cfg model.Config) error {
	if err := checkRegistration(id, owner, h, ""); err != nil {
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
	e := &entry{id: id, owner: rec, ownerID: owner, handler: h, cfg: cfg}
	rec.add(e)
	p.srv.link(hash, e, old) // the linearization point
	if old != nil {
		clearBindings(p, old)
	}
	return nil
}

// RegisterTransport implements model.Registry.
func (r *Registry) RegisterTransport(id string, owner model.Owner, h model.Handler, cfg model.Config, bindTo string) error {
	if err := checkRegistration(id, owner, h, bindTo); err != nil {
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
	e := &entry{id: id, owner: rec, ownerID: owner, handler: h, cfg: cfg}
	if srv != nil {
		e.binding.Store(srv)
		addBound(sp, srv, e)
	}
	rec.add(e)
	if old != nil {
		old.binding.Store(nil)
	}
	tp.trn.link(th, e, old) // registered and bound in one store
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
	k, notFound := p.kind(server), model.ErrTransportNotFound
	if server {
		notFound = model.ErrServerNotFound
	}
	b, j, e := k.tp.Load().findSlot(hash, id)
	if !r.markRemoved(e) {
		return notFound
	}
	k.unlinkAt(b, j)
	if server {
		clearBindings(p, e)
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

// markRemoved marks e removed if it is live, holding e's owner so that the
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
	e.state.Or(entryRemoved) // the linearization point
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
	if t.binding.Swap(s) != s { // the linearization point; the old server's list goes stale
		addBound(sp, s, t) // (a transport bound to s is on s's list already)
	}
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
	return r.ownerDown(owner, nil), nil
}

// ownerDown declares owner's current incarnation dead, or only the
// incarnation only when it is not nil and still current, and cleans up.
func (r *Registry) ownerDown(owner model.Owner, only *ownerRec) int {
	r.snapMu.RLock()
	n, entries := r.owners.kill(owner, only, &r.dying)
	r.snapMu.RUnlock()
	for _, e := range entries {
		r.cleanup(e)
	}
	return n
}

// cleanup unlinks the dead entry e from its partition, if a newer
// registration has not already replaced it, and drops bindings to it.
func (r *Registry) cleanup(e *entry) {
	h, p, _ := r.locate(e.id)
	r.lockPart(p)
	defer p.mu.Unlock()
	if !p.srv.unlink(h, e) {
		p.trn.unlink(h, e)
	}
	clearBindings(p, e)
}

// snapshot stops every writer (readers carry on) until the returned
// function is called, so that what is read meanwhile existed at one
// instant: it takes snapMu, which excludes owner deaths, then every
// partition lock in index order, which excludes every other write.
func (r *Registry) snapshot() (release func()) {
	r.snapMu.Lock()
	for i := range r.parts {
		r.parts[i].mu.Lock()
	}
	return func() {
		for i := range r.parts {
			r.parts[i].mu.Unlock()
		}
		r.snapMu.Unlock()
	}
}

func (r *Registry) list(servers bool) []model.Entry {
	release := r.snapshot()
	var out []model.Entry
	for i := range r.parts {
		r.parts[i].kind(servers).each(func(e *entry) {
			if e.live() {
				out = append(out, model.Entry{ID: e.id, Owner: e.ownerID, Config: e.cfg})
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
	ts := compactBound(s, p.bound[s]) // safe: no writer runs during a snapshot
	if len(ts) == 0 {
		delete(p.bound, s)
	} else {
		p.bound[s] = ts
	}
	handlers := make([]model.Handler, len(ts))
	for i, t := range ts {
		handlers[i] = t.handler
	}
	release()
	for _, h := range handlers {
		h.Handle(msg)
	}
	return len(handlers), nil
}
