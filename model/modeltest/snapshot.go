package modeltest

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shardlab/shardlab/model"
)

// Snapshot is everything a registry lets a caller observe about its
// contents: the sorted entries, the bindings (transport ID -> server ID) as
// ServerForTransport reports them, and each server's fan-out as Broadcast
// counts it. A registry that keeps a separate index for broadcasts shows
// any disagreement between the two here.
type Snapshot struct {
	Servers    []model.Entry
	Transports []model.Entry
	Bindings   map[string]string
	Fanout     map[string]int
}

// SnapshotOf reads r's contents through its public methods: the lists,
// ServerForTransport for every transport and Broadcast(id, nil) for every
// server (so handlers receive a nil message). It is a consistent view only
// while nothing else writes to r.
func SnapshotOf(r model.Registry) Snapshot {
	s := Snapshot{
		Servers:    nonNil(r.ListServers()),
		Transports: nonNil(r.ListTransports()),
		Bindings:   map[string]string{},
		Fanout:     map[string]int{},
	}
	for _, t := range s.Transports {
		if sid, err := r.ServerForTransport(t.ID); err == nil {
			s.Bindings[t.ID] = sid
		}
	}
	for _, e := range s.Servers {
		n, err := r.Broadcast(e.ID, nil)
		if err != nil {
			n = -1 // listed but not broadcastable: shows up as a difference
		}
		s.Fanout[e.ID] = n
	}
	return s
}

// SnapshotOfState is the Snapshot the model says a registry in state s shows.
func SnapshotOfState(s model.State) Snapshot {
	snap := Snapshot{
		Servers:    nonNil(s.Servers()),
		Transports: nonNil(s.Transports()),
		Bindings:   s.Bindings(),
		Fanout:     map[string]int{},
	}
	for _, e := range snap.Servers {
		snap.Fanout[e.ID] = 0
	}
	for _, sid := range snap.Bindings {
		snap.Fanout[sid]++
	}
	return snap
}

func nonNil(es []model.Entry) []model.Entry {
	if es == nil {
		return []model.Entry{}
	}
	return es
}

// Equal reports whether s and o show the same contents.
func (s Snapshot) Equal(o Snapshot) bool {
	return slices.Equal(s.Servers, o.Servers) && slices.Equal(s.Transports, o.Transports) &&
		maps.Equal(s.Bindings, o.Bindings) && maps.Equal(s.Fanout, o.Fanout)
}

// String renders the snapshot sorted, for failure messages.
func (s Snapshot) String() string {
	var b strings.Builder
	b.WriteString("servers:")
	for _, e := range s.Servers {
		fmt.Fprintf(&b, " %s@%d(%q)", e.ID, e.Owner, e.Config)
	}
	b.WriteString("; fan-out:")
	for _, id := range slices.Sorted(maps.Keys(s.Fanout)) {
		fmt.Fprintf(&b, " %s=%d", id, s.Fanout[id])
	}
	b.WriteString("; transports:")
	for _, e := range s.Transports {
		fmt.Fprintf(&b, " %s@%d(%q)", e.ID, e.Owner, e.Config)
		if sid, ok := s.Bindings[e.ID]; ok {
			fmt.Fprintf(&b, "->%s", sid)
		}
	}
	// A binding to a transport missing from the list would be a bug; show it.
	for _, tid := range slices.Sorted(maps.Keys(s.Bindings)) {
		if !slices.ContainsFunc(s.Transports, func(e model.Entry) bool { return e.ID == tid }) {
			fmt.Fprintf(&b, " [unlisted %s->%s]", tid, s.Bindings[tid])
		}
	}
	return b.String()
}
