package model

import "sync"

// Reference is State behind one mutex, with handlers kept beside it: a
// Registry that is correct by construction and slow. Tests compare other
// registries against it; it is not meant for production.
type Reference struct {
	mu         sync.Mutex
	state      State
	servers    map[string]Handler
	transports map[string]Handler
}

var _ Registry = (*Reference)(nil)

// NewReference returns an empty reference registry.
func NewReference() *Reference {
	return &Reference{
		state:      NewState(),
		servers:    map[string]Handler{},
		transports: map[string]Handler{},
	}
}

// State returns a copy of the current state.
func (r *Reference) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state.Clone()
}

func (r *Reference) apply(op Op) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state.Apply(op)
}

// register applies a registration and keeps h beside it in handlers.
func (r *Reference) register(op Op, id, bindTo string, h Handler, handlers map[string]Handler) error {
	if err := CheckRegistration(id, op.Owner, h, bindTo); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.state.Apply(op)
	if res.Code != CodeOK {
		return res.Code.Err()
	}
	handlers[id] = h
	return nil
}

// RegisterServer implements Registry.
func (r *Reference) RegisterServer(id string, owner Owner, h Handler, cfg Config) error {
	return r.register(Op{Kind: OpRegisterServer, Server: id, Owner: owner, Config: cfg}, id, "", h, r.servers)
}

// RegisterTransport implements Registry.
func (r *Reference) RegisterTransport(id string, owner Owner, h Handler, cfg Config, bindTo string) error {
	return r.register(Op{Kind: OpRegisterTransport, Transport: id, Owner: owner, Config: cfg, Server: bindTo}, id, bindTo, h, r.transports)
}

// UnregisterServer implements Registry.
func (r *Reference) UnregisterServer(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.state.Apply(Op{Kind: OpUnregisterServer, Server: id})
	if res.Code == CodeOK {
		delete(r.servers, id)
	}
	return res.Code.Err()
}

// UnregisterTransport implements Registry.
func (r *Reference) UnregisterTransport(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.state.Apply(Op{Kind: OpUnregisterTransport, Transport: id})
	if res.Code == CodeOK {
		delete(r.transports, id)
	}
	return res.Code.Err()
}

// FindServer implements Registry.
func (r *Reference) FindServer(id string) (Entry, error) {
	res := r.apply(Op{Kind: OpFindServer, Server: id})
	if res.Code != CodeOK {
		return Entry{}, res.Code.Err()
	}
	return Entry{ID: id, Owner: res.Owner, Config: res.Config}, nil
}

// FindTransport implements Registry.
func (r *Reference) FindTransport(id string) (Entry, error) {
	res := r.apply(Op{Kind: OpFindTransport, Transport: id})
	if res.Code != CodeOK {
		return Entry{}, res.Code.Err()
	}
	return Entry{ID: id, Owner: res.Owner, Config: res.Config}, nil
}

// ListServers implements Registry.
func (r *Reference) ListServers() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state.Servers()
}

// ListTransports implements Registry.
func (r *Reference) ListTransports() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state.Transports()
}

// BindTransportToServer implements Registry.
func (r *Reference) BindTransportToServer(transportID, serverID string) error {
	return r.apply(Op{Kind: OpBind, Transport: transportID, Server: serverID}).Code.Err()
}

// UnbindTransport implements Registry.
func (r *Reference) UnbindTransport(transportID string) error {
	return r.apply(Op{Kind: OpUnbind, Transport: transportID}).Code.Err()
}

// ServerForTransport implements Registry.
func (r *Reference) ServerForTransport(transportID string) (string, error) {
	res := r.apply(Op{Kind: OpServerForTransport, Transport: transportID})
	return res.Server, res.Code.Err()
}

// RouteToServer implements Registry. The handler runs after the lock is
// released so a handler may call back into the registry.
func (r *Reference) RouteToServer(serverID string, msg Message) error {
	r.mu.Lock()
	res := r.state.read(Op{Kind: OpRouteToServer, Server: serverID})
	h := r.servers[serverID]
	r.mu.Unlock()
	if res.Code != CodeOK {
		return res.Code.Err()
	}
	h.Handle(msg)
	return nil
}

// RouteToTransport implements Registry.
func (r *Reference) RouteToTransport(transportID string, msg Message) error {
	r.mu.Lock()
	res := r.state.read(Op{Kind: OpRouteToTransport, Transport: transportID})
	h := r.transports[transportID]
	r.mu.Unlock()
	if res.Code != CodeOK {
		return res.Code.Err()
	}
	h.Handle(msg)
	return nil
}

// Broadcast implements Registry.
func (r *Reference) Broadcast(serverID string, msg Message) (int, error) {
	r.mu.Lock()
	res := r.state.read(Op{Kind: OpBroadcast, Server: serverID})
	var hs []Handler
	if res.Code == CodeOK {
		for tid := range r.state.bound[serverID] {
			hs = append(hs, r.transports[tid])
		}
	}
	r.mu.Unlock()
	if res.Code != CodeOK {
		return 0, res.Code.Err()
	}
	for _, h := range hs {
		h.Handle(msg)
	}
	return len(hs), nil
}

// OwnerDown implements Registry.
func (r *Reference) OwnerDown(owner Owner) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.state.Apply(Op{Kind: OpOwnerDown, Owner: owner})
	if res.Code != CodeOK {
		return 0, res.Code.Err()
	}
	for id := range r.servers {
		if _, ok := r.state.servers[id]; !ok {
			delete(r.servers, id)
		}
	}
	for id := range r.transports {
		if _, ok := r.state.transports[id]; !ok {
			delete(r.transports, id)
		}
	}
	return res.Count, nil
}
