package experiments

import (
	"fmt"
	"os"
	"strings"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/sim"
)

func sweepErr(path, format string, args ...any) error {
	return fmt.Errorf("%w: sweep.%s: %s", ErrSpec, path, fmt.Sprintf(format, args...))
}

// ValidateSweep checks every field of s and names the first bad one.
func ValidateSweep(s *spec.Sweep) error {
	if s.Name == "" || strings.ContainsAny(s.Name, "/ \t\n,") {
		return sweepErr("name", "%q (want a non-empty name without spaces, commas or slashes)", s.Name)
	}
	if len(s.Registries) == 0 {
		return sweepErr("registries", "empty")
	}
	for i, r := range s.Registries {
		if _, err := registries.Lookup(r); err != nil {
			return fmt.Errorf("sweep.registries[%d]: %w", i, err)
		}
	}
	if len(s.Partitions) == 0 {
		return sweepErr("partitions", "empty (give at least one count, e.g. [64])")
	}
	for i, p := range s.Partitions {
		if p < 1 || p > partition.MaxPartitions {
			return sweepErr(fmt.Sprintf("partitions[%d]", i), "%d (want 1..%d)", p, partition.MaxPartitions)
		}
	}
	if len(s.Workers)+len(s.Connections) == 0 {
		return sweepErr("workers", "give workers, connections or both")
	}
	for i, w := range s.Workers {
		if w < 1 || w > sim.MaxWorkers {
			return sweepErr(fmt.Sprintf("workers[%d]", i), "%d (want 1..%d)", w, sim.MaxWorkers)
		}
	}
	for i, c := range s.Connections {
		if c < 1 || c > sim.MaxWorkers {
			return sweepErr(fmt.Sprintf("connections[%d]", i), "%d (want 1..%d)", c, sim.MaxWorkers)
		}
	}
	if len(s.Connections) > 0 && s.Preload.Servers == 0 {
		return sweepErr("preload.servers", "connections need preloaded servers")
	}
	if s.ThinkDist != "" && s.ThinkDist != sim.ThinkFixed && s.ThinkDist != sim.ThinkExponential {
		return sweepErr("think_dist", "%q (want fixed or exp)", s.ThinkDist)
	}
	if s.Think < 0 {
		return sweepErr("think", "negative")
	}
	if len(s.Workloads) == 0 {
		return sweepErr("workloads", "empty")
	}
	for i, w := range s.Workloads {
		p := fmt.Sprintf("workloads[%d]", i)
		if w.Name == "" {
			return sweepErr(p+".name", "empty")
		}
		wl := ""
		if w.Mix == nil {
			wl = w.Name
		}
		if _, err := resolveMix("sweep", p, wl, w.Mix); err != nil {
			return err
		}
		if w.Keys != nil {
			if _, err := sim.NewKeyGen(simKeys(*w.Keys), 1); err != nil {
				return sweepErr(p+".keys", "%v", err)
			}
		}
	}
	if _, err := sim.NewKeyGen(simKeys(s.Keys), 1); err != nil {
		return sweepErr("keys", "%v", err)
	}
	if s.Preload.Servers < 0 || s.Preload.Transports < 0 {
		return sweepErr("preload", "negative counts")
	}
	if s.Duration <= 0 {
		return sweepErr("duration", "%v (want > 0)", s.Duration.D())
	}
	if s.Repeat < 0 || s.SampleEvery < 0 || s.SeriesInterval < 0 {
		return sweepErr("repeat", "repeat %d, sample_every %d, series_interval %v must not be negative", s.Repeat, s.SampleEvery, s.SeriesInterval.D())
	}
	return nil
}

// LoadSweep reads and validates a sweep spec file.
func LoadSweep(path string) (*spec.Sweep, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	var s spec.Sweep
	if err := decodeStrict(path, data, &s); err != nil {
		return nil, err
	}
	if err := ValidateSweep(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// ResolveSweep returns the built-in sweep of that name, or loads the file
// at that path.
func ResolveSweep(nameOrPath string) (*spec.Sweep, error) {
	if s, ok := BuiltinSweeps()[nameOrPath]; ok {
		return &s, nil
	}
	if _, err := os.Stat(nameOrPath); err != nil {
		return nil, fmt.Errorf("%w %q: not a built-in (%s) and not a readable file", ErrUnknownSweep, nameOrPath, strings.Join(BuiltinSweepNames(), ", "))
	}
	return LoadSweep(nameOrPath)
}
