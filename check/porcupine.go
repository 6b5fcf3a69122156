package check

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/shardlab/shardlab/model"
)

// pendingOutput is the output of an operation that never returned: the
// model accepts whatever the operation would have returned and lets it take
// effect. Because its return is at infinity, porcupine may also order it
// after everything else, which is the same as it never taking effect.
type pendingOutput struct{}

// porcupineModel is a thin adapter over model.State.Step. It is not
// partitioned by porcupine: Check partitions the history itself so that it
// knows which partition failed and can visualise only that one.
func porcupineModel() porcupine.Model {
	return porcupine.Model{
		Init: func() any { return model.NewState() },
		Step: func(state, input, output any) (bool, any) {
			st, op := state.(model.State), input.(model.Op)
			if _, ok := output.(pendingOutput); ok {
				next, _ := st.Step(op)
				return true, next
			}
			want := output.(model.Result)
			// Admission control may reject any registration; a rejected one
			// changes nothing. On any other operation ErrOverloaded is a
			// result the model never gives, so it fails below.
			if want.Code == model.CodeOverloaded && op.Kind.IsRegistration() {
				return true, st
			}
			next, got := st.Step(op)
			return got == want, next
		},
		Equal: func(a, b any) bool { return a.(model.State).Equal(b.(model.State)) },
		Hash:  func(s any) uint64 { return s.(model.State).Hash() },
		DescribeOperation: func(input, output any) string {
			if _, ok := output.(pendingOutput); ok {
				return input.(model.Op).String() + " -> (pending)"
			}
			return input.(model.Op).String() + " -> " + output.(model.Result).String()
		},
		DescribeState: func(s any) string { return s.(model.State).String() },
		DescribeOperationMetadata: func(m any) string {
			if m == nil {
				return ""
			}
			return fmt.Sprintf("id %d", m)
		},
	}
}

func toPorcupine(h History) []porcupine.Operation {
	out := make([]porcupine.Operation, len(h))
	for i, o := range h {
		p := porcupine.Operation{ClientId: o.Client, Input: o.Op, Call: o.Call, Metadata: o.ID}
		if o.Pending {
			p.Output, p.Return = pendingOutput{}, math.MaxInt64
		} else {
			p.Output, p.Return = o.Result, o.Return
		}
		out[i] = p
	}
	return out
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

func ownerNode(o model.Owner) node { return node{'o', strconv.FormatUint(uint64(o), 10)} }

// nodesOf returns the nodes op's outcome depends on or affects. Owners join
// a registration only when it may have taken effect (it succeeded or is
// pending): a failed registration creates no entry, so the owner's later
// death cannot touch it, and its result depends on the IDs alone.
func nodesOf(o Operation) []node {
	op := o.Op
	s, t := node{'s', op.Server}, node{'t', op.Transport}
	took := o.Pending || o.Result.Code == model.CodeOK
	switch op.Kind {
	case model.OpRegisterServer:
		if took {
			return []node{s, ownerNode(op.Owner)}
		}
		return []node{s}
	case model.OpRegisterTransport:
		ns := []node{t}
		if op.Server != "" {
			ns = append(ns, s)
		}
		if took {
			ns = append(ns, ownerNode(op.Owner))
		}
		return ns
	case model.OpBind:
		return []node{t, s}
	case model.OpUnregisterServer, model.OpFindServer, model.OpRouteToServer, model.OpBroadcast:
		return []node{s}
	case model.OpUnregisterTransport, model.OpFindTransport, model.OpUnbind,
		model.OpServerForTransport, model.OpRouteToTransport:
		return []node{t}
	case model.OpOwnerDown:
		return []node{ownerNode(op.Owner)}
	}
	return nil // lists, handled by projection
}

// unionFind over node indices, with path halving.
type unionFind []int

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

func (u unionFind) union(a, b int) {
	if ra, rb := u.find(a), u.find(b); ra != rb {
		u[ra] = rb
	}
}

// partition is one independently checkable piece of a history.
type partition struct {
	nodes []node
	ops   History
}

// partitionHistory splits h into groups of operations whose keys are
// connected: two operations land in one group when they share a server, a
// transport or an owner (see nodesOf). A history is linearizable if and only
// if every group is, because operations in different groups commute and
// their results do not depend on each other (P-compositionality).
//
// List operations read every key. Each is projected onto every group that
// holds a key of the listed kind: the group gets a copy whose result keeps
// only the group's IDs. That is a necessary condition for linearizability
// (sound: it never reports a false violation) but not a sufficient one, since
// each group may place the list at a different point; Check adds an
// unpartitioned check for short histories to cover that. An ID in a list that
// no operation ever mentions gets a group of its own, where it fails.
// Pending reads are dropped: a read that never returned has no effect.
// Operations with invalid arguments are dropped too: their result does not
// depend on the state and they have no effect, so Check verifies them one by
// one (staticViolation); left in, an empty ID would join every partition.
func partitionHistory(h History) []partition {
	index := map[node]int{}
	var nodes []node
	id := func(n node) int {
		i, ok := index[n]
		if !ok {
			i = len(nodes)
			index[n] = i
			nodes = append(nodes, n)
		}
		return i
	}
	var lists History
	opNodes := make([][]int, len(h))
	for i, o := range h {
		if (o.Pending && o.Op.Kind.IsRead()) || argumentError(o.Op) {
			continue
		}
		if o.Op.Kind == model.OpListServers || o.Op.Kind == model.OpListTransports {
			lists = append(lists, o)
			kind := byte('s')
			if o.Op.Kind == model.OpListTransports {
				kind = 't'
			}
			for _, x := range splitIDs(o.Result.IDs) {
				id(node{kind, x})
			}
			continue
		}
		for _, n := range nodesOf(o) {
			opNodes[i] = append(opNodes[i], id(n))
		}
	}
	uf := make(unionFind, len(nodes))
	for i := range uf {
		uf[i] = i
	}
	for _, ns := range opNodes {
		for _, n := range ns[min(1, len(ns)):] {
			uf.union(ns[0], n)
		}
	}
	group := map[int]int{} // root -> index in parts
	var parts []partition
	groupOf := func(n int) int {
		r := uf.find(n)
		g, ok := group[r]
		if !ok {
			g = len(parts)
			group[r] = g
			parts = append(parts, partition{})
		}
		return g
	}
	for i, n := range nodes {
		g := groupOf(i)
		parts[g].nodes = append(parts[g].nodes, n)
	}
	for i, ns := range opNodes {
		if len(ns) > 0 {
			g := groupOf(ns[0])
			parts[g].ops = append(parts[g].ops, h[i])
		}
	}
	for _, l := range lists {
		kind := byte('s')
		if l.Op.Kind == model.OpListTransports {
			kind = 't'
		}
		ids := splitIDs(l.Result.IDs)
		for g := range parts {
			var keep []string
			has := false
			for _, n := range parts[g].nodes {
				if n.kind == kind {
					has = true
					break
				}
			}
			if !has {
				continue
			}
			for _, x := range ids {
				if groupOf(index[node{kind, x}]) == g {
					keep = append(keep, x)
				}
			}
			p := l
			p.Result.IDs = strings.Join(keep, "\n")
			parts[g].ops = append(parts[g].ops, p)
		}
	}
	for g := range parts {
		slices.SortStableFunc(parts[g].ops, func(a, b Operation) int { return cmp.Compare(a.Call, b.Call) })
	}
	// Largest first so the slowest checks start early.
	slices.SortStableFunc(parts, func(a, b partition) int { return len(b.ops) - len(a.ops) })
	return parts
}

func splitIDs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// argumentError reports whether op fails argument validation (an invalid ID
// or owner), which the model decides before looking at the state.
func argumentError(op model.Op) bool {
	_, r := model.State{}.Step(op)
	return r.Code == model.CodeInvalidID || r.Code == model.CodeInvalidOwner
}

// staticViolation finds an operation with invalid arguments whose recorded
// result is not the model's.
func staticViolation(h History) (Operation, model.Result, bool) {
	for _, o := range h {
		if o.Pending || !argumentError(o.Op) {
			continue
		}
		if _, want := (model.State{}).Step(o.Op); o.Result != want {
			return o, want, true
		}
	}
	return Operation{}, model.Result{}, false
}
