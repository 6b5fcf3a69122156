package hostload

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrUnsupported: the kernel files this package reads are not there (not
// Linux, or /proc not mounted).
var ErrUnsupported = errors.New("hostload: load not reported on this system")

// clockTicks is the kernel's USER_HZ, the unit of /proc/stat: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// Sample is the machine's state at one instant.
type Sample struct {
	At time.Time
	// Load1, Load5, Load15 are the kernel's load averages.
	Load1, Load5, Load15 float64
	// busy and steal are CPU time in ticks since boot, summed over CPUs:
	// busy counts user, nice, system, irq and softirq; steal is time a
	// hypervisor ran something else while this machine wanted a CPU.
	busy, steal, total uint64
	hasSteal           bool
	// own is this process's CPU time (user + system) so far.
	own time.Duration
	// sched and gc are the Go runtime's scheduling-latency and GC-pause
	// histograms so far (see sched.go).
	sched, gc *metrics.Float64Histogram
}

// Read samples the machine now.
func Read() (Sample, error) {
	loadavg, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return Sample{}, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Sample{}, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	s, err := parse(loadavg, stat)
	if err != nil {
		return Sample{}, err
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		s.own = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	s.sched, s.gc = runtimeHists()
	s.At = time.Now()
	return s, nil
}

// parse reads /proc/loadavg ("0.52 0.61 0.70 2/345 6789") and the
// aggregate "cpu" line of /proc/stat ("cpu user nice system idle iowait
// irq softirq steal ...").
func parse(loadavg, stat []byte) (Sample, error) {
	var s Sample
	f := strings.Fields(string(loadavg))
	if len(f) < 3 {
		return s, fmt.Errorf("hostload: /proc/loadavg %q: want three load averages", loadavg)
	}
	for i, dst := range []*float64{&s.Load1, &s.Load5, &s.Load15} {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return s, fmt.Errorf("hostload: /proc/loadavg field %d: %w", i+1, err)
		}
		*dst = v
	}
	sc := bufio.NewScanner(bytes.NewReader(stat))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "cpu" {
			continue
		}
		var v []uint64
		for _, x := range fields[1:] {
			n, err := strconv.ParseUint(x, 10, 64)
			if err != nil {
				return s, fmt.Errorf("hostload: /proc/stat cpu line: %w", err)
			}
			v = append(v, n)
		}
		if len(v) < 7 {
			return s, fmt.Errorf("hostload: /proc/stat cpu line has %d fields, want at least 7", len(v))
		}
		s.busy = v[0] + v[1] + v[2] + v[5] + v[6]
		for _, n := range v[:min(len(v), 8)] {
			s.total += n
		}
		if len(v) >= 8 {
			s.steal, s.hasSteal = v[7], true
		}
		return s, nil
	}
	return s, fmt.Errorf("hostload: /proc/stat has no cpu line")
}

// Noise is how busy the machine was over one measurement.
type Noise struct {
	// LoadStart and LoadEnd are the 1-minute load averages before and
	// after. They include shardlab's own workers from the points just
	// run, so OtherCores is the better sign of other work.
	LoadStart float64 `json:"load_start"`
	LoadEnd   float64 `json:"load_end"`
	// OtherCores is the CPU time processes other than this one used over
	// the measurement, divided by its duration: 0.5 means other work kept
	// half a core busy on average.
	OtherCores float64 `json:"other_cores"`
	// StealPercent is the share of CPU time the hypervisor stole, in %;
	// nil where the kernel does not report steal.
	StealPercent *float64 `json:"steal_percent,omitempty"`
	// SchedWaitP99Ns and SchedWaitMaxNs are how long this process's
	// goroutines waited runnable before a CPU ran them (p99 and max, upper
	// bounds of the runtime's buckets). A timed operation whose goroutine
	// is descheduled between its two clock reads takes at least that
	// wait: with many more workers than cores this, not the registry,
	// sets the maximum latency.
	SchedWaitP99Ns int64 `json:"sched_wait_p99_ns,omitempty"`
	SchedWaitMaxNs int64 `json:"sched_wait_max_ns,omitempty"`
	// GCPauseMaxNs is the longest stop-the-world GC pause (upper bound).
	GCPauseMaxNs int64 `json:"gc_pause_max_ns,omitempty"`
}

// Between is the noise over the interval from a to b (a taken first).
func Between(a, b Sample) Noise {
	n := Noise{LoadStart: a.Load1, LoadEnd: b.Load1}
	wall := b.At.Sub(a.At)
	if wall > 0 && b.busy >= a.busy {
		busy := time.Duration(b.busy-a.busy) * time.Second / clockTicks
		other := busy - (b.own - a.own)
		n.OtherCores = max(0, other.Seconds()/wall.Seconds())
	}
	if _, p99, mx := histDelta(a.sched, b.sched, 0.99); mx > 0 {
		n.SchedWaitP99Ns, n.SchedWaitMaxNs = int64(p99), int64(mx)
	}
	if _, _, mx := histDelta(a.gc, b.gc, 1); mx > 0 {
		n.GCPauseMaxNs = int64(mx)
	}
	if a.hasSteal && b.hasSteal && b.total > a.total && b.steal >= a.steal {
		pct := 100 * float64(b.steal-a.steal) / float64(b.total-a.total)
		n.StealPercent = &pct
	}
	return n
}

// Thresholds above which Busy calls a measurement disturbed.
const (
	// BusyOtherCores: other processes kept more than half a core busy.
	BusyOtherCores = 0.5
	// BusyStealPercent: the hypervisor took more than 5 % of CPU time.
	BusyStealPercent = 5.0
)

// Busy says whether other work disturbed the measurement enough that it
// should be repeated or read with care, and why.
func (n Noise) Busy() (bool, string) {
	var why []string
	if n.OtherCores > BusyOtherCores {
		why = append(why, fmt.Sprintf("others used %.1f cores", n.OtherCores))
	}
	if n.StealPercent != nil && *n.StealPercent > BusyStealPercent {
		why = append(why, fmt.Sprintf("%.0f %% steal", *n.StealPercent))
	}
	return len(why) > 0, strings.Join(why, "; ")
}
