package experiments

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/store"
)

// QuickSweepPoint is how long each point of a sweep trimmed by QuickSweep
// runs.
const QuickSweepPoint = 100 * time.Millisecond

// QuickSweep trims any sweep to a smoke test: QuickSweepPoint per point,
// one repetition.
func QuickSweep(sw spec.Sweep) spec.Sweep {
	sw.Duration, sw.Repeat = spec.Duration(QuickSweepPoint), 1
	return sw
}

// validate checks what Config adds to a spec: the partition override.
func (c *Config) validate() error {
	if c.Partitions < 0 || c.Partitions > partition.MaxPartitions {
		return fmt.Errorf("%w: partitions %d: want 0 (the spec's own) or 1..%d", ErrSpec, c.Partitions, partition.MaxPartitions)
	}
	return nil
}

// RunDir is where `shardlab run` writes by default:
// results/run-SCENARIOS-REGISTRIES-seedN[-quick][-pP]; selection is the
// scenario argument (names, "all" or a spec file, named by its base name).
func RunDir(selection, registryList string, seed uint64, quick bool, partitions int) string {
	name := selection
	if strings.HasSuffix(name, ".json") {
		name = strings.TrimSuffix(filepath.Base(name), ".json")
	}
	dir := fmt.Sprintf("run-%s-%s-seed%d", PathSafe(name), PathSafe(registryList), seed)
	if quick {
		dir += "-quick"
	}
	if partitions > 0 {
		dir += fmt.Sprintf("-p%d", partitions)
	}
	return filepath.Join("results", dir)
}

// SweepDir is where `shardlab sweep` writes by default:
// results/sweep-NAME-seedN[-quick].
func SweepDir(name string, seed uint64, quick bool) string {
	dir := fmt.Sprintf("sweep-%s-seed%d", PathSafe(name), seed)
	if quick {
		dir += "-quick"
	}
	return filepath.Join("results", dir)
}

// PathSafe makes s usable in a folder name: letters, digits, '_' and '-'
// stay, ',' becomes '+', anything else '_'.
func PathSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		case r == ',':
			return '+'
		}
		return '_'
	}, s)
}

// FirstFailure is the first check that failed in res, in point order.
func FirstFailure(res *store.Results) (store.Point, store.CheckResult, bool) {
	for _, p := range res.Points {
		for _, ch := range p.Checks {
			if !ch.Pass {
				return p, ch, true
			}
		}
	}
	return store.Point{}, store.CheckResult{}, false
}
