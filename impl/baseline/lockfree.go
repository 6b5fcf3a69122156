package baseline

import (
	"sync"
	"sync/atomic"

	"github.com/shardlab/shardlab/model"
)

// The sync.Map and xsync peers share one design, written once here over a
// small interface to the concurrent map (entryMaps):
//
//   - Values are immutable and replaced on write, so a reader never sees a
//     half-written entry, and a value's pointer identifies one incarnation
//     of an ID: a server unregistered and registered again is a new pointer.
//   - A transport's binding is stored inside its value as a pointer to the
//     server value it was bound to. The binding counts only while that very
//     pointer is still the server's current, live value, so unregistering a
//     server is one delete that unbinds everything bound to it at once;
//     writers then rewrite those transports to drop the stale pointer.
//   - Every value points at its owner's life record. OwnerDown flips that
//     record's dead flag (one atomic store: the moment every entry of the
//     owner disappears together) and then deletes the entries. Readers treat
//     an entry whose owner is dead as absent. A later registration by the
//     same owner gets a fresh life record.
//   - Writers serialise on one mutex and clean up eagerly, so under the mutex
//     the maps hold exactly the live state. Lists and Broadcast read under
//     it too: they span many keys, and Range over a concurrent map is not a
//     snapshot. Single-key reads take no lock.
//
// Why the reads are linearizable: a value, once replaced or deleted, never
// returns, and a dead owner never revives, so "current" and "alive" are
// both stable once lost. ServerForTransport loads the transport (t1), then
// checks the bound server value is alive and current (t2 > t1): if so, it was
// alive and current from the bind (before t1) through t2, so the answer
// held at t1. If it is stale, the reader re-loads the transport; the same
// pointer means the transport was unchanged throughout, and at the moment
// the staleness was observed it was registered and unbound. A different
// pointer means a writer intervened, and the reader retries.

// ownerLife is shared by every value one owner registered since its last
// OwnerDown.
type ownerLife struct{ dead atomic.Bool }

type lfServer struct {
	entry   model.Entry
	handler model.Handler
	life    *ownerLife
}

type lfTransport struct {
	entry   model.Entry
	handler model.Handler
	life    *ownerLife
	boundTo *lfServer // nil when unbound; stale unless current and alive
}

// entryMaps is the concurrent map under a lock-free peer.
type entryMaps interface {
	loadServer(id string) (*lfServer, bool)
	storeServer(id string, v *lfServer)
	deleteServer(id string)
	rangeServers(func(*lfServer))
	loadTransport(id string) (*lfTransport, bool)
	storeTransport(id string, v *lfTransport)
	deleteTransport(id string)
	rangeTransports(func(*lfTransport))
}

// ownerRecord is the writers' index of one owner's entries.
type ownerRecord struct {
	life *ownerLife
	ownedIDs
}

// lockFree is the shared implementation of SyncMap and XSync.
type lockFree[M entryMaps] struct {
	maps M

	// mu serialises writers, lists and Broadcast; the fields below it are
	// read and written only under it.
	mu sync.Mutex
	// bound: server ID -> transports bound to its current value.
	bound map[string]map[string]struct{}
	owned map[model.Owner]*ownerRecord
}

func newLockFree[M entryMaps](maps M) lockFree[M] {
	return lockFree[M]{
		maps:  maps,
		bound: map[string]map[string]struct{}{},
		owned: map[model.Owner]*ownerRecord{},
	}
}

// server returns the live value of a server, or nil.
func (r *lockFree[M]) server(id string) *lfServer {
	v, ok := r.maps.loadServer(id)
	if !ok || v.life.dead.Load() {
		return nil
	}
	return v
}

// transport returns the live value of a transport, or nil.
func (r *lockFree[M]) transport(id string) *lfTransport {
	v, ok := r.maps.loadTransport(id)
	if !ok || v.life.dead.Load() {
		return nil
	}
	return v
}

func (r *lockFree[M]) ownerRecordLocked(owner model.Owner) *ownerRecord {
	o := r.owned[owner]
	if o == nil {
		o = &ownerRecord{life: &ownerLife{}, ownedIDs: newOwnedIDs()}
		r.owned[owner] = o
	}
	return o
}

func (r *lockFree[M]) disownLocked(owner model.Owner, id string, server bool) {
	if o := r.owned[owner]; o != nil && o.drop(id, server) {
		delete(r.owned, owner)
	}
}

// RegisterServer implements model.Registry.
func (r *lockFree[M]) RegisterServer(id string, owner model.Owner, h model.Handler, cfg model.Config) error {
	if err := model.CheckRegistration(id, owner, h, ""); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.maps.loadServer(id); ok {
		return model.ErrAlreadyRegistered
	}
	o := r.ownerRecordLocked(owner)
	r.maps.storeServer(id, &lfServer{entry: model.Entry{ID: id, Owner: owner, Config: cfg}, handler: h, life: o.life})
	o.servers[id] = struct{}{}
	return nil
}

// RegisterTransport implements model.Registry.
func (r *lockFree[M]) RegisterTransport(id string, owner model.Owner, h model.Handler, cfg model.Config, bindTo string) error {
	if err := model.CheckRegistration(id, owner, h, bindTo); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.maps.loadTransport(id); ok {
		return model.ErrAlreadyRegistered
	}
	var sv *lfServer
	if bindTo != "" {
		var ok bool
		if sv, ok = r.maps.loadServer(bindTo); !ok {
			return model.ErrServerNotFound
		}
	}
	o := r.ownerRecordLocked(owner)
	// One store makes the transport and its binding visible together.
	r.maps.storeTransport(id, &lfTransport{entry: model.Entry{ID: id, Owner: owner, Config: cfg}, handler: h, life: o.life, boundTo: sv})
	o.transports[id] = struct{}{}
	if sv != nil {
		r.addBindingLocked(bindTo, id)
	}
	return nil
}

func (r *lockFree[M]) addBindingLocked(sid, tid string) {
	set := r.bound[sid]
	if set == nil {
		set = map[string]struct{}{}
		r.bound[sid] = set
	}
	set[tid] = struct{}{}
}

func (r *lockFree[M]) dropBindingLocked(t *lfTransport) {
	if t.boundTo == nil {
		return
	}
	sid := t.boundTo.entry.ID
	if set := r.bound[sid]; set != nil {
		delete(set, t.entry.ID)
		if len(set) == 0 {
			delete(r.bound, sid)
		}
	}
}

// rebindLocked replaces t's value with one bound to sv (nil: unbound).
func (r *lockFree[M]) rebindLocked(t *lfTransport, sv *lfServer) {
	nt := *t
	nt.boundTo = sv
	r.maps.storeTransport(t.entry.ID, &nt)
}

// removeServerLocked deletes the server, which unbinds every transport bound
// to it in that one step, then rewrites those transports so the stale
// pointer does not linger.
func (r *lockFree[M]) removeServerLocked(sv *lfServer) {
	id := sv.entry.ID
	r.maps.deleteServer(id)
	for tid := range r.bound[id] {
		if t, ok := r.maps.loadTransport(tid); ok {
			r.rebindLocked(t, nil)
		}
	}
	delete(r.bound, id)
	r.disownLocked(sv.entry.Owner, id, true)
}

func (r *lockFree[M]) removeTransportLocked(t *lfTransport) {
	r.maps.deleteTransport(t.entry.ID)
	r.dropBindingLocked(t)
	r.disownLocked(t.entry.Owner, t.entry.ID, false)
}

// UnregisterServer implements model.Registry.
func (r *lockFree[M]) UnregisterServer(id string) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	sv, ok := r.maps.loadServer(id)
	if !ok {
		return model.ErrServerNotFound
	}
	r.removeServerLocked(sv)
	return nil
}

// UnregisterTransport implements model.Registry.
func (r *lockFree[M]) UnregisterTransport(id string) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.maps.loadTransport(id)
	if !ok {
		return model.ErrTransportNotFound
	}
	r.removeTransportLocked(t)
	return nil
}

// BindTransportToServer implements model.Registry.
func (r *lockFree[M]) BindTransportToServer(transportID, serverID string) error {
	if err := checkTwoIDs(transportID, serverID); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	sv, ok := r.maps.loadServer(serverID)
	if !ok {
		return model.ErrServerNotFound
	}
	t, ok := r.maps.loadTransport(transportID)
	if !ok {
		return model.ErrTransportNotFound
	}
	r.dropBindingLocked(t)
	r.rebindLocked(t, sv)
	r.addBindingLocked(serverID, transportID)
	return nil
}

// UnbindTransport implements model.Registry.
func (r *lockFree[M]) UnbindTransport(transportID string) error {
	if err := model.ValidateID(transportID); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.maps.loadTransport(transportID)
	if !ok {
		return model.ErrTransportNotFound
	}
	if t.boundTo != nil {
		r.dropBindingLocked(t)
		r.rebindLocked(t, nil)
	}
	return nil
}

// OwnerDown implements model.Registry.
func (r *lockFree[M]) OwnerDown(owner model.Owner) (int, error) {
	if owner == 0 {
		return 0, model.ErrInvalidOwner
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.owned[owner]
	if o == nil {
		return 0, nil
	}
	// The linearization point: every entry of this owner is gone for readers.
	o.life.dead.Store(true)
	delete(r.owned, owner)
	n := 0
	for tid := range o.transports {
		if t, ok := r.maps.loadTransport(tid); ok {
			r.removeTransportLocked(t)
			n++
		}
	}
	for sid := range o.servers {
		if sv, ok := r.maps.loadServer(sid); ok {
			r.removeServerLocked(sv)
			n++
		}
	}
	return n, nil
}

// FindServer implements model.Registry.
func (r *lockFree[M]) FindServer(id string) (model.Entry, error) {
	if err := model.ValidateID(id); err != nil {
		return model.Entry{}, err
	}
	sv := r.server(id)
	if sv == nil {
		return model.Entry{}, model.ErrServerNotFound
	}
	return sv.entry, nil
}

// FindTransport implements model.Registry.
func (r *lockFree[M]) FindTransport(id string) (model.Entry, error) {
	if err := model.ValidateID(id); err != nil {
		return model.Entry{}, err
	}
	t := r.transport(id)
	if t == nil {
		return model.Entry{}, model.ErrTransportNotFound
	}
	return t.entry, nil
}

// ServerForTransport implements model.Registry.
func (r *lockFree[M]) ServerForTransport(transportID string) (string, error) {
	if err := model.ValidateID(transportID); err != nil {
		return "", err
	}
	for {
		t := r.transport(transportID)
		if t == nil {
			return "", model.ErrTransportNotFound
		}
		sv := t.boundTo
		if sv == nil {
			return "", model.ErrNotBound
		}
		if !sv.life.dead.Load() {
			if cur, ok := r.maps.loadServer(sv.entry.ID); ok && cur == sv {
				return sv.entry.ID, nil
			}
		}
		// The binding looked stale; it is only if the transport did not
		// change meanwhile (see the comment at the top of the file).
		if again, ok := r.maps.loadTransport(transportID); ok && again == t && !t.life.dead.Load() {
			return "", model.ErrNotBound
		}
	}
}

// RouteToServer implements model.Registry.
func (r *lockFree[M]) RouteToServer(serverID string, msg model.Message) error {
	if err := model.ValidateID(serverID); err != nil {
		return err
	}
	sv := r.server(serverID)
	if sv == nil {
		return model.ErrServerNotFound
	}
	sv.handler.Handle(msg)
	return nil
}

// RouteToTransport implements model.Registry.
func (r *lockFree[M]) RouteToTransport(transportID string, msg model.Message) error {
	if err := model.ValidateID(transportID); err != nil {
		return err
	}
	t := r.transport(transportID)
	if t == nil {
		return model.ErrTransportNotFound
	}
	t.handler.Handle(msg)
	return nil
}

// Broadcast implements model.Registry.
func (r *lockFree[M]) Broadcast(serverID string, msg model.Message) (int, error) {
	if err := model.ValidateID(serverID); err != nil {
		return 0, err
	}
	r.mu.Lock()
	if _, ok := r.maps.loadServer(serverID); !ok {
		r.mu.Unlock()
		return 0, model.ErrServerNotFound
	}
	hs := make([]model.Handler, 0, len(r.bound[serverID]))
	for tid := range r.bound[serverID] {
		if t, ok := r.maps.loadTransport(tid); ok {
			hs = append(hs, t.handler)
		}
	}
	r.mu.Unlock()
	deliver(hs, msg)
	return len(hs), nil
}

// ListServers implements model.Registry.
func (r *lockFree[M]) ListServers() []model.Entry {
	r.mu.Lock()
	out := []model.Entry{}
	r.maps.rangeServers(func(sv *lfServer) { out = append(out, sv.entry) })
	r.mu.Unlock()
	return sortEntries(out)
}

// ListTransports implements model.Registry.
func (r *lockFree[M]) ListTransports() []model.Entry {
	r.mu.Lock()
	out := []model.Entry{}
	r.maps.rangeTransports(func(t *lfTransport) { out = append(out, t.entry) })
	r.mu.Unlock()
	return sortEntries(out)
}

// Close does nothing; it is here so every peer can be closed alike.
func (r *lockFree[M]) Close() error { return nil }
