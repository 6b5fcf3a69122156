// Package check verifies that a registry behaves like shardlab's model
// (package model) under concurrency: it records histories of concurrent
// calls, decides their linearizability with porcupine, runs randomized
// campaigns from one seed, and drives rapid state-machine tests of any
// model.Registry against model.State.
//
// What it offers:
//
//   - Recorder, Client: wrap any model.Registry and record every call as an
//     Operation (client, op, result, call and return tickets from one atomic
//     logical clock). Calls that never return are recorded as pending, and
//     so are calls whose registry says the outcome is unknown (an error
//     wrapping ErrUnknownOutcome, e.g. from a Doer such as a driver behind
//     the protocol in drivers/protocol).
//   - History, Operation: the recorded calls.
//   - Check(History, Options) Verdict: the linearizability check, with a
//     three-state Outcome (Ok, Violation, Undecided) and, on a violation, a
//     short description and porcupine's HTML visualisation of the failing
//     partition. Undecided (the time budget ran out) is never a pass.
//   - CheckContext, CheckFileContext, Options.MaxMemory, Options.Workers,
//     Options.Shard, MergeVerdicts: budgets, cancellation, cores and shards
//     (below).
//   - ReadHistory, WriteHistory, CheckFile: the history file format below,
//     so a registry in any language can be checked (`shardlab check
//     --history FILE`).
//   - Workload, Execute: generated plans of operations (Kinds and NoConfig
//     keep them to what a registry offers), and a concurrent run of a plan
//     against a registry.
//   - Campaign (Run, CampaignResult, Failure): many short histories and a
//     few long ones from one seed, checked one by one; failing histories
//     and their visualisations are kept in OutDir.
//   - StateMachine, ConcurrentMachine, Contents, MachineOptions: rapid
//     properties for any registry: step-by-step comparison with the model
//     plus invariants, and concurrent plans judged by Check.
//
// What it is not: a benchmark (sim and experiments measure), a model of
// handlers or messages (the model ignores them), or a proof: a campaign
// only samples interleavings, and a check is exactly as strong as the
// history it is given.
//
// # Checking and partitioning
//
// The porcupine model is a thin adapter over model.State.Step; Equal and
// Hash are State's. ErrOverloaded on a registration is "no effect"
// (admission control may reject any registration); on any other operation
// it is a violation, since the model never returns it. A pending operation
// may take effect at any point after its call, or never. Operations with
// invalid arguments (an invalid ID or owner) are checked one by one, since
// the model decides them before looking at the state.
//
// Porcupine is exponential in the concurrency within what it checks at
// once, so Check splits a history into independent partitions first, by
// union-find over the things an operation's outcome depends on:
//
//   - single-key operations (find, route, unregister, unbind, ...) touch
//     one server or transport ID;
//   - bind, and register-transport with a server to bind to, join the
//     transport and the server;
//   - a registration that succeeded (or is pending) joins its ID and its
//     owner, so owner death, which touches every entry the owner
//     registered in the history, lands in the same partition as all of
//     them. A failed registration created nothing and joins no owner.
//
// A history is linearizable if and only if each partition is. List
// operations read every key: each is projected onto the partitions that may
// hold a key of the listed kind (its result cut down to that partition's
// IDs, found through an index from ID to partition, so partitioning is
// linear in the history's size). That is sound but cannot see whether a
// list was atomic across partitions; so histories with lists and at most
// Options.WholeHistoryLimit operations (default 400) are also checked
// whole, and longer ones say in Verdict.Lists that they were not. List
// results must also be sorted and free of duplicates. Copies that cannot
// change the verdict are not made: an empty projection onto a partition
// whose first registration of that kind was called after the list
// returned, and a repeat of a read (same operation, same result) in the
// same quiet gap between a partition's writes, which reads the same state.
//
// # Budgets, cancellation and scale
//
// One Check runs under a time budget (Options.Timeout), a memory budget
// (Options.MaxMemory, on the process's Go heap; default half the machine's
// memory, at most 4 GiB) and a context (CheckContext, CheckFileContext).
// They apply to every phase, reading a file included. When one ends the
// check, the verdict is Undecided and Verdict.Err wraps ErrTimeout,
// ErrMemory or ErrInterrupted; a porcupine search that was running is
// ended at its next step. Undecided is never a pass. Verdict.Description is
// one line then; Verdict.WriteDetails writes every key and operation of the
// partition that was running.
//
// Partitions are checked on Options.Workers goroutines (default
// GOMAXPROCS), largest first; a partition whose operations do not overlap
// in time is decided by running the model in call order, without
// porcupine. Verdict.Decided summarises the sizes of the partitions
// decided. Options.Shard restricts a check to the partitions whose key
// (their least server, transport or owner) hashes to shard K of N, so one
// huge history can be split across machines; MergeVerdicts combines the
// shards' verdicts: any violation wins, any undecided makes the whole
// undecided, counts and sizes add up.
//
// # Keeping partitions small
//
// Generated workloads (Workload, Campaign) split the key space into
// clusters of 8 IDs (4 servers, 4 transports) with 2 owners each; every
// operation stays inside one cluster: transports bind only to servers of
// their cluster and owners register only their cluster's IDs. A partition
// therefore never spans two clusters, and checking cost grows linearly with
// the number of clusters. Short histories use one cluster (8 keys) so that
// operations collide; long ones use 32 (256 keys). A user recording its own
// workload should shape it the same way: if every transport may bind to
// every server, all keys join one partition and checks stop finishing.
//
// # History file format
//
// JSON lines (UTF-8), one operation per line, in any order (they are sorted
// by call); blank lines are skipped. Keys are exact (no other case, no
// duplicates, no unknown fields). Fields:
//
//	id      integer, unique in the file (required)
//	client  integer 0..2^31-1, the sequential process that made the call
//	        (required); its operations must not overlap in time, and
//	        nothing may follow one that never returned (give the calls
//	        after a lost one a new client number)
//	op      one of register_server, register_transport, unregister_server,
//	        unregister_transport, find_server, find_transport, list_servers,
//	        list_transports, bind, unbind, server_for_transport,
//	        route_to_server, route_to_transport, broadcast, owner_down (required)
//	args    object with the op's arguments (omit for lists):
//	          server    register_server, unregister_server, find_server,
//	                    route_to_server, broadcast, bind; optional bind
//	                    target of register_transport
//	          transport register_transport, unregister_transport,
//	                    find_transport, unbind, server_for_transport,
//	                    route_to_transport, bind
//	          owner     register_server, register_transport, owner_down:
//	                    an integer 0..2^64-1 (0 is the invalid owner), or
//	                    a non-empty string naming the owner opaquely (an
//	                    Erlang pid such as "<0.91.0>"): the same string is
//	                    the same owner, never equal to an integer owner
//	          config    optional; register_server, register_transport
//	call    integer timestamp of the invocation (required)
//	return  integer timestamp of the response, >= call; null or absent for
//	        an operation that never returned (pending: cancelled, crashed,
//	        timed out), which then has no result; it may take effect at
//	        any time after its call, or never
//	result  object, required when return is set:
//	          code   ok, invalid_id, invalid_owner, nil_handler,
//	                 already_registered, server_not_found,
//	                 transport_not_found, not_bound, overloaded (the codes
//	                 the model gives, overloaded on registrations only), or
//	                 unknown: the operation returned but its outcome was not
//	                 seen; it took effect once between call and return, or
//	                 not at all, and the result has no other field (required)
//	          owner, config  find_server and find_transport (owner as in args)
//	          server         server_for_transport
//	          count          broadcast and owner_down: an integer, or
//	                         "unknown" when the registry does not say (an
//	                         owner's death whose cleanup is asynchronous)
//	          ids            array of IDs, list_servers and list_transports
//	        A failed operation (code other than ok) has only a code, and
//	        no operation has a result field it does not return.
//
// Every string (IDs, configs, owner names, listed IDs) is taken byte for
// byte, and the model sees those bytes: an ID that is not valid UTF-8 is
// written {"b64": "..."} (standard base64 with padding), and WriteHistory
// does so. Raw bytes that are not UTF-8 and \u escapes of half a surrogate
// pair are malformed, since a JSON decoder would silently turn them into
// U+FFFD. The codes not_found and other are read (a registry can produce
// them) but the model never returns them, so they are violations.
//
// Timestamps may come from any source that is monotonic across all clients
// (a shared atomic counter is best: tick before the call and after the
// return); intervals are closed, so equal timestamps count as concurrent.
// Example:
//
//	{"id":0,"client":0,"op":"register_server","args":{"server":"s1","owner":7},"call":1,"return":2,"result":{"code":"ok"}}
//	{"id":1,"client":1,"op":"bind","args":{"transport":"t1","server":"s1"},"call":3,"return":6,"result":{"code":"transport_not_found"}}
//	{"id":2,"client":0,"op":"find_server","args":{"server":"s1"},"call":4,"return":5,"result":{"code":"ok","owner":7}}
//	{"id":3,"client":2,"op":"owner_down","args":{"owner":7},"call":7}
//	{"id":4,"client":3,"op":"register_server","args":{"server":{"b64":"c/8="},"owner":"<0.91.0>"},"call":8,"return":9,"result":{"code":"invalid_id"}}
//	{"id":5,"client":4,"op":"owner_down","args":{"owner":"<0.91.0>"},"call":10,"return":12,"result":{"code":"ok","count":"unknown"}}
//	{"id":6,"client":5,"op":"register_server","args":{"server":"s2","owner":"<0.92.0>"},"call":11,"return":14,"result":{"code":"unknown"}}
//
// A malformed file (bad JSON, unknown op or code, return before call,
// duplicate id or key, missing or unexpected field, overlapping operations
// of one client, bytes that are not UTF-8) is rejected with
// "FILE:LINE: reason" and wraps ErrMalformed; `shardlab check` exits 2.
// check/testdata/bad holds a corpus of such files with the status and
// message each gets (MANIFEST).
//
// # Reproducing failures
//
// Every generated workload comes from Campaign.Seed (history i uses
// rand.NewPCG(Seed, i)); the interleaving is the scheduler's, so a failing
// history is saved as JSON lines and rechecks exactly with
// `shardlab check --history FILE`. In tests, campaigns print the seed on
// failure and -seed N replays it (go test ./check -seed N); rapid prints
// -rapid.seed=N. Fuzz targets: FuzzOpSequence, FuzzReadHistory and
// FuzzHistoryBytes here (`make fuzz` runs them with -fuzzminimizetime set,
// so minimising a find cannot stall), FuzzSharded in check/impltest.
package check
