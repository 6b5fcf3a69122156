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
//     scrambled zipfian, theta 0.99 by default; any theta in (0, 1), ranks
//     drawn exactly by rejection-inversion), hotspot (20 % of keys get 80 % of
//     ops), latest (the highest preloaded indices are hottest) and
//     sequential (each worker walks the keys from its own offset).
//   - Preload, ServerID, TransportID: server_N / transport_N entries
//     registered before a run, optionally bound.
//   - ClosedLoop: W workers in groups, each for a Duration or an op count;
//     latency is service time.
//   - OpenLoop: a target rate; every op has an intended start and its
//     latency runs from it (no coordinated omission); the achieved rate
//     and the ops never issued (Missed) are reported. Workers sleep until
//     2 ms before each op and spin for the rest, because a sleeping
//     goroutine wakes up to a millisecond late and that lateness would be
//     charged to the registry: pacing costs a core per worker, so run
//     about one worker per core.
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
//   - MeasureTimerCost, NewLatencyHistogram, DefaultMinSamples.
//
// # Method
//
// Every random choice comes from one seed: worker (or connection) i draws
// from rand.NewPCG(Seed, i+1). A closed-loop worker plans 64 ops at a
// time: it draws their kinds and keys into arrays, consuming its PCG
// exactly as drawing op by op would (kind, then transport key, then
// server key), so a seed replays the same ops; uniform keys are drawn
// from the PCG directly with rand's own reduction. Between batches it
// publishes its op count for the time series and checks the stop flag, so
// the hot loop writes only its own memory and a worker runs at most 63
// ops past the duration; those ops are counted and Elapsed runs until
// the last worker has stopped, so throughput, completed ops divided by
// measured elapsed time, stays exact. A single-kind read mix (find_*,
// route_*, server_for_transport) runs a loop with nothing per op but the
// call: no kind choice, successes counted once per batch, only a failure
// classified by model.CodeOf.
//
// Every op is counted; latency is sampled one op in SampleEvery per worker
// (the worker's first op, then every SampleEvery-th), because a clock read
// here costs about as much as a lookup. In op-count mode with MinSamples
// set, SampleEvery is lowered to max(1, min(SampleEvery, total ops /
// MinSamples)) so a short run still records enough latencies for its
// tail; Result.SampleEvery is the rate used. A sampled latency is the
// difference of two monotonic clock reads (time.Since of the run's start)
// around the call: service time in the closed loop. It includes the cost
// of one such pair, measured at the start of every run (TimerCost, the
// median of 8 rounds) and recorded, not subtracted. Registrations create fresh IDs
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
