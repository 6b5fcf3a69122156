package protocol

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/shardlab/shardlab/model"
)

// Version is the protocol version this package speaks. A driver must
// answer the hello with the same number.
const Version = 1

// Control operations, beside the model's operations.
const (
	OpHello = "hello" // handshake: the driver's name, version and profile
	OpReset = "reset" // drop every entry and owner: a fresh, empty registry
)

// Request is one line shardlab writes to the driver's stdin.
type Request struct {
	ID     int64  `json:"id"`
	Client int    `json:"client"`
	Op     string `json:"op"`
	Args   *Args  `json:"args,omitempty"`
}

// Args are an operation's arguments. Owners are opaque strings: the driver
// maps each to a process (or whatever owns entries in its registry) of its
// own, started on the owner's first use. The empty owner is invalid.
type Args struct {
	Server    *string `json:"server,omitempty"`
	Transport *string `json:"transport,omitempty"`
	Owner     *string `json:"owner,omitempty"`
	Config    *string `json:"config,omitempty"`
	// Protocol is the hello's version.
	Protocol int `json:"protocol,omitempty"`
}

// Answer is one line the driver writes to its stdout.
type Answer struct {
	ID     *int64  `json:"id"`
	Result *Result `json:"result"`
}

// Result is an operation's outcome on the wire. Code is required; the
// other fields are those model.Result names for the op. Count is a pointer:
// an owner_down answered without a count means "the owner is dead, the
// registry's own cleanup runs on its own time", and shardlab records the
// death as pending.
type Result struct {
	Code   string   `json:"code"`
	Owner  string   `json:"owner,omitempty"`
	Config string   `json:"config,omitempty"`
	Server string   `json:"server,omitempty"`
	Count  *int     `json:"count,omitempty"`
	IDs    []string `json:"ids,omitempty"`

	// Hello's answer.
	Name     string   `json:"name,omitempty"`
	Version  string   `json:"version,omitempty"`
	Protocol int      `json:"protocol,omitempty"`
	Ops      []string `json:"ops,omitempty"`
	// NoConfig says the registry stores no configuration: workloads send
	// none and finds answer none.
	NoConfig bool `json:"no_config,omitempty"`
}

// Hello is what the driver said in the handshake.
type Hello struct {
	Name, Version string
	// Ops is the driver's profile: the operations it supports.
	Ops      []model.OpKind
	NoConfig bool
}

// Supports reports whether k is in the profile.
func (h Hello) Supports(k model.OpKind) bool {
	for _, o := range h.Ops {
		if o == k {
			return true
		}
	}
	return false
}

// String renders the hello for logs: "erlang-global 1.0 (register_server, ...)".
func (h Hello) String() string {
	names := make([]string, len(h.Ops))
	for i, k := range h.Ops {
		names[i] = k.String()
	}
	s := fmt.Sprintf("%s %s (%s)", h.Name, h.Version, strings.Join(names, ", "))
	if h.NoConfig {
		s += " without configs"
	}
	return s
}

// ServersProfile is the smallest useful profile: what OTP's global and
// Elixir's Registry offer.
var ServersProfile = []model.OpKind{
	model.OpRegisterServer, model.OpUnregisterServer, model.OpFindServer,
	model.OpListServers, model.OpOwnerDown,
}

// OwnerName is an owner's name on the wire: "o" and its number; the zero
// (invalid) owner is the empty string.
func OwnerName(o model.Owner) string {
	if o == 0 {
		return ""
	}
	return "o" + strconv.FormatUint(uint64(o), 10)
}

// ForeignOwner stands for an owner name shardlab never sent: no history
// contains it, so a result naming it is a violation, as it should be.
const ForeignOwner = model.Owner(1<<64 - 1)

// ParseOwner is the inverse of OwnerName; a name shardlab never sends maps
// to ForeignOwner.
func ParseOwner(s string) model.Owner {
	if s == "" {
		return 0
	}
	if n, ok := strings.CutPrefix(s, "o"); ok {
		if v, err := strconv.ParseUint(n, 10, 64); err == nil && v != 0 && "o"+strconv.FormatUint(v, 10) == s {
			return model.Owner(v)
		}
	}
	return ForeignOwner
}

// RequestFor turns a model op into a request's op name and arguments.
func RequestFor(op model.Op) (string, *Args) {
	a := &Args{}
	str := func(s string) *string { return &s }
	switch op.Kind {
	case model.OpRegisterServer:
		a.Server, a.Owner, a.Config = str(op.Server), str(OwnerName(op.Owner)), str(string(op.Config))
	case model.OpRegisterTransport:
		a.Transport, a.Owner, a.Config = str(op.Transport), str(OwnerName(op.Owner)), str(string(op.Config))
		if op.Server != "" {
			a.Server = str(op.Server)
		}
	case model.OpUnregisterServer, model.OpFindServer, model.OpRouteToServer, model.OpBroadcast:
		a.Server = str(op.Server)
	case model.OpUnregisterTransport, model.OpFindTransport, model.OpUnbind,
		model.OpServerForTransport, model.OpRouteToTransport:
		a.Transport = str(op.Transport)
	case model.OpBind:
		a.Transport, a.Server = str(op.Transport), str(op.Server)
	case model.OpOwnerDown:
		a.Owner = str(OwnerName(op.Owner))
	case model.OpListServers, model.OpListTransports:
		a = nil
	}
	return op.Kind.String(), a
}

// OpFor is the inverse of RequestFor, for drivers written in Go: it maps
// the owner names with owner, which gives each name a model.Owner.
func OpFor(req Request, owner func(string) model.Owner) (model.Op, error) {
	kind, err := model.ParseOpKind(req.Op)
	if err != nil {
		return model.Op{}, err
	}
	op := model.Op{Kind: kind}
	if a := req.Args; a != nil {
		if a.Server != nil {
			op.Server = *a.Server
		}
		if a.Transport != nil {
			op.Transport = *a.Transport
		}
		if a.Owner != nil {
			op.Owner = owner(*a.Owner)
		}
		if a.Config != nil {
			op.Config = model.Config(*a.Config)
		}
	}
	return op, nil
}

// ResultOf converts a wire result for op into a model.Result. known is
// false for an owner_down answered without a count (the registry cleans up
// asynchronously).
func ResultOf(kind model.OpKind, r *Result) (res model.Result, known bool, err error) {
	code, err := model.ParseCode(r.Code)
	if err != nil {
		return res, false, err
	}
	res.Code = code
	if code != model.CodeOK {
		if r.Owner != "" || r.Config != "" || r.Server != "" || r.Count != nil || r.IDs != nil {
			return res, false, fmt.Errorf("result %q carries fields beside its code", r.Code)
		}
		return res, true, nil
	}
	switch kind {
	case model.OpFindServer, model.OpFindTransport:
		res.Owner, res.Config = ParseOwner(r.Owner), model.Config(r.Config)
	case model.OpServerForTransport:
		res.Server = r.Server
	case model.OpBroadcast:
		if r.Count == nil {
			return res, false, fmt.Errorf("%s answered ok without a count", kind)
		}
		res.Count = *r.Count
	case model.OpOwnerDown:
		if r.Count == nil {
			return res, false, nil
		}
		res.Count = *r.Count
	case model.OpListServers, model.OpListTransports:
		es := make([]model.Entry, len(r.IDs))
		for i, id := range r.IDs {
			es[i].ID = id
		}
		res.IDs = model.JoinIDs(es)
	}
	return res, true, nil
}

// WireResult is the inverse of ResultOf, for drivers written in Go;
// ownerName gives an owner's name on the wire.
func WireResult(kind model.OpKind, res model.Result, ownerName func(model.Owner) string) *Result {
	r := &Result{Code: res.Code.String()}
	if res.Code != model.CodeOK {
		return r
	}
	switch kind {
	case model.OpFindServer, model.OpFindTransport:
		r.Owner, r.Config = ownerName(res.Owner), string(res.Config)
	case model.OpServerForTransport:
		r.Server = res.Server
	case model.OpBroadcast, model.OpOwnerDown:
		n := res.Count
		r.Count = &n
	case model.OpListServers, model.OpListTransports:
		r.IDs = []string{}
		if res.IDs != "" {
			r.IDs = strings.Split(res.IDs, "\n")
		}
	}
	return r
}

// marshalRequest renders a request as one line, newline included.
func marshalRequest(r Request) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
