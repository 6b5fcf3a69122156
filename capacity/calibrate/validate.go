package calibrate

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// Aims the report holds the model to where workers <= cores (see
// capacity.AimThroughput, capacity.AimP99).
const (
	AimThroughput = capacity.AimThroughput
	AimP99        = capacity.AimP99
)

// Workload is one validated mix.
type Workload struct {
	Name string                   `json:"name"`
	Mix  map[model.OpKind]float64 `json:"-"`
	Keys sim.Keys                 `json:"keys"`
}

// DefaultWorkloads: a read-mostly mix, the seed's sustained mix, and a
// write-heavy zipfian one where the partition count matters.
func DefaultWorkloads() []Workload {
	return []Workload{
		{Name: "lookup", Mix: map[model.OpKind]float64{model.OpFindServer: 90, model.OpRouteToServer: 10}},
		{Name: "sustained", Mix: map[model.OpKind]float64{model.OpFindServer: 40, model.OpRouteToServer: 30, model.OpRegisterServer: 20, model.OpBind: 10}},
		{Name: "writes-zipf", Mix: map[model.OpKind]float64{model.OpBind: 60, model.OpUnbind: 20, model.OpFindServer: 20}, Keys: sim.Keys{Dist: sim.DistZipfian}},
	}
}

// ValidateConfig configures Validate. Zero fields take defaults.
type ValidateConfig struct {
	Calibration *capacity.Calibration
	// Procs are the GOMAXPROCS values measured (default 1 and 2, those
	// this machine has); Oversubscribe the workers per core of the
	// oversubscribed runs (default 8); Partitions default 1,4,16,64,256.
	Procs         []int
	Oversubscribe int
	Partitions    []int
	Workloads     []Workload
	// Duration of each measured run and Reps of them (median taken);
	// ModelOps and Replicates for each prediction.
	Duration   time.Duration
	Reps       int
	ModelOps   int64
	Replicates int
	Quick      bool
	Seed       uint64
	Progress   io.Writer
}

func (c ValidateConfig) withDefaults() (ValidateConfig, error) {
	if c.Calibration == nil {
		return c, fmt.Errorf("%w: --calibration: none", capacity.ErrConfig)
	}
	if c.Procs == nil {
		for _, p := range []int{1, 2} {
			if p <= runtime.NumCPU() {
				c.Procs = append(c.Procs, p)
			}
		}
	}
	for _, p := range c.Procs {
		if p < 1 || p > runtime.NumCPU() {
			return c, fmt.Errorf("%w: --procs %d (want 1..%d, the cores here)", capacity.ErrConfig, p, runtime.NumCPU())
		}
	}
	if c.Oversubscribe == 0 {
		c.Oversubscribe = 8
	}
	if c.Oversubscribe < 2 || c.Oversubscribe > 1000 {
		return c, fmt.Errorf("%w: --oversubscribe %d (want 2..1000 workers per core)", capacity.ErrConfig, c.Oversubscribe)
	}
	if c.Partitions == nil {
		c.Partitions = []int{1, 4, 16, 64, 256}
	}
	for _, p := range c.Partitions {
		if p < 1 || p > 4096 {
			return c, fmt.Errorf("%w: --partitions %d (want 1..4096)", capacity.ErrConfig, p)
		}
	}
	if c.Workloads == nil {
		c.Workloads = DefaultWorkloads()
	}
	if c.Duration == 0 {
		c.Duration = 300 * time.Millisecond
		if c.Quick {
			c.Duration = 50 * time.Millisecond
		}
	}
	if c.Duration < 10*time.Millisecond || c.Duration > time.Minute {
		return c, fmt.Errorf("%w: --duration %v (want 10ms..1m)", capacity.ErrConfig, c.Duration)
	}
	if c.Reps == 0 {
		c.Reps = 3
		if c.Quick {
			c.Reps = 1
		}
	}
	if c.Reps < 1 || c.Reps > 100 {
		return c, fmt.Errorf("%w: --reps %d (want 1..100)", capacity.ErrConfig, c.Reps)
	}
	if c.ModelOps == 0 {
		c.ModelOps = 100_000
		if c.Quick {
			c.ModelOps = 30_000
		}
	}
	if c.Replicates == 0 {
		c.Replicates = 3
		if c.Quick {
			c.Replicates = 1
		}
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c, nil
}

// Validate measures the real registry and predicts it with the model, cell
// by cell: every GOMAXPROCS in Procs, with workers = cores and workers =
// Oversubscribe x cores, every workload and partition count. Measured
// runs are closed loops timing every op (as the calibration did), with
// admission control off; the figures are the median over Reps.
func Validate(ctx context.Context, cfg ValidateConfig) (*capacity.Validation, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	v := &capacity.Validation{Schema: capacity.ValidationSchema, Host: DetectHost(), Created: time.Now().UTC(), Duration: c.Duration, Reps: c.Reps,
		Calibration: c.Calibration.Created.Format(time.RFC3339)}
	for _, procs := range c.Procs {
		for _, workers := range []int{procs, procs * c.Oversubscribe} {
			for _, w := range c.Workloads {
				mix, err := sim.NewMix(w.Mix)
				if err != nil {
					return nil, fmt.Errorf("%w: workload %s: %w", capacity.ErrConfig, w.Name, err)
				}
				for _, p := range c.Partitions {
					cell := capacity.ValidationCell{Procs: procs, Workers: workers, Partitions: p, Workload: w.Name}
					var xs, p50s, p99s, pars, percpu []float64
					for rep := range c.Reps {
						res, ls, err := measure(ctx, runSpec{procs: procs, workers: workers, partitions: p, mix: w.Mix, keys: w.Keys,
							duration: c.Duration, seed: c.Seed + uint64(rep), maxLive: sim.DefaultMaxLivePerWorker})
						if err != nil {
							return nil, err
						}
						h, err := analysis.MergeHistograms(histograms(res)...)
						if err != nil {
							return nil, err
						}
						xs = append(xs, res.Throughput)
						p50s = append(p50s, float64(h.ValueAtQuantile(50)))
						p99s = append(p99s, float64(h.ValueAtQuantile(99)))
						pars = append(pars, ls.parallelism(res))
						percpu = append(percpu, float64(res.Ops)/ls.cpu.Seconds())
					}
					cell.Measured = capacity.Figures{Throughput: median(xs), P50: median(p50s), P99: median(p99s)}
					cell.Parallelism = median(pars)
					pred, err := capacity.Predict(capacity.Config{Calibration: c.Calibration, Cores: procs, Partitions: p, Workers: workers,
						Mix: mix, Keys: w.Keys, Ops: c.ModelOps, Seed: c.Seed}, c.Replicates)
					if err != nil {
						return nil, err
					}
					cell.Predicted = capacity.Figures{Throughput: pred.Throughput.Median, P50: pred.P50.Median, P99: pred.P99.Median}
					cell.Error = capacity.Figures{
						Throughput: relErr(cell.Predicted.Throughput, cell.Measured.Throughput),
						P50:        relErr(cell.Predicted.P50, cell.Measured.P50),
						P99:        relErr(cell.Predicted.P99, cell.Measured.P99),
					}
					if busy := pred.CoreUtilisation.Median * float64(procs); busy > 0 {
						cell.PerCPUError = relErr(pred.Throughput.Median/busy, median(percpu))
					}
					v.Cells = append(v.Cells, cell)
					fmt.Fprintf(c.Progress, "validate: procs %d workers %3d %-11s P=%-3d  X %+6.0f %% (per cpu %+4.0f %%)  p50 %+6.0f %%  p99 %+6.0f %%  (cpu/wall %.2f)\n",
						procs, workers, w.Name, p, 100*cell.Error.Throughput, 100*cell.PerCPUError, 100*cell.Error.P50, 100*cell.Error.P99, cell.Parallelism)
				}
			}
		}
	}
	return v, nil
}

func mergeKinds(res *sim.Result) (*hdrhistogram.Histogram, error) {
	return analysis.MergeHistograms(histograms(res)...)
}

func histograms(res *sim.Result) []*hdrhistogram.Histogram {
	var hs []*hdrhistogram.Histogram
	for _, k := range res.Kinds {
		if k.Latency != nil {
			hs = append(hs, k.Latency)
		}
	}
	return hs
}

func median(xs []float64) float64 {
	m, _ := analysis.Median(xs)
	return m
}

func relErr(pred, meas float64) float64 {
	if meas == 0 {
		return math.NaN()
	}
	return (pred - meas) / meas
}
