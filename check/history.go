package check

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/shardlab/shardlab/model"
)

// Operation is one recorded call: which client made it, what it asked, what
// it got, and when it was called and returned. Call and Return come from one
// monotonic source (the Recorder uses an atomic logical clock); only their
// order matters. A pending operation (cancelled, panicked, timed out, or still
// running when the history was taken) has no Return and no Result: the
// checker lets it take effect at any point after its call, or not at all.
type Operation struct {
	// ID is unique within a history; Recorder numbers operations in call
	// order, history files must not repeat one.
	ID      int
	Client  int
	Op      model.Op
	Result  model.Result
	Call    int64
	Return  int64
	Pending bool
	// Unknown: the operation returned at Return but its outcome was not
	// observed (a reply lost, a caller that died). Result is zero. The
	// checker lets it take effect once between Call and Return, or not at
	// all.
	Unknown bool
	// AnyCount: Result.Code was observed but Result.Count was not (an
	// owner's death whose cleanup does not say how many entries it
	// removed); any count is accepted.
	AnyCount bool
	// OwnerName and ResultOwnerName are owners a history file names by a
	// string (an Erlang pid, say). Op.Owner and Result.Owner then hold a
	// number interned for the name: the same name, the same number, never
	// one the file uses itself. WriteHistory writes the name back.
	OwnerName, ResultOwnerName string
}

// String renders the operation for reports, e.g.
// "client 3 [17,20] bind("t1", "s1") -> ok".
func (o Operation) String() string {
	switch {
	case o.Pending:
		return fmt.Sprintf("client %d [%d,pending] %s -> (no return)", o.Client, o.Call, o.Op)
	case o.Unknown:
		return fmt.Sprintf("client %d [%d,%d] %s -> (unknown outcome)", o.Client, o.Call, o.Return, o.Op)
	case o.AnyCount:
		return fmt.Sprintf("client %d [%d,%d] %s -> %s count=(unknown)", o.Client, o.Call, o.Return, o.Op, o.Result)
	}
	return fmt.Sprintf("client %d [%d,%d] %s -> %s", o.Client, o.Call, o.Return, o.Op, o.Result)
}

// History is a set of operations, ordered by call time.
type History []Operation

// Clients returns the number of distinct clients in h.
func (h History) Clients() int {
	seen := map[int]struct{}{}
	for _, o := range h {
		seen[o.Client] = struct{}{}
	}
	return len(seen)
}

// Recorder wraps a model.Registry and records every call made through its
// clients. It observes delivery too: each registration's handler is wrapped
// in a model.TrackingHandler whose identity (Op.Handler) is the registering
// operation's ID + 1, and each route or broadcast sends a *model.Delivery
// (carrying the caller's message, which the wrapped handler receives as
// usual), so the recorded result says which registrations received it. Timestamps come from one atomic logical clock, ticked before each
// call and after each return: wall-clock readings taken around atomics can be
// reordered with the operation they bracket (porcupine issue #40), a ticket
// drawn from the same atomic counter cannot.
//
// A Recorder is safe for concurrent use; each Client must be used by one
// goroutine at a time, as a client is one sequential process.
type Recorder struct {
	reg   model.Registry
	clock atomic.Int64
	ids   atomic.Int64

	mu      sync.Mutex
	clients []*Client
}

// NewRecorder returns a Recorder over reg.
func NewRecorder(reg model.Registry) *Recorder {
	return &Recorder{reg: reg}
}

// Client returns the recording client with the given id (ids are small
// non-negative integers; the same id returns the same Client). A negative
// id is a programming error and panics.
func (r *Recorder) Client(id int) *Client {
	if id < 0 {
		panic(fmt.Sprintf("check: negative client id %d", id))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.clients) <= id {
		r.clients = append(r.clients, &Client{rec: r, id: len(r.clients)})
	}
	return r.clients[id]
}

// History returns every operation recorded so far, sorted by call time.
// Operations still running are returned as pending, so a history can be
// taken while clients hang.
func (r *Recorder) History() History {
	r.mu.Lock()
	clients := slices.Clone(r.clients)
	r.mu.Unlock()
	var h History
	for _, c := range clients {
		c.mu.Lock()
		h = append(h, c.ops...)
		c.mu.Unlock()
	}
	slices.SortFunc(h, func(a, b Operation) int { return cmp.Compare(a.Call, b.Call) })
	return h
}

// Client records the calls of one sequential client. It implements
// model.Registry, passing handlers and messages through to the wrapped
// registry, so code under test can use it in place of the registry.
type Client struct {
	rec *Recorder
	id  int

	// mu guards ops against Recorder.History, which may read while the
	// client runs; clients never share one, so it is uncontended.
	mu  sync.Mutex
	ops []Operation
}

var _ model.Registry = (*Client)(nil)

// ErrUnknownOutcome is wrapped by errors of registries that cannot tell
// what an operation did: one behind a process whose answer never came, or
// whose owner death is cleaned up later by the registry itself. The
// Recorder keeps such an operation pending: it may have taken effect at
// any point after its call, or not at all.
var ErrUnknownOutcome = errors.New("check: outcome unknown")

// Doer is a registry that performs model operations itself and can say
// that an outcome is unknown (an error wrapping ErrUnknownOutcome). Any
// other error is recorded by its code, as model.Invoke does. A Doer's
// registrations get no handler identity from the Recorder: it reports no
// delivery.
type Doer interface {
	Do(op model.Op) (model.Result, error)
}

// Do performs op and records it: through the registry's own Do when it is
// a Doer, else through model.Invoke. A registration whose op names no
// handler gets the Recorder's identity for it (see Recorder), so routes to
// it report delivery.
func (c *Client) Do(op model.Op) model.Result {
	var res model.Result
	if d, ok := c.rec.reg.(Doer); ok {
		c.record(op, false, func(op model.Op) model.Result {
			var err error
			res, err = d.Do(op)
			if err != nil {
				res = fromErr(err)
			}
			return res
		})
		return res
	}
	c.record(op, true, func(op model.Op) model.Result { res = model.Invoke(c.rec.reg, op); return res })
	return res
}

// unknownResult marks a call whose outcome is not known; record keeps it
// pending. Its code is one no registry returns.
var unknownResult = model.Result{Code: model.CodeOther, IDs: "\x00unknown outcome"}

// record draws the call ticket, runs call, and draws the return ticket. If
// call panics, or its outcome is unknown, the operation stays pending (and
// a panic continues). With track, a registration without a handler
// identity is given id + 1, passed to call.
func (c *Client) record(op model.Op, track bool, call func(model.Op) model.Result) {
	// The pending record and the call ticket are made under the client's
	// lock so a History taken at any moment sees either nothing or a
	// pending operation with its call time.
	c.mu.Lock()
	i := len(c.ops)
	id := int(c.rec.ids.Add(1) - 1)
	if track && op.Kind.IsRegistration() && op.Handler == 0 {
		op.Handler = model.HandlerID(id + 1)
	}
	c.ops = append(c.ops, Operation{ID: id, Client: c.id, Op: op, Pending: true, Call: c.rec.clock.Add(1)})
	c.mu.Unlock()
	res := call(op)
	if res == unknownResult {
		return
	}
	retT := c.rec.clock.Add(1)
	c.mu.Lock()
	c.ops[i].Result, c.ops[i].Return, c.ops[i].Pending = res, retT, false
	c.mu.Unlock()
}

// track wraps a caller's handler so that routes recorded through a Client
// can tell which registration received a message: the handler the registry
// gets reports op.Handler and passes the caller's message on to h. A nil h
// stays nil, for the registry to reject.
func track(op model.Op, h model.Handler) model.Handler {
	if h == nil {
		return nil
	}
	return model.TrackingHandler(op.Handler, h)
}

// delivered is a route's result: the error and who received the message
// (a registry that delivers and then fails is caught by the model, which
// expects no delivery with an error).
func delivered(err error, d *model.Delivery) model.Result {
	res := fromErr(err)
	res.Delivered = d.Received()
	return res
}

func fromErr(err error) model.Result {
	if errors.Is(err, ErrUnknownOutcome) {
		return unknownResult
	}
	if err != nil {
		return model.Result{Code: model.CodeOf(err)}
	}
	return model.Result{}
}

// RegisterServer implements model.Registry.
func (c *Client) RegisterServer(id string, owner model.Owner, h model.Handler, cfg model.Config) error {
	var err error
	c.record(model.Op{Kind: model.OpRegisterServer, Server: id, Owner: owner, Config: cfg}, true, func(op model.Op) model.Result {
		err = c.rec.reg.RegisterServer(id, owner, track(op, h), cfg)
		return fromErr(err)
	})
	return err
}

// RegisterTransport implements model.Registry.
func (c *Client) RegisterTransport(id string, owner model.Owner, h model.Handler, cfg model.Config, bindTo string) error {
	var err error
	c.record(model.Op{Kind: model.OpRegisterTransport, Transport: id, Owner: owner, Config: cfg, Server: bindTo}, true, func(op model.Op) model.Result {
		err = c.rec.reg.RegisterTransport(id, owner, track(op, h), cfg, bindTo)
		return fromErr(err)
	})
	return err
}

// UnregisterServer implements model.Registry.
func (c *Client) UnregisterServer(id string) error {
	var err error
	c.record(model.Op{Kind: model.OpUnregisterServer, Server: id}, true, func(model.Op) model.Result {
		err = c.rec.reg.UnregisterServer(id)
		return fromErr(err)
	})
	return err
}

// UnregisterTransport implements model.Registry.
func (c *Client) UnregisterTransport(id string) error {
	var err error
	c.record(model.Op{Kind: model.OpUnregisterTransport, Transport: id}, true, func(model.Op) model.Result {
		err = c.rec.reg.UnregisterTransport(id)
		return fromErr(err)
	})
	return err
}

// FindServer implements model.Registry.
func (c *Client) FindServer(id string) (model.Entry, error) {
	var (
		e   model.Entry
		err error
	)
	c.record(model.Op{Kind: model.OpFindServer, Server: id}, true, func(model.Op) model.Result {
		e, err = c.rec.reg.FindServer(id)
		if err != nil {
			return fromErr(err)
		}
		return model.Result{Owner: e.Owner, Config: e.Config}
	})
	return e, err
}

// FindTransport implements model.Registry.
func (c *Client) FindTransport(id string) (model.Entry, error) {
	var (
		e   model.Entry
		err error
	)
	c.record(model.Op{Kind: model.OpFindTransport, Transport: id}, true, func(model.Op) model.Result {
		e, err = c.rec.reg.FindTransport(id)
		if err != nil {
			return fromErr(err)
		}
		return model.Result{Owner: e.Owner, Config: e.Config}
	})
	return e, err
}

// ListServers implements model.Registry.
func (c *Client) ListServers() []model.Entry {
	var es []model.Entry
	c.record(model.Op{Kind: model.OpListServers}, true, func(model.Op) model.Result {
		es = c.rec.reg.ListServers()
		return model.Result{IDs: model.JoinIDs(es)}
	})
	return es
}

// ListTransports implements model.Registry.
func (c *Client) ListTransports() []model.Entry {
	var es []model.Entry
	c.record(model.Op{Kind: model.OpListTransports}, true, func(model.Op) model.Result {
		es = c.rec.reg.ListTransports()
		return model.Result{IDs: model.JoinIDs(es)}
	})
	return es
}

// BindTransportToServer implements model.Registry.
func (c *Client) BindTransportToServer(transportID, serverID string) error {
	var err error
	c.record(model.Op{Kind: model.OpBind, Transport: transportID, Server: serverID}, true, func(model.Op) model.Result {
		err = c.rec.reg.BindTransportToServer(transportID, serverID)
		return fromErr(err)
	})
	return err
}

// UnbindTransport implements model.Registry.
func (c *Client) UnbindTransport(transportID string) error {
	var err error
	c.record(model.Op{Kind: model.OpUnbind, Transport: transportID}, true, func(model.Op) model.Result {
		err = c.rec.reg.UnbindTransport(transportID)
		return fromErr(err)
	})
	return err
}

// ServerForTransport implements model.Registry.
func (c *Client) ServerForTransport(transportID string) (string, error) {
	var (
		s   string
		err error
	)
	c.record(model.Op{Kind: model.OpServerForTransport, Transport: transportID}, true, func(model.Op) model.Result {
		s, err = c.rec.reg.ServerForTransport(transportID)
		if err != nil {
			return fromErr(err)
		}
		return model.Result{Server: s}
	})
	return s, err
}

// RouteToServer implements model.Registry.
func (c *Client) RouteToServer(serverID string, msg model.Message) error {
	var err error
	c.record(model.Op{Kind: model.OpRouteToServer, Server: serverID}, true, func(model.Op) model.Result {
		d := &model.Delivery{Msg: msg}
		err = c.rec.reg.RouteToServer(serverID, d)
		return delivered(err, d)
	})
	return err
}

// RouteToTransport implements model.Registry.
func (c *Client) RouteToTransport(transportID string, msg model.Message) error {
	var err error
	c.record(model.Op{Kind: model.OpRouteToTransport, Transport: transportID}, true, func(model.Op) model.Result {
		d := &model.Delivery{Msg: msg}
		err = c.rec.reg.RouteToTransport(transportID, d)
		return delivered(err, d)
	})
	return err
}

// Broadcast implements model.Registry.
func (c *Client) Broadcast(serverID string, msg model.Message) (int, error) {
	var (
		n   int
		err error
	)
	c.record(model.Op{Kind: model.OpBroadcast, Server: serverID}, true, func(model.Op) model.Result {
		d := &model.Delivery{Msg: msg}
		n, err = c.rec.reg.Broadcast(serverID, d)
		res := delivered(err, d)
		if err == nil {
			res.Count = n
		}
		return res
	})
	return n, err
}

// OwnerDown implements model.Registry.
func (c *Client) OwnerDown(owner model.Owner) (int, error) {
	var (
		n   int
		err error
	)
	c.record(model.Op{Kind: model.OpOwnerDown, Owner: owner}, true, func(model.Op) model.Result {
		n, err = c.rec.reg.OwnerDown(owner)
		if err != nil {
			return fromErr(err)
		}
		return model.Result{Count: n}
	})
	return n, err
}
