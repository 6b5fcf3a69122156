package check

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/anishathalye/porcupine"

	"github.com/shardlab/shardlab/model"
)

// Outputs other than a model.Result, for operations whose result was not
// (fully) observed.
type (
	// pendingOutput: the operation never returned. The model accepts
	// whatever it would have returned and lets it take effect; since its
	// return is at infinity, porcupine may also order it after everything
	// else, which is the same as it never taking effect.
	pendingOutput struct{}
	// unknownOutput: the operation returned but its outcome is unknown. It
	// took effect once between call and return, or not at all; only the
	// nondeterministic model accepts it.
	unknownOutput struct{}
	// anyCountOutput: the result's code is known, its count is not.
	anyCountOutput struct{ code model.Code }
)

// step is the model's step for one operation and its recorded output.
func step(st model.State, op model.Op, output any) (bool, model.State) {
	switch out := output.(type) {
	case pendingOutput:
		next, _ := st.Step(op)
		return true, next
	case anyCountOutput:
		next, got := st.Step(op)
		return got.Code == out.code, next
	}
	want := output.(model.Result)
	// Admission control may reject any registration; a rejected one
	// changes nothing. On any other operation ErrOverloaded is a result the
	// model never gives, so it fails below.
	if want.Code == model.CodeOverloaded && op.Kind.IsRegistration() {
		return true, st
	}
	next, got := st.Step(op)
	return got == want, next
}

// stopper ends a porcupine search that is no longer wanted. Porcupine takes
// a timeout but no context, so the model's step watches the flag and, once
// it is set, ends the search goroutine with runtime.Goexit: the search
// holds porcupine's cache, which is what grows without bound on a badly
// shaped history, and exiting frees it at once. Only non-verbose checks
// may be stopped this way (a verbose one waits for its search goroutine).
type stopper struct{ stop atomic.Bool }

func (s *stopper) check() {
	if s != nil && s.stop.Load() {
		runtime.Goexit()
	}
}

func describeOp(input, output any) string {
	op := input.(model.Op)
	switch out := output.(type) {
	case pendingOutput:
		return op.String() + " -> (pending)"
	case unknownOutput:
		return op.String() + " -> (unknown outcome)"
	case anyCountOutput:
		return op.String() + " -> " + out.code.String() + " count=(unknown)"
	}
	return op.String() + " -> " + output.(model.Result).String()
}

func describeMeta(m any) string {
	if m == nil {
		return ""
	}
	return fmt.Sprintf("id %d", m)
}

// porcupineModel is a thin adapter over model.State.Step. It is not
// partitioned by porcupine: Check partitions the history itself so that it
// knows which partition failed and can visualise only that one. A history
// with an operation of unknown outcome that may write needs the
// nondeterministic model (took effect, or not); the others use the cheaper
// deterministic one.
func porcupineModel(nondeterministic bool, s *stopper) porcupine.Model {
	if nondeterministic {
		nm := porcupine.NondeterministicModel{
			Init: func() []any { return []any{model.NewState()} },
			Step: func(state, input, output any) []any {
				s.check()
				st, op := state.(model.State), input.(model.Op)
				if _, ok := output.(unknownOutput); ok {
					next, _ := st.Step(op)
					return []any{next, st}
				}
				if ok, next := step(st, op, output); ok {
					return []any{next}
				}
				return nil
			},
			Equal:                     func(a, b any) bool { return a.(model.State).Equal(b.(model.State)) },
			Hash:                      func(st any) uint64 { return st.(model.State).Hash() },
			DescribeOperation:         describeOp,
			DescribeState:             func(st any) string { return st.(model.State).String() },
			DescribeOperationMetadata: describeMeta,
		}
		return nm.ToModel()
	}
	return porcupine.Model{
		Init: func() any { return model.NewState() },
		Step: func(state, input, output any) (bool, any) {
			s.check()
			return step(state.(model.State), input.(model.Op), output)
		},
		Equal:                     func(a, b any) bool { return a.(model.State).Equal(b.(model.State)) },
		Hash:                      func(st any) uint64 { return st.(model.State).Hash() },
		DescribeOperation:         describeOp,
		DescribeState:             func(st any) string { return st.(model.State).String() },
		DescribeOperationMetadata: describeMeta,
	}
}

// output is the porcupine output of o.
func output(o Operation) any {
	switch {
	case o.Pending:
		return pendingOutput{}
	case o.Unknown:
		return unknownOutput{}
	case o.AnyCount:
		return anyCountOutput{o.Result.Code}
	}
	return o.Result
}

// toPorcupine converts ops. Client numbers are renumbered densely (the
// visualisation sizes tables by them; a file may use any number).
func toPorcupine(h History) []porcupine.Operation {
	out := make([]porcupine.Operation, len(h))
	clients := map[int]int{}
	for i, o := range h {
		c, ok := clients[o.Client]
		if !ok {
			c = len(clients)
			clients[o.Client] = c
		}
		p := porcupine.Operation{ClientId: c, Input: o.Op, Call: o.Call, Metadata: o.ID, Output: output(o), Return: o.Return}
		if o.Pending {
			p.Return = math.MaxInt64
		}
		out[i] = p
	}
	return out
}

// needsNondeterminism reports whether ops hold an operation of unknown
// outcome that may write.
func needsNondeterminism(ops History) bool {
	return slices.ContainsFunc(ops, func(o Operation) bool { return o.Unknown && !o.Op.Kind.IsRead() })
}

// sequentialVerdict decides a partition whose operations do not overlap in
// time, all returned with known outcomes, by running the model in call
// order: the only order linearizability allows. ok reports whether the
// partition was of that shape; legal is the verdict. stop is polled.
func sequentialVerdict(ops History, stop *atomic.Bool) (ok, legal bool) {
	var last int64 = math.MinInt64
	for i, o := range ops {
		if o.Pending || o.Unknown || (i > 0 && o.Call <= last) {
			return false, false
		}
		last = max(last, o.Return)
	}
	st := model.NewState()
	for i, o := range ops {
		if i&1023 == 1023 && stop.Load() {
			return false, false
		}
		out := output(o)
		if res, isRes := out.(model.Result); isRes && res.Code == model.CodeOverloaded && o.Op.Kind.IsRegistration() {
			continue
		}
		got := st.Apply(o.Op)
		switch out := out.(type) {
		case anyCountOutput:
			if got.Code != out.code {
				return true, false
			}
		case model.Result:
			if got != out {
				return true, false
			}
		}
	}
	return true, true
}

// A node is one thing an operation's outcome can depend on: a server ID, a
// transport ID or an owner.
type node struct {
	kind byte // 's', 't', 'o'
	id   string
}

func (n node) String() string {
	switch n.kind {
	case 's':
		return "server " + strconv.Quote(n.id)
	case 't':
		return "transport " + strconv.Quote(n.id)
	}
	return "owner " + n.id
}

func compareNodes(a, b node) int {
	if c := cmp.Compare(a.kind, b.kind); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// mayWrite reports whether o may have changed the state: a write that
// succeeded, is pending, or has an unknown outcome. Failed writes change
// nothing.
func tookEffect(o Operation) bool {
	return o.Pending || o.Unknown || o.Result.Code == model.CodeOK
}

// keysOf returns the IDs op's outcome depends on or affects (at most two),
// and whether its owner joins them. Owners join a registration only when
// it may have taken effect (it succeeded, is pending or its outcome is
// unknown): a failed registration creates no entry, so the owner's later
// death cannot touch it, and its result depends on the IDs alone. Owner
// death is its owner alone.
func keysOf(o Operation) (ks [2]node, n int, withOwner bool) {
	op := o.Op
	s, t := node{'s', op.Server}, node{'t', op.Transport}
	switch op.Kind {
	case model.OpRegisterServer:
		return [2]node{s}, 1, tookEffect(o)
	case model.OpRegisterTransport:
		if op.Server != "" {
			return [2]node{t, s}, 2, tookEffect(o)
		}
		return [2]node{t}, 1, tookEffect(o)
	case model.OpBind:
		return [2]node{t, s}, 2, false
	case model.OpUnregisterServer, model.OpFindServer, model.OpRouteToServer, model.OpBroadcast:
		return [2]node{s}, 1, false
	case model.OpUnregisterTransport, model.OpFindTransport, model.OpUnbind,
		model.OpServerForTransport, model.OpRouteToTransport:
		return [2]node{t}, 1, false
	case model.OpOwnerDown:
		return [2]node{}, 0, true
	}
	return [2]node{}, 0, false // lists, handled by projection
}

// unionFind over node indices, with path halving.
type unionFind []int32

func (u unionFind) find(i int32) int32 {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

func (u unionFind) union(a, b int32) {
	if ra, rb := u.find(a), u.find(b); ra != rb {
		u[ra] = rb
	}
}

// opRef is one operation of a partition: an index into the history and,
// for a list, its result cut down to the partition's IDs.
type opRef struct {
	i    int32 // index in the history
	proj int32 // -1: the operation as recorded; -2: a list projected to nothing; else index into parted.proj
}

// partition is one independently checkable piece of a history.
type partition struct {
	// key is the partition's least node: it names the partition and picks
	// its shard, whatever else the history holds.
	key   node
	nodes []node
	ops   []opRef
}

// parted is a history split into partitions.
type parted struct {
	h     History
	proj  []string // projected list results
	parts []partition
}

// ops returns p's operations, in call order, with lists projected and
// repeated reads left out (see dropRepeatedReads).
func (pd *parted) ops(p *partition) History {
	out := make(History, len(p.ops))
	for k, r := range p.ops {
		out[k] = pd.h[r.i]
		switch {
		case r.proj >= 0:
			out[k].Result.IDs = pd.proj[r.proj]
		case r.proj == -2:
			out[k].Result.IDs = ""
		}
	}
	return dropRepeatedReads(out)
}

// dropRepeatedReads leaves out a read that repeats an earlier one in the
// same quiet gap: same operation, same result, and no write of the
// partition open (called and not yet returned) at any time between the
// first's call and the second's return. Both then read the same state,
// the one after exactly the writes that returned before the gap, and
// whatever order places the first can place the second beside it, so the
// verdict does not change. A list projected onto a partition is read
// thousands of times between two of its writes in a long history; this
// keeps one. ops is in call order; the result is too.
func dropRepeatedReads(ops History) History {
	var calls, rets []int64 // writes' calls and returns, sorted
	for _, o := range ops {
		if o.Op.Kind.IsRead() {
			continue
		}
		calls = append(calls, o.Call)
		if o.Pending {
			rets = append(rets, math.MaxInt64)
		} else {
			rets = append(rets, o.Return)
		}
	}
	slices.Sort(rets) // calls are sorted already
	type readKey struct {
		gap int
		op  model.Op
		res model.Result
	}
	var seen map[readKey]struct{}
	out := ops[:0]
	for _, o := range ops {
		if o.Op.Kind.IsRead() && !o.Pending && !o.Unknown && !o.AnyCount {
			// Writes returned before the read began, and writes begun
			// before it returned: equal counts mean none was open.
			before, _ := slices.BinarySearch(rets, o.Call)
			begun := len(calls)
			if o.Return < math.MaxInt64 {
				begun, _ = slices.BinarySearch(calls, o.Return+1)
			}
			if before == begun {
				if seen == nil {
					seen = map[readKey]struct{}{}
				}
				k := readKey{before, o.Op, o.Result}
				if _, dup := seen[k]; dup {
					continue
				}
				seen[k] = struct{}{}
			}
		}
		out = append(out, o)
	}
	return out
}

// dropped reports whether o is left out of partitions: a read that never
// returned or whose outcome is unknown has no effect and constrains
// nothing; an operation with invalid arguments has a result that does not
// depend on the state and no effect, so Check verifies it on its own
// (staticViolation); left in, an empty ID would join every partition.
func dropped(o Operation) bool {
	return ((o.Pending || o.Unknown) && o.Op.Kind.IsRead()) || argumentError(o.Op)
}

func isList(k model.OpKind) bool { return k == model.OpListServers || k == model.OpListTransports }

func listKind(k model.OpKind) byte {
	if k == model.OpListTransports {
		return 't'
	}
	return 's'
}

// partitionHistory splits h (sorted by call) into groups of operations
// whose keys are connected: two operations land in one group when they
// share a server, a transport or an owner (see keysOf). A history is
// linearizable if and only if every group is, because operations in
// different groups commute and their results do not depend on each other
// (P-compositionality).
//
// List operations read every key. Each is projected onto the groups that
// hold a key of the listed kind: the group gets a copy whose result keeps
// only the group's IDs, found through an index from ID to group, so the
// work is linear in the list's length. That is a necessary condition for
// linearizability (sound: it never reports a false violation) but not a
// sufficient one, since each group may place the list at a different
// point; Check adds an unpartitioned check for short histories to cover
// that. An ID in a list that no operation ever mentions gets a group of
// its own, where it fails. Copies that cannot fail are left out: an empty
// projection onto a group whose first possible registration of that kind
// was called after the list returned (the group was empty throughout), and
// a repeat of the projection of an earlier list onto a group whose writes
// had all returned before both were called (both read its final state).
//
// It stops with ctx's cause when ctx ends.
func partitionHistory(ctx context.Context, h History) (*parted, error) {
	// One index per kind of node: owners are numbers, and the maps stay
	// small in their keys.
	var (
		idx   [2]map[string]int32 // servers, transports
		owner = map[model.Owner]int32{}
		nodes []node
		uf    unionFind
	)
	idx[0], idx[1] = map[string]int32{}, map[string]int32{}
	add := func(n node) int32 {
		i := int32(len(nodes))
		nodes = append(nodes, n)
		uf = append(uf, i)
		return i
	}
	idOf := func(kind byte, x string) int32 {
		m := idx[0]
		if kind == 't' {
			m = idx[1]
		}
		i, ok := m[x]
		if !ok {
			i = add(node{kind, x})
			m[x] = i
		}
		return i
	}
	ownerID := func(o model.Owner) int32 {
		i, ok := owner[o]
		if !ok {
			i = add(node{'o', strconv.FormatUint(uint64(o), 10)})
			owner[o] = i
		}
		return i
	}
	const (
		skip = -1
		list = -2
	)
	first := make([]int32, len(h))
	for i, o := range h {
		if i&4095 == 0 && ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		switch {
		case dropped(o):
			first[i] = skip
		case isList(o.Op.Kind):
			first[i] = list
			if !o.Pending {
				kind := listKind(o.Op.Kind)
				for _, x := range splitIDs(o.Result.IDs) {
					idOf(kind, x)
				}
			}
		default:
			ks, n, withOwner := keysOf(o)
			var f int32
			if n > 0 {
				f = idOf(ks[0].kind, ks[0].id)
				if n > 1 {
					uf.union(f, idOf(ks[1].kind, ks[1].id))
				}
				if withOwner {
					uf.union(f, ownerID(o.Op.Owner))
				}
			} else {
				f = ownerID(o.Op.Owner)
			}
			first[i] = f
		}
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	// Groups: one per union-find root, keyed by their least node.
	groupOf := make([]int32, len(nodes))
	for i := range groupOf {
		groupOf[i] = -1
	}
	pd := &parted{h: h}
	group := func(n int32) int32 {
		r := uf.find(n)
		g := groupOf[r]
		if g < 0 {
			g = int32(len(pd.parts))
			groupOf[r] = g
			pd.parts = append(pd.parts, partition{key: nodes[n]})
		}
		return g
	}
	for i, n := range nodes {
		g := group(int32(i))
		p := &pd.parts[g]
		p.nodes = append(p.nodes, n)
		if compareNodes(n, p.key) < 0 {
			p.key = n
		}
	}
	ng := len(pd.parts)
	// Per group: when its first entry of each kind may have been created,
	// and when its last write returned (MaxInt64 if one never did).
	firstCreate := [2][]int64{make([]int64, ng), make([]int64, ng)}
	for k := range firstCreate {
		for g := range firstCreate[k] {
			firstCreate[k][g] = math.MaxInt64
		}
	}
	// Per group, its writes' calls (in order) and returns (sorted below):
	// a list copy that falls in the same quiet gap between writes as an
	// earlier copy with the same projection is a repeat (see
	// dropRepeatedReads) and is not made at all.
	wcalls, wrets := make([][]int64, ng), make([][]int64, ng)
	for i, o := range h {
		if first[i] < 0 {
			continue
		}
		g := group(first[i])
		pd.parts[g].ops = append(pd.parts[g].ops, opRef{int32(i), -1})
		if o.Op.Kind.IsRead() {
			continue
		}
		ret := o.Return
		if o.Pending {
			ret = math.MaxInt64
		}
		wcalls[g] = append(wcalls[g], o.Call)
		wrets[g] = append(wrets[g], ret)
		if tookEffect(o) {
			switch o.Op.Kind {
			case model.OpRegisterServer:
				firstCreate[0][g] = min(firstCreate[0][g], o.Call)
			case model.OpRegisterTransport:
				firstCreate[1][g] = min(firstCreate[1][g], o.Call)
			}
		}
	}
	for g := range wrets {
		slices.Sort(wrets[g])
	}
	// gapOf returns the quiet gap of group g that [call, ret] lies in: the
	// number of g's writes returned before call, and whether none was open
	// during [call, ret].
	gapOf := func(g int32, call, ret int64) (int32, bool) {
		before, _ := slices.BinarySearch(wrets[g], call)
		begun := len(wcalls[g])
		if ret < math.MaxInt64 {
			begun, _ = slices.BinarySearch(wcalls[g], ret+1)
		}
		return int32(before), before == begun
	}
	// Groups that may ever hold an entry of each kind, by first creation.
	var withKind [2][]int32
	for k := range withKind {
		for g := range ng {
			if firstCreate[k][g] < math.MaxInt64 {
				withKind[k] = append(withKind[k], int32(g))
			}
		}
		slices.SortFunc(withKind[k], func(a, b int32) int { return cmp.Compare(firstCreate[k][a], firstCreate[k][b]) })
	}
	// Project each list (h is in call order, so lists are too).
	var (
		members []uint64            // group<<32 | position in the list
		stamp   = make([]int32, ng) // list number (from 1) that touched the group last
		gap     = make([]int32, ng) // 1 + the quiet gap of the group's last kept copy; 0 none
		gapSeen = map[int32][]string{}
		active  [2][]int32 // groups whose first creation the lists have reached
		next    [2]int     // next entry of withKind to activate
	)
	// addCopy adds list i's projection onto group g, unless it repeats a
	// copy kept in the same quiet gap. It reports whether the copy lies in
	// the group's last gap, after all its writes.
	addCopy := func(g int32, i int, proj string) (final bool) {
		o := &h[i]
		q, quiet := gapOf(g, o.Call, o.Return)
		if quiet {
			if gap[g] == q+1 {
				if slices.Contains(gapSeen[g], proj) {
					return int(q) == len(wcalls[g])
				}
			} else {
				gap[g] = q + 1
				gapSeen[g] = gapSeen[g][:0]
			}
			gapSeen[g] = append(gapSeen[g], proj)
		}
		idx := int32(-2) // the empty projection
		if proj != "" {
			pd.proj = append(pd.proj, proj)
			idx = int32(len(pd.proj) - 1)
		}
		pd.parts[g].ops = append(pd.parts[g].ops, opRef{int32(i), idx})
		return quiet && int(q) == len(wcalls[g])
	}
	ln := int32(0)
	for i, o := range h {
		if first[i] != list {
			continue
		}
		ln++
		if ln&63 == 0 && ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		kind, k := listKind(o.Op.Kind), 0
		if kind == 't' {
			k = 1
		}
		members = members[:0]
		xs := splitIDs(o.Result.IDs)
		for pos, x := range xs {
			g := group(idOf(kind, x))
			stamp[g] = ln
			members = append(members, uint64(g)<<32|uint64(pos))
		}
		// Group the IDs by partition, keeping their order within one.
		slices.Sort(members)
		var ids []string
		for j := 0; j < len(members); {
			g, e := int32(members[j]>>32), j
			ids = ids[:0]
			for ; e < len(members) && int32(members[e]>>32) == g; e++ {
				ids = append(ids, xs[uint32(members[e])])
			}
			j = e
			addCopy(g, i, strings.Join(ids, "\n"))
		}
		// Empty projections onto groups that may hold an entry by now.
		for next[k] < len(withKind[k]) && firstCreate[k][withKind[k][next[k]]] <= o.Return {
			active[k] = append(active[k], withKind[k][next[k]])
			next[k]++
		}
		for j := 0; j < len(active[k]); j++ {
			g := active[k][j]
			if stamp[g] == ln || firstCreate[k][g] > o.Return {
				continue
			}
			if addCopy(g, i, "") {
				// The group now holds an empty read of its final state;
				// every later empty projection would repeat it (a
				// non-empty one still goes in above). Stop visiting it.
				active[k][j] = active[k][len(active[k])-1]
				active[k] = active[k][:len(active[k])-1]
				j--
			}
		}
	}
	for g := range pd.parts {
		if g&1023 == 0 && ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		slices.SortStableFunc(pd.parts[g].ops, func(a, b opRef) int { return cmp.Compare(h[a.i].Call, h[b.i].Call) })
	}
	// Largest first so the slowest checks start early; ties by key, so the
	// order is the same on every run.
	slices.SortFunc(pd.parts, func(a, b partition) int {
		if c := cmp.Compare(len(b.ops), len(a.ops)); c != 0 {
			return c
		}
		return compareNodes(a.key, b.key)
	})
	return pd, nil
}

// shardOf returns the shard (0..n-1) of the partition named by key: a hash
// of the key, so it does not depend on the number of partitions or their
// order.
func shardOf(key node, n int) int {
	f := fnv.New64a()
	f.Write([]byte{key.kind})
	f.Write([]byte(key.id))
	return int(f.Sum64() % uint64(n))
}

func splitIDs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// argumentError reports whether op fails argument validation (an invalid ID
// or owner), which the model decides before looking at the state. It reads
// the arguments specOf names (the model's order of checks does not matter
// here, only whether one fails; staticViolation asks the model for the
// result).
func argumentError(op model.Op) bool {
	spec := specOf(op.Kind)
	switch {
	case spec.server == 'r' && model.ValidateID(op.Server) != nil,
		spec.server == 'o' && op.Server != "" && model.ValidateID(op.Server) != nil,
		spec.transport != 0 && model.ValidateID(op.Transport) != nil,
		spec.owner != 0 && op.Owner == 0:
		return true
	}
	return false
}

// staticViolation finds an operation with invalid arguments whose recorded
// result is not the model's.
func staticViolation(h History) (Operation, model.Result, bool) {
	for _, o := range h {
		if o.Pending || o.Unknown || !argumentError(o.Op) {
			continue
		}
		_, want := (model.State{}).Step(o.Op)
		switch out := output(o).(type) {
		case anyCountOutput:
			if out.code != want.Code {
				return o, want, true
			}
		case model.Result:
			if out != want {
				return o, want, true
			}
		}
	}
	return Operation{}, model.Result{}, false
}
