package check

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shardlab/shardlab/model"
	"pgregory.net/rapid"
)

// MachineOptions configure StateMachine and ConcurrentMachine. The zero
// value gives the defaults.
type MachineOptions struct {
	// Servers, Transports and Owners bound the IDs drawn (default 2 each):
	// small, so that operations hit the same entries.
	Servers, Transports, Owners int
	// Steps is the most operations one StateMachine case performs
	// (default 100; each case draws 1..Steps).
	Steps int
	// Invariant, if set, is checked after every step with the model's
	// state, e.g. that a registry's statistics agree with its contents.
	Invariant func(reg model.Registry, st model.State) error
	// Timeout bounds each linearizability check in ConcurrentMachine
	// (default 10 s).
	Timeout time.Duration

	_ struct{}
}

func (o MachineOptions) withDefaults() MachineOptions {
	for _, p := range []*int{&o.Servers, &o.Transports, &o.Owners} {
		if *p <= 0 {
			*p = 2
		}
	}
	if o.Steps <= 0 {
		o.Steps = 100
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	return o
}

// opGen draws one operation of kind k (any kind when k is 0) over the
// small key space; IDs are sometimes invalid, to check error order.
func opGen(o MachineOptions, k model.OpKind) *rapid.Generator[model.Op] {
	return rapid.Custom(func(t *rapid.T) model.Op {
		kind := k
		if kind == 0 {
			kind = rapid.SampledFrom(model.OpKinds()).Draw(t, "kind")
		}
		// One ID in 16 is invalid: enough to check error order, rare
		// enough not to crowd out the operations that change state.
		id := func(prefix string, n int, label string) string {
			i := rapid.IntRange(0, 16*n-1).Draw(t, label)
			if i >= 15*n {
				return ""
			}
			return prefix + strconv.Itoa(i%n)
		}
		owner := func() model.Owner {
			i := rapid.IntRange(0, 16*o.Owners-1).Draw(t, "owner")
			if i >= 15*o.Owners {
				return 0
			}
			return model.Owner(i%o.Owners + 1)
		}
		op := model.Op{
			Kind:      kind,
			Server:    id("s", o.Servers, "server"),
			Transport: id("t", o.Transports, "transport"),
			Owner:     owner(),
			Config:    model.Config(rapid.SampledFrom([]string{"a", "b"}).Draw(t, "config")),
		}
		return normalise(op)
	})
}

// StateMachine returns a rapid property: a fresh registry from newRegistry
// and model.State are driven with the same operations, step by step; every
// result must equal the model's, and after every step the registry's
// contents must equal the model's (Contents) and opts.Invariant must hold.
// Use it as rapid.Check(t, check.StateMachine(...)); a failure shrinks to a
// short sequence and rapid prints how to replay it (-rapid.seed=...).
func StateMachine(newRegistry func() (model.Registry, error), opts MachineOptions) func(*rapid.T) {
	opts = opts.withDefaults()
	gen := opGen(opts, 0)
	return func(t *rapid.T) {
		reg, err := newRegistry()
		if err != nil {
			t.Fatalf("building the registry: %v", err)
		}
		defer closeRegistry(reg)
		st := model.NewState()
		invariants := func(t *rapid.T) {
			if err := Contents(reg, st); err != nil {
				t.Fatalf("after the last step: %v (model state %s)", err, st)
			}
			if err := lookups(reg, st, opts); err != nil {
				t.Fatalf("after the last step: %v (model state %s)", err, st)
			}
			if opts.Invariant != nil {
				if err := opts.Invariant(reg, st); err != nil {
					t.Fatalf("invariant: %v (model state %s)", err, st)
				}
			}
		}
		// An explicit step count rather than t.Repeat: Repeat halves its
		// steps under -short, and the defects worth finding need four or
		// five particular steps on one key (register, read, unregister,
		// read), which 15 steps rarely hold.
		// rapid biases integers towards the low end; half the budget is
		// the floor, so a case is long enough to reach the bugs and still
		// shrinks its operations to the simplest ones.
		steps := rapid.IntRange(opts.Steps/2, opts.Steps).Draw(t, "steps")
		invariants(t)
		for range steps {
			op := gen.Draw(t, "op")
			before := st.String()
			want := st.Apply(op)
			got := model.Invoke(reg, op)
			if got != want {
				t.Fatalf("%s returned %s, model says %s (state before: %s)", op, got, want, before)
			}
			invariants(t)
		}
	}
}

// Contents compares reg's observable contents with st: the lists (which
// must be sorted), each entry's owner and configuration, each transport's
// binding (which must name a registered server) and each server's broadcast
// count. It only reads, through the Registry interface.
func Contents(reg model.Registry, st model.State) error {
	for _, l := range []struct {
		name      string
		got, want []model.Entry
	}{{"ListServers", reg.ListServers(), st.Servers()}, {"ListTransports", reg.ListTransports(), st.Transports()}} {
		if !slices.IsSortedFunc(l.got, func(a, b model.Entry) int { return strings.Compare(a.ID, b.ID) }) {
			return fmt.Errorf("%s not sorted: %v", l.name, l.got)
		}
		if !slices.Equal(l.got, l.want) {
			return fmt.Errorf("%s = %v, model has %v", l.name, l.got, l.want)
		}
	}
	servers := map[string]bool{}
	for _, e := range st.Servers() {
		servers[e.ID] = true
	}
	bindings := st.Bindings()
	for _, e := range st.Transports() {
		s, err := reg.ServerForTransport(e.ID)
		switch want, bound := bindings[e.ID]; {
		case err != nil && !(errorsIsNotBound(err) && !bound):
			return fmt.Errorf("ServerForTransport(%q): %v, model has binding %q", e.ID, err, want)
		case err == nil && s != want:
			return fmt.Errorf("ServerForTransport(%q) = %q, model has %q", e.ID, s, want)
		case err == nil && !servers[s]:
			return fmt.Errorf("transport %q bound to unregistered server %q", e.ID, s)
		}
	}
	perServer := map[string]int{}
	for _, s := range bindings {
		perServer[s]++
	}
	for id := range servers {
		n, err := reg.Broadcast(id, nil)
		if err != nil || n != perServer[id] {
			return fmt.Errorf("Broadcast(%q) = %d, %v; model has %d bound transports", id, n, err, perServer[id])
		}
	}
	return nil
}

// lookups compares FindServer and FindTransport for every ID of the key
// space, so entries that should be gone are looked up too.
func lookups(reg model.Registry, st model.State, opts MachineOptions) error {
	for _, k := range []struct {
		kind   model.OpKind
		prefix string
		n      int
	}{{model.OpFindServer, "s", opts.Servers}, {model.OpFindTransport, "t", opts.Transports}} {
		for i := range k.n {
			op := normalise(model.Op{Kind: k.kind, Server: k.prefix + strconv.Itoa(i), Transport: k.prefix + strconv.Itoa(i)})
			if got, want := model.Invoke(reg, op), st.Apply(op); got != want {
				return fmt.Errorf("%s returned %s, model says %s", op, got, want)
			}
		}
	}
	return nil
}

func errorsIsNotBound(err error) bool { return model.CodeOf(err) == model.CodeNotBound }

// ConcurrentMachine returns a rapid property: it draws a plan (2 to 4
// clients, up to 8 operations each, over the small key space), runs it
// against a fresh registry with one goroutine per client, and checks the
// recorded history with Check. A violation or an undecided check fails the
// property with the verdict's description. Rapid shrinks the plan, but the
// interleaving is the scheduler's, so a shrunk failure may need reruns.
func ConcurrentMachine(newRegistry func() (model.Registry, error), opts MachineOptions) func(*rapid.T) {
	opts = opts.withDefaults()
	gen := opGen(opts, 0)
	return func(t *rapid.T) {
		clients := rapid.IntRange(2, 4).Draw(t, "clients")
		plan := make([][]model.Op, clients)
		for c := range plan {
			plan[c] = rapid.SliceOfN(gen, 1, 8).Draw(t, fmt.Sprintf("client%d", c))
		}
		reg, err := newRegistry()
		if err != nil {
			t.Fatalf("building the registry: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
		defer cancel()
		h, err := Execute(ctx, reg, plan)
		if err != nil {
			t.Fatalf("%v", err)
		}
		closeRegistry(reg)
		if v := Check(h, Options{Timeout: opts.Timeout}); v.Outcome != Ok {
			t.Fatalf("%s\n%s", v, v.Description)
		}
	}
}
