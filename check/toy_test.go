package check

import (
	"slices"
	"strings"
	"sync"

	"github.com/shardlab/shardlab/model"
)

// bugs selects the defects a toy registry has. The zero value is a correct
// registry, which every check must pass: that calibrates the checks against
// false alarms.
type bugs struct {
	staleReadCache          bool // FindServer serves a cache that unregistration never invalidates
	nonAtomicBind           bool // bind checks the server, releases the lock, then binds without rechecking
	ownerDownKeepsBindings  bool // owner death removes servers but leaves transports bound to them
	unregisterKeepsBindings bool // UnregisterServer leaves transports bound to the removed server
	staleDeathNotice        bool // owner death snapshots IDs, releases the lock, then deletes them by ID
	rejectReads             bool // admission control rejects every third find with ErrOverloaded
	rejectRegistrations     bool // admission control rejects every third registration: correct
}

// toy is a small hand-written registry with injectable defects. hook runs
// between the two halves of a non-atomic operation, with no lock held, so a
// test can put another client's operation exactly there.
type toy struct {
	mu         sync.Mutex
	bugs       bugs
	hook       func()
	servers    map[string]model.Entry
	transports map[string]model.Entry
	boundTo    map[string]string        // transport -> server
	handlers   map[string]model.Handler // "s"+id or "t"+id -> handler
	cache      map[string]model.Entry
	reads      int
	regs       int
}

func newToy(b bugs) *toy {
	return &toy{bugs: b, servers: map[string]model.Entry{}, transports: map[string]model.Entry{},
		boundTo: map[string]string{}, cache: map[string]model.Entry{}, handlers: map[string]model.Handler{}}
}

func (r *toy) pause() {
	if r.hook != nil {
		r.hook()
	}
}

// admit implements the registration side of admission control.
func (r *toy) admit() bool {
	r.regs++
	return !(r.bugs.rejectRegistrations && r.regs%3 == 0)
}

func (r *toy) RegisterServer(id string, owner model.Owner, h model.Handler, cfg model.Config) error {
	if err := model.CheckRegistration(id, owner, h, ""); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.admit() {
		return model.ErrOverloaded
	}
	if _, ok := r.servers[id]; ok {
		return model.ErrAlreadyRegistered
	}
	r.servers[id] = model.Entry{ID: id, Owner: owner, Config: cfg}
	r.handlers["s"+id] = h
	return nil
}

func (r *toy) RegisterTransport(id string, owner model.Owner, h model.Handler, cfg model.Config, bindTo string) error {
	if err := model.CheckRegistration(id, owner, h, bindTo); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.admit() {
		return model.ErrOverloaded
	}
	if _, ok := r.transports[id]; ok {
		return model.ErrAlreadyRegistered
	}
	if bindTo != "" {
		if _, ok := r.servers[bindTo]; !ok {
			return model.ErrServerNotFound
		}
		r.boundTo[id] = bindTo
	}
	r.transports[id] = model.Entry{ID: id, Owner: owner, Config: cfg}
	r.handlers["t"+id] = h
	return nil
}

func (r *toy) removeServer(id string, keepBindings bool) {
	delete(r.servers, id)
	if keepBindings {
		return
	}
	for t, s := range r.boundTo {
		if s == id {
			delete(r.boundTo, t)
		}
	}
}

func (r *toy) UnregisterServer(id string) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.servers[id]; !ok {
		return model.ErrServerNotFound
	}
	r.removeServer(id, r.bugs.unregisterKeepsBindings)
	return nil
}

func (r *toy) UnregisterTransport(id string) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.transports[id]; !ok {
		return model.ErrTransportNotFound
	}
	delete(r.transports, id)
	delete(r.boundTo, id)
	return nil
}

func (r *toy) rejectRead() bool {
	r.reads++
	return r.bugs.rejectReads && r.reads%3 == 0
}

func (r *toy) FindServer(id string) (model.Entry, error) {
	if err := model.ValidateID(id); err != nil {
		return model.Entry{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rejectRead() {
		return model.Entry{}, model.ErrOverloaded
	}
	if e, ok := r.cache[id]; ok && r.bugs.staleReadCache {
		return e, nil
	}
	e, ok := r.servers[id]
	if !ok {
		return model.Entry{}, model.ErrServerNotFound
	}
	r.cache[id] = e
	return e, nil
}

func (r *toy) FindTransport(id string) (model.Entry, error) {
	if err := model.ValidateID(id); err != nil {
		return model.Entry{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rejectRead() {
		return model.Entry{}, model.ErrOverloaded
	}
	e, ok := r.transports[id]
	if !ok {
		return model.Entry{}, model.ErrTransportNotFound
	}
	return e, nil
}

func sortedEntries(m map[string]model.Entry) []model.Entry {
	out := make([]model.Entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sortEntries(out)
	return out
}

func (r *toy) ListServers() []model.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return sortedEntries(r.servers)
}

func (r *toy) ListTransports() []model.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return sortedEntries(r.transports)
}

func (r *toy) BindTransportToServer(tid, sid string) error {
	if err := model.ValidateID(tid); err != nil {
		return err
	}
	if err := model.ValidateID(sid); err != nil {
		return err
	}
	r.mu.Lock()
	if _, ok := r.servers[sid]; !ok {
		r.mu.Unlock()
		return model.ErrServerNotFound
	}
	if r.bugs.nonAtomicBind {
		r.mu.Unlock()
		r.pause()
		r.mu.Lock()
	}
	defer r.mu.Unlock()
	if _, ok := r.transports[tid]; !ok {
		return model.ErrTransportNotFound
	}
	r.boundTo[tid] = sid
	return nil
}

func (r *toy) UnbindTransport(tid string) error {
	if err := model.ValidateID(tid); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.transports[tid]; !ok {
		return model.ErrTransportNotFound
	}
	delete(r.boundTo, tid)
	return nil
}

func (r *toy) ServerForTransport(tid string) (string, error) {
	if err := model.ValidateID(tid); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.transports[tid]; !ok {
		return "", model.ErrTransportNotFound
	}
	s, ok := r.boundTo[tid]
	if !ok {
		return "", model.ErrNotBound
	}
	return s, nil
}

func (r *toy) RouteToServer(sid string, msg model.Message) error {
	if err := model.ValidateID(sid); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.servers[sid]; !ok {
		return model.ErrServerNotFound
	}
	r.handlers["s"+sid].Handle(msg)
	return nil
}

func (r *toy) RouteToTransport(tid string, msg model.Message) error {
	if err := model.ValidateID(tid); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.transports[tid]; !ok {
		return model.ErrTransportNotFound
	}
	r.handlers["t"+tid].Handle(msg)
	return nil
}

func (r *toy) Broadcast(sid string, msg model.Message) (int, error) {
	if err := model.ValidateID(sid); err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.servers[sid]; !ok {
		return 0, model.ErrServerNotFound
	}
	n := 0
	for t, s := range r.boundTo {
		if s == sid {
			r.handlers["t"+t].Handle(msg)
			n++
		}
	}
	return n, nil
}

func (r *toy) OwnerDown(owner model.Owner) (int, error) {
	if owner == 0 {
		return 0, model.ErrInvalidOwner
	}
	r.mu.Lock()
	var servers, transports []string
	for id, e := range r.servers {
		if e.Owner == owner {
			servers = append(servers, id)
		}
	}
	for id, e := range r.transports {
		if e.Owner == owner {
			transports = append(transports, id)
		}
	}
	if r.bugs.staleDeathNotice {
		// The defect: the IDs are deleted later without checking that
		// they still belong to this owner.
		r.mu.Unlock()
		r.pause()
		r.mu.Lock()
	}
	defer r.mu.Unlock()
	for _, id := range transports {
		delete(r.transports, id)
		delete(r.boundTo, id)
	}
	for _, id := range servers {
		r.removeServer(id, r.bugs.ownerDownKeepsBindings)
	}
	return len(servers) + len(transports), nil
}

var _ model.Registry = (*toy)(nil)

func sortEntries(es []model.Entry) {
	slices.SortFunc(es, func(a, b model.Entry) int { return strings.Compare(a.ID, b.ID) })
}
