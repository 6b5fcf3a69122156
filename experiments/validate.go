package experiments

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/sim"
)

// Upper bounds on what a spec may ask for. Each exists so that a typo (an
// extra zero, 2e9 for 2e3) is a spec error naming the memory it would have
// needed, instead of a run that exhausts the machine's memory and dies with
// the runtime's fatal error.
const (
	// MaxPreloadEntries bounds servers + transports preloaded into one
	// registry: about 3 GB at PreloadEntryBytes.
	MaxPreloadEntries = 10_000_000
	// PreloadEntryBytes is what one preloaded entry costs, roughly: the
	// largest peer's heap per server (syncmap, about 241 B in impl's
	// BenchmarkMemory) plus the ID string that the driver keeps too.
	PreloadEntryBytes = 300
	// MaxRepeat bounds a sweep's repetitions per cell.
	MaxRepeat = 1000
	// MaxPoints bounds the points of one run or sweep: every planned point
	// is held in memory, and every finished one (with its encoded
	// histograms, about PointBytes) while the run lasts.
	MaxPoints = 100_000
	// PointBytes is a rough size of one finished point in memory.
	PointBytes = 16 << 10
	// MaxSeriesTicks bounds one point's time series (duration over
	// series_interval), at about TickBytes each.
	MaxSeriesTicks = 1_000_000
	// TickBytes is a rough size of one time-series tick.
	TickBytes = 64
)

// memory formats a byte count for error messages: "600 GB", "3.0 GB".
func memory(b float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	i := 0
	for b >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	if b >= 10 || i == 0 {
		return fmt.Sprintf("%.0f %s", b, units[i])
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// checkPreload checks a preload's counts, its bound and sim's own rules
// (bind needs servers). errf names fields under the spec's prefix.
func checkPreload(errf func(path, format string, args ...any) error, p spec.PreloadSpec) error {
	if p.Servers < 0 || p.Transports < 0 {
		return errf("preload", "servers %d, transports %d (want >= 0)", p.Servers, p.Transports)
	}
	if n := p.Servers + p.Transports; n > MaxPreloadEntries || n < 0 {
		total := float64(p.Servers) + float64(p.Transports)
		field := "preload.servers"
		if p.Transports > p.Servers {
			field = "preload.transports"
		}
		return errf(field, "%d servers + %d transports would need about %s at ~%d B per entry; the limit is %d entries (about %s)",
			p.Servers, p.Transports, memory(total*PreloadEntryBytes), PreloadEntryBytes, MaxPreloadEntries, memory(MaxPreloadEntries*PreloadEntryBytes))
	}
	if err := (sim.Preload{Servers: p.Servers, Transports: p.Transports, Bind: p.Bind}).Validate(); err != nil {
		return errf("preload", "%v", err)
	}
	return nil
}

// checkRegistrySpec builds the sharded registry with these options at each
// partition count, so the options go through exactly impl.New's
// validation before anything runs. A zero count means the spec's own (or
// impl's default).
func checkRegistrySpec(errf func(path, format string, args ...any) error, rs spec.RegistrySpec, partitions ...int) error {
	if len(partitions) == 0 {
		partitions = []int{0}
	}
	for _, p := range partitions {
		r := rs
		if p > 0 {
			r.Partitions = p
		}
		in, err := registries.New(registries.Sharded, r)
		if err == nil {
			in.Close()
			continue
		}
		field := "registry"
		switch {
		case errors.Is(err, impl.ErrAdmissionFraction):
			field = "registry.admission_fraction"
		case errors.Is(err, impl.ErrReadSampling):
			field = "registry.read_sampling"
		case errors.Is(err, impl.ErrPartitions):
			field = "registry.partitions"
		case errors.Is(err, impl.ErrPartitioner), rs.Partitioner != "" && errors.Is(err, registries.ErrOptions):
			field = "registry.partitioner"
		case errors.Is(err, impl.ErrThresholds):
			switch {
			case rs.ContentionWindow < 0:
				field = "registry.contention_window"
			case rs.AlarmWait < 0:
				field = "registry.alarm_wait"
			case rs.ClearWait < 0:
				field = "registry.clear_wait"
			case rs.MinWindowWrites < 0:
				field = "registry.min_window_writes"
			default:
				field = "registry.clear_wait"
			}
		}
		at := ""
		if p > 0 {
			at = fmt.Sprintf(" (at %d partitions)", p)
		}
		// NewRegistry's message without its own spec prefix.
		msg := err.Error()
		for _, pre := range []string{"registry options: ", "registry.partitioner: "} {
			if i := strings.LastIndex(msg, pre); i >= 0 {
				msg = msg[i+len(pre):]
			}
		}
		return errf(field, "%s%s", msg, at)
	}
	return nil
}

// checkSeries bounds the ticks of a time series over d.
func checkSeries(errf func(path, format string, args ...any) error, d, interval time.Duration) error {
	if interval <= 0 || d <= 0 {
		return nil
	}
	if ticks := d / interval; ticks > MaxSeriesTicks {
		return errf("series_interval", "%v over %v is %d ticks, about %s per point; the limit is %d ticks",
			interval, d, ticks, memory(float64(ticks)*TickBytes), MaxSeriesTicks)
	}
	return nil
}

// ValidateScenarios validates each scenario whole and refuses repeated
// names: the results store keys points by name, so a repeat would be
// measured and then dropped.
func ValidateScenarios(ss []spec.Scenario) error {
	seen := map[string]int{}
	for i := range ss {
		if err := ValidateScenario(&ss[i]); err != nil {
			return err
		}
		if j, dup := seen[ss[i].Name]; dup {
			return fmt.Errorf("%w: scenarios[%d].name: %q repeats scenarios[%d]", ErrSpec, i, ss[i].Name, j)
		}
		seen[ss[i].Name] = i
	}
	if len(ss) > MaxPoints {
		return fmt.Errorf("%w: %d scenarios (the limit is %d)", ErrSpec, len(ss), MaxPoints)
	}
	return nil
}

// repeats returns the first index whose value appeared before, and that
// earlier index, or -1.
func repeats[T comparable](xs []T) (int, int) {
	seen := map[T]int{}
	for i, x := range xs {
		if j, dup := seen[x]; dup {
			return i, j
		}
		seen[x] = i
	}
	return -1, -1
}

// sweepPoints counts a sweep's points without overflowing: the sharded
// registry runs every partition count, peers run once.
func sweepPoints(s *spec.Sweep) float64 {
	perPartitionCount := float64(len(s.Workloads)) * float64(len(s.Workers)+len(s.Connections)) * float64(max(s.Repeat, 1))
	var n float64
	for _, r := range s.Registries {
		if r == registries.Sharded {
			n += float64(len(s.Partitions)) * perPartitionCount
		} else {
			n += perPartitionCount
		}
	}
	return n
}

// needsPreload checks a mix against the preload it will run on.
func needsPreload(errf func(path, format string, args ...any) error, path string, m sim.Mix, p spec.PreloadSpec) error {
	if err := m.NeedsPreload(p.Servers, p.Transports); err != nil {
		return errf(path, "%v", err)
	}
	return nil
}
