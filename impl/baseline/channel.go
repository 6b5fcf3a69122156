package baseline

import (
	"errors"
	"sync"

	"github.com/shardlab/shardlab/model"
)

// ErrClosed is returned by a Channel registry's methods after Close.
var ErrClosed = errors.New("baseline: registry closed")

// Channel is the gen_server analogue: one goroutine owns plain maps and
// every operation, reads included, is a request sent to it over a channel
// and answered on a reply channel, as erlmcp's registry answered
// gen_server:call. It is what the seed's design costs in Go. Handlers run
// in the caller's goroutine after the reply, as a gen_server hands back a
// pid for the caller to send to.
//
// Close stops the goroutine. Methods called after Close return ErrClosed
// (lists return nil); that error is not one of the model's.
type Channel struct {
	requests  chan request
	closing   chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
}

// request is one call: fn runs in the serving goroutine, which sends its
// error on reply.
type request struct {
	fn    func(*plainState) error
	reply chan error
}

// replyChannels recycles reply channels: a gen_server call allocates its
// reference and message, but the reply channel is plumbing a real port of
// the design would pool too.
var replyChannels = sync.Pool{New: func() any { return make(chan error, 1) }}

var _ model.Registry = (*Channel)(nil)

// NewChannel starts the serving goroutine and returns the registry. Call
// Close to stop it.
func NewChannel() *Channel {
	c := &Channel{
		requests: make(chan request),
		closing:  make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	go c.serve(newPlainState())
	return c
}

func (c *Channel) serve(s plainState) {
	defer close(c.stopped)
	for {
		select {
		case req := <-c.requests:
			req.reply <- req.fn(&s)
		case <-c.closing:
			return
		}
	}
}

// Close stops the serving goroutine and waits for it to exit. It is safe to
// call more than once.
func (c *Channel) Close() error {
	c.closeOnce.Do(func() { close(c.closing) })
	<-c.stopped
	return nil
}

// call runs fn in the serving goroutine and returns its error, or
// ErrClosed if the registry was closed first. Reads pass results out
// through variables fn captures.
func (c *Channel) call(fn func(*plainState) error) error {
	reply := replyChannels.Get().(chan error)
	select {
	case c.requests <- request{fn: fn, reply: reply}:
	case <-c.closing:
		replyChannels.Put(reply)
		return ErrClosed
	}
	err := <-reply
	replyChannels.Put(reply)
	return err
}

// RegisterServer implements model.Registry.
func (c *Channel) RegisterServer(id string, owner model.Owner, h model.Handler, cfg model.Config) error {
	if err := model.CheckRegistration(id, owner, h, ""); err != nil {
		return err
	}
	return c.call(func(s *plainState) error { return s.registerServer(id, owner, h, cfg) })
}

// RegisterTransport implements model.Registry.
func (c *Channel) RegisterTransport(id string, owner model.Owner, h model.Handler, cfg model.Config, bindTo string) error {
	if err := model.CheckRegistration(id, owner, h, bindTo); err != nil {
		return err
	}
	return c.call(func(s *plainState) error { return s.registerTransport(id, owner, h, cfg, bindTo) })
}

// UnregisterServer implements model.Registry.
func (c *Channel) UnregisterServer(id string) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	return c.call(func(s *plainState) error { return s.unregisterServer(id) })
}

// UnregisterTransport implements model.Registry.
func (c *Channel) UnregisterTransport(id string) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	return c.call(func(s *plainState) error { return s.unregisterTransport(id) })
}

// FindServer implements model.Registry.
func (c *Channel) FindServer(id string) (model.Entry, error) {
	if err := model.ValidateID(id); err != nil {
		return model.Entry{}, err
	}
	var e model.Entry
	err := c.call(func(s *plainState) error {
		sv := s.servers[id]
		if sv == nil {
			return model.ErrServerNotFound
		}
		e = sv.entry
		return nil
	})
	return e, err
}

// FindTransport implements model.Registry.
func (c *Channel) FindTransport(id string) (model.Entry, error) {
	if err := model.ValidateID(id); err != nil {
		return model.Entry{}, err
	}
	var e model.Entry
	err := c.call(func(s *plainState) error {
		t := s.transports[id]
		if t == nil {
			return model.ErrTransportNotFound
		}
		e = t.entry
		return nil
	})
	return e, err
}

// ListServers implements model.Registry.
func (c *Channel) ListServers() []model.Entry {
	var out []model.Entry
	_ = c.call(func(s *plainState) error { out = s.listServers(); return nil })
	return out
}

// ListTransports implements model.Registry.
func (c *Channel) ListTransports() []model.Entry {
	var out []model.Entry
	_ = c.call(func(s *plainState) error { out = s.listTransports(); return nil })
	return out
}

// BindTransportToServer implements model.Registry.
func (c *Channel) BindTransportToServer(transportID, serverID string) error {
	if err := checkTwoIDs(transportID, serverID); err != nil {
		return err
	}
	return c.call(func(s *plainState) error { return s.bind(transportID, serverID) })
}

// UnbindTransport implements model.Registry.
func (c *Channel) UnbindTransport(transportID string) error {
	if err := model.ValidateID(transportID); err != nil {
		return err
	}
	return c.call(func(s *plainState) error { return s.unbindID(transportID) })
}

// ServerForTransport implements model.Registry.
func (c *Channel) ServerForTransport(transportID string) (string, error) {
	if err := model.ValidateID(transportID); err != nil {
		return "", err
	}
	var sid string
	err := c.call(func(s *plainState) (err error) {
		sid, err = s.serverForTransport(transportID)
		return err
	})
	return sid, err
}

// RouteToServer implements model.Registry.
func (c *Channel) RouteToServer(serverID string, msg model.Message) error {
	if err := model.ValidateID(serverID); err != nil {
		return err
	}
	var h model.Handler
	if err := c.call(func(s *plainState) error {
		sv := s.servers[serverID]
		if sv == nil {
			return model.ErrServerNotFound
		}
		h = sv.handler
		return nil
	}); err != nil {
		return err
	}
	h.Handle(msg)
	return nil
}

// RouteToTransport implements model.Registry.
func (c *Channel) RouteToTransport(transportID string, msg model.Message) error {
	if err := model.ValidateID(transportID); err != nil {
		return err
	}
	var h model.Handler
	if err := c.call(func(s *plainState) error {
		t := s.transports[transportID]
		if t == nil {
			return model.ErrTransportNotFound
		}
		h = t.handler
		return nil
	}); err != nil {
		return err
	}
	h.Handle(msg)
	return nil
}

// Broadcast implements model.Registry.
func (c *Channel) Broadcast(serverID string, msg model.Message) (int, error) {
	if err := model.ValidateID(serverID); err != nil {
		return 0, err
	}
	var hs []model.Handler
	if err := c.call(func(s *plainState) (err error) {
		hs, err = s.broadcastTargets(serverID, nil)
		return err
	}); err != nil {
		return 0, err
	}
	deliver(hs, msg)
	return len(hs), nil
}

// OwnerDown implements model.Registry.
func (c *Channel) OwnerDown(owner model.Owner) (int, error) {
	if owner == 0 {
		return 0, model.ErrInvalidOwner
	}
	var n int
	if err := c.call(func(s *plainState) error { n = s.ownerDown(owner); return nil }); err != nil {
		return 0, err
	}
	return n, nil
}
