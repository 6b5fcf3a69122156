package check

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/shardlab/shardlab/model"
)

// Workload shapes generated histories. Keys are split into clusters of
// ClusterKeys IDs (half servers, half transports) with their own owners;
// every generated operation stays inside one cluster: a transport binds only
// to servers of its cluster, an owner registers only its cluster's IDs. So a
// partition of the history never spans more than one cluster, and checking
// cost grows with the number of clusters, not exponentially with the key
// space. Small key spaces (one or two clusters) make operations collide.
type Workload struct {
	Clients      int // concurrent clients
	OpsPerClient int // operations each client performs
	Keys         int // distinct IDs, servers and transports together
	// ClusterKeys is how many IDs share a cluster (default 8). Larger
	// clusters mean larger partitions, which cost porcupine exponentially
	// more in the concurrency inside them.
	ClusterKeys int
	// OwnersPerCluster (default 2) owners register a cluster's IDs.
	OwnersPerCluster int
	// Invalid is the fraction of operations given an invalid ID or owner
	// (default 0.02), to check error order.
	Invalid float64
	// Kinds restricts the mix to these operation kinds, keeping their
	// relative weights (nil: every kind).
	Kinds []model.OpKind
	// NoConfig leaves registrations without a configuration.
	NoConfig bool

	_ struct{}
}

// ErrWorkload is wrapped by errors about invalid Workload values.
var ErrWorkload = errors.New("check: invalid workload")

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
	case w.Kinds != nil && w.weightTotal() == 0:
		return w, fmt.Errorf("%w: no operation kind left to generate (kinds %v)", ErrWorkload, w.Kinds)
	}
	return w, nil
}

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
	{model.OpRouteToServer, 3},
	{model.OpRouteToTransport, 3},
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

// Plan returns, for each client, the operations it will perform, drawn from
// rng. The same rng state gives the same plan.
func (w Workload) Plan(rng *rand.Rand) ([][]model.Op, error) {
	w, err := w.withDefaults()
	if err != nil {
		return nil, err
	}
	clusters := max(1, w.Keys/w.ClusterKeys)
	perCluster := w.Keys / clusters // IDs per cluster, the remainder dropped
	servers := max(1, perCluster/2)
	transports := max(1, perCluster-servers)
	total := w.weightTotal()
	plan := make([][]model.Op, w.Clients)
	for c := range plan {
		plan[c] = make([]model.Op, w.OpsPerClient)
		for i := range plan[c] {
			plan[c][i] = w.op(rng, total, rng.IntN(clusters), servers, transports)
		}
	}
	return plan, nil
}

func (w Workload) op(rng *rand.Rand, total, cluster, servers, transports int) model.Op {
	pick := rng.IntN(total)
	var kind model.OpKind
	for i, ow := range opWeights {
		if pick < w.weight(i) {
			kind = ow.kind
			break
		}
		pick -= w.weight(i)
	}
	c := strconv.Itoa(cluster)
	op := model.Op{
		Kind:      kind,
		Server:    "s" + c + "." + strconv.Itoa(rng.IntN(servers)),
		Transport: "t" + c + "." + strconv.Itoa(rng.IntN(transports)),
		Owner:     model.Owner(cluster*w.OwnersPerCluster + rng.IntN(w.OwnersPerCluster) + 1),
		Config:    model.Config([]string{"a", "b"}[rng.IntN(2)]),
	}
	if w.NoConfig {
		op.Config = ""
	}
	if kind == model.OpRegisterTransport && rng.IntN(2) == 0 {
		op.Server = "" // half the transport registrations do not auto-bind
	}
	if rng.Float64() < w.Invalid {
		switch rng.IntN(3) {
		case 0:
			op.Server = ""
		case 1:
			op.Transport = ""
		default:
			op.Owner = 0
		}
	}
	return normalise(op)
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
