package paper

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"path/filepath"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/internal/atomicfile"
	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/seed"
	"github.com/shardlab/shardlab/store"
)

//go:embed templates/report.md.tmpl templates/report.html.tmpl
var templates embed.FS

// Config configures Build: what to render, and where.
type Config struct {
	// Inputs is a loaded report results directory (store.LoadReport).
	Inputs *store.Inputs
	// Subject is the registry the report is about (the scenarios' and the
	// sweep's partitioned registry); every other registry in the results
	// is a peer, described by Describe.
	Subject  string
	Describe map[string]string
	// Plan is the capacity recommendation, computed by the caller from
	// the same results (package report).
	Plan Plan
	// Capacity, when set, is the capacity model's section (package
	// report computes it from the results' calibration and validation).
	Capacity *Capacity
	// Out receives report.md, report.html and figures/ [paper/build].
	Out string

	_ struct{}
}

// Plan is the capacity section: the planner's table and the reasons.
type Plan struct {
	Text string
	Why  []string
}

// input is what every part of the report reads: the results and the
// names the caller gave.
type input struct {
	*store.Inputs
	Subject  string
	Describe map[string]string
	capacity *Capacity
}

// Built names what Build wrote.
type Built struct {
	Markdown, HTML string
	Figures        int
}

// scenarioRow is one scenario point in the results table.
type scenarioRow struct {
	Scenario, Registry, Mode, Basis, Sampling string
	Workers                                   int
	Throughput, P50, P99, P999, Max           string
	Errors                                    string
	// Load is how busy the machine was while the point ran (load
	// average start→end, other processes' cores, steal).
	Load string
	Busy bool
}

// balanceRow is one partitioner at one partition count.
type balanceRow struct {
	Partitioner, Skew, Band, Verdict, Moved, Theory string
	Partitions                                      int
}

// checkRow is one verification campaign.
type checkRow struct {
	store.CheckRun
	Seconds string
}

// document is everything the templates show. Every figure in it comes from
// the results directory, except the seed's claims (package seed).
type document struct {
	Title     string
	Created   string
	Results   string
	Abstract  []string
	Host      store.Host
	Scenarios store.Meta
	Sweep     store.Meta
	SweepDesc string
	Method    []string
	Figures   []figure
	Gaps      []string
	Rows      []scenarioRow
	Claims    []claimRow
	Balance   []balanceRow
	BalanceOf string
	SeedCheck store.SeedCheck
	SeedLine  string
	PlanText  string
	PlanWhy   []string
	// Capacity, when the results hold a calibration, replaces PlanText
	// and PlanWhy with the capacity model's answers.
	Capacity  *Capacity
	Check     *store.CheckSummary
	CheckRows []checkRow
	CheckLine string
	Threats   []string
	Notes     []string
	// Beam is the section on registries in other languages; never nil.
	Beam *beamSection
	// Peers are the registries the scenarios ran beside the sharded one.
	Peers []peer
	// Findings are the up-front statements (findings.go); Busy is set
	// when points were measured on a busy machine, for the warning at
	// the top.
	Findings Findings
	Busy     string
}

// peer is a registry measured beside the sharded one.
type peer struct{ Name, What string }

func peers(in *input) []peer {
	var out []peer
	for _, name := range in.Scenarios.Meta.Registries {
		if name != in.Subject {
			out = append(out, peer{Name: name, What: in.Describe[name]})
		}
	}
	return out
}

// ErrConfig: Build was called without inputs or a subject.
var ErrConfig = errors.New("paper: invalid configuration")

// Build draws every figure and writes report.md and a self-contained
// report.html (figures embedded as base64 PNG) to cfg.Out.
func Build(cfg Config) (*Built, error) {
	if cfg.Inputs == nil || cfg.Subject == "" {
		return nil, fmt.Errorf("%w: no inputs or no subject registry", ErrConfig)
	}
	if cfg.Out == "" {
		cfg.Out = filepath.Join("paper", "build")
	}
	in := &input{Inputs: cfg.Inputs, Subject: cfg.Subject, Describe: cfg.Describe, capacity: cfg.Capacity}
	r, err := newReport(in, cfg.Plan, cfg.Out)
	if err != nil {
		return nil, err
	}
	md, err := renderMarkdown(r)
	if err != nil {
		return nil, err
	}
	html, err := renderHTML(r)
	if err != nil {
		return nil, err
	}
	b := &Built{Markdown: filepath.Join(cfg.Out, "report.md"), HTML: filepath.Join(cfg.Out, "report.html"), Figures: len(r.Figures)}
	if err := atomicfile.Write(b.Markdown, md); err != nil {
		return nil, fmt.Errorf("paper: %w", err)
	}
	if err := atomicfile.Write(b.HTML, html); err != nil {
		return nil, fmt.Errorf("paper: %w", err)
	}
	return b, nil
}

func newReport(in *input, plan Plan, out string) (*document, error) {
	figs, gaps, err := makeFigures(in, out)
	if err != nil {
		return nil, err
	}
	h := in.Host()
	r := &document{
		Title:   "shardlab: a sharded registry measured against its seed's claims",
		Created: in.Created().UTC().Format(time.RFC3339), Results: in.Dir, Host: h,
		Scenarios: in.Scenarios.Meta, Sweep: in.Sweep.Meta, Figures: figs, Gaps: gaps,
		Claims: annotateClaims(in, audit(in)), Check: in.Check, SeedCheck: in.Balance.SeedCheck, Notes: in.Notes,
	}
	r.Rows = scenarioRows(in.Scenarios)
	r.Peers = peers(in)
	r.Balance, r.BalanceOf = balanceRows(in.Balance)
	s := in.Balance.SeedCheck
	r.SeedLine = s.Verdict
	r.SweepDesc = sweepDesc(in.Sweep)
	r.PlanText, r.PlanWhy = plan.Text, plan.Why
	r.Capacity = in.capacity
	r.Beam = newBeamSection(in.Beam)
	for _, run := range in.Check.Runs {
		r.CheckRows = append(r.CheckRows, checkRow{CheckRun: run, Seconds: fmt.Sprintf("%.2g s run, %.2g s check", run.RunSeconds, run.CheckSeconds)})
	}
	hs, ops := in.Check.Histories()
	r.CheckLine = fmt.Sprintf("%d campaigns, %s histories, %s operations, %d not linearizable or undecided",
		len(in.Check.Runs), units.Commas(hs), units.Commas(ops), in.Check.Violations())
	r.Method = methodLines(in)
	r.Findings = buildFindings(in.Scenarios, in.Sweep, in.Subject, h.NumCPU, 100e3)
	if n := r.Findings.BusyCount; n > 0 {
		r.Busy = fmt.Sprintf("%d of the measurements below were taken while other work kept this machine busy (listed under Noise); their numbers are less trustworthy than the rest.", n)
	}
	r.Abstract = abstract(in, r)
	r.Threats = threats(in, gaps)
	return r, nil
}

func scenarioRows(res *store.Results) []scenarioRow {
	var rows []scenarioRow
	for i := range res.Points {
		p := &res.Points[i]
		row := scenarioRow{Scenario: p.Scenario, Registry: p.Registry, Mode: p.Mode, Workers: p.Workers,
			Basis: p.LatencyBasis, Throughput: units.Ops(p.Throughput), Sampling: sampling(p),
			P50: "—", P99: "—", P999: "—", Max: "—", Errors: "0"}
		if p.Latency != nil {
			row.P50, row.P99, row.P999, row.Max = units.Ns(float64(p.Latency.P50)), units.Ns(float64(p.Latency.P99)), units.Ns(float64(p.Latency.P999)), units.Ns(float64(p.Latency.Max))
		}
		if n, codes := errorTotal(p); n > 0 {
			row.Errors = codes
		}
		if p.Mode == "balance" {
			row.Basis, row.Sampling = "—", "—"
		}
		row.Load = noiseCell(p)
		if p.Noise != nil {
			row.Busy, _ = p.Noise.Busy()
		}
		rows = append(rows, row)
	}
	return rows
}

func balanceRows(st *store.Balance) ([]balanceRow, string) {
	keys := balanceKeys(st)
	var rows []balanceRow
	for _, c := range st.Cells {
		if c.Keys != keys || !slices.Contains([]int{1, 4, 16, 64, 256, 1024}, c.Partitions) {
			continue
		}
		row := balanceRow{Partitioner: c.Partitioner, Partitions: c.Partitions, Skew: "—", Band: "—", Verdict: "one partition",
			Moved: fmt.Sprintf("%.4f", c.MovedFraction), Theory: fmt.Sprintf("%.4f", c.ExpectedMoved)}
		if c.NoNext {
			row.Moved, row.Theory = "— (no n+1)", "—"
		}
		if c.SeedSkew != nil {
			row.Skew = fmt.Sprintf("%.3f", *c.SeedSkew)
			row.Verdict = c.Verdict
		}
		if c.Ideal != nil {
			row.Band = fmt.Sprintf("%.3f [%.3f, %.3f]", c.Ideal.Mean, c.Ideal.P025, c.Ideal.P975)
		}
		rows = append(rows, row)
	}
	return rows, fmt.Sprintf("%s server_N keys; skew = (max−min)/(mean+1); ideal-hash bands from %s simulated placements per cell (the claims audit's, from %s, differ from these in the third decimal); verdict = two-sided chi-square test at α = %g (analysis.JudgeBalance); moved = fraction of keys that change partition from n to n+1",
		units.Commas(keys), units.Commas(trialsOf(st)), units.Commas(st.SeedCheck.Ideal.Trials), st.Alpha)
}

func sweepDesc(res *store.Results) string {
	var sw spec.Sweep
	if err := json.Unmarshal(res.Meta.Spec, &sw); err != nil {
		return fmt.Sprintf("sweep %q, %d points", res.Meta.Name, len(res.Points))
	}
	var wls []string
	for _, w := range sw.Workloads {
		wls = append(wls, w.Name)
	}
	return fmt.Sprintf("sweep %q: registries %v, partitions %v, workers %v, workloads %s, %v per point, %d repetitions, 1 in %d ops timed; %d points",
		sw.Name, sw.Registries, sw.Partitions, sw.Workers, strings.Join(wls, ", "), sw.Duration.D(), max(sw.Repeat, 1), max(sw.SampleEvery, 1), len(res.Points))
}

func methodLines(in *input) []string {
	h := in.Host()
	m := in.Scenarios.Meta
	rev := h.GitRevision
	if rev == "" {
		rev = "unknown (not built from a git checkout)"
	}
	return []string{
		fmt.Sprintf("Machine: %s; %d CPUs, GOMAXPROCS %d; %s/%s. Build: %s, revision %s.", h.CPUModel, h.NumCPU, h.GOMAXPROCS, h.OS, h.Arch, h.GoVersion, rev),
		fmt.Sprintf("Seeds: scenarios %d, sweep %d, balance study %d, verification %d. Every random choice derives from these (math/rand/v2 PCG); rerunning with the same seed replays the workloads, not the scheduler's interleavings.", m.Seed, in.Sweep.Meta.Seed, in.Balance.Seed, in.Check.Seed),
		fmt.Sprintf("Scenarios: %s, %s, registries %v side by side, each on a fresh registry preloaded as the scenario says (%s).", scenarioCount(m), scenarioDurations(m), m.Registries, preloadNote(m)),
		"Latency: closed-loop drivers (every figure and table here unless stated) record service time, the call's own duration, because each worker waits for its reply before the next call; open-loop drivers would measure from the intended start to avoid coordinated omission. Fast operations are timed only a sample at a time, because a clock pair costs about as much as a lookup (lookup_100: " + samplingNote(scenarioPoint(in.Scenarios, "lookup_100", in.Subject)) + "); every op is counted.",
		fmt.Sprintf("Timer cost: %s per timed op (measured); driver ceiling: %s with the 100-worker lookup driver against a registry that does nothing.", units.Ns(float64(m.TimerCostNs)), units.Ops(m.DriverCeiling)),
		"Throughput: completed operations divided by measured elapsed time. Percentile intervals are 95 % order-statistic intervals within one run; throughput intervals are Student-t over sweep repetitions or per-interval series.",
		"Skew: the seed's (max−min)/(mean+1) over per-partition counts, beside the ideal hash (balls into bins: closed form analysis.ExpectedIdealSkew, seeded simulation analysis.SimulateIdealSkew) and a chi-square test (analysis.JudgeBalance).",
		fmt.Sprintf("Verification: %s.", in.Check.Method),
	}
}

func abstract(in *input, r *document) []string {
	met := 0
	for _, c := range r.Claims {
		if c.Met {
			met++
		}
	}
	out := []string{
		fmt.Sprintf("We reimplemented the seed's sharded registry of MCP servers and transports in Go and measured it against the seed's %d headline claims on %s (%d CPUs). %d of the seed's targets are met here.", len(r.Claims), in.Host().CPUModel, in.Host().NumCPU, met),
	}
	if p := scenarioPoint(in.Scenarios, "lookup_100", in.Subject); p != nil && p.Latency != nil {
		if h := kindHist(p, "find_server"); h != nil {
			s := fmt.Sprintf("With %d workers, lookups run at %s with p99 %s as closed-loop service time", p.Workers, units.Ops(p.Throughput), units.Ns(float64(h.P99)))
			if oh := openHist(openLookup(in)); oh != nil {
				s += fmt.Sprintf(", but p99 %s from the intended start when %s is offered open-loop", units.Ns(float64(oh.ValueAtQuantile(99))), units.Ops(openLookup(in).TargetRate))
			}
			out = append(out, s+fmt.Sprintf(", against the seed's claimed %s and %s.", quote("throughput").Claimed(), quote("p99").Claimed()))
		}
	}
	if r.Findings.PeerBrief != "" {
		out = append(out, r.Findings.PeerBrief)
	}
	if r.Findings.MaxLat != "" {
		out = append(out, firstSentence(r.Findings.MaxLat)+" Findings explains it.")
	}
	out = append(out, firstSentence(r.Findings.Admission))
	s := in.Balance.SeedCheck
	out = append(out, fmt.Sprintf("The seed's claimed partition skew of %.2f is %s: placing its %s keys in %d partitions gives %.3f, an ideal hash averages %.3f, and %.2f or less occurred in %d of %s simulated trials.",
		s.Claimed, skewClaimJudgement(s.ClaimFraction, in.Balance.Alpha), units.Commas(s.Keys), s.Partitions, s.SeedSkew, s.Ideal.Mean,
		s.Claimed, int(s.ClaimFraction*float64(s.Ideal.Trials)+0.5), units.Commas(s.Ideal.Trials)))
	out = append(out, fmt.Sprintf("Verification: %s.", r.CheckLine))
	return out
}

// scenarioCount describes how many scenarios ran: the seed's ten, and any
// beyond them (open-loop, many-connection).
func scenarioCount(m store.Meta) string {
	n := strings.Count(m.Name, ",") + 1
	switch {
	case n == 10:
		return "the seed's ten"
	case n < 10:
		return fmt.Sprintf("%d of the seed's ten", n)
	}
	return fmt.Sprintf("the seed's ten and %d more (open-loop, many-connection)", n-10)
}

// scenarioSpecs are the scenarios that ran, as meta.json records them.
func scenarioSpecs(m store.Meta) []spec.Scenario {
	var scs []spec.Scenario
	if err := json.Unmarshal(m.Spec, &scs); err != nil {
		return nil
	}
	return scs
}

// durationRange is the span of the scenarios' timed durations ("1s–2s"),
// the quick ones where quick and set; "not recorded" without any.
func durationRange(scs []spec.Scenario, quick bool) string {
	var lo, hi time.Duration
	for _, sc := range scs {
		d := sc.Duration.D()
		if quick && sc.QuickDuration > 0 {
			d = sc.QuickDuration.D()
		}
		if d <= 0 {
			continue
		}
		if lo == 0 || d < lo {
			lo = d
		}
		hi = max(hi, d)
	}
	switch {
	case hi == 0:
		return "durations not recorded"
	case lo == hi:
		return lo.String()
	}
	return lo.String() + "–" + hi.String()
}

// scenarioDurations says whether the scenarios ran quick and how long
// their timed phases were, from the recorded spec.
func scenarioDurations(m store.Meta) string {
	scs := scenarioSpecs(m)
	if m.Quick {
		return fmt.Sprintf("quick scenarios of %s (full length: %s)", durationRange(scs, true), durationRange(scs, false))
	}
	return fmt.Sprintf("full-length scenarios of %s", durationRange(scs, false))
}

// preloadNote lists the preloads the scenarios used, the most common first.
func preloadNote(m store.Meta) string {
	count := map[spec.PreloadSpec]int{}
	var order []spec.PreloadSpec
	for _, sc := range scenarioSpecs(m) {
		if count[sc.Preload] == 0 {
			order = append(order, sc.Preload)
		}
		count[sc.Preload]++
	}
	slices.SortStableFunc(order, func(a, b spec.PreloadSpec) int { return count[b] - count[a] })
	var parts []string
	for _, p := range order {
		what := "nothing"
		switch {
		case p.Servers > 0 && p.Transports > 0:
			bound := ""
			if p.Bind {
				bound = " bound"
			}
			what = fmt.Sprintf("%s servers and %s%s transports", units.Commas(p.Servers), units.Commas(p.Transports), bound)
		case p.Servers > 0:
			what = units.Commas(p.Servers) + " servers"
		case p.Transports > 0:
			what = units.Commas(p.Transports) + " transports"
		}
		parts = append(parts, fmt.Sprintf("%s for %d", what, count[p]))
	}
	if len(parts) == 0 {
		return "preload not recorded"
	}
	return strings.Join(parts, "; ")
}

// durationsNote states how long the scenarios and sweep points ran, from
// the results themselves.
func durationsNote(in *input) string {
	scen := scenarioDurations(in.Scenarios.Meta)
	var sw spec.Sweep
	if err := json.Unmarshal(in.Sweep.Meta.Spec, &sw); err != nil || sw.Duration.D() == 0 {
		return scen
	}
	return fmt.Sprintf("%s, %v per sweep point", scen, sw.Duration.D())
}

func threats(in *input, gaps []string) []string {
	h := in.Host()
	t := []string{
		fmt.Sprintf("A shared, noisy machine: %d CPUs that other jobs use at the same time. Single runs can move by tens of percent; the sweep's repetitions give intervals and the run-to-run spread the scenario comparisons are judged with (see Noise).", h.NumCPU),
		fmt.Sprintf("Timer cost (%s per clock pair) is of the order of a lookup: timed operations include it, which is why fast operations are timed a sample at a time (each figure says how often).", units.Ns(float64(in.Scenarios.Meta.TimerCostNs))),
		"Closed-loop latency is service time: under overload a closed loop slows its own arrivals, so its tail understates what users of an open system would wait.",
		"Go is not Erlang: the seed's ETS tables, schedulers and message passing have different costs. Comparisons with the seed's figures compare designs and implementations together.",
		fmt.Sprintf("Short durations (%s) favour warm caches and miss slow effects (GC cycles, long-tail pauses); `shardlab run all` without --quick runs the seed's durations (%s).", durationsNote(in), durationRange(scenarioSpecs(in.Scenarios.Meta), false)),
		fmt.Sprintf("Scaling is bounded by this machine's %d CPUs: beyond that many workers, the sweeps measure oversubscription (workers queueing for a core), not parallel scaling, and the USL fits say so with a contention term near 1.", h.NumCPU),
		"Throughput measured here does not transfer to other hardware; the capacity plan says so when it extrapolates.",
		"The verification campaign samples interleavings; it finds bugs, it does not prove their absence.",
	}
	if in.Scenarios.Meta.Quick {
		t = append(t, "These results were taken in quick mode.")
	}
	for _, g := range gaps {
		t = append(t, "Figure left out for lack of data: "+g)
	}
	return append(t, in.Notes...)
}

var funcs = map[string]any{
	"inc": func(i int) int { return i + 1 },
	"mdcell": func(s string) string {
		return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
	},
}

func renderMarkdown(r *document) ([]byte, error) {
	t, err := texttemplate.New("report.md.tmpl").Funcs(funcs).ParseFS(templates, "templates/report.md.tmpl")
	if err != nil {
		return nil, fmt.Errorf("paper: markdown template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, r); err != nil {
		return nil, fmt.Errorf("paper: markdown template: %w", err)
	}
	return b.Bytes(), nil
}

func renderHTML(r *document) ([]byte, error) {
	fs := map[string]any{
		"inc":  funcs["inc"],
		"code": codeHTML,
		"img": func(f figure) htmltemplate.URL {
			return htmltemplate.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(f.svg))
		},
	}
	t, err := htmltemplate.New("report.html.tmpl").Funcs(fs).ParseFS(templates, "templates/report.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("paper: html template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, r); err != nil {
		return nil, fmt.Errorf("paper: html template: %w", err)
	}
	return b.Bytes(), nil
}

// firstSentence is s up to its first ". " (all of s when it has one).
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// quote is the seed's claim with this ID (package seed); the IDs used here
// are seed's own, and a test holds them there.
func quote(id string) seed.Claim {
	c, _ := seed.ClaimByID(id)
	return c
}
