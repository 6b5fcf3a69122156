package hostload

import (
	"errors"
	"math"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

func TestParseAndBetween(t *testing.T) {
	a, err := parse([]byte("1.50 0.80 0.40 3/200 999\n"), []byte("cpu  1000 0 500 8000 0 0 0 100 0 0\ncpu0 500 0 250 4000 0 0 0 50 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Load1 != 1.5 || a.Load5 != 0.8 || a.Load15 != 0.4 {
		t.Errorf("load averages %v %v %v, want 1.5 0.8 0.4", a.Load1, a.Load5, a.Load15)
	}
	// 10 s later: 1500 ticks (15 s) more busy time over 2 CPUs, this
	// process used 10 s of it, so others used 5 s = 0.5 cores; steal 100
	// of 2000 ticks = 5 %.
	b, err := parse([]byte("2.00 1.00 0.50 1/200 999\n"), []byte("cpu  2000 0 1000 8400 0 0 0 200 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	a.At, b.At = time.Unix(0, 0), time.Unix(10, 0)
	a.own, b.own = 0, 10*time.Second
	n := Between(a, b)
	if n.LoadStart != 1.5 || n.LoadEnd != 2 {
		t.Errorf("loads %v → %v, want 1.5 → 2", n.LoadStart, n.LoadEnd)
	}
	if math.Abs(n.OtherCores-0.5) > 1e-9 {
		t.Errorf("other cores %v, want 0.5", n.OtherCores)
	}
	if n.StealPercent == nil || math.Abs(*n.StealPercent-5) > 1e-9 {
		t.Errorf("steal %v, want 5 %%", n.StealPercent)
	}
	if busy, _ := n.Busy(); busy {
		t.Error("0.5 cores and 5 % steal are at the thresholds, not over: want not busy")
	}
	n.OtherCores = 1.2
	if busy, why := n.Busy(); !busy || !strings.Contains(why, "1.2 cores") {
		t.Errorf("Busy = %v %q, want busy naming 1.2 cores", busy, why)
	}
}

func TestParseWithoutSteal(t *testing.T) {
	s, err := parse([]byte("0.1 0.1 0.1 1/1 1"), []byte("cpu 1 2 3 4 5 6 7\n"))
	if err != nil {
		t.Fatal(err)
	}
	if Between(s, s).StealPercent != nil {
		t.Error("a kernel without a steal column reported steal")
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	for _, c := range [][2]string{{"x y z", "cpu 1 2 3 4 5 6 7"}, {"1 2", "cpu 1 2 3 4 5 6 7"}, {"1 2 3", "intr 5"}, {"1 2 3", "cpu 1 2"}, {"1 2 3", "cpu a b c d e f g"}} {
		if _, err := parse([]byte(c[0]), []byte(c[1])); err == nil {
			t.Errorf("parse(%q, %q) accepted malformed input", c[0], c[1])
		}
	}
}

func TestReadOnThisMachine(t *testing.T) {
	a, err := Read()
	if errors.Is(err, ErrUnsupported) {
		t.Skip("no /proc here")
	}
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	b, err := Read()
	if err != nil {
		t.Fatal(err)
	}
	if n := Between(a, b); n.OtherCores < 0 || math.IsNaN(n.OtherCores) {
		t.Errorf("other cores %v", n.OtherCores)
	}
}

// TestSchedWaitSeesOversubscription: with far more busy goroutines than
// CPUs, some wait runnable for at least a scheduling quantum (the
// runtime preempts after 10 ms), and Between reports it.
func TestSchedWaitSeesOversubscription(t *testing.T) {
	if testing.Short() {
		t.Skip("spins every CPU for 300 ms")
	}
	a, err := Read()
	if err != nil {
		t.Skip(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	n := 8 * runtime.GOMAXPROCS(0)
	for range n {
		go func() {
			defer func() { done <- struct{}{} }()
			x := 0
			for {
				select {
				case <-stop:
					return
				default:
					x++
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	for range n {
		<-done
	}
	b, _ := Read()
	nz := Between(a, b)
	if nz.SchedWaitMaxNs < int64(5*time.Millisecond) {
		t.Errorf("%d spinning goroutines on %d CPUs: max scheduling wait %v, want >= 5ms", n, runtime.GOMAXPROCS(0), time.Duration(nz.SchedWaitMaxNs))
	}
}

func TestHistDelta(t *testing.T) {
	a := &metrics.Float64Histogram{Counts: []uint64{5, 0, 0, 0}, Buckets: []float64{0, 1e-6, 1e-3, 1, math.Inf(1)}}
	b := &metrics.Float64Histogram{Counts: []uint64{105, 0, 1, 0}, Buckets: a.Buckets}
	n, q, mx := histDelta(a, b, 0.99)
	if n != 101 || q != time.Microsecond || mx != time.Second {
		t.Errorf("histDelta = %d, %v, %v; want 101, 1µs, 1s", n, q, mx)
	}
	if n, _, _ := histDelta(nil, b, 0.5); n != 0 {
		t.Error("histDelta with a missing histogram counted events")
	}
}
