package paper

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/shardlab/shardlab/internal/hostload"
	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/store"
)

// The findings a design review needs before anything else: each
// latency claim in both bases, every peer comparison stated plainly,
// the maximum latency explained, admission control's rejections, and
// whether the machine was quiet enough to trust single runs. Each is
// derived from the results; none is a constant.

type point = store.Point

// maxBusyListed is how many busy points the report names one by one.
const maxBusyListed = 20

// Findings are the report's up-front statements.
type Findings struct {
	Latency   []string // each latency claim, service time and from intended start
	Peers     []string // one sentence per peer: where it wins, where it loses, why
	PeerBrief string   // the same in one short sentence, for the abstract
	MaxLat    string   // the largest latency and what caused it
	Admission string   // registrations admission control rejected
	Noise     []string // the machine's noise: ceiling range, run-to-run spread, busy points
	// Busy lists the points measured while other work disturbed them
	// (the first maxBusyListed); BusyCount counts them all.
	Busy      []string
	BusyCount int
	// Conclusions say, in prose, what a reader should decide.
	Conclusions []string
	// Spread is the run-to-run relative spread (median over repeated
	// sweep cells of (max-min)/median); differences smaller than it are
	// "not distinguishable". NaN when nothing was repeated.
	Spread float64
}

// findPoint returns the subject's (or a peer's) point of a scenario,
// preferring the duration mode (long enough to measure steadily), else
// any mode.
func findPoint(ps []point, scenario, registry string) *point {
	var found *point
	for i := range ps {
		p := &ps[i]
		if p.Scenario != scenario || p.Registry != registry {
			continue
		}
		if found == nil || p.Mode == "duration" {
			found = p
		}
	}
	return found
}

// relativeSpread is the median over repeated cells (same registry,
// partitions, workers, workload) of (max − min) / median throughput:
// how much two runs of the same thing differ on this machine.
func relativeSpread(ps []point) float64 {
	type key struct {
		reg, workload string
		parts, w      int
	}
	groups := map[key][]float64{}
	for _, p := range ps {
		if p.Throughput > 0 {
			k := key{p.Registry, p.Workload, p.Partitions, p.Workers + p.Connections}
			groups[k] = append(groups[k], p.Throughput)
		}
	}
	var spreads []float64
	for _, xs := range groups {
		if len(xs) < 2 {
			continue
		}
		slices.Sort(xs)
		med := xs[len(xs)/2]
		if len(xs)%2 == 0 {
			med = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
		}
		spreads = append(spreads, (xs[len(xs)-1]-xs[0])/med)
	}
	if len(spreads) == 0 {
		return math.NaN()
	}
	slices.Sort(spreads)
	return spreads[len(spreads)/2]
}

// compareVerdict judges a against b with the run-to-run spread: "higher"
// or "lower" only when they differ by more than the spread, else "not
// distinguishable". Without a spread (NaN) a 10 % margin stands in.
func compareVerdict(a, b, spread float64) string {
	if math.IsNaN(spread) {
		spread = 0.10
	}
	switch {
	case a > b*(1+spread):
		return "higher"
	case b > a*(1+spread):
		return "lower"
	}
	return "not distinguishable"
}

// latencyFindings puts each latency claim's two measurements side by
// side: closed-loop service time (the call's own duration) and open-loop
// latency from the intended start (what a caller at a fixed rate waits,
// queueing included).
func latencyFindings(ps []point, subject string, target float64) []string {
	closed := findPoint(ps, "lookup_100", subject)
	open := findPoint(ps, "open_loop_lookup", subject)
	if closed == nil && open == nil {
		return []string{"Lookup latency was not measured (no lookup_100 or open_loop_lookup point)."}
	}
	var parts []string
	verdict := func(v int64) string {
		if float64(v) < target {
			return "meets"
		}
		return "misses"
	}
	if closed != nil && closed.Latency != nil {
		parts = append(parts, fmt.Sprintf("p99 %s as closed-loop service time (lookup_100, %d workers), which %s the seed's < %s target",
			units.Ns(float64(closed.Latency.P99)), closed.Workers, verdict(closed.Latency.P99), units.Ns(target)))
	}
	if open != nil && open.Latency != nil {
		rate := ""
		if open.TargetRate > 0 {
			rate = fmt.Sprintf(" with %s offered", units.Ops(open.TargetRate))
		}
		parts = append(parts, fmt.Sprintf("p99 %s from the intended start%s (open_loop_lookup, %d workers), which %s it",
			units.Ns(float64(open.Latency.P99)), rate, open.Workers, verdict(open.Latency.P99)))
	}
	s := "Lookup latency of " + subject + ": " + strings.Join(parts, "; but ") + "."
	if closed != nil && open != nil && closed.Latency != nil && open.Latency != nil && float64(open.Latency.P99) > 10*float64(closed.Latency.P99) {
		s += fmt.Sprintf(" The gap (×%s) is queueing: a caller at a fixed rate waits for the operations before it, which a closed-loop driver never shows.",
			ratioText(float64(open.Latency.P99)/float64(closed.Latency.P99)))
	}
	return []string{s}
}

// peerWhy says why a peer can beat the sharded registry on a machine
// with this many cores.
func peerWhy(peer string, cores int) string {
	switch peer {
	case "mutex":
		return fmt.Sprintf("with %d cores at most %d operations run at once, so a single lock is seldom contended, while the sharded registry pays on every call for hashing the ID to a partition; sharding pays off only when more operations run in parallel than one lock can serialise", cores, cores)
	case "channel":
		return "with few callers one goroutine that owns all the data never contends and keeps it in one core's cache; with more, every call costs two goroutine switches, which is why it loses elsewhere (a win where the machine was busy is as likely noise: see each point's machine load)"
	case "syncmap", "xsync":
		return "a concurrent map keeps no cross-entry invariants (bindings, owners), so each call does less work than the sharded registry's"
	}
	return "it does less work per call"
}

// peerFindings compares the subject with every peer in every scenario
// both ran (same mode), and says plainly where each side wins beyond the
// run-to-run spread.
func peerFindings(ps []point, subject string, cores int, spread float64) ([]string, []peerTally) {
	var tallies []peerTally
	var regs []string
	for _, p := range ps {
		if p.Registry != subject && !slices.Contains(regs, p.Registry) {
			regs = append(regs, p.Registry)
		}
	}
	var out []string
	for _, peer := range regs {
		var wins, losses, ties []string
		seen := map[string]bool{}
		for _, p := range ps {
			if p.Registry != subject || seen[p.Scenario] || p.Mode == "balance" {
				continue
			}
			seen[p.Scenario] = true
			a, b := findPoint(ps, p.Scenario, subject), findPoint(ps, p.Scenario, peer)
			if a == nil || b == nil || a.Mode != b.Mode || a.Throughput <= 0 || b.Throughput <= 0 {
				continue
			}
			item := fmt.Sprintf("%s (%s %s, %s %s)", p.Scenario, peer, units.Ops(b.Throughput), subject, units.Ops(a.Throughput))
			switch compareVerdict(b.Throughput, a.Throughput, spread) {
			case "higher":
				wins = append(wins, item)
			case "lower":
				losses = append(losses, item)
			default:
				ties = append(ties, p.Scenario)
			}
		}
		n := len(wins) + len(losses) + len(ties)
		if n == 0 {
			continue
		}
		tallies = append(tallies, peerTally{peer: peer, wins: len(wins), losses: len(losses), ties: len(ties)})
		s := fmt.Sprintf("%s against %s, throughput in %d scenarios run side by side: ", peer, subject, n)
		var parts []string
		if len(wins) > 0 {
			parts = append(parts, fmt.Sprintf("%s was faster in %d — %s", peer, len(wins), strings.Join(wins, ", ")))
		}
		if len(losses) > 0 {
			parts = append(parts, fmt.Sprintf("%s was faster in %d — %s", subject, len(losses), strings.Join(losses, ", ")))
		}
		if len(ties) > 0 {
			parts = append(parts, fmt.Sprintf("%d not distinguishable within the run-to-run spread (%s)", len(ties), strings.Join(ties, ", ")))
		}
		s += strings.Join(parts, "; ") + "."
		if len(wins) > 0 {
			s += " Where " + peer + " wins, it is because " + peerWhy(peer, cores) + "."
		}
		out = append(out, s)
	}
	return out, tallies
}

// peerSummary is one short sentence per peer for the abstract.
func peerSummary(subject string, tallies []peerTally) string {
	var parts []string
	for _, t := range tallies {
		parts = append(parts, fmt.Sprintf("%s was faster in %d, slower in %d and not distinguishable in %d", t.peer, t.wins, t.losses, t.ties))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Against " + subject + " in the scenarios run side by side, " + strings.Join(parts, "; ") + " (details under Findings)."
}

// peerTally counts the scenarios where a peer was faster than the
// subject (wins), slower (losses), or within the spread (ties).
type peerTally struct {
	peer               string
	wins, losses, ties int
}

// maxLatencyFinding names the subject's largest recorded latency and
// what the point's noise record says caused it.
func maxLatencyFinding(ps []point, subject string, ceilingMaxNs int64) string {
	// The lookups' maximum first: lock-free reads that take a second
	// are the outlier a reviewer asks about; else the largest anywhere.
	worst := findPoint(ps, "lookup_100", subject)
	if worst == nil || worst.Latency == nil || worst.LatencyBasis != "service" {
		worst = nil
		for i := range ps {
			p := &ps[i]
			if p.Registry != subject || p.Latency == nil || p.LatencyBasis != "service" {
				continue
			}
			if worst == nil || p.Latency.Max > worst.Latency.Max {
				worst = p
			}
		}
	}
	if worst == nil {
		return ""
	}
	s := fmt.Sprintf("The largest service time of %s in %s is %s (%d workers, a %s run, p99.9 %s).",
		subject, worst.Scenario, units.Ns(float64(worst.Latency.Max)), worst.Workers,
		units.Ns(float64(worst.ElapsedNs)), units.Ns(float64(worst.Latency.P999)))
	if n := worst.Noise; n != nil && n.SchedWaitMaxNs > 0 {
		s += fmt.Sprintf(" In the same run the Go runtime saw runnable goroutines wait up to %s for a core (its sampled scheduling latency, an upper bucket bound)",
			units.Ns(float64(n.SchedWaitMaxNs)))
		if n.GCPauseMaxNs > 0 {
			s += fmt.Sprintf(" and the longest GC pause was %s", units.Ns(float64(n.GCPauseMaxNs)))
		}
		s += "."
		if float64(n.SchedWaitMaxNs) >= 0.5*float64(worst.Latency.Max) {
			s += fmt.Sprintf(" So the maximum is a worker descheduled between its two clock reads, not the registry: %d workers share the machine's cores, and a preempted goroutine waits its turn behind the others.", worst.Workers)
		}
	}
	if ceilingMaxNs > 0 && float64(ceilingMaxNs) >= 0.2*float64(worst.Latency.Max) {
		s += fmt.Sprintf(" The same driver against a registry that does nothing (the driver-ceiling runs) recorded a maximum of %s: the driver shows such maxima without any registry.", units.Ns(float64(ceilingMaxNs)))
	}
	return s
}

// admissionFinding counts registrations admission control rejected.
func admissionFinding(ps []point, subject string) string {
	var parts []string
	for _, p := range ps {
		if p.Registry != subject {
			continue
		}
		var rejected, regs int64
		for _, k := range p.Kinds {
			if strings.HasPrefix(k.Kind, "register") {
				regs += k.Ops
				rejected += k.Errors["overloaded"]
			}
		}
		if rejected == 0 && p.Errors["overloaded"] > 0 {
			rejected = p.Errors["overloaded"]
		}
		if rejected == 0 {
			continue
		}
		purpose := ""
		if p.Contention != nil {
			purpose = ", which provokes them on purpose"
		}
		if regs > 0 {
			parts = append(parts, fmt.Sprintf("%s of %s registrations (%.1f %%) in %s%s", units.Commas(int(rejected)), units.Commas(int(regs)), 100*float64(rejected)/float64(regs), p.Scenario, purpose))
		} else {
			parts = append(parts, fmt.Sprintf("%s registrations in %s", units.Commas(int(rejected)), p.Scenario))
		}
	}
	if len(parts) == 0 {
		return "Admission control rejected no registration in any scenario."
	}
	return "Admission control rejected " + strings.Join(parts, "; ") + ": callers must retry these (the connection scenarios do, with backoff), and a scenario's throughput counts them as completed calls."
}

// noiseFindings states the machine's noise: the driver ceiling's range,
// the run-to-run spread, and the points measured on a busy machine.
func noiseFindings(sc, sweep *store.Results, spread float64) (lines, busy []string) {
	for _, res := range []*store.Results{sc, sweep} {
		if res == nil {
			continue
		}
		if s := res.Meta.DriverCeilingSamples; len(s) > 1 {
			lo, hi := slices.Min(s), slices.Max(s)
			lines = append(lines, fmt.Sprintf("Driver ceiling (%s run): median %s over %d measurements, range %s to %s (×%.1f).",
				res.Meta.Kind, units.Ops(res.Meta.DriverCeiling), len(s), units.Ops(lo), units.Ops(hi), hi/lo))
		} else if res.Meta.DriverCeiling > 0 {
			lines = append(lines, fmt.Sprintf("Driver ceiling (%s run): %s, measured once (results from an older shardlab).", res.Meta.Kind, units.Ops(res.Meta.DriverCeiling)))
		}
		for _, p := range res.Points {
			if p.Noise == nil {
				continue
			}
			if ok, why := p.Noise.Busy(); ok {
				busy = append(busy, p.ID+": "+why)
			}
		}
	}
	if !math.IsNaN(spread) {
		lines = append(lines, fmt.Sprintf("Run-to-run spread: repeated sweep cells differ by a median of %.0f %% in throughput ((max − min) / median); differences smaller than that are reported as not distinguishable.", 100*spread))
	}
	if len(busy) > 0 {
		lines = append(lines, fmt.Sprintf("%d points were measured while other work kept the machine busy (more than %.1f cores used by other processes, or more than %.0f %% steal); read them with care.", len(busy), hostload.BusyOtherCores, hostload.BusyStealPercent))
	} else {
		lines = append(lines, "No point was measured on a busy machine (other processes under half a core, steal under 5 %).")
	}
	return lines, busy
}

// noiseCell is a point's noise for a table: "load 1.2→1.9, other 0.1
// cores, steal 0 %".
func noiseCell(p *point) string {
	n := p.Noise
	if n == nil {
		return "—"
	}
	s := fmt.Sprintf("%.1f→%.1f, +%.1f cores", n.LoadStart, n.LoadEnd, n.OtherCores)
	if n.StealPercent != nil {
		s += fmt.Sprintf(", steal %.0f %%", *n.StealPercent)
	}
	if busy, _ := n.Busy(); busy {
		s += " (busy)"
	}
	return s
}

// buildFindings derives every finding from the scenario and sweep
// results. target is the seed's p99 lookup target in ns.
func buildFindings(sc, sweep *store.Results, subject string, cores int, target float64) Findings {
	var f Findings
	var all []point
	if sweep != nil {
		all = sweep.Points
	}
	f.Spread = relativeSpread(all)
	if sc == nil {
		return f
	}
	f.Latency = latencyFindings(sc.Points, subject, target)
	var tallies []peerTally
	f.Peers, tallies = peerFindings(sc.Points, subject, cores, f.Spread)
	f.PeerBrief = peerSummary(subject, tallies)
	f.MaxLat = maxLatencyFinding(sc.Points, subject, sc.Meta.DriverCeilingMaxNs)
	f.Admission = admissionFinding(sc.Points, subject)
	f.Noise, f.Busy = noiseFindings(sc, sweep, f.Spread)
	f.BusyCount = len(f.Busy)
	if f.BusyCount > maxBusyListed {
		f.Busy = append(f.Busy[:maxBusyListed:maxBusyListed], fmt.Sprintf("… and %d more (each point's noise is in its points.jsonl record)", f.BusyCount-maxBusyListed))
	}
	f.Conclusions = conclusions(sc.Points, subject, cores, target, tallies, f.BusyCount)
	return f
}

// conclusions turns the findings into what a reader should decide.
func conclusions(ps []point, subject string, cores int, target float64, tallies []peerTally, busy int) []string {
	var out []string
	var beaten []string
	for _, t := range tallies {
		if t.wins > t.losses {
			beaten = append(beaten, t.peer)
		}
	}
	if len(beaten) > 0 {
		out = append(out, fmt.Sprintf("On this %d-core machine the sharded registry is not the fastest choice: %s beat it in more scenarios than it lost. Sharding buys parallelism, and with %d cores there is little to buy; a team running on machines of this size should prefer the simpler registry, or measure on its own hardware (make report-full) before choosing sharding for speed.",
			cores, strings.Join(beaten, " and "), cores))
	} else if len(tallies) > 0 {
		out = append(out, fmt.Sprintf("On this %d-core machine no peer measured beside the sharded registry beat it in more scenarios than it lost, so sharding costs nothing here; its benefit should grow with the core count, which this machine cannot show.", cores))
	}
	closed, open := findPoint(ps, "lookup_100", subject), findPoint(ps, "open_loop_lookup", subject)
	if closed != nil && open != nil && closed.Latency != nil && open.Latency != nil {
		if float64(closed.Latency.P99) < target && float64(open.Latency.P99) >= target {
			out = append(out, fmt.Sprintf("The seed's latency target holds only as service time. A client that sends lookups at a fixed rate sees a p99 of %s, because the Go scheduler and the other goroutines delay operations that are already due; size for that number, not for the %s of a closed loop, and give latency-sensitive callers spare cores.",
				units.Ns(float64(open.Latency.P99)), units.Ns(float64(closed.Latency.P99))))
		} else if float64(open.Latency.P99) < target {
			out = append(out, fmt.Sprintf("The seed's latency target holds in both bases: %s service time and %s from the intended start.", units.Ns(float64(closed.Latency.P99)), units.Ns(float64(open.Latency.P99))))
		}
	}
	out = append(out, "Maximum latencies here say more about oversubscribed cores than about the registry; judge tail latency by p99.9 and by the open-loop runs, and quote a maximum only beside the scheduler's wait measured with it.")
	if busy > 0 {
		out = append(out, fmt.Sprintf("%d measurements were taken while other work kept the machine busy; before a decision rests on a single run, repeat it on a quiet machine.", busy))
	}
	return out
}

// ratioText writes a ratio with three significant digits and thousands
// separators: 12.3, 4560, 101,000.
func ratioText(r float64) string {
	if r < 1000 {
		return units.Sig3(r)
	}
	mag := math.Pow10(int(math.Floor(math.Log10(r))) - 2)
	return units.Commas(int(math.Round(r/mag) * mag))
}
