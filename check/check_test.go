package check

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/model"
	"pgregory.net/rapid"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized campaigns (0: derive one from the clock and print it)")

// testSeed returns the seed for this run and logs it so a failure can be
// replayed with -seed.
func testSeed(t testing.TB) uint64 {
	s := *seedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with: go test ./check -run '%s' -seed %d", t.Name(), s)
		}
	})
	return s
}

// b builds a completed operation for hand-written histories.
func b(id, client int, call, ret int64, op model.Op, res model.Result) Operation {
	return Operation{ID: id, Client: client, Call: call, Return: ret, Op: op, Result: res}
}

var (
	regS1   = model.Op{Kind: model.OpRegisterServer, Server: "s1", Owner: 1, Config: "a"}
	regS2   = model.Op{Kind: model.OpRegisterServer, Server: "s2", Owner: 2}
	findS1  = model.Op{Kind: model.OpFindServer, Server: "s1"}
	unregS1 = model.Op{Kind: model.OpUnregisterServer, Server: "s1"}
	listS   = model.Op{Kind: model.OpListServers}
	ok      = model.Result{}
	found1  = model.Result{Owner: 1, Config: "a"}
	missing = model.Result{Code: model.CodeServerNotFound}
	overld  = model.Result{Code: model.CodeOverloaded}
)

func TestCheckHandWrittenHistories(t *testing.T) {
	type checkCase struct {
		name  string
		h     History
		opts  Options
		want  Outcome
		about string // a substring the description must hold on a violation
	}
	cases := []checkCase{
		{"sequential ok", History{b(0, 0, 1, 2, regS1, ok), b(1, 0, 3, 4, findS1, found1)}, Options{}, Ok, ""},
		{"stale read after register returned", History{b(0, 0, 1, 2, regS1, ok), b(1, 1, 3, 4, findS1, missing)}, Options{}, Violation, `find_server("s1")`},
		{"read concurrent with register may miss", History{b(0, 0, 1, 4, regS1, ok), b(1, 1, 2, 3, findS1, missing)}, Options{}, Ok, ""},
		{"read concurrent with register may see it", History{b(0, 0, 1, 4, regS1, ok), b(1, 1, 2, 3, findS1, found1)}, Options{}, Ok, ""},
		{"pending register may take effect", History{{ID: 0, Client: 0, Call: 1, Op: regS1, Pending: true}, b(1, 1, 2, 3, findS1, found1)}, Options{}, Ok, ""},
		{"pending register may not take effect", History{{ID: 0, Client: 0, Call: 1, Op: regS1, Pending: true}, b(1, 1, 2, 3, findS1, missing)}, Options{}, Ok, ""},
		{"pending register cannot act before its call", History{b(1, 1, 1, 2, findS1, found1), {ID: 0, Client: 0, Call: 3, Op: regS1, Pending: true}}, Options{}, Violation, "s1"},
		{"overloaded registration has no effect", History{b(0, 0, 1, 2, regS1, overld), b(1, 0, 3, 4, findS1, missing)}, Options{}, Ok, ""},
		{"overloaded registration that took effect", History{b(0, 0, 1, 2, regS1, overld), b(1, 0, 3, 4, findS1, found1)}, Options{}, Violation, "overloaded"},
		{"overloaded read is a violation", History{b(0, 0, 1, 2, regS1, ok), b(1, 0, 3, 4, findS1, overld)}, Options{}, Violation, "overloaded"},
		{"unsorted list", History{b(0, 0, 1, 2, listS, model.Result{IDs: "s2\ns1"})}, Options{}, Violation, "not sorted"},
		{"list names a server never registered", History{b(0, 0, 1, 2, listS, model.Result{IDs: "ghost"})}, Options{}, Violation, "ghost"},
		{"invalid argument with the wrong result", History{b(0, 0, 1, 2, model.Op{Kind: model.OpFindServer}, missing)}, Options{}, Violation, "invalid arguments"},
		{"undecided is reported, not passed", History{b(0, 0, 1, 2, regS1, ok)}, Options{Timeout: time.Nanosecond}, Undecided, ""},
	}
	// A list that sees s2 but not s1, although s1 was registered before s2
	// began: each projection alone is fine (the list can sit before s1 in
	// s1's partition and after s2 in s2's), only the whole history fails.
	crossKey := History{
		b(0, 0, 1, 2, regS1, ok),
		b(1, 1, 3, 4, regS2, ok),
		b(2, 2, 1, 5, listS, model.Result{IDs: "s2"}),
	}
	cases = append(cases,
		checkCase{"list not atomic across partitions, whole check", crossKey, Options{}, Violation, "list_servers"},
		checkCase{"list not atomic across partitions, projection only", crossKey, Options{WholeHistoryLimit: -1}, Ok, ""},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Check(c.h, c.opts)
			if v.Outcome != c.want {
				t.Fatalf("outcome %s, want %s\n%s", v.Outcome, c.want, v.Description)
			}
			if c.want == Violation && !strings.Contains(v.Description, c.about) {
				t.Errorf("description does not mention %q:\n%s", c.about, v.Description)
			}
		})
	}
}

func TestPartitionHistoryGroupsConnectedKeys(t *testing.T) {
	h := History{
		b(0, 0, 1, 2, regS1, ok),
		b(1, 0, 3, 4, model.Op{Kind: model.OpRegisterTransport, Transport: "t1", Owner: 3}, ok),
		b(2, 0, 5, 6, model.Op{Kind: model.OpBind, Transport: "t1", Server: "s1"}, ok),
		b(3, 0, 7, 8, regS2, ok),
		// A failed registration does not join its owner's group.
		b(4, 0, 9, 10, model.Op{Kind: model.OpRegisterServer, Server: "s2", Owner: 1}, model.Result{Code: model.CodeAlreadyRegistered}),
		b(5, 0, 11, 12, model.Op{Kind: model.OpOwnerDown, Owner: 2}, model.Result{Count: 1}),
		b(6, 0, 13, 14, model.Op{Kind: model.OpFindServer, Server: "s3"}, missing),
		b(7, 0, 15, 16, listS, model.Result{IDs: "s1"}),
	}
	pd, err := partitionHistory(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pd.parts {
		var keys []string
		for _, n := range p.nodes {
			keys = append(keys, n.String())
		}
		got = append(got, fmt.Sprintf("%d ops: %s", len(p.ops), strings.Join(keys, ", ")))
	}
	want := []string{
		`4 ops: server "s1", owner 1, transport "t1", owner 3`, // 3 ops and the projected list
		`4 ops: server "s2", owner 2`,                          // 3 ops and the projected list
		`1 ops: server "s3"`,                                   // no registration: an empty projection cannot fail
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("partitions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if v := Check(h, Options{}); v.Outcome != Ok {
		t.Fatalf("%s\n%s", v, v.Description)
	}
}

func TestRecorderRecordsOrderAndPending(t *testing.T) {
	rec := NewRecorder(model.NewReference())
	c0, c1 := rec.Client(0), rec.Client(1)
	if err := c0.RegisterServer("s1", 1, model.NopHandler, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := c1.FindServer("s1"); err != nil {
		t.Fatal(err)
	}
	h := rec.History()
	if len(h) != 2 || h[0].Client != 0 || h[1].Client != 1 {
		t.Fatalf("history %v", h)
	}
	if !(h[0].Call < h[0].Return && h[0].Return < h[1].Call && h[1].Call < h[1].Return) {
		t.Fatalf("timestamps not ordered: %v", h)
	}
	if h[1].Result != found1 {
		t.Fatalf("recorded result %s, want %s", h[1].Result, found1)
	}
	// A panicking registry leaves the operation pending.
	prec := NewRecorder(panicky{model.NewReference()})
	func() {
		defer func() { _ = recover() }()
		prec.Client(0).Do(findS1)
	}()
	ph := prec.History()
	if len(ph) != 1 || !ph[0].Pending {
		t.Fatalf("want one pending operation, got %v", ph)
	}
	if v := Check(ph, Options{}); v.Outcome != Ok {
		t.Fatalf("a pending read must check: %s", v.Description)
	}
}

type panicky struct{ *model.Reference }

func (panicky) FindServer(string) (model.Entry, error) { panic("boom") }

func TestHistoryFileRoundTrip(t *testing.T) {
	seed := testSeed(t)
	plan, err := Workload{Clients: 4, OpsPerClient: 50, Keys: 16, Invalid: 0.1}.Plan(rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	h, err := Execute(context.Background(), model.NewReference(), plan)
	if err != nil {
		t.Fatal(err)
	}
	h = append(h, Operation{ID: len(h), Client: 9, Call: h[len(h)-1].Return + 1, Op: regS1, Pending: true})
	var buf strings.Builder
	if err := WriteHistory(&buf, h); err != nil {
		t.Fatal(err)
	}
	back, err := ReadHistory(strings.NewReader(buf.String()), "roundtrip")
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(h) {
		t.Fatalf("read %d ops, wrote %d", len(back), len(h))
	}
	for i := range h {
		if back[i] != h[i] {
			t.Fatalf("op %d: read %v, wrote %v", i, back[i], h[i])
		}
	}
}

func TestReadHistoryRejectsMalformedInput(t *testing.T) {
	good := `{"id":1,"client":0,"op":"find_server","args":{"server":"s1"},"call":1,"return":2,"result":{"code":"server_not_found"}}`
	cases := []struct{ name, line, reason string }{
		{"bad JSON", `{"id":2,`, "bad JSON"},
		{"unknown op", `{"id":2,"client":0,"op":"frobnicate","call":3,"return":4,"result":{"code":"ok"}}`, `unknown operation "frobnicate"`},
		{"return before call", `{"id":2,"client":0,"op":"list_servers","call":5,"return":4,"result":{"code":"ok"}}`, "return 4 before call 5"},
		{"duplicate id", `{"id":1,"client":0,"op":"list_servers","call":3,"return":4,"result":{"code":"ok"}}`, "duplicate id 1 (first on line 1)"},
		{"missing call", `{"id":2,"client":0,"op":"list_servers","return":4,"result":{"code":"ok"}}`, "missing field call"},
		{"missing argument", `{"id":2,"client":0,"op":"bind","args":{"transport":"t1"},"call":3,"return":4,"result":{"code":"ok"}}`, "missing field args.server"},
		{"argument the op does not take", `{"id":2,"client":0,"op":"find_server","args":{"server":"s1","owner":3},"call":3,"return":4,"result":{"code":"ok"}}`, "unexpected field args.owner"},
		{"missing result", `{"id":2,"client":0,"op":"list_servers","call":3,"return":4}`, "missing field result"},
		{"missing result code", `{"id":2,"client":0,"op":"list_servers","call":3,"return":4,"result":{}}`, "missing field result.code"},
		{"unknown code", `{"id":2,"client":0,"op":"list_servers","call":3,"return":4,"result":{"code":"meh"}}`, `unknown result code "meh"`},
		{"pending with a result", `{"id":2,"client":0,"op":"list_servers","call":3,"result":{"code":"ok"}}`, "must not have a \"result\""},
		{"unknown field", `{"id":2,"client":0,"op":"list_servers","call":3,"return":4,"result":{"code":"ok"},"extra":1}`, `unknown field "extra"`},
		{"negative client", `{"id":2,"client":-1,"op":"list_servers","call":3,"return":4,"result":{"code":"ok"}}`, "negative client"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadHistory(strings.NewReader(good+"\n\n"+c.line+"\n"), "h.jsonl")
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error does not wrap ErrMalformed: %v", err)
			}
			if !strings.Contains(err.Error(), "h.jsonl:3: ") || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("error %q does not say h.jsonl:3 and %q", err, c.reason)
			}
		})
	}
}

func TestReadHistoryRejectsEmptyFile(t *testing.T) {
	for _, in := range []string{"", "\n\n"} {
		_, err := ReadHistory(strings.NewReader(in), "h.jsonl")
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "no operations") {
			t.Errorf("history %q: error %v, want ErrMalformed saying no operations", in, err)
		}
	}
}

func referenceFactory() (model.Registry, error) { return model.NewReference(), nil }

func toyFactory(bg bugs) func() (model.Registry, error) {
	return func() (model.Registry, error) { return newToy(bg), nil }
}

// shortCampaign is the default budget the broken registries must not slip
// through.
func shortCampaign(t *testing.T, name string, f func() (model.Registry, error), seed uint64) Campaign {
	c := Campaign{Name: name, NewRegistry: f, Seed: seed, Histories: 40, Long: 1, LongOps: 500, Timeout: 20 * time.Second}
	if testing.Short() {
		c.Histories, c.LongOps = 20, 250
	}
	return c
}

func TestCampaignPassesCorrectRegistries(t *testing.T) {
	seed := testSeed(t)
	for _, c := range []struct {
		name string
		f    func() (model.Registry, error)
	}{
		{"reference", referenceFactory},
		{"toy", toyFactory(bugs{})},
		{"toy-rejecting-registrations", toyFactory(bugs{rejectRegistrations: true})},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := shortCampaign(t, c.name, c.f, seed).Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != Ok {
				t.Fatalf("%s: %s\n%s", res.Outcome, res.Failure.Verdict, res.Failure.Verdict.Description)
			}
			t.Logf("%d histories, %d ops, %.0f histories/s checked", res.Histories, res.Ops, res.HistoriesPerSecond())
		})
	}
}

func TestRapidStateMachineOnCorrectRegistries(t *testing.T) {
	t.Run("reference", rapid.MakeCheck(StateMachine(referenceFactory, MachineOptions{})))
	t.Run("toy", rapid.MakeCheck(StateMachine(toyFactory(bugs{}), MachineOptions{})))
}

func TestRapidConcurrentOnCorrectRegistries(t *testing.T) {
	t.Run("reference", rapid.MakeCheck(ConcurrentMachine(referenceFactory, MachineOptions{})))
	t.Run("toy-rejecting-registrations", rapid.MakeCheck(ConcurrentMachine(toyFactory(bugs{rejectRegistrations: true}), MachineOptions{})))
}

func TestViolationArtifactsReplay(t *testing.T) {
	seed := testSeed(t)
	dir := t.TempDir()
	// A name with a slash, as check/impltest uses: artifacts must still
	// land in OutDir itself.
	c := shortCampaign(t, "toy/stale-cache", toyFactory(bugs{staleReadCache: true}), seed)
	c.OutDir = dir
	res, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Violation {
		t.Fatalf("outcome %s, want violation", res.Outcome)
	}
	v := res.Failure.Verdict
	if v.HTMLPath == "" || filepath.Dir(v.HTMLPath) != dir {
		t.Fatalf("visualisation not written under %s: %q", dir, v.HTMLPath)
	}
	if html, err := os.ReadFile(v.HTMLPath); err != nil || !strings.Contains(string(html), "find_server") {
		t.Fatalf("visualisation unreadable or empty: %v", err)
	}
	if filepath.Dir(res.Failure.HistoryPath) != dir {
		t.Fatalf("history not saved in %s: %q", dir, res.Failure.HistoryPath)
	}
	f, err := os.Open(res.Failure.HistoryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := ReadHistory(f, res.Failure.HistoryPath)
	if err != nil {
		t.Fatal(err)
	}
	if again := Check(h, Options{}); again.Outcome != Violation {
		t.Fatalf("the saved history rechecks as %s", again.Outcome)
	}
}
