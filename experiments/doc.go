// Package experiments runs shardlab's experiments: the seed's ten stress
// scenarios and four more, sweeps over partitions x workers (or
// connections) x workload x registry, and the runner that drives package
// sim against any registry and records each finished point in a results
// folder (package store) that package report, paper and `shardlab plan`
// read. The spec types are package experiments/spec; this package
// validates and runs them.
//
// Index:
//
//   - spec.Scenario, GroupSpec, PreloadSpec, RegistrySpec, ConnSpec,
//     PhaseSpec, Check: a scenario spec; LoadScenarios reads a JSON file,
//     ValidateScenario names the first bad field.
//   - BuiltinScenarios, ScenarioNames, SelectScenarios ("all", names, or a
//     .json file): the seed's ten, with its targets and claimed figures,
//     and four it never ran: open_loop_lookup (the seed's 140K lookups/s
//     offered on a schedule, latency from intended start),
//     open_loop_overload (200M/s offered: the backlog must show in
//     latency, no coordinated omission), connections_10k and
//     connections_100k (the seed's headline "100K concurrent
//     connections" as 100,000 client connections; --quick runs 20,000).
//   - spec.Sweep, WorkloadSpec; LoadSweep, ValidateSweep, ResolveSweep,
//     BuiltinSweeps (quick, partitions, connections).
//   - Workloads: the built-in mixes (lookup, route, storm, register,
//     bind_route, sustained, read_mostly, contention).
//   - Registries come from package registries (the catalogue); a
//     scenario's RegistrySpec configures the partitioned one.
//   - RunScenarios, RunSweep (Config): run, record, print the table.
//   - Measure, FormatMeasured, WriteTable, WriteSweepTable, DriverCeiling.
//   - Errors: ErrSpec, ErrUnknownScenario, ErrUnknownSweep,
//     ErrUnknownRegistry, and store's ErrOutput, ErrCorrupt, ErrMismatch,
//     ErrSchema (the CLI exits 2 on each).
//
// # Scenario spec (JSON)
//
// A file holds one scenario object or {"scenarios": [ ... ]}. Unknown
// fields are errors; durations are Go duration strings.
//
//	{
//	  "name": "my_lookups",                 // no spaces, commas or slashes
//	  "title": "what it measures",
//	  "kind": "closed",                     // closed (default) | open | connections | balance | contention
//	  "preload": {"servers": 10000, "transports": 10000, "bind": true},
//	  "groups": [                           // closed and open: worker groups
//	    {"name": "readers", "workers": 100, "workload": "lookup"},
//	    {"workers": 10, "mix": {"register_server": 1, "find_server": 3},
//	     "keys": {"dist": "zipfian", "theta": 0.99}}   // uniform|zipfian|hotspot|latest|sequential
//	  ],
//	  "ops_per_worker": 1000,               // with duration too: two points, "ops" and "duration"
//	  "duration": "10s", "quick_duration": "1s",
//	  "rate": 100000,                       // open: target ops/s over all workers
//	  "connections": {"count": 100000, "quick_count": 20000,  // quick_count: --quick's count
//	                  "think": "1s", "think_dist": "exp",
//	                  "mix": {"route_to_server": 1}, "server_keys": {"dist": "uniform"}},
//	  "phases": [{"name": "storm", "duration": "10s", "quick_duration": "1s",
//	              "groups": [...]}],        // contention: run in order on one registry
//	  "sample_every": 64,                   // time one op in 64 per worker (default 1)
//	  "series_interval": "100ms",           // throughput (and probe) time series
//	  "registry": {"partitions": 64, "partitioner": "hashmod", "contention_window": "10ms",
//	               "alarm_wait": "2us", "clear_wait": "1us", "min_window_writes": 16,
//	               "admission_fraction": 0.5, "read_sampling": 64},
//	  "histogram_buckets_us": [0, 10, 25, 50, 100, 200, 500, 1000, 5000],
//	  "checks": [{"metric": "p99_us", "kind": "find_server", "cmp": "<", "value": 100,
//	              "target": "p99 < 100 µs", "claim": "~75 µs"}]
//	}
//
// Mix keys are model.OpKind names (register_server, register_transport,
// unregister_server, unregister_transport, find_server, find_transport,
// list_servers, list_transports, bind, unbind, server_for_transport,
// route_to_server, route_to_transport, broadcast, owner_down); weights
// must be finite, non-negative and sum to more than 0. Check metrics:
// throughput, p50_us, p95_us, p99_us, p999_us, max_us (optionally over one
// kind), ops_per_worker, errors, skew, max_over_mean, alarmed_max,
// rejected, recovered; cmp is one of < <= > >= ==.
//
// A sweep spec:
//
//	{"name": "mine", "registries": ["sharded", "mutex"], "partitions": [1, 4, 16, 64],
//	 "workers": [1, 8, 64], "connections": [1000, 100000], "think": "100ms", "think_dist": "exp",
//	 "workloads": ["lookup", {"name": "zipf_reads", "mix": {"find_server": 1}, "keys": {"dist": "zipfian"}}],
//	 "keys": {"dist": "uniform"}, "preload": {"servers": 10000, "transports": 10000, "bind": true},
//	 "duration": "1s", "repeat": 3, "sample_every": 8, "series_interval": "100ms",
//	 "registry": {...}}
//
// Partitions apply to the sharded registry; other registries run each
// remaining combination once, recorded with partitions 0.
//
// # Results directory (store.SchemaVersion 1; package store reads and writes it)
//
//   - meta.json: Meta — schema_version, kind (scenarios|sweep), name,
//     fingerprint (of seed, registries, quick, partitions override and the
//     resolved spec: a resume with anything else is refused, ErrMismatch),
//     created, host {git_revision, go_version, gomaxprocs, num_cpu,
//     cpu_model, os, arch}, seed, command_line, quick, registries, spec
//     (the resolved scenarios or sweep), driver_ceiling_ops_per_s,
//     timer_cost_ns. Written once, atomically (temp file, fsync, rename).
//   - points.jsonl: one Point per line, appended and fsynced as each point
//     finishes. A point: id (e.g.
//     "scenario=lookup_100/registry=sharded/mode=duration"), scenario or
//     sweep, mode (ops|duration|open|connections|balance|contention|sweep),
//     registry, partitions (0: unpartitioned), workers, connections,
//     workload, mix, dist, rep, seed (the point's, derived from the run's
//     seed and the id), quick, started, elapsed_ns, ops,
//     throughput_ops_per_s (ops / elapsed), target_rate and missed (open
//     loop), latency_basis ("service": closed loop and connections;
//     "intended": open loop, from the intended start), sample_every,
//     timer_cost_ns, latency (all kinds merged) and kinds[] {kind, ops,
//     errors by code, latency}, errors (by code: server_not_found,
//     already_registered, overloaded, ...), partition_ops (sampled ops per
//     partition), partition_entries (impl's live entries per partition),
//     series {interval_ms, probes[], ticks[] {at_ms, ops, probes[]}},
//     phases[], balance, contention, buckets, registry_options, checks[]
//     {metric, kind, cmp, value, target, claim, measured, unmeasured, pass},
//     note.
//     Every latency is a Hist: unit "ns", count, mean, min, p50, p95, p99,
//     p999, max, and encoding "hdrhistogram-v2-compressed-base64" with
//     data, the whole histogram (1 ns..10 s, 3 significant figures), so any
//     percentile can be recomputed (store.Load decodes it into Hist.H;
//     ValueAtQuantile takes 0..100).
//   - summary.csv: one row per point, rewritten
//     atomically after each point (its columns are store's).
//
// A rerun with the same flags and folder resumes: finished points are
// kept and skipped, never rerun or duplicated; a torn last line (a crash
// mid-write) is cut off; any other unreadable line is ErrCorrupt naming
// points.jsonl:LINE. A point interrupted by cancellation is not recorded.
//
// # Method
//
// The lookup and routing scenarios run the seed's op counts (x1000 per
// worker, finished in milliseconds here) and also run for 10 s (1 s with
// Quick) to measure steadily; they time one op in 64 per worker
// (lookupSampleEvery) because a clock pair costs about a lookup; the
// latency_histogram scenario times every op. Every closed-loop point sets
// sim's MinSamples to sim.DefaultMinSamples (20,000), so the op-count
// points (100,000 ops) time one op in 5 rather than 64; the point's
// sample_every says which. The storm runs 20 s, the
// sustained mix 30 s (1.5 s and 2 s with Quick). Registrations create
// fresh IDs; past 10,000 live per worker a worker unregisters its oldest
// first (recorded). partition_balance counts real placements from
// impl.PartitionStats after registering 10,000 servers (peers have no
// partitions: the default partitioner's placement is counted instead).
// contention runs on 4 partitions with a 10 ms window, alarm at 2 µs and
// clear at 1 µs of mean lock wait, through calm, storm and recovery
// phases, probing alarmed partitions, rejections and admission every
// 10 ms. Every run first checks its results folder (a corrupt one, or one
// holding another run, fails at once with ErrCorrupt or ErrMismatch), then
// measures the driver's ceiling against sim.Null, then writes meta.json
// (a fresh folder) and runs the points.
//
// What it is not: the results format (store), statistics (package
// analysis), figures (plots), the report (report and paper). It reads no flags or environment; the CLI passes Host
// and the command line in.
//
// Tests use -seed N (default 1) to replay.
package experiments
