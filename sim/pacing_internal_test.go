package sim

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestWaitUntilNeverReturnsEarly: an op issued before its intended start
// would make open-loop latencies look better than they were.
func TestWaitUntilNeverReturnsEarly(t *testing.T) {
	var stop atomic.Bool
	start := time.Now()
	for _, d := range []time.Duration{0, 50 * time.Microsecond, 500 * time.Microsecond, 3 * time.Millisecond} {
		due := time.Since(start) + d
		waitUntil(start, due, &stop)
		if now := time.Since(start); now < due {
			t.Fatalf("waitUntil returned %v before its intended start", due-now)
		}
	}
}

func TestWaitUntilReturnsOnStop(t *testing.T) {
	var stop atomic.Bool
	stop.Store(true)
	done := make(chan struct{})
	go func() {
		waitUntil(time.Now(), time.Hour, &stop)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a generous bound: this only guards against hanging forever
		t.Fatal("waitUntil ignored stop")
	}
}
