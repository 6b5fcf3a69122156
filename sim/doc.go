// Package sim generates load against any model.Registry and measures it:
// operation mixes, YCSB-style key distributions, a preload, and three
// drivers (closed loop, open loop, many connections) that record latency
// into per-worker HdrHistograms merged at the end.
//
// Index:
//
//   - Mix, NewMix, ParseMix: weights over every registry operation
//     (model.OpKind); each op is drawn independently.
//   - Keys, KeyGen, KeyStream: key distributions uniform, zipfian (YCSB's
//     scrambled zipfian, theta 0.99), hotspot (20 % of keys get 80 % of
//     ops), latest (the highest preloaded indices are hottest) and
//     sequential (each worker walks the keys from its own offset).
//   - Preload, ServerID, TransportID: server_N / transport_N entries
//     registered before a run, optionally bound.
//   - ClosedLoop: W workers in groups, each for a Duration or an op count;
//     latency is service time.
//   - OpenLoop: a target rate; every op has an intended start and its
//     latency runs from it (no coordinated omission); the achieved rate
//     and the ops never issued (Missed) are reported.
//   - Connections: C client connections (goroutines, up to MaxWorkers)
//     with an MCP transport's life: connect storm (register + bind),
//     steady routing with think time (fixed or exponential), disconnect
//     storm (unregister), each phase timed.
//   - Result, KindStats, Tick, Phase: what a run measured: ops and outcome
//     codes per kind (not found, already registered, overloaded, ...),
//     latency histograms in ns (1 ns..10 s, 3 significant figures),
//     per-partition op counts, a throughput time series with probes, the
//     measured timer cost.
//   - Null: a registry that does nothing, to measure the driver's ceiling.
//   - MeasureTimerCost, NewLatencyHistogram.
//
// # Method
//
// Every random choice comes from one seed: worker (or connection) i draws
// from rand.NewPCG(Seed, i+1). Throughput is completed ops divided by
// measured elapsed time. Every op is counted; latency may be sampled one op
// in SampleEvery per worker, because a clock read here costs about as much
// as a lookup: the Result records the sampling and the measured cost of a
// timing (TimerCost), which every sampled latency includes. Workers publish
// their counts for the time series every 64 ops, so the hot loop writes
// only its own memory. Registrations create fresh IDs
// (server_<tag><worker>_<n>); a worker keeps at most MaxLivePerWorker of
// them alive and unregisters its oldest first when it would exceed that
// (recorded as an unregister op), so sustained write mixes measure the
// registry rather than unbounded map growth. Unregister ops remove the
// worker's own oldest registration; owner_down removes everything the
// worker registered and starts a new owner incarnation.
//
// What it is not: sim holds no registry of its own (except Null), writes no
// files and knows nothing of scenarios; package experiments defines those
// and stores results. Tests replay a seed with `go test ./sim -seed N`.
package sim
