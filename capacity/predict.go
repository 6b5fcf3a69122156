package capacity

import (
	"fmt"
	"slices"

	"github.com/shardlab/shardlab/analysis"
)

// DefaultReplicates is how many simulated runs a Prediction combines.
const DefaultReplicates = 5

// Prediction is the model's answer for one Config over replicates: run i
// uses seed Seed+i and scales every service time by the calibration's
// repetition i (its level relative to the median), so the intervals carry
// both the simulation's noise and the calibration's.
type Prediction struct {
	Cores, Partitions int
	Replicates        int
	Offered           float64 // ops/s asked for (0 for a closed loop)
	// Throughput in ops/s; latencies in ns; utilisations in [0, 1].
	Throughput, P50, P99, P999 Estimate
	LockWaitP99                Estimate
	CoreUtilisation            Estimate
	HottestLockUtilisation     Estimate
	HottestKeyUtilisation      Estimate
	HottestPartition           int // in the first replicate
	Writes                     int64
	Level                      float64
}

// Predict runs cfg's model over replicates (DefaultReplicates if 0).
func Predict(cfg Config, replicates int) (Prediction, error) {
	if replicates == 0 {
		replicates = DefaultReplicates
	}
	if replicates < 1 || replicates > 1000 {
		return Prediction{}, fmt.Errorf("%w: replicates %d (want 1..1000)", ErrConfig, replicates)
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return Prediction{}, err
	}
	scales := c.Calibration.repScales()
	var xs, p50, p99, p999, lw, cu, hl, hk []float64
	p := Prediction{Cores: c.Cores, Partitions: c.Partitions, Replicates: replicates, Level: 0.95}
	for i := range replicates {
		rc := c
		rc.Seed = c.Seed + uint64(i)
		rc.Scale = c.Scale * scales[i%len(scales)]
		r, err := Simulate(rc)
		if err != nil {
			return Prediction{}, err
		}
		if i == 0 {
			p.Offered, p.HottestPartition, p.Writes = r.Offered, r.HottestPartition, r.Writes
		}
		xs = append(xs, r.Throughput)
		p50 = append(p50, float64(r.Latency.P50))
		p99 = append(p99, float64(r.Latency.P99))
		p999 = append(p999, float64(r.Latency.P999))
		lw = append(lw, float64(r.LockWait.P99))
		cu = append(cu, r.CoreUtilisation)
		hl = append(hl, r.HottestLockUtilisation)
		hk = append(hk, r.HottestKeyUtilisation)
	}
	p.Throughput, p.P50, p.P99, p.P999 = estimate(xs, p.Level), estimate(p50, p.Level), estimate(p99, p.Level), estimate(p999, p.Level)
	p.LockWaitP99, p.CoreUtilisation = estimate(lw, p.Level), estimate(cu, p.Level)
	p.HottestLockUtilisation, p.HottestKeyUtilisation = estimate(hl, p.Level), estimate(hk, p.Level)
	return p, nil
}

// repScales is each calibration repetition's mean service time relative
// to the median's, averaged over kinds: 1 for every repetition when the
// calibration holds one.
func (c *Calibration) repScales() []float64 {
	n := 0
	for _, k := range c.Kinds {
		n = max(n, len(k.ServiceMean.Reps))
	}
	if n == 0 {
		return []float64{1}
	}
	scales := make([]float64, n)
	for i := range n {
		sum, cnt := 0.0, 0
		for _, k := range c.Kinds {
			if i < len(k.ServiceMean.Reps) && k.ServiceMean.Median > 0 {
				sum += k.ServiceMean.Reps[i] / k.ServiceMean.Median
				cnt++
			}
		}
		scales[i] = 1
		if cnt > 0 {
			scales[i] = sum / float64(cnt)
		}
	}
	return scales
}

// estimate is the median of xs with a Student-t interval of the mean at
// level (the value itself when there is one sample or no spread).
func estimate(xs []float64, level float64) Estimate {
	e := Estimate{Reps: slices.Clone(xs)}
	e.Median, _ = analysis.Median(xs)
	e.Low, e.High = e.Median, e.Median
	if iv, err := analysis.MeanCI(xs, level); err == nil {
		e.Low, e.High = min(iv.Low, e.Median), max(iv.High, e.Median)
	}
	// Quantities that cannot be negative (times, rates, shares) keep a
	// non-negative interval.
	if slices.Min(xs) >= 0 {
		e.Low = max(e.Low, 0)
	}
	return e
}

// NewEstimate returns the estimate of xs: its median and a Student-t
// interval of the mean at level 0.95, widened to include the median and,
// when no x is negative, clipped at 0.
func NewEstimate(xs []float64) Estimate { return estimate(xs, 0.95) }
