package modeltest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shardlab/shardlab/model"
)

// SeedEnv names the environment variable that replays one random sequence
// (see the package documentation).
const SeedEnv = "SHARDLAB_SEED"

// Run runs the conformance suite. newRegistry must return a new, empty
// registry each call and register any cleanup it needs (for example
// t.Cleanup(func() { r.Close() })) on the t it is given.
func Run(t *testing.T, newRegistry func(t *testing.T) model.Registry) {
	t.Run("Cases", func(t *testing.T) { runCases(t, newRegistry) })
	t.Run("NilHandler", func(t *testing.T) { testNilHandler(t, newRegistry(t)) })
	t.Run("Routing", func(t *testing.T) { testRouting(t, newRegistry(t)) })
	t.Run("Broadcast", func(t *testing.T) { testBroadcast(t, newRegistry(t)) })
	t.Run("OwnerDown", func(t *testing.T) { testOwnerDown(t, newRegistry(t)) })
	t.Run("StaleOwnerDown", func(t *testing.T) { testStaleOwnerDown(t, newRegistry(t)) })
	t.Run("ListsSorted", func(t *testing.T) { testListsSorted(t, newRegistry(t)) })
	t.Run("Differential", func(t *testing.T) { testDifferential(t, newRegistry) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newRegistry(t)) })
}

// recorder is a Handler that remembers what it received.
type recorder struct {
	mu  sync.Mutex
	got []model.Message
}

func (h *recorder) Handle(msg model.Message) {
	h.mu.Lock()
	h.got = append(h.got, msg)
	h.mu.Unlock()
}

func (h *recorder) messages() []model.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got)
}

func wantCode(t *testing.T, what string, err error, want model.Code) {
	t.Helper()
	if got := model.CodeOf(err); got != want {
		t.Fatalf("%s: error %v (%v), want %v", what, err, got, want)
	}
}

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// testNilHandler places the handler check in the error order: after IDs
// and owner, before every state check, and a nil handler changes nothing.
func testNilHandler(t *testing.T, r model.Registry) {
	mustOK(t, "register s1", r.RegisterServer("s1", 1, model.NopHandler, ""))
	mustOK(t, "register t1", r.RegisterTransport("t1", 1, model.NopHandler, "", ""))
	before := SnapshotOf(r)
	for _, c := range []struct {
		what string
		err  error
		want model.Code
	}{
		{"RegisterServer new", r.RegisterServer("s2", 1, nil, ""), model.CodeNilHandler},
		{"RegisterServer invalid id first", r.RegisterServer("", 1, nil, ""), model.CodeInvalidID},
		{"RegisterServer zero owner first", r.RegisterServer("s2", 0, nil, ""), model.CodeInvalidOwner},
		{"RegisterServer nil before duplicate", r.RegisterServer("s1", 1, nil, ""), model.CodeNilHandler},
		{"RegisterTransport new", r.RegisterTransport("t2", 1, nil, "", ""), model.CodeNilHandler},
		{"RegisterTransport with bind", r.RegisterTransport("t2", 1, nil, "", "s1"), model.CodeNilHandler},
		{"RegisterTransport invalid bind id first", r.RegisterTransport("t2", 1, nil, "", "\x00"), model.CodeInvalidID},
		{"RegisterTransport zero owner first", r.RegisterTransport("t2", 0, nil, "", ""), model.CodeInvalidOwner},
		{"RegisterTransport nil before duplicate", r.RegisterTransport("t1", 1, nil, "", ""), model.CodeNilHandler},
		{"RegisterTransport nil before missing server", r.RegisterTransport("t2", 1, nil, "", "s9"), model.CodeNilHandler},
	} {
		wantCode(t, c.what, c.err, c.want)
	}
	if after := SnapshotOf(r); !after.Equal(before) {
		t.Fatalf("nil-handler registrations changed the registry:\nbefore: %v\nafter:  %v", before, after)
	}
}

// testRouting: each route reaches exactly the named handler, once, with the
// message; a miss reaches nobody; a handler may call back into the registry.
func testRouting(t *testing.T, r model.Registry) {
	s1, s2, t1, t2 := &recorder{}, &recorder{}, &recorder{}, &recorder{}
	mustOK(t, "register s1", r.RegisterServer("s1", 1, s1, ""))
	mustOK(t, "register s2", r.RegisterServer("s2", 1, s2, ""))
	mustOK(t, "register t1", r.RegisterTransport("t1", 2, t1, "", "s1"))
	mustOK(t, "register t2", r.RegisterTransport("t2", 2, t2, "", ""))

	mustOK(t, "route s1", r.RouteToServer("s1", "to-s1"))
	mustOK(t, "route t2", r.RouteToTransport("t2", "to-t2"))
	wantCode(t, "route to missing server", r.RouteToServer("s9", "lost"), model.CodeServerNotFound)
	wantCode(t, "route to missing transport", r.RouteToTransport("t9", "lost"), model.CodeTransportNotFound)
	wantCode(t, "route to a transport's ID as a server", r.RouteToServer("t1", "lost"), model.CodeServerNotFound)
	wantCode(t, "route to invalid ID", r.RouteToServer("", "lost"), model.CodeInvalidID)

	want := map[string][]model.Message{"s1": {"to-s1"}, "s2": nil, "t1": nil, "t2": {"to-t2"}}
	got := map[string][]model.Message{"s1": s1.messages(), "s2": s2.messages(), "t1": t1.messages(), "t2": t2.messages()}
	for id := range want {
		if !slices.Equal(got[id], want[id]) {
			t.Fatalf("handler %s received %v, want %v", id, got[id], want[id])
		}
	}

	// Routing to an unregistered server reaches nobody.
	mustOK(t, "unregister s1", r.UnregisterServer("s1"))
	wantCode(t, "route to unregistered s1", r.RouteToServer("s1", "late"), model.CodeServerNotFound)
	if n := len(s1.messages()); n != 1 {
		t.Fatalf("s1 received %d messages after unregistering, want 1 (from before)", n)
	}

	// A handler that calls the registry must not deadlock it.
	var inner error
	reentrant := model.HandlerFunc(func(model.Message) { _, inner = r.FindServer("s2") })
	mustOK(t, "register reentrant", r.RegisterServer("re", 3, reentrant, ""))
	mustOK(t, "route reentrant", r.RouteToServer("re", nil))
	mustOK(t, "FindServer from inside a handler", inner)
}

// testBroadcast: every bound transport gets the message once; unbound ones,
// other servers' transports and the server itself get nothing.
func testBroadcast(t *testing.T, r model.Registry) {
	srv := &recorder{}
	ts := map[string]*recorder{}
	mustOK(t, "register s1", r.RegisterServer("s1", 1, srv, ""))
	mustOK(t, "register s2", r.RegisterServer("s2", 1, model.NopHandler, ""))
	for _, c := range []struct{ id, bindTo string }{{"t1", "s1"}, {"t2", "s1"}, {"t3", "s2"}, {"t4", ""}, {"t5", "s2"}} {
		ts[c.id] = &recorder{}
		mustOK(t, "register "+c.id, r.RegisterTransport(c.id, 2, ts[c.id], "", c.bindTo))
	}
	mustOK(t, "move t5 to s1", r.BindTransportToServer("t5", "s1"))
	n, err := r.Broadcast("s1", "hello")
	mustOK(t, "broadcast", err)
	if n != 3 {
		t.Fatalf("Broadcast(s1) = %d, want 3", n)
	}
	for id, want := range map[string]int{"t1": 1, "t2": 1, "t3": 0, "t4": 0, "t5": 1} {
		got := ts[id].messages()
		if len(got) != want || (want == 1 && got[0] != "hello") {
			t.Fatalf("%s received %v, want %d x hello", id, got, want)
		}
	}
	if got := srv.messages(); len(got) != 0 {
		t.Fatalf("the server itself received %v", got)
	}
	if _, err := r.Broadcast("s9", "x"); model.CodeOf(err) != model.CodeServerNotFound {
		t.Fatalf("Broadcast(missing) error %v, want server not found", err)
	}
}

// testOwnerDown over many entries: the count, the survivors, and bindings
// from survivors to the dead owner's servers.
func testOwnerDown(t *testing.T, r model.Registry) {
	state := model.NewState()
	do := func(op model.Op) {
		t.Helper()
		if got, want := model.Invoke(r, op), state.Apply(op); got != want {
			t.Fatalf("%v = %v, want %v", op, got, want)
		}
	}
	for i := range 30 {
		owner := model.Owner(i%3 + 1)
		do(regServer("s"+strconv.Itoa(i), owner, ""))
	}
	for i := range 60 {
		do(regTransport("t"+strconv.Itoa(i), model.Owner(i%4+1), "", "s"+strconv.Itoa((i*7)%30)))
	}
	do(ownerDown(2)) // 10 servers and 15 transports
	if got := model.Invoke(r, ownerDown(2)); got != count(0) {
		t.Fatalf("second OwnerDown(2) = %v, want count 0", got)
	}
	if got, want := SnapshotOf(r), SnapshotOfState(state); !got.Equal(want) {
		t.Fatalf("after OwnerDown(2):\ngot:  %v\nwant: %v", got, want)
	}
	res := model.Invoke(r, ownerDown(4))
	if res != count(15) {
		t.Fatalf("OwnerDown(4) = %v, want count 15", res)
	}
}

// testStaleOwnerDown is erlmcp's race, sequentially: owner 1's server is
// replaced by owner 2's; owner 1's late death notice must spare it.
func testStaleOwnerDown(t *testing.T, r model.Registry) {
	h1, h2 := &recorder{}, &recorder{}
	mustOK(t, "register s1 by owner 1", r.RegisterServer("s1", 1, h1, "old"))
	mustOK(t, "register t1 by owner 1", r.RegisterTransport("t1", 1, model.NopHandler, "", "s1"))
	mustOK(t, "unregister s1", r.UnregisterServer("s1"))
	mustOK(t, "unregister t1", r.UnregisterTransport("t1"))
	mustOK(t, "register s1 by owner 2", r.RegisterServer("s1", 2, h2, "new"))
	mustOK(t, "register t1 by owner 2", r.RegisterTransport("t1", 2, model.NopHandler, "", "s1"))
	n, err := r.OwnerDown(1)
	mustOK(t, "stale OwnerDown(1)", err)
	if n != 0 {
		t.Fatalf("stale OwnerDown(1) removed %d entries, want 0", n)
	}
	e, err := r.FindServer("s1")
	mustOK(t, "FindServer(s1)", err)
	if e.Owner != 2 || e.Config != "new" {
		t.Fatalf("FindServer(s1) = %+v, want owner 2, config new", e)
	}
	if sid, err := r.ServerForTransport("t1"); err != nil || sid != "s1" {
		t.Fatalf("ServerForTransport(t1) = %q, %v; want s1", sid, err)
	}
	mustOK(t, "route s1", r.RouteToServer("s1", "m"))
	if len(h1.messages()) != 0 || len(h2.messages()) != 1 {
		t.Fatalf("old handler got %v, new handler got %v; want only the new one", h1.messages(), h2.messages())
	}
}

// testListsSorted registers IDs in a scrambled order (seeded) and expects
// them back sorted byte-wise, with the right entries.
func testListsSorted(t *testing.T, r model.Registry) {
	seed := uint64(1)
	rng := rand.New(rand.NewPCG(seed, 0))
	idList := make([]string, 200)
	for i := range idList {
		idList[i] = fmt.Sprintf("id-%d-%c", rng.IntN(1_000_000), 'A'+rng.IntN(58))
	}
	slices.Sort(idList)
	idList = slices.Compact(idList)
	order := rng.Perm(len(idList))
	for _, i := range order {
		mustOK(t, "register server", r.RegisterServer(idList[i], model.Owner(i%5+1), model.NopHandler, model.Config(idList[i])))
		mustOK(t, "register transport", r.RegisterTransport(idList[i], model.Owner(i%5+1), model.NopHandler, "", ""))
	}
	for _, list := range [][]model.Entry{r.ListServers(), r.ListTransports()} {
		got := make([]string, len(list))
		for i, e := range list {
			got[i] = e.ID
		}
		if !slices.Equal(got, idList) {
			t.Fatalf("list = %v\nwant %v (seed %d)", got, idList, seed)
		}
	}
	for _, e := range r.ListServers() {
		if e.Config != model.Config(e.ID) {
			t.Fatalf("listed %+v, want config %q", e, e.ID)
		}
	}
}

// seedFromEnv returns the seed in SeedEnv, if set.
func seedFromEnv(t *testing.T) (uint64, bool) {
	s := os.Getenv(SeedEnv)
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: want an unsigned integer", SeedEnv, s)
	}
	return v, true
}

// The differential key space is small so that sequences collide: the same
// IDs re-registered, bound, unbound and killed many times over.
var (
	diffServers    = []string{"s0", "s1", "s2", "s3"}
	diffTransports = []string{"t0", "t1", "t2", "t3", "s0"}
)

// randomOp draws one op over the differential key space. Invalid IDs and
// the zero owner appear rarely, so most ops reach the state checks.
func randomOp(rng *rand.Rand) model.Op {
	pick := func(ids []string) string {
		if rng.IntN(50) == 0 {
			return []string{"", "bad\x00id"}[rng.IntN(2)]
		}
		return ids[rng.IntN(len(ids))]
	}
	owner := model.Owner(rng.IntN(3) + 1)
	if rng.IntN(50) == 0 {
		owner = 0
	}
	kinds := model.OpKinds()
	op := model.Op{Kind: kinds[rng.IntN(len(kinds))], Owner: owner, Config: model.Config("c" + strconv.Itoa(rng.IntN(3)))}
	op.Server = pick(diffServers)
	op.Transport = pick(diffTransports)
	if op.Kind == model.OpRegisterTransport && rng.IntN(2) == 0 {
		op.Server = ""
	}
	return normalize(op)
}

// normalize zeroes the fields op.Kind ignores, so failure messages show
// only what the call used.
func normalize(op model.Op) model.Op {
	n := model.Op{Kind: op.Kind}
	switch op.Kind {
	case model.OpRegisterServer:
		n.Server, n.Owner, n.Config = op.Server, op.Owner, op.Config
	case model.OpRegisterTransport:
		n.Transport, n.Owner, n.Config, n.Server = op.Transport, op.Owner, op.Config, op.Server
	case model.OpUnregisterServer, model.OpFindServer, model.OpRouteToServer, model.OpBroadcast:
		n.Server = op.Server
	case model.OpUnregisterTransport, model.OpFindTransport, model.OpUnbind, model.OpServerForTransport, model.OpRouteToTransport:
		n.Transport = op.Transport
	case model.OpBind:
		n.Transport, n.Server = op.Transport, op.Server
	case model.OpOwnerDown:
		n.Owner = op.Owner
	}
	return n
}

// testDifferential runs seeded random sequences against model.State and
// compares every result and, after every op, the whole contents.
func testDifferential(t *testing.T, newRegistry func(t *testing.T) model.Registry) {
	sequences, length := 400, 200
	if testing.Short() {
		sequences, length = 60, 150
	}
	seeds := make([]uint64, 0, sequences)
	if s, ok := seedFromEnv(t); ok {
		seeds = append(seeds, s)
	} else {
		for i := range sequences {
			seeds = append(seeds, uint64(i+1))
		}
	}
	for _, seed := range seeds {
		if !runSequence(t, newRegistry(t), seed, length) {
			return
		}
	}
}

func runSequence(t *testing.T, r model.Registry, seed uint64, length int) bool {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	state := model.NewState()
	history := make([]string, 0, length)
	fail := func(format string, args ...any) bool {
		t.Errorf("seed %d (replay: %s=%d), step %d: %s\nops so far:\n  %s",
			seed, SeedEnv, seed, len(history)-1, fmt.Sprintf(format, args...), strings.Join(history, "\n  "))
		return false
	}
	for range length {
		op := randomOp(rng)
		got := model.Invoke(r, op)
		want := state.Apply(op)
		history = append(history, fmt.Sprintf("%v = %v", op, got))
		if got != want {
			return fail("%v = %v, model says %v", op, got, want)
		}
		if err := state.CheckInvariants(); err != nil {
			return fail("model invariant broken: %v", err)
		}
		if snap, wantSnap := SnapshotOf(r), SnapshotOfState(state); !snap.Equal(wantSnap) {
			return fail("contents differ:\n got:  %v\n want: %v", snap, wantSnap)
		}
	}
	return true
}

// testConcurrent hammers every operation from several goroutines, for the
// race detector, then checks invariants at quiescence.
func testConcurrent(t *testing.T, r model.Registry) {
	seed, ok := seedFromEnv(t)
	if !ok {
		seed = 1
	}
	goroutines, opsEach := 4, 50_000
	if testing.Short() {
		opsEach = 5_000
	}
	const owners = 4
	serverIDs := make([]string, 8)
	transportIDs := make([]string, 8)
	for i := range serverIDs {
		serverIDs[i] = "s" + strconv.Itoa(i)
		transportIDs[i] = "t" + strconv.Itoa(i)
	}
	var (
		wg       sync.WaitGroup
		problems = make(chan string, goroutines)
	)
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			for range opsEach {
				kinds := model.OpKinds()
				op := normalize(model.Op{
					Kind:      kinds[rng.IntN(len(kinds))],
					Server:    serverIDs[rng.IntN(len(serverIDs))],
					Transport: transportIDs[rng.IntN(len(transportIDs))],
					Owner:     model.Owner(rng.IntN(owners) + 1),
				})
				if op.Kind == model.OpRegisterTransport && rng.IntN(2) == 0 {
					op.Server = ""
				}
				switch op.Kind {
				case model.OpListServers, model.OpListTransports:
					var list []model.Entry
					if op.Kind == model.OpListServers {
						list = r.ListServers()
					} else {
						list = r.ListTransports()
					}
					if msg := checkSortedUnique(list); msg != "" {
						problems <- fmt.Sprintf("goroutine %d: %v: %s", g, op, msg)
						return
					}
				case model.OpServerForTransport:
					sid, err := r.ServerForTransport(op.Transport)
					if err == nil && !slices.Contains(serverIDs, sid) {
						problems <- fmt.Sprintf("goroutine %d: %v named %q, never a server ID", g, op, sid)
						return
					}
					if err != nil && !errors.Is(err, model.ErrTransportNotFound) && !errors.Is(err, model.ErrNotBound) {
						problems <- fmt.Sprintf("goroutine %d: %v: unexpected error %v", g, op, err)
						return
					}
				default:
					// Admission control may reject a registration under this
					// load, but never anything else.
					res := model.Invoke(r, op)
					if res.Code == model.CodeOther || res.Code == model.CodeInvalidID || res.Code == model.CodeInvalidOwner ||
						(res.Code == model.CodeOverloaded && !op.Kind.IsRegistration()) {
						problems <- fmt.Sprintf("goroutine %d: %v = %v", g, op, res)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(problems)
	for p := range problems {
		t.Errorf("seed %d: %s", seed, p)
	}
	if t.Failed() {
		return
	}
	checkQuiescent(t, r, seed, owners)
}

func checkSortedUnique(list []model.Entry) string {
	for i := 1; i < len(list); i++ {
		if list[i-1].ID >= list[i].ID {
			return fmt.Sprintf("not sorted and unique at %d: %q then %q", i, list[i-1].ID, list[i].ID)
		}
	}
	return ""
}

// checkQuiescent: with no writer running, everything the registry says
// must agree with everything else it says.
func checkQuiescent(t *testing.T, r model.Registry, seed uint64, owners int) {
	snap := SnapshotOf(r)
	for _, list := range [][]model.Entry{snap.Servers, snap.Transports} {
		if msg := checkSortedUnique(list); msg != "" {
			t.Fatalf("seed %d: after the run: %s", seed, msg)
		}
	}
	registered := map[string]bool{}
	for _, e := range snap.Servers {
		registered[e.ID] = true
		if got, err := r.FindServer(e.ID); err != nil || got != e {
			t.Fatalf("seed %d: listed server %+v but FindServer = %+v, %v", seed, e, got, err)
		}
	}
	boundCount := map[string]int{}
	for tid, sid := range snap.Bindings {
		if !registered[sid] {
			t.Fatalf("seed %d: ServerForTransport(%s) = %s, which is not registered; contents %v", seed, tid, sid, snap)
		}
		boundCount[sid]++
	}
	for _, e := range snap.Transports {
		if got, err := r.FindTransport(e.ID); err != nil || got != e {
			t.Fatalf("seed %d: listed transport %+v but FindTransport = %+v, %v", seed, e, got, err)
		}
	}
	for sid := range registered {
		n, err := r.Broadcast(sid, nil)
		if err != nil || n != boundCount[sid] {
			t.Fatalf("seed %d: Broadcast(%s) = %d, %v; ServerForTransport names it %d times", seed, sid, n, err, boundCount[sid])
		}
	}
	total := 0
	for o := 1; o <= owners; o++ {
		n, err := r.OwnerDown(model.Owner(o))
		mustOK(t, "OwnerDown", err)
		total += n
	}
	if want := len(snap.Servers) + len(snap.Transports); total != want {
		t.Fatalf("seed %d: OwnerDown of every owner removed %d entries, the lists held %d", seed, total, want)
	}
	if s, tr := r.ListServers(), r.ListTransports(); len(s)+len(tr) != 0 {
		t.Fatalf("seed %d: after every owner went down, left: servers %v, transports %v", seed, s, tr)
	}
}
