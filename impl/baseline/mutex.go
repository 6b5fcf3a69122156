package baseline

import (
	"sync"

	"github.com/shardlab/shardlab/model"
)

// Mutex is a registry over plain maps behind one sync.Mutex: the simplest
// correct design, and the floor a sharded registry has to beat once more
// than one core is busy. Handlers run after the lock is released, so a
// handler may call back into the registry.
type Mutex struct {
	mu sync.Mutex
	s  plainState
}

var _ model.Registry = (*Mutex)(nil)

// NewMutex returns an empty Mutex registry.
func NewMutex() *Mutex { return &Mutex{s: newPlainState()} }

// Close does nothing; it is here so every peer can be closed alike.
func (*Mutex) Close() error { return nil }

// RegisterServer implements model.Registry.
func (r *Mutex) RegisterServer(id string, owner model.Owner, h model.Handler, cfg model.Config) error {
	if err := model.CheckRegistration(id, owner, h, ""); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s.registerServer(id, owner, h, cfg)
}

// RegisterTransport implements model.Registry.
func (r *Mutex) RegisterTransport(id string, owner model.Owner, h model.Handler, cfg model.Config, bindTo string) error {
	if err := model.CheckRegistration(id, owner, h, bindTo); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s.registerTransport(id, owner, h, cfg, bindTo)
}

// UnregisterServer implements model.Registry.
func (r *Mutex) UnregisterServer(id string) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s.unregisterServer(id)
}

// UnregisterTransport implements model.Registry.
func (r *Mutex) UnregisterTransport(id string) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s.unregisterTransport(id)
}

// FindServer implements model.Registry.
func (r *Mutex) FindServer(id string) (model.Entry, error) {
	if err := model.ValidateID(id); err != nil {
		return model.Entry{}, err
	}
	r.mu.Lock()
	sv := r.s.servers[id]
	r.mu.Unlock()
	if sv == nil {
		return model.Entry{}, model.ErrServerNotFound
	}
	return sv.entry, nil
}

// FindTransport implements model.Registry.
func (r *Mutex) FindTransport(id string) (model.Entry, error) {
	if err := model.ValidateID(id); err != nil {
		return model.Entry{}, err
	}
	r.mu.Lock()
	t := r.s.transports[id]
	var e model.Entry
	if t != nil {
		e = t.entry
	}
	r.mu.Unlock()
	if t == nil {
		return model.Entry{}, model.ErrTransportNotFound
	}
	return e, nil
}

// ListServers implements model.Registry.
func (r *Mutex) ListServers() []model.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s.listServers()
}

// ListTransports implements model.Registry.
func (r *Mutex) ListTransports() []model.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s.listTransports()
}

// BindTransportToServer implements model.Registry.
func (r *Mutex) BindTransportToServer(transportID, serverID string) error {
	if err := checkTwoIDs(transportID, serverID); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s.bind(transportID, serverID)
}

// UnbindTransport implements model.Registry.
func (r *Mutex) UnbindTransport(transportID string) error {
	if err := model.ValidateID(transportID); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s.unbindID(transportID)
}

// ServerForTransport implements model.Registry.
func (r *Mutex) ServerForTransport(transportID string) (string, error) {
	if err := model.ValidateID(transportID); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s.serverForTransport(transportID)
}

// RouteToServer implements model.Registry.
func (r *Mutex) RouteToServer(serverID string, msg model.Message) error {
	if err := model.ValidateID(serverID); err != nil {
		return err
	}
	r.mu.Lock()
	sv := r.s.servers[serverID]
	r.mu.Unlock()
	if sv == nil {
		return model.ErrServerNotFound
	}
	sv.handler.Handle(msg)
	return nil
}

// RouteToTransport implements model.Registry.
func (r *Mutex) RouteToTransport(transportID string, msg model.Message) error {
	if err := model.ValidateID(transportID); err != nil {
		return err
	}
	r.mu.Lock()
	var h model.Handler
	if t := r.s.transports[transportID]; t != nil {
		h = t.handler
	}
	r.mu.Unlock()
	if h == nil {
		return model.ErrTransportNotFound
	}
	h.Handle(msg)
	return nil
}

// Broadcast implements model.Registry.
func (r *Mutex) Broadcast(serverID string, msg model.Message) (int, error) {
	if err := model.ValidateID(serverID); err != nil {
		return 0, err
	}
	r.mu.Lock()
	hs, err := r.s.broadcastTargets(serverID, nil)
	r.mu.Unlock()
	if err != nil {
		return 0, err
	}
	deliver(hs, msg)
	return len(hs), nil
}

// OwnerDown implements model.Registry.
func (r *Mutex) OwnerDown(owner model.Owner) (int, error) {
	if owner == 0 {
		return 0, model.ErrInvalidOwner
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s.ownerDown(owner), nil
}
