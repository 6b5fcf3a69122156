package impl

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
)

// entry is one registered server or transport. Its identity (the pointer)
// is its generation: a binding records the server entry it was made
// against, and counts only while that entry is live, so unregistering a
// server or its owner's death is one store on the server's side and stale
// bindings are ignored by readers and cleared lazily.
type entry struct {
	// The fields a lookup touches come first, so that a lookup reads one
	// cache line of the entry: hash and next to walk the chain, id to
	// compare, owner and removed to decide liveness, cfg to answer.
	hash    uint64                // partition.Hash64(id)
	next    atomic.Pointer[entry] // the next entry in its table's chain
	id      string
	owner   *ownerRec
	removed atomic.Bool
	// pruneAt is the boundSet size at which stale members are dropped.
	pruneAt int32
	cfg     model.Config
	handler model.Handler
	// binding is, for a transport, the server entry it is bound to (nil
	// when unbound). It counts only while that server is live.
	binding atomic.Pointer[entry]
	// boundSet is, for a server, the transports that bound to it, possibly
	// stale (moved or gone since): Broadcast and cleanup check each against
	// its binding. Guarded by the server's partition lock.
	boundSet map[*entry]struct{}
}

// live reports whether e is registered: not unregistered and its owner not
// down. Both flags only ever go from false to true, which is what makes the
// lock-free reads linearizable (see the read methods).
func (e *entry) live() bool {
	return !e.removed.Load() && !e.owner.dead.Load()
}

// shard is one partition. Its fields are grouped by who writes them so that
// readers' cache lines are not invalidated by writers' bookkeeping.
type shard struct {
	// Read-mostly: loaded by every lookup, stored only when a table grows.
	servers    atomic.Pointer[table]
	transports atomic.Pointer[table]
	// resizes is odd while a table of this shard is growing; readers that
	// miss retry if it moved (see table).
	resizes atomic.Uint64
	_       [40]byte

	// Written by readers, one read in Options.ReadSampling.
	reads atomic.Int64
	_     [56]byte

	// Writers only, under mu.
	mu          sync.Mutex
	nServers    int
	nTransports int
	writes      int64
	contended   int64
	waitTotal   time.Duration
	maxWait     time.Duration
	winStart    time.Duration
	winWrites   int64
	winWait     time.Duration
	lastMean    time.Duration
	alarmed     bool
	alarms      int64
	_           [88]byte // to a multiple of 64 bytes, so shards in a slice share no line
}

// snapSlots bounds how many reader-writer locks a snapshot (a list or a
// broadcast) takes. Writers take one slot's read lock, chosen by partition,
// so with up to 64 partitions no two partitions' writers share a slot.
const snapSlots = 64

type paddedRW struct {
	sync.RWMutex
	_ [40]byte
}

// Registry is the sharded registry. Create it with New; all methods are
// safe for concurrent use and linearizable (check/ verifies it).
//
// Reads (FindServer, FindTransport, ServerForTransport, RouteToServer,
// RouteToTransport) take no lock and do not allocate. Writes lock the
// partitions they touch in index order, then read-lock the owners whose
// entries they depend on. Lists and Broadcast take a snapshot: they briefly
// stop writers (never readers) so that what they return existed at one
// instant.
type Registry struct {
	parts       []shard
	partitioner partition.Partitioner
	// hashModN is the partition count when the partitioner is package
	// partition's hashmod, whose reduction locate then inlines (an interface call costs
	// about as much as the rest of the reduction); 0 otherwise.
	hashModN uint64
	slots    []paddedRW
	owners   owners
	opts     Options
	clock    Clock
	readMask uint32 // ReadSampling-1

	// Admission control: alarmed counts alarmed partitions; registrations
	// are rejected while it exceeds admitLimit.
	alarmed    atomic.Int64
	admitLimit int64
	rejected   atomic.Int64
	lastEval   atomic.Int64 // clock reading (ns) of the last re-evaluation
}

var _ model.Registry = (*Registry)(nil)

// New returns an empty registry, or an error naming the invalid option.
func New(opts Options) (*Registry, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Registry{
		parts:       make([]shard, o.Partitions),
		partitioner: o.Partitioner,
		slots:       make([]paddedRW, min(o.Partitions, snapSlots)),
		opts:        o,
		clock:       o.Clock,
		readMask:    uint32(o.ReadSampling - 1),
		admitLimit:  int64(o.AdmissionFraction * float64(o.Partitions)),
	}
	// Compare values, not Name(): a caller's own partitioner may call
	// itself "hashmod" without reducing like it. Interfaces whose dynamic
	// types differ compare unequal without panicking.
	if hm, err := partition.NewHashMod(o.Partitions); err == nil && o.Partitioner == hm {
		r.hashModN = uint64(o.Partitions)
	}
	for i := range r.parts {
		r.parts[i].servers.Store(newTable(minBuckets))
		r.parts[i].transports.Store(newTable(minBuckets))
	}
	return r, nil
}

// Partitions returns the number of partitions.
func (r *Registry) Partitions() int { return len(r.parts) }

// PartitionOf returns the partition that holds id.
func (r *Registry) PartitionOf(id string) int {
	_, _, idx := r.locate(id)
	return idx
}

// locate hashes id once for both the partition and the bucket.
func (r *Registry) locate(id string) (h uint64, p *shard, idx int) {
	h = partition.Hash64(id)
	if r.hashModN != 0 {
		hi, _ := bits.Mul64(h, r.hashModN) // hashmod's multiply-shift, inlined
		idx = int(hi)
	} else {
		idx = r.partitioner.PartitionHash(h)
	}
	return h, &r.parts[idx], idx
}

// countRead samples the read counter: a shared counter bumped on every read
// would bounce its cache line between cores and cost more than the lookup.
func (r *Registry) countRead(p *shard) {
	if r.readMask == 0 {
		p.reads.Add(1)
	} else if cheaprand()&r.readMask == 0 {
		p.reads.Add(int64(r.readMask) + 1)
	}
}

// findLive returns id's live entry of the given kind, or nil.
//
// Linearizability: the chain is read newest first, and a new entry for id
// is only published after the previous one stopped being live. If the entry
// found is live when its flags are read, it was the current entry then. If
// it is not live, then at the instant its flags flipped (or at the start of
// the read, if earlier) no newer entry had been published, so id was absent.
func (r *Registry) findLive(id string, servers bool) *entry {
	h, p, _ := r.locate(id)
	r.countRead(p)
	for {
		seq := p.resizes.Load()
		t := p.transports.Load()
		if servers {
			t = p.servers.Load()
		}
		if e := t.find(h, id); e != nil && e.live() {
			return e
		}
		if seq&1 == 0 && p.resizes.Load() == seq {
			return nil
		}
		if seq&1 == 1 {
			runtime.Gosched() // a resize is relinking: let the writer finish
		}
	}
}

// lookupID returns id's live entry of the given kind, or the error for a
// miss. Only valid IDs are ever stored, so a hit proves id valid and the
// full ValidateID runs only on a miss; the length bound is checked first so
// that no oversized ID is hashed.
func (r *Registry) lookupID(id string, servers bool) (*entry, error) {
	if len(id) == 0 || len(id) > model.MaxIDLen {
		return nil, model.ErrInvalidID
	}
	if e := r.findLive(id, servers); e != nil {
		return e, nil
	}
	if err := model.ValidateID(id); err != nil {
		return nil, err
	}
	if servers {
		return nil, model.ErrServerNotFound
	}
	return nil, model.ErrTransportNotFound
}

// FindServer implements model.Registry.
func (r *Registry) FindServer(id string) (model.Entry, error) {
	e, err := r.lookupID(id, true)
	if err != nil {
		return model.Entry{}, err
	}
	return model.Entry{ID: e.id, Owner: e.owner.id, Config: e.cfg}, nil
}

// FindTransport implements model.Registry.
func (r *Registry) FindTransport(id string) (model.Entry, error) {
	e, err := r.lookupID(id, false)
	if err != nil {
		return model.Entry{}, err
	}
	return model.Entry{ID: e.id, Owner: e.owner.id, Config: e.cfg}, nil
}

// RouteToServer implements model.Registry. The handler runs on the
// caller's goroutine, outside any lock.
func (r *Registry) RouteToServer(serverID string, msg model.Message) error {
	e, err := r.lookupID(serverID, true)
	if err != nil {
		return err
	}
	e.handler.Handle(msg)
	return nil
}

// RouteToTransport implements model.Registry.
func (r *Registry) RouteToTransport(transportID string, msg model.Message) error {
	e, err := r.lookupID(transportID, false)
	if err != nil {
		return err
	}
	e.handler.Handle(msg)
	return nil
}

// ServerForTransport implements model.Registry.
//
// Linearizability: the binding b is loaded first. If b is nil, or b is
// live when checked, the answer held at the load. If b is dead, the binding
// is loaded again: unchanged means it was b throughout, b died in between,
// and the transport was unbound at that instant (no bind can store a dead
// server); changed means retry. The transport's own liveness is checked
// last, so it was live at every earlier instant.
func (r *Registry) ServerForTransport(transportID string) (string, error) {
	t, err := r.lookupID(transportID, false)
	if err != nil {
		return "", err
	}
	for {
		b := t.binding.Load()
		bound := b != nil && b.live() // read b's flags once: the answer rests on this reading
		if b != nil && !bound && t.binding.Load() != b {
			continue // rebound meanwhile: look again
		}
		if !t.live() {
			return "", model.ErrTransportNotFound
		}
		if !bound {
			return "", model.ErrNotBound
		}
		return b.id, nil
	}
}
