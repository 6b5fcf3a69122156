package paper

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/store"
)

// annotateClaims adds to the audit what a single closed-loop number
// hides: each latency claim measured from the intended start as well as
// as service time, the peers measured in the same run, the driver
// ceiling's range, and verdicts that judge an interval rather than one
// value ("not distinguishable from the target" when it straddles it).
func annotateClaims(in *input, rows []claimRow) []claimRow {
	sc := in.Scenarios
	p := scenarioPoint(sc, "lookup_100", in.Subject)
	open := openLookup(in)
	oh := openHist(open)
	spread := relativeSpread(in.Sweep.Points)
	for i := range rows {
		r := &rows[i]
		switch r.ID {
		case "p99":
			h := lookupHist(p)
			if h == nil {
				continue
			}
			lo, hi := quantileCI(h, 99)
			met, word := intervalVerdict(lo, hi, 100e3, true)
			r.Measured = "service time " + r.Measured
			if oh != nil {
				olo, ohi := quantileCI(oh, 99)
				om, ow := intervalVerdict(olo, ohi, 100e3, true)
				r.Measured += fmt.Sprintf("; from the intended start %s at %s offered (open_loop_lookup)", pctWithCI(oh, 99), units.Ops(open.TargetRate))
				met, word = met && om, "service time: "+word+"; from the intended start: "+ow
			}
			r.Met, r.Verdict = met, word+restAfter(r.Verdict)
		case "p50p95":
			h := lookupHist(p)
			if h == nil {
				continue
			}
			m50, w50 := pctVerdict(h, 50, 50e3)
			m95, w95 := pctVerdict(h, 95, 100e3)
			met, word := m50 && m95, "service time: p50 "+w50+", p95 "+w95
			r.Measured = "service time " + r.Measured
			if oh != nil {
				om50, ow50 := pctVerdict(oh, 50, 50e3)
				om95, ow95 := pctVerdict(oh, 95, 100e3)
				r.Measured += "; from the intended start p50 " + pctWithCI(oh, 50) + "; p95 " + pctWithCI(oh, 95)
				met, word = met && om50 && om95, word+"; from the intended start: p50 "+ow50+", p95 "+ow95
			}
			r.Met, r.Verdict = met, word+restAfter(r.Verdict)
		case "throughput":
			if p == nil {
				continue
			}
			sp := spread
			if math.IsNaN(sp) {
				sp = 0.10
			}
			met, word := intervalVerdict(p.Throughput*(1-sp), p.Throughput*(1+sp), 100e3, false)
			var peers []string
			for _, reg := range registriesOf(sc) {
				if q := scenarioPoint(sc, "lookup_100", reg); reg != in.Subject && q != nil && q.Mode == p.Mode {
					peers = append(peers, fmt.Sprintf("%s %s (%s is %s)", reg, units.Ops(q.Throughput), in.Subject, compareVerdict(p.Throughput, q.Throughput, spread)))
				}
			}
			r.Method = strings.Replace(r.Method, "single run, no interval", fmt.Sprintf("single run, judged with the run-to-run spread (±%.0f %%, see Noise)", 100*sp), 1)
			r.Theory = fmt.Sprintf("driver ceiling (same driver, null registry): %s, the most any registry can show here", ceilingText(sc.Meta))
			if len(peers) > 0 {
				r.Theory += "; peers in the same run: " + strings.Join(peers, ", ")
			}
			r.Met, r.Verdict = met, word+restAfter(r.Verdict)
		case "sustained":
			q := scenarioPoint(sc, "sustained", in.Subject)
			if q == nil {
				continue
			}
			if iv, ok := seriesCI(q); ok {
				met, word := intervalVerdict(iv.Low, iv.High, 80e3, false)
				r.Met, r.Verdict = met, word+restAfter(r.Verdict)
			}
		}
	}
	return rows
}

// restAfter keeps a verdict's note (what follows "target met; ").
func restAfter(v string) string {
	if _, rest, ok := strings.Cut(v, "; "); ok {
		return "; " + rest
	}
	return ""
}

func lookupHist(p *store.Point) *hdrhistogram.Histogram {
	if p == nil {
		return nil
	}
	if h := kindHist(p, "find_server"); h != nil && h.H != nil && h.H.TotalCount() > 0 {
		return h.H
	}
	return nil
}

func pctVerdict(h *hdrhistogram.Histogram, q, target float64) (bool, string) {
	lo, hi := quantileCI(h, q)
	return intervalVerdict(lo, hi, target, true)
}

// intervalVerdict judges an interval [lo, hi] against a target: "target
// met" only when the whole interval is on the right side, "target NOT
// met" when it is wholly on the wrong side, and "not distinguishable
// from the target" when it straddles it (not met, for the row's colour).
// lowerIsBetter is true for latencies, false for throughputs.
func intervalVerdict(lo, hi, target float64, lowerIsBetter bool) (bool, string) {
	good, bad := hi < target, lo >= target
	if !lowerIsBetter {
		good, bad = lo > target, hi <= target
	}
	switch {
	case good:
		return true, "target met"
	case bad:
		return false, "target NOT met"
	}
	return false, "not distinguishable from the target"
}

// openLookup is the subject's open-loop lookup point, if measured.
func openLookup(in *input) *store.Point {
	return scenarioPoint(in.Scenarios, "open_loop_lookup", in.Subject)
}

func openHist(p *store.Point) *hdrhistogram.Histogram { return lookupHist(p) }

// ceilingText is the driver ceiling with its range over the separate
// measurements.
func ceilingText(m store.Meta) string {
	s := units.Ops(m.DriverCeiling)
	if n := len(m.DriverCeilingSamples); n > 1 {
		s += fmt.Sprintf(" (median; range %s to %s over %d measurements)", units.Ops(slices.Min(m.DriverCeilingSamples)), units.Ops(slices.Max(m.DriverCeilingSamples)), n)
	}
	return s
}
