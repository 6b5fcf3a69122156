package model

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Code is an operation's outcome as a small comparable value: nil or one of
// the sentinel errors. CodeOther stands for an error the model does not know,
// which a checker treats as a violation.
type Code uint8

// Outcome codes, one per sentinel error.
const (
	CodeOK Code = iota
	CodeInvalidID
	CodeInvalidOwner
	CodeNilHandler
	CodeAlreadyRegistered
	CodeServerNotFound
	CodeTransportNotFound
	CodeNotBound
	CodeOverloaded
	CodeNotFound // a not-found error that names neither kind
	CodeOther
	numCodes
)

var codeNames = [numCodes]string{
	CodeOK:                "ok",
	CodeInvalidID:         "invalid_id",
	CodeInvalidOwner:      "invalid_owner",
	CodeNilHandler:        "nil_handler",
	CodeAlreadyRegistered: "already_registered",
	CodeServerNotFound:    "server_not_found",
	CodeTransportNotFound: "transport_not_found",
	CodeNotBound:          "not_bound",
	CodeOverloaded:        "overloaded",
	CodeNotFound:          "not_found",
	CodeOther:             "other",
}

var codeErrs = [numCodes]error{
	CodeInvalidID:         ErrInvalidID,
	CodeInvalidOwner:      ErrInvalidOwner,
	CodeNilHandler:        ErrNilHandler,
	CodeAlreadyRegistered: ErrAlreadyRegistered,
	CodeServerNotFound:    ErrServerNotFound,
	CodeTransportNotFound: ErrTransportNotFound,
	CodeNotBound:          ErrNotBound,
	CodeOverloaded:        ErrOverloaded,
	CodeNotFound:          ErrNotFound,
	CodeOther:             errors.New("model: unexpected error"),
}

// String returns the code's snake_case name, as used in history files.
func (c Code) String() string {
	if c < numCodes {
		return codeNames[c]
	}
	return "code(" + strconv.Itoa(int(c)) + ")"
}

// Err returns the sentinel error for c (nil for CodeOK).
func (c Code) Err() error {
	if c < numCodes {
		return codeErrs[c]
	}
	return codeErrs[CodeOther]
}

// ParseCode is the inverse of Code.String.
func ParseCode(s string) (Code, error) {
	for i, n := range codeNames {
		if n == s {
			return Code(i), nil
		}
	}
	return 0, fmt.Errorf("model: unknown result code %q (want one of %s)", s, strings.Join(codeNames[:], ", "))
}

// CodeOf maps an error to its Code. The more specific not-found errors are
// tested before ErrNotFound.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	// Registries return the sentinels unwrapped on hot paths: pointer
	// comparisons settle those without errors.Is's reflection.
	for c := CodeInvalidID; c < CodeOther; c++ {
		if err == codeErrs[c] {
			return c
		}
	}
	for c := CodeInvalidID; c < CodeOther; c++ {
		if errors.Is(err, codeErrs[c]) {
			return c
		}
	}
	return CodeOther
}

// OpKind names a Registry method.
type OpKind uint8

// One OpKind per Registry method.
const (
	OpRegisterServer OpKind = iota + 1
	OpRegisterTransport
	OpUnregisterServer
	OpUnregisterTransport
	OpFindServer
	OpFindTransport
	OpListServers
	OpListTransports
	OpBind
	OpUnbind
	OpServerForTransport
	OpRouteToServer
	OpRouteToTransport
	OpBroadcast
	OpOwnerDown
	numOpKinds
)

var opNames = [numOpKinds]string{
	OpRegisterServer:      "register_server",
	OpRegisterTransport:   "register_transport",
	OpUnregisterServer:    "unregister_server",
	OpUnregisterTransport: "unregister_transport",
	OpFindServer:          "find_server",
	OpFindTransport:       "find_transport",
	OpListServers:         "list_servers",
	OpListTransports:      "list_transports",
	OpBind:                "bind",
	OpUnbind:              "unbind",
	OpServerForTransport:  "server_for_transport",
	OpRouteToServer:       "route_to_server",
	OpRouteToTransport:    "route_to_transport",
	OpBroadcast:           "broadcast",
	OpOwnerDown:           "owner_down",
}

// OpKinds returns every operation kind, in declaration order.
func OpKinds() []OpKind {
	ks := make([]OpKind, 0, numOpKinds-1)
	for k := OpRegisterServer; k < numOpKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

// String returns the kind's snake_case name, as used in history files and
// workload specs.
func (k OpKind) String() string {
	if k > 0 && k < numOpKinds {
		return opNames[k]
	}
	return "op(" + strconv.Itoa(int(k)) + ")"
}

// ParseOpKind is the inverse of OpKind.String.
func ParseOpKind(s string) (OpKind, error) {
	for k := OpRegisterServer; k < numOpKinds; k++ {
		if opNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("model: unknown operation %q (want one of %s)", s, strings.Join(opNames[1:], ", "))
}

// IsRegistration reports whether admission control may reject ops of kind k.
func (k OpKind) IsRegistration() bool {
	return k == OpRegisterServer || k == OpRegisterTransport
}

// IsRead reports whether ops of kind k never change the state.
func (k OpKind) IsRead() bool {
	switch k {
	case OpFindServer, OpFindTransport, OpListServers, OpListTransports,
		OpServerForTransport, OpRouteToServer, OpRouteToTransport, OpBroadcast:
		return true
	}
	return false
}

// Op is one call of a Registry method as a plain comparable value. Which
// fields matter depends on Kind:
//
//	RegisterServer       Server, Owner, Config
//	RegisterTransport    Transport, Owner, Config, Server (bind target, may be "")
//	UnregisterServer     Server
//	UnregisterTransport  Transport
//	FindServer           Server
//	FindTransport        Transport
//	ListServers          -
//	ListTransports       -
//	Bind                 Transport, Server
//	Unbind               Transport
//	ServerForTransport   Transport
//	RouteToServer        Server
//	RouteToTransport     Transport
//	Broadcast            Server
//	OwnerDown            Owner
//
// Handler is the identity of the handler a registration passes, for
// checking delivery (0 when nobody tracks it; see HandlerID). Handlers
// themselves and messages are not part of Op.
type Op struct {
	Kind      OpKind
	Server    string
	Transport string
	Owner     Owner
	Config    Config
	Handler   HandlerID
}

// HandlerID names a registration's handler so that a history can say which
// registration received a routed message. Whoever records a history gives
// each registration's handler an identity (the Recorder in package check
// uses the registering operation's id + 1, so every registration has its
// own); the model remembers it with the entry and decides which identities
// a route or broadcast must reach. 0 means "not tracked": such entries are
// left out of Result.Delivered, so histories that never name handlers are
// checked as before.
type HandlerID uint64

// JoinHandlers renders a delivery: the identities, ascending, as decimal
// numbers joined by ','. Untracked handlers (0) are left out.
func JoinHandlers(ids []HandlerID) string {
	ids = slices.DeleteFunc(slices.Clone(ids), func(h HandlerID) bool { return h == 0 })
	slices.Sort(ids)
	var b strings.Builder
	for i, h := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(h), 10))
	}
	return b.String()
}

// SplitHandlers is the inverse of JoinHandlers.
func SplitHandlers(s string) []HandlerID {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]HandlerID, 0, len(parts))
	for _, p := range parts {
		n, _ := strconv.ParseUint(p, 10, 64)
		out = append(out, HandlerID(n))
	}
	return out
}

// String renders the op as a call, e.g. bind("transport_1", "server_2").
func (o Op) String() string {
	q := strconv.Quote
	switch o.Kind {
	case OpRegisterServer:
		return fmt.Sprintf("%s(%s, owner=%d, cfg=%s%s)", o.Kind, q(o.Server), o.Owner, q(string(o.Config)), o.handlerArg())
	case OpRegisterTransport:
		return fmt.Sprintf("%s(%s, owner=%d, cfg=%s, bind=%s%s)", o.Kind, q(o.Transport), o.Owner, q(string(o.Config)), q(o.Server), o.handlerArg())
	case OpUnregisterServer, OpFindServer, OpRouteToServer, OpBroadcast:
		return fmt.Sprintf("%s(%s)", o.Kind, q(o.Server))
	case OpUnregisterTransport, OpFindTransport, OpUnbind, OpServerForTransport, OpRouteToTransport:
		return fmt.Sprintf("%s(%s)", o.Kind, q(o.Transport))
	case OpBind:
		return fmt.Sprintf("%s(%s, %s)", o.Kind, q(o.Transport), q(o.Server))
	case OpOwnerDown:
		return fmt.Sprintf("%s(%d)", o.Kind, o.Owner)
	default:
		return o.Kind.String() + "()"
	}
}

func (o Op) handlerArg() string {
	if o.Handler == 0 {
		return ""
	}
	return fmt.Sprintf(", handler=%d", o.Handler)
}

// Result is an operation's outcome as a plain comparable value. Which
// fields are set depends on the op:
//
//	FindServer, FindTransport  Owner, Config
//	ServerForTransport         Server
//	Broadcast, OwnerDown       Count
//	ListServers, ListTransports IDs: the sorted IDs joined by '\n'
//	RouteToServer, RouteToTransport, Broadcast
//	                           Delivered: the HandlerIDs of the
//	                           registrations that received the message
//	                           (JoinHandlers; untracked ones left out)
//
// Every other field is zero, and all but Code are zero when Code is not
// CodeOK.
type Result struct {
	Code      Code
	Owner     Owner
	Config    Config
	Server    string
	Count     int
	IDs       string
	Delivered string
}

// String renders the result compactly, e.g. "ok server=s1" or "server_not_found".
func (r Result) String() string {
	var b strings.Builder
	b.WriteString(r.Code.String())
	if r.Owner != 0 {
		fmt.Fprintf(&b, " owner=%d", r.Owner)
	}
	if r.Config != "" {
		fmt.Fprintf(&b, " cfg=%q", string(r.Config))
	}
	if r.Server != "" {
		fmt.Fprintf(&b, " server=%q", r.Server)
	}
	if r.Count != 0 {
		fmt.Fprintf(&b, " count=%d", r.Count)
	}
	if r.IDs != "" {
		fmt.Fprintf(&b, " ids=[%s]", strings.ReplaceAll(r.IDs, "\n", " "))
	}
	if r.Delivered != "" {
		fmt.Fprintf(&b, " delivered=[%s]", r.Delivered)
	}
	return b.String()
}

// JoinIDs renders a list result: the entries' IDs joined by '\n'.
func JoinIDs(es []Entry) string {
	n := 0
	for _, e := range es {
		n += len(e.ID) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.ID)
	}
	return b.String()
}

// NopHandler discards every message. Invoke registers entries with it
// when an op names no handler (Op.Handler 0).
var NopHandler Handler = HandlerFunc(func(Message) {})

// Delivery is the message Invoke routes: every TrackingHandler adds its
// identity to it when it receives it, so the route's Result says who
// received the message. Msg is the message proper, which a TrackingHandler
// passes on to the handler it wraps. It is safe for concurrent use (a
// broadcast may deliver from several goroutines).
type Delivery struct {
	Msg Message

	mu  sync.Mutex
	got []HandlerID
}

// Add records that the handler h received the message.
func (d *Delivery) Add(h HandlerID) {
	d.mu.Lock()
	d.got = append(d.got, h)
	d.mu.Unlock()
}

// Received returns what was delivered so far, rendered by JoinHandlers.
func (d *Delivery) Received() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return JoinHandlers(d.got)
}

// TrackingHandler returns a handler that adds id to every *Delivery it
// receives and passes the Delivery's Msg to next; any other message goes to
// next unchanged. next may be nil.
func TrackingHandler(id HandlerID, next Handler) Handler {
	return HandlerFunc(func(msg Message) {
		if d, ok := msg.(*Delivery); ok {
			d.Add(id)
			msg = d.Msg
		}
		if next != nil {
			next.Handle(msg)
		}
	})
}

func handlerFor(op Op) Handler {
	if op.Handler == 0 {
		return NopHandler
	}
	return TrackingHandler(op.Handler, nil)
}

// Invoke performs op on r and returns its outcome as a Result. A
// registration passes NopHandler, or, when op.Handler is set, a
// TrackingHandler with that identity; routes and broadcasts deliver a fresh
// *Delivery and report in Result.Delivered which tracked handlers received
// it, as State does. It is how checkers and conformance tests drive any
// Registry with model ops.
func Invoke(r Registry, op Op) Result {
	var (
		res Result
		err error
	)
	switch op.Kind {
	case OpRegisterServer:
		err = r.RegisterServer(op.Server, op.Owner, handlerFor(op), op.Config)
	case OpRegisterTransport:
		err = r.RegisterTransport(op.Transport, op.Owner, handlerFor(op), op.Config, op.Server)
	case OpUnregisterServer:
		err = r.UnregisterServer(op.Server)
	case OpUnregisterTransport:
		err = r.UnregisterTransport(op.Transport)
	case OpFindServer:
		var e Entry
		e, err = r.FindServer(op.Server)
		res.Owner, res.Config = e.Owner, e.Config
	case OpFindTransport:
		var e Entry
		e, err = r.FindTransport(op.Transport)
		res.Owner, res.Config = e.Owner, e.Config
	case OpListServers:
		res.IDs = JoinIDs(r.ListServers())
	case OpListTransports:
		res.IDs = JoinIDs(r.ListTransports())
	case OpBind:
		err = r.BindTransportToServer(op.Transport, op.Server)
	case OpUnbind:
		err = r.UnbindTransport(op.Transport)
	case OpServerForTransport:
		res.Server, err = r.ServerForTransport(op.Transport)
	case OpRouteToServer:
		d := &Delivery{}
		err = r.RouteToServer(op.Server, d)
		res.Delivered = d.Received()
	case OpRouteToTransport:
		d := &Delivery{}
		err = r.RouteToTransport(op.Transport, d)
		res.Delivered = d.Received()
	case OpBroadcast:
		d := &Delivery{}
		res.Count, err = r.Broadcast(op.Server, d)
		res.Delivered = d.Received()
	case OpOwnerDown:
		res.Count, err = r.OwnerDown(op.Owner)
	default:
		err = fmt.Errorf("model: invalid op kind %d", op.Kind)
	}
	if err != nil {
		// A delivery made by a call that then failed is kept: the model
		// expects none, so a checker sees it.
		return Result{Code: CodeOf(err), Delivered: res.Delivered}
	}
	return res
}
