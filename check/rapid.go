package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shardlab/shardlab/model"
	"pgregory.net/rapid"
)

// MachineOptions configure StateMachine and ConcurrentMachine. The zero
// value gives the defaults.
type MachineOptions struct {
	// Servers, Transports and Owners bound the IDs drawn (default 2 each):
	// small, so that operations hit the same entries. Each case draws the
	// IDs' shapes (see IDShape); rapid shrinks them to plain names.
	Servers, Transports, Owners int
	// Steps is the most operations one StateMachine case performs
	// (default 100; each case draws 1..Steps).
	Steps int
	// Invariant, if set, is checked after every step with the model's
	// state, e.g. that a registry's statistics agree with its contents.
	Invariant func(reg model.Registry, st model.State) error
	// Timeout bounds each run and each linearizability check in
	// ConcurrentMachine (default 10 s).
	Timeout time.Duration
	// Clients is the most clients of a ConcurrentMachine case (default
	// GOMAXPROCS+3, at least 5 and at most 11); each case draws from
	// Clients-2 to Clients, so there are more clients than cores.
	Clients int
	// Rounds bounds the free rounds of a ConcurrentMachine case (default
	// 4): each case holds every kind of collision scheduled on purpose (see
	// Workload) once, in a drawn order, each after up to Rounds/2 free
	// rounds in which every client does up to three operations.
	Rounds int
	// Repeats is how many times ConcurrentMachine runs each plan, on a
	// fresh registry each time, before passing it (default 6): a race
	// whose window is a fraction of a microsecond is lost in most runs, and
	// a run of a small plan costs a few milliseconds.
	Repeats int
	// OutDir receives ConcurrentMachine's failing histories and their
	// visualisations (default: a new directory under os.TempDir()); the
	// failure message names the files.
	OutDir string

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
	if o.Clients <= 0 {
		o.Clients = min(max(runtime.GOMAXPROCS(0)+3, 5), 11)
	}
	o.Clients = max(o.Clients, 2)
	if o.Rounds <= 0 {
		o.Rounds = 4
	}
	if o.Repeats <= 0 {
		o.Repeats = 6
	}
	return o
}

// machineGen draws a case's key table (one cluster, shapes from rapid) and
// returns a generator of operations over it whose every choice is a rapid
// draw. One operation in about 16 has an invalid ID or owner.
func machineGen(t *rapid.T, o MachineOptions) *opGen {
	choose := func(n int, label string) int { return rapid.IntRange(0, n-1).Draw(t, label) }
	return &opGen{
		choose:  choose,
		keys:    makeKeys(choose, 1, o.Servers, o.Transports, false, keyLayout{}),
		owners:  o.Owners,
		invalid: 62,
		uniform: true,
	}
}

// StateMachine returns a rapid property: a fresh registry from newRegistry
// and model.State are driven with the same operations, step by step; every
// result must equal the model's (delivery included: each registration gets
// its own handler identity and routes report who received them), and after
// every step the registry's contents must equal the model's (Contents), every
// ID of the case must be found and routed to as the model says, and
// opts.Invariant must hold. A registration the registry rejects with
// ErrOverloaded is accepted and changes nothing, as the model allows.
// Use it as rapid.Check(t, check.StateMachine(...)); a failure shrinks to a
// short sequence and rapid prints how to replay it (-rapid.seed=...).
func StateMachine(newRegistry func() (model.Registry, error), opts MachineOptions) func(*rapid.T) {
	opts = opts.withDefaults()
	return func(t *rapid.T) {
		g := machineGen(t, opts)
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
			if err := lookups(reg, st, g.keys); err != nil {
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
		for i := range steps {
			op := g.random(0)
			if op.Kind.IsRegistration() {
				op.Handler = model.HandlerID(i + 1)
			}
			before := st.String()
			got := model.Invoke(reg, op)
			if got.Code == model.CodeOverloaded && op.Kind.IsRegistration() && !argumentError(op) {
				// Admission control may reject any registration with valid
				// arguments; the invariants check it changed nothing.
				invariants(t)
				continue
			}
			if want := st.Apply(op); got != want {
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

// lookups compares FindServer, FindTransport, the routes and Broadcast
// with the model for every ID of the key table, so entries that should be
// gone are looked up too, and delivery goes to the right registration.
func lookups(reg model.Registry, st model.State, kt keyTable) error {
	var ops []model.Op
	for _, ss := range kt.servers {
		for _, id := range ss {
			ops = append(ops, model.Op{Kind: model.OpFindServer, Server: id},
				model.Op{Kind: model.OpRouteToServer, Server: id}, model.Op{Kind: model.OpBroadcast, Server: id})
		}
	}
	for _, ts := range kt.transports {
		for _, id := range ts {
			ops = append(ops, model.Op{Kind: model.OpFindTransport, Transport: id},
				model.Op{Kind: model.OpRouteToTransport, Transport: id})
		}
	}
	for _, op := range ops {
		if got, want := model.Invoke(reg, op), st.Apply(op); got != want {
			return fmt.Errorf("%s returned %s, model says %s", op, got, want)
		}
	}
	return nil
}

func errorsIsNotBound(err error) bool { return model.CodeOf(err) == model.CodeNotBound }

// ConcurrentMachine returns a rapid property: it draws a plan of rounds
// (more clients than cores; each round either every client doing up to
// three operations or a collision scheduled on purpose between two clients
// released together, see Workload and Rendezvous) over a small key space
// of drawn shapes, runs it opts.Repeats times against fresh registries, and
// checks each recorded history with Check. A violation or an undecided
// check fails the property; the failing history and porcupine's
// visualisation are written under opts.OutDir and the message names them,
// because an interleaving cannot be replayed from a seed. A plan that failed
// once fails again, with the same evidence, when rapid draws it again
// while shrinking, so rapid reports the failure rather than a flaky test.
func ConcurrentMachine(newRegistry func() (model.Registry, error), opts MachineOptions) func(*rapid.T) {
	opts = opts.withDefaults()
	var (
		mu     sync.Mutex
		failed = map[string]string{} // plan -> failure report
		runs   int
	)
	return func(t *rapid.T) {
		g := machineGen(t, opts)
		clients := rapid.IntRange(max(2, opts.Clients-2), opts.Clients).Draw(t, "clients")
		plan := make([][]model.Op, clients)
		rendezvous := func() {
			for c := range plan {
				plan[c] = append(plan[c], Rendezvous)
			}
		}
		// Every kind of collision once per case, in a drawn order, each
		// after up to Rounds/2 free rounds: rapid's draws favour small
		// numbers, so drawing the kind would leave some rare.
		for _, kind := range rapid.Permutation(collisionKinds).Draw(t, "collisions") {
			for range rapid.IntRange(0, opts.Rounds/2).Draw(t, "free rounds") {
				rendezvous()
				for c := range plan {
					for range rapid.IntRange(0, 3).Draw(t, "ops") {
						plan[c] = append(plan[c], g.random(0))
					}
				}
			}
			a := rapid.IntRange(0, clients-1).Draw(t, "first")
			b := (a + 1 + rapid.IntRange(0, clients-2).Draw(t, "second")) % clients
			for _, round := range g.collisionOf(0, kind) {
				rendezvous()
				plan[a] = append(plan[a], round[0]...)
				if len(round) > 1 {
					plan[b] = append(plan[b], round[1]...)
				}
			}
		}
		key := fmt.Sprint(plan)
		mu.Lock()
		report, seen := failed[key]
		mu.Unlock()
		for i := 0; !seen && i < opts.Repeats && report == ""; i++ {
			report = runPlan(newRegistry, plan, opts, &mu, &runs)
		}
		if report != "" {
			mu.Lock()
			failed[key] = report
			mu.Unlock()
			t.Fatalf("%s", report)
		}
	}
}

var collisionKinds = func() []int {
	ks := make([]int, numCollisions)
	for i := range ks {
		ks[i] = i
	}
	return ks
}()

// runPlan runs plan once on a fresh registry and checks it; it returns ""
// when the history is linearizable, else a report naming the saved files.
func runPlan(newRegistry func() (model.Registry, error), plan [][]model.Op, opts MachineOptions, mu *sync.Mutex, runs *int) string {
	reg, err := newRegistry()
	if err != nil {
		return fmt.Sprintf("building the registry: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	h, runErr := Execute(ctx, reg, plan)
	if runErr == nil {
		closeRegistry(reg)
	}
	mu.Lock()
	*runs++
	n := *runs
	mu.Unlock()
	var v Verdict
	if runErr == nil {
		v = Check(h, Options{Timeout: opts.Timeout, HTMLPath: filepath.Join(machineDir(opts), fmt.Sprintf("concurrent-%d.html", n))})
		if v.Outcome == Ok {
			return ""
		}
	}
	path, err := saveHistory(filepath.Join(machineDir(opts), fmt.Sprintf("concurrent-%d.jsonl", n)), h)
	files := "history: " + path
	if err != nil {
		files = fmt.Sprintf("history not saved: %v", err)
	}
	if v.HTMLPath != "" {
		files += "\nvisualisation: " + v.HTMLPath
	}
	if runErr != nil {
		return fmt.Sprintf("%v\n%s\nrecheck with: shardlab check --history %s", runErr, files, path)
	}
	return fmt.Sprintf("%s\n%s\n%s\nrecheck exactly with: shardlab check --history %s", v, v.Description, files, path)
}

var (
	machineDirOnce sync.Once
	machineDirPath string
)

// machineDir is opts.OutDir, or one new name under os.TempDir() per
// process for ConcurrentMachine's artifacts, made only when a failure is
// written there.
func machineDir(opts MachineOptions) string {
	if opts.OutDir != "" {
		return opts.OutDir
	}
	machineDirOnce.Do(func() {
		machineDirPath = filepath.Join(os.TempDir(), fmt.Sprintf("shardlab-concurrent-%s-%d",
			time.Now().Format("20060102-150405"), os.Getpid()))
	})
	return machineDirPath
}
