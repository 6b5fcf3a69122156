package calibrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/sim"
)

// DefaultCalibrationFile and DefaultValidationFile are where the commands
// keep their results.
const (
	DefaultCalibrationFile = "results/calibration.json"
	DefaultValidationFile  = "results/validation.json"
)

// Load reads the calibration at path, or, with path "", calibrates this
// machine now (quick) without writing a file. The returned note says
// which happened.
func Load(ctx context.Context, path string, allowOtherHost bool, progress io.Writer) (*capacity.Calibration, string, error) {
	if path == "" {
		cal, err := Run(ctx, Config{Quick: true, Progress: progress})
		if err != nil {
			return nil, "", err
		}
		return cal, "calibrated now (quick: " + fmt.Sprint(QuickReps) + " x " + QuickDuration.String() + " per kind)", nil
	}
	cal, err := capacity.LoadCalibration(path, DetectHost(), allowOtherHost)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("%w: --calibration %s: no such file (run shardlab calibrate)", capacity.ErrConfig, path)
	}
	if err != nil {
		return nil, "", fmt.Errorf("--calibration: %w", err)
	}
	return cal, fmt.Sprintf("calibration %s (measured %s on %s)", path, cal.Created.Format(time.RFC3339), cal.Host.Kind()), nil
}

// PredictConfig is what shardlab predict asks.
type PredictConfig struct {
	Calibration    string // file; "" calibrates now, briefly
	AllowOtherHost bool
	Cores          int // the target's cores (the CLI defaults it to this machine's)
	Workers        int
	Connections    int
	Think          time.Duration
	ThinkDist      string
	Rate           float64
	Partitions     string // "1,4,16,64,256" (default) or one count
	Mix            string // default capacity.DefaultMix
	Dist           string // key distribution (default uniform)
	Theta          float64
	Ops            int64
	Replicates     int
	Seed           uint64
	JSON           bool
	Out            io.Writer
	Progress       io.Writer
}

// Predict runs shardlab predict: the model's figures for every partition
// count, as a table or JSON.
func Predict(ctx context.Context, cfg PredictConfig) error {
	if cfg.Partitions == "" {
		cfg.Partitions = "1,4,16,64,256"
	}
	if err := targetDefaults(&cfg.Mix, &cfg.Out, &cfg.Progress, cfg.ThinkDist, cfg.Cores); err != nil {
		return err
	}
	if cfg.Workers < 0 || cfg.Connections < 0 {
		return fmt.Errorf("%w: --workers %d, --connections %d (want >= 1)", capacity.ErrConfig, cfg.Workers, cfg.Connections)
	}
	if cfg.Rate < 0 {
		return fmt.Errorf("%w: --rate %v (want > 0)", capacity.ErrConfig, cfg.Rate)
	}
	if n := btoi(cfg.Workers > 0) + btoi(cfg.Connections > 0) + btoi(cfg.Rate > 0); n != 1 {
		return fmt.Errorf("%w: give exactly one of --workers, --connections (with --think) or --rate", capacity.ErrConfig)
	}
	parts, err := capacity.ParseInts("--partitions", cfg.Partitions, 1, partition.MaxPartitions)
	if err != nil {
		return err
	}
	mix, err := capacity.ParseMix("--mix", cfg.Mix)
	if err != nil {
		return err
	}
	keys, err := capacity.ParseKeys("--keys", cfg.Dist, cfg.Theta)
	if err != nil {
		return err
	}
	if cfg.Connections > 0 && cfg.Think <= 0 {
		return fmt.Errorf("%w: --think %v (want > 0 with --connections)", capacity.ErrConfig, cfg.Think)
	}
	base := capacity.Config{Cores: cfg.Cores, Mix: mix, Keys: keys, Workers: cfg.Workers, Connections: cfg.Connections,
		Think: cfg.Think, ThinkDist: cfg.ThinkDist, Rate: cfg.Rate, Ops: cfg.Ops, Seed: cfg.Seed}
	// Check the flags against the model before spending time calibrating.
	probe := base
	probe.Partitions, probe.Calibration = parts[0], stubCalibration()
	if err := probe.Validate(); err != nil && !errors.Is(err, capacity.ErrNotKind) {
		return flagged(err)
	}
	cal, note, err := Load(ctx, cfg.Calibration, cfg.AllowOtherHost, cfg.Progress)
	if err != nil {
		return err
	}
	base.Calibration = cal
	var preds []capacity.Prediction
	for _, p := range parts {
		c := base
		c.Partitions = p
		pred, err := capacity.Predict(c, cfg.Replicates)
		if err != nil {
			return flagged(err)
		}
		preds = append(preds, pred)
	}
	if cfg.JSON {
		enc := json.NewEncoder(cfg.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Source      string                `json:"source"`
			Mix         string                `json:"mix"`
			Keys        sim.Keys              `json:"keys"`
			Predictions []capacity.Prediction `json:"predictions"`
		}{note, mix.String(), keys, preds})
	}
	fmt.Fprintf(cfg.Out, "Model prediction for %d cores, %s, mix %s, keys %s; %s.\n", cfg.Cores, capacity.LoadText(base.Workers, base.Connections, base.Think, base.ThinkDist, base.Rate), mix, capacity.KeysText(keys), note)
	fmt.Fprintf(cfg.Out, "Medians over %d replicates, [95 %% interval]. Latency is service time as shardlab's closed loop measures it (open loop: from arrival).\n\n", preds[0].Replicates)
	fmt.Fprint(cfg.Out, PredictionTable(preds))
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// stubCalibration lets Predict check flags before calibrating.
func stubCalibration() *capacity.Calibration {
	c := &capacity.Calibration{Schema: capacity.CalibrationSchema}
	for _, k := range capacity.ModelledKinds() {
		c.Kinds = append(c.Kinds, capacity.KindCost{Kind: k.String(), Service: capacity.Fixed(100)})
	}
	return c
}

// flagged names the flag behind a model configuration error.
func flagged(err error) error {
	msg := err.Error()
	for _, f := range []string{"cores", "workers", "connections", "think", "rate", "partitions", "keys", "mix", "ops", "arrivals"} {
		if strings.Contains(msg, ": "+f+" ") || strings.Contains(msg, ": "+f+":") {
			return fmt.Errorf("--%s: %w", f, err)
		}
	}
	return err
}

// PredictionTable renders predictions, one row per partition count.
func PredictionTable(preds []capacity.Prediction) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "partitions\tthroughput\t[interval]\tp50\tp99\t[interval]\tp99.9\tlock wait p99\tcores busy\thottest lock\thottest key\t")
	for _, p := range preds {
		fmt.Fprintf(tw, "%d\t%s\t[%s, %s]\t%s\t%s\t[%s, %s]\t%s\t%s\t%.0f%%\t%.0f%%\t%.0f%%\t\n", p.Partitions,
			capacity.FormatRate(p.Throughput.Median), capacity.FormatRate(p.Throughput.Low), capacity.FormatRate(p.Throughput.High),
			capacity.FormatNs(p.P50.Median), capacity.FormatNs(p.P99.Median), capacity.FormatNs(p.P99.Low), capacity.FormatNs(p.P99.High), capacity.FormatNs(p.P999.Median),
			capacity.FormatNs(p.LockWaitP99.Median), 100*p.CoreUtilisation.Median, 100*p.HottestLockUtilisation.Median, 100*p.HottestKeyUtilisation.Median)
	}
	tw.Flush()
	return b.String()
}

// ValidateModelConfig is what shardlab validate-model asks.
type ValidateModelConfig struct {
	Calibration    string
	AllowOtherHost bool
	Procs          string // "1,2"
	Partitions     string // "1,4,16,64,256"
	Oversubscribe  int
	Duration       time.Duration
	Reps           int
	Quick          bool
	Seed           uint64
	Out            string // the validation file ("" none)
	Stdout         io.Writer
	Progress       io.Writer
}

// ValidateModel runs shardlab validate-model.
func ValidateModel(ctx context.Context, cfg ValidateModelConfig) (*capacity.Validation, error) {
	vc := ValidateConfig{Oversubscribe: cfg.Oversubscribe, Duration: cfg.Duration, Reps: cfg.Reps, Quick: cfg.Quick, Seed: cfg.Seed, Progress: cfg.Progress}
	var err error
	if cfg.Procs != "" {
		if vc.Procs, err = capacity.ParseInts("--procs", cfg.Procs, 1, runtime.NumCPU()); err != nil {
			return nil, err
		}
	}
	if cfg.Partitions != "" {
		if vc.Partitions, err = capacity.ParseInts("--partitions", cfg.Partitions, 1, partition.MaxPartitions); err != nil {
			return nil, err
		}
	}
	vc.Calibration = stubCalibration()
	if _, err := vc.withDefaults(); err != nil {
		return nil, err
	}
	cal, note, err := Load(ctx, cfg.Calibration, cfg.AllowOtherHost, cfg.Progress)
	if err != nil {
		return nil, err
	}
	vc.Calibration = cal
	v, err := Validate(ctx, vc)
	if err != nil {
		return nil, err
	}
	if cfg.Out != "" {
		if err := v.Save(cfg.Out); err != nil {
			return nil, err
		}
	}
	if cfg.Stdout != nil {
		fmt.Fprintf(cfg.Stdout, "Model vs measurement on this machine (%s, %d CPUs); %s.\nEach cell: the model's prediction, the median of %d measured %v runs, and (predicted - measured) / measured.\n\n",
			v.Host.CPUModel, v.Host.NumCPU, note, v.Reps, v.Duration)
		fmt.Fprint(cfg.Stdout, v.Table())
	}
	return v, nil
}

// targetDefaults fills the defaults predict and plan share (the mix, and
// discarding output nobody asked for) and checks the flags they share
// that no later step would name: the think-time distribution and cores.
func targetDefaults(mix *string, out, progress *io.Writer, thinkDist string, cores int) error {
	if *mix == "" {
		*mix = capacity.DefaultMix
	}
	if *out == nil {
		*out = io.Discard
	}
	if *progress == nil {
		*progress = io.Discard
	}
	if thinkDist != "" && thinkDist != sim.ThinkFixed && thinkDist != sim.ThinkExponential {
		return fmt.Errorf("%w: --think-dist %q (want %s or %s)", capacity.ErrConfig, thinkDist, sim.ThinkFixed, sim.ThinkExponential)
	}
	if cores < 1 || cores > capacity.MaxCores {
		return fmt.Errorf("%w: --cores %d (want 1..%d)", capacity.ErrConfig, cores, capacity.MaxCores)
	}
	return nil
}
