package experiments

import (
	"context"
	"slices"
	"time"

	"github.com/shardlab/shardlab/internal/hostload"
	"github.com/shardlab/shardlab/store"
)

// ceilingSamples is how many times the driver ceiling is measured per
// run: one measurement on a shared machine swings by an order of
// magnitude, so the results keep every sample and the report quotes
// their range beside the median.
const ceilingSamples = 3

// ceiling is the driver ceiling as measured several times.
type ceiling struct {
	median    float64
	samples   []float64
	timerCost time.Duration
	// maxNs is the largest latency the driver recorded against a
	// registry that does nothing: the driver's and scheduler's own worst
	// case, to set beside a registry's maximum.
	maxNs int64
}

// measureCeiling measures the driver's ceiling ceilingSamples times,
// d/ceilingSamples each.
func measureCeiling(ctx context.Context, d time.Duration, seed uint64) (ceiling, error) {
	var c ceiling
	for i := range ceilingSamples {
		r, err := driverCeiling(ctx, d/ceilingSamples, seed+uint64(i))
		if err != nil {
			return c, err
		}
		c.samples = append(c.samples, r.Throughput)
		c.timerCost = r.TimerCost
		if h := r.Latency(); h != nil {
			c.maxNs = max(c.maxNs, h.Max())
		}
	}
	s := slices.Clone(c.samples)
	slices.Sort(s)
	c.median = s[len(s)/2]
	return c, nil
}

// withNoise runs one point and records how busy the machine was while it
// ran (hostload: load averages, other processes' CPU, steal, the Go
// scheduler's wait and GC pauses). Where the kernel reports nothing the
// point carries no noise record, and the report says the load is
// unknown.
func withNoise(run func() (store.Point, error)) (store.Point, error) {
	before, berr := hostload.Read()
	pt, err := run()
	if err != nil || berr != nil {
		return pt, err
	}
	after, aerr := hostload.Read()
	if aerr == nil {
		n := hostload.Between(before, after)
		pt.Noise = &n
	}
	return pt, nil
}
