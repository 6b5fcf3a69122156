package baseline_test

import (
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/shardlab/shardlab/impl/baseline"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/model/modeltest"
)

func newPeer(t *testing.T, name string) model.Registry {
	t.Helper()
	r, err := baseline.ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.(io.Closer).Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

func TestConformance(t *testing.T) {
	for _, name := range baseline.Names() {
		t.Run("registry="+name, func(t *testing.T) {
			modeltest.Run(t, func(t *testing.T) model.Registry { return newPeer(t, name) })
		})
	}
}

func TestByNameUnknown(t *testing.T) {
	_, err := baseline.ByName("nope")
	if !errors.Is(err, baseline.ErrUnknownName) {
		t.Fatalf("ByName(nope) error %v, want ErrUnknownName", err)
	}
}

// TestReadsDoNotAllocate: the lock-free peers' single-key reads, hits and
// misses, allocate nothing.
func TestReadsDoNotAllocate(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("instrumentation allocates")
	}
	for _, name := range []string{baseline.NameSyncMap, baseline.NameXSync, baseline.NameMutex} {
		t.Run("registry="+name, func(t *testing.T) {
			r := newPeer(t, name)
			if err := r.RegisterServer("s1", 1, model.NopHandler, "cfg"); err != nil {
				t.Fatal(err)
			}
			if err := r.RegisterTransport("t1", 1, model.NopHandler, "", "s1"); err != nil {
				t.Fatal(err)
			}
			var msg model.Message = "m" // boxed once, outside the measured calls
			reads := map[string]func(){
				"FindServer":         func() { _, _ = r.FindServer("s1") },
				"FindServer/miss":    func() { _, _ = r.FindServer("s2") },
				"FindTransport":      func() { _, _ = r.FindTransport("t1") },
				"ServerForTransport": func() { _, _ = r.ServerForTransport("t1") },
				"RouteToServer":      func() { _ = r.RouteToServer("s1", msg) },
				"RouteToServer/miss": func() { _ = r.RouteToServer("s2", msg) },
				"RouteToTransport":   func() { _ = r.RouteToTransport("t1", msg) },
			}
			for what, f := range reads {
				if n := testing.AllocsPerRun(100, f); n != 0 {
					t.Errorf("%s: %v allocs/op, want 0", what, n)
				}
			}
		})
	}
}

// TestChannelClose: Close stops the serving goroutine, is idempotent, and
// later calls fail with ErrClosed instead of blocking.
func TestChannelClose(t *testing.T) {
	before := runtime.NumGoroutine()
	c := baseline.NewChannel()
	if err := c.RegisterServer("s1", 1, model.NopHandler, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.FindServer("s1"); !errors.Is(err, baseline.ErrClosed) {
		t.Fatalf("FindServer after Close: %v, want ErrClosed", err)
	}
	if got := c.ListServers(); got != nil {
		t.Fatalf("ListServers after Close = %v, want nil", got)
	}
	// Close waits for the goroutine to exit, so the count is back at once;
	// poll briefly only because unrelated runtime goroutines may come and go.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before NewChannel, %d after Close", before, runtime.NumGoroutine())
		}
		runtime.Gosched()
	}
}
