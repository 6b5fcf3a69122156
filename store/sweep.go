package store

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/model"
)

// SweepCell is a sweep cell (partitions x concurrency) with its repetitions
// aggregated, as the planner and the figures use it.
type SweepCell struct {
	Partitions int
	Workers    int // closed-loop workers, or connections
	Reps       int
	// Throughput is the mean over repetitions; CI its Student-t 95 %
	// interval (zero width with one repetition).
	Throughput float64
	CI         analysis.Interval
	// P99 is the median of the repetitions' p99s (closed-loop service
	// time): one 100 ms repetition on a shared machine can catch a
	// scheduler or GC pause that says nothing about the partition count.
	P99  time.Duration
	Skew float64 // seed skew of the entries' placement; 0 for one partition
}

// SweepCells aggregates a sweep's points of one registry and workload (and
// key distribution, "" for any) into cells sorted by partitions, workers.
func SweepCells(res *Results, registry, workload, dist string) ([]SweepCell, error) {
	type key struct{ p, w int }
	groups := map[key][]Point{}
	for _, p := range res.Points {
		if p.Registry != registry || p.Workload != workload || (dist != "" && p.Dist != dist) {
			continue
		}
		w := p.Workers
		if p.Connections > 0 {
			w = p.Connections
		}
		if p.Partitions < 1 || w < 1 {
			continue
		}
		groups[key{p.Partitions, w}] = append(groups[key{p.Partitions, w}], p)
	}
	if len(groups) == 0 {
		with := ""
		if dist != "" {
			with = " with " + dist + " keys"
		}
		return nil, fmt.Errorf("%w: %s has no %s points for workload %q%s (it has %s)",
			ErrPartial, res.Dir, registry, workload, with, strings.Join(sweepWorkloads(res), ", "))
	}
	var cells []SweepCell
	for k, pts := range groups {
		c := SweepCell{Partitions: k.p, Workers: k.w, Reps: len(pts)}
		var xs, p99s []float64
		for _, p := range pts {
			xs = append(xs, p.Throughput)
			if p99, ok := steadyP99(p); ok {
				p99s = append(p99s, float64(p99))
			}
			if len(p.Entries) >= 2 {
				if s, err := analysis.Skew(p.Entries); err == nil {
					c.Skew = max(c.Skew, s.SeedSkew)
				}
			}
		}
		if m, err := analysis.Median(p99s); err == nil {
			c.P99 = time.Duration(m)
		}
		if len(xs) >= 2 {
			ci, err := analysis.MeanCI(xs, 0.95)
			if err != nil {
				return nil, fmt.Errorf("store: cell P=%d W=%d: %w", k.p, k.w, err)
			}
			c.Throughput, c.CI = ci.Estimate, ci
		} else {
			c.Throughput = xs[0]
			c.CI = analysis.Interval{Estimate: xs[0], Low: xs[0], High: xs[0], Level: 0.95}
		}
		cells = append(cells, c)
	}
	slices.SortFunc(cells, func(a, b SweepCell) int {
		return cmp.Or(cmp.Compare(a.Partitions, b.Partitions), cmp.Compare(a.Workers, b.Workers))
	})
	return cells, nil
}

// connectionStorms are the kinds a connection point records while its
// connections connect and disconnect, all at once; the steady phase, which
// the planner's p99 is about, is every other kind.
var connectionStorms = []string{
	model.OpRegisterTransport.String(), model.OpBind.String(), model.OpUnregisterTransport.String(),
}

// steadyP99 is the p99 a plan judges: every op's latency for closed-loop
// points; for connection points, only the steady phase's ops, since the
// connect and disconnect storms are a different question (how long a
// reconnect wave takes) that would otherwise decide the tail.
func steadyP99(p Point) (int64, bool) {
	if p.Connections == 0 {
		if p.Latency == nil {
			return 0, false
		}
		return p.Latency.P99, true
	}
	var hs []*hdrhistogram.Histogram
	for _, k := range p.Kinds {
		if k.Latency != nil && k.Latency.H != nil && !slices.Contains(connectionStorms, k.Kind) {
			hs = append(hs, k.Latency.H)
		}
	}
	merged, err := analysis.MergeHistograms(hs...)
	if err != nil {
		return 0, false
	}
	sum, err := analysis.Summarize(merged)
	if err != nil {
		return 0, false
	}
	return sum.P99, true
}

func sweepWorkloads(res *Results) []string {
	var ws []string
	for _, p := range res.Points {
		s := p.Workload + "/" + p.Dist
		if !slices.Contains(ws, s) {
			ws = append(ws, s)
		}
	}
	slices.Sort(ws)
	if len(ws) == 0 {
		return []string{"nothing"}
	}
	return ws
}

// Measurements turns cells into the planner's input.
func Measurements(cells []SweepCell, cores int) []analysis.Measurement {
	var ms []analysis.Measurement
	for _, c := range cells {
		m := analysis.Measurement{
			Partitions: c.Partitions, Workers: c.Workers, Cores: cores,
			Throughput: c.Throughput, P99: c.P99, Skew: c.Skew,
		}
		if c.Reps >= 2 {
			m.ThroughputLow = min(max(0, c.CI.Low), c.Throughput)
		}
		ms = append(ms, m)
	}
	return ms
}

// LoadSweep reads the sweep results in dir, or in dir's sweep/ when dir is
// a report's results directory. It refuses anything else: ErrEmpty,
// ErrSchema, ErrPartial.
func LoadSweep(dir string) (*Results, error) {
	if _, err := os.Stat(filepath.Join(dir, SweepDir, MetaFile)); err == nil {
		dir = filepath.Join(dir, SweepDir)
	}
	if _, err := os.Stat(filepath.Join(dir, MetaFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s holds no sweep results (no %s)", ErrEmpty, dir, MetaFile)
	}
	res, err := Load(dir)
	if errors.Is(err, ErrSchema) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPartial, err)
	}
	if res.Meta.Kind != "sweep" {
		return nil, fmt.Errorf("%w: %s holds %q results; the planner needs a sweep", ErrPartial, dir, res.Meta.Kind)
	}
	if len(res.Points) == 0 {
		return nil, fmt.Errorf("%w: %s has no finished points", ErrPartial, dir)
	}
	return res, nil
}
