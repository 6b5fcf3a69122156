package protocol

import (
	"fmt"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/model"
)

// Registry is the driver seen as a model.Registry, safe for concurrent use:
// each call borrows a protocol client no other call is using, so the
// driver sees every client's requests one at a time, and concurrent
// callers as concurrent clients. Handlers and messages stay on shardlab's
// side (the protocol carries neither).
//
// An operation whose outcome is not known returns an error wrapping
// check.ErrUnknownOutcome, which check's Recorder records as pending: its
// answer did not come within the answer timeout, the driver failed
// (Driver.Err says how; no verdict may be drawn then), or an owner_down
// was answered without a count because the registry cleans up on its own
// time. An operation outside the driver's profile returns ErrUnsupported
// without reaching the driver.
type Registry struct {
	d *Driver
}

// Registry returns the driver as a model.Registry.
func (d *Driver) Registry() *Registry { return &Registry{d: d} }

// Driver returns the driver behind r.
func (r *Registry) Driver() *Driver { return r.d }

var _ model.Registry = (*Registry)(nil)

// Do performs op through the driver.
func (r *Registry) Do(op model.Op) (model.Result, error) {
	if !r.d.hello.Supports(op.Kind) {
		return model.Result{}, fmt.Errorf("%w: driver %s: %s", ErrUnsupported, r.d.Name(), op.Kind)
	}
	c := r.d.lease()
	res, known, timedOut, err := r.d.Call(c, op)
	if !timedOut {
		// A client whose request timed out may still be running it in
		// the driver: it is never lent again.
		r.d.release(c)
	}
	switch {
	case err != nil:
		return res, fmt.Errorf("%w: %w", check.ErrUnknownOutcome, err)
	case timedOut:
		return res, fmt.Errorf("%w: driver %s: no answer to %s within %v", check.ErrUnknownOutcome, r.d.Name(), op, r.d.cfg.AnswerTimeout)
	case !known:
		return res, fmt.Errorf("%w: driver %s: %s answered without a count (the registry cleans up on its own time)", check.ErrUnknownOutcome, r.d.Name(), op)
	}
	return res, nil
}

func (r *Registry) err(op model.Op) error {
	res, err := r.Do(op)
	if err != nil {
		return err
	}
	return res.Code.Err()
}

// RegisterServer implements model.Registry.
func (r *Registry) RegisterServer(id string, owner model.Owner, _ model.Handler, cfg model.Config) error {
	return r.err(model.Op{Kind: model.OpRegisterServer, Server: id, Owner: owner, Config: cfg})
}

// RegisterTransport implements model.Registry.
func (r *Registry) RegisterTransport(id string, owner model.Owner, _ model.Handler, cfg model.Config, bindTo string) error {
	return r.err(model.Op{Kind: model.OpRegisterTransport, Transport: id, Owner: owner, Config: cfg, Server: bindTo})
}

// UnregisterServer implements model.Registry.
func (r *Registry) UnregisterServer(id string) error {
	return r.err(model.Op{Kind: model.OpUnregisterServer, Server: id})
}

// UnregisterTransport implements model.Registry.
func (r *Registry) UnregisterTransport(id string) error {
	return r.err(model.Op{Kind: model.OpUnregisterTransport, Transport: id})
}

func (r *Registry) find(op model.Op, id string) (model.Entry, error) {
	res, err := r.Do(op)
	if err != nil {
		return model.Entry{}, err
	}
	if res.Code != model.CodeOK {
		return model.Entry{}, res.Code.Err()
	}
	return model.Entry{ID: id, Owner: res.Owner, Config: res.Config}, nil
}

// FindServer implements model.Registry.
func (r *Registry) FindServer(id string) (model.Entry, error) {
	return r.find(model.Op{Kind: model.OpFindServer, Server: id}, id)
}

// FindTransport implements model.Registry.
func (r *Registry) FindTransport(id string) (model.Entry, error) {
	return r.find(model.Op{Kind: model.OpFindTransport, Transport: id}, id)
}

// list returns nil when the outcome is unknown: the interface has no error
// to say so, and check's Recorder asks Do instead.
func (r *Registry) list(kind model.OpKind) []model.Entry {
	res, err := r.Do(model.Op{Kind: kind})
	if err != nil || res.IDs == "" {
		return nil
	}
	var es []model.Entry
	start := 0
	for i := 0; i <= len(res.IDs); i++ {
		if i == len(res.IDs) || res.IDs[i] == '\n' {
			es = append(es, model.Entry{ID: res.IDs[start:i]})
			start = i + 1
		}
	}
	return es
}

// ListServers implements model.Registry; entries carry only IDs.
func (r *Registry) ListServers() []model.Entry { return r.list(model.OpListServers) }

// ListTransports implements model.Registry; entries carry only IDs.
func (r *Registry) ListTransports() []model.Entry { return r.list(model.OpListTransports) }

// BindTransportToServer implements model.Registry.
func (r *Registry) BindTransportToServer(transportID, serverID string) error {
	return r.err(model.Op{Kind: model.OpBind, Transport: transportID, Server: serverID})
}

// UnbindTransport implements model.Registry.
func (r *Registry) UnbindTransport(transportID string) error {
	return r.err(model.Op{Kind: model.OpUnbind, Transport: transportID})
}

// ServerForTransport implements model.Registry.
func (r *Registry) ServerForTransport(transportID string) (string, error) {
	res, err := r.Do(model.Op{Kind: model.OpServerForTransport, Transport: transportID})
	if err != nil {
		return "", err
	}
	return res.Server, res.Code.Err()
}

// RouteToServer implements model.Registry: the driver routes a message of
// its own to the server's owner; msg stays here.
func (r *Registry) RouteToServer(serverID string, _ model.Message) error {
	return r.err(model.Op{Kind: model.OpRouteToServer, Server: serverID})
}

// RouteToTransport implements model.Registry, like RouteToServer.
func (r *Registry) RouteToTransport(transportID string, _ model.Message) error {
	return r.err(model.Op{Kind: model.OpRouteToTransport, Transport: transportID})
}

// Broadcast implements model.Registry.
func (r *Registry) Broadcast(serverID string, _ model.Message) (int, error) {
	res, err := r.Do(model.Op{Kind: model.OpBroadcast, Server: serverID})
	if err != nil {
		return 0, err
	}
	return res.Count, res.Code.Err()
}

// OwnerDown implements model.Registry: the driver kills the owner's
// process and the registry's own cleanup runs.
func (r *Registry) OwnerDown(owner model.Owner) (int, error) {
	res, err := r.Do(model.Op{Kind: model.OpOwnerDown, Owner: owner})
	if err != nil {
		return 0, err
	}
	return res.Count, res.Code.Err()
}
