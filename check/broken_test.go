package check

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/model"
	"pgregory.net/rapid"
)

// expectFailure is a rapid.TB that records a failure instead of failing the
// test, so a test can require that rapid finds a bug.
type expectFailure struct {
	name   string
	failed bool
	log    strings.Builder
}

type stopNow struct{}

func (e *expectFailure) Helper()                         {}
func (e *expectFailure) Name() string                    { return e.name }
func (e *expectFailure) Logf(format string, args ...any) { fmt.Fprintf(&e.log, format+"\n", args...) }
func (e *expectFailure) Log(args ...any)                 { fmt.Fprintln(&e.log, args...) }
func (e *expectFailure) Skipf(format string, args ...any) {
	e.Logf(format, args...)
	panic(stopNow{})
}
func (e *expectFailure) Skip(args ...any) { e.Log(args...); panic(stopNow{}) }
func (e *expectFailure) SkipNow()         { panic(stopNow{}) }
func (e *expectFailure) Errorf(format string, args ...any) {
	e.failed = true
	e.Logf(format, args...)
}
func (e *expectFailure) Error(args ...any) { e.failed = true; e.Log(args...) }
func (e *expectFailure) Fatalf(format string, args ...any) {
	e.Errorf(format, args...)
	panic(stopNow{})
}
func (e *expectFailure) Fatal(args ...any) { e.Error(args...); panic(stopNow{}) }
func (e *expectFailure) FailNow()          { e.failed = true; panic(stopNow{}) }
func (e *expectFailure) Fail()             { e.failed = true }
func (e *expectFailure) Failed() bool      { return e.failed }

// rapidFinds runs prop under rapid with the package's default budget and
// reports whether rapid falsified it, with rapid's report. Fail files are
// not written, and shrinking is cut short: the failure is expected, and
// what matters is that it was found.
func rapidFinds(t *testing.T, prop func(*rapid.T)) (bool, string) {
	t.Helper()
	settings := map[string]string{"rapid.nofailfile": "true", "rapid.shrinktime": "100ms"}
	if testing.Short() && flag.Lookup("rapid.checks").Value.String() == "100" {
		// rapid runs a fifth of its checks under -short; a broken
		// registry must be caught within the full default of 100.
		settings["rapid.checks"] = "500"
	}
	for name, value := range settings {
		old := flag.Lookup(name).Value.String()
		if err := flag.Set(name, value); err != nil {
			t.Fatal(err)
		}
		defer flag.Set(name, old)
	}
	e := &expectFailure{name: t.Name()}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stopNow); !ok {
					panic(r)
				}
			}
		}()
		rapid.Check(e, prop)
	}()
	return e.failed, e.log.String()
}

// TestBrokenRegistriesAreCaught proves that the checker sees the two races
// whose windows are too narrow for the defaults to hit reliably: a hook
// runs another client's operations between the two halves of the
// non-atomic operation, which makes the interleaving deterministic. The
// other broken registries are in the zoo (TestZoo).
func TestBrokenRegistriesAreCaught(t *testing.T) {
	t.Run("non-atomic-bind/porcupine", func(t *testing.T) {
		reg := newToy(bugs{nonAtomicBind: true})
		rec := NewRecorder(reg)
		c0, c1 := rec.Client(0), rec.Client(1)
		mustOK(t, c0.RegisterServer("s1", 1, model.NopHandler, ""))
		mustOK(t, c0.RegisterTransport("t1", 1, model.NopHandler, "", ""))
		// Between the server check and the binding, another client
		// unregisters the server.
		reg.hook = func() { reg.hook = nil; mustOK(t, c1.UnregisterServer("s1")) }
		mustOK(t, c0.BindTransportToServer("t1", "s1"))
		_, _ = c0.ServerForTransport("t1")
		requireViolation(t, rec.History(), "server_for_transport")
	})

	t.Run("stale-death-notice/porcupine", func(t *testing.T) {
		reg := newToy(bugs{staleDeathNotice: true})
		rec := NewRecorder(reg)
		c0, c1 := rec.Client(0), rec.Client(1)
		mustOK(t, c0.RegisterServer("s1", 1, model.NopHandler, ""))
		// While owner 1's death is processed, s1 is unregistered and
		// registered again by owner 2; the stale notice removes it.
		reg.hook = func() {
			reg.hook = nil
			mustOK(t, c1.UnregisterServer("s1"))
			mustOK(t, c1.RegisterServer("s1", 2, model.NopHandler, ""))
		}
		if _, err := c0.OwnerDown(1); err != nil {
			t.Fatal(err)
		}
		_, _ = c0.FindServer("s1")
		requireViolation(t, rec.History(), "s1")
	})
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func requireViolation(t *testing.T, h History, about string) {
	t.Helper()
	v := Check(h, Options{})
	if v.Outcome != Violation {
		t.Fatalf("history checked %s, want violation:\n%v", v.Outcome, h)
	}
	if !strings.Contains(v.Description, about) {
		t.Errorf("description does not mention %q:\n%s", about, v.Description)
	}
	t.Logf("caught:\n%s", v.Description)
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
