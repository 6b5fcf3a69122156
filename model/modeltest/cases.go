package modeltest

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/model"
)

// Op constructors, so the tables read like calls.
func regServer(id string, owner model.Owner, cfg model.Config) model.Op {
	return model.Op{Kind: model.OpRegisterServer, Server: id, Owner: owner, Config: cfg}
}

func regTransport(id string, owner model.Owner, cfg model.Config, bindTo string) model.Op {
	return model.Op{Kind: model.OpRegisterTransport, Transport: id, Owner: owner, Config: cfg, Server: bindTo}
}

func unregServer(id string) model.Op { return model.Op{Kind: model.OpUnregisterServer, Server: id} }
func unregTransport(id string) model.Op {
	return model.Op{Kind: model.OpUnregisterTransport, Transport: id}
}
func findServer(id string) model.Op    { return model.Op{Kind: model.OpFindServer, Server: id} }
func findTransport(id string) model.Op { return model.Op{Kind: model.OpFindTransport, Transport: id} }
func listServers() model.Op            { return model.Op{Kind: model.OpListServers} }
func listTransports() model.Op         { return model.Op{Kind: model.OpListTransports} }
func bind(tid, sid string) model.Op {
	return model.Op{Kind: model.OpBind, Transport: tid, Server: sid}
}
func unbind(tid string) model.Op { return model.Op{Kind: model.OpUnbind, Transport: tid} }
func serverFor(tid string) model.Op {
	return model.Op{Kind: model.OpServerForTransport, Transport: tid}
}
func routeServer(sid string) model.Op { return model.Op{Kind: model.OpRouteToServer, Server: sid} }
func routeTransport(tid string) model.Op {
	return model.Op{Kind: model.OpRouteToTransport, Transport: tid}
}
func broadcast(sid string) model.Op        { return model.Op{Kind: model.OpBroadcast, Server: sid} }
func ownerDown(owner model.Owner) model.Op { return model.Op{Kind: model.OpOwnerDown, Owner: owner} }

// Expected results.
var ok = model.Result{}

func code(c model.Code) model.Result { return model.Result{Code: c} }
func found(owner model.Owner, cfg model.Config) model.Result {
	return model.Result{Owner: owner, Config: cfg}
}
func boundTo(sid string) model.Result { return model.Result{Server: sid} }
func count(n int) model.Result        { return model.Result{Count: n} }
func ids(list ...string) model.Result { return model.Result{IDs: strings.Join(list, "\n")} }
func invalidID() model.Result         { return code(model.CodeInvalidID) }
func serverNotFound() model.Result    { return code(model.CodeServerNotFound) }
func transportNotFound() model.Result { return code(model.CodeTransportNotFound) }
func notBound() model.Result          { return code(model.CodeNotBound) }
func alreadyRegistered() model.Result { return code(model.CodeAlreadyRegistered) }
func invalidOwner() model.Result      { return code(model.CodeInvalidOwner) }

// Invalid IDs, one per rule ValidateID enforces.
var invalidIDs = map[string]string{
	"empty":        "",
	"256_bytes":    strings.Repeat("a", model.MaxIDLen+1),
	"control_char": "srv\x01",
	"newline":      "srv\n1",
	"del":          "srv\x7f",
	"bad_utf8":     "srv\xff",
	"bad_utf8_mid": "é\xc3(",
}

// Valid IDs at the edges of the rules.
var edgeIDs = map[string]string{
	"255_bytes": strings.Repeat("a", model.MaxIDLen),
	"one_byte":  "a",
	"unicode":   "serveur-été-😀",
	"space":     "a b",
}

// step is an op and the result it must give.
type step struct {
	op   model.Op
	want model.Result
}

// testCase: setup ops (each must succeed), the op under test and its result,
// then follow-up steps that observe its effect.
type testCase struct {
	name  string
	setup []model.Op
	op    model.Op
	want  model.Result
	then  []step
}

// Common setups.
var (
	oneServer         = []model.Op{regServer("s1", 1, "c1")}
	serverAndLoose    = []model.Op{regServer("s1", 1, "c1"), regTransport("t1", 1, "ct1", "")}
	twoServersBound   = []model.Op{regServer("s1", 1, "c1"), regServer("s2", 2, "c2"), regTransport("t1", 1, "ct1", "s1")}
	serverWithThree   = []model.Op{regServer("s1", 1, "c1"), regTransport("t1", 1, "", "s1"), regTransport("t2", 2, "", "s1"), regTransport("t3", 2, "", "")}
	mixedOwners       = []model.Op{regServer("s1", 1, "c1"), regServer("s2", 2, "c2"), regTransport("t1", 1, "", "s2"), regTransport("t2", 2, "", "s1"), regTransport("t3", 1, "", ""), regTransport("t4", 2, "", "s2")}
	reRegisteredByTwo = []model.Op{regServer("s1", 1, "old"), regTransport("t1", 3, "", "s1"), unregServer("s1"), regServer("s1", 2, "new")}
)

func cases() []testCase {
	var cs []testCase
	add := func(c ...testCase) { cs = append(cs, c...) }

	// Invalid IDs in every position that takes one.
	for _, name := range slices.Sorted(maps.Keys(invalidIDs)) {
		bad := invalidIDs[name]
		add(
			testCase{name: "RegisterServer/invalid_id/" + name, op: regServer(bad, 1, ""), want: invalidID()},
			testCase{name: "RegisterTransport/invalid_id/" + name, op: regTransport(bad, 1, "", ""), want: invalidID()},
			testCase{name: "UnregisterServer/invalid_id/" + name, op: unregServer(bad), want: invalidID()},
			testCase{name: "UnregisterTransport/invalid_id/" + name, op: unregTransport(bad), want: invalidID()},
			testCase{name: "FindServer/invalid_id/" + name, op: findServer(bad), want: invalidID()},
			testCase{name: "FindTransport/invalid_id/" + name, op: findTransport(bad), want: invalidID()},
			testCase{name: "Bind/invalid_transport_id/" + name, setup: oneServer, op: bind(bad, "s1"), want: invalidID()},
			testCase{name: "Bind/invalid_server_id/" + name, setup: serverAndLoose, op: bind("t1", bad), want: invalidID()},
			testCase{name: "Unbind/invalid_id/" + name, op: unbind(bad), want: invalidID()},
			testCase{name: "ServerForTransport/invalid_id/" + name, op: serverFor(bad), want: invalidID()},
			testCase{name: "RouteToServer/invalid_id/" + name, op: routeServer(bad), want: invalidID()},
			testCase{name: "RouteToTransport/invalid_id/" + name, op: routeTransport(bad), want: invalidID()},
			testCase{name: "Broadcast/invalid_id/" + name, op: broadcast(bad), want: invalidID()},
		)
		if bad != "" { // an empty bind target means "do not bind"
			add(testCase{name: "RegisterTransport/invalid_bind_id/" + name, setup: oneServer, op: regTransport("t1", 1, "", bad), want: invalidID()})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(edgeIDs)) {
		id := edgeIDs[name]
		add(
			testCase{name: "RegisterServer/edge_id/" + name, op: regServer(id, 1, "c"), want: ok,
				then: []step{{findServer(id), found(1, "c")}, {listServers(), ids(id)}}},
			testCase{name: "RegisterTransport/edge_id/" + name, setup: oneServer, op: regTransport(id, 1, "c", "s1"), want: ok,
				then: []step{{serverFor(id), boundTo("s1")}}},
		)
	}

	add(
		// RegisterServer.
		testCase{name: "RegisterServer/ok", op: regServer("s1", 7, "cfg"), want: ok,
			then: []step{{findServer("s1"), found(7, "cfg")}, {findTransport("s1"), transportNotFound()}}},
		testCase{name: "RegisterServer/zero_owner", op: regServer("s1", 0, ""), want: invalidOwner()},
		testCase{name: "RegisterServer/invalid_id_before_owner", op: regServer("", 0, ""), want: invalidID()},
		testCase{name: "RegisterServer/duplicate", setup: oneServer, op: regServer("s1", 2, "other"), want: alreadyRegistered(),
			then: []step{{findServer("s1"), found(1, "c1")}}},
		testCase{name: "RegisterServer/duplicate_same_owner", setup: oneServer, op: regServer("s1", 1, "c1"), want: alreadyRegistered()},
		testCase{name: "RegisterServer/owner_before_duplicate", setup: oneServer, op: regServer("s1", 0, ""), want: invalidOwner()},
		testCase{name: "RegisterServer/namespaces_separate", setup: []model.Op{regTransport("x", 1, "", "")}, op: regServer("x", 1, ""), want: ok},

		// RegisterTransport.
		testCase{name: "RegisterTransport/ok_unbound", op: regTransport("t1", 5, "ct", ""), want: ok,
			then: []step{{findTransport("t1"), found(5, "ct")}, {serverFor("t1"), notBound()}}},
		testCase{name: "RegisterTransport/ok_auto_bind", setup: oneServer, op: regTransport("t1", 2, "ct", "s1"), want: ok,
			then: []step{{serverFor("t1"), boundTo("s1")}, {broadcast("s1"), count(1)}}},
		testCase{name: "RegisterTransport/zero_owner", op: regTransport("t1", 0, "", ""), want: invalidOwner()},
		testCase{name: "RegisterTransport/invalid_bind_id_before_owner", op: regTransport("t1", 0, "", "bad\x00"), want: invalidID()},
		testCase{name: "RegisterTransport/duplicate", setup: serverAndLoose, op: regTransport("t1", 2, "", ""), want: alreadyRegistered(),
			then: []step{{findTransport("t1"), found(1, "ct1")}}},
		testCase{name: "RegisterTransport/duplicate_before_missing_server", setup: serverAndLoose, op: regTransport("t1", 2, "", "nope"), want: alreadyRegistered()},
		testCase{name: "RegisterTransport/duplicate_does_not_rebind", setup: twoServersBound, op: regTransport("t1", 1, "", "s2"), want: alreadyRegistered(),
			then: []step{{serverFor("t1"), boundTo("s1")}}},
		testCase{name: "RegisterTransport/auto_bind_missing_server_is_atomic", setup: oneServer, op: regTransport("t1", 1, "", "s9"), want: serverNotFound(),
			then: []step{{findTransport("t1"), transportNotFound()}, {listTransports(), ids()}}},

		// UnregisterServer.
		testCase{name: "UnregisterServer/missing", op: unregServer("s1"), want: serverNotFound()},
		testCase{name: "UnregisterServer/not_a_transport", setup: serverAndLoose, op: unregServer("t1"), want: serverNotFound()},
		testCase{name: "UnregisterServer/ok", setup: oneServer, op: unregServer("s1"), want: ok,
			then: []step{{findServer("s1"), serverNotFound()}, {unregServer("s1"), serverNotFound()}}},
		testCase{name: "UnregisterServer/removes_bindings", setup: serverWithThree, op: unregServer("s1"), want: ok,
			then: []step{{serverFor("t1"), notBound()}, {serverFor("t2"), notBound()}, {findTransport("t1"), found(1, "")}}},
		testCase{name: "UnregisterServer/reregistering_does_not_restore_bindings", setup: append(clone(serverWithThree), unregServer("s1")),
			op: regServer("s1", 1, "again"), want: ok,
			then: []step{{serverFor("t1"), notBound()}, {broadcast("s1"), count(0)}}},
		testCase{name: "UnregisterServer/leaves_other_bindings", setup: append(clone(twoServersBound), regTransport("t2", 2, "", "s2")), op: unregServer("s1"), want: ok,
			then: []step{{serverFor("t2"), boundTo("s2")}, {serverFor("t1"), notBound()}}},

		// UnregisterTransport.
		testCase{name: "UnregisterTransport/missing", op: unregTransport("t1"), want: transportNotFound()},
		testCase{name: "UnregisterTransport/not_a_server", setup: oneServer, op: unregTransport("s1"), want: transportNotFound()},
		testCase{name: "UnregisterTransport/removes_binding", setup: serverWithThree, op: unregTransport("t1"), want: ok,
			then: []step{{broadcast("s1"), count(1)}, {serverFor("t1"), transportNotFound()}, {regTransport("t1", 1, "", ""), ok}, {serverFor("t1"), notBound()}}},

		// FindServer, FindTransport.
		testCase{name: "FindServer/missing", op: findServer("s1"), want: serverNotFound()},
		testCase{name: "FindServer/ok", setup: mixedOwners, op: findServer("s2"), want: found(2, "c2")},
		testCase{name: "FindTransport/missing", setup: oneServer, op: findTransport("s1"), want: transportNotFound()},
		testCase{name: "FindTransport/ok", setup: twoServersBound, op: findTransport("t1"), want: found(1, "ct1")},

		// Lists.
		testCase{name: "ListServers/empty", op: listServers(), want: ids()},
		testCase{name: "ListServers/sorted", setup: []model.Op{regServer("b", 1, ""), regServer("a", 1, ""), regServer("c", 2, ""), regServer("B", 1, ""), regServer("é", 1, "")},
			op: listServers(), want: ids("B", "a", "b", "c", "é")},
		testCase{name: "ListTransports/sorted", setup: []model.Op{regTransport("t10", 1, "", ""), regTransport("t2", 1, "", ""), regTransport("t1", 1, "", "")},
			op: listTransports(), want: ids("t1", "t10", "t2")},

		// Bind.
		testCase{name: "Bind/server_checked_first", op: bind("t1", "s1"), want: serverNotFound()},
		testCase{name: "Bind/missing_server", setup: serverAndLoose, op: bind("t1", "s9"), want: serverNotFound(),
			then: []step{{serverFor("t1"), notBound()}}},
		testCase{name: "Bind/missing_transport", setup: oneServer, op: bind("t1", "s1"), want: transportNotFound()},
		testCase{name: "Bind/invalid_transport_before_invalid_server", op: bind("", "\x00"), want: invalidID()},
		testCase{name: "Bind/invalid_server_before_missing", op: bind("t1", ""), want: invalidID()},
		testCase{name: "Bind/ok", setup: serverAndLoose, op: bind("t1", "s1"), want: ok,
			then: []step{{serverFor("t1"), boundTo("s1")}, {broadcast("s1"), count(1)}}},
		testCase{name: "Bind/rebinding_moves", setup: twoServersBound, op: bind("t1", "s2"), want: ok,
			then: []step{{serverFor("t1"), boundTo("s2")}, {broadcast("s1"), count(0)}, {broadcast("s2"), count(1)}}},
		testCase{name: "Bind/same_server_again", setup: twoServersBound, op: bind("t1", "s1"), want: ok,
			then: []step{{broadcast("s1"), count(1)}}},
		testCase{name: "Bind/failed_rebind_keeps_binding", setup: twoServersBound, op: bind("t1", "s9"), want: serverNotFound(),
			then: []step{{serverFor("t1"), boundTo("s1")}}},

		// Unbind.
		testCase{name: "Unbind/missing", op: unbind("t1"), want: transportNotFound()},
		testCase{name: "Unbind/ok", setup: twoServersBound, op: unbind("t1"), want: ok,
			then: []step{{serverFor("t1"), notBound()}, {broadcast("s1"), count(0)}, {findTransport("t1"), found(1, "ct1")}}},
		testCase{name: "Unbind/unbound_is_ok", setup: serverAndLoose, op: unbind("t1"), want: ok},

		// ServerForTransport.
		testCase{name: "ServerForTransport/missing", setup: oneServer, op: serverFor("t1"), want: transportNotFound()},
		testCase{name: "ServerForTransport/not_bound", setup: serverAndLoose, op: serverFor("t1"), want: notBound()},
		testCase{name: "ServerForTransport/bound", setup: twoServersBound, op: serverFor("t1"), want: boundTo("s1")},
		testCase{name: "ServerForTransport/after_server_removed", setup: append(clone(twoServersBound), unregServer("s1")), op: serverFor("t1"), want: notBound()},

		// Routing.
		testCase{name: "RouteToServer/missing", setup: serverAndLoose, op: routeServer("t1"), want: serverNotFound()},
		testCase{name: "RouteToServer/ok", setup: oneServer, op: routeServer("s1"), want: ok},
		testCase{name: "RouteToTransport/missing", setup: oneServer, op: routeTransport("s1"), want: transportNotFound()},
		testCase{name: "RouteToTransport/ok", setup: serverAndLoose, op: routeTransport("t1"), want: ok},

		// Broadcast.
		testCase{name: "Broadcast/missing", op: broadcast("s1"), want: serverNotFound()},
		testCase{name: "Broadcast/none_bound", setup: serverAndLoose, op: broadcast("s1"), want: count(0)},
		testCase{name: "Broadcast/counts_bound_only", setup: serverWithThree, op: broadcast("s1"), want: count(2)},

		// OwnerDown.
		testCase{name: "OwnerDown/zero_owner", setup: oneServer, op: ownerDown(0), want: invalidOwner()},
		testCase{name: "OwnerDown/unknown_owner", setup: mixedOwners, op: ownerDown(9), want: count(0)},
		testCase{name: "OwnerDown/removes_entries_and_bindings", setup: mixedOwners, op: ownerDown(1), want: count(3),
			then: []step{
				{findServer("s1"), serverNotFound()}, {findTransport("t1"), transportNotFound()}, {findTransport("t3"), transportNotFound()},
				{serverFor("t2"), notBound()}, {serverFor("t4"), boundTo("s2")}, {broadcast("s2"), count(1)},
				{listServers(), ids("s2")}, {listTransports(), ids("t2", "t4")},
				{ownerDown(1), count(0)},
				{regServer("s1", 3, ""), ok}, {broadcast("s1"), count(0)}, {serverFor("t2"), notBound()},
			}},
		testCase{name: "OwnerDown/owner_can_register_again", setup: append(clone(mixedOwners), ownerDown(2)), op: regServer("s2", 2, "back"), want: ok,
			then: []step{{findServer("s2"), found(2, "back")}, {ownerDown(2), count(1)}}},
		testCase{name: "OwnerDown/stale_notice_spares_newer_registration", setup: reRegisteredByTwo, op: ownerDown(1), want: count(0),
			then: []step{{findServer("s1"), found(2, "new")}, {serverFor("t1"), notBound()}, {listServers(), ids("s1")}}},
	)
	return cs
}

func clone(ops []model.Op) []model.Op { return append([]model.Op(nil), ops...) }

// runCases runs each case on a fresh registry beside model.State.
func runCases(t *testing.T, newRegistry func(t *testing.T) model.Registry) {
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			r := newRegistry(t)
			state := model.NewState()
			for _, op := range c.setup {
				if got := model.Invoke(r, op); got.Code != model.CodeOK {
					t.Fatalf("setup %v = %v, want ok", op, got)
				}
				state.Apply(op)
			}
			before := SnapshotOf(r)
			if got := model.Invoke(r, c.op); got != c.want {
				t.Fatalf("%v = %v, want %v\nbefore: %v", c.op, got, c.want, before)
			}
			// The hand-written expectation and the model must agree, or the
			// table (or the model) is wrong.
			if modelRes := state.Apply(c.op); modelRes != c.want {
				t.Fatalf("table says %v = %v but model.State says %v", c.op, c.want, modelRes)
			}
			after := SnapshotOf(r)
			if c.want.Code != model.CodeOK && !after.Equal(before) {
				t.Fatalf("failed %v changed the registry:\nbefore: %v\nafter:  %v", c.op, before, after)
			}
			if want := SnapshotOfState(state); !after.Equal(want) {
				t.Fatalf("after %v:\ngot:  %v\nwant: %v", c.op, after, want)
			}
			for _, s := range c.then {
				if got := model.Invoke(r, s.op); got != s.want {
					t.Fatalf("after %v: %v = %v, want %v", c.op, s.op, got, s.want)
				}
				if modelRes := state.Apply(s.op); modelRes != s.want {
					t.Fatalf("table says %v = %v but model.State says %v", s.op, s.want, modelRes)
				}
			}
		})
	}
}
