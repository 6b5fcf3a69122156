package baseline

import (
	"slices"
	"strings"

	"github.com/shardlab/shardlab/model"
)

// plainServer and plainTransport are the records of plainState. Handlers
// sit beside the entries so routing needs one map lookup.
type plainServer struct {
	entry   model.Entry
	handler model.Handler
	// bound holds the transports bound to this server, so unregistering it
	// and Broadcast do not scan every transport.
	bound map[string]struct{}
}

type plainTransport struct {
	entry   model.Entry
	handler model.Handler
	boundTo string // "" when unbound
}

// ownedIDs indexes one owner's entries so OwnerDown does not scan the whole
// registry; the sharded registry keeps the same kind of index, so leaving it
// out here would flatter neither side.
type ownedIDs struct {
	servers    map[string]struct{}
	transports map[string]struct{}
}

func newOwnedIDs() ownedIDs {
	return ownedIDs{servers: map[string]struct{}{}, transports: map[string]struct{}{}}
}

// drop forgets id and reports whether the owner has no entries left.
func (o *ownedIDs) drop(id string, server bool) (empty bool) {
	if server {
		delete(o.servers, id)
	} else {
		delete(o.transports, id)
	}
	return len(o.servers) == 0 && len(o.transports) == 0
}

// plainState is the registry over plain maps with no synchronisation of its
// own: Mutex guards it with one lock, Channel confines it to one goroutine.
// Argument validation happens before either (it is pure), so every method
// here checks only the state, in the order the model documents.
type plainState struct {
	servers    map[string]*plainServer
	transports map[string]*plainTransport
	owned      map[model.Owner]*ownedIDs
}

func newPlainState() plainState {
	return plainState{
		servers:    map[string]*plainServer{},
		transports: map[string]*plainTransport{},
		owned:      map[model.Owner]*ownedIDs{},
	}
}

func (s *plainState) ownedBy(owner model.Owner) *ownedIDs {
	o := s.owned[owner]
	if o == nil {
		ids := newOwnedIDs()
		o = &ids
		s.owned[owner] = o
	}
	return o
}

func (s *plainState) disown(owner model.Owner, id string, server bool) {
	if o := s.owned[owner]; o != nil && o.drop(id, server) {
		delete(s.owned, owner)
	}
}

func (s *plainState) registerServer(id string, owner model.Owner, h model.Handler, cfg model.Config) error {
	if _, ok := s.servers[id]; ok {
		return model.ErrAlreadyRegistered
	}
	s.servers[id] = &plainServer{entry: model.Entry{ID: id, Owner: owner, Config: cfg}, handler: h}
	s.ownedBy(owner).servers[id] = struct{}{}
	return nil
}

func (s *plainState) registerTransport(id string, owner model.Owner, h model.Handler, cfg model.Config, bindTo string) error {
	if _, ok := s.transports[id]; ok {
		return model.ErrAlreadyRegistered
	}
	var sv *plainServer
	if bindTo != "" {
		if sv = s.servers[bindTo]; sv == nil {
			return model.ErrServerNotFound
		}
	}
	s.transports[id] = &plainTransport{entry: model.Entry{ID: id, Owner: owner, Config: cfg}, handler: h, boundTo: bindTo}
	if sv != nil {
		sv.bindLocked(id)
	}
	s.ownedBy(owner).transports[id] = struct{}{}
	return nil
}

func (sv *plainServer) bindLocked(tid string) {
	if sv.bound == nil {
		sv.bound = map[string]struct{}{}
	}
	sv.bound[tid] = struct{}{}
}

func (s *plainState) unbind(t *plainTransport) {
	if t.boundTo == "" {
		return
	}
	if sv := s.servers[t.boundTo]; sv != nil {
		delete(sv.bound, t.entry.ID)
	}
	t.boundTo = ""
}

func (s *plainState) removeServer(sv *plainServer) {
	for tid := range sv.bound {
		s.transports[tid].boundTo = ""
	}
	delete(s.servers, sv.entry.ID)
	s.disown(sv.entry.Owner, sv.entry.ID, true)
}

func (s *plainState) removeTransport(t *plainTransport) {
	s.unbind(t)
	delete(s.transports, t.entry.ID)
	s.disown(t.entry.Owner, t.entry.ID, false)
}

func (s *plainState) unregisterServer(id string) error {
	sv := s.servers[id]
	if sv == nil {
		return model.ErrServerNotFound
	}
	s.removeServer(sv)
	return nil
}

func (s *plainState) unregisterTransport(id string) error {
	t := s.transports[id]
	if t == nil {
		return model.ErrTransportNotFound
	}
	s.removeTransport(t)
	return nil
}

func (s *plainState) bind(tid, sid string) error {
	sv := s.servers[sid]
	if sv == nil {
		return model.ErrServerNotFound
	}
	t := s.transports[tid]
	if t == nil {
		return model.ErrTransportNotFound
	}
	s.unbind(t)
	t.boundTo = sid
	sv.bindLocked(tid)
	return nil
}

func (s *plainState) unbindID(tid string) error {
	t := s.transports[tid]
	if t == nil {
		return model.ErrTransportNotFound
	}
	s.unbind(t)
	return nil
}

func (s *plainState) serverForTransport(tid string) (string, error) {
	t := s.transports[tid]
	if t == nil {
		return "", model.ErrTransportNotFound
	}
	if t.boundTo == "" {
		return "", model.ErrNotBound
	}
	return t.boundTo, nil
}

// broadcastTargets appends the handlers of the transports bound to sid.
func (s *plainState) broadcastTargets(sid string, hs []model.Handler) ([]model.Handler, error) {
	sv := s.servers[sid]
	if sv == nil {
		return hs, model.ErrServerNotFound
	}
	for tid := range sv.bound {
		hs = append(hs, s.transports[tid].handler)
	}
	return hs, nil
}

func (s *plainState) ownerDown(owner model.Owner) int {
	o := s.owned[owner]
	if o == nil {
		return 0
	}
	n := 0
	for tid := range o.transports {
		s.removeTransport(s.transports[tid])
		n++
	}
	for sid := range o.servers {
		s.removeServer(s.servers[sid])
		n++
	}
	delete(s.owned, owner)
	return n
}

func (s *plainState) listServers() []model.Entry {
	out := make([]model.Entry, 0, len(s.servers))
	for _, sv := range s.servers {
		out = append(out, sv.entry)
	}
	return sortEntries(out)
}

func (s *plainState) listTransports() []model.Entry {
	out := make([]model.Entry, 0, len(s.transports))
	for _, t := range s.transports {
		out = append(out, t.entry)
	}
	return sortEntries(out)
}

func sortEntries(es []model.Entry) []model.Entry {
	slices.SortFunc(es, func(a, b model.Entry) int { return strings.Compare(a.ID, b.ID) })
	return es
}
