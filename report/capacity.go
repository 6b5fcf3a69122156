package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/capacity/calibrate"
	"github.com/shardlab/shardlab/paper"
	"github.com/shardlab/shardlab/plots"
	"github.com/shardlab/shardlab/sim"
	"github.com/shardlab/shardlab/store"
)

// collectCapacity calibrates the capacity model (quick) and validates it
// against measurement (quick) into DIR/capacity, keeping files a previous
// run finished there.
func collectCapacity(ctx context.Context, dir string, seed uint64, progress io.Writer) error {
	capDir := filepath.Join(dir, store.CapacityDir)
	calPath := filepath.Join(capDir, store.CalibrationFile)
	cal, err := capacity.LoadCalibration(calPath, calibrate.DetectHost(), false)
	if errors.Is(err, fs.ErrNotExist) {
		cal, err = calibrate.Run(ctx, calibrate.Config{Quick: true, Out: calPath, Seed: seed, Progress: progress})
	}
	if err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	valPath := filepath.Join(capDir, store.ValidationFile)
	if _, err := capacity.LoadValidation(valPath); err == nil {
		return nil
	}
	v, err := calibrate.Validate(ctx, calibrate.ValidateConfig{Calibration: cal, Quick: true, Seed: seed, Progress: progress})
	if err != nil {
		return fmt.Errorf("validate-model: %w", err)
	}
	return v.Save(valPath)
}

// CapacityTargets are the production targets the report plans for beside
// this machine: 16 and 64 cores.
var CapacityTargets = []int{16, 64}

// capacityCurveCores are the core counts of the p99-vs-partitions figure.
var capacityCurveCores = []int{2, 4, 16, 64}

// capacitySection answers the report's capacity questions from the
// results' calibration: the seed's 100,000 connections and a write-heavy
// zipfian closed loop, each on this machine and on CapacityTargets cores;
// the p99-vs-partitions figure; the validation table and figure.
func capacitySection(in *store.Inputs) (*paper.Capacity, error) {
	cal := in.Calibration
	here := cal.Host.NumCPU
	validated := 0
	if in.Validation != nil {
		for _, c := range in.Validation.Cells {
			validated = max(validated, c.Procs)
		}
	}
	sustained, err := capacity.ParseMix("sustained", capacity.DefaultMix)
	if err != nil {
		return nil, err
	}
	wz := calibrate.DefaultWorkloads()[2]
	writes, err := sim.NewMix(wz.Mix)
	if err != nil {
		return nil, err
	}
	out := &paper.Capacity{
		Intro: fmt.Sprintf("The capacity model (package capacity: a discrete-event simulation of the registry on C cores, partition locks chosen by the real partitioner over the real key distributions) was calibrated on this machine (%s, %d CPUs, %s). Every plan below decides from the model for its target's cores, on the pessimistic end of each 95 %% interval, with a %.0f %% margin; the model was checked against measurement here up to %d cores (last subsection), so the 16- and 64-core plans are predictions, not measurements. Calibration notes: %s.",
			cal.Host.CPUModel, here, cal.Created.Format(time.RFC3339), 100*capacity.DefaultMargin, validated, strings.Join(cal.Notes, "; ")),
		KneeLabel:     "hottest lock ≤ 50 % busy",
		CurvesKind:    fmt.Sprintf("%s over zipfian keys, workers = cores, closed-loop service time", wz.Name+" ("+writes.String()+")"),
		Goal:          100,
		AgreementBand: calibrate.AimP99,
	}
	type question struct {
		title string
		cfg   capacity.PlanConfig
	}
	var qs []question
	for _, cores := range append([]int{here}, CapacityTargets...) {
		qs = append(qs, question{
			title: fmt.Sprintf("%d cores: the seed's 100,000 connections, sustained mix, p99 < 100 µs", cores),
			cfg: capacity.PlanConfig{Cores: cores, Connections: 100_000, Think: 100 * time.Millisecond, Mix: sustained,
				P99: 100 * time.Microsecond, Ops: 100_000, Replicates: 3},
		})
	}
	for _, cores := range append([]int{here}, CapacityTargets...) {
		qs = append(qs, question{
			title: fmt.Sprintf("%d cores: write-heavy zipfian, %d workers, %s ops/s (500k per core), p99 < 100 µs", cores, cores, capacity.FormatRate(float64(cores)*500_000)),
			cfg: capacity.PlanConfig{Cores: cores, Workers: cores, Mix: writes, Keys: wz.Keys, Throughput: float64(cores) * 500_000,
				P99: 100 * time.Microsecond, Ops: 100_000, Replicates: 3},
		})
	}
	for _, q := range qs {
		q.cfg.Calibration, q.cfg.ValidatedCores, q.cfg.Seed = cal, validated, 1
		r, err := capacity.Plan(q.cfg)
		if err != nil {
			return nil, fmt.Errorf("capacity plan %q: %w", q.title, err)
		}
		text := r.Text()
		prose, table, _ := strings.Cut(text, "\n\n")
		out.Plans = append(out.Plans, paper.CapacityPlan{Title: q.title, Prose: strings.ReplaceAll(prose, "\n", " "), Table: table})
	}
	for _, cores := range capacityCurveCores {
		line := plots.Series{Name: fmt.Sprintf("%d cores", cores)}
		knee := 0.0
		for _, p := range capacity.DefaultPlanPartitions() {
			pred, err := capacity.Predict(capacity.Config{Calibration: cal, Cores: cores, Workers: cores, Partitions: p,
				Mix: writes, Keys: wz.Keys, Ops: 50_000, Seed: 1}, 1)
			if err != nil {
				return nil, err
			}
			line.X = append(line.X, float64(p))
			line.Y = append(line.Y, max(pred.P99.Median, 1)/1e3)
			if knee == 0 && pred.HottestLockUtilisation.Median <= 0.5 {
				knee = float64(p)
			}
		}
		out.Curves = append(out.Curves, line)
		out.Knees = append(out.Knees, knee)
	}
	if v := in.Validation; v != nil {
		fit := plots.Series{Name: "workers ≤ cores"}
		over := plots.Series{Name: "oversubscribed"}
		for _, c := range v.Cells {
			s := &fit
			if c.Oversubscribed() {
				s = &over
			}
			if c.Measured.P99 > 0 && c.Predicted.P99 > 0 {
				s.X = append(s.X, c.Measured.P99/1e3)
				s.Y = append(s.Y, c.Predicted.P99/1e3)
			}
		}
		for _, s := range []plots.Series{fit, over} {
			if len(s.X) > 0 {
				out.Agreement = append(out.Agreement, s)
			}
		}
		out.ValidationIntro = fmt.Sprintf("shardlab validate-model measured the real registry (closed loops, every op timed, admission control off) at GOMAXPROCS %s with workers = cores and 8 x cores, three mixes, partitions 1 to 256, %v per run, and ran the model for each cell. Each row gives the predicted and measured throughput, p50 and p99 and the relative error (predicted - measured) / measured. The aims are throughput within ±%.0f %% and p99 within ±%.0f %% where workers <= cores; the summary under the table says how many cells reach them.",
			procsList(v), v.Duration, 100*calibrate.AimThroughput, 100*calibrate.AimP99)
		out.Validation = v.Table()
	} else {
		out.ValidationIntro = "No validation in these results: every figure above is an unvalidated prediction."
	}
	return out, nil
}

func procsList(v *capacity.Validation) string {
	seen := map[int]bool{}
	var ps []string
	for _, c := range v.Cells {
		if !seen[c.Procs] {
			seen[c.Procs] = true
			ps = append(ps, fmt.Sprint(c.Procs))
		}
	}
	return strings.Join(ps, " and ")
}
