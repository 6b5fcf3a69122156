package spec

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shardlab/shardlab/model"
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

// KindOrDefault is s.Kind, or KindClosed when empty.
func (s *Scenario) KindOrDefault() string {
	if s.Kind == "" {
		return KindClosed
	}
	return s.Kind
}

// ScenarioFile is what a scenario spec file holds: one scenario, or
// {"scenarios": [...]}.
type ScenarioFile struct {
	Scenarios []Scenario `json:"scenarios"`
}

// WorkloadSpec is a sweep's workload: a built-in name ("lookup") or
// {"name": ..., "mix": {...}, "keys": {...}}.
type WorkloadSpec struct {
	Name string             `json:"name"`
	Mix  map[string]float64 `json:"mix,omitempty"`
	Keys *KeysSpec          `json:"keys,omitempty"`
}

// UnmarshalJSON accepts a bare string as a built-in workload name.
func (w *WorkloadSpec) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		*w = WorkloadSpec{Name: name}
		return nil
	}
	type plain WorkloadSpec
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*w = WorkloadSpec(p)
	return nil
}

// Sweep is a grid of closed-loop (and connection) points, as data:
// registries x partitions x workloads x (workers + connections) x
// repetitions. Partitions apply to the sharded registry only; every other
// registry runs each remaining combination once, recorded with
// partitions 0.
type Sweep struct {
	Name        string         `json:"name"`
	Registries  []string       `json:"registries"`
	Partitions  []int          `json:"partitions"`
	Workers     []int          `json:"workers,omitempty"`
	Connections []int          `json:"connections,omitempty"`
	Think       Duration       `json:"think,omitempty"`
	ThinkDist   string         `json:"think_dist,omitempty"`
	Workloads   []WorkloadSpec `json:"workloads"`
	Keys        KeysSpec       `json:"keys,omitzero"`
	Preload     PreloadSpec    `json:"preload"`
	Duration    Duration       `json:"duration"`
	Repeat      int            `json:"repeat,omitempty"`
	SampleEvery int            `json:"sample_every,omitempty"`
	// SeriesInterval records a throughput time series per point.
	SeriesInterval Duration     `json:"series_interval,omitempty"`
	Registry       RegistrySpec `json:"registry,omitzero"`
}

// Workloads returns the built-in operation mixes by name (the seed's and
// a few more for sweeps), as weights by operation.
func Workloads() map[string]map[model.OpKind]float64 {
	return map[string]map[model.OpKind]float64{
		"lookup":      {model.OpFindServer: 1},
		"route":       {model.OpRouteToServer: 1},
		"storm":       {model.OpRegisterServer: 1, model.OpFindServer: 1},
		"register":    {model.OpRegisterServer: 1},
		"bind_route":  {model.OpBind: 1, model.OpRouteToServer: 1},
		"sustained":   {model.OpFindServer: 40, model.OpRouteToServer: 30, model.OpRegisterServer: 20, model.OpBind: 10},
		"read_mostly": {model.OpFindServer: 95, model.OpRegisterServer: 5},
		"contention":  {model.OpBind: 60, model.OpRegisterServer: 20, model.OpUnbind: 20},
	}
}
