package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/shardlab/shardlab/model"
)

// Outcome is a check's three-state result. Undecided is never a pass.
type Outcome int

// The outcomes of a check.
const (
	Ok        Outcome = iota // linearizable
	Violation                // not linearizable: some partition has no valid order
	Undecided                // the time or memory budget ran out, or the check was stopped, before a verdict
)

// String returns "ok", "violation" or "undecided".
func (o Outcome) String() string {
	switch o {
	case Ok:
		return "ok"
	case Violation:
		return "violation"
	case Undecided:
		return "undecided"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Defaults for Options.
const (
	// DefaultTimeout bounds one Check. Porcupine is exponential in the
	// concurrency within a partition; a well-shaped history checks in well
	// under a second, so a minute means something is badly shaped.
	DefaultTimeout = time.Minute
	// DefaultWholeHistoryLimit: histories with list operations and at most
	// this many operations are also checked without partitioning, which is
	// what proves a list atomic across partitions. On 2 cores a short
	// campaign history (240 operations, 8 clients, one cluster of 8 keys)
	// checks, whole check included, in about 8 ms (BenchmarkCheck); the
	// unpartitioned search grows exponentially with the keys and clients
	// it mixes, so long histories are left to the projection.
	DefaultWholeHistoryLimit = 400
)

// DefaultMaxMemory returns the default memory budget of a check: half the
// machine's memory, at most 4 GiB (4 GiB where the machine's memory is not
// known).
func DefaultMaxMemory() uint64 {
	const ceiling = 4 << 30
	if total := totalMemory(); total > 0 {
		return min(total/2, ceiling)
	}
	return ceiling
}

// Why a check ended Undecided; Verdict.Err wraps one of them.
var (
	// ErrTimeout: the time budget (Options.Timeout) ran out.
	ErrTimeout = errors.New("check: time budget exhausted before a verdict")
	// ErrMemory: the Go heap grew past Options.MaxMemory.
	ErrMemory = errors.New("check: memory budget exhausted before a verdict")
	// ErrInterrupted: the context ended (a signal, a caller's cancel).
	ErrInterrupted = errors.New("check: interrupted before a verdict")
)

// Shard selects the partitions a check decides: those whose key hashes to
// shard K of N (K in 1..N). Every partition belongs to exactly one shard,
// by its key alone, so N checks of one history with K = 1..N decide every
// partition once, and MergeVerdicts of their verdicts gives the verdict of
// the whole. The zero Shard is the whole history.
type Shard struct{ K, N int }

// Valid reports whether s is the zero Shard or has 1 <= K <= N.
func (s Shard) Valid() bool { return s == Shard{} || (s.N >= 1 && s.K >= 1 && s.K <= s.N) }

// String returns "K/N", or "" for the whole history.
func (s Shard) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// Options configure Check. The zero value gives the defaults.
type Options struct {
	// Timeout bounds the whole check, reading a file included (default
	// DefaultTimeout).
	Timeout time.Duration
	// MaxMemory bounds the Go heap, in bytes, while the check runs
	// (default DefaultMaxMemory()). Past it the check stops Undecided
	// (ErrMemory). The heap measured is the process's, so checks running
	// side by side share one budget.
	MaxMemory uint64
	// HTMLPath, when set, is where porcupine's visualisation of the failing
	// partition is written on a violation.
	HTMLPath string
	// WholeHistoryLimit: see DefaultWholeHistoryLimit; negative disables
	// the unpartitioned check.
	WholeHistoryLimit int
	// Workers is how many partitions are checked at once (default
	// GOMAXPROCS).
	Workers int
	// Shard restricts the check to one shard of the partitions (the
	// unpartitioned check of short histories belongs to shard 1).
	Shard Shard

	_ struct{}
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxMemory == 0 {
		o.MaxMemory = DefaultMaxMemory()
	}
	if o.WholeHistoryLimit == 0 {
		o.WholeHistoryLimit = DefaultWholeHistoryLimit
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Sizes summarises the sizes (operations) of partitions: how many, their
// total, the smallest and largest, and a histogram by powers of two
// (Buckets[i] counts sizes in [2^i, 2^(i+1)); Buckets[0] also counts the
// empty ones, which partitioning never makes). Sizes of disjoint sets merge exactly (Add).
type Sizes struct {
	Count, Total, Min, Max int
	Buckets                [33]int
}

func (s *Sizes) observe(n int) {
	if s.Count == 0 || n < s.Min {
		s.Min = n
	}
	s.Max = max(s.Max, n)
	s.Count++
	s.Total += n
	b := 0
	if n > 0 {
		b = min(bits.Len(uint(n))-1, len(s.Buckets)-1)
	}
	s.Buckets[b]++
}

// Add merges t into s.
func (s *Sizes) Add(t Sizes) {
	if t.Count == 0 {
		return
	}
	if s.Count == 0 || t.Min < s.Min {
		s.Min = t.Min
	}
	s.Max = max(s.Max, t.Max)
	s.Count += t.Count
	s.Total += t.Total
	for i := range s.Buckets {
		s.Buckets[i] += t.Buckets[i]
	}
}

// String renders s in one line, e.g.
// "1000 partitions, 980..1040 ops (1000000 in all); 512-1023: 700, 1024-2047: 300".
func (s Sizes) String() string {
	if s.Count == 0 {
		return "no partitions"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d partitions, %d..%d ops (%d in all);", s.Count, s.Min, s.Max, s.Total)
	sep := " "
	for i, n := range s.Buckets {
		if n == 0 {
			continue
		}
		lo, hi := 1<<i, 1<<(i+1)-1
		if lo == hi {
			fmt.Fprintf(&b, "%s%d: %d", sep, lo, n)
		} else {
			fmt.Fprintf(&b, "%s%d-%d: %d", sep, lo, hi, n)
		}
		sep = ", "
	}
	return b.String()
}

// Verdict is what Check found.
type Verdict struct {
	Outcome Outcome
	// Err says why the verdict is Undecided: it wraps ErrTimeout,
	// ErrMemory or ErrInterrupted. Nil otherwise.
	Err error
	// Ops is the number of operations in the history; Partitions and
	// LargestPartition describe how it was split (in Shard, when set).
	Ops, Partitions, LargestPartition int
	// Decided describes the partitions that were decided (found
	// linearizable, or the violating one).
	Decided Sizes
	// Shard is the shard this verdict covers (zero: the whole history).
	Shard Shard
	// Lists says how list operations were checked.
	Lists string
	// Keys and Failing are the failing partition's keys and operations
	// (on a violation; on Undecided, the partition that was running).
	// Lists in Failing are projected onto the partition's keys.
	Keys    []string
	Failing History
	// Description explains a violation in a few lines: the longest valid
	// prefix, the state after it, and the operations that cannot follow.
	// On Undecided it is one line. Long lists of keys are cut short; the
	// full ones are in Keys and Failing (WriteDetails).
	Description string
	// HTMLPath is where the visualisation was written, if it was.
	HTMLPath string
	Elapsed  time.Duration
}

// String summarises the verdict in one line.
func (v Verdict) String() string {
	s := fmt.Sprintf("%s: %d ops in %d partitions (largest %d), %s, checked in %v",
		v.Outcome, v.Ops, v.Partitions, v.LargestPartition, v.Lists, v.Elapsed.Round(time.Millisecond))
	if v.Shard != (Shard{}) {
		s += ", shard " + v.Shard.String()
	}
	return s
}

// WriteDetails writes what a one-line verdict leaves out: the description,
// every key of the failing (or undecided) partition, the sizes decided,
// and the partition's operations, one per line.
func (v Verdict) WriteDetails(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n", v, v.Description)
	if v.Err != nil {
		fmt.Fprintf(&b, "reason: %v\n", v.Err)
	}
	fmt.Fprintf(&b, "decided: %s\n", v.Decided)
	fmt.Fprintf(&b, "keys (%d):\n", len(v.Keys))
	for _, k := range v.Keys {
		fmt.Fprintf(&b, "  %s\n", k)
	}
	fmt.Fprintf(&b, "operations (%d):\n", len(v.Failing))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	b.Reset()
	for _, o := range v.Failing {
		fmt.Fprintf(&b, "  %s\n", o)
		if b.Len() > 1<<16 {
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// MergeVerdicts combines the verdicts of disjoint shards of one history:
// any violation wins (the one whose failing partition has the least key,
// so the merge does not depend on the order of vs), else any undecided
// makes the whole undecided, else it is Ok. Counts and sizes add up;
// Elapsed is the longest.
func MergeVerdicts(vs ...Verdict) Verdict {
	var m Verdict
	var pick *Verdict
	rank := func(o Outcome) int { return map[Outcome]int{Ok: 0, Undecided: 1, Violation: 2}[o] }
	for i := range vs {
		v := &vs[i]
		m.Ops = max(m.Ops, v.Ops)
		m.Partitions += v.Partitions
		m.LargestPartition = max(m.LargestPartition, v.LargestPartition)
		m.Decided.Add(v.Decided)
		m.Elapsed = max(m.Elapsed, v.Elapsed)
		if m.Lists == "" {
			m.Lists = v.Lists
		}
		if v.Outcome == Ok {
			continue
		}
		switch {
		case pick == nil, rank(v.Outcome) > rank(pick.Outcome):
			pick = v
		case rank(v.Outcome) == rank(pick.Outcome) && slices.Compare(v.Keys, pick.Keys) < 0:
			pick = v
		}
	}
	if pick != nil {
		m.Outcome, m.Err, m.Keys, m.Failing = pick.Outcome, pick.Err, pick.Keys, pick.Failing
		m.Description, m.HTMLPath = pick.Description, pick.HTMLPath
	}
	return m
}

// Check decides whether h is linearizable with respect to model.State,
// starting from an empty registry. It partitions the history (see
// partitionHistory and the package documentation), checks each partition
// with porcupine under one time and memory budget, and on a violation
// describes the failing partition and, if Options.HTMLPath is set, writes
// porcupine's visualisation of it.
func Check(h History, opts Options) Verdict {
	return CheckContext(context.Background(), h, opts)
}

// CheckContext is Check under ctx: when ctx ends, the check stops at once
// with Undecided and Err wrapping ErrInterrupted. A porcupine search that
// was running is ended (its goroutine exits at its next step); a small
// goroutine of porcupine's own lingers until the time budget's end.
func CheckContext(ctx context.Context, h History, opts Options) Verdict {
	r := newRun(ctx, opts)
	defer r.stop()
	return r.check(h)
}

// run is one check: its budget and context.
type run struct {
	opts     Options
	start    time.Time
	deadline time.Time
	ctx      context.Context
	cancel   context.CancelCauseFunc
	done     chan struct{}
	wg       sync.WaitGroup
}

func newRun(parent context.Context, opts Options) *run {
	opts = opts.withDefaults()
	r := &run{opts: opts, start: time.Now(), done: make(chan struct{})}
	r.deadline = r.start.Add(opts.Timeout)
	r.ctx, r.cancel = context.WithCancelCause(parent)
	r.wg.Add(1)
	go r.watch()
	return r
}

func (r *run) stop() {
	close(r.done)
	r.wg.Wait()
	r.cancel(nil)
}

// watch ends the run's context when the time budget runs out or the heap
// grows past the memory budget.
func (r *run) watch() {
	defer r.wg.Done()
	timer := time.NewTimer(time.Until(r.deadline))
	defer timer.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	for {
		select {
		case <-r.done:
			return
		case <-r.ctx.Done():
			return
		case <-timer.C:
			r.cancel(fmt.Errorf("%w (--timeout %v)", ErrTimeout, r.opts.Timeout))
			return
		case <-tick.C:
			if heap() <= r.opts.MaxMemory {
				continue
			}
			// Garbage counts until collected: collect, then look again.
			runtime.GC()
			if n := heap(); n > r.opts.MaxMemory {
				r.cancel(fmt.Errorf("%w (heap %s > --max-memory %s)", ErrMemory, FormatBytes(n), FormatBytes(r.opts.MaxMemory)))
				return
			}
		}
	}
}

// alive reports whether the run may go on, ending it first if the time
// budget has run out (the watcher's timer may not have fired yet).
func (r *run) alive() bool {
	if r.ctx.Err() == nil && !time.Now().Before(r.deadline) {
		r.cancel(fmt.Errorf("%w (--timeout %v)", ErrTimeout, r.opts.Timeout))
	}
	return r.ctx.Err() == nil
}

// cause returns why the run's context ended, wrapped so that errors.Is
// finds ErrTimeout, ErrMemory or ErrInterrupted.
func (r *run) cause() error {
	c := context.Cause(r.ctx)
	if errors.Is(c, ErrTimeout) || errors.Is(c, ErrMemory) {
		return c
	}
	return fmt.Errorf("%w: %v", ErrInterrupted, c)
}

// undecidedBefore is the verdict of a run stopped before partitioning.
func (r *run) undecidedBefore(ops int, phase string) Verdict {
	err := r.cause()
	return Verdict{Outcome: Undecided, Err: err, Ops: ops, Shard: r.opts.Shard, Elapsed: time.Since(r.start), Lists: "stopped before partitioning",
		Description: fmt.Sprintf("undecided: %v, while %s", err, phase)}
}

func (r *run) check(h History) Verdict {
	opts := r.opts
	v := Verdict{Ops: len(h), Shard: opts.Shard}
	finish := func() Verdict { v.Elapsed = time.Since(r.start); return v }
	if !opts.Shard.Valid() {
		v.Outcome, v.Err = Undecided, fmt.Errorf("%w: invalid shard %d/%d", ErrInterrupted, opts.Shard.K, opts.Shard.N)
		v.Description = "undecided: " + v.Err.Error()
		return finish()
	}
	if bad, ok := unsortedList(h); ok {
		v.Outcome = Violation
		v.Failing = History{bad}
		v.Description = fmt.Sprintf("list result not sorted by ID or with duplicates:\n  %s", bad)
		return finish()
	}
	if bad, want, ok := staticViolation(h); ok {
		v.Outcome = Violation
		v.Failing = History{bad}
		v.Description = fmt.Sprintf("wrong result for invalid arguments (the model decides these before looking at the state):\n  %s   (model: %s)", bad, want)
		return finish()
	}
	if !r.alive() {
		return r.undecidedBefore(len(h), "validating")
	}
	pd, err := partitionHistory(r.ctx, h)
	if err != nil {
		return r.undecidedBefore(len(h), "partitioning")
	}
	parts := pd.parts
	if opts.Shard.N > 0 {
		parts = slices.DeleteFunc(parts, func(p partition) bool { return shardOf(p.key, opts.Shard.N) != opts.Shard.K-1 })
	}
	v.Partitions = len(parts)
	if len(parts) > 0 {
		v.LargestPartition = len(parts[0].ops)
	}
	hasLists := slices.ContainsFunc(h, func(o Operation) bool { return isList(o.Op.Kind) })
	whole := hasLists && opts.WholeHistoryLimit > 0 && len(h) <= opts.WholeHistoryLimit && opts.Shard.K <= 1
	switch {
	case !hasLists:
		v.Lists = "no list ops"
	case whole:
		v.Lists = "lists projected per partition and checked whole"
	case hasLists && opts.Shard.K > 1 && len(h) <= opts.WholeHistoryLimit:
		v.Lists = "lists projected per partition (the whole check is shard 1's)"
	default:
		v.Lists = fmt.Sprintf("lists projected per partition only (history of %d ops > whole-history limit %d)", len(h), opts.WholeHistoryLimit)
	}

	bad, outcome := r.checkPartitions(pd, parts, &v.Decided)
	if outcome == Ok && whole {
		all := slices.DeleteFunc(slices.Clone(h), dropped)
		var keys []node
		for _, p := range pd.parts {
			keys = append(keys, p.nodes...)
		}
		var ignored Sizes
		var o Outcome
		bad, o = r.checkPartitions(&parted{h: all}, []partition{{nodes: keys, ops: refsOf(all)}}, &ignored)
		if o != Ok {
			outcome = o
		}
	}
	v.Outcome = outcome
	if outcome == Ok {
		return finish()
	}
	for _, n := range bad.nodes {
		v.Keys = append(v.Keys, n.String())
	}
	slices.Sort(v.Keys)
	v.Failing = bad.ops
	if outcome == Undecided {
		v.Err = r.cause()
		v.Description = fmt.Sprintf("undecided: %v; %d of %d partitions decided; the partition still running has %d ops over %s",
			v.Err, v.Decided.Count, len(parts), len(bad.ops), abbreviate(v.Keys, 5))
		return finish()
	}
	// Rerun the failing partition verbosely for the description and the
	// visualisation, within what is left of the budget (at least a second,
	// since a violation was already found quickly enough), and no longer
	// than the context allows.
	left := max(time.Until(r.deadline), time.Second)
	m := porcupineModel(needsNondeterminism(bad.ops), nil)
	type verbose struct {
		res  porcupine.CheckResult
		info porcupine.LinearizationInfo
	}
	ch := make(chan verbose, 1)
	go func() {
		res, info := porcupine.CheckOperationsVerbose(m, toPorcupine(bad.ops), left)
		ch <- verbose{res, info}
	}()
	var vb verbose
	select {
	case vb = <-ch:
	case <-r.ctx.Done():
		v.Description = fmt.Sprintf("not linearizable: %d ops from %d clients over %s\n(no description: %v)",
			len(bad.ops), bad.ops.Clients(), abbreviate(v.Keys, 10), r.cause())
		return finish()
	}
	v.Description = describe(v.Keys, bad.ops, vb.res, vb.info)
	if opts.HTMLPath != "" {
		if err := os.MkdirAll(filepath.Dir(opts.HTMLPath), 0o755); err != nil {
			v.Description += fmt.Sprintf("\n(could not write visualisation: %v)", err)
		} else if err := porcupine.VisualizePath(m, vb.info, opts.HTMLPath); err != nil {
			v.Description += fmt.Sprintf("\n(could not write visualisation: %v)", err)
		} else {
			v.HTMLPath = opts.HTMLPath
		}
	}
	return finish()
}

func refsOf(h History) []opRef {
	refs := make([]opRef, len(h))
	for i := range refs {
		refs[i] = opRef{int32(i), -1}
	}
	return refs
}

// abbreviate joins the first n of keys, saying how many more there are.
func abbreviate(keys []string, n int) string {
	if len(keys) <= n {
		return strings.Join(keys, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(keys[:n], ", "), len(keys)-n)
}

// failed is a partition that did not pass, materialised.
type failed struct {
	nodes []node
	ops   History
}

// checkPartitions checks parts with up to Options.Workers at once. It
// returns Ok, or the first partition found Illegal (Violation), or one
// that was running when the run's context ended (Undecided) when none was
// Illegal. decided receives the size of each partition decided.
func (r *run) checkPartitions(pd *parted, parts []partition, decided *Sizes) (failed, Outcome) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	st := &stopper{}
	defer context.AfterFunc(ctx, func() { st.stop.Store(true) })()
	var (
		mu        sync.Mutex
		violation *failed
		undecided *failed
		next      int
		wg        sync.WaitGroup
	)
	for range min(r.opts.Workers, len(parts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(parts) || violation != nil || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				p := &parts[next]
				next++
				mu.Unlock()
				ops := pd.ops(p)
				res := r.checkOne(ctx, ops, st)
				mu.Lock()
				switch res {
				case porcupine.Illegal:
					if violation == nil {
						violation = &failed{p.nodes, ops}
						decided.observe(len(ops))
						cancel()
					}
				case porcupine.Unknown:
					if undecided == nil {
						undecided = &failed{p.nodes, ops}
					}
				default:
					decided.observe(len(ops))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	switch {
	case violation != nil:
		return *violation, Violation
	case undecided != nil:
		return *undecided, Undecided
	case next < len(parts):
		// The context ended before every partition was started.
		p := &parts[next]
		return failed{p.nodes, pd.ops(p)}, Undecided
	}
	return failed{}, Ok
}

// checkOne decides one partition: by running the model when its
// operations are sequential, else with porcupine, which is stopped when
// ctx ends.
func (r *run) checkOne(ctx context.Context, ops History, st *stopper) porcupine.CheckResult {
	if !r.alive() {
		return porcupine.Unknown
	}
	if ok, legal := sequentialVerdict(ops, &st.stop); ok {
		if legal {
			return porcupine.Ok
		}
		return porcupine.Illegal
	}
	if ctx.Err() != nil || !r.alive() {
		return porcupine.Unknown
	}
	left := time.Until(r.deadline)
	if left <= 0 {
		return porcupine.Unknown
	}
	m := porcupineModel(needsNondeterminism(ops), st)
	ch := make(chan porcupine.CheckResult, 1)
	go func() { ch <- porcupine.CheckOperationsTimeout(m, toPorcupine(ops), left) }()
	select {
	case res := <-ch:
		if ctx.Err() != nil && res != porcupine.Ok {
			// A stopped search reports whatever it had; only a finished
			// one counts.
			return porcupine.Unknown
		}
		return res
	case <-ctx.Done():
		return porcupine.Unknown
	}
}

// unsortedList finds a list result that is not strictly ascending.
func unsortedList(h History) (Operation, bool) {
	for _, o := range h {
		if o.Pending || o.Unknown || !isList(o.Op.Kind) {
			continue
		}
		ids := o.Result.IDs
		prev, rest, more := "", ids, ids != ""
		for i := 0; more; i++ {
			var x string
			x, rest, more = strings.Cut(rest, "\n")
			if i > 0 && prev >= x {
				return o, true
			}
			prev = x
		}
	}
	return Operation{}, false
}

// describe explains a violation from porcupine's partial linearizations: the
// longest prefix of the partition that has a valid order, the model state
// after it, and the operations that could come next but whose results the
// model rejects.
func describe(keys []string, ops History, res porcupine.CheckResult, info porcupine.LinearizationInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "not linearizable: %d ops from %d clients over %s\n", len(ops), ops.Clients(), abbreviate(keys, 10))
	if res != porcupine.Illegal {
		fmt.Fprintf(&b, "(the verbose recheck said %s)\n", res)
	}
	byID := map[int]Operation{}
	for _, o := range ops {
		byID[o.ID] = o
	}
	var longest []porcupine.Operation
	for _, parts := range info.PartialLinearizationsOperations() {
		for _, l := range parts {
			if len(l) > len(longest) {
				longest = l
			}
		}
	}
	st := model.NewState()
	done := map[int]bool{}
	for _, p := range longest {
		o := byID[p.Metadata.(int)]
		done[o.ID] = true
		st, _ = st.Step(o.Op)
	}
	fmt.Fprintf(&b, "longest linearizable prefix: %d of %d ops", len(longest), len(ops))
	if len(longest) > 0 {
		b.WriteString(", ending with:\n")
		for _, p := range longest[max(0, len(longest)-3):] {
			fmt.Fprintf(&b, "  %s\n", byID[p.Metadata.(int)])
		}
	} else {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "model state after it: %s\n", st)
	// The candidates for the next step are the unplaced operations called
	// before the earliest unplaced return.
	frontier := int64(math.MaxInt64)
	for _, o := range ops {
		if !done[o.ID] && !o.Pending && o.Return < frontier {
			frontier = o.Return
		}
	}
	b.WriteString("none of these can come next:\n")
	n := 0
	for _, o := range ops {
		if done[o.ID] || o.Call > frontier {
			continue
		}
		if n == 6 {
			b.WriteString("  ...\n")
			break
		}
		n++
		_, want := st.Step(o.Op)
		if o.Pending || o.Unknown {
			fmt.Fprintf(&b, "  %s\n", o)
		} else {
			fmt.Fprintf(&b, "  %s   (model here: %s)\n", o, want)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// FormatBytes renders n in binary units, e.g. "1.5 GiB".
func FormatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// ParseBytes reads a memory size: a positive integer with an optional unit
// B, KiB, MiB, GiB, TiB (powers of 1024; K, M, G, T and KB, MB, GB, TB are
// read as the same).
func ParseBytes(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(t)
	}
	if i == 0 {
		return 0, fmt.Errorf("%q: want a size such as 512MiB or 4GiB", s)
	}
	n, err := strconv.ParseUint(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %v", s, err)
	}
	unit := strings.ToUpper(strings.TrimSpace(t[i:]))
	unit = strings.TrimSuffix(strings.TrimSuffix(unit, "B"), "I")
	shift := map[string]uint{"": 0, "K": 10, "M": 20, "G": 30, "T": 40}
	sh, ok := shift[unit]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit (want B, KiB, MiB, GiB or TiB)", s)
	}
	if n == 0 || n > math.MaxUint64>>sh {
		return 0, fmt.Errorf("%q: want a size above 0 that fits in 64 bits", s)
	}
	return n << sh, nil
}
