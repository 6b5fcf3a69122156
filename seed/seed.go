package seed

import "strings"

// The seed's placement experiment: 10,000 server_N keys registered in a
// 64-partition registry (docs/seed.md, "Partition distribution").
const (
	PlacementKeys = 10_000
	Partitions    = 64
)

// ClaimedSkew is the seed's claimed partition skew for that placement
// ("Skew Ratio: 0.18 (18% skew, target < 30%)"); TargetSkew its
// acceptance target ("< 30% skew").
const (
	ClaimedSkew = 0.18
	TargetSkew  = 0.30
)

// The seed suite's common setup: 10,000 servers and 10,000 transports,
// transport_i bound to server_(i mod 10,000).
const (
	PreloadServers    = 10_000
	PreloadTransports = 10_000
)

// Workers is the concurrency of the seed's headline experiments (100
// workers x 1,000 lookups, and the 30 s sustained mix).
const Workers = 100

// BucketsUs are the seed's latency histogram buckets, in µs.
func BucketsUs() []int64 { return []int64{0, 10, 25, 50, 100, 200, 500, 1000, 5000} }

// Target is one acceptance target of the seed: Metric compared with Value
// by Cmp (optionally over one operation Kind), in the seed's words (Text),
// with the figure it claimed to achieve (Claimed). The built-in scenarios
// turn targets into checks (experiments' spec.Check has the same fields),
// so every verdict on a seed target comes from a run.
type Target struct {
	Metric  string
	Kind    string
	Cmp     string
	Value   float64
	Text    string
	Claimed string
}

// The seed's acceptance targets (read through Claims).
var (
	lookupP99 = Target{Metric: "p99_us", Kind: "find_server", Cmp: "<", Value: 100, Text: "p99 < 100 µs", Claimed: "~75 µs"}
	lookupP50 = Target{Metric: "p50_us", Kind: "find_server", Cmp: "<", Value: 50, Text: "p50 < 50 µs", Claimed: "~8 µs"}
	lookupP95 = Target{Metric: "p95_us", Kind: "find_server", Cmp: "<", Value: 100, Text: "p95 < 100 µs", Claimed: "~40 µs"}
	lookupOps = Target{Metric: "throughput", Cmp: ">", Value: 100_000, Text: "> 100K ops/s", Claimed: "140K ops/s"}
	skew      = Target{Metric: "skew", Cmp: "<", Value: TargetSkew, Text: "skew < 30 %", Claimed: "18 % (0.18)"}
	sustained = Target{Metric: "throughput", Cmp: ">", Value: 80_000, Text: "> 80K ops/s", Claimed: "81,542 ops/s"}
	alarms    = Target{Metric: "alarmed_max", Cmp: ">", Value: 2, Text: "alarms fire under extreme load", Claimed: "100 % accurate"}
	admission = Target{Metric: "rejected", Cmp: ">", Value: 0, Text: "admission control triggers", Claimed: "triggers appropriately"}
	noErrors  = Target{Metric: "errors", Cmp: "==", Value: 0, Text: "zero timeouts (no failed ops)", Claimed: "pass"}
)

// The seed's claimed figures as numbers, for ratios against what was
// measured: lookup p99 (µs) and throughput, sustained throughput (ops/s).
const (
	ClaimedLookupP99Us  = 75
	ClaimedLookupOps    = 140_000
	ClaimedSustainedOps = 81_542
)

// Claim is one of the seed's headline claims as the report audits it:
// what it is about, the targets it rests on, and the section of the seed's
// text it is quoted from (docs/seed.md).
type Claim struct {
	ID      string
	About   string
	Targets []Target
	Section string
}

// Target is the claim's targets in the seed's words, joined.
func (c Claim) Target() string { return c.join(func(t Target) string { return t.Text }) }

// Claimed is what the seed said it achieved, joined.
func (c Claim) Claimed() string { return c.join(func(t Target) string { return t.Claimed }) }

func (c Claim) join(f func(Target) string) string {
	parts := make([]string, len(c.Targets))
	for i, t := range c.Targets {
		parts[i] = f(t)
	}
	return strings.Join(parts, "; ")
}

// Claims returns the seed's headline claims, in its order (a fresh copy:
// callers may change it).
func Claims() []Claim {
	return []Claim{
		{ID: "p99", About: "p99 lookup latency, 100 workers", Targets: []Target{lookupP99}, Section: "Validated Performance Numbers; Acceptance Criteria Met"},
		{ID: "throughput", About: "lookup throughput, 100 workers", Targets: []Target{lookupOps}, Section: "Validated Performance Numbers; Acceptance Criteria Met"},
		{ID: "skew", About: "partition skew, 10,000 servers in 64 partitions", Targets: []Target{skew}, Section: "Partition Distribution"},
		{ID: "sustained", About: "sustained mixed load, 100 workers, 30 s", Targets: []Target{sustained}, Section: "Sustained Load (30 seconds)"},
		{ID: "contention", About: "contention detection and admission control", Targets: []Target{alarms, admission}, Section: "Acceptance Criteria Met; test_contention_under_load"},
		{ID: "timeouts", About: "zero timeouts", Targets: []Target{noErrors}, Section: "Acceptance Criteria Met"},
		{ID: "p50p95", About: "p50 / p95 lookup latency, 100 workers", Targets: []Target{lookupP50, lookupP95}, Section: "Validated Performance Numbers"},
	}
}

// ClaimByID returns the claim with this ID.
func ClaimByID(id string) (Claim, bool) {
	for _, c := range Claims() {
		if c.ID == id {
			return c, true
		}
	}
	return Claim{}, false
}

// TargetOf returns the claim's target on metric (and kind, "" for none).
func TargetOf(id, metric, kind string) (Target, bool) {
	c, ok := ClaimByID(id)
	if !ok {
		return Target{}, false
	}
	for _, t := range c.Targets {
		if t.Metric == metric && t.Kind == kind {
			return t, true
		}
	}
	return Target{}, false
}
