package model

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
)

type serverRec struct {
	owner   Owner
	cfg     Config
	handler HandlerID
}

type transportRec struct {
	owner   Owner
	cfg     Config
	boundTo string // "" when unbound
	handler HandlerID
}

// State is the sequential specification of a registry. The zero State is an
// empty registry. Step is pure and safe to call on a shared State; Apply
// mutates the receiver and must not be used on a State that is shared.
type State struct {
	servers    map[string]serverRec
	transports map[string]transportRec
	// bound indexes bindings by server so UnregisterServer and OwnerDown do
	// not scan every transport; it always agrees with transportRec.boundTo.
	bound map[string]map[string]struct{}
}

// NewState returns an empty State ready for Apply.
func NewState() State {
	return State{
		servers:    map[string]serverRec{},
		transports: map[string]transportRec{},
		bound:      map[string]map[string]struct{}{},
	}
}

// Clone returns a deep copy of s.
func (s State) Clone() State {
	c := State{
		servers:    maps.Clone(s.servers),
		transports: maps.Clone(s.transports),
		bound:      make(map[string]map[string]struct{}, len(s.bound)),
	}
	if c.servers == nil {
		c.servers = map[string]serverRec{}
	}
	if c.transports == nil {
		c.transports = map[string]transportRec{}
	}
	for k, v := range s.bound {
		c.bound[k] = maps.Clone(v)
	}
	return c
}

// Step returns the state after op and op's result, leaving s unchanged.
func (s State) Step(op Op) (State, Result) {
	if op.Kind.IsRead() {
		// Reads never change the state, so the copy can be skipped.
		return s, s.read(op)
	}
	c := s.Clone()
	r := c.Apply(op)
	return c, r
}

// Apply performs op on s in place and returns its result. s may be the
// zero State (its first write allocates the maps) or come from NewState
// or Clone; a plain copy of a State shares its maps, so Apply on one
// changes both.
func (s *State) Apply(op Op) Result {
	if op.Kind.IsRead() {
		return s.read(op)
	}
	if s.servers == nil {
		*s = NewState()
	}
	switch op.Kind {
	case OpRegisterServer:
		if err := ValidateID(op.Server); err != nil {
			return fail(err)
		}
		if op.Owner == 0 {
			return fail(ErrInvalidOwner)
		}
		if _, ok := s.servers[op.Server]; ok {
			return fail(ErrAlreadyRegistered)
		}
		s.servers[op.Server] = serverRec{owner: op.Owner, cfg: op.Config, handler: op.Handler}
	case OpRegisterTransport:
		if err := ValidateID(op.Transport); err != nil {
			return fail(err)
		}
		if op.Server != "" {
			if err := ValidateID(op.Server); err != nil {
				return fail(err)
			}
		}
		if op.Owner == 0 {
			return fail(ErrInvalidOwner)
		}
		if _, ok := s.transports[op.Transport]; ok {
			return fail(ErrAlreadyRegistered)
		}
		if op.Server != "" {
			if _, ok := s.servers[op.Server]; !ok {
				return fail(ErrServerNotFound)
			}
		}
		s.transports[op.Transport] = transportRec{owner: op.Owner, cfg: op.Config, handler: op.Handler}
		if op.Server != "" {
			s.bind(op.Transport, op.Server)
		}
	case OpUnregisterServer:
		if err := ValidateID(op.Server); err != nil {
			return fail(err)
		}
		if _, ok := s.servers[op.Server]; !ok {
			return fail(ErrServerNotFound)
		}
		s.removeServer(op.Server)
	case OpUnregisterTransport:
		if err := ValidateID(op.Transport); err != nil {
			return fail(err)
		}
		if _, ok := s.transports[op.Transport]; !ok {
			return fail(ErrTransportNotFound)
		}
		s.removeTransport(op.Transport)
	case OpBind:
		if err := ValidateID(op.Transport); err != nil {
			return fail(err)
		}
		if err := ValidateID(op.Server); err != nil {
			return fail(err)
		}
		if _, ok := s.servers[op.Server]; !ok {
			return fail(ErrServerNotFound)
		}
		if _, ok := s.transports[op.Transport]; !ok {
			return fail(ErrTransportNotFound)
		}
		s.unbind(op.Transport)
		s.bind(op.Transport, op.Server)
	case OpUnbind:
		if err := ValidateID(op.Transport); err != nil {
			return fail(err)
		}
		if _, ok := s.transports[op.Transport]; !ok {
			return fail(ErrTransportNotFound)
		}
		s.unbind(op.Transport)
	case OpOwnerDown:
		if op.Owner == 0 {
			return fail(ErrInvalidOwner)
		}
		n := 0
		// Transports first so that removing a server does not first unbind
		// transports that are about to go anyway; the result is the same
		// either way, this just does less work.
		for id, t := range s.transports {
			if t.owner == op.Owner {
				s.removeTransport(id)
				n++
			}
		}
		for id, sv := range s.servers {
			if sv.owner == op.Owner {
				s.removeServer(id)
				n++
			}
		}
		return Result{Count: n}
	default:
		return Result{Code: CodeOther}
	}
	return Result{}
}

func fail(err error) Result { return Result{Code: CodeOf(err)} }

func (s *State) bind(tid, sid string) {
	t := s.transports[tid]
	t.boundTo = sid
	s.transports[tid] = t
	set := s.bound[sid]
	if set == nil {
		set = map[string]struct{}{}
		s.bound[sid] = set
	}
	set[tid] = struct{}{}
}

func (s *State) unbind(tid string) {
	t := s.transports[tid]
	if t.boundTo == "" {
		return
	}
	if set := s.bound[t.boundTo]; set != nil {
		delete(set, tid)
		if len(set) == 0 {
			delete(s.bound, t.boundTo)
		}
	}
	t.boundTo = ""
	s.transports[tid] = t
}

func (s *State) removeServer(sid string) {
	for tid := range s.bound[sid] {
		t := s.transports[tid]
		t.boundTo = ""
		s.transports[tid] = t
	}
	delete(s.bound, sid)
	delete(s.servers, sid)
}

func (s *State) removeTransport(tid string) {
	s.unbind(tid)
	delete(s.transports, tid)
}

func (s State) read(op Op) Result {
	switch op.Kind {
	case OpFindServer, OpRouteToServer, OpBroadcast:
		if err := ValidateID(op.Server); err != nil {
			return fail(err)
		}
		sv, ok := s.servers[op.Server]
		if !ok {
			return fail(ErrServerNotFound)
		}
		switch op.Kind {
		case OpFindServer:
			return Result{Owner: sv.owner, Config: sv.cfg}
		case OpBroadcast:
			var hs []HandlerID
			for tid := range s.bound[op.Server] {
				hs = append(hs, s.transports[tid].handler)
			}
			return Result{Count: len(s.bound[op.Server]), Delivered: JoinHandlers(hs)}
		}
		return Result{Delivered: oneHandler(sv.handler)}
	case OpFindTransport, OpRouteToTransport, OpServerForTransport:
		if err := ValidateID(op.Transport); err != nil {
			return fail(err)
		}
		t, ok := s.transports[op.Transport]
		if !ok {
			return fail(ErrTransportNotFound)
		}
		switch op.Kind {
		case OpFindTransport:
			return Result{Owner: t.owner, Config: t.cfg}
		case OpServerForTransport:
			if t.boundTo == "" {
				return fail(ErrNotBound)
			}
			return Result{Server: t.boundTo}
		}
		return Result{Delivered: oneHandler(t.handler)}
	case OpListServers:
		return Result{IDs: strings.Join(slices.Sorted(maps.Keys(s.servers)), "\n")}
	case OpListTransports:
		return Result{IDs: strings.Join(slices.Sorted(maps.Keys(s.transports)), "\n")}
	}
	return Result{Code: CodeOther}
}

// oneHandler is JoinHandlers of one identity without the allocations: a
// route is the commonest read a checker replays.
func oneHandler(h HandlerID) string {
	if h == 0 {
		return ""
	}
	return strconv.FormatUint(uint64(h), 10)
}

// Servers returns every server entry, sorted by ID.
func (s State) Servers() []Entry {
	out := make([]Entry, 0, len(s.servers))
	for id, sv := range s.servers {
		out = append(out, Entry{ID: id, Owner: sv.owner, Config: sv.cfg})
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Transports returns every transport entry, sorted by ID.
func (s State) Transports() []Entry {
	out := make([]Entry, 0, len(s.transports))
	for id, t := range s.transports {
		out = append(out, Entry{ID: id, Owner: t.owner, Config: t.cfg})
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Bindings returns transport ID -> server ID for every bound transport.
func (s State) Bindings() map[string]string {
	out := map[string]string{}
	for id, t := range s.transports {
		if t.boundTo != "" {
			out[id] = t.boundTo
		}
	}
	return out
}

// Counts returns the number of servers, transports and bindings.
func (s State) Counts() (servers, transports, bindings int) {
	for _, set := range s.bound {
		bindings += len(set)
	}
	return len(s.servers), len(s.transports), bindings
}

// Equal reports whether s and o hold the same entries and bindings.
func (s State) Equal(o State) bool {
	return maps.Equal(s.servers, o.servers) && maps.Equal(s.transports, o.transports)
}

// Hash returns a hash such that Equal states hash equally. It is
// order-independent (a sum of per-entry hashes), so map order does not matter.
func (s State) Hash() uint64 {
	var sum uint64
	h := fnv.New64a()
	for id, sv := range s.servers {
		h.Reset()
		fmt.Fprintf(h, "s\x00%s\x00%d\x00%s\x00%d", id, sv.owner, sv.cfg, sv.handler)
		sum += h.Sum64()
	}
	for id, t := range s.transports {
		h.Reset()
		fmt.Fprintf(h, "t\x00%s\x00%d\x00%s\x00%s\x00%d", id, t.owner, t.cfg, t.boundTo, t.handler)
		sum += h.Sum64()
	}
	return sum
}

// String describes the state, sorted, e.g. for porcupine's visualisation:
// servers first, then transports with "->server" for bindings.
func (s State) String() string {
	var b strings.Builder
	b.WriteString("{")
	for i, e := range s.Servers() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "S %s@%d", e.ID, e.Owner)
		if h := s.servers[e.ID].handler; h != 0 {
			fmt.Fprintf(&b, "#h%d", h)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.transports)) {
		if b.Len() > 1 {
			b.WriteString(", ")
		}
		t := s.transports[id]
		fmt.Fprintf(&b, "T %s@%d", id, t.owner)
		if t.handler != 0 {
			fmt.Fprintf(&b, "#h%d", t.handler)
		}
		if t.boundTo != "" {
			fmt.Fprintf(&b, "->%s", t.boundTo)
		}
	}
	b.WriteString("}")
	return b.String()
}

// CheckInvariants returns an error describing the first broken invariant:
// every binding names a registered server and a registered transport, and
// the by-server index agrees with the transports. Tests call it after every
// step.
func (s State) CheckInvariants() error {
	n := 0
	for tid, t := range s.transports {
		if t.boundTo == "" {
			continue
		}
		n++
		if _, ok := s.servers[t.boundTo]; !ok {
			return fmt.Errorf("transport %q bound to unregistered server %q", tid, t.boundTo)
		}
		if _, ok := s.bound[t.boundTo][tid]; !ok {
			return fmt.Errorf("transport %q bound to %q but missing from the index", tid, t.boundTo)
		}
	}
	_, _, indexed := s.Counts()
	if indexed != n {
		return fmt.Errorf("index holds %d bindings, transports %d", indexed, n)
	}
	return nil
}
