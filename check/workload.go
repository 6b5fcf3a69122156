package check

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/shardlab/shardlab/model"
)

// Workload shapes generated histories. Keys are split into clusters of
// ClusterKeys IDs (half servers, half transports) with their own owners;
// every generated operation stays inside one cluster: a transport binds only
// to servers of its cluster, an owner registers only its cluster's IDs. So a
// partition of the history never spans more than one cluster, and checking
// cost grows with the number of clusters, not exponentially with the key
// space. Small key spaces (one or two clusters) make operations collide.
//
// IDs take the shapes of IDShape (lengths from 1 to the limit, long shared
// prefixes, IDs that differ only in their last byte, multi-byte UTF-8), drawn
// afresh for every plan, so a campaign's short histories use different IDs
// and, for a hashing registry, different partitions; invalid IDs (empty, one
// byte over the limit, control bytes, invalid UTF-8) appear beside them.
//
// A plan alternates free rounds, where every client performs a few random
// operations, with collisions scheduled on purpose (see Collisions): two
// clients released at the same instant (see Rendezvous) on one key, for
// example the same ID registered by both, a bind racing its server's
// owner's death, a registration racing an unregistration, or an ID
// re-registered while another client routes to it.
type Workload struct {
	Clients int // concurrent clients
	// OpsPerClient is how many operations each client performs on average
	// (the plan ends once Clients*OpsPerClient operations are drawn).
	OpsPerClient int
	Keys         int // distinct IDs, servers and transports together
	// ClusterKeys is how many IDs share a cluster (default 8). Larger
	// clusters mean larger partitions, which cost porcupine exponentially
	// more in the concurrency inside them.
	ClusterKeys int
	// OwnersPerCluster (default 2) owners register a cluster's IDs.
	OwnersPerCluster int
	// Invalid is the fraction of operations given an invalid ID or owner
	// (default 0.02), to check error order and validation.
	Invalid float64
	// Collisions is the chance that the next step of the plan is a
	// scheduled collision rather than a free round (default 0.7; negative:
	// none, and no Rendezvous in the plan).
	Collisions float64
	// PlainIDs draws only ShapePlain IDs ("s3.1"), and the empty ID as the
	// only invalid one.
	PlainIDs bool
	// PartitionOf and Partitions describe the registry's layout, when it is
	// known (for impl, (*impl.Registry).PartitionOf and Partitions): each
	// plan then places its keys in consecutive partitions from a random
	// offset, so that a long history reaches every partition and the short
	// histories of a campaign reach them all between them. Without it, IDs
	// drawn afresh per plan spread over a hashing registry's partitions by
	// themselves.
	PartitionOf func(id string) int
	Partitions  int
	// Kinds restricts the mix to these operation kinds, keeping their
	// relative weights (nil: every kind).
	Kinds []model.OpKind
	// NoConfig leaves registrations without a configuration.
	NoConfig bool

	_ struct{}
}

// ErrWorkload is wrapped by errors about invalid Workload values.
var ErrWorkload = errors.New("check: invalid workload")

// DefaultCollisions is Workload.Collisions's default.
const DefaultCollisions = 0.7

func (w Workload) withDefaults() (Workload, error) {
	if w.ClusterKeys == 0 {
		w.ClusterKeys = 8
	}
	if w.OwnersPerCluster == 0 {
		w.OwnersPerCluster = 2
	}
	if w.Invalid == 0 {
		w.Invalid = 0.02
	}
	if w.Collisions == 0 {
		w.Collisions = DefaultCollisions
	}
	switch {
	case w.Clients < 1:
		return w, fmt.Errorf("%w: clients %d < 1", ErrWorkload, w.Clients)
	case w.OpsPerClient < 1:
		return w, fmt.Errorf("%w: ops per client %d < 1", ErrWorkload, w.OpsPerClient)
	case w.Keys < 2:
		return w, fmt.Errorf("%w: keys %d < 2 (need a server and a transport)", ErrWorkload, w.Keys)
	case w.ClusterKeys < 2:
		return w, fmt.Errorf("%w: cluster keys %d < 2", ErrWorkload, w.ClusterKeys)
	case w.OwnersPerCluster < 1:
		return w, fmt.Errorf("%w: owners per cluster %d < 1", ErrWorkload, w.OwnersPerCluster)
	case !(w.Invalid >= 0 && w.Invalid <= 1): // NaN too
		return w, fmt.Errorf("%w: invalid fraction %v outside [0, 1]", ErrWorkload, w.Invalid)
	case math.IsNaN(w.Collisions) || w.Collisions > 1:
		return w, fmt.Errorf("%w: collisions %v outside [0, 1] (negative: none)", ErrWorkload, w.Collisions)
	case w.PartitionOf != nil && w.Partitions < 1:
		return w, fmt.Errorf("%w: PartitionOf set with %d partitions", ErrWorkload, w.Partitions)
	case w.Kinds != nil && w.weightTotal() == 0:
		return w, fmt.Errorf("%w: no operation kind left to generate (kinds %v)", ErrWorkload, w.Kinds)
	}
	return w, nil
}

// Rendezvous is a marker in a plan, not an operation: Execute holds a client
// that reaches it until every client has reached its rendezvous of the same
// rank, then releases the clients with operations before their next
// rendezvous together, spinning so that they start within a fraction of a
// microsecond of each other. Every client of a plan must hold the same
// number of them. Workload.Plan puts one before every round.
var Rendezvous = model.Op{}

// opWeights is the generated mix. Writes are common so that reads observe
// changes; lists are rare because every list joins every partition.
var opWeights = []struct {
	kind   model.OpKind
	weight int
}{
	{model.OpRegisterServer, 12},
	{model.OpRegisterTransport, 12},
	{model.OpUnregisterServer, 5},
	{model.OpUnregisterTransport, 5},
	{model.OpFindServer, 10},
	{model.OpFindTransport, 8},
	{model.OpBind, 10},
	{model.OpUnbind, 4},
	{model.OpServerForTransport, 10},
	{model.OpRouteToServer, 5},
	{model.OpRouteToTransport, 5},
	{model.OpBroadcast, 5},
	{model.OpOwnerDown, 3},
	{model.OpListServers, 1},
	{model.OpListTransports, 1},
}

// weight is kind's weight in w's mix: 0 when Kinds leaves it out.
func (w Workload) weight(i int) int {
	if w.Kinds != nil && !slices.Contains(w.Kinds, opWeights[i].kind) {
		return 0
	}
	return opWeights[i].weight
}

func (w Workload) weightTotal() int {
	n := 0
	for i := range opWeights {
		n += w.weight(i)
	}
	return n
}

// Plan returns, for each client, the operations it will perform, with
// Rendezvous markers between rounds, drawn from rng. The same rng state
// gives the same plan.
func (w Workload) Plan(rng *rand.Rand) ([][]model.Op, error) {
	w, err := w.withDefaults()
	if err != nil {
		return nil, err
	}
	clusters := max(1, w.Keys/w.ClusterKeys)
	perCluster := w.Keys / clusters // IDs per cluster, the remainder dropped
	servers := max(1, perCluster/2)
	transports := max(1, perCluster-servers)
	choose := func(n int, _ string) int { return rng.IntN(n) }
	layout := keyLayout{partitionOf: w.PartitionOf, partitions: w.Partitions}
	if w.PartitionOf != nil {
		layout.offset = rng.IntN(w.Partitions)
	}
	g := &opGen{
		choose:   choose,
		keys:     makeKeys(choose, clusters, servers, transports, w.PlainIDs, layout),
		owners:   w.OwnersPerCluster,
		invalid:  int(w.Invalid * 1000),
		kinds:    w.Kinds,
		noConfig: w.NoConfig,
		plain:    w.PlainIDs,
	}
	plan := make([][]model.Op, w.Clients)
	done := make([]int, w.Clients)
	collide := w.Collisions > 0 && w.Clients >= 2
	for total, target := 0, w.Clients*w.OpsPerClient; total < target; {
		var rounds [][][]model.Op
		var who []int
		if collide && rng.Float64() < w.Collisions {
			rounds = g.keepKinds(g.collision(rng.IntN(clusters)))
			who = rng.Perm(w.Clients)[:2]
		} else {
			round := make([][]model.Op, w.Clients)
			for c := range round {
				for n := min(1+rng.IntN(3), w.OpsPerClient-done[c]); n > 0; n-- {
					round[c] = append(round[c], g.random(rng.IntN(clusters)))
				}
			}
			rounds = [][][]model.Op{round}
			who = make([]int, w.Clients)
			for c := range who {
				who[c] = c
			}
		}
		for _, round := range rounds {
			if collide {
				for c := range plan {
					plan[c] = append(plan[c], Rendezvous)
				}
			}
			for i, ops := range round {
				plan[who[i]] = append(plan[who[i]], ops...)
				done[who[i]] += len(ops)
				total += len(ops)
			}
		}
	}
	return plan, nil
}

// opGen draws operations over a key table.
type opGen struct {
	choose  chooser
	keys    keyTable
	owners  int // per cluster
	invalid int // per mille
	// uniform draws every kind equally often (the state machines, whose
	// cases are short) instead of by opWeights.
	uniform bool
	// kinds, when not nil, is every kind that may be drawn (Workload.Kinds).
	kinds []model.OpKind
	// noConfig leaves registrations without a configuration.
	noConfig bool
	// plain keeps invalid IDs to the empty one, beside plain valid IDs.
	plain bool
}

// weight is opWeights[i]'s weight, or 0 for a kind left out.
func (g *opGen) weight(i int) int {
	if g.kinds != nil && !slices.Contains(g.kinds, opWeights[i].kind) {
		return 0
	}
	return opWeights[i].weight
}

// keepKinds drops the operations of kinds left out from a collision.
func (g *opGen) keepKinds(rounds [][][]model.Op) [][][]model.Op {
	if g.kinds == nil {
		return rounds
	}
	for _, round := range rounds {
		for i, ops := range round {
			round[i] = slices.DeleteFunc(ops, func(op model.Op) bool { return !slices.Contains(g.kinds, op.Kind) })
		}
	}
	return rounds
}

func (g *opGen) server(c int) string {
	ss := g.keys.servers[c]
	return ss[g.choose(len(ss), "server")]
}

func (g *opGen) transport(c int) string {
	ts := g.keys.transports[c]
	return ts[g.choose(len(ts), "transport")]
}

// owner returns owner i (mod the cluster's owners) of cluster c.
func (g *opGen) owner(c, i int) model.Owner {
	return model.Owner(c*g.owners + i%g.owners + 1)
}

func (g *opGen) config() model.Config {
	if g.noConfig {
		return ""
	}
	return model.Config([]string{"a", "b"}[g.choose(2, "config")])
}

// random draws one operation of any kind inside cluster c.
func (g *opGen) random(c int) model.Op {
	return g.ofKind(c, 0)
}

// ofKind draws one operation of kind k (any kind when k is 0) inside
// cluster c; one in 1000/invalid gets an invalid ID or owner.
func (g *opGen) ofKind(c int, kind model.OpKind) model.Op {
	if kind == 0 && g.uniform {
		kind = model.OpKinds()[g.choose(len(model.OpKinds()), "kind")]
	}
	if kind == 0 {
		total := 0
		for i := range opWeights {
			total += g.weight(i)
		}
		pick := g.choose(total, "kind")
		for i, ow := range opWeights {
			if pick < g.weight(i) {
				kind = ow.kind
				break
			}
			pick -= g.weight(i)
		}
	}
	op := model.Op{
		Kind:      kind,
		Server:    g.server(c),
		Transport: g.transport(c),
		Owner:     g.owner(c, g.choose(g.owners, "owner")),
		Config:    g.config(),
	}
	if kind == model.OpRegisterTransport && g.choose(2, "autobind") == 0 {
		op.Server = "" // half the transport registrations do not auto-bind
	}
	if g.invalid > 0 && 999-g.choose(1000, "invalid") < g.invalid {
		bad := ""
		if !g.plain {
			bad = invalidIDs[g.choose(len(invalidIDs), "invalid id")]
		}
		switch g.choose(3, "invalid field") {
		case 0:
			op.Server = bad
		case 1:
			op.Transport = bad
		default:
			op.Owner = 0
		}
	}
	return normalise(op)
}

// numCollisions is how many kinds of collision collisionOf knows.
const numCollisions = 9

// collision returns a scheduled collision of a drawn kind inside cluster c.
func (g *opGen) collision(c int) [][][]model.Op {
	return g.collisionOf(c, g.choose(numCollisions, "collision"))
}

// collisionOf returns collision number kind inside cluster c: rounds, each
// with the segments of one or two participants (a round with one sets the
// stage or looks at the outcome; one with two holds the racing pair).
func (g *opGen) collisionOf(c, kind int) [][][]model.Op {
	s, t := g.server(c), g.transport(c)
	o1, o2 := g.owner(c, 0), g.owner(c, 1)
	op := func(k model.OpKind, owner model.Owner) model.Op {
		return normalise(model.Op{Kind: k, Server: s, Transport: t, Owner: owner, Config: g.config()})
	}
	rt := func(owner model.Owner, bindTo string) model.Op {
		return model.Op{Kind: model.OpRegisterTransport, Transport: t, Owner: owner, Config: g.config(), Server: bindTo}
	}
	K := func(k model.OpKind) model.Op { return op(k, 0) }
	solo := func(ops ...model.Op) [][]model.Op { return [][]model.Op{ops} }
	pair := func(a, b []model.Op) [][]model.Op { return [][]model.Op{a, b} }
	ops := func(o ...model.Op) []model.Op { return o }
	switch kind {
	case 0: // the same server ID registered by two clients at once
		return [][][]model.Op{
			solo(K(model.OpUnregisterServer)),
			pair(ops(op(model.OpRegisterServer, o1)), ops(op(model.OpRegisterServer, o2))),
			solo(K(model.OpFindServer), K(model.OpRouteToServer)),
		}
	case 1: // the same transport ID registered by two clients at once
		return [][][]model.Op{
			solo(K(model.OpUnregisterTransport), op(model.OpRegisterServer, o1)),
			pair(ops(rt(o1, s)), ops(rt(o2, ""))),
			solo(K(model.OpFindTransport), K(model.OpRouteToTransport), K(model.OpServerForTransport)),
		}
	case 2: // a bind racing the death of its server's owner
		return [][][]model.Op{
			solo(op(model.OpRegisterServer, o1), rt(o2, "")),
			pair(ops(K(model.OpBind)), ops(op(model.OpOwnerDown, o1))),
			solo(K(model.OpServerForTransport), K(model.OpBroadcast)),
		}
	case 3: // a registration with a bind racing the server's unregistration
		return [][][]model.Op{
			solo(K(model.OpUnregisterTransport), op(model.OpRegisterServer, o1)),
			pair(ops(rt(o2, s)), ops(K(model.OpUnregisterServer))),
			solo(K(model.OpServerForTransport), K(model.OpBroadcast)),
		}
	case 4: // register racing unregister
		return [][][]model.Op{
			pair(ops(op(model.OpRegisterServer, o1)), ops(K(model.OpUnregisterServer))),
			solo(K(model.OpFindServer)),
		}
	case 5: // a server re-registered by another owner while routes go to it
		return [][][]model.Op{
			solo(op(model.OpRegisterServer, o1)),
			pair(ops(K(model.OpUnregisterServer), op(model.OpRegisterServer, o2)),
				ops(K(model.OpRouteToServer), K(model.OpRouteToServer), K(model.OpFindServer), K(model.OpRouteToServer))),
			solo(K(model.OpRouteToServer)),
		}
	case 6: // a transport re-registered while its server broadcasts
		return [][][]model.Op{
			solo(op(model.OpRegisterServer, o1), rt(o1, s)),
			pair(ops(K(model.OpUnregisterTransport), rt(o2, s)),
				ops(K(model.OpBroadcast), K(model.OpRouteToTransport), K(model.OpBroadcast))),
			solo(K(model.OpBroadcast), K(model.OpRouteToTransport)),
		}
	case 7: // a death notice racing the ID's re-registration by another owner
		return [][][]model.Op{
			solo(op(model.OpRegisterServer, o1)),
			pair(ops(op(model.OpOwnerDown, o1)), ops(K(model.OpUnregisterServer), op(model.OpRegisterServer, o2))),
			solo(K(model.OpFindServer), K(model.OpRouteToServer)),
		}
	default: // an owner's death racing a new registration by the same owner
		return [][][]model.Op{
			solo(K(model.OpUnregisterServer), rt(o1, "")),
			pair(ops(op(model.OpOwnerDown, o1)), ops(op(model.OpRegisterServer, o1), K(model.OpBind))),
			solo(K(model.OpFindServer), K(model.OpServerForTransport)),
		}
	}
}

// normalise clears the fields op's kind does not use, so that histories
// and their files show only what the call passed.
func normalise(op model.Op) model.Op {
	spec := specOf(op.Kind)
	out := model.Op{Kind: op.Kind}
	if spec.server != 0 {
		out.Server = op.Server
	}
	if spec.transport != 0 {
		out.Transport = op.Transport
	}
	if spec.owner != 0 {
		out.Owner = op.Owner
	}
	if spec.config != 0 {
		out.Config = op.Config
	}
	return out
}
