package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/shardlab/shardlab/drivers/protocol"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// Driver is one driver to measure: a label and how to start it at a
// partition count (0 for drivers without partitions).
type Driver struct {
	Name string
	// Command returns the driver's command line for partitions.
	Command func(partitions int) []string
	// Partitioned drivers are measured at every Config.Partitions count;
	// the others once.
	Partitioned bool
	// Null marks a driver that does nothing: its figures are the
	// protocol's ceiling, printed beside the others.
	Null bool
	// Baseline names the null driver each figure is divided by (the one
	// written in the same language, so the ratio is the registry's share
	// of its driver's ceiling); "" prints none.
	Baseline string
}

// Config is one measurement.
type Config struct {
	Drivers    []Driver
	Partitions []int
	// Kinds are measured one at a time (each its own closed-loop run).
	Kinds    []model.OpKind
	Workers  int
	Duration time.Duration
	Repeats  int
	// Servers preloaded before each run (find_server reads them).
	Servers int
	Seed    uint64
	// Protocol is the driver configuration (Command is set per driver).
	Protocol protocol.Config
	// Log receives a line per run (nil: quiet).
	Log io.Writer
}

// ErrConfig is wrapped by errors about a bad Config.
var ErrConfig = errors.New("bench: invalid config")

// Row is one driver, partition count and kind, over its repeats.
type Row struct {
	Driver     string
	Partitions int
	Kind       model.OpKind
	Null       bool
	Baseline   string
	// Throughput (ops/s), P50 and P99 (service time) per repeat.
	Throughput    []float64
	P50, P99      []time.Duration
	Errors        int64
	Elapsed       time.Duration
	Ops           int64
	HelloName     string
	ServersLoaded int
}

// Run measures every driver, partition count and kind, Repeats times each,
// interleaving repeats so that a busy spell on a shared machine lands in
// one repeat of every cell rather than all repeats of one.
func Run(ctx context.Context, c Config) ([]*Row, error) {
	if c.Workers < 1 || c.Duration <= 0 || c.Repeats < 1 || len(c.Kinds) == 0 || len(c.Drivers) == 0 || c.Servers < 0 {
		return nil, fmt.Errorf("%w: workers %d, duration %v, repeats %d, kinds %d, drivers %d, servers %d",
			ErrConfig, c.Workers, c.Duration, c.Repeats, len(c.Kinds), len(c.Drivers), c.Servers)
	}
	type cell struct {
		d    Driver
		p    int
		rows []*Row
	}
	var cells []*cell
	var rows []*Row
	for _, d := range c.Drivers {
		ps := []int{0}
		if d.Partitioned {
			ps = c.Partitions
		}
		for _, p := range ps {
			ce := &cell{d: d, p: p}
			for _, k := range c.Kinds {
				r := &Row{Driver: d.Name, Partitions: p, Kind: k, Null: d.Null, Baseline: d.Baseline}
				ce.rows = append(ce.rows, r)
				rows = append(rows, r)
			}
			cells = append(cells, ce)
		}
	}
	for rep := range c.Repeats {
		for _, ce := range cells {
			if err := measureCell(ctx, c, ce.d, ce.p, ce.rows, uint64(rep)); err != nil {
				return rows, err
			}
		}
	}
	return rows, nil
}

// measureCell starts the driver once and measures each kind on a fresh
// registry.
func measureCell(ctx context.Context, c Config, d Driver, p int, rows []*Row, rep uint64) error {
	pc := c.Protocol
	pc.Command = d.Command(p)
	drv, err := protocol.Start(ctx, pc)
	if err != nil {
		return err
	}
	defer drv.Close()
	for _, r := range rows {
		if !drv.Hello().Supports(r.Kind) {
			return fmt.Errorf("%w: driver %s does not support %s", protocol.ErrUnsupported, drv.Name(), r.Kind)
		}
		if err := drv.Reset(); err != nil {
			return err
		}
		reg := drv.Registry()
		if err := (sim.Preload{Servers: c.Servers}).Apply(reg); err != nil {
			if derr := drv.Err(); derr != nil {
				return derr
			}
			return fmt.Errorf("driver %s: %w", drv.Name(), err)
		}
		mix, err := sim.NewMix(map[model.OpKind]float64{r.Kind: 1})
		if err != nil {
			return err
		}
		res, err := sim.ClosedLoop(ctx, sim.Config{
			Registry: reg, Seed: c.Seed + rep, Servers: c.Servers, Duration: c.Duration,
			Groups: []sim.Group{{Name: r.Kind.String(), Workers: c.Workers, Mix: mix}},
			IDTag:  fmt.Sprintf("r%d", rep),
		})
		if err != nil {
			return err
		}
		if err := drv.Idle(); err != nil {
			return err
		}
		r.HelloName = drv.Hello().Name
		r.Throughput = append(r.Throughput, res.Throughput)
		h := res.Latency(r.Kind)
		r.P50 = append(r.P50, time.Duration(h.ValueAtQuantile(50)))
		r.P99 = append(r.P99, time.Duration(h.ValueAtQuantile(99)))
		r.Ops += res.Ops
		r.Elapsed += res.Elapsed
		for _, ks := range res.Kinds {
			for code, n := range ks.Errors() {
				if !(r.Kind.IsRegistration() && code == model.CodeAlreadyRegistered) {
					r.Errors += n
				}
			}
		}
		if c.Log != nil {
			fmt.Fprintf(c.Log, "%s p=%d %s repeat %d: %.0f ops/s, p99 %v\n", r.HelloName, p, r.Kind, rep+1, res.Throughput, time.Duration(h.ValueAtQuantile(99)))
		}
	}
	return drv.Close()
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Table prints the rows: per kind, the median throughput over the repeats
// with its range, median p50 and p99, and the throughput as a share of the
// null driver's of the same language family, measured in the same run.
func Table(w io.Writer, rows []*Row) {
	type key struct {
		name string
		kind model.OpKind
	}
	nulls := map[key]*Row{}
	for _, r := range rows {
		if r.Null {
			nulls[key{r.Driver, r.Kind}] = r
		}
	}
	fmt.Fprintf(w, "%-22s %4s %-16s %12s %21s %9s %9s %s\n", "driver", "p", "op", "ops/s (med)", "range", "p50", "p99", "share of its null driver's ops/s (the protocol's ceiling)")
	for _, r := range rows {
		p := "-"
		if r.Partitions > 0 {
			p = fmt.Sprint(r.Partitions)
		}
		vs := ""
		if n, ok := nulls[key{r.Baseline, r.Kind}]; ok && n != r {
			vs = fmt.Sprintf(" %.2fx %s (%.0f ops/s)", median(r.Throughput)/median(n.Throughput), n.Driver, median(n.Throughput))
		}
		name := r.Driver
		fmt.Fprintf(w, "%-22s %4s %-16s %12.0f %10.0f-%-10.0f %9v %9v%s\n", name, p, r.Kind, median(r.Throughput),
			slices.Min(r.Throughput), slices.Max(r.Throughput), median(r.P50).Round(time.Microsecond),
			median(r.P99).Round(time.Microsecond), vs)
		if r.Errors > 0 {
			fmt.Fprintf(w, "%-22s      %d unexpected errors\n", "", r.Errors)
		}
	}
	fmt.Fprintln(w, strings.TrimSpace(`
Latency is service time as shardlab sees it: the round trip through the driver's
stdin and stdout included. A null driver does nothing, so its figures are what the
protocol itself costs and caps every figure above.`))
}
