package experiments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// Sentinel errors. The CLI maps every one of them to exit status 2.
var (
	ErrSpec            = errors.New("experiments: invalid spec")
	ErrUnknownScenario = errors.New("experiments: unknown scenario")
	ErrUnknownSweep    = errors.New("experiments: unknown sweep")
	ErrUnknownRegistry = errors.New("experiments: unknown registry")
	ErrOutput          = errors.New("experiments: cannot write results")
	ErrCorrupt         = errors.New("experiments: corrupt results file")
	ErrMismatch        = errors.New("experiments: results folder holds a different run")
)

// Duration is a time.Duration that JSON spells as a Go duration string
// ("1.5s", "200ms").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string like \"1.5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Scenario kinds.
const (
	KindClosed      = "closed"      // sim.ClosedLoop
	KindOpen        = "open"        // sim.OpenLoop
	KindConnections = "connections" // sim.Connections
	KindBalance     = "balance"     // preload, then count placements per partition
	KindContention  = "contention"  // closed-loop phases with alarm/admission probes
)

// KeysSpec is sim.Keys in JSON.
type KeysSpec struct {
	Dist    string  `json:"dist,omitempty"`
	Theta   float64 `json:"theta,omitempty"`
	HotKeys float64 `json:"hot_keys,omitempty"`
	HotOps  float64 `json:"hot_ops,omitempty"`
}

func (k KeysSpec) sim() sim.Keys {
	return sim.Keys{Dist: k.Dist, Theta: k.Theta, HotKeys: k.HotKeys, HotOps: k.HotOps}
}

// GroupSpec is a set of workers: Workload names a built-in mix (see
// Workloads) or Mix gives weights by operation name; not both.
type GroupSpec struct {
	Name     string             `json:"name,omitempty"`
	Workers  int                `json:"workers"`
	Workload string             `json:"workload,omitempty"`
	Mix      map[string]float64 `json:"mix,omitempty"`
	Keys     KeysSpec           `json:"keys,omitzero"`
}

// PreloadSpec is sim.Preload in JSON.
type PreloadSpec struct {
	Servers    int  `json:"servers"`
	Transports int  `json:"transports"`
	Bind       bool `json:"bind,omitempty"`
}

// RegistrySpec holds impl.Options for the sharded registry (peers ignore
// it). Zero fields take impl's defaults.
type RegistrySpec struct {
	Partitions        int      `json:"partitions,omitempty"`
	Partitioner       string   `json:"partitioner,omitempty"`
	ContentionWindow  Duration `json:"contention_window,omitempty"`
	AlarmWait         Duration `json:"alarm_wait,omitempty"`
	ClearWait         Duration `json:"clear_wait,omitempty"`
	MinWindowWrites   int      `json:"min_window_writes,omitempty"`
	AdmissionFraction float64  `json:"admission_fraction,omitempty"`
	ReadSampling      int      `json:"read_sampling,omitempty"`
}

// ConnSpec configures a connections scenario.
type ConnSpec struct {
	Count int `json:"count"`
	// QuickCount, when > 0, replaces Count under --quick; the point
	// records the count that ran.
	QuickCount int                `json:"quick_count,omitempty"`
	Think      Duration           `json:"think"`
	ThinkDist  string             `json:"think_dist,omitempty"`
	Mix        map[string]float64 `json:"mix,omitempty"`
	ServerKeys KeysSpec           `json:"server_keys,omitzero"`
}

// PhaseSpec is one phase of a contention scenario.
type PhaseSpec struct {
	Name          string      `json:"name"`
	Duration      Duration    `json:"duration"`
	QuickDuration Duration    `json:"quick_duration,omitempty"`
	Groups        []GroupSpec `json:"groups"`
}

// Check is one acceptance target: Metric compared with Value by Cmp,
// optionally over one operation Kind. Target and Claim are the seed's own
// words (what it required, what it said it achieved).
type Check struct {
	Metric string  `json:"metric"`
	Kind   string  `json:"kind,omitempty"`
	Cmp    string  `json:"cmp"`
	Value  float64 `json:"value"`
	Target string  `json:"target"`
	Claim  string  `json:"claim"`
}

// Metrics a Check can name.
var Metrics = []string{
	"throughput", "p50_us", "p95_us", "p99_us", "p999_us", "max_us",
	"ops_per_worker", "errors", "failed", "skew", "max_over_mean",
	"alarmed_max", "rejected", "recovered",
}

var comparisons = []string{"<", "<=", ">", ">=", "=="}

// Scenario is one experiment, as data. The JSON form is what users write;
// see the package documentation for the format.
type Scenario struct {
	Name     string `json:"name"`
	Title    string `json:"title"`
	SeedTest string `json:"seed_test,omitempty"`
	// Kind is closed (default), open, connections, balance or contention.
	Kind    string      `json:"kind,omitempty"`
	Preload PreloadSpec `json:"preload"`
	Groups  []GroupSpec `json:"groups,omitempty"`
	// OpsPerWorker and Duration: with both set, a closed scenario runs two
	// points, one of each ("ops" and "duration" modes). QuickDuration
	// replaces Duration under --quick.
	OpsPerWorker   int64        `json:"ops_per_worker,omitempty"`
	Duration       Duration     `json:"duration,omitempty"`
	QuickDuration  Duration     `json:"quick_duration,omitempty"`
	Rate           float64      `json:"rate,omitempty"`
	Connections    *ConnSpec    `json:"connections,omitempty"`
	Phases         []PhaseSpec  `json:"phases,omitempty"`
	SampleEvery    int          `json:"sample_every,omitempty"`
	SeriesInterval Duration     `json:"series_interval,omitempty"`
	Registry       RegistrySpec `json:"registry,omitzero"`
	// HistogramBucketsUs, when set, adds bucket counts at these edges (µs)
	// to the point.
	HistogramBucketsUs []int64 `json:"histogram_buckets_us,omitempty"`
	Checks             []Check `json:"checks,omitempty"`
	Note               string  `json:"note,omitempty"`
}

// field names a spec field for error messages, e.g. "lookup_100.groups[0].workers".
func field(scenario, path string) string {
	if scenario == "" {
		return path
	}
	return scenario + "." + path
}

func specErr(scenario, path, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrSpec, field(scenario, path), fmt.Sprintf(format, args...))
}

// resolveGroups turns group specs into sim groups.
func resolveGroups(scenario, path string, gs []GroupSpec) ([]sim.Group, error) {
	if len(gs) == 0 {
		return nil, specErr(scenario, path, "no worker groups")
	}
	var out []sim.Group
	for i, g := range gs {
		p := fmt.Sprintf("%s[%d]", path, i)
		if g.Workers < 1 || g.Workers > sim.MaxWorkers {
			return nil, specErr(scenario, p+".workers", "%d (want 1..%d)", g.Workers, sim.MaxWorkers)
		}
		mix, err := resolveMix(scenario, p, g.Workload, g.Mix)
		if err != nil {
			return nil, err
		}
		if _, err := sim.NewKeyGen(g.Keys.sim(), 1); err != nil {
			return nil, specErr(scenario, p+".keys", "%v", err)
		}
		name := g.Name
		if name == "" {
			name = g.Workload
		}
		out = append(out, sim.Group{Name: name, Workers: g.Workers, Mix: mix, Keys: g.Keys.sim()})
	}
	return out, nil
}

func resolveMix(scenario, path, workload string, weights map[string]float64) (sim.Mix, error) {
	switch {
	case workload != "" && weights != nil:
		return sim.Mix{}, specErr(scenario, path, "give workload or mix, not both")
	case workload != "":
		w, ok := Workloads()[workload]
		if !ok {
			return sim.Mix{}, specErr(scenario, path+".workload", "unknown workload %q (want one of %s)", workload, strings.Join(WorkloadNames(), ", "))
		}
		return w, nil
	case weights == nil:
		return sim.Mix{}, specErr(scenario, path, "needs a workload or a mix")
	}
	m, err := sim.ParseMix(weights)
	if err != nil {
		return sim.Mix{}, specErr(scenario, path+".mix", "%v", err)
	}
	return m, nil
}

// Validate checks every field and names the first bad one.
func (s *Scenario) Validate() error {
	n := s.Name
	if n == "" || strings.ContainsAny(n, "/ \t\n,") {
		return specErr("", "name", "%q (want a non-empty name without spaces, commas or slashes)", n)
	}
	errf := func(path, format string, args ...any) error { return specErr(n, path, format, args...) }
	if err := checkPreload(errf, s.Preload); err != nil {
		return err
	}
	if s.OpsPerWorker < 0 {
		return specErr(n, "ops_per_worker", "%d (want >= 0)", s.OpsPerWorker)
	}
	if s.Duration < 0 || s.QuickDuration < 0 || s.SeriesInterval < 0 {
		return specErr(n, "duration", "durations must not be negative")
	}
	if s.SampleEvery < 0 {
		return specErr(n, "sample_every", "%d (want >= 1, or 0 for 1)", s.SampleEvery)
	}
	if s.Registry.Partitions < 0 || s.Registry.Partitions > 4096 {
		return specErr(n, "registry.partitions", "%d (want 0 for the default, or 1..4096)", s.Registry.Partitions)
	}
	if err := checkRegistrySpec(errf, s.Registry); err != nil {
		return err
	}
	kind := s.kind()
	switch kind {
	case KindClosed, KindOpen:
		gs, err := resolveGroups(n, "groups", s.Groups)
		if err != nil {
			return err
		}
		for i, g := range gs {
			if err := needsPreload(errf, fmt.Sprintf("groups[%d]", i), g.Mix, s.Preload); err != nil {
				return err
			}
		}
		if err := checkSeries(errf, s.Duration.D(), s.SeriesInterval.D()); err != nil {
			return err
		}
		if s.OpsPerWorker == 0 && s.Duration == 0 {
			return specErr(n, "duration", "a closed or open scenario needs duration or ops_per_worker")
		}
		if kind == KindOpen && (!(s.Rate > 0) || s.Duration == 0) {
			return specErr(n, "rate", "an open scenario needs rate > 0 and a duration (rate %v)", s.Rate)
		}
	case KindConnections:
		c := s.Connections
		if c == nil {
			return specErr(n, "connections", "a connections scenario needs a connections block")
		}
		if c.Count < 1 || c.Count > sim.MaxWorkers {
			return specErr(n, "connections.count", "%d (want 1..%d)", c.Count, sim.MaxWorkers)
		}
		if c.QuickCount < 0 || c.QuickCount > sim.MaxWorkers {
			return specErr(n, "connections.quick_count", "%d (want 0 for count, or 1..%d)", c.QuickCount, sim.MaxWorkers)
		}
		if c.Think < 0 {
			return specErr(n, "connections.think", "%v (want >= 0)", c.Think.D())
		}
		if c.ThinkDist != "" && c.ThinkDist != sim.ThinkFixed && c.ThinkDist != sim.ThinkExponential {
			return specErr(n, "connections.think_dist", "%q (want fixed or exp)", c.ThinkDist)
		}
		if c.Mix != nil {
			// Each connection registers its own transport; servers are
			// required above.
			if _, err := sim.ParseMix(c.Mix); err != nil {
				return specErr(n, "connections.mix", "%v", err)
			}
		}
		if err := checkSeries(errf, s.Duration.D(), s.SeriesInterval.D()); err != nil {
			return err
		}
		if _, err := sim.NewKeyGen(c.ServerKeys.sim(), 1); err != nil {
			return specErr(n, "connections.server_keys", "%v", err)
		}
		if s.Duration == 0 || s.Preload.Servers == 0 {
			return specErr(n, "duration", "a connections scenario needs a duration and preloaded servers")
		}
	case KindBalance:
		if s.Preload.Servers+s.Preload.Transports == 0 {
			return specErr(n, "preload", "a balance scenario needs entries to place")
		}
	case KindContention:
		if len(s.Phases) == 0 {
			return specErr(n, "phases", "a contention scenario needs phases")
		}
		var total time.Duration
		for i, p := range s.Phases {
			path := fmt.Sprintf("phases[%d]", i)
			if p.Duration <= 0 || p.QuickDuration < 0 {
				return specErr(n, path+".duration", "%v (want > 0)", p.Duration.D())
			}
			total += p.Duration.D()
			gs, err := resolveGroups(n, path+".groups", p.Groups)
			if err != nil {
				return err
			}
			for j, g := range gs {
				if err := needsPreload(errf, fmt.Sprintf("%s.groups[%d]", path, j), g.Mix, s.Preload); err != nil {
					return err
				}
			}
		}
		if err := checkSeries(errf, total, s.SeriesInterval.D()); err != nil {
			return err
		}
	default:
		return specErr(n, "kind", "%q (want closed, open, connections, balance or contention)", s.Kind)
	}
	for i, c := range s.Checks {
		p := fmt.Sprintf("checks[%d]", i)
		if !slices.Contains(Metrics, c.Metric) {
			return specErr(n, p+".metric", "unknown metric %q (want one of %s)", c.Metric, strings.Join(Metrics, ", "))
		}
		if !slices.Contains(comparisons, c.Cmp) {
			return specErr(n, p+".cmp", "%q (want one of %s)", c.Cmp, strings.Join(comparisons, " "))
		}
		if c.Kind != "" {
			if _, err := model.ParseOpKind(c.Kind); err != nil {
				return specErr(n, p+".kind", "%v", err)
			}
		}
		if math.IsNaN(c.Value) {
			return specErr(n, p+".value", "NaN")
		}
	}
	if len(s.HistogramBucketsUs) > 10_000 {
		return specErr(n, "histogram_buckets_us", "%d edges (the limit is 10000)", len(s.HistogramBucketsUs))
	}
	for i, e := range s.HistogramBucketsUs {
		if e < 0 || (i > 0 && e <= s.HistogramBucketsUs[i-1]) {
			return specErr(n, "histogram_buckets_us", "edges must be >= 0 and strictly increasing (at %d)", i)
		}
	}
	return nil
}

func (s *Scenario) kind() string {
	if s.Kind == "" {
		return KindClosed
	}
	return s.Kind
}

// Workloads returns the built-in mixes, by name: the seed's and a few
// more for sweeps.
func Workloads() map[string]sim.Mix {
	return map[string]sim.Mix{
		"lookup":      sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 1}),
		"route":       sim.MustMix(map[model.OpKind]float64{model.OpRouteToServer: 1}),
		"storm":       sim.MustMix(map[model.OpKind]float64{model.OpRegisterServer: 1, model.OpFindServer: 1}),
		"register":    sim.MustMix(map[model.OpKind]float64{model.OpRegisterServer: 1}),
		"bind_route":  sim.MustMix(map[model.OpKind]float64{model.OpBind: 1, model.OpRouteToServer: 1}),
		"sustained":   sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 40, model.OpRouteToServer: 30, model.OpRegisterServer: 20, model.OpBind: 10}),
		"read_mostly": sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 95, model.OpRegisterServer: 5}),
		"contention":  sim.MustMix(map[model.OpKind]float64{model.OpBind: 60, model.OpRegisterServer: 20, model.OpUnbind: 20}),
	}
}

// WorkloadNames lists Workloads' names, sorted.
func WorkloadNames() []string {
	var ns []string
	for n := range Workloads() {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// decodeStrict decodes JSON rejecting unknown fields and trailing data,
// and turns syntax errors into file:line:col.
func decodeStrict(name string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := lineCol(data, se.Offset)
			return fmt.Errorf("%w: %s:%d:%d: %v", ErrSpec, name, line, col, err)
		case errors.As(err, &te):
			line, col := lineCol(data, te.Offset)
			return fmt.Errorf("%w: %s:%d:%d: field %s: %v", ErrSpec, name, line, col, te.Field, err)
		}
		return fmt.Errorf("%w: %s: %v", ErrSpec, name, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: %s: data after the spec", ErrSpec, name)
	}
	return nil
}

func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// ScenarioFile is what a scenario spec file holds: one scenario, or
// {"scenarios": [...]}.
type ScenarioFile struct {
	Scenarios []Scenario `json:"scenarios"`
}

// LoadScenarios reads a spec file holding one scenario object or
// {"scenarios": [...]}, and validates each.
func LoadScenarios(path string) ([]Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, decodeStrict(path, data, &probe)
	}
	var ss []Scenario
	if _, many := probe["scenarios"]; many {
		var f ScenarioFile
		if err := decodeStrict(path, data, &f); err != nil {
			return nil, err
		}
		ss = f.Scenarios
	} else {
		var s Scenario
		if err := decodeStrict(path, data, &s); err != nil {
			return nil, err
		}
		ss = []Scenario{s}
	}
	if err := ValidateScenarios(ss); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ss, nil
}
