package capacity

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/sim"
)

// Defaults for PlanConfig.
const (
	// DefaultMargin: a candidate must meet the target by 20 %: p99 at most
	// goal/1.2, throughput at least required x 1.2 (closed loop), and its
	// busiest resource at most 1/1.2 = 83 % utilised (offered loads).
	DefaultMargin = 0.2
	// DefaultKeepUp: an offered load (connections, open loop) is met when
	// the predicted throughput is within 2 % of it; the rest is the
	// simulation's sampling noise over a finite run.
	DefaultKeepUp = 0.02
)

// DefaultPlanPartitions are the candidates plan compares: 10 counts.
func DefaultPlanPartitions() []int { return []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512} }

// PlanConfig is a capacity question: this load on Cores cores, which
// partition count?
type PlanConfig struct {
	Calibration *Calibration
	Cores       int
	// The load, as in Config: Workers, or Connections with Think, or Rate.
	Workers     int
	Connections int
	Think       time.Duration
	ThinkDist   string
	Rate        float64
	Mix         sim.Mix
	Keys        sim.Keys
	// Throughput is the required ops/s (0: none for a closed loop; for
	// connections and open loops the offered load, always).
	Throughput float64
	// P99 is the latency goal (0: none).
	P99        time.Duration
	Margin     float64 // default DefaultMargin
	KeepUp     float64 // default DefaultKeepUp
	Partitions []int   // default DefaultPlanPartitions
	Ops        int64
	Replicates int
	Seed       uint64
	// ValidatedCores is the largest core count the model was checked
	// against measurement at (0: unknown); beyond it the plan says its
	// figures are unvalidated there.
	ValidatedCores int
}

// PlanRow is one candidate partition count.
type PlanRow struct {
	Partitions int
	Prediction Prediction
	// ThroughputUsed and P99Used are the figures the decision used: the
	// pessimistic ends of the intervals (throughput's low, p99's high).
	ThroughputUsed float64
	P99Used        float64 // ns
	Busiest        float64 // max(core, hottest lock) utilisation, median
	Pass           bool
	Fails          []string
	Limiting       string
	// Measured, when set by a caller that could measure this row on this
	// machine, is shown beside the model's figures.
	Measured *Measured
}

// Measured is a measurement a caller attached to a plan row.
type Measured struct {
	Throughput float64
	P99        float64 // ns
	Source     string
}

// PlanResult is the decision, its reasons and the table it came from.
type PlanResult struct {
	Config      PlanConfig
	Required    float64 // ops/s the decision required (0: none)
	Offered     float64 // ops/s the load offers (0: closed loop)
	Rows        []PlanRow
	Recommended int // 0 when no candidate meets the target
	// Indistinguishable lists the passing candidates larger than
	// Recommended whose p99 and throughput intervals overlap its own: more
	// partitions there buy nothing the model can tell apart.
	Indistinguishable []int
	Best              int    // the recommended count, or when none passes the closest
	Limiting          string // at Best
	Prose             string
}

// Plan answers cfg from the model: it predicts every candidate partition
// count on cfg.Cores and recommends the smallest that meets the target
// with the margin, judged on the pessimistic end of each interval.
func Plan(cfg PlanConfig) (*PlanResult, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	res := &PlanResult{Config: c}
	switch {
	case c.Connections > 0:
		res.Offered = float64(c.Connections) / c.Think.Seconds()
	case c.Rate > 0:
		res.Offered = c.Rate
	}
	res.Required = c.Throughput
	if res.Offered > 0 && res.Required == 0 {
		res.Required = res.Offered
	}
	for _, p := range c.Partitions {
		pred, err := Predict(Config{Calibration: c.Calibration, Cores: c.Cores, Partitions: p, Mix: c.Mix, Keys: c.Keys,
			Workers: c.Workers, Connections: c.Connections, Think: c.Think, ThinkDist: c.ThinkDist, Rate: c.Rate,
			Ops: c.Ops, Seed: c.Seed}, c.Replicates)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, res.judge(pred))
	}
	res.decide()
	return res, nil
}

func (c PlanConfig) withDefaults() (PlanConfig, error) {
	if c.Margin == 0 {
		c.Margin = DefaultMargin
	}
	if !(c.Margin >= 0 && c.Margin < 10) {
		return c, fmt.Errorf("%w: margin %v (want 0..10)", ErrConfig, c.Margin)
	}
	if c.KeepUp == 0 {
		c.KeepUp = DefaultKeepUp
	}
	if !(c.KeepUp > 0 && c.KeepUp < 1) {
		return c, fmt.Errorf("%w: keep-up tolerance %v (want in (0, 1))", ErrConfig, c.KeepUp)
	}
	if c.Partitions == nil {
		c.Partitions = DefaultPlanPartitions()
	}
	if len(c.Partitions) == 0 {
		return c, fmt.Errorf("%w: partitions: none", ErrConfig)
	}
	c.Partitions = slices.Clone(c.Partitions)
	slices.Sort(c.Partitions)
	c.Partitions = slices.Compact(c.Partitions)
	if !(c.Throughput >= 0 && c.Throughput < math.Inf(1)) {
		return c, fmt.Errorf("%w: ops %v (want a finite number >= 0)", ErrConfig, c.Throughput)
	}
	if c.P99 < 0 {
		return c, fmt.Errorf("%w: p99 %v (want >= 0)", ErrConfig, c.P99)
	}
	// The rest is the model's to check.
	probe := Config{Calibration: c.Calibration, Cores: c.Cores, Partitions: c.Partitions[0], Mix: c.Mix, Keys: c.Keys,
		Workers: c.Workers, Connections: c.Connections, Think: c.Think, ThinkDist: c.ThinkDist, Rate: c.Rate, Ops: c.Ops}
	for _, p := range c.Partitions {
		probe.Partitions = p
		if err := probe.Validate(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// judge checks one prediction against the target.
func (r *PlanResult) judge(p Prediction) PlanRow {
	c := r.Config
	row := PlanRow{Partitions: p.Partitions, Prediction: p, ThroughputUsed: p.Throughput.Low, P99Used: p.P99.High}
	row.Busiest = max(p.CoreUtilisation.Median, p.HottestLockUtilisation.Median)
	row.Limiting = limiting(c, p)
	m := 1 + c.Margin
	if r.Required > 0 {
		need := r.Required * m
		what := "required"
		if r.Offered > 0 {
			need, what = r.Required*(1-c.KeepUp), "offered"
		}
		if row.ThroughputUsed < need {
			row.Fails = append(row.Fails, fmt.Sprintf("throughput %s < %s (%s %s)", rate(row.ThroughputUsed), rate(need), what, marginText(r.Offered > 0, c)))
		}
	}
	if r.Offered > 0 && row.Busiest > 1/m {
		row.Fails = append(row.Fails, fmt.Sprintf("%s %.0f %% busy > %.0f %% (margin %.0f %%)", row.Limiting, 100*row.Busiest, 100/m, 100*c.Margin))
	}
	if c.P99 > 0 {
		limit := float64(c.P99) / m
		if row.P99Used > limit {
			row.Fails = append(row.Fails, fmt.Sprintf("p99 %s > %s (goal %v / %.2f)", dur(row.P99Used), dur(limit), c.P99, m))
		}
	}
	row.Pass = len(row.Fails) == 0
	return row
}

func marginText(offered bool, c PlanConfig) string {
	if offered {
		return fmt.Sprintf("less %.0f %%", 100*c.KeepUp)
	}
	return fmt.Sprintf("x %.2f", 1+c.Margin)
}

// limiting names what bounds a candidate: the cores, the hottest
// partition's lock, or the hottest key (which no partition count can
// split), or for a closed loop with idle cores its callers.
func limiting(c PlanConfig, p Prediction) string {
	uc, ul, uk := p.CoreUtilisation.Median, p.HottestLockUtilisation.Median, p.HottestKeyUtilisation.Median
	switch {
	case ul > uc && uk >= 0.7*ul:
		return "the hottest key"
	case ul > uc:
		return "the hottest partition's lock"
	case c.Workers > 0 && c.Workers < c.Cores:
		return "the callers"
	}
	return "the cores"
}

func overlaps(a, b Estimate) bool { return a.Low <= b.High && b.Low <= a.High }

func (r *PlanResult) decide() {
	c := r.Config
	for _, row := range r.Rows {
		if row.Pass {
			r.Recommended = row.Partitions
			break
		}
	}
	bestIdx := -1
	if r.Recommended > 0 {
		bestIdx = slices.IndexFunc(r.Rows, func(x PlanRow) bool { return x.Partitions == r.Recommended })
		rec := r.Rows[bestIdx].Prediction
		for _, row := range r.Rows[bestIdx+1:] {
			if row.Pass && overlaps(row.Prediction.P99, rec.P99) && overlaps(row.Prediction.Throughput, rec.Throughput) {
				r.Indistinguishable = append(r.Indistinguishable, row.Partitions)
			}
		}
	} else {
		// Closest: the smallest worst ratio of a figure to its limit
		// (p99 over its limit, required over achieved throughput, the
		// busiest resource over its headroom); then the smallest count
		// whose intervals overlap it.
		m := 1 + c.Margin
		score := func(row PlanRow) float64 {
			worst := 0.0
			if c.P99 > 0 {
				worst = max(worst, row.P99Used/(float64(c.P99)/m))
			}
			if r.Required > 0 && row.ThroughputUsed > 0 {
				worst = max(worst, r.Required/row.ThroughputUsed)
			}
			if r.Offered > 0 {
				worst = max(worst, row.Busiest*m)
			}
			return worst
		}
		bestIdx = 0
		for i, row := range r.Rows {
			if score(row) < score(r.Rows[bestIdx]) {
				bestIdx = i
			}
		}
		b := r.Rows[bestIdx].Prediction
		for i, row := range r.Rows[:bestIdx] {
			if overlaps(row.Prediction.P99, b.P99) && overlaps(row.Prediction.Throughput, b.Throughput) {
				bestIdx = i
				break
			}
		}
	}
	best := r.Rows[bestIdx]
	r.Best, r.Limiting = best.Partitions, best.Limiting
	r.Prose = r.prose(best)
}

func (r *PlanResult) prose(best PlanRow) string {
	c := r.Config
	var b strings.Builder
	fmt.Fprintf(&b, "On %s, for %s with mix %s over %s keys, ", plural(c.Cores, "core"), LoadText(c.Workers, c.Connections, c.Think, c.ThinkDist, c.Rate), c.Mix, KeysText(c.Keys))
	target := r.targetText()
	p := best.Prediction
	if r.Recommended > 0 {
		fmt.Fprintf(&b, "the model recommends %s: the smallest of %s whose predicted figures meet the target (%s) with a %.0f %% margin, judged on the pessimistic end of each 95 %% interval: p99 at most %s, throughput at least %s ops/s.",
			plural(r.Recommended, "partition"), countsText(c.Partitions), target, 100*c.Margin, dur(best.P99Used), rate(best.ThroughputUsed))
		if len(r.Indistinguishable) > 0 {
			fmt.Fprintf(&b, " %s also pass and are indistinguishable from it (their intervals overlap), so the smaller count wins.", capitalise(listText(r.Indistinguishable, "partition")))
		}
	} else {
		fmt.Fprintf(&b, "no partition count among %s meets the target (%s) with a %.0f %% margin. The closest is %s (p99 at most %s, throughput at least %s ops/s): %s.",
			countsText(c.Partitions), target, 100*c.Margin, plural(best.Partitions, "partition"), dur(best.P99Used), rate(best.ThroughputUsed), strings.Join(best.Fails, "; "))
	}
	busiest := max(p.CoreUtilisation.Median, p.HottestLockUtilisation.Median)
	switch {
	case best.Limiting == "the callers":
		fmt.Fprintf(&b, " The limiting resource is the callers: %s each wait for their own op, leaving the cores %.0f %% busy; partitions do not change that.", plural(c.Workers, "worker"), 100*p.CoreUtilisation.Median)
	case busiest < 0.5:
		fmt.Fprintf(&b, " No resource is near its limit: the busiest is %s, %.0f %% busy (cores %.0f %%, hottest lock %.0f %%).",
			best.Limiting, 100*busiest, 100*p.CoreUtilisation.Median, 100*p.HottestLockUtilisation.Median)
	case best.Limiting == "the hottest key":
		fmt.Fprintf(&b, " The limiting resource is the hottest key: on its own it keeps its partition's lock %.0f %% busy (the hottest lock is %.0f %% busy), and no partition count can split one key; spread the writes to hot keys or batch them.",
			100*p.HottestKeyUtilisation.Median, 100*p.HottestLockUtilisation.Median)
	case best.Limiting == "the hottest partition's lock":
		fmt.Fprintf(&b, " The limiting resource is the hottest partition's lock (%.0f %% busy, cores %.0f %%): more partitions spread it.", 100*p.HottestLockUtilisation.Median, 100*p.CoreUtilisation.Median)
	default:
		fmt.Fprintf(&b, " The limiting resource is the cores (%.0f %% busy; hottest lock %.0f %%): more partitions cannot help, more cores can.", 100*p.CoreUtilisation.Median, 100*p.HottestLockUtilisation.Median)
	}
	cal := c.Calibration
	fmt.Fprintf(&b, " Every figure is the model's (%s over %s), calibrated on %s (%s)",
		plural(p.Replicates, "replicate"), "seeds and calibration repetitions", cal.Host.CPUModel, plural(cal.Host.NumCPU, "CPU"))
	switch {
	case c.ValidatedCores > 0 && c.Cores > c.ValidatedCores:
		fmt.Fprintf(&b, "; it was checked against measurement up to %s only, so at %s it is an unvalidated prediction.", plural(c.ValidatedCores, "core"), plural(c.Cores, "core"))
	case c.ValidatedCores > 0:
		fmt.Fprintf(&b, "; checked against measurement on this machine up to %s (validate-model gives the error per cell).", plural(c.ValidatedCores, "core"))
	default:
		b.WriteString("; not validated here (run shardlab validate-model).")
	}
	if measuredRows := r.measuredRows(); measuredRows != "" {
		fmt.Fprintf(&b, " Measured on this machine for comparison: %s.", measuredRows)
	}
	return b.String()
}

func (r *PlanResult) measuredRows() string {
	var ps []int
	for _, row := range r.Rows {
		if row.Measured != nil {
			ps = append(ps, row.Partitions)
		}
	}
	if len(ps) == 0 {
		return ""
	}
	return listText(ps, "partition")
}

// Remeasure refreshes the prose after a caller attached measurements.
func (r *PlanResult) Remeasure() {
	r.Prose = r.prose(r.Rows[slices.IndexFunc(r.Rows, func(x PlanRow) bool { return x.Partitions == r.Best })])
}

// LoadText describes a load in words: "8 closed-loop workers", "10,000
// connections thinking 100ms (fixed), offering 100k ops/s" or "open-loop
// arrivals at 50k ops/s".
func LoadText(workers, connections int, think time.Duration, thinkDist string, arrivals float64) string {
	switch {
	case workers > 0:
		return plural(workers, "closed-loop worker")
	case connections > 0:
		if thinkDist == "" {
			thinkDist = sim.ThinkFixed
		}
		return fmt.Sprintf("%s thinking %v (%s), offering %s ops/s", plural(connections, "connection"), think, thinkDist, rate(float64(connections)/think.Seconds()))
	}
	return fmt.Sprintf("open-loop arrivals at %s ops/s", rate(arrivals))
}

func (r *PlanResult) targetText() string {
	var parts []string
	if r.Required > 0 {
		if r.Offered > 0 {
			parts = append(parts, fmt.Sprintf("keep up with %s ops/s within %.0f %%", rate(r.Required), 100*r.Config.KeepUp))
		} else {
			parts = append(parts, fmt.Sprintf("%s ops/s", rate(r.Required)))
		}
	}
	if r.Config.P99 > 0 {
		parts = append(parts, fmt.Sprintf("p99 %v", r.Config.P99))
	}
	if len(parts) == 0 {
		return "no throughput or latency goal: the smallest count"
	}
	return strings.Join(parts, ", ")
}

// Text is the plan as a reader gets it: the prose, then the table with the
// figure each decision used.
func (r *PlanResult) Text() string {
	var b strings.Builder
	b.WriteString(wrap(r.Prose, 78))
	b.WriteString("\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "partitions\tthroughput (low)\t[interval]\tp99 (high)\t[interval]\tcores busy\thottest lock\thottest key\tlimiting\tmeasured here\tverdict\t")
	for _, row := range r.Rows {
		p := row.Prediction
		meas := "-"
		if row.Measured != nil {
			meas = fmt.Sprintf("%s ops/s, p99 %s", rate(row.Measured.Throughput), dur(row.Measured.P99))
		}
		verdict := "meets"
		if !row.Pass {
			verdict = strings.Join(row.Fails, "; ")
		}
		if row.Partitions == r.Recommended {
			verdict = "RECOMMENDED"
		} else if slices.Contains(r.Indistinguishable, row.Partitions) {
			verdict = "meets; indistinguishable"
		}
		fmt.Fprintf(tw, "%d\t%s\t[%s, %s]\t%s\t[%s, %s]\t%.0f%%\t%.0f%%\t%.0f%%\t%s\t%s\t%s\t\n", row.Partitions,
			rate(row.ThroughputUsed), rate(p.Throughput.Low), rate(p.Throughput.High),
			dur(row.P99Used), dur(p.P99.Low), dur(p.P99.High),
			100*p.CoreUtilisation.Median, 100*p.HottestLockUtilisation.Median, 100*p.HottestKeyUtilisation.Median,
			strings.TrimPrefix(row.Limiting, "the "), meas, verdict)
	}
	tw.Flush()
	return b.String()
}

func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		if i > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// KeysText names a key distribution: "uniform", "zipfian (theta 0.99)".
func KeysText(k sim.Keys) string {
	switch k.Dist {
	case "", sim.DistUniform:
		return "uniform"
	case sim.DistZipfian, sim.DistLatest:
		th := k.Theta
		if th == 0 {
			th = sim.DefaultTheta
		}
		return fmt.Sprintf("%s (theta %g)", k.Dist, th)
	}
	return k.Dist
}

func countsText(ps []int) string {
	if len(ps) == 1 {
		return plural(ps[0], "partition")
	}
	return fmt.Sprintf("%d to %d partitions", ps[0], ps[len(ps)-1])
}

// listText writes "4 partitions", "4 and 16 partitions", "4, 16 and 64
// partitions" ("1 partition" alone).
func listText(ps []int, noun string) string {
	if len(ps) == 1 {
		return plural(ps[0], noun)
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1] + " " + noun + "s"
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// plural writes "1 partition", "4 partitions", "100,000 connections".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return units.Commas(n) + " " + noun + "s"
}

// FormatRate writes ops/s compactly: 950, 12k, 1.25M.
func FormatRate(x float64) string { return rate(x) }

// FormatNs writes a duration in ns compactly: 850ns, 12.5µs, 3.10ms.
func FormatNs(ns float64) string { return dur(ns) }

func rate(x float64) string {
	switch {
	case x >= 999.5e3: // 999,999 is "1.00M", not "1000k"
		return fmt.Sprintf("%.2fM", x/1e6)
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
		return fmt.Sprintf("%.2fms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1fµs", ns/1e3)
	}
	return fmt.Sprintf("%.0fns", ns)
}
