package calibrate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/internal/atomicfile"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// ValidationSchema names the validation file's format.
const ValidationSchema = "shardlab.validation/v1"

// Aims the report holds the model to where workers <= cores; every cell's
// error is printed whatever it reaches.
const (
	AimThroughput = 0.15
	AimP99        = 0.30
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

// Figures are throughput (ops/s) and latency (ns) of one cell.
type Figures struct {
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50_ns"`
	P99        float64 `json:"p99_ns"`
}

// ValidationCell is one configuration, predicted and measured.
type ValidationCell struct {
	Procs      int     `json:"gomaxprocs"`
	Workers    int     `json:"workers"`
	Partitions int     `json:"partitions"`
	Workload   string  `json:"workload"`
	Predicted  Figures `json:"predicted"`
	Measured   Figures `json:"measured"`
	// Error is (predicted - measured) / measured per figure.
	Error Figures `json:"relative_error"`
	// Parallelism is the measured runs' CPU time over wall time: how many
	// cores the process really had (on a shared machine, fewer than Procs).
	Parallelism float64 `json:"parallelism"`
	// PerCPUError compares throughput per CPU-second: the model's
	// throughput over its busy cores against the measured ops over the
	// process's CPU time. It prices the ops without the cores other
	// processes took; the wall-clock error above does not.
	PerCPUError float64 `json:"per_cpu_throughput_error"`
}

// Oversubscribed reports whether the cell ran more workers than cores.
func (c ValidationCell) Oversubscribed() bool { return c.Workers > c.Procs }

// Validation is Validate's result.
type Validation struct {
	Schema      string           `json:"schema"`
	Host        capacity.Host    `json:"host"`
	Created     time.Time        `json:"created"`
	Duration    time.Duration    `json:"duration_ns"`
	Reps        int              `json:"reps"`
	Calibration string           `json:"calibration_created"`
	Cells       []ValidationCell `json:"cells"`
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
func Validate(ctx context.Context, cfg ValidateConfig) (*Validation, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	v := &Validation{Schema: ValidationSchema, Host: DetectHost(), Created: time.Now().UTC(), Duration: c.Duration, Reps: c.Reps,
		Calibration: c.Calibration.Created.Format(time.RFC3339)}
	for _, procs := range c.Procs {
		for _, workers := range []int{procs, procs * c.Oversubscribe} {
			for _, w := range c.Workloads {
				mix, err := sim.NewMix(w.Mix)
				if err != nil {
					return nil, fmt.Errorf("%w: workload %s: %w", capacity.ErrConfig, w.Name, err)
				}
				for _, p := range c.Partitions {
					cell := ValidationCell{Procs: procs, Workers: workers, Partitions: p, Workload: w.Name}
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
					cell.Measured = Figures{Throughput: median(xs), P50: median(p50s), P99: median(p99s)}
					cell.Parallelism = median(pars)
					pred, err := capacity.Predict(capacity.Config{Calibration: c.Calibration, Cores: procs, Partitions: p, Workers: workers,
						Mix: mix, Keys: w.Keys, Ops: c.ModelOps, Seed: c.Seed}, c.Replicates)
					if err != nil {
						return nil, err
					}
					cell.Predicted = Figures{Throughput: pred.Throughput.Median, P50: pred.P50.Median, P99: pred.P99.Median}
					cell.Error = Figures{
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

// Save writes v as JSON, atomically.
func (v *Validation) Save(path string) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'))
}

// Summary is the median absolute relative error per figure over a set of
// cells, and how many of them meet the aims.
type Summary struct {
	Cells                int
	Throughput, P50, P99 float64 // median |error|
	PerCPU               float64 // median |per-CPU throughput error|
	WithinAim            int     // |throughput error| <= AimThroughput and |p99 error| <= AimP99
	WithinAimPerCPU      int     // the same with the per-CPU throughput error
}

// Summarize splits the cells into workers <= cores and oversubscribed.
func (v *Validation) Summarize() (fit, over Summary) {
	var fx, fp50, fp99, fpc, ox, op50, op99, opc []float64
	for _, c := range v.Cells {
		s, x, p50, p99, pc := &fit, &fx, &fp50, &fp99, &fpc
		if c.Oversubscribed() {
			s, x, p50, p99, pc = &over, &ox, &op50, &op99, &opc
		}
		s.Cells++
		*pc = append(*pc, math.Abs(c.PerCPUError))
		if math.Abs(c.PerCPUError) <= AimThroughput && math.Abs(c.Error.P99) <= AimP99 {
			s.WithinAimPerCPU++
		}
		*x = append(*x, math.Abs(c.Error.Throughput))
		*p50 = append(*p50, math.Abs(c.Error.P50))
		*p99 = append(*p99, math.Abs(c.Error.P99))
		if math.Abs(c.Error.Throughput) <= AimThroughput && math.Abs(c.Error.P99) <= AimP99 {
			s.WithinAim++
		}
	}
	fit.Throughput, fit.P50, fit.P99, fit.PerCPU = median(fx), median(fp50), median(fp99), median(fpc)
	over.Throughput, over.P50, over.P99, over.PerCPU = median(ox), median(op50), median(op99), median(opc)
	return fit, over
}

// Table renders every cell: predicted, measured and the relative error for
// throughput, p50 and p99, then the summary.
func (v *Validation) Table() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "procs\tworkers\tworkload\tpartitions\tX pred\tX meas\tX err\tX/cpu err\tp50 pred\tp50 meas\tp50 err\tp99 pred\tp99 meas\tp99 err\tcpu/wall\t")
	cells := slices.Clone(v.Cells)
	for _, c := range cells {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t\n",
			c.Procs, c.Workers, c.Workload, c.Partitions,
			rate(c.Predicted.Throughput), rate(c.Measured.Throughput), pct(c.Error.Throughput), pct(c.PerCPUError),
			dur(c.Predicted.P50), dur(c.Measured.P50), pct(c.Error.P50),
			dur(c.Predicted.P99), dur(c.Measured.P99), pct(c.Error.P99), c.Parallelism)
	}
	tw.Flush()
	fit, over := v.Summarize()
	for _, x := range []struct {
		name string
		s    Summary
	}{{"workers <= cores", fit}, {"oversubscribed", over}} {
		fmt.Fprintf(&b, "\n%s: %d cells; median |error| throughput %.0f %% (per CPU-second %.0f %%), p50 %.0f %%, p99 %.0f %%; within the aims (throughput ±%.0f %%, p99 ±%.0f %%): %d of %d, %d of %d on per-CPU throughput",
			x.name, x.s.Cells, 100*x.s.Throughput, 100*x.s.PerCPU, 100*x.s.P50, 100*x.s.P99, 100*AimThroughput, 100*AimP99, x.s.WithinAim, x.s.Cells, x.s.WithinAimPerCPU, x.s.Cells)
	}
	fmt.Fprintf(&b, "\n\ncpu/wall is the CPU time the measured process got per wall-clock second. Below GOMAXPROCS other processes had the cores: the wall-clock throughput then falls short of the model by that share, and X/cpu err (throughput per CPU-second, model over its busy cores) is the fair comparison.\n")
	return b.String()
}

func rate(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.0fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.1fms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1fµs", ns/1e3)
	}
	return fmt.Sprintf("%.0fns", ns)
}

func pct(e float64) string {
	if math.IsNaN(e) {
		return "n/a"
	}
	return fmt.Sprintf("%+.0f%%", 100*e)
}
