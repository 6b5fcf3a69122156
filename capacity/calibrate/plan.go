package calibrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/store"
)

// PlanConfig is what shardlab plan asks.
type PlanConfig struct {
	Calibration    string // file; "" calibrates now, briefly
	AllowOtherHost bool
	// Validation is a validate-model file saying up to how many cores the
	// model was checked (default DefaultValidationFile when it exists).
	Validation  string
	Cores       int // the target's cores (the CLI defaults it to this machine's)
	Workers     int
	Connections int
	Think       time.Duration
	ThinkDist   string
	Rate        float64
	Ops         float64       // required ops/s (0: none, or the offered load)
	P99         time.Duration // goal (0: none)
	Margin      float64
	Mix         string
	Dist        string
	Theta       float64
	Partitions  string
	// Measure: where the target is this machine (cores <= its CPUs) and a
	// closed loop, measure each candidate here too and show it beside the
	// model's figures (default true; the decision stays the model's).
	Measure bool
	// Results: a sweep (or a report's results) whose measured cells at
	// the target's workers are shown beside the model's figures.
	Results    string
	Workload   string // the sweep workload to take from Results (default sustained)
	SimOps     int64
	Replicates int
	Seed       uint64
	JSON       bool
	Out        io.Writer
	Progress   io.Writer
}

// ErrNoPlan: no candidate meets the target (exit status 1).
var ErrNoPlan = errors.New("no partition count meets the target")

// Plan runs shardlab plan: the model decides for the target's cores;
// measurements, where this machine can take them, are shown beside.
func Plan(ctx context.Context, cfg PlanConfig) (*capacity.PlanResult, error) {
	if err := targetDefaults(&cfg.Mix, &cfg.Out, &cfg.Progress, cfg.ThinkDist, cfg.Cores); err != nil {
		return nil, err
	}
	switch {
	case cfg.Workers < 0 || cfg.Connections < 0:
		return nil, fmt.Errorf("%w: --workers %d, --connections %d (want >= 1)", capacity.ErrConfig, cfg.Workers, cfg.Connections)
	case cfg.Rate < 0:
		return nil, fmt.Errorf("%w: --rate %v (want > 0)", capacity.ErrConfig, cfg.Rate)
	case btoi(cfg.Workers > 0)+btoi(cfg.Connections > 0)+btoi(cfg.Rate > 0) != 1:
		return nil, fmt.Errorf("%w: give exactly one of --workers, --connections (with --think) or --rate", capacity.ErrConfig)
	case cfg.Connections > 0 && cfg.Think <= 0:
		return nil, fmt.Errorf("%w: --think %v (want > 0 with --connections)", capacity.ErrConfig, cfg.Think)
	case cfg.Ops < 0:
		return nil, fmt.Errorf("%w: --ops %v (want >= 0)", capacity.ErrConfig, cfg.Ops)
	case cfg.P99 < 0:
		return nil, fmt.Errorf("%w: --p99 %v (want >= 0)", capacity.ErrConfig, cfg.P99)
	case cfg.Margin < 0:
		return nil, fmt.Errorf("%w: --margin %v (want >= 0)", capacity.ErrConfig, cfg.Margin)
	case cfg.Workers > 0 && cfg.Ops == 0 && cfg.P99 == 0:
		return nil, fmt.Errorf("%w: nothing to plan for: give --ops and/or --p99 (a closed loop offers no load of its own)", capacity.ErrConfig)
	case cfg.Workload != "" && cfg.Results == "":
		return nil, fmt.Errorf("%w: --workload %q picks a sweep workload: it needs --results", capacity.ErrConfig, cfg.Workload)
	}
	mix, err := capacity.ParseMix("--mix", cfg.Mix)
	if err != nil {
		return nil, err
	}
	keys, err := capacity.ParseKeys("--keys", cfg.Dist, cfg.Theta)
	if err != nil {
		return nil, err
	}
	var parts []int
	if cfg.Partitions != "" {
		if parts, err = capacity.ParseInts("--partitions", cfg.Partitions, 1, partition.MaxPartitions); err != nil {
			return nil, err
		}
	}
	pc := capacity.PlanConfig{Cores: cfg.Cores, Workers: cfg.Workers, Connections: cfg.Connections, Think: cfg.Think, ThinkDist: cfg.ThinkDist,
		Rate: cfg.Rate, Mix: mix, Keys: keys, Throughput: cfg.Ops, P99: cfg.P99, Margin: cfg.Margin, Partitions: parts,
		Ops: cfg.SimOps, Replicates: cfg.Replicates, Seed: cfg.Seed}
	var sweep *store.Results
	if cfg.Results != "" {
		if sweep, err = store.LoadSweep(cfg.Results); err != nil {
			return nil, fmt.Errorf("%w: --results: %w", capacity.ErrConfig, err)
		}
	}
	cal, note, err := Load(ctx, cfg.Calibration, cfg.AllowOtherHost, cfg.Progress)
	if err != nil {
		return nil, err
	}
	pc.Calibration = cal
	pc.ValidatedCores = validatedCores(cfg.Validation)
	res, err := capacity.Plan(pc)
	if err != nil {
		return nil, flagged(err)
	}
	if sweep != nil && cfg.Workers > 0 {
		if err := attachSweep(res, sweep, orDefault(cfg.Workload, "sustained"), cfg.Workers); err != nil {
			return nil, fmt.Errorf("%w: --results: %w", capacity.ErrConfig, err)
		}
	} else if cfg.Measure && cfg.Workers > 0 && cfg.Cores <= runtime.NumCPU() {
		if err := measureRows(ctx, res, cfg, mix.String()); err != nil {
			return nil, err
		}
	}
	res.Remeasure()
	if cfg.JSON {
		enc := json.NewEncoder(cfg.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(planJSON(res, note)); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprint(cfg.Out, res.Text())
		fmt.Fprintf(cfg.Out, "\nModel: %s.\n", note)
	}
	if res.Recommended == 0 {
		return res, ErrNoPlan
	}
	return res, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// validatedCores is the largest GOMAXPROCS in a validation file (0 when
// there is none).
func validatedCores(path string) int {
	if path == "" {
		path = DefaultValidationFile
	}
	v, err := capacity.LoadValidation(path)
	if err != nil {
		return 0
	}
	n := 0
	for _, c := range v.Cells {
		n = max(n, c.Procs)
	}
	return n
}

func measureRows(ctx context.Context, res *capacity.PlanResult, cfg PlanConfig, mixName string) error {
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	weights := map[model.OpKind]float64{}
	for _, k := range res.Config.Mix.Kinds() {
		weights[k] = res.Config.Mix.Fraction(k)
	}
	for i := range res.Rows {
		row := &res.Rows[i]
		r, _, err := measure(ctx, runSpec{procs: cfg.Cores, workers: cfg.Workers, partitions: row.Partitions, mix: weights, keys: res.Config.Keys,
			duration: 300 * time.Millisecond, seed: cfg.Seed + 7, maxLive: 0})
		if err != nil {
			return err
		}
		var p99 float64
		if h, err := mergeKinds(r); err == nil {
			p99 = float64(h.ValueAtQuantile(99))
		}
		row.Measured = &capacity.Measured{Throughput: r.Throughput, P99: p99,
			Source: fmt.Sprintf("measured here: GOMAXPROCS %d, %d workers, 300 ms, %s", cfg.Cores, cfg.Workers, mixName)}
		fmt.Fprintf(cfg.Progress, "plan: measured %d partitions: %s ops/s, p99 %s\n", row.Partitions, capacity.FormatRate(r.Throughput), capacity.FormatNs(p99))
	}
	return nil
}

func attachSweep(res *capacity.PlanResult, sweep *store.Results, workload string, workers int) error {
	cells, err := store.SweepCells(sweep, "sharded", workload, "")
	if err != nil {
		return err
	}
	for i := range res.Rows {
		for _, c := range cells {
			if c.Partitions == res.Rows[i].Partitions && c.Workers == workers {
				res.Rows[i].Measured = &capacity.Measured{Throughput: c.Throughput, P99: float64(c.P99.Nanoseconds()),
					Source: fmt.Sprintf("sweep %s, workload %s, %d workers, %d repetitions", sweep.Dir, workload, c.Workers, c.Reps)}
			}
		}
	}
	return nil
}

func planJSON(r *capacity.PlanResult, note string) any {
	type row struct {
		Partitions     int                 `json:"partitions"`
		Prediction     capacity.Prediction `json:"prediction"`
		ThroughputUsed float64             `json:"throughput_used"`
		P99UsedNs      float64             `json:"p99_used_ns"`
		Pass           bool                `json:"pass"`
		Fails          []string            `json:"fails,omitempty"`
		Limiting       string              `json:"limiting"`
		Measured       *capacity.Measured  `json:"measured,omitempty"`
	}
	out := struct {
		Model             string `json:"model"`
		Prose             string `json:"prose"`
		Recommended       int    `json:"recommended"`
		Indistinguishable []int  `json:"indistinguishable,omitempty"`
		Limiting          string `json:"limiting"`
		Rows              []row  `json:"rows"`
	}{Model: note, Prose: r.Prose, Recommended: r.Recommended, Indistinguishable: r.Indistinguishable, Limiting: r.Limiting}
	for _, x := range r.Rows {
		out.Rows = append(out.Rows, row{x.Partitions, x.Prediction, x.ThroughputUsed, x.P99Used, x.Pass, x.Fails, x.Limiting, x.Measured})
	}
	return out
}
