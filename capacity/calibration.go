package capacity

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shardlab/shardlab/internal/atomicfile"
	"github.com/shardlab/shardlab/model"
)

// CalibrationSchema names the calibration file's format. A file with
// another schema is refused (ErrSchema): its fields may mean other things.
const CalibrationSchema = "shardlab.calibration/v1"

// Sentinel errors, wrapped with the offending field or value.
var (
	ErrConfig    = errors.New("capacity: invalid configuration")
	ErrSchema    = errors.New("capacity: calibration schema not understood")
	ErrOtherHost = errors.New("capacity: calibration is from another machine kind")
	ErrNotKind   = errors.New("capacity: operation kind not modelled")
)

// Host is the machine a calibration was measured on. Its Kind (CPU model,
// OS, architecture) decides whether a calibration applies elsewhere; the
// rest is recorded for the reader.
type Host struct {
	Hostname  string `json:"hostname"`
	CPUModel  string `json:"cpu_model"`
	NumCPU    int    `json:"num_cpu"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	GoVersion string `json:"go_version"`
}

// Kind is what must match for per-operation costs to carry over: the CPU
// model, OS and architecture (not the core count: the model scales cores).
func (h Host) Kind() string { return h.CPUModel + " / " + h.OS + "/" + h.Arch }

// Estimate is a quantity measured in several repetitions: the median of
// Reps and an interval around it (Low..High, a Student-t interval of the
// mean at Level, clipped to what the repetitions can support).
type Estimate struct {
	Median float64   `json:"median"`
	Low    float64   `json:"low"`
	High   float64   `json:"high"`
	Reps   []float64 `json:"reps"`
}

// Overlaps reports whether two estimates' intervals share a point.
func (e Estimate) Overlaps(o Estimate) bool { return e.Low <= o.High && o.Low <= e.High }

func (e Estimate) validate(what string) error {
	for _, v := range append([]float64{e.Median, e.Low, e.High}, e.Reps...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s: %v is not finite", ErrConfig, what, v)
		}
	}
	if e.Low > e.High {
		return fmt.Errorf("%w: %s: interval [%v, %v] inverted", ErrConfig, what, e.Low, e.High)
	}
	return nil
}

// KindCost is what one operation kind costs on the calibrated machine.
type KindCost struct {
	Kind string `json:"kind"` // model.OpKind's name
	// Service is the distribution of the op's CPU time as the drivers time
	// it (the call plus one pair of clock reads), from runs with one worker
	// on one core where nothing waits; ServiceMean is its mean per
	// repetition.
	Service     Demand   `json:"service"`
	ServiceMean Estimate `json:"service_mean_ns"`
	// Overhead is the driver's CPU per op outside the timed call (choosing
	// the op, its key, the loop): cycle time minus mean service time.
	Overhead Estimate `json:"overhead_ns"`
	// HoldFraction (writes) is the share of Service during which the
	// op holds its partition lock(s); the rest runs before it locks.
	HoldFraction Estimate `json:"hold_fraction,omitempty"`
}

// Calibration is everything the model needs to know about a machine.
type Calibration struct {
	Schema  string    `json:"schema"`
	Host    Host      `json:"host"`
	Created time.Time `json:"created"`
	// Reps is how many repetitions each Estimate holds; Level the
	// confidence level of their intervals.
	Reps  int        `json:"reps"`
	Level float64    `json:"level"`
	Kinds []KindCost `json:"kinds"`
	// Handoff is the extra time a contended lock takes to pass to its next
	// waiter (the waiter's wake-up), in ns: fitted so that the model
	// reproduces two writers on one partition.
	Handoff Estimate `json:"handoff_ns"`
	// Spin is how long a writer that finds its lock held spins before it
	// parks (Go's sync.Mutex spins when another core may be running the
	// holder and nothing else waits for its own), ns.
	Spin Estimate `json:"spin_ns"`
	// Timer is the cost of one latency measurement (two clock reads), ns;
	// it is inside every measured Service.
	Timer Estimate `json:"timer_ns"`
	// Wake is the CPU a connection spends per op to sleep through its
	// think time and be woken (the runtime's timer and scheduler), ns.
	Wake Estimate `json:"wake_ns"`
	// Notes say how each figure was obtained and what could not be
	// measured here (e.g. hand-off on one core).
	Notes []string `json:"notes,omitempty"`
}

// Cost returns k's cost, or ErrNotKind.
func (c *Calibration) Cost(k model.OpKind) (*KindCost, error) {
	for i := range c.Kinds {
		if c.Kinds[i].Kind == k.String() {
			return &c.Kinds[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %s (the calibration covers %s)", ErrNotKind, k, c.kindNames())
}

func (c *Calibration) kindNames() string {
	names := make([]string, len(c.Kinds))
	for i, k := range c.Kinds {
		names[i] = k.Kind
	}
	slices.Sort(names)
	return fmt.Sprint(names)
}

// Validate checks the schema and every figure.
func (c *Calibration) Validate() error {
	if c.Schema != CalibrationSchema {
		return fmt.Errorf("%w: schema %q, this shardlab reads %q (run shardlab calibrate again)", ErrSchema, c.Schema, CalibrationSchema)
	}
	if len(c.Kinds) == 0 {
		return fmt.Errorf("%w: calibration has no operation kinds", ErrConfig)
	}
	for _, k := range c.Kinds {
		kind, err := model.ParseOpKind(k.Kind)
		if err != nil {
			return fmt.Errorf("%w: kinds: %w", ErrConfig, err)
		}
		if _, ok := ruleOf(kind); !ok {
			return fmt.Errorf("%w: kinds: %s", ErrNotKind, kind)
		}
		if err := k.Service.Validate(k.Kind + ".service"); err != nil {
			return err
		}
		for what, e := range map[string]Estimate{"service_mean_ns": k.ServiceMean, "overhead_ns": k.Overhead, "hold_fraction": k.HoldFraction} {
			if err := e.validate(k.Kind + "." + what); err != nil {
				return err
			}
		}
		if f := k.HoldFraction.Median; f < 0 || f > 1 {
			return fmt.Errorf("%w: %s.hold_fraction %v outside [0, 1]", ErrConfig, k.Kind, f)
		}
	}
	for what, e := range map[string]Estimate{"handoff_ns": c.Handoff, "spin_ns": c.Spin, "timer_ns": c.Timer, "wake_ns": c.Wake} {
		if err := e.validate(what); err != nil {
			return err
		}
	}
	return nil
}

// CheckHost refuses a calibration measured on another machine kind unless
// allowOther is set; the error names both kinds.
func (c *Calibration) CheckHost(here Host, allowOther bool) error {
	if allowOther || c.Host.Kind() == here.Kind() {
		return nil
	}
	return fmt.Errorf("%w: it was measured on %q, this is %q (calibrate here, or pass --allow-other-host to use it anyway)", ErrOtherHost, c.Host.Kind(), here.Kind())
}

// Save writes c as indented JSON, atomically.
func (c *Calibration) Save(path string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return atomicfile.WriteJSON(path, c)
}

// LoadCalibration reads and validates a calibration file and checks it
// against here (see CheckHost).
func LoadCalibration(path string, here Host, allowOtherHost bool) (*Calibration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Calibration
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.CheckHost(here, allowOtherHost); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// Summary renders the calibration for a reader: one row per kind, then
// the machine-wide figures and the notes.
func (c *Calibration) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Calibration of %s (%d CPUs), %s, %d repetitions, 95 %% intervals.\n\n", c.Host.CPUModel, c.Host.NumCPU, c.Created.Format(time.RFC3339), c.Reps)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tservice mean ns\t[interval]\tp50\tp99\toverhead ns\thold fraction\t")
	for _, k := range c.Kinds {
		q := k.Service.Quantiles
		p50, p99 := k.Service.Mean, k.Service.Mean
		if n := len(q); n > 1 {
			p50, p99 = q[(n-1)/2], q[(n-1)*99/100]
		}
		hold := "-"
		if r, _ := model.ParseOpKind(k.Kind); r != 0 {
			if rule, _ := ruleOf(r); rule != lockNone {
				hold = fmt.Sprintf("%.2f [%.2f, %.2f]", k.HoldFraction.Median, k.HoldFraction.Low, k.HoldFraction.High)
			}
		}
		fmt.Fprintf(tw, "%s\t%.0f\t[%.0f, %.0f]\t%.0f\t%.0f\t%.0f\t%s\t\n", k.Kind, k.ServiceMean.Median, k.ServiceMean.Low, k.ServiceMean.High, p50, p99, k.Overhead.Median, hold)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nspin %.0f ns; hand-off %.0f ns [%.0f, %.0f]; timer %.0f ns [%.0f, %.0f]; wake-up %.0f ns [%.0f, %.0f]\n",
		c.Spin.Median, c.Handoff.Median, c.Handoff.Low, c.Handoff.High, c.Timer.Median, c.Timer.Low, c.Timer.High, c.Wake.Median, c.Wake.Low, c.Wake.High)
	for _, n := range c.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}
