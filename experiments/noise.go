package experiments

import (
	"context"
	"slices"
	"time"

	"github.com/shardlab/shardlab/internal/hostload"
)

// ceilingSamples is how many times the driver ceiling is measured per
// run: one measurement on a shared machine swings by an order of
// magnitude, so the results keep every sample and the report quotes
// their range beside the median.
const ceilingSamples = 3

// measureCeiling measures the driver's ceiling ceilingSamples times,
// d/ceilingSamples each, and returns the median, every sample and the
// timer cost of the last.
func measureCeiling(ctx context.Context, d time.Duration, seed uint64) (median float64, samples []float64, timerCost time.Duration, err error) {
	for i := range ceilingSamples {
		r, err := DriverCeiling(ctx, d/ceilingSamples, seed+uint64(i))
		if err != nil {
			return 0, nil, 0, err
		}
		samples = append(samples, r.Throughput)
		timerCost = r.TimerCost
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return s[len(s)/2], samples, timerCost, nil
}

// withNoise runs one point and records how busy the machine was while it
// ran (hostload: load averages, other processes' CPU, steal, the Go
// scheduler's wait and GC pauses). Where the kernel reports nothing the
// point carries no noise record, and the report says the load is
// unknown.
func withNoise(run func() (Point, error)) (Point, error) {
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
