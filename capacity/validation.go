package capacity

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/internal/atomicfile"
)

// ValidationSchema names the validation file's format.
const ValidationSchema = "shardlab.validation/v1"

// Aims the report holds the model to where workers <= cores; every cell's
// error is printed whatever it reaches.
const (
	AimThroughput = 0.15
	AimP99        = 0.30
)

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
	Host        Host             `json:"host"`
	Created     time.Time        `json:"created"`
	Duration    time.Duration    `json:"duration_ns"`
	Reps        int              `json:"reps"`
	Calibration string           `json:"calibration_created"`
	Cells       []ValidationCell `json:"cells"`
}

// LoadValidation reads a validation file written by Save.
func LoadValidation(path string) (*Validation, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v Validation
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, path, err)
	}
	if v.Schema != ValidationSchema {
		return nil, fmt.Errorf("%w: %s: schema %q, this shardlab reads %q", ErrSchema, path, v.Schema, ValidationSchema)
	}
	return &v, nil
}

func median(xs []float64) float64 {
	m, _ := analysis.Median(xs)
	return m
}

// Save writes v as JSON, atomically.
func (v *Validation) Save(path string) error {
	return atomicfile.WriteJSON(path, v)
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

func pct(e float64) string {
	if math.IsNaN(e) {
		return "n/a"
	}
	return fmt.Sprintf("%+.0f%%", 100*e)
}
