package experiments

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/store"
)

// plan is one point to run.
type plan struct {
	id       string
	estimate time.Duration
	run      func(ctx context.Context) (store.Point, error)
}

// pointSeed derives a point's seed from the run's seed and the point's ID,
// so adding or resuming points never changes another point's randomness.
func pointSeed(seed uint64, id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return seed*0x9E3779B97F4A7C15 ^ h.Sum64()
}

func scenarioPlans(sc spec.Scenario, reg string, cfg Config) []plan {
	base := func(mode string) string {
		return fmt.Sprintf("scenario=%s/registry=%s/mode=%s", sc.Name, reg, mode)
	}
	dur := sc.Duration.D()
	if cfg.Quick && sc.QuickDuration > 0 {
		dur = sc.QuickDuration.D()
	}
	mk := func(mode string, est time.Duration, f func(ctx context.Context, seed uint64) (store.Point, error)) plan {
		id := base(mode)
		return plan{id: id, estimate: est + 100*time.Millisecond, run: func(ctx context.Context) (store.Point, error) {
			seed := pointSeed(cfg.Seed, id)
			p, err := f(ctx, seed)
			if err != nil {
				return p, err
			}
			p.ID, p.Scenario, p.Mode, p.Registry, p.Seed, p.Quick = id, sc.Name, mode, reg, seed, cfg.Quick
			if p.Note == "" {
				p.Note = sc.Note
			}
			p.Checks = evaluate(sc.Checks, &p)
			return p, nil
		}}
	}
	switch sc.KindOrDefault() {
	case spec.KindBalance:
		return []plan{mk("balance", 0, func(ctx context.Context, seed uint64) (store.Point, error) { return runBalance(sc, reg) })}
	case spec.KindContention:
		var est time.Duration
		for _, ph := range sc.Phases {
			est += phaseDuration(ph, cfg.Quick)
		}
		return []plan{mk("contention", est, func(ctx context.Context, seed uint64) (store.Point, error) {
			return runContention(ctx, sc, reg, seed, cfg.Quick)
		})}
	case spec.KindConnections:
		if cfg.Quick && sc.Connections.QuickCount > 0 {
			c := *sc.Connections
			c.Count = c.QuickCount
			sc.Connections = &c
		}
		return []plan{mk("connections", dur, func(ctx context.Context, seed uint64) (store.Point, error) {
			return runConnections(ctx, sc, reg, seed, dur)
		})}
	case spec.KindOpen:
		return []plan{mk("open", dur, func(ctx context.Context, seed uint64) (store.Point, error) {
			return runClosed(ctx, sc, reg, seed, 0, dur, true)
		})}
	}
	var ps []plan
	if sc.OpsPerWorker > 0 {
		ps = append(ps, mk("ops", 0, func(ctx context.Context, seed uint64) (store.Point, error) {
			return runClosed(ctx, sc, reg, seed, sc.OpsPerWorker, 0, false)
		}))
	}
	if dur > 0 {
		ps = append(ps, mk("duration", dur, func(ctx context.Context, seed uint64) (store.Point, error) {
			return runClosed(ctx, sc, reg, seed, 0, dur, false)
		}))
	}
	return ps
}

func phaseDuration(ph spec.PhaseSpec, quick bool) time.Duration {
	if quick && ph.QuickDuration > 0 {
		return ph.QuickDuration.D()
	}
	return ph.Duration.D()
}

func sweepPlans(sw *spec.Sweep, cfg Config) []plan {
	reps := max(sw.Repeat, 1)
	var ps []plan
	for _, reg := range sw.Registries {
		parts := sw.Partitions
		if reg != registries.Sharded {
			parts = []int{0}
		}
		for _, np := range parts {
			for _, wl := range sw.Workloads {
				for rep := range reps {
					for _, w := range sw.Workers {
						id := fmt.Sprintf("sweep=%s/registry=%s/partitions=%d/workload=%s/workers=%d/rep=%d", sw.Name, reg, np, wl.Name, w, rep)
						ps = append(ps, sweepPlan(sw, cfg, id, reg, np, wl, rep, w, 0))
					}
					for _, c := range sw.Connections {
						id := fmt.Sprintf("sweep=%s/registry=%s/partitions=%d/workload=%s/connections=%d/rep=%d", sw.Name, reg, np, wl.Name, c, rep)
						ps = append(ps, sweepPlan(sw, cfg, id, reg, np, wl, rep, 0, c))
					}
				}
			}
		}
	}
	return ps
}

func sweepPlan(sw *spec.Sweep, cfg Config, id, reg string, parts int, wl spec.WorkloadSpec, rep, workers, conns int) plan {
	return plan{id: id, estimate: sw.Duration.D() + 100*time.Millisecond, run: func(ctx context.Context) (store.Point, error) {
		seed := pointSeed(cfg.Seed, id)
		rs := sw.Registry
		rs.Partitions = parts
		keys := sw.Keys
		if wl.Keys != nil {
			keys = *wl.Keys
		}
		sc := spec.Scenario{Name: sw.Name, Preload: sw.Preload, Registry: rs, SampleEvery: sw.SampleEvery, SeriesInterval: sw.SeriesInterval}
		var (
			p   store.Point
			err error
		)
		if conns > 0 {
			sc.Kind = spec.KindConnections
			sc.Connections = &spec.ConnSpec{Count: conns, Think: sw.Think, ThinkDist: sw.ThinkDist, Mix: wl.Mix, ServerKeys: keys}
			p, err = runConnections(ctx, sc, reg, seed, sw.Duration.D())
		} else {
			sc.Groups = []spec.GroupSpec{{Name: wl.Name, Workers: workers, Keys: keys}}
			if wl.Mix == nil {
				sc.Groups[0].Workload = wl.Name
			} else {
				sc.Groups[0].Mix = wl.Mix
			}
			p, err = runClosed(ctx, sc, reg, seed, 0, sw.Duration.D(), false)
		}
		if err != nil {
			return p, err
		}
		p.ID, p.Sweep, p.Mode, p.Registry, p.Rep, p.Seed, p.Quick = id, sw.Name, "sweep", reg, rep, seed, cfg.Quick
		p.Workload = wl.Name
		return p, nil
	}}
}
