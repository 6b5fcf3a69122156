package benchratio

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Errors returned (wrapped) by Parse and Run.
var (
	ErrNoResults   = errors.New("benchratio: no registry benchmark results (want lines like BenchmarkFindServer/registry=...)")
	ErrMalformed   = errors.New("benchratio: malformed benchmark line")
	ErrGoalsNotMet = errors.New("benchratio: performance goals not met")
)

// Result is one benchmark line.
type Result struct {
	// Name is the full benchmark name without the -GOMAXPROCS suffix.
	Name  string
	Procs int
	Iters int64
	// Values maps a unit ("ns/op", "allocs/op", "B/op", ...) to its value.
	Values map[string]float64
}

// Parse reads go test -bench output and returns its benchmark lines in
// order. Lines that are not benchmark results (headers, PASS, logs) are
// skipped; a line that starts like a result but does not parse is an error.
func Parse(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		iters, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			// "BenchmarkX ... --- FAIL" and similar: not a result line.
			continue
		}
		if len(fields)%2 != 0 {
			return nil, fmt.Errorf("%w: line %d: %q: values and units do not pair up", ErrMalformed, lineNo, sc.Text())
		}
		res := Result{Iters: iters, Values: map[string]float64{}}
		res.Name, res.Procs = splitProcs(fields[0])
		res.Name = stripRepeat(res.Name)
		for i := 2; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: value %q: %v", ErrMalformed, lineNo, fields[i], err)
			}
			res.Values[fields[i+1]] = v
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// stripRepeat drops the "#NN" suffix the testing package gives a
// sub-benchmark run again under the same name (the in-process rounds of
// package impl's benchmarks), so that rounds group as repeats.
func stripRepeat(name string) string {
	i := strings.LastIndexByte(name, '#')
	if i < 0 || i == len(name)-1 {
		return name
	}
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return name
		}
	}
	return name[:i]
}

// splitProcs splits "Name-4" into ("Name", 4). The testing package adds the
// suffix only when GOMAXPROCS is not 1.
func splitProcs(name string) (string, int) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i < strings.LastIndexByte(name, '/') {
		return name, 1
	}
	p, err := strconv.Atoi(name[i+1:])
	if err != nil || p < 1 {
		return name, 1
	}
	return name[:i], p
}

// Row is the median of one benchmark's repeats at one GOMAXPROCS.
type Row struct {
	// Config is the name without registry= and partitions= elements, e.g.
	// "BenchmarkMix/reads=99/keys=uniform".
	Config     string
	Procs      int
	Registry   string
	Partitions int // 0 for registries without partitions
	NsPerOp    float64
	// AllocsPerOp and BytesPerOp are NaN when the run lacked -benchmem.
	AllocsPerOp float64
	BytesPerOp  float64
	Runs        int
	// NsRuns are the ns/op of each repeat, in input order: the k-th
	// repeat of every registry in one configuration ran in the same round.
	NsRuns []float64
	// NsLo and NsHi are a distribution-free confidence interval for the
	// median ns/op (see MedianCI); both NaN with fewer than 6 repeats.
	NsLo, NsHi float64
}

// Summarize groups results by name and GOMAXPROCS and takes medians. Results
// without a registry= element are not registry benchmarks and are dropped.
func Summarize(results []Result) []Row {
	type key struct {
		name  string
		procs int
	}
	groups := map[key][]Result{}
	var order []key
	for _, r := range results {
		k := key{r.Name, r.Procs}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var rows []Row
	for _, k := range order {
		config, registry, partitions, ok := splitName(k.name)
		if !ok {
			continue
		}
		rs := groups[k]
		var runs []float64
		for _, r := range rs {
			if v, ok := r.Values["ns/op"]; ok {
				runs = append(runs, v)
			}
		}
		lo, hi := MedianCI(runs)
		rows = append(rows, Row{
			NsRuns:      runs,
			NsLo:        lo,
			NsHi:        hi,
			Config:      config,
			Procs:       k.procs,
			Registry:    registry,
			Partitions:  partitions,
			NsPerOp:     median(rs, "ns/op"),
			AllocsPerOp: median(rs, "allocs/op"),
			BytesPerOp:  median(rs, "B/op"),
			Runs:        len(rs),
		})
	}
	return rows
}

// splitName takes the registry= and partitions= elements out of a name.
func splitName(name string) (config, registry string, partitions int, ok bool) {
	var kept []string
	for _, el := range strings.Split(name, "/") {
		switch {
		case strings.HasPrefix(el, "registry="):
			registry = strings.TrimPrefix(el, "registry=")
		case strings.HasPrefix(el, "partitions="):
			p, err := strconv.Atoi(strings.TrimPrefix(el, "partitions="))
			if err != nil {
				kept = append(kept, el)
				continue
			}
			partitions = p
		default:
			kept = append(kept, el)
		}
	}
	return strings.Join(kept, "/"), registry, partitions, registry != ""
}

func median(rs []Result, unit string) float64 {
	vs := make([]float64, 0, len(rs))
	for _, r := range rs {
		if v, ok := r.Values[unit]; ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return math.NaN()
	}
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// Confidence is the level of the intervals MedianCI returns, as benchstat
// uses by default.
const Confidence = 0.95

// MedianCI returns a distribution-free interval that covers the median of
// the population xs was drawn from with probability at least Confidence:
// the order statistics x(k) and x(n+1-k) for the largest k with
// P(Binomial(n, 1/2) < k) <= (1-Confidence)/2, the method benchstat uses.
// With 10 repeats it is [x(2), x(9)] (97.9 %). Fewer than 6 repeats cannot
// reach 95 %, and both bounds are NaN.
func MedianCI(xs []float64) (lo, hi float64) {
	n := len(xs)
	k := 0
	cum := 0.0 // P(B <= j-1)
	for j := 0; j < n; j++ {
		cum += binomHalf(n, j)
		if cum > (1-Confidence)/2 {
			break
		}
		k = j + 1 // P(B < k) <= alpha/2
	}
	if k == 0 {
		return math.NaN(), math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[k-1], s[n-k]
}

// binomHalf is P(Binomial(n, 1/2) = j).
func binomHalf(n, j int) float64 {
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x + 1)); return v }
	return math.Exp(lg(n) - lg(j) - lg(n-j) - float64(n)*math.Ln2)
}

func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Goal is one stated performance goal. Applies says whether a comparison
// row is one the goal speaks about; Met judges it.
type Goal struct {
	Name    string
	Applies func(Comparison) bool
	Met     func(Comparison) bool
}

// Peer names: registry= values of the bare maps and of the registry peers.
const (
	BareXSync  = "bare-xsync"
	BarePrefix = "bare-"
)

// IsBare reports whether a registry= value names a bare map peer.
func IsBare(registry string) bool { return strings.HasPrefix(registry, BarePrefix) }

// Goals returns the goals checked: docs/design.md's "Performance intent"
// as the issues that asked for the benchmarks made them measurable.
// Against the bare maps (the floor a Go user would otherwise pick):
//
//   - 0 allocs/op: FindServer and RouteToServer allocate nothing;
//   - lookups >=1.0x bare-xsync: FindServer, RouteToServer and the 99 %
//     mix at every -cpu, key count and partition count;
//   - 90/10 >=1.0x bare-xsync: the 90 % mix (bare xsync writing with
//     LoadOrStore and LoadAndDelete);
//   - register+unregister >=0.5x bare-xsync (at most twice its time).
//
// Against the registry peers (package impl/baseline), as before:
//
//   - >=0.9x xsync, >=1.2x syncmap for lookups and the 99 % mix at -cpu 2;
//   - >1x syncmap, >1x mutex for the 90 % mix at -cpu 2.
//
// A ratio goal is met when the median ratio reaches it; the ratio's
// interval says whether a miss is within the noise.
func Goals() []Goal {
	isBench := func(c Comparison, names ...string) bool {
		for _, n := range names {
			if c.Impl.Config == n || strings.HasPrefix(c.Impl.Config, n+"/") {
				return true
			}
		}
		return false
	}
	reads := func(c Comparison, pcts ...string) bool {
		if !isBench(c, "BenchmarkMix") {
			return false
		}
		for _, p := range pcts {
			if slices.Contains(strings.Split(c.Impl.Config, "/"), "reads="+p) {
				return true
			}
		}
		return false
	}
	// A missing peer cannot meet a goal that compares with it.
	atLeast := func(c Comparison, peer string, min float64) bool {
		r, ok := c.Ratio[peer]
		return ok && r >= min
	}
	above := func(c Comparison, peer string) bool {
		r, ok := c.Ratio[peer]
		return ok && r > 1
	}
	return []Goal{
		{
			Name:    "0 allocs/op",
			Applies: func(c Comparison) bool { return isBench(c, "BenchmarkFindServer", "BenchmarkRouteToServer") },
			Met:     func(c Comparison) bool { return c.Impl.AllocsPerOp == 0 },
		},
		{
			Name: "lookups >=1.0x bare-xsync",
			Applies: func(c Comparison) bool {
				return isBench(c, "BenchmarkFindServer", "BenchmarkRouteToServer") || reads(c, "100", "99")
			},
			Met: func(c Comparison) bool { return atLeast(c, BareXSync, 1) },
		},
		{
			Name:    "90/10 >=1.0x bare-xsync",
			Applies: func(c Comparison) bool { return reads(c, "90") },
			Met:     func(c Comparison) bool { return atLeast(c, BareXSync, 1) },
		},
		{
			Name:    "register+unregister >=0.5x bare-xsync",
			Applies: func(c Comparison) bool { return isBench(c, "BenchmarkRegisterUnregister") },
			Met:     func(c Comparison) bool { return atLeast(c, BareXSync, 0.5) },
		},
		{
			Name: ">=0.9x xsync, >=1.2x syncmap",
			Applies: func(c Comparison) bool {
				return c.Impl.Procs == 2 && (isBench(c, "BenchmarkFindServer") || reads(c, "100", "99"))
			},
			Met: func(c Comparison) bool { return atLeast(c, "xsync", 0.9) && atLeast(c, "syncmap", 1.2) },
		},
		{
			Name:    ">1x syncmap, >1x mutex",
			Applies: func(c Comparison) bool { return c.Impl.Procs == 2 && reads(c, "90") },
			Met:     func(c Comparison) bool { return above(c, "syncmap") && above(c, "mutex") },
		},
	}
}

// Comparison is one impl row beside the peers measured in the same
// configuration and GOMAXPROCS.
type Comparison struct {
	Impl Row
	// Peers by registry name.
	Peers map[string]Row
	// Ratio maps a peer to peer ns/op / impl ns/op: >1 means the impl is
	// faster. It is the median of the per-round ratios when both rows have
	// the same number of repeats (each round ran both within seconds), and
	// the ratio of the medians otherwise.
	Ratio map[string]float64
	// RatioLo and RatioHi bound Ratio at Confidence (MedianCI of the
	// per-round ratios); NaN when the repeats do not pair or are too few.
	RatioLo, RatioHi map[string]float64
	// Goals maps the name of each goal that applies to whether it was met.
	Goals map[string]bool
}

// Compare pairs every row of registry impl with the other registries' rows
// of the same configuration and GOMAXPROCS, in input order.
func Compare(rows []Row, impl string, goals []Goal) []Comparison {
	type key struct {
		config string
		procs  int
	}
	peers := map[key]map[string]Row{}
	for _, r := range rows {
		if r.Registry == impl {
			continue
		}
		k := key{r.Config, r.Procs}
		if peers[k] == nil {
			peers[k] = map[string]Row{}
		}
		peers[k][r.Registry] = r
	}
	var out []Comparison
	for _, r := range rows {
		if r.Registry != impl {
			continue
		}
		c := Comparison{
			Impl: r, Peers: peers[key{r.Config, r.Procs}],
			Ratio: map[string]float64{}, RatioLo: map[string]float64{}, RatioHi: map[string]float64{},
			Goals: map[string]bool{},
		}
		for name, p := range c.Peers {
			if !(r.NsPerOp > 0) {
				continue
			}
			c.Ratio[name] = p.NsPerOp / r.NsPerOp
			c.RatioLo[name], c.RatioHi[name] = math.NaN(), math.NaN()
			if len(p.NsRuns) == len(r.NsRuns) && len(r.NsRuns) > 0 {
				ratios := make([]float64, len(r.NsRuns))
				for i := range ratios {
					ratios[i] = p.NsRuns[i] / r.NsRuns[i]
				}
				c.Ratio[name] = medianOf(ratios)
				c.RatioLo[name], c.RatioHi[name] = MedianCI(ratios)
			}
		}
		for _, g := range goals {
			if g.Applies(c) {
				c.Goals[g.Name] = g.Met(c)
			}
		}
		out = append(out, c)
	}
	return out
}

// Write prints two tables, impl against the bare maps and against the
// registry peers, then one summary line per goal.
func Write(w io.Writer, impl string, comps []Comparison, goals []Goal) error {
	var bare, registry []string
	seen := map[string]bool{}
	for _, c := range comps {
		for p := range c.Peers {
			if seen[p] {
				continue
			}
			seen[p] = true
			if IsBare(p) {
				bare = append(bare, p)
			} else {
				registry = append(registry, p)
			}
		}
	}
	slices.Sort(bare)
	slices.Sort(registry)
	var bareGoals, regGoals []Goal
	for _, g := range goals {
		if strings.Contains(g.Name, BarePrefix) || g.Name == "0 allocs/op" {
			bareGoals = append(bareGoals, g)
		} else {
			regGoals = append(regGoals, g)
		}
	}
	for _, t := range []struct {
		title string
		peers []string
		goals []Goal
	}{
		{"against the bare maps a Go user would pick instead (" + BarePrefix + "*)", bare, bareGoals},
		{"against the registry peers (impl/baseline)", registry, regGoals},
	} {
		if len(t.peers) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s %s:\n\n", impl, t.title)
		if err := writeTable(w, impl, comps, t.peers, t.goals); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "vs PEER = PEER ns/op / %s ns/op: >1 means %s is faster. Each figure is the median over the\n", impl, impl)
	fmt.Fprintf(w, "rounds of the per-round ratio, with its %.0f %% distribution-free interval in brackets (as\n", Confidence*100)
	fmt.Fprintln(w, "benchstat computes it; '~' marks an interval containing 1: indistinguishable). ns/op: median")
	fmt.Fprintln(w, "± the interval's largest distance from it, in percent.")
	for _, line := range Summary(comps, goals) {
		fmt.Fprintln(w, line)
	}
	return nil
}

func writeTable(w io.Writer, impl string, comps []Comparison, peers []string, goals []Goal) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"benchmark", "cpu", "P", impl + " ns/op", "allocs"}
	for _, p := range peers {
		header = append(header, "vs "+p)
	}
	header = append(header, "runs", "goals")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, c := range comps {
		cells := []string{
			c.Impl.Config, strconv.Itoa(c.Impl.Procs), strconv.Itoa(c.Impl.Partitions),
			formatNs(c.Impl), formatFloat(c.Impl.AllocsPerOp),
		}
		any := false
		for _, p := range peers {
			r, ok := c.Ratio[p]
			if !ok {
				cells = append(cells, "-")
				continue
			}
			any = true
			cells = append(cells, formatRatio(r, c.RatioLo[p], c.RatioHi[p]))
		}
		if !any {
			continue
		}
		cells = append(cells, strconv.Itoa(c.Impl.Runs), goalCell(c, goals))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func formatNs(r Row) string {
	s := formatFloat(r.NsPerOp)
	if math.IsNaN(r.NsLo) || !(r.NsPerOp > 0) {
		return s
	}
	pct := 100 * max(r.NsPerOp-r.NsLo, r.NsHi-r.NsPerOp) / r.NsPerOp
	return fmt.Sprintf("%s ±%.0f%%", s, pct)
}

func formatRatio(r, lo, hi float64) string {
	if math.IsNaN(lo) {
		return fmt.Sprintf("%.2f", r)
	}
	mark := ""
	if lo <= 1 && hi >= 1 {
		mark = "~"
	}
	return fmt.Sprintf("%.2f [%.2f,%.2f]%s", r, lo, hi, mark)
}

func goalCell(c Comparison, goals []Goal) string {
	var parts []string
	for _, g := range goals {
		met, ok := c.Goals[g.Name]
		if !ok {
			continue
		}
		verdict := "met"
		if !met {
			verdict = "NOT MET"
		}
		parts = append(parts, g.Name+": "+verdict)
	}
	return strings.Join(parts, "; ")
}

// Summary returns one line per goal: how many rows met it, overall and at
// the default partition count (64), or that no row applied.
func Summary(comps []Comparison, goals []Goal) []string {
	var lines []string
	for _, g := range goals {
		var met, total, met64, total64 int
		for _, c := range comps {
			ok, applies := c.Goals[g.Name]
			if !applies {
				continue
			}
			total++
			if ok {
				met++
			}
			if c.Impl.Partitions == 64 {
				total64++
				if ok {
					met64++
				}
			}
		}
		switch {
		case total == 0:
			lines = append(lines, fmt.Sprintf("goal %-40s no rows (benchmark, peer or -cpu 2 missing)", g.Name+":"))
		default:
			verdict := "met"
			if met < total {
				verdict = "NOT MET"
			}
			lines = append(lines, fmt.Sprintf("goal %-40s %-7s (met in %d/%d rows; partitions=64: %d/%d)", g.Name+":", verdict, met, total, met64, total64))
		}
	}
	return lines
}

// AllMet reports whether every goal that applies to some row was met on
// every row it applies to.
func AllMet(comps []Comparison) bool {
	for _, c := range comps {
		for _, met := range c.Goals {
			if !met {
				return false
			}
		}
	}
	return true
}

func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v >= 100 || v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// Config configures Run.
type Config struct {
	// Input is the go test -bench output file.
	Input string
	// Impl is the registry= value of the implementation under test
	// (default "sharded").
	Impl string
	// Strict makes Run return ErrGoalsNotMet when a goal is not met.
	Strict bool
	// Callgrind, if set, is the output of `make callgrind` (see
	// ParseCallgrind); its instruction counts are printed after the
	// timings.
	Callgrind string
	// Out receives the table (default os.Stdout).
	Out io.Writer

	_ struct{}
}

// Run reads cfg.Input and writes the table to cfg.Out.
func Run(cfg Config) error {
	if cfg.Impl == "" {
		cfg.Impl = "sharded"
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	f, err := os.Open(cfg.Input)
	if err != nil {
		return fmt.Errorf("benchratio: %w", err)
	}
	defer f.Close()
	results, err := Parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.Input, err)
	}
	rows := Summarize(results)
	if !slices.ContainsFunc(rows, func(r Row) bool { return r.Registry == cfg.Impl }) {
		return fmt.Errorf("%s: %w (none with registry=%s)", cfg.Input, ErrNoResults, cfg.Impl)
	}
	// Configurations in the order they ran; within one, by -cpu, then by
	// partition count, so each configuration's rows sit together.
	firstSeen := map[string]int{}
	for i, r := range rows {
		if _, ok := firstSeen[r.Config]; !ok {
			firstSeen[r.Config] = i
		}
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(firstSeen[a.Config], firstSeen[b.Config]),
			cmp.Compare(a.Procs, b.Procs), cmp.Compare(a.Partitions, b.Partitions))
	})
	goals := Goals()
	comps := Compare(rows, cfg.Impl, goals)
	if err := Write(cfg.Out, cfg.Impl, comps, goals); err != nil {
		return err
	}
	if cfg.Callgrind != "" {
		cf, err := os.Open(cfg.Callgrind)
		if err != nil {
			return fmt.Errorf("benchratio: %w", err)
		}
		defer cf.Close()
		instr, err := ParseCallgrind(cf)
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.Callgrind, err)
		}
		fmt.Fprintln(cfg.Out)
		if err := WriteInstr(cfg.Out, instr); err != nil {
			return err
		}
	}
	if cfg.Strict && !AllMet(comps) {
		return ErrGoalsNotMet
	}
	return nil
}
