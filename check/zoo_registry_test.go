package check

import (
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shardlab/shardlab/model"
)

// flaw selects the one defect a sharded zoo registry has; flawNone is a
// correct registry.
type flaw int

const (
	flawNone flaw = iota
	// flawOverloads is not a defect: admission control rejects one
	// registration in five with ErrOverloaded, which the model allows.
	flawOverloads
	// flawDupRegister: RegisterServer checks under the partition's read
	// lock, releases it and inserts under the write lock without checking
	// again: a check-then-act race with nothing that yields in its window.
	flawDupRegister
	// flawCrossPartitionBind: bind checks the server under its partition's
	// lock, releases it, then binds under the transport's partition lock
	// alone, so a server unregistered (or its owner dead) in between gets
	// a binding.
	flawCrossPartitionBind
	// flawStaleHandler: handlers live in a per-partition table filled by
	// "store if absent" and never cleared, so an ID registered again keeps
	// receiving on the first registration's handler.
	flawStaleHandler
	// flawBroadcastGhost: UnregisterTransport forgets to remove the
	// transport from its server's broadcast list, so broadcasts reach the
	// unregistered transport's handler.
	flawBroadcastGhost
	// flawKeyPrefix: entries are keyed by the first 64 bytes of the ID (a
	// fixed-size key for speed), so IDs with a long common prefix collide.
	flawKeyPrefix
	// flawNoUTF8Check: ID validation checks length and control bytes but
	// not that the ID is UTF-8.
	flawNoUTF8Check
	// flawMaxLenOffByOne: ID validation rejects IDs of exactly MaxIDLen
	// bytes.
	flawMaxLenOffByOne
	// flawListSkipsPartition: the lists stop one partition short.
	flawListSkipsPartition
	// flawListByLength: lists are sorted by length, then bytes.
	flawListByLength
)

// zooPartitions is the sharded zoo registries' partition count.
const zooPartitions = 8

type zooServer struct {
	owner   model.Owner
	cfg     model.Config
	handler model.Handler
	bound   map[string]model.Handler // transports bound here -> their handlers
}

type zooTransport struct {
	owner   model.Owner
	cfg     model.Config
	handler model.Handler
	boundTo string
}

type zooPart struct {
	mu         sync.RWMutex
	servers    map[string]*zooServer
	transports map[string]*zooTransport
	handlers   map[string]model.Handler // flawStaleHandler only: "s"+id / "t"+id
}

// zoo is a small sharded registry: IDs hash (FNV-1a) to one of
// zooPartitions partitions, each with its own lock; an operation on one ID
// locks its partition, and one that touches bindings across partitions
// (bind, unregistrations, owner death, lists) locks the partitions it
// needs in index order. Every flaw is a one-line change of the kind that
// slips into such code.
type zoo struct {
	flaw  flaw
	parts [zooPartitions]zooPart
	regs  atomic.Int64
}

var _ model.Registry = (*zoo)(nil)

func newZoo(f flaw) *zoo {
	z := &zoo{flaw: f}
	for i := range z.parts {
		z.parts[i] = zooPart{servers: map[string]*zooServer{}, transports: map[string]*zooTransport{}, handlers: map[string]model.Handler{}}
	}
	return z
}

func (z *zoo) partOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % zooPartitions)
}

// key is how an ID is stored.
func (z *zoo) key(id string) string {
	if z.flaw == flawKeyPrefix && len(id) > 64 {
		return id[:64]
	}
	return id
}

func (z *zoo) validate(id string) error {
	switch z.flaw {
	case flawNoUTF8Check:
		if len(id) == 0 || len(id) > model.MaxIDLen {
			return model.ErrInvalidID
		}
		for i := 0; i < len(id); i++ {
			if id[i] < 0x20 || id[i] == 0x7f {
				return model.ErrInvalidID
			}
		}
		return nil
	case flawMaxLenOffByOne:
		if len(id) >= model.MaxIDLen {
			return model.ErrInvalidID
		}
	}
	return model.ValidateID(id)
}

func (z *zoo) checkRegistration(id string, owner model.Owner, h model.Handler, bindTo string) error {
	if err := z.validate(id); err != nil {
		return err
	}
	if bindTo != "" {
		if err := z.validate(bindTo); err != nil {
			return err
		}
	}
	return model.CheckRegistration("x", owner, h, "")
}

func (z *zoo) part(id string) *zooPart { return &z.parts[z.partOf(z.key(id))] }

// lockAll locks every partition in order; unlockAll undoes it.
func (z *zoo) lockAll() {
	for i := range z.parts {
		z.parts[i].mu.Lock()
	}
}

func (z *zoo) unlockAll() {
	for i := range z.parts {
		z.parts[i].mu.Unlock()
	}
}

func (z *zoo) admit() bool {
	return !(z.flaw == flawOverloads && z.regs.Add(1)%5 == 0)
}

func (z *zoo) RegisterServer(id string, owner model.Owner, h model.Handler, cfg model.Config) error {
	if err := z.checkRegistration(id, owner, h, ""); err != nil {
		return err
	}
	if !z.admit() {
		return model.ErrOverloaded
	}
	p, k := z.part(id), z.key(id)
	if z.flaw == flawDupRegister {
		// The entry is built outside the lock to keep the critical
		// section short, and the check is not repeated under it.
		p.mu.RLock()
		_, exists := p.servers[k]
		p.mu.RUnlock()
		if exists {
			return model.ErrAlreadyRegistered
		}
		e := &zooServer{owner: owner, cfg: cfg, handler: h, bound: map[string]model.Handler{}}
		p.mu.Lock()
		p.servers[k] = e
		p.mu.Unlock()
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, exists := p.servers[k]; exists {
		return model.ErrAlreadyRegistered
	}
	p.servers[k] = &zooServer{owner: owner, cfg: cfg, handler: z.storeHandler(p, "s"+k, h), bound: map[string]model.Handler{}}
	return nil
}

// storeHandler returns the handler to keep for an entry: h, or under
// flawStaleHandler whatever the table held first.
func (z *zoo) storeHandler(p *zooPart, k string, h model.Handler) model.Handler {
	if z.flaw != flawStaleHandler {
		return h
	}
	if old, ok := p.handlers[k]; ok {
		return old
	}
	p.handlers[k] = h
	return h
}

func (z *zoo) RegisterTransport(id string, owner model.Owner, h model.Handler, cfg model.Config, bindTo string) error {
	if err := z.checkRegistration(id, owner, h, bindTo); err != nil {
		return err
	}
	if !z.admit() {
		return model.ErrOverloaded
	}
	z.lockAll()
	defer z.unlockAll()
	p, k := z.part(id), z.key(id)
	if _, exists := p.transports[k]; exists {
		return model.ErrAlreadyRegistered
	}
	var sv *zooServer
	if bindTo != "" {
		if sv = z.part(bindTo).servers[z.key(bindTo)]; sv == nil {
			return model.ErrServerNotFound
		}
	}
	t := &zooTransport{owner: owner, cfg: cfg, handler: z.storeHandler(p, "t"+k, h)}
	p.transports[k] = t
	if sv != nil {
		t.boundTo = z.key(bindTo)
		sv.bound[k] = t.handler
	}
	return nil
}

// unbindLocked removes t's binding; every partition is locked.
func (z *zoo) unbindLocked(k string, t *zooTransport) {
	if t.boundTo == "" {
		return
	}
	if sv := z.part(t.boundTo).servers[t.boundTo]; sv != nil {
		delete(sv.bound, k)
	}
	t.boundTo = ""
}

// removeServerLocked removes server k and its bindings; every partition is
// locked.
func (z *zoo) removeServerLocked(k string) {
	p := z.part(k)
	sv := p.servers[k]
	for tk := range sv.bound {
		if t := z.part(tk).transports[tk]; t != nil {
			t.boundTo = ""
		}
	}
	delete(p.servers, k)
}

func (z *zoo) UnregisterServer(id string) error {
	if err := z.validate(id); err != nil {
		return err
	}
	z.lockAll()
	defer z.unlockAll()
	k := z.key(id)
	if z.part(id).servers[k] == nil {
		return model.ErrServerNotFound
	}
	z.removeServerLocked(k)
	return nil
}

func (z *zoo) UnregisterTransport(id string) error {
	if err := z.validate(id); err != nil {
		return err
	}
	z.lockAll()
	defer z.unlockAll()
	p, k := z.part(id), z.key(id)
	t := p.transports[k]
	if t == nil {
		return model.ErrTransportNotFound
	}
	if z.flaw == flawBroadcastGhost {
		t.boundTo = "" // the server's list keeps it
	} else {
		z.unbindLocked(k, t)
	}
	delete(p.transports, k)
	return nil
}

func (z *zoo) FindServer(id string) (model.Entry, error) {
	if err := z.validate(id); err != nil {
		return model.Entry{}, err
	}
	p := z.part(id)
	p.mu.RLock()
	defer p.mu.RUnlock()
	sv := p.servers[z.key(id)]
	if sv == nil {
		return model.Entry{}, model.ErrServerNotFound
	}
	return model.Entry{ID: id, Owner: sv.owner, Config: sv.cfg}, nil
}

func (z *zoo) FindTransport(id string) (model.Entry, error) {
	if err := z.validate(id); err != nil {
		return model.Entry{}, err
	}
	p := z.part(id)
	p.mu.RLock()
	defer p.mu.RUnlock()
	t := p.transports[z.key(id)]
	if t == nil {
		return model.Entry{}, model.ErrTransportNotFound
	}
	return model.Entry{ID: id, Owner: t.owner, Config: t.cfg}, nil
}

func (z *zoo) list(servers bool) []model.Entry {
	z.lockAll()
	defer z.unlockAll()
	var out []model.Entry
	n := len(z.parts)
	if z.flaw == flawListSkipsPartition {
		n--
	}
	for i := range n {
		p := &z.parts[i]
		if servers {
			for k, sv := range p.servers {
				out = append(out, model.Entry{ID: k, Owner: sv.owner, Config: sv.cfg})
			}
		} else {
			for k, t := range p.transports {
				out = append(out, model.Entry{ID: k, Owner: t.owner, Config: t.cfg})
			}
		}
	}
	slices.SortFunc(out, func(a, b model.Entry) int {
		if z.flaw == flawListByLength && len(a.ID) != len(b.ID) {
			return len(a.ID) - len(b.ID)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func (z *zoo) ListServers() []model.Entry    { return z.list(true) }
func (z *zoo) ListTransports() []model.Entry { return z.list(false) }

func (z *zoo) BindTransportToServer(tid, sid string) error {
	if err := z.validate(tid); err != nil {
		return err
	}
	if err := z.validate(sid); err != nil {
		return err
	}
	tk, sk := z.key(tid), z.key(sid)
	if z.flaw == flawCrossPartitionBind && z.partOf(tk) != z.partOf(sk) {
		sp, tp := z.part(sid), z.part(tid)
		sp.mu.RLock()
		exists := sp.servers[sk] != nil
		sp.mu.RUnlock()
		if !exists {
			return model.ErrServerNotFound
		}
		tp.mu.Lock()
		t := tp.transports[tk]
		if t == nil {
			tp.mu.Unlock()
			return model.ErrTransportNotFound
		}
		old := t.boundTo
		t.boundTo = sk
		h := t.handler
		tp.mu.Unlock()
		// The server's list is brought up to date afterwards, under its
		// own lock, if the server is still there.
		z.lockAll()
		if old != "" {
			if sv := z.part(old).servers[old]; sv != nil {
				delete(sv.bound, tk)
			}
		}
		if sv := sp.servers[sk]; sv != nil {
			sv.bound[tk] = h
		}
		z.unlockAll()
		return nil
	}
	z.lockAll()
	defer z.unlockAll()
	sv := z.part(sid).servers[sk]
	if sv == nil {
		return model.ErrServerNotFound
	}
	t := z.part(tid).transports[tk]
	if t == nil {
		return model.ErrTransportNotFound
	}
	z.unbindLocked(tk, t)
	t.boundTo = sk
	sv.bound[tk] = t.handler
	return nil
}

func (z *zoo) UnbindTransport(tid string) error {
	if err := z.validate(tid); err != nil {
		return err
	}
	z.lockAll()
	defer z.unlockAll()
	tk := z.key(tid)
	t := z.part(tid).transports[tk]
	if t == nil {
		return model.ErrTransportNotFound
	}
	z.unbindLocked(tk, t)
	return nil
}

func (z *zoo) ServerForTransport(tid string) (string, error) {
	if err := z.validate(tid); err != nil {
		return "", err
	}
	p := z.part(tid)
	p.mu.RLock()
	defer p.mu.RUnlock()
	t := p.transports[z.key(tid)]
	if t == nil {
		return "", model.ErrTransportNotFound
	}
	if t.boundTo == "" {
		return "", model.ErrNotBound
	}
	return t.boundTo, nil
}

func (z *zoo) RouteToServer(sid string, msg model.Message) error {
	if err := z.validate(sid); err != nil {
		return err
	}
	p := z.part(sid)
	p.mu.RLock()
	sv := p.servers[z.key(sid)]
	p.mu.RUnlock()
	if sv == nil {
		return model.ErrServerNotFound
	}
	sv.handler.Handle(msg)
	return nil
}

func (z *zoo) RouteToTransport(tid string, msg model.Message) error {
	if err := z.validate(tid); err != nil {
		return err
	}
	p := z.part(tid)
	p.mu.RLock()
	t := p.transports[z.key(tid)]
	p.mu.RUnlock()
	if t == nil {
		return model.ErrTransportNotFound
	}
	t.handler.Handle(msg)
	return nil
}

func (z *zoo) Broadcast(sid string, msg model.Message) (int, error) {
	if err := z.validate(sid); err != nil {
		return 0, err
	}
	p := z.part(sid)
	p.mu.RLock()
	sv := p.servers[z.key(sid)]
	var hs []model.Handler
	if sv != nil {
		for _, h := range sv.bound {
			hs = append(hs, h)
		}
	}
	p.mu.RUnlock()
	if sv == nil {
		return 0, model.ErrServerNotFound
	}
	for _, h := range hs {
		h.Handle(msg)
	}
	return len(hs), nil
}

func (z *zoo) OwnerDown(owner model.Owner) (int, error) {
	if owner == 0 {
		return 0, model.ErrInvalidOwner
	}
	z.lockAll()
	defer z.unlockAll()
	n := 0
	for i := range z.parts {
		p := &z.parts[i]
		for k, t := range p.transports {
			if t.owner == owner {
				z.unbindLocked(k, t)
				delete(p.transports, k)
				n++
			}
		}
	}
	for i := range z.parts {
		p := &z.parts[i]
		for k, sv := range p.servers {
			if sv.owner == owner {
				z.removeServerLocked(k)
				n++
			}
		}
	}
	return n, nil
}
