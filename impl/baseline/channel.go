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

// request is one call: fn runs in the serving goroutine, which then signals
// reply.
type request struct {
	fn    func(*plainState)
	reply chan struct{}
}

// replyChannels recycles reply channels: a gen_server call allocates its
// reference and message, but the reply channel is plumbing a real port of
// the design would pool too.
var replyChannels = sync.Pool{New: func() any { return make(chan struct{}, 1) }}

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
			req.fn(&s)
			req.reply <- struct{}{}
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

// call runs fn in the serving goroutine and waits until it has run.
func (c *Channel) call(fn func(*plainState)) error {
	reply := replyChannels.Get().(chan struct{})
	select {
	case c.requests <- request{fn: fn, reply: reply}:
	case <-c.closing:
		replyChannels.Put(reply)
		return ErrClosed
	}
	<-reply
	replyChannels.Put(reply)
	return nil
}

// RegisterServer implements model.Registry.
func (c *Channel) RegisterServer(id string, owner model.Owner, h model.Handler, cfg model.Config) error {
	if err := model.CheckRegistration(id, owner, h, ""); err != nil {
		return err
	}
	var err error
	if cerr := c.call(func(s *plainState) { err = s.registerServer(id, owner, h, cfg) }); cerr != nil {
		return cerr
	}
	return err
}

// RegisterTransport implements model.Registry.
func (c *Channel) RegisterTransport(id string, owner model.Owner, h model.Handler, cfg model.Config, bindTo string) error {
	if err := model.CheckRegistration(id, owner, h, bindTo); err != nil {
		return err
	}
	var err error
	if cerr := c.call(func(s *plainState) { err = s.registerTransport(id, owner, h, cfg, bindTo) }); cerr != nil {
		return cerr
	}
	return err
}

// UnregisterServer implements model.Registry.
func (c *Channel) UnregisterServer(id string) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	var err error
	if cerr := c.call(func(s *plainState) { err = s.unregisterServer(id) }); cerr != nil {
		return cerr
	}
	return err
}

// UnregisterTransport implements model.Registry.
func (c *Channel) UnregisterTransport(id string) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	var err error
	if cerr := c.call(func(s *plainState) { err = s.unregisterTransport(id) }); cerr != nil {
		return cerr
	}
	return err
}

// FindServer implements model.Registry.
func (c *Channel) FindServer(id string) (model.Entry, error) {
	if err := model.ValidateID(id); err != nil {
		return model.Entry{}, err
	}
	var (
		e     model.Entry
		found bool
	)
	if cerr := c.call(func(s *plainState) {
		if sv := s.servers[id]; sv != nil {
			e, found = sv.entry, true
		}
	}); cerr != nil {
		return model.Entry{}, cerr
	}
	if !found {
		return model.Entry{}, model.ErrServerNotFound
	}
	return e, nil
}

// FindTransport implements model.Registry.
func (c *Channel) FindTransport(id string) (model.Entry, error) {
	if err := model.ValidateID(id); err != nil {
		return model.Entry{}, err
	}
	var (
		e     model.Entry
		found bool
	)
	if cerr := c.call(func(s *plainState) {
		if t := s.transports[id]; t != nil {
			e, found = t.entry, true
		}
	}); cerr != nil {
		return model.Entry{}, cerr
	}
	if !found {
		return model.Entry{}, model.ErrTransportNotFound
	}
	return e, nil
}

// ListServers implements model.Registry.
func (c *Channel) ListServers() []model.Entry {
	var out []model.Entry
	_ = c.call(func(s *plainState) { out = s.listServers() })
	return out
}

// ListTransports implements model.Registry.
func (c *Channel) ListTransports() []model.Entry {
	var out []model.Entry
	_ = c.call(func(s *plainState) { out = s.listTransports() })
	return out
}

// BindTransportToServer implements model.Registry.
func (c *Channel) BindTransportToServer(transportID, serverID string) error {
	if err := checkTwoIDs(transportID, serverID); err != nil {
		return err
	}
	var err error
	if cerr := c.call(func(s *plainState) { err = s.bind(transportID, serverID) }); cerr != nil {
		return cerr
	}
	return err
}

// UnbindTransport implements model.Registry.
func (c *Channel) UnbindTransport(transportID string) error {
	if err := model.ValidateID(transportID); err != nil {
		return err
	}
	var err error
	if cerr := c.call(func(s *plainState) { err = s.unbindID(transportID) }); cerr != nil {
		return cerr
	}
	return err
}

// ServerForTransport implements model.Registry.
func (c *Channel) ServerForTransport(transportID string) (string, error) {
	if err := model.ValidateID(transportID); err != nil {
		return "", err
	}
	var (
		sid string
		err error
	)
	if cerr := c.call(func(s *plainState) { sid, err = s.serverForTransport(transportID) }); cerr != nil {
		return "", cerr
	}
	return sid, err
}

// RouteToServer implements model.Registry.
func (c *Channel) RouteToServer(serverID string, msg model.Message) error {
	if err := model.ValidateID(serverID); err != nil {
		return err
	}
	var h model.Handler
	if cerr := c.call(func(s *plainState) {
		if sv := s.servers[serverID]; sv != nil {
			h = sv.handler
		}
	}); cerr != nil {
		return cerr
	}
	if h == nil {
		return model.ErrServerNotFound
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
	if cerr := c.call(func(s *plainState) {
		if t := s.transports[transportID]; t != nil {
			h = t.handler
		}
	}); cerr != nil {
		return cerr
	}
	if h == nil {
		return model.ErrTransportNotFound
	}
	h.Handle(msg)
	return nil
}

// Broadcast implements model.Registry.
func (c *Channel) Broadcast(serverID string, msg model.Message) (int, error) {
	if err := model.ValidateID(serverID); err != nil {
		return 0, err
	}
	var (
		hs  []model.Handler
		err error
	)
	if cerr := c.call(func(s *plainState) { hs, err = s.broadcastTargets(serverID, nil) }); cerr != nil {
		return 0, cerr
	}
	if err != nil {
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
	if cerr := c.call(func(s *plainState) { n = s.ownerDown(owner) }); cerr != nil {
		return 0, cerr
	}
	return n, nil
}
