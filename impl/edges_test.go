package impl

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shardlab/shardlab/model"
)

// nilPtrHandler is a handler type whose nil pointer is a nil handler.
type nilPtrHandler struct{ n int }

func (h *nilPtrHandler) Handle(model.Message) { h.n++ }

// TestNilHandlersRefused: a handler that is nil inside a non-nil interface
// (a nil HandlerFunc, a nil pointer) is refused at registration with
// ErrNilHandler, instead of being stored and panicking on a later route.
func TestNilHandlersRefused(t *testing.T) {
	r, err := New(Options{Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterServer("s", 1, nop, ""); err != nil {
		t.Fatal(err)
	}
	var fn model.HandlerFunc
	var ptr *nilPtrHandler
	for name, h := range map[string]model.Handler{"nil interface": nil, "nil HandlerFunc": fn, "nil pointer": ptr} {
		if err := r.RegisterServer("s_"+name, 1, h, ""); !errors.Is(err, model.ErrNilHandler) {
			t.Errorf("RegisterServer with %s: %v, want ErrNilHandler", name, err)
		}
		if err := r.RegisterTransport("t_"+name, 1, h, "", "s"); !errors.Is(err, model.ErrNilHandler) {
			t.Errorf("RegisterTransport with %s: %v, want ErrNilHandler", name, err)
		}
	}
	if n := len(r.ListServers()) + len(r.ListTransports()); n != 1 {
		t.Fatalf("%d entries after refused registrations, want 1", n)
	}
	// The other errors keep their precedence: an invalid ID is reported
	// before a nil handler.
	if err := r.RegisterServer("", 1, fn, ""); !errors.Is(err, model.ErrInvalidID) {
		t.Fatalf("invalid ID and nil handler: %v, want ErrInvalidID", err)
	}
}

// TestAdmissionLimitIsExactDecimal: the admission limit is
// floor(fraction x partitions) on the decimal the fraction is written as,
// so 0.29 of 100 partitions is 29, where float64 arithmetic gives 28.
func TestAdmissionLimitIsExactDecimal(t *testing.T) {
	cases := []struct {
		fraction   float64
		partitions int
		limit      int64
	}{
		{0.29, 100, 29}, {0.57, 100, 57}, {0.58, 100, 58},
		{0.5, 64, 32}, {0.5, 3, 1}, {1, 7, 7}, {0.01, 64, 0}, {0.7, 10, 7},
	}
	for _, c := range cases {
		r, err := New(Options{Partitions: c.partitions, AdmissionFraction: c.fraction, ContentionWindow: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if r.admitLimit != c.limit {
			t.Errorf("fraction %v of %d partitions: limit %d, want %d", c.fraction, c.partitions, r.admitLimit, c.limit)
		}
		// At the limit registrations are admitted; one more alarm rejects.
		r.alarmed.Store(c.limit)
		if err := r.RegisterServer("s", 1, nop, ""); err != nil {
			t.Errorf("fraction %v of %d: %d alarmed: %v, want admitted", c.fraction, c.partitions, c.limit, err)
		}
		r.alarmed.Store(c.limit + 1)
		if err := r.RegisterServer("s2", 1, nop, ""); !errors.Is(err, model.ErrOverloaded) {
			t.Errorf("fraction %v of %d: %d alarmed: %v, want ErrOverloaded", c.fraction, c.partitions, c.limit+1, err)
		}
	}
}

// TestAlarmsClearOnStatusReadAfterActivityStops: a partition alarmed by a
// burst of contention is clear at the first status read once a whole quiet
// window has passed, even though the window in which the burst happened was
// never closed by a writer.
func TestAlarmsClearOnStatusReadAfterActivityStops(t *testing.T) {
	c := newFakeClock()
	r := newAlarmRegistry(t, c, true) // admission off, so that the second write reaches the lock
	// The first contended write closes the first window (20 ms >= 10 ms)
	// and raises the alarm; a second one, 5 ms of wait, lands in the next
	// window, which no later writer closes.
	if err := contend(t, r, c, "server_1", 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := contend(t, r, c, "server_2", 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if st := r.ContentionStatus(); len(st.Alarmed) != 1 {
		t.Fatalf("during the burst: %+v, want partition 0 alarmed", st)
	}
	// Activity stops. 50 ms later (five windows) the load is long gone.
	c.advance(50 * time.Millisecond)
	if st := r.ContentionStatus(); len(st.Alarmed) != 0 {
		t.Fatalf("50 ms after activity stopped: %+v, want no alarms", st)
	}
}

// TestPartitionStatsReevaluatesAlarms: PartitionStats, like
// ContentionStatus, closes expired windows before it reports.
func TestPartitionStatsReevaluatesAlarms(t *testing.T) {
	c := newFakeClock()
	r := newAlarmRegistry(t, c, false)
	if err := contend(t, r, c, "server_1", 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	c.advance(50 * time.Millisecond)
	if ps := r.PartitionStats()[0]; ps.Alarmed {
		t.Fatalf("PartitionStats 50 ms after the only write: %+v, want not alarmed", ps)
	}
}

// TestWatchOwnerIsBoundToItsIncarnation: a watch ends only the incarnation
// it watched. After that incarnation went down another way and the owner ID
// was reused, the watch's context ending leaves the new incarnation alone.
func TestWatchOwnerIsBoundToItsIncarnation(t *testing.T) {
	r, err := New(Options{Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterServer("old", 5, nop, ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	WatchOwner(ctx, notifyingRegistry{r, done}, 5)
	if n, _ := r.OwnerDown(5); n != 1 {
		t.Fatalf("OwnerDown(5) = %d, want 1", n)
	}
	// The ID is reused by a new incarnation.
	if err := r.RegisterServer("new", 5, nop, ""); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if e, err := r.FindServer("new"); err != nil || e.Owner != 5 {
		t.Fatalf("the late watch of the old incarnation removed the new one's entry: %+v, %v", e, err)
	}
}

// TestWatchOwnerBeforeFirstRegistration: a watch set up before the owner
// registers anything covers what it registers afterwards.
func TestWatchOwnerBeforeFirstRegistration(t *testing.T) {
	r, err := New(Options{Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	WatchOwner(ctx, notifyingRegistry{r, done}, 6)
	if err := r.RegisterServer("s6", 6, nop, ""); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if _, err := r.FindServer("s6"); !errors.Is(err, model.ErrServerNotFound) {
		t.Fatalf("after the watched context ended: %v, want ErrServerNotFound", err)
	}
}

// notifyingRegistry closes done after the watch has acted (or declined to).
type notifyingRegistry struct {
	*Registry
	done chan struct{}
}

func (n notifyingRegistry) pinOwner(o model.Owner) func() {
	down := n.Registry.pinOwner(o)
	return func() { down(); close(n.done) }
}
