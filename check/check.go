package check

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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
	Undecided                // the time budget ran out before a verdict
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

// ErrTimeout is wrapped by a Verdict's Err when the budget ran out.
var ErrTimeout = errors.New("check: time budget exhausted before a verdict")

// Options configure Check. The zero value gives the defaults.
type Options struct {
	// Timeout bounds the whole check (default DefaultTimeout).
	Timeout time.Duration
	// HTMLPath, when set, is where porcupine's visualisation of the failing
	// partition is written on a violation.
	HTMLPath string
	// WholeHistoryLimit: see DefaultWholeHistoryLimit; negative disables
	// the unpartitioned check.
	WholeHistoryLimit int
	// Workers is how many partitions are checked at once (default
	// GOMAXPROCS).
	Workers int

	_ struct{}
}

// Verdict is what Check found.
type Verdict struct {
	Outcome Outcome
	// Ops is the number of operations in the history; Partitions and
	// LargestPartition describe how it was split.
	Ops, Partitions, LargestPartition int
	// Lists says how list operations were checked.
	Lists string
	// Keys and Failing are the failing partition's keys and operations
	// (on a violation; on Undecided, the partition that ran out of time).
	Keys    []string
	Failing History
	// Description explains a violation in a few lines: the longest valid
	// prefix, the state after it, and the operations that cannot follow.
	Description string
	// HTMLPath is where the visualisation was written, if it was.
	HTMLPath string
	Elapsed  time.Duration
}

// String summarises the verdict in one line.
func (v Verdict) String() string {
	return fmt.Sprintf("%s: %d ops in %d partitions (largest %d), %s, checked in %v",
		v.Outcome, v.Ops, v.Partitions, v.LargestPartition, v.Lists, v.Elapsed.Round(time.Millisecond))
}

// Check decides whether h is linearizable with respect to model.State,
// starting from an empty registry. It partitions the history (see
// partitionHistory and the package documentation), checks each partition
// with porcupine under one time budget, and on a violation describes the
// failing partition and, if Options.HTMLPath is set, writes porcupine's
// visualisation of it.
func Check(h History, opts Options) Verdict {
	start := time.Now()
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.WholeHistoryLimit == 0 {
		opts.WholeHistoryLimit = DefaultWholeHistoryLimit
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	deadline := start.Add(opts.Timeout)
	v := Verdict{Ops: len(h)}
	finish := func() Verdict { v.Elapsed = time.Since(start); return v }

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

	parts := partitionHistory(h)
	v.Partitions = len(parts)
	if len(parts) > 0 {
		v.LargestPartition = len(parts[0].ops)
	}
	hasLists := slices.ContainsFunc(h, func(o Operation) bool {
		return o.Op.Kind == model.OpListServers || o.Op.Kind == model.OpListTransports
	})
	whole := hasLists && opts.WholeHistoryLimit > 0 && len(h) <= opts.WholeHistoryLimit
	switch {
	case !hasLists:
		v.Lists = "no list ops"
	case whole:
		v.Lists = "lists projected per partition and checked whole"
	default:
		v.Lists = fmt.Sprintf("lists projected per partition only (history of %d ops > whole-history limit %d)", len(h), opts.WholeHistoryLimit)
	}

	bad, outcome := checkPartitions(parts, deadline, opts.Workers)
	if outcome == Ok && whole {
		all := partition{ops: slices.DeleteFunc(slices.Clone(h), func(o Operation) bool {
			return (o.Pending && o.Op.Kind.IsRead()) || argumentError(o.Op)
		})}
		for _, p := range parts {
			all.nodes = append(all.nodes, p.nodes...)
		}
		bad, outcome = checkPartitions([]partition{all}, deadline, 1)
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
		v.Description = fmt.Sprintf("undecided: %v; the partition still running has %d ops over %s",
			ErrTimeout, len(bad.ops), strings.Join(v.Keys, ", "))
		return finish()
	}
	// Rerun the failing partition verbosely for the description and the
	// visualisation, within what is left of the budget (at least a second,
	// since a violation was already found quickly enough).
	left := max(time.Until(deadline), time.Second)
	m := porcupineModel()
	res, info := porcupine.CheckOperationsVerbose(m, toPorcupine(bad.ops), left)
	v.Description = describe(v.Keys, bad.ops, res, info)
	if opts.HTMLPath != "" {
		if err := os.MkdirAll(filepath.Dir(opts.HTMLPath), 0o755); err != nil {
			v.Description += fmt.Sprintf("\n(could not write visualisation: %v)", err)
		} else if err := porcupine.VisualizePath(m, info, opts.HTMLPath); err != nil {
			v.Description += fmt.Sprintf("\n(could not write visualisation: %v)", err)
		} else {
			v.HTMLPath = opts.HTMLPath
		}
	}
	return finish()
}

// checkPartitions checks parts with up to workers at once. It returns Ok,
// or the first partition found Illegal (Violation), or one that ran out of
// time (Undecided) when none was Illegal.
func checkPartitions(parts []partition, deadline time.Time, workers int) (partition, Outcome) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	m := porcupineModel()
	var (
		mu        sync.Mutex
		violation *partition
		undecided *partition
		next      int
		wg        sync.WaitGroup
	)
	for range min(workers, len(parts)) {
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
				left := time.Until(deadline)
				var res porcupine.CheckResult
				if left <= 0 {
					res = porcupine.Unknown
				} else {
					res = porcupine.CheckOperationsTimeout(m, toPorcupine(p.ops), left)
				}
				mu.Lock()
				switch res {
				case porcupine.Illegal:
					if violation == nil {
						violation = p
						cancel()
					}
				case porcupine.Unknown:
					if undecided == nil {
						undecided = p
					}
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
	}
	mu.Lock()
	defer mu.Unlock()
	if next < len(parts) {
		// The deadline passed before every partition was started.
		return parts[next], Undecided
	}
	return partition{}, Ok
}

// unsortedList finds a list result that is not strictly ascending.
func unsortedList(h History) (Operation, bool) {
	for _, o := range h {
		if o.Pending || (o.Op.Kind != model.OpListServers && o.Op.Kind != model.OpListTransports) {
			continue
		}
		ids := splitIDs(o.Result.IDs)
		for i := 1; i < len(ids); i++ {
			if ids[i-1] >= ids[i] {
				return o, true
			}
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
	fmt.Fprintf(&b, "not linearizable: %d ops from %d clients over %s\n", len(ops), ops.Clients(), strings.Join(keys, ", "))
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
		if o.Pending {
			fmt.Fprintf(&b, "  %s\n", o)
		} else {
			fmt.Fprintf(&b, "  %s   (model here: %s)\n", o, want)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
