package protocol_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardlab/shardlab/check"
	godriver "github.com/shardlab/shardlab/drivers/go"
	"github.com/shardlab/shardlab/drivers/protocol"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

var seed = flag.Uint64("seed", 1, "campaign seed (replays a failure)")

// fakeEnv selects what the test binary does when it is started as a
// driver by these tests.
const fakeEnv = "SHARDLAB_FAKE_DRIVER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		os.Exit(fake(mode))
	}
	os.Exit(m.Run())
}

// fake runs the test binary as a driver: a real one over impl or a broken
// registry, or one that breaks the protocol in the way mode says.
func fake(mode string) int {
	switch mode {
	case "impl", "stale", "null":
		newReg := func() (model.Registry, error) { return impl.New(impl.Options{Partitions: 4}) }
		switch mode {
		case "stale":
			newReg = func() (model.Registry, error) { return &leakyOwnerDown{model.NewReference()}, nil }
		case "null":
			newReg = func() (model.Registry, error) { return sim.Null{}, nil }
		}
		if err := godriver.Serve(os.Stdin, os.Stdout, godriver.Info{Name: "fake-" + mode, Version: "1"}, newReg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	say := func(s string) { out.WriteString(s + "\n"); out.Flush() }
	ops := 0
	for in.Scan() {
		var req protocol.Request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			return 1
		}
		switch req.Op {
		case "hello":
			if mode == "bad-version" {
				say(fmt.Sprintf(`{"id":%d,"result":{"code":"ok","name":"fake","protocol":99,"ops":["find_server"]}}`, req.ID))
				continue
			}
			say(fmt.Sprintf(`{"id":%d,"result":{"code":"ok","name":"fake-%s","version":"0","protocol":1,"ops":["register_server","find_server","owner_down"]}}`, req.ID, mode))
			continue
		case "reset":
			say(fmt.Sprintf(`{"id":%d,"result":{"code":"ok"}}`, req.ID))
			continue
		}
		ops++
		switch mode {
		case "garbage":
			say("this is not json")
		case "crash":
			fmt.Fprintln(os.Stderr, "fake driver: something went badly wrong")
			return 3
		case "hang":
			// never answers
		case "unknown-id":
			say(fmt.Sprintf(`{"id":%d,"result":{"code":"ok"}}`, req.ID+1000))
		case "double":
			say(fmt.Sprintf(`{"id":%d,"result":{"code":"server_not_found"}}`, req.ID))
			say(fmt.Sprintf(`{"id":%d,"result":{"code":"server_not_found"}}`, req.ID))
		case "bad-code":
			say(fmt.Sprintf(`{"id":%d,"result":{"code":"maybe"}}`, req.ID))
		case "late":
			// The first operation is answered after the answer timeout
			// (but before the hang timeout); the rest at once.
			id := req.ID
			if ops == 1 {
				go func() {
					time.Sleep(1500 * time.Millisecond)
					say(fmt.Sprintf(`{"id":%d,"result":{"code":"server_not_found"}}`, id))
				}()
				continue
			}
			say(fmt.Sprintf(`{"id":%d,"result":{"code":"server_not_found"}}`, id))
		}
	}
	return 0
}

// leakyOwnerDown forgets owner death: a dead owner's entries stay. Checked
// in process and through the protocol it must fail the same way.
type leakyOwnerDown struct{ *model.Reference }

func (l *leakyOwnerDown) OwnerDown(o model.Owner) (int, error) {
	if o == 0 {
		return 0, model.ErrInvalidOwner
	}
	return 0, nil
}

func start(t *testing.T, mode string, cfg protocol.Config) (*protocol.Driver, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(fakeEnv, mode)
	cfg.Command = []string{exe}
	d, err := protocol.Start(context.Background(), cfg)
	if d != nil {
		t.Cleanup(func() { d.Close() })
	}
	return d, err
}

// TestSameVerdictsAsInProcess runs one campaign against impl and against a
// registry that forgets owner death, in process and through the protocol
// (the Go driver), and wants the same outcome each way.
func TestSameVerdictsAsInProcess(t *testing.T) {
	histories := 30
	if testing.Short() {
		histories = 10
	}
	for _, tc := range []struct {
		mode string
		reg  func() (model.Registry, error)
		want check.Outcome
	}{
		{"impl", func() (model.Registry, error) { return impl.New(impl.Options{Partitions: 4}) }, check.Ok},
		{"stale", func() (model.Registry, error) { return &leakyOwnerDown{model.NewReference()}, nil }, check.Violation},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			c := check.Campaign{Seed: *seed, Histories: histories, Long: -1, NewRegistry: tc.reg}
			in, err := c.Run(context.Background())
			if err != nil {
				t.Fatalf("seed %d: in process: %v", *seed, err)
			}
			d, err := start(t, tc.mode, protocol.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Hello().Name; got != "fake-"+tc.mode {
				t.Errorf("hello name %q", got)
			}
			through, err := d.Campaign(check.Campaign{Seed: *seed, Histories: histories, Long: -1}).Run(context.Background())
			if err != nil {
				t.Fatalf("seed %d: through the protocol: %v", *seed, err)
			}
			if in.Outcome != tc.want || through.Outcome != tc.want {
				t.Fatalf("seed %d: in process %s, through the protocol %s; want %s both", *seed, in.Outcome, through.Outcome, tc.want)
			}
			if err := d.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
		})
	}
}

// TestMisbehavingDrivers: every way of breaking the protocol is an error
// that names the driver and the offending line, and never a verdict.
func TestMisbehavingDrivers(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		want    error
		mention string
	}{
		{"garbage", protocol.ErrProtocol, `"this is not json"`},
		{"crash", protocol.ErrExited, "something went badly wrong"},
		{"hang", protocol.ErrHung, `no answer for 500ms to`},
		{"unknown-id", protocol.ErrProtocol, "never sent"},
		{"double", protocol.ErrProtocol, "a second answer"},
		{"bad-code", protocol.ErrProtocol, `maybe`},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			d, err := start(t, tc.mode, protocol.Config{AnswerTimeout: 100 * time.Millisecond, HangTimeout: 500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			c := d.Campaign(check.Campaign{Seed: *seed, Histories: 2, Long: -1, Ops: 5})
			res, err := c.Run(context.Background())
			if err == nil {
				t.Fatalf("campaign against a %s driver: no error, outcome %s", tc.mode, res.Outcome)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			for _, s := range []string{"fake-" + tc.mode, tc.mention} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not mention %s: %v", s, err)
				}
			}
			if res.Failure != nil && res.Failure.Verdict.Outcome == check.Violation {
				t.Errorf("a verdict was drawn: %+v", res.Failure.Verdict)
			}
			if err := d.Close(); !errors.Is(err, tc.want) {
				t.Errorf("close: %v, want the driver's error", err)
			}
		})
	}
}

func TestBadHello(t *testing.T) {
	_, err := start(t, "bad-version", protocol.Config{})
	if !errors.Is(err, protocol.ErrStart) || !strings.Contains(err.Error(), "protocol version 99") {
		t.Fatalf("err = %v", err)
	}
	_, err = protocol.Start(context.Background(), protocol.Config{Command: []string{"/nonexistent/driver"}})
	if !errors.Is(err, protocol.ErrStart) {
		t.Fatalf("err = %v", err)
	}
}

// TestLateAnswerIsPending: an answer after the answer timeout leaves the
// operation pending in the history; the check goes on.
func TestLateAnswerIsPending(t *testing.T) {
	d, err := start(t, "late", protocol.Config{AnswerTimeout: 500 * time.Millisecond, HangTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rec := check.NewRecorder(d.Registry())
	rec.Client(0).Do(model.Op{Kind: model.OpFindServer, Server: "s1"})
	rec.Client(0).Do(model.Op{Kind: model.OpFindServer, Server: "s2"})
	if err := d.Idle(); err != nil {
		t.Fatal(err)
	}
	h := rec.History()
	if len(h) != 2 || !h[0].Pending || h[1].Pending || h[1].Result.Code != model.CodeServerNotFound {
		t.Fatalf("history %v: want the first pending, the second server_not_found", h)
	}
	if v := check.Check(h, check.Options{}); v.Outcome != check.Ok {
		t.Fatalf("verdict %s", v)
	}
}

// TestCancelReaps: cancelling the context kills and reaps the driver.
func TestCancelReaps(t *testing.T) {
	exe, _ := os.Executable()
	t.Setenv(fakeEnv, "hang")
	ctx, cancel := context.WithCancel(context.Background())
	d, err := protocol.Start(ctx, protocol.Config{Command: []string{exe}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = d.Registry().FindServer("s1")
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	wg.Wait()
	if err := d.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("close after cancel: %v", err)
	}
}

func TestOwnerNames(t *testing.T) {
	for _, o := range []model.Owner{0, 1, 7, 1<<64 - 2} {
		if got := protocol.ParseOwner(protocol.OwnerName(o)); got != o {
			t.Errorf("%d -> %q -> %d", o, protocol.OwnerName(o), got)
		}
	}
	for _, s := range []string{"<0.85.0>", "o", "o0", "o07", "x7"} {
		if got := protocol.ParseOwner(s); got != protocol.ForeignOwner {
			t.Errorf("%q -> %d, want ForeignOwner", s, got)
		}
	}
}

// TestProbeSeesALeak: against a registry whose owner death removes
// nothing, the probe counts every lookup after the death as stale, the
// concurrent finders' too, and the check flags it.
func TestProbeSeesALeak(t *testing.T) {
	d, err := start(t, "stale", protocol.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := protocol.ProbeOwnerDeath(d, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p.StaleFinds != 10 || p.RefusedRegistrations != 10 || p.ConcurrentFinds == 0 || p.ConcurrentStale != p.ConcurrentFinds || p.Pending.Outcome != check.Violation {
		t.Fatalf("probe of a leaking registry: %s", p)
	}
}
