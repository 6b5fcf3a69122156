package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Measurement is one measured cell of a partitions × workers sweep, with
// repetitions already aggregated (use MeanCI for Throughput/ThroughputLow).
type Measurement struct {
	Partitions int
	Workers    int // concurrency: closed-loop workers or connections
	Cores      int // cores the run used; 0 if unknown
	Throughput float64
	// ThroughputLow is the lower end of Throughput's confidence interval;
	// 0 means none was measured. When set, the planner judges the
	// throughput requirement against it rather than against the mean.
	ThroughputLow float64
	P99           time.Duration
	Skew          float64 // the seed's (max-min)/(mean+1) over partition counts
}

// Target is what capacity planning must meet. A zero Throughput, P99 or
// MaxSkew means "no requirement" and that constraint is not checked.
type Target struct {
	Workers    int     // the concurrency to plan for (required, >= 1)
	Throughput float64 // required ops/s at Workers
	P99        time.Duration
	MaxSkew    float64
	Cores      int // cores in production; 0 = not stated
	// Unit names the concurrency in printed text: "workers" (the default,
	// closed-loop callers) or e.g. "connections".
	Unit string
}

func (t Target) unit() string {
	if t.Unit == "" {
		return "workers"
	}
	return t.Unit
}

// Evidence says how directly a candidate's figures were measured. Larger
// values are weaker evidence.
type Evidence int

const (
	// EvidenceMeasured: measured at exactly the target concurrency.
	EvidenceMeasured Evidence = iota
	// EvidenceInterpolated: inside the measured concurrency range, from the
	// USL fit or between neighbouring measurements; or p99 taken from a
	// measurement at higher concurrency (an upper bound).
	EvidenceInterpolated
	// EvidenceExtrapolated: beyond the measured range by at most
	// MaxTrustedExtrapolation.
	EvidenceExtrapolated
	// EvidenceUntrusted: extrapolated further than MaxTrustedExtrapolation;
	// shown, but measure there before relying on it.
	EvidenceUntrusted
	// EvidenceMissing: nothing supports an estimate (e.g. fewer than 3
	// concurrencies measured and the target outside them).
	EvidenceMissing
)

func (e Evidence) String() string {
	switch e {
	case EvidenceMeasured:
		return "measured"
	case EvidenceInterpolated:
		return "interpolated"
	case EvidenceExtrapolated:
		return "extrapolated"
	case EvidenceUntrusted:
		return "untrusted"
	case EvidenceMissing:
		return "missing"
	}
	return fmt.Sprintf("Evidence(%d)", int(e))
}

// MaxTrustedExtrapolation is how far past the measured concurrency range
// (as a ratio, target/largest or smallest/target) the planner trusts a USL
// prediction. A USL fit pins σ and κ only over the measured range; past
// about 2× a small error in κ (which grows with N²) dominates, and new
// bottlenecks (memory bandwidth, scheduler, GC) the model does not
// contain appear.
const MaxTrustedExtrapolation = 2.0

// ConstraintCheck is one requirement applied to one candidate.
type ConstraintCheck struct {
	Name     string // "throughput", "p99", "skew"
	Checked  bool   // false when the target sets no requirement
	Pass     bool
	Evidence Evidence
	Reason   string
}

// Candidate is the planner's view of one measured partition count at the
// target concurrency.
type Candidate struct {
	Partitions    int
	Throughput    float64 // estimated ops/s at Target.Workers; NaN if missing
	ThroughputLow float64 // the value judged against the requirement
	P99           time.Duration
	Skew          float64 // worst skew measured at this partition count
	Fit           *USLFit // throughput fit over this partition count, if one was made and is usable
	FitRefused    string  // why a fit that was made is not used (USLFit.Usable), "" otherwise
	Checks        []ConstraintCheck
	Evidence      Evidence // weakest evidence among the checked constraints
	Pass          bool     // every checked constraint passes
}

// CapacityPlan is PlanCapacity's answer.
type CapacityPlan struct {
	Target      Target
	Recommended int      // partition count; 0 when none meets the target
	Evidence    Evidence // of the recommended candidate
	Candidates  []Candidate
	Notes       []string
}

// PlanCapacity recommends the smallest measured partition count that meets
// every requirement of target, and shows its working.
//
// For each partition count P in ms, at W = target.Workers:
//
//   - Throughput: the measurement at W if there is one. Otherwise the USL
//     fitted to P's measurements (FitUSL, needs 3 distinct concurrencies)
//     predicts X(W), or, with fewer points and W inside the measured range,
//     linear interpolation between the neighbouring measurements. The
//     requirement is judged against the CI's lower end when measured; for
//     predictions the lower end is scaled by the worst measured
//     ThroughputLow/Throughput ratio at P. Conservative on purpose.
//   - p99: the measurement at W, else the one at the smallest measured
//     concurrency above W (in a closed loop latency grows with
//     concurrency, so this is an upper bound). Past the largest measured
//     concurrency N_max, Little's law (mean latency = N/X(N)) scales the
//     last measured p99: p99(W) ≈ p99(N_max) · (W/X(W)) / (N_max/X(N_max)),
//     i.e. the tail is assumed to keep its shape while the queue grows.
//   - Skew: the worst skew measured at P (skew depends on keys, not load).
//
// Evidence grades each figure; extrapolation beyond MaxTrustedExtrapolation
// is graded untrusted. The recommendation prefers the smallest passing
// candidate whose evidence is at most extrapolated; only if no such
// candidate exists does it fall back to an untrusted one, with a note
// saying where to measure. Candidates are only the measured partition
// counts: the planner never invents one.
//
// Errors: ErrNoData without measurements; ErrInvalidArgument for a
// target without Workers, non-positive partitions or workers, negative or
// non-finite figures, or two measurements of the same (partitions,
// workers) cell (aggregate repetitions first).
func PlanCapacity(ms []Measurement, target Target) (CapacityPlan, error) {
	if len(ms) == 0 {
		return CapacityPlan{}, fmt.Errorf("plan capacity: %w", ErrNoData)
	}
	if err := validatePlanInput(ms, target); err != nil {
		return CapacityPlan{}, fmt.Errorf("plan capacity: %w", err)
	}
	byPartitions := map[int][]Measurement{}
	for _, m := range ms {
		byPartitions[m.Partitions] = append(byPartitions[m.Partitions], m)
	}
	partitions := make([]int, 0, len(byPartitions))
	for p := range byPartitions {
		partitions = append(partitions, p)
	}
	slices.Sort(partitions)

	plan := CapacityPlan{Target: target}
	for _, p := range partitions {
		cells := byPartitions[p]
		slices.SortFunc(cells, func(a, b Measurement) int { return cmp.Compare(a.Workers, b.Workers) })
		plan.Candidates = append(plan.Candidates, evaluateCandidate(p, cells, target))
	}
	plan.Recommended, plan.Evidence = 0, EvidenceMissing
	for _, trusted := range []bool{true, false} {
		for _, c := range plan.Candidates {
			if c.Pass && (!trusted || c.Evidence <= EvidenceExtrapolated) {
				plan.Recommended, plan.Evidence = c.Partitions, c.Evidence
				break
			}
		}
		if plan.Recommended != 0 {
			break
		}
	}
	plan.Notes = planNotes(ms, target, plan)
	return plan, nil
}

func validatePlanInput(ms []Measurement, t Target) error {
	if t.Workers < 1 {
		return fmt.Errorf("target workers %d, need at least 1: %w", t.Workers, ErrInvalidArgument)
	}
	if !(t.Throughput >= 0) || math.IsInf(t.Throughput, 0) || t.P99 < 0 || !(t.MaxSkew >= 0) || t.Cores < 0 {
		return fmt.Errorf("target %+v has a negative or non-finite requirement: %w", t, ErrInvalidArgument)
	}
	type cell struct{ p, w int }
	seen := map[cell]bool{}
	for i, m := range ms {
		switch {
		case m.Partitions < 1 || m.Workers < 1:
			return fmt.Errorf("measurement %d: partitions %d, workers %d must be >= 1: %w", i, m.Partitions, m.Workers, ErrInvalidArgument)
		case !(m.Throughput >= 0) || math.IsInf(m.Throughput, 0):
			return fmt.Errorf("measurement %d: throughput %v: %w", i, m.Throughput, ErrInvalidArgument)
		case !(m.ThroughputLow >= 0) || m.ThroughputLow > m.Throughput:
			return fmt.Errorf("measurement %d: throughput CI low %v outside [0, %v]: %w", i, m.ThroughputLow, m.Throughput, ErrInvalidArgument)
		case m.P99 < 0 || !(m.Skew >= 0) || math.IsInf(m.Skew, 0) || m.Cores < 0:
			return fmt.Errorf("measurement %d: negative or non-finite p99, skew or cores: %w", i, ErrInvalidArgument)
		}
		c := cell{m.Partitions, m.Workers}
		if seen[c] {
			return fmt.Errorf("measurement %d: partitions=%d workers=%d measured twice; aggregate repetitions first: %w",
				i, m.Partitions, m.Workers, ErrInvalidArgument)
		}
		seen[c] = true
	}
	return nil
}

// rangeEvidence grades a prediction at w from measurements spanning
// [lo, hi] concurrency.
func rangeEvidence(w, lo, hi int) Evidence {
	ratio := max(float64(w)/float64(hi), float64(lo)/float64(w))
	switch {
	case ratio <= 1:
		return EvidenceInterpolated
	case ratio <= MaxTrustedExtrapolation:
		return EvidenceExtrapolated
	default:
		return EvidenceUntrusted
	}
}

// evaluateCandidate estimates one partition count's figures at the target
// concurrency; cells are sorted by workers.
func evaluateCandidate(p int, cells []Measurement, t Target) Candidate {
	w, u := t.Workers, t.unit()
	c := Candidate{Partitions: p, Throughput: math.NaN(), ThroughputLow: math.NaN()}
	lo, hi := cells[0].Workers, cells[len(cells)-1].Workers

	// Worst relative CI lower bound, applied to predicted throughputs.
	lowRatio := 1.0
	for _, m := range cells {
		c.Skew = max(c.Skew, m.Skew)
		if m.ThroughputLow > 0 && m.Throughput > 0 {
			lowRatio = min(lowRatio, m.ThroughputLow/m.Throughput)
		}
	}
	if len(cells) >= 3 {
		pts := make([]ScalingPoint, len(cells))
		for i, m := range cells {
			pts[i] = ScalingPoint{N: float64(m.Workers), Throughput: m.Throughput}
		}
		if fit, err := FitUSL(pts); err == nil {
			if uerr := fit.Usable(); uerr != nil {
				c.FitRefused = fmt.Sprintf("%s (%s)", strings.TrimSuffix(uerr.Error(), ": "+ErrInvalidArgument.Error()), fit)
			} else {
				c.Fit = &fit
			}
		}
	}

	// Throughput at w.
	tpEvidence, tpHow := EvidenceMissing, ""
	exact := slices.IndexFunc(cells, func(m Measurement) bool { return m.Workers == w })
	switch {
	case exact >= 0:
		m := cells[exact]
		c.Throughput, c.ThroughputLow = m.Throughput, m.Throughput
		if m.ThroughputLow > 0 {
			c.ThroughputLow = m.ThroughputLow
		}
		tpEvidence, tpHow = EvidenceMeasured, fmt.Sprintf("measured at %d %s", w, u)
	case c.Fit != nil:
		c.Throughput = c.Fit.Predict(float64(w))
		c.ThroughputLow = c.Throughput * lowRatio
		tpEvidence = rangeEvidence(w, lo, hi)
		tpHow = fmt.Sprintf("USL fit over %d-%d %s (R²=%.3f)", lo, hi, u, c.Fit.RSquared)
	case w > lo && w < hi:
		i := slices.IndexFunc(cells, func(m Measurement) bool { return m.Workers > w })
		a, b := cells[i-1], cells[i]
		f := float64(w-a.Workers) / float64(b.Workers-a.Workers)
		c.Throughput = a.Throughput + f*(b.Throughput-a.Throughput)
		c.ThroughputLow = c.Throughput * lowRatio
		tpEvidence = EvidenceInterpolated
		tpHow = fmt.Sprintf("linear between %d and %d %s", a.Workers, b.Workers, u)
	default:
		tpHow = fmt.Sprintf("no measurement near %d %s and too few (%d) to fit the USL", w, u, len(cells))
	}

	// p99 at w.
	p99Evidence, p99How := EvidenceMissing, ""
	above := slices.IndexFunc(cells, func(m Measurement) bool { return m.Workers >= w })
	switch {
	case above >= 0 && cells[above].Workers == w:
		c.P99, p99Evidence, p99How = cells[above].P99, EvidenceMeasured, fmt.Sprintf("measured at %d %s", w, u)
	case above >= 0:
		m := cells[above]
		c.P99, p99Evidence = m.P99, EvidenceInterpolated
		p99How = fmt.Sprintf("upper bound: measured at %d %s", m.Workers, u)
	case tpEvidence != EvidenceMissing && c.Throughput > 0 && cells[len(cells)-1].Throughput > 0:
		last := cells[len(cells)-1]
		scale := (float64(w) / c.Throughput) / (float64(last.Workers) / last.Throughput)
		c.P99 = time.Duration(float64(last.P99) * scale)
		p99Evidence = max(rangeEvidence(w, lo, hi), tpEvidence)
		p99How = fmt.Sprintf("Little's law from %d %s", last.Workers, u)
	default:
		p99How = fmt.Sprintf("no measurement at or above %d %s and no throughput estimate", w, u)
	}

	check := func(name string, checked, pass bool, ev Evidence, reason string) {
		c.Checks = append(c.Checks, ConstraintCheck{Name: name, Checked: checked, Pass: !checked || pass, Evidence: ev, Reason: reason})
	}
	switch {
	case t.Throughput == 0:
		check("throughput", false, true, tpEvidence, "no requirement")
	case tpEvidence == EvidenceMissing:
		check("throughput", true, false, tpEvidence, "cannot estimate: "+tpHow)
	default:
		op := "<"
		if c.ThroughputLow >= t.Throughput {
			op = ">="
		}
		judged := fmt.Sprintf("%.0f ops/s", c.Throughput)
		if c.ThroughputLow != c.Throughput {
			judged += fmt.Sprintf(" (CI low %.0f)", c.ThroughputLow)
		}
		check("throughput", true, c.ThroughputLow >= t.Throughput, tpEvidence,
			fmt.Sprintf("%s %s %.0f required; %s", judged, op, t.Throughput, tpHow))
	}
	switch {
	case t.P99 == 0:
		check("p99", false, true, p99Evidence, "no requirement")
	case p99Evidence == EvidenceMissing:
		check("p99", true, false, p99Evidence, "cannot estimate: "+p99How)
	default:
		op := ">"
		if c.P99 <= t.P99 {
			op = "<="
		}
		check("p99", true, c.P99 <= t.P99, p99Evidence,
			fmt.Sprintf("%s %s %s goal; %s", fmtDuration(c.P99), op, fmtDuration(t.P99), p99How))
	}
	if t.MaxSkew == 0 {
		check("skew", false, true, EvidenceMeasured, "no requirement")
	} else {
		op := ">"
		if c.Skew <= t.MaxSkew {
			op = "<="
		}
		check("skew", true, c.Skew <= t.MaxSkew, EvidenceMeasured,
			fmt.Sprintf("worst measured %.3f %s %.3f limit", c.Skew, op, t.MaxSkew))
	}

	c.Pass = true
	c.Evidence = EvidenceMeasured
	for _, ch := range c.Checks {
		c.Pass = c.Pass && ch.Pass
		if ch.Checked {
			c.Evidence = max(c.Evidence, ch.Evidence)
		}
	}
	return c
}

func planNotes(ms []Measurement, t Target, plan CapacityPlan) []string {
	var notes []string
	if t.Cores > 0 {
		var other []int
		for _, m := range ms {
			if m.Cores > 0 && m.Cores != t.Cores && !slices.Contains(other, m.Cores) {
				other = append(other, m.Cores)
			}
		}
		if len(other) > 0 {
			slices.Sort(other)
			notes = append(notes, fmt.Sprintf(
				"measured on %v cores but the target has %d: throughput and latency do not transfer between machines; re-measure on the target hardware",
				other, t.Cores))
		}
	}
	for _, c := range plan.Candidates {
		if c.FitRefused != "" {
			notes = append(notes, fmt.Sprintf("P=%d: %s", c.Partitions, c.FitRefused))
		}
	}
	switch {
	case plan.Recommended == 0:
		notes = append(notes, whyNone(plan.Candidates)...)
	case plan.Evidence == EvidenceUntrusted:
		notes = append(notes, fmt.Sprintf(
			"the recommendation rests on extrapolation beyond %gx the measured concurrency; measure P=%d at %d %s before relying on it",
			MaxTrustedExtrapolation, plan.Recommended, t.Workers, t.unit()))
	case plan.Evidence == EvidenceExtrapolated:
		notes = append(notes, fmt.Sprintf(
			"the recommendation extrapolates past the measured concurrency (within %gx); confirm with a run at %d %s",
			MaxTrustedExtrapolation, t.Workers, t.unit()))
	}
	return notes
}

// whyNone explains an empty recommendation: which requirement no measured
// count meets, or, when each is met somewhere but never all at once, where
// each is met. Skew limits and latency goals often pull apart: an ideal
// hash's skew over a fixed key count grows with the partition count, while
// lock contention, and so tail latency, shrinks with it.
func whyNone(cs []Candidate) []string {
	passing := map[string][]int{}
	var names []string
	for _, c := range cs {
		for _, ch := range c.Checks {
			if !ch.Checked {
				continue
			}
			if _, seen := passing[ch.Name]; !seen {
				names = append(names, ch.Name)
				passing[ch.Name] = nil
			}
			if ch.Pass {
				passing[ch.Name] = append(passing[ch.Name], c.Partitions)
			}
		}
	}
	var notes, where []string
	for _, n := range names {
		if len(passing[n]) == 0 {
			advice := "measure larger partition counts, or relax the target"
			if n == "skew" {
				advice = "fewer partitions or more keys per partition lower skew; or relax the limit"
			}
			notes = append(notes, fmt.Sprintf("no measured partition count meets the %s requirement: %s", n, advice))
		} else {
			where = append(where, fmt.Sprintf("%s at P=%v", n, passing[n]))
		}
	}
	if len(notes) == 0 {
		notes = append(notes, fmt.Sprintf(
			"each requirement is met somewhere, never all at once (%s): the requirements conflict on this machine; an ideal hash's skew grows with the partition count for a fixed key count, while contention falls with it, so relax one of them",
			strings.Join(where, "; ")))
	}
	return notes
}

// fmtDuration prints d with three significant digits, so extrapolated
// latencies do not pretend to nanosecond precision.
func fmtDuration(d time.Duration) string {
	if d <= 0 {
		return d.String()
	}
	unit := time.Duration(math.Pow10(max(0, int(math.Floor(math.Log10(float64(d))))-2)))
	return d.Round(unit).String()
}

// Table renders the plan as a plain-text table: the target, one row per
// candidate with its figures, evidence and pass/fail per constraint, the
// recommendation, the reasons each rejected candidate failed, and notes.
func (p CapacityPlan) Table() string {
	var b strings.Builder
	t := p.Target
	fmt.Fprintf(&b, "capacity plan at %d %s:", t.Workers, t.unit())
	if t.Throughput > 0 {
		fmt.Fprintf(&b, " throughput >= %.0f ops/s", t.Throughput)
	}
	if t.P99 > 0 {
		fmt.Fprintf(&b, ", p99 <= %s", fmtDuration(t.P99))
	}
	if t.MaxSkew > 0 {
		fmt.Fprintf(&b, ", skew <= %.3f", t.MaxSkew)
	}
	if t.Cores > 0 {
		fmt.Fprintf(&b, ", %d cores", t.Cores)
	}
	b.WriteString("\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "partitions\tops/s\tp99\tskew\tevidence\ttput?\tp99?\tskew?")
	for _, c := range p.Candidates {
		tp := "-"
		if !math.IsNaN(c.Throughput) {
			tp = fmt.Sprintf("%.0f", c.Throughput)
		}
		lat := "-"
		if c.P99 > 0 {
			lat = fmtDuration(c.P99)
		}
		marks := []string{fmt.Sprint(c.Partitions), tp, lat, fmt.Sprintf("%.3f", c.Skew), c.Evidence.String()}
		for _, ch := range c.Checks {
			mark := "-"
			if ch.Checked {
				mark = "FAIL"
				if ch.Pass {
					mark = "ok"
				}
			}
			marks = append(marks, mark)
		}
		fmt.Fprintln(tw, strings.Join(marks, "\t"))
	}
	tw.Flush()
	b.WriteString("\n")
	if p.Recommended > 0 {
		fmt.Fprintf(&b, "recommended: %d partitions (evidence: %s)\n", p.Recommended, p.Evidence)
	} else {
		b.WriteString("recommended: none\n")
	}
	b.WriteString("\nreasons:\n")
	for _, c := range p.Candidates {
		for _, ch := range c.Checks {
			if ch.Checked {
				status := "FAIL"
				if ch.Pass {
					status = "ok"
				}
				fmt.Fprintf(&b, "  P=%d %s %s: %s\n", c.Partitions, ch.Name, status, ch.Reason)
			}
		}
	}
	if len(p.Notes) > 0 {
		b.WriteString("\nnotes:\n")
		for _, n := range p.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	return b.String()
}
