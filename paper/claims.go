package paper

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shardlab/shardlab/analysis"
	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/seed"
	"github.com/shardlab/shardlab/store"
)

// skewClaimJudgement says whether the seed's claimed skew is plausible for
// an ideal hash: implausible when fewer than alpha of the simulated
// ideal-hash trials came out at or below it.
func skewClaimJudgement(fraction, alpha float64) string {
	if fraction < alpha {
		return "implausible"
	}
	return "plausible for an ideal hash"
}

// claimRow is one row of the claims audit: a seed claim (package seed,
// quoted) beside what was measured here.
type claimRow struct {
	ID, Claim, Target, Claimed, Section string

	Measured string
	Method   string
	Theory   string
	Verdict  string
	Met      bool
}

// quantileCI is a distribution-free 95 % interval for the q-th percentile
// of n samples: the order statistics at ranks n·p ± 1.96·sqrt(n·p·(1-p)).
// It covers sampling error within the run only, not run-to-run variation.
func quantileCI(h *hdrhistogram.Histogram, q float64) (lo, hi float64) {
	n := float64(h.TotalCount())
	p := q / 100
	d := 1.96 * math.Sqrt(p*(1-p)/n)
	return float64(h.ValueAtQuantile(100 * max(0, p-d))), float64(h.ValueAtQuantile(100 * min(1, p+d)))
}

func pctWithCI(h *hdrhistogram.Histogram, q float64) string {
	lo, hi := quantileCI(h, q)
	return fmt.Sprintf("%s [%s, %s]", units.Ns(float64(h.ValueAtQuantile(q))), units.Ns(lo), units.Ns(hi))
}

func sampling(p *store.Point) string {
	if p.SampleEvery > 1 {
		return fmt.Sprintf("1 in %d ops timed", p.SampleEvery)
	}
	return "every op timed"
}

// errorTotal is a point's failed operations, and the count by code.
func errorTotal(p *store.Point) (int64, string) {
	n, byCode := p.Failures()
	return n, strings.Join(byCode, ", ")
}

// fill sets r's quoted columns from the seed's claim c.
func fill(c seed.Claim, r claimRow) claimRow {
	r.ID, r.Claim, r.Target, r.Claimed, r.Section = c.ID, c.About, c.Target(), c.Claimed(), c.Section
	return r
}

func missingRow(c seed.Claim, what string) claimRow {
	return fill(c, claimRow{Measured: "not measured", Method: what, Theory: "—", Verdict: "no evidence in these results"})
}

// checksMet reads the verdicts a scenario point recorded on the claim's
// targets (its checks, package experiments): met when every target has a
// passing check. A target without a recorded check is not met.
func checksMet(p *store.Point, c seed.Claim) bool {
	for _, t := range c.Targets {
		i := slices.IndexFunc(p.Checks, func(r store.CheckResult) bool { return r.Metric == t.Metric && r.Kind == t.Kind })
		if i < 0 || !p.Checks[i].Pass {
			return false
		}
	}
	return len(c.Targets) > 0
}

// audit builds the claims audit from the sharded registry's results.
func audit(in *input) []claimRow {
	sc := in.Scenarios
	var rows []claimRow
	for _, c := range seed.Claims() {
		switch c.ID {
		case "p99", "throughput", "p50p95":
			p := scenarioPoint(sc, "lookup_100", in.Subject)
			if p == nil || kindHist(p, "find_server") == nil {
				rows = append(rows, missingRow(c, "lookup_100 scenario on the sharded registry"))
				continue
			}
			h := kindHist(p, "find_server").H
			method := fmt.Sprintf("lookup_100, %s mode, %.3g s, %d workers, %s; closed-loop service time; [95 %% order-statistic interval over %s samples, within-run only]",
				p.Mode, float64(p.ElapsedNs)/1e9, p.Workers, sampling(p), units.Commas(int(h.TotalCount())))
			cycle := float64(p.Workers) / p.Throughput * 1e9
			switch c.ID {
			case "p99":
				v := float64(h.ValueAtQuantile(99))
				met := checksMet(p, c)
				rows = append(rows, fill(c, claimRow{Measured: pctWithCI(h, 99), Method: method,
					Theory: fmt.Sprintf("Little's law: %d workers / %s = %s per op cycle (mean, driver included)", p.Workers, units.Ops(p.Throughput), units.Ns(cycle)),
					Met:    met, Verdict: verdict(met, fmt.Sprintf("seed's %s is %.0fx the p99 measured here", c.Claimed(), seed.ClaimedLookupP99Us*1e3/math.Max(v, 1)))}))
			case "p50p95":
				met := checksMet(p, c)
				rows = append(rows, fill(c, claimRow{Measured: "p50 " + pctWithCI(h, 50) + "; p95 " + pctWithCI(h, 95), Method: method,
					Theory: fmt.Sprintf("timer pair costs ~%s, included in every timed op", units.Ns(float64(p.TimerCostNs))),
					Met:    met, Verdict: verdict(met, "the seed's figures could not come from its code (reads went through one gen_server)")}))
			case "throughput":
				met := checksMet(p, c)
				other := ""
				if ch := scenarioPoint(sc, "lookup_100", "channel"); ch != nil {
					other = fmt.Sprintf("; one goroutine serialising all ops (the gen_server analogue): %s", units.Ops(ch.Throughput))
				}
				rows = append(rows, fill(c, claimRow{Measured: units.Ops(p.Throughput),
					Method: fmt.Sprintf("lookup_100, %s mode: %s ops completed / %.3g s measured; single run, no interval", p.Mode, units.Commas(int(p.Ops)), float64(p.ElapsedNs)/1e9),
					Theory: fmt.Sprintf("driver ceiling (same driver, null registry): %s, the most any registry can show here%s", units.Ops(sc.Meta.DriverCeiling), other),
					Met:    met, Verdict: verdict(met, fmt.Sprintf("%.0fx the seed's claimed %s", p.Throughput/seed.ClaimedLookupOps, c.Claimed()))}))
			}
		case "skew":
			s := in.Balance.SeedCheck
			met := s.SeedSkew < s.Target
			agree := "equal to partition.Counts"
			if !s.Agree {
				agree = "DIFFERENT from partition.Counts"
			}
			rows = append(rows, fill(c, claimRow{Measured: fmt.Sprintf("%.3f (max/mean %.3f, chi-square p %.2f)", s.SeedSkew, s.MaxOverMean, s.PValue),
				Method: fmt.Sprintf("(max−min)/(mean+1) over a real %d-partition registry's entries after registering server_0..server_%d (impl placement, %s)", s.Partitions, s.Keys-1, agree),
				Theory: fmt.Sprintf("ideal hash: %.3f closed form; %.3f mean, 95 %% band [%.3f, %.3f] over %s simulated trials",
					s.Ideal.Expected, s.Ideal.Mean, s.Ideal.P025, s.Ideal.P975, units.Commas(s.Ideal.Trials)),
				Met: met,
				Verdict: verdict(met, fmt.Sprintf("an ideal hash meets < %.2f in %.1f %% of trials; the claimed %.2f occurred in %d of %s: %s",
					s.Target, 100*s.TargetFraction, s.Claimed, int(math.Round(s.ClaimFraction*float64(s.Ideal.Trials))), units.Commas(s.Ideal.Trials),
					skewClaimJudgement(s.ClaimFraction, in.Balance.Alpha)))}))
		case "sustained":
			p := scenarioPoint(sc, "sustained", in.Subject)
			if p == nil {
				rows = append(rows, missingRow(c, "sustained scenario on the sharded registry"))
				continue
			}
			met := checksMet(p, c)
			ci := "single run"
			if iv, ok := seriesCI(p); ok {
				ci = fmt.Sprintf("per-%.0f ms interval mean %s, 95 %% CI [%s, %s] (intervals are autocorrelated: read it as a spread)", p.Series.IntervalMs, units.Ops(iv.Estimate), units.Ops(iv.Low), units.Ops(iv.High))
			}
			n, codes := errorTotal(p)
			errs := "no failed operations"
			if n > 0 {
				errs = fmt.Sprintf("%s failed operations (%s)", units.Commas(int(n)), codes)
			}
			rows = append(rows, fill(c, claimRow{Measured: units.Ops(p.Throughput) + "; " + errs,
				Method: fmt.Sprintf("sustained, %.3g s (quick; the seed ran 30 s), %d workers, completed ops / measured time; %s", float64(p.ElapsedNs)/1e9, p.Workers, ci),
				Theory: "—", Met: met, Verdict: verdict(met, fmt.Sprintf("%.0fx the seed's claimed %s", p.Throughput/seed.ClaimedSustainedOps, units.Commas(seed.ClaimedSustainedOps)))}))
		case "contention":
			p := scenarioPoint(sc, "contention", in.Subject)
			if p == nil || p.Contention == nil {
				rows = append(rows, missingRow(c, "contention scenario on the sharded registry"))
				continue
			}
			ct := p.Contention
			met := len(p.Checks) > 0
			for _, ch := range p.Checks {
				met = met && ch.Pass
			}
			rec := "did not recover within the run"
			if ct.Recovered {
				rec = fmt.Sprintf("recovered %.0f ms after the storm", ct.RecoverMs)
			}
			rows = append(rows, fill(c, claimRow{Measured: fmt.Sprintf("up to %d of %d partitions alarmed, %s alarms, %s registrations rejected, %s", ct.MaxAlarmed, p.Partitions, units.Commas(int(ct.Alarms)), units.Commas(int(ct.Rejected)), rec),
				Method: "contention scenario: calm, write storm (64 writers on 4 partitions), recovery; alarm at 2 µs mean lock wait per 10 ms window; admission rejects registrations while > 50 % of partitions are alarmed",
				Theory: "—", Met: met,
				Verdict: verdict(met, "alarms use real units here; the seed's 100 ms threshold on a ms-truncated value could never fire")}))
		case "timeouts":
			var total int64
			var where []string
			for i := range sc.Points {
				p := &sc.Points[i]
				if p.Registry != in.Subject || p.Scenario == "contention" {
					continue
				}
				if n, codes := errorTotal(p); n > 0 {
					total += n
					where = append(where, fmt.Sprintf("%s/%s: %s", p.Scenario, p.Mode, codes))
				}
			}
			m := "0 failed operations"
			if total > 0 {
				m = fmt.Sprintf("%s failed operations: %s", units.Commas(int(total)), strings.Join(where, "; "))
			}
			rows = append(rows, fill(c, claimRow{Measured: m,
				Method: "every operation's result code, all sharded scenario points except contention (where rejections are the point); Go calls do not time out, so a failure is an error code",
				Theory: "—", Met: total == 0,
				Verdict: verdict(total == 0, "overloaded = admission control rejecting registrations while partitions are alarmed, not a timeout")}))
		}
	}
	return rows
}

func verdict(met bool, note string) string {
	v := "target met"
	if !met {
		v = "target NOT met"
	}
	if note != "" {
		v += "; " + note
	}
	return v
}

// seriesCI is the Student-t interval of a point's per-interval
// throughput, dropping the last (partial) interval.
func seriesCI(p *store.Point) (analysis.Interval, bool) {
	if p.Series == nil || p.Series.IntervalMs <= 0 || len(p.Series.Ticks) < 4 {
		return analysis.Interval{}, false
	}
	var xs []float64
	for _, t := range p.Series.Ticks[:len(p.Series.Ticks)-1] {
		xs = append(xs, float64(t.Ops)/(p.Series.IntervalMs/1e3))
	}
	iv, err := analysis.MeanCI(xs, 0.95)
	return iv, err == nil
}
