package store

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/internal/atomicfile"
)

// SchemaVersion is the version of the results-directory format. Load
// refuses other versions. Bump it on any incompatible change to Meta or
// Point.
const SchemaVersion = 1

// File names inside a results directory.
const (
	MetaFile    = "meta.json"
	PointsFile  = "points.jsonl"
	SummaryFile = "summary.csv"
)

// Sentinel errors. Each is the user's input or environment at fault; the
// CLI maps every one to exit status 2.
var (
	// ErrSchema: a file was written by another schema version.
	ErrSchema = errors.New("store: results from another schema version")
	// ErrCorrupt: a file cannot be parsed (named FILE:LINE where it can).
	ErrCorrupt = errors.New("store: corrupt results file")
	// ErrMismatch: a folder holds a different run than the one resuming.
	ErrMismatch = errors.New("store: results folder holds a different run")
	// ErrOutput: results cannot be written.
	ErrOutput = errors.New("store: cannot write results")
)

// HistogramEncoding names how Hist.Data is encoded.
const HistogramEncoding = "hdrhistogram-v2-compressed-base64"

// Host describes the machine and build a run came from. The CLI fills it
// (DetectHost); the packages that measure only record it.
type Host struct {
	GitRevision string `json:"git_revision"`
	GoVersion   string `json:"go_version"`
	GOMAXPROCS  int    `json:"gomaxprocs"`
	NumCPU      int    `json:"num_cpu"`
	CPUModel    string `json:"cpu_model"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
}

// Meta is meta.json: what produced the directory.
type Meta struct {
	SchemaVersion int       `json:"schema_version"`
	Kind          string    `json:"kind"` // "scenarios" or "sweep"
	Name          string    `json:"name"` // scenario names or the sweep's name
	Fingerprint   string    `json:"fingerprint"`
	Created       time.Time `json:"created"`
	Host          Host      `json:"host"`
	Seed          uint64    `json:"seed"`
	CommandLine   []string  `json:"command_line"`
	Quick         bool      `json:"quick"`
	Registries    []string  `json:"registries"`
	// Spec is the resolved scenarios or sweep that ran.
	Spec json.RawMessage `json:"spec"`
	// DriverCeiling is the throughput of the lookup driver (100 workers,
	// sample 1 in lookupSampleEvery = 64) against sim.Null: what no registry can exceed here.
	DriverCeiling float64 `json:"driver_ceiling_ops_per_s"`
	TimerCostNs   int64   `json:"timer_cost_ns"`
}

// Hist is a latency histogram in a record: a summary for reading, and the
// whole histogram encoded so any percentile can be recomputed.
type Hist struct {
	Unit     string  `json:"unit"` // always "ns"
	Count    int64   `json:"count"`
	Mean     float64 `json:"mean"`
	Min      int64   `json:"min"`
	P50      int64   `json:"p50"`
	P95      int64   `json:"p95"`
	P99      int64   `json:"p99"`
	P999     int64   `json:"p999"`
	Max      int64   `json:"max"`
	Encoding string  `json:"encoding"`
	Data     string  `json:"data"`
	// H is the decoded histogram (set by Load and by the runner).
	H *hdrhistogram.Histogram `json:"-"`
}

// NewHist summarises and encodes h (nil for an empty histogram).
func NewHist(h *hdrhistogram.Histogram) (*Hist, error) {
	if h == nil || h.TotalCount() == 0 {
		return nil, nil
	}
	data, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("store: encode histogram: %w", err)
	}
	return &Hist{
		Unit: "ns", Count: h.TotalCount(), Mean: h.Mean(), Min: h.Min(),
		P50: h.ValueAtQuantile(50), P95: h.ValueAtQuantile(95), P99: h.ValueAtQuantile(99),
		P999: h.ValueAtQuantile(99.9), Max: h.Max(),
		Encoding: HistogramEncoding, Data: string(data), H: h,
	}, nil
}

func (h *Hist) decode() error {
	if h == nil {
		return nil
	}
	if h.Encoding != HistogramEncoding {
		return fmt.Errorf("histogram encoding %q (want %q)", h.Encoding, HistogramEncoding)
	}
	d, err := hdrhistogram.Decode([]byte(h.Data))
	if err != nil {
		return fmt.Errorf("decode histogram: %w", err)
	}
	h.H = d
	return nil
}

// KindRecord is one operation kind's share of a point.
type KindRecord struct {
	Kind    string           `json:"kind"`
	Ops     int64            `json:"ops"`
	Errors  map[string]int64 `json:"errors,omitempty"`
	Latency *Hist            `json:"latency,omitempty"`
}

// TickRecord is one interval of a time series.
type TickRecord struct {
	AtMs   float64   `json:"at_ms"`
	Ops    int64     `json:"ops"`
	Probes []float64 `json:"probes,omitempty"`
}

// SeriesRecord is a point's time series.
type SeriesRecord struct {
	IntervalMs float64      `json:"interval_ms"`
	Probes     []string     `json:"probes,omitempty"`
	Ticks      []TickRecord `json:"ticks"`
}

// PhaseRecord is one phase of a connections or contention point.
type PhaseRecord struct {
	Name       string           `json:"name"`
	ElapsedNs  int64            `json:"elapsed_ns"`
	Ops        int64            `json:"ops"`
	Throughput float64          `json:"throughput_ops_per_s"`
	Errors     map[string]int64 `json:"errors,omitempty"`
}

// BalanceRecord is a balance point's placement analysis.
type BalanceRecord struct {
	// Source is "impl.PartitionStats" (real placements) or "partitioner"
	// (computed, for registries without partitions).
	Source      string  `json:"source"`
	Counts      []int64 `json:"counts"`
	SeedSkew    float64 `json:"seed_skew"`
	MaxOverMean float64 `json:"max_over_mean"`
	CV          float64 `json:"cv"`
	PValue      float64 `json:"chi_square_p_value"`
	// IdealSeedSkew is the expected seed skew for an ideal hash
	// (analysis.ExpectedIdealSkew).
	IdealSeedSkew float64 `json:"ideal_seed_skew"`
}

// ContentionRecord is a contention point's alarm and admission summary.
type ContentionRecord struct {
	MaxAlarmed int     `json:"max_alarmed"`
	Alarms     int64   `json:"alarms_raised"`
	Rejected   int64   `json:"rejected"`
	Recovered  bool    `json:"recovered"`
	RecoverMs  float64 `json:"recover_ms"` // from the storm's end to the first tick with registrations admitted and no alarm
	Supported  bool    `json:"supported"`  // false for registries without contention monitoring
}

// BucketRecord counts latencies in [LowUs, HighUs) (HighUs -1: unbounded).
type BucketRecord struct {
	LowUs  int64 `json:"low_us"`
	HighUs int64 `json:"high_us"`
	Count  int64 `json:"count"`
}

// CheckResult is a Check evaluated on a point.
type CheckResult struct {
	spec.Check
	Measured float64 `json:"measured"`
	// Unmeasured: the point has no such figure (e.g. no alarms on a
	// registry without contention monitoring); the check fails.
	Unmeasured bool `json:"unmeasured,omitempty"`
	Pass       bool `json:"pass"`
}

// Point is one line of points.jsonl: one finished run point.
type Point struct {
	ID          string `json:"id"`
	Scenario    string `json:"scenario,omitempty"`
	Sweep       string `json:"sweep,omitempty"`
	Mode        string `json:"mode"` // ops, duration, open, connections, balance, contention, sweep
	Registry    string `json:"registry"`
	Partitions  int    `json:"partitions"` // 0: not partitioned
	Workers     int    `json:"workers"`
	Connections int    `json:"connections,omitempty"`
	Workload    string `json:"workload"`
	Mix         string `json:"mix"`
	Dist        string `json:"dist"`
	Rep         int    `json:"rep"`
	Seed        uint64 `json:"seed"`
	Quick       bool   `json:"quick"`

	Started      time.Time         `json:"started"`
	ElapsedNs    int64             `json:"elapsed_ns"`
	Ops          int64             `json:"ops"`
	Throughput   float64           `json:"throughput_ops_per_s"`
	TargetRate   float64           `json:"target_rate,omitempty"`
	Missed       int64             `json:"missed,omitempty"`
	LatencyBasis string            `json:"latency_basis"` // service or intended
	SampleEvery  int               `json:"sample_every"`
	TimerCostNs  int64             `json:"timer_cost_ns"`
	Latency      *Hist             `json:"latency,omitempty"` // all kinds merged
	Kinds        []KindRecord      `json:"kinds,omitempty"`
	Errors       map[string]int64  `json:"errors,omitempty"`
	PartitionOps []int64           `json:"partition_ops,omitempty"`
	Entries      []int64           `json:"partition_entries,omitempty"`
	Series       *SeriesRecord     `json:"series,omitempty"`
	Phases       []PhaseRecord     `json:"phases,omitempty"`
	Balance      *BalanceRecord    `json:"balance,omitempty"`
	Contention   *ContentionRecord `json:"contention,omitempty"`
	Buckets      []BucketRecord    `json:"buckets,omitempty"`
	Options      map[string]string `json:"registry_options,omitempty"`
	Checks       []CheckResult     `json:"checks,omitempty"`
	Note         string            `json:"note,omitempty"`
}

// Failures is how many of the point's operations failed, and how many by
// code, sorted: ["overloaded=3", "server_not_found=1"].
func (p *Point) Failures() (total int64, byCode []string) {
	for code, n := range p.Errors {
		total += n
		byCode = append(byCode, fmt.Sprintf("%s=%d", code, n))
	}
	slices.Sort(byCode)
	return total, byCode
}

func (p *Point) decode() error {
	if err := p.Latency.decode(); err != nil {
		return err
	}
	for i := range p.Kinds {
		if err := p.Kinds[i].Latency.decode(); err != nil {
			return fmt.Errorf("kind %s: %w", p.Kinds[i].Kind, err)
		}
	}
	return nil
}

// Results is a loaded results directory.
type Results struct {
	Dir    string
	Meta   Meta
	Points []Point
	// TornTail reports that points.jsonl ended in a partial line (an
	// interrupted write), which was ignored.
	TornTail bool
}

// Load reads a results directory: meta.json and every finished point,
// with histograms decoded. A torn last line is ignored (TornTail); any
// other bad line is an ErrCorrupt error naming file:line.
func Load(dir string) (*Results, error) {
	meta, err := readMeta(dir)
	if err != nil {
		return nil, err
	}
	pts, _, torn, err := readPoints(filepath.Join(dir, PointsFile))
	if err != nil {
		return nil, err
	}
	return &Results{Dir: dir, Meta: *meta, Points: pts, TornTail: torn}, nil
}

func readMeta(dir string) (*Meta, error) {
	path := filepath.Join(dir, MetaFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	var m Meta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if m.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%w: %s: schema version %d (this shardlab reads %d)", ErrSchema, path, m.SchemaVersion, SchemaVersion)
	}
	return &m, nil
}

// readPoints parses points.jsonl. It returns the points, the byte length
// of the good prefix, and whether a torn final line was dropped. A missing
// file is an empty one.
func readPoints(path string) ([]Point, int64, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	var (
		pts  []Point
		good int64
		line int
		seen = map[string]int{}
	)
	for len(data) > 0 {
		line++
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			// No newline: the write of the last point was interrupted.
			return pts, good, true, nil
		}
		raw := data[:nl]
		data = data[nl+1:]
		var p Point
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, 0, false, fmt.Errorf("%w: %s:%d: %v", ErrCorrupt, path, line, err)
		}
		if err := p.decode(); err != nil {
			return nil, 0, false, fmt.Errorf("%w: %s:%d: point %s: %v", ErrCorrupt, path, line, p.ID, err)
		}
		if p.ID == "" {
			return nil, 0, false, fmt.Errorf("%w: %s:%d: point without an id", ErrCorrupt, path, line)
		}
		if prev, dup := seen[p.ID]; dup {
			return nil, 0, false, fmt.Errorf("%w: %s:%d: point %s already recorded at line %d", ErrCorrupt, path, line, p.ID, prev)
		}
		seen[p.ID] = line
		pts = append(pts, p)
		good += int64(nl + 1)
	}
	return pts, good, false, nil
}

// Writer writes a run's results directory: meta.json once, then one line
// of points.jsonl per finished point (fsynced), and summary.csv rewritten
// atomically after each.
type Writer struct {
	dir    string
	points []Point
	done   map[string]bool
	// fresh: dir held no run; writeMetaIfNew writes meta.json.
	fresh bool
}

// Open creates dir (or resumes it when it holds the run with this
// fingerprint, ErrMismatch when it holds another) with the points already
// finished there. It reads and checks everything before any measurement
// runs; a fresh folder gets its meta.json from WriteMetaIfNew.
func Open(dir, fingerprint string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutput, err)
	}
	s := &Writer{dir: dir, done: map[string]bool{}}
	old, err := readMeta(dir)
	switch {
	case err == nil:
		if old.Fingerprint != fingerprint {
			return nil, fmt.Errorf("%w: %s was written by another run (%s %q, seed %d, quick %v); choose another --out or remove it",
				ErrMismatch, dir, old.Kind, old.Name, old.Seed, old.Quick)
		}
		pts, good, torn, err := readPoints(filepath.Join(dir, PointsFile))
		if err != nil {
			return nil, err
		}
		if torn {
			// Cut the partial line so the next append starts clean.
			if err := os.Truncate(filepath.Join(dir, PointsFile), good); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrOutput, err)
			}
		}
		s.points = pts
		for _, p := range pts {
			s.done[p.ID] = true
		}
		return s, nil
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Stat(filepath.Join(dir, PointsFile)); err == nil {
			return nil, fmt.Errorf("%w: %s has %s but no %s", ErrCorrupt, dir, PointsFile, MetaFile)
		}
		s.fresh = true
		return s, nil
	default:
		return nil, err
	}
}

// WriteMetaIfNew writes meta.json into a fresh folder; a resumed one
// keeps its original.
func (s *Writer) WriteMetaIfNew(meta Meta) error {
	if !s.fresh {
		return nil
	}
	data, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	if err := writeAtomic(filepath.Join(s.dir, MetaFile), append(data, '\n')); err != nil {
		return err
	}
	s.fresh = false
	return nil
}

// writeAtomic replaces path with data (internal/atomicfile), so a reader
// or an interrupted run never sees a half-written meta.json or summary.
func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	return nil
}

// Append writes one finished point as a line and fsyncs, then rewrites the
// summary.
func (s *Writer) Append(p Point) error {
	if s.done[p.ID] {
		return fmt.Errorf("store: point %s recorded twice", p.ID)
	}
	line, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	f, err := os.OpenFile(filepath.Join(s.dir, PointsFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	_, werr := f.Write(append(line, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	s.points = append(s.points, p)
	s.done[p.ID] = true
	return s.writeSummary()
}

// Done reports whether the point with this id is already recorded.
func (s *Writer) Done(id string) bool { return s.done[id] }

// Results returns what the directory holds now (an empty Meta before
// WriteMetaIfNew).
func (s *Writer) Results() *Results {
	m, err := readMeta(s.dir)
	if err != nil {
		m = &Meta{}
	}
	return &Results{Dir: s.dir, Meta: *m, Points: slices.Clone(s.points)}
}

// summaryColumns are summary.csv's columns.
var summaryColumns = []string{
	"id", "scenario", "sweep", "mode", "registry", "partitions", "workers", "connections",
	"workload", "dist", "rep", "ops", "elapsed_s", "throughput_ops_per_s",
	"latency_basis", "p50_ns", "p95_ns", "p99_ns", "p999_ns", "max_ns", "errors", "checks_failed",
}

func (s *Writer) writeSummary() error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(summaryColumns)
	for _, p := range s.points {
		errs, _ := p.Failures()
		failed := 0
		for _, c := range p.Checks {
			if !c.Pass {
				failed++
			}
		}
		h := p.Latency
		if h == nil {
			h = &Hist{}
		}
		i := strconv.Itoa
		i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
		_ = w.Write([]string{
			p.ID, p.Scenario, p.Sweep, p.Mode, p.Registry, i(p.Partitions), i(p.Workers), i(p.Connections),
			p.Workload, p.Dist, i(p.Rep), i64(p.Ops), strconv.FormatFloat(float64(p.ElapsedNs)/1e9, 'f', 4, 64),
			strconv.FormatFloat(p.Throughput, 'f', 0, 64), p.LatencyBasis,
			i64(h.P50), i64(h.P95), i64(h.P99), i64(h.P999), i64(h.Max), i64(errs), i(failed),
		})
	}
	w.Flush()
	return writeAtomic(filepath.Join(s.dir, SummaryFile), buf.Bytes())
}
