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

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/sim"
)

// simKeys is k as sim.Keys.
func simKeys(k spec.KeysSpec) sim.Keys {
	return sim.Keys{Dist: k.Dist, Theta: k.Theta, HotKeys: k.HotKeys, HotOps: k.HotOps}
}

// Sentinel errors. The CLI maps every one of them to exit status 2.
var (
	ErrSpec            = errors.New("experiments: invalid spec")
	ErrUnknownScenario = errors.New("experiments: unknown scenario")
	ErrUnknownSweep    = errors.New("experiments: unknown sweep")
	ErrUnknownRegistry = registries.ErrUnknown
)

var comparisons = []string{"<", "<=", ">", ">=", "=="}

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
func resolveGroups(scenario, path string, gs []spec.GroupSpec) ([]sim.Group, error) {
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
		if _, err := sim.NewKeyGen(simKeys(g.Keys), 1); err != nil {
			return nil, specErr(scenario, p+".keys", "%v", err)
		}
		name := g.Name
		if name == "" {
			name = g.Workload
		}
		out = append(out, sim.Group{Name: name, Workers: g.Workers, Mix: mix, Keys: simKeys(g.Keys)})
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

// ValidateScenario checks every field of s and names the first bad one.
func ValidateScenario(s *spec.Scenario) error {
	n := s.Name
	if n == "" || strings.ContainsAny(n, "/ \t\n,") {
		return specErr("", "name", "%q (want a non-empty name without spaces, commas or slashes)", n)
	}
	if s.Preload.Servers < 0 || s.Preload.Transports < 0 {
		return specErr(n, "preload", "servers %d, transports %d (want >= 0)", s.Preload.Servers, s.Preload.Transports)
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
	if s.Registry.Partitions < 0 || s.Registry.Partitions > partition.MaxPartitions {
		return specErr(n, "registry.partitions", "%d (want 0 for the default, or 1..%d)", s.Registry.Partitions, partition.MaxPartitions)
	}
	kind := s.KindOrDefault()
	switch kind {
	case spec.KindClosed, spec.KindOpen:
		if _, err := resolveGroups(n, "groups", s.Groups); err != nil {
			return err
		}
		if s.OpsPerWorker == 0 && s.Duration == 0 {
			return specErr(n, "duration", "a closed or open scenario needs duration or ops_per_worker")
		}
		if kind == spec.KindOpen && (!(s.Rate > 0) || s.Duration == 0) {
			return specErr(n, "rate", "an open scenario needs rate > 0 and a duration (rate %v)", s.Rate)
		}
	case spec.KindConnections:
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
			if _, err := sim.ParseMix(c.Mix); err != nil {
				return specErr(n, "connections.mix", "%v", err)
			}
		}
		if _, err := sim.NewKeyGen(simKeys(c.ServerKeys), 1); err != nil {
			return specErr(n, "connections.server_keys", "%v", err)
		}
		if s.Duration == 0 || s.Preload.Servers == 0 {
			return specErr(n, "duration", "a connections scenario needs a duration and preloaded servers")
		}
	case spec.KindBalance:
		if s.Preload.Servers+s.Preload.Transports == 0 {
			return specErr(n, "preload", "a balance scenario needs entries to place")
		}
	case spec.KindContention:
		if len(s.Phases) == 0 {
			return specErr(n, "phases", "a contention scenario needs phases")
		}
		for i, p := range s.Phases {
			path := fmt.Sprintf("phases[%d]", i)
			if p.Duration <= 0 || p.QuickDuration < 0 {
				return specErr(n, path+".duration", "%v (want > 0)", p.Duration.D())
			}
			if _, err := resolveGroups(n, path+".groups", p.Groups); err != nil {
				return err
			}
		}
	default:
		return specErr(n, "kind", "%q (want closed, open, connections, balance or contention)", s.Kind)
	}
	for i, c := range s.Checks {
		p := fmt.Sprintf("checks[%d]", i)
		if !slices.Contains(MetricNames(), c.Metric) {
			return specErr(n, p+".metric", "unknown metric %q (want one of %s)", c.Metric, strings.Join(MetricNames(), ", "))
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
	for i, e := range s.HistogramBucketsUs {
		if e < 0 || (i > 0 && e <= s.HistogramBucketsUs[i-1]) {
			return specErr(n, "histogram_buckets_us", "edges must be >= 0 and strictly increasing (at %d)", i)
		}
	}
	return nil
}

// Workloads returns the built-in mixes (spec.Workloads) ready to draw from.
func Workloads() map[string]sim.Mix {
	out := map[string]sim.Mix{}
	for name, w := range spec.Workloads() {
		out[name] = sim.MustMix(w)
	}
	return out
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

// LoadScenarios reads a spec file holding one scenario object or
// {"scenarios": [...]}, and validates each.
func LoadScenarios(path string) ([]spec.Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, decodeStrict(path, data, &probe)
	}
	var ss []spec.Scenario
	if _, many := probe["scenarios"]; many {
		var f spec.ScenarioFile
		if err := decodeStrict(path, data, &f); err != nil {
			return nil, err
		}
		ss = f.Scenarios
	} else {
		var s spec.Scenario
		if err := decodeStrict(path, data, &s); err != nil {
			return nil, err
		}
		ss = []spec.Scenario{s}
	}
	for i := range ss {
		if err := ValidateScenario(&ss[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return ss, nil
}
