package check

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/model"
)

// listOfAll is n registrations (one owner each, so n partitions) from 8
// clients, then one list_servers naming all n.
func listOfAll(n int) History {
	h := make(History, 0, n+1)
	for i := range n {
		op := model.Op{Kind: model.OpRegisterServer, Server: fmt.Sprintf("s%07d", i), Owner: model.Owner(i + 1)}
		h = append(h, b(i, i%8, int64(2*i+1), int64(2*i+2), op, ok))
	}
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("s%07d", i)
	}
	return append(h, b(n, 0, int64(2*n+1), int64(2*n+2), listS, model.Result{IDs: strings.Join(ids, "\n")}))
}

// Issue 11: partitioning scanned every partition for every listed ID, so
// 30k IDs and one list took minutes before any budget applied (10k: 11 s,
// 20k: 68 s). Projection through an index is linear; the budget here is
// ten times what the check needs on a loaded machine under -race.
func TestListOfManyIDsIsLinear(t *testing.T) {
	n := 30000
	h := listOfAll(n)
	v := Check(h, Options{Timeout: time.Minute})
	if v.Outcome != Ok {
		t.Fatalf("%s\n%s", v, v.Description)
	}
	if v.Partitions != n || v.Decided.Count != n || v.Decided.Total != 2*n {
		t.Fatalf("want %d partitions of 2 ops (registration and its projected list), got %s; decided %s", n, v, v.Decided)
	}
	// The list's projection keeps the right ID in each partition.
	h[n].Result.IDs = strings.Replace(h[n].Result.IDs, "s0012345\n", "", 1)
	if v := Check(h, Options{Timeout: time.Minute}); v.Outcome != Violation || !strings.Contains(v.Description, "s0012345") {
		t.Fatalf("a list missing s0012345 after it was registered: %s\n%s", v, v.Description)
	}
}

// Many lists over many keys: every list still reaches every partition
// (2,000 IDs with 200 lists ran 60 s against a 5 s budget).
func TestManyListsOverManyKeys(t *testing.T) {
	h := listOfAll(2000)
	last := h[len(h)-1]
	for i := range 200 {
		l := last
		l.ID, l.Call, l.Return = len(h), last.Call+int64(2*i+2), last.Call+int64(2*i+3)
		h = append(h, l)
	}
	v := Check(h, Options{Timeout: time.Minute})
	if v.Outcome != Ok {
		t.Fatalf("%s\n%s", v, v.Description)
	}
	// Every list reads the final state of each partition: one copy each
	// suffices, repeats are left out.
	if v.Decided.Total != 2*2000 {
		t.Fatalf("decided %s, want 2000 partitions of 2 ops", v.Decided)
	}
}

// An empty projection is kept where it can fail: a list that saw nothing
// although s1 had been registered before it was called.
func TestEmptyProjectionStillCatches(t *testing.T) {
	h := History{
		b(0, 0, 1, 2, regS1, ok),
		b(1, 1, 3, 4, regS2, ok),
		b(2, 1, 5, 6, listS, model.Result{IDs: "s2"}),
	}
	if v := Check(h, Options{WholeHistoryLimit: -1}); v.Outcome != Violation {
		t.Fatalf("%s", v)
	}
	// ... and left out where it cannot: s1 registered after the list.
	h = History{
		b(0, 1, 1, 2, regS2, ok),
		b(1, 1, 3, 4, listS, model.Result{IDs: "s2"}),
		b(2, 0, 5, 6, regS1, ok),
	}
	v := Check(h, Options{WholeHistoryLimit: -1})
	if v.Outcome != Ok || v.Decided.Total != 3 {
		t.Fatalf("%s; decided %s (want the list only in s2's partition)", v, v.Decided)
	}
}

// hardHistory is a partition porcupine cannot finish quickly: many pending
// registrations and unregistrations of one server and reads that
// contradict every order, all concurrent.
func hardHistory(n int) History {
	var h History
	for i := range n {
		op := regS1
		if i%2 == 1 {
			op = unregS1
		}
		h = append(h, Operation{ID: i, Client: i, Call: int64(i + 1), Op: op, Pending: true})
	}
	for i := range n {
		h = append(h, b(n+i, n+i, int64(n+1+i), int64(10*n+i), findS1, model.Result{Code: model.CodeOverloaded}))
	}
	return h
}

// Issue 11: 10^6 pending operations on one key grew to 4.8 GB. The memory
// budget stops the check Undecided, saying why.
func TestMemoryBudgetStopsTheCheck(t *testing.T) {
	h := hardHistory(40000) // porcupine's cache keeps a 5 KB bitset per step
	v := Check(h, Options{Timeout: 5 * time.Minute, MaxMemory: 64 << 20})
	if v.Outcome != Undecided || !errors.Is(v.Err, ErrMemory) {
		t.Fatalf("want undecided by memory, got %s (err %v)", v, v.Err)
	}
	if strings.Contains(v.Description, "\n") {
		t.Fatalf("undecided description is not one line: %q", v.Description)
	}
}

// Issue 11: the check ignored its context. It stops at once when the
// context ends, Undecided with ErrInterrupted.
func TestContextStopsTheCheck(t *testing.T) {
	h := hardHistory(2000)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	done := make(chan Verdict, 1)
	go func() { done <- CheckContext(ctx, h, Options{Timeout: 10 * time.Minute}) }()
	select {
	case v := <-done:
		if v.Outcome != Undecided || !errors.Is(v.Err, ErrInterrupted) {
			t.Fatalf("want undecided by interruption, got %s (err %v)", v, v.Err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the check did not stop when its context ended")
	}
}

// The undecided description is one short line even for a partition of
// many keys (it was one 13.9 MB line); the full keys and operations are
// what WriteDetails writes.
func TestUndecidedMessageIsOneLine(t *testing.T) {
	h := hardHistory(50)
	for i := range 5000 {
		op := model.Op{Kind: model.OpRegisterServer, Server: fmt.Sprintf("k%05d", i), Owner: 1}
		h = append(h, Operation{ID: 1000 + i, Client: 1000 + i, Call: 1, Op: op, Pending: true})
	}
	h = append(h, Operation{ID: 99999, Client: 99999, Call: 1, Op: model.Op{Kind: model.OpRegisterServer, Server: "s1", Owner: 1}, Pending: true})
	sortByCall(h)
	v := Check(h, Options{Timeout: 300 * time.Millisecond})
	if v.Outcome != Undecided {
		t.Fatalf("%s", v)
	}
	if strings.Contains(v.Description, "\n") || len(v.Description) > 1000 {
		t.Fatalf("description of %d bytes, want one line under 1000: %.300q", len(v.Description), v.Description)
	}
	var buf bytes.Buffer
	if err := v.WriteDetails(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `server "k04999"`) || !strings.Contains(buf.String(), "k04999") {
		t.Fatalf("details lack the last key")
	}
}

// Issue 11: invalid UTF-8 was rewritten to U+FFFD on write and read, so
// "s\xff" and "s\xfe" collided and register_server("s\xff") -> ok passed.
func TestInvalidUTF8RoundTripsExactly(t *testing.T) {
	reg := func(id string, owner model.Owner, cfg string) model.Op {
		return model.Op{Kind: model.OpRegisterServer, Server: id, Owner: owner, Config: model.Config(cfg)}
	}
	h := History{
		b(0, 0, 1, 2, reg("s\xff", 1, "c\xfe\x00"), model.Result{Code: model.CodeInvalidID}),
		b(1, 0, 3, 4, reg("s\xfe", 2, ""), model.Result{Code: model.CodeInvalidID}),
		b(2, 0, 5, 6, reg("sé", 3, "\xc3"), ok),
		b(3, 0, 7, 8, model.Op{Kind: model.OpFindServer, Server: "sé"}, model.Result{Owner: 3, Config: "\xc3"}),
	}
	if v := Check(h, Options{}); v.Outcome != Ok {
		t.Fatalf("%s\n%s", v, v.Description)
	}
	var buf bytes.Buffer
	if err := WriteHistory(&buf, h); err != nil {
		t.Fatal(err)
	}
	back, err := ReadHistory(bytes.NewReader(buf.Bytes()), "mem")
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	for i := range h {
		if back[i] != h[i] {
			t.Fatalf("op %d changed in the round trip:\n%v\n%v\nfile:\n%s", i, h[i], back[i], buf.String())
		}
	}
	// The model sees the bytes: an ok for an ID that is not UTF-8 is a
	// violation, in memory and after the round trip.
	bad := cloneHistory(h)
	bad[0].Result = ok
	if v := Check(bad, Options{}); v.Outcome != Violation {
		t.Fatalf("register_server(\"s\\xff\") -> ok passed: %s", v)
	}
	buf.Reset()
	if err := WriteHistory(&buf, bad); err != nil {
		t.Fatal(err)
	}
	back, err = ReadHistory(&buf, "mem")
	if err != nil {
		t.Fatal(err)
	}
	if v := Check(back, Options{}); v.Outcome != Violation {
		t.Fatalf("the violation did not survive a write and read: %s", v)
	}
	// Raw bytes that are not UTF-8 in a file are malformed, not rewritten.
	raw := []byte("{\"id\":0,\"client\":0,\"op\":\"find_server\",\"args\":{\"server\":\"s\xff\"},\"call\":1,\"return\":2,\"result\":{\"code\":\"server_not_found\"}}\n")
	if _, err := ReadHistory(bytes.NewReader(raw), "raw"); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "invalid UTF-8") {
		t.Fatalf("raw invalid UTF-8: %v", err)
	}
}

func cloneHistory(h History) History { return append(History(nil), h...) }

// The history format's additions (issue 13): string owners, unknown
// outcomes, owner death with an unknown count; old files still read.
func TestFormatOwnersByNameAndUnknowns(t *testing.T) {
	text := strings.Join([]string{
		`{"id":0,"client":0,"op":"register_server","args":{"server":"s1","owner":"<0.91.0>"},"call":1,"return":2,"result":{"code":"ok"}}`,
		`{"id":1,"client":1,"op":"find_server","args":{"server":"s1"},"call":3,"return":4,"result":{"code":"ok","owner":"<0.91.0>"}}`,
		`{"id":2,"client":0,"op":"register_server","args":{"server":"s2","owner":7},"call":5,"return":6,"result":{"code":"ok"}}`,
		`{"id":3,"client":2,"op":"owner_down","args":{"owner":"<0.91.0>"},"call":7,"return":8,"result":{"code":"ok","count":"unknown"}}`,
		`{"id":4,"client":1,"op":"find_server","args":{"server":"s1"},"call":9,"return":10,"result":{"code":"server_not_found"}}`,
		`{"id":5,"client":3,"op":"register_server","args":{"server":"s3","owner":"<0.92.0>"},"call":11,"return":14,"result":{"code":"unknown"}}`,
		`{"id":6,"client":1,"op":"find_server","args":{"server":"s2"},"call":15,"return":16,"result":{"code":"ok","owner":7}}`,
	}, "\n")
	h, err := ReadHistory(strings.NewReader(text), "names")
	if err != nil {
		t.Fatal(err)
	}
	if h[0].Op.Owner == 7 || h[0].Op.Owner != h[1].Result.Owner || h[0].Op.Owner == h[5].Op.Owner {
		t.Fatalf("owner names interned wrongly: %d %d %d", h[0].Op.Owner, h[1].Result.Owner, h[5].Op.Owner)
	}
	if v := Check(h, Options{}); v.Outcome != Ok {
		t.Fatalf("%s\n%s", v, v.Description)
	}
	var buf bytes.Buffer
	if err := WriteHistory(&buf, h); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"owner":"<0.91.0>"`, `"count":"unknown"`, `"code":"unknown"`} {
		if !strings.Contains(buf.String(), want) {
			t.Fatalf("written history lacks %s:\n%s", want, buf.String())
		}
	}
	back, err := ReadHistory(&buf, "back")
	if err != nil {
		t.Fatal(err)
	}
	for i := range h {
		if back[i] != h[i] {
			t.Fatalf("op %d changed in the round trip: %v -> %v", i, h[i], back[i])
		}
	}
	// An unknown outcome may have taken effect, or not; both pass.
	for _, code := range []string{"ok", "already_registered"} {
		text2 := text + "\n" + `{"id":7,"client":1,"op":"register_server","args":{"server":"s3","owner":9},"call":17,"return":18,"result":{"code":"` + code + `"}}`
		h2, err := ReadHistory(strings.NewReader(text2), "unknown")
		if err != nil {
			t.Fatal(err)
		}
		if v := Check(h2, Options{}); v.Outcome != Ok {
			t.Fatalf("after an unknown registration, %s: %s\n%s", code, v, v.Description)
		}
	}
	// But it happened before its return: a find after it cannot see s3
	// registered by someone else.
	text3 := text + "\n" + `{"id":7,"client":1,"op":"find_server","args":{"server":"s3"},"call":17,"return":18,"result":{"code":"ok","owner":9}}`
	h3, err := ReadHistory(strings.NewReader(text3), "unknown")
	if err != nil {
		t.Fatal(err)
	}
	if v := Check(h3, Options{}); v.Outcome != Violation {
		t.Fatalf("a find saw an owner that never registered: %s", v)
	}
	// A known count that is wrong still fails.
	wrong := strings.Replace(text, `"count":"unknown"`, `"count":2`, 1)
	hw, err := ReadHistory(strings.NewReader(wrong), "wrong")
	if err != nil {
		t.Fatal(err)
	}
	if v := Check(hw, Options{}); v.Outcome != Violation {
		t.Fatalf("owner_down count 2 for one entry passed: %s", v)
	}
}

// A file written by the previous writer (args {} on lists, integer owners)
// still reads.
func TestOldFormatStillReads(t *testing.T) {
	old := `{"id":0,"client":0,"op":"register_server","args":{"server":"s1","owner":7,"config":"c"},"call":1,"return":2,"result":{"code":"ok"}}
{"id":1,"client":1,"op":"list_servers","args":{},"call":3,"return":4,"result":{"code":"ok","ids":["s1"]}}
{"id":2,"client":1,"op":"find_server","args":{"server":"s1"},"call":5,"return":6,"result":{"code":"ok","owner":7,"config":"c"}}
{"id":3,"client":2,"op":"owner_down","args":{"owner":7},"call":7,"return":null}
`
	h, err := ReadHistory(strings.NewReader(old), "old")
	if err != nil {
		t.Fatal(err)
	}
	if v := Check(h, Options{}); v.Outcome != Ok {
		t.Fatalf("%s\n%s", v, v.Description)
	}
}

// badCorpus is check/testdata/bad: hostile history files, each with the
// exit status `shardlab check --history` gives it and a piece of its
// message, in MANIFEST (file, status, message; tab-separated).
type badCase struct {
	file    string
	status  int
	message string
}

func readCorpus(t *testing.T, dir string) []badCase {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []badCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("MANIFEST line %q: want file, status, message", line)
		}
		st, err := strconv.Atoi(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, badCase{parts[0], st, parts[2]})
	}
	if len(cases) < 20 {
		t.Fatalf("corpus of %d cases, want at least 20", len(cases))
	}
	return cases
}

// Every hostile history in the corpus is refused (status 2) or decided as
// the manifest says, with its message, and never panics.
func TestBadHistoryCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "bad")
	for _, c := range readCorpus(t, dir) {
		t.Run(c.file, func(t *testing.T) {
			v, err := CheckFile(filepath.Join(dir, c.file), Options{Timeout: 10 * time.Second})
			var msg string
			status := 0
			switch {
			case err != nil && errors.Is(err, ErrMalformed):
				status, msg = 2, err.Error()
			case err != nil:
				t.Fatalf("error without ErrMalformed: %v", err)
			default:
				status = map[Outcome]int{Ok: 0, Violation: 1, Undecided: 3}[v.Outcome]
				msg = v.Description
			}
			if status != c.status || !strings.Contains(msg, c.message) {
				t.Fatalf("status %d, message %q; want %d and %q", status, msg, c.status, c.message)
			}
		})
	}
}

// argumentError mirrors the model's argument checks.
func TestArgumentErrorAgreesWithModel(t *testing.T) {
	ids := []string{"", "s", "t", "\x01", "s\xff", strings.Repeat("x", model.MaxIDLen+1)}
	for _, k := range model.OpKinds() {
		for _, s := range ids {
			for _, tr := range ids {
				for _, owner := range []model.Owner{0, 3} {
					op := model.Op{Kind: k, Server: s, Transport: tr, Owner: owner}
					_, r := model.State{}.Step(op)
					want := r.Code == model.CodeInvalidID || r.Code == model.CodeInvalidOwner
					if got := argumentError(op); got != want {
						t.Fatalf("%v: argumentError %t, model says %s", op, got, r.Code)
					}
				}
			}
		}
	}
}

// Shards split the partitions exactly: the merged verdicts of N shards
// equal the unsharded verdict, for N = 1, 3 and 7.
func TestShardsMergeToTheWhole(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	plan, err := Workload{Clients: 4, OpsPerClient: 300, Keys: 64}.Plan(rng)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Execute(context.Background(), model.NewReference(), plan)
	if err != nil {
		t.Fatal(err)
	}
	whole := Check(h, Options{})
	if whole.Outcome != Ok {
		t.Fatalf("%s", whole)
	}
	for _, n := range []int{1, 3, 7} {
		var vs []Verdict
		for k := 1; k <= n; k++ {
			vs = append(vs, Check(h, Options{Shard: Shard{k, n}}))
		}
		m := MergeVerdicts(vs...)
		if m.Outcome != whole.Outcome || m.Partitions != whole.Partitions || m.Decided != whole.Decided || m.Ops != whole.Ops {
			t.Fatalf("N=%d: merged %s decided %s; whole %s decided %s", n, m, m.Decided, whole, whole.Decided)
		}
	}
	// Any violation wins; any undecided makes the whole undecided.
	bad := Verdict{Outcome: Violation, Keys: []string{"server \"b\""}}
	und := Verdict{Outcome: Undecided, Err: ErrTimeout}
	if m := MergeVerdicts(whole, und, bad); m.Outcome != Violation || m.Keys[0] != bad.Keys[0] {
		t.Fatalf("violation did not win: %v", m.Outcome)
	}
	if m := MergeVerdicts(whole, und); m.Outcome != Undecided || !errors.Is(m.Err, ErrTimeout) {
		t.Fatalf("undecided did not make the whole undecided: %v", m.Outcome)
	}
}

// Workers spread partitions; the verdict does not depend on how many.
func TestWorkersGiveTheSameVerdict(t *testing.T) {
	h := listOfAll(500)
	one := Check(h, Options{Workers: 1})
	four := Check(h, Options{Workers: 4})
	if one.Outcome != Ok || four.Outcome != Ok || one.Decided != four.Decided {
		t.Fatalf("1 worker: %s %s; 4 workers: %s %s", one, one.Decided, four, four.Decided)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]uint64{"512MiB": 512 << 20, "4GiB": 4 << 30, "4G": 4 << 30, "100": 100, "2 gb": 2 << 30} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "GiB", "-1GiB", "4PB", "99999999999TiB", "1.5GiB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) accepted", in)
		}
	}
}

// The examples in the package documentation and the README read and
// check.
func TestDocExampleChecks(t *testing.T) {
	for _, c := range []struct{ file, prefix string }{{"doc.go", "//\t"}, {filepath.Join("..", "README.md"), ""}} {
		src, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(string(src), "\n") {
			if rest, ok := strings.CutPrefix(l, c.prefix+"{\"id\""); ok {
				lines = append(lines, "{\"id\""+rest)
			}
		}
		if len(lines) < 6 {
			t.Fatalf("%s: found %d example lines", c.file, len(lines))
		}
		h, err := ReadHistory(strings.NewReader(strings.Join(lines, "\n")), c.file)
		if err != nil {
			t.Fatal(err)
		}
		if v := Check(h, Options{}); v.Outcome != Ok {
			t.Fatalf("%s: %s\n%s", c.file, v, v.Description)
		}
	}
}
