package impl

import (
	"math/bits"
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
//
// It is 80 bytes, a size class of its own: adding a field costs 16 bytes
// per entry (see BenchmarkMemory). A server's bound transports live in its
// partition's bound map, not here.
type entry struct {
	// The fields a lookup touches come first: id to compare, state to
	// decide liveness, ownerID and cfg to answer.
	id      string
	owner   *ownerRec
	ownerID model.Owner
	// state is 0 while the entry is registered; entryRemoved and
	// entryGone only ever get set.
	state   atomic.Uint32
	cfg     model.Config
	handler model.Handler
	// binding is, for a transport, the server entry it is bound to (nil
	// when unbound). It counts only while that server is live.
	binding atomic.Pointer[entry]
}

const (
	// entryRemoved: unregistered (the linearization point of an
	// unregistration, set under the owner's read lock).
	entryRemoved = 1 << iota
	// entryGone: the owner's incarnation died. Set after the owner's dead
	// flag, which is the linearization point; it lets readers decide
	// liveness from the entry alone (see Registry.live).
	entryGone
)

// live reports whether e is registered: not unregistered and its owner not
// down. Both only ever go from false to true, which is what makes the
// lock-free reads linearizable (see findLive). Registry.live is the
// readers' faster equivalent.
func (e *entry) live() bool {
	return e.state.Load() == 0 && !e.owner.dead.Load()
}

// shard is one partition. Its fields are grouped by who writes them so that
// readers' cache lines are not invalidated by writers' bookkeeping.
type shard struct {
	// Read-mostly: loaded by every lookup, stored only when a table is
	// rebuilt. The counts beside them change with every write and live in
	// the writers' lines below.
	servers    atomic.Pointer[table]
	transports atomic.Pointer[table]
	_          [48]byte

	// Written by readers, one read in Options.ReadSampling.
	reads atomic.Int64
	_     [56]byte

	// Writers only, under mu.
	mu        sync.Mutex
	srv, trn  kindTable // their t fields alias servers and transports
	writes    int64
	contended int64
	waitTotal time.Duration
	maxWait   time.Duration
	winStart  time.Duration
	winWrites int64
	winWait   time.Duration
	lastMean  time.Duration
	alarmed   bool
	alarms    int64
	// bound maps a server entry of this partition to the transports that
	// bound to it, possibly stale (moved or gone since): Broadcast and
	// cleanup check each against its binding. A server without bindings
	// has no element, so registrations allocate nothing here.
	bound map[*entry][]*entry
	_     [48]byte // to a multiple of 64 bytes, so shards in a slice share no line
}

// kind returns the table of servers or of transports.
func (p *shard) kind(servers bool) *kindTable {
	if servers {
		return &p.srv
	}
	return &p.trn
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
	// Read by every lookup, written only by New.
	parts       []shard
	partitioner partition.Partitioner
	// hashModN is the partition count when the partitioner is package
	// partition's hashmod, whose reduction locate then inlines (an interface call costs
	// about as much as the rest of the reduction); 0 otherwise.
	hashModN uint64
	readMask uint32 // ReadSampling-1
	_        [12]byte

	// dying counts OwnerDown calls between their dead store and the moment
	// every entry of the dead incarnation is marked entryGone. While it is
	// 0, an entry's own state word says whether it is live, and a lookup
	// reads no owner record. Written only by OwnerDown: on its own line.
	dying atomic.Int64
	_     [56]byte

	// snapMu orders snapshots against owner deaths: a snapshot holds it
	// exclusively (and every partition lock), OwnerDown holds it shared
	// for its dead store. See snapshot.
	snapMu sync.RWMutex
	owners owners
	opts   Options
	clock  Clock

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
		opts:        o,
		clock:       o.Clock,
		readMask:    uint32(o.ReadSampling - 1),
		admitLimit:  admissionLimit(o.AdmissionFraction, o.Partitions),
	}
	// Compare values, not Name(): a caller's own partitioner may call
	// itself "hashmod" without reducing like it. Interfaces whose dynamic
	// types differ compare unequal without panicking.
	if hm, err := partition.NewHashMod(o.Partitions); err == nil && o.Partitioner == hm {
		r.hashModN = uint64(o.Partitions)
	}
	for i := range r.parts {
		p := &r.parts[i]
		p.servers.Store(newTable(minBuckets))
		p.transports.Store(newTable(minBuckets))
		p.srv.tp, p.trn.tp = &p.servers, &p.transports
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

// live reports whether e is live, like e.live, reading only e's state
// word when no owner is dying.
//
// dying is loaded before state. If it is 0, no owner died between the
// last completed OwnerDown and this load, so every entry of a dead
// incarnation already has entryGone set (OwnerDown marks them all before
// it decrements dying), and a state of 0 read afterwards means e was live
// at the load of dying. Otherwise the owner record decides.
func (r *Registry) live(e *entry) bool {
	if r.dying.Load() == 0 {
		return e.state.Load() == 0
	}
	return e.live()
}

// findLive returns id's live entry of the given kind, or nil. It is the
// whole read path in one function (locate, countRead and table.find by
// hand): each call it saves is a tenth of a lookup. The caller has checked
// that id is 1..MaxIDLen bytes long.
//
// Linearizability: at most one entry per ID is linked in a table at a
// time, a new one is linked only after the previous one stopped being
// live, and a table replaced by a rebuild is never written again. If the
// entry found is live when its flags are read, it was the current entry
// then. If it is not live, or none is found, then there was an instant
// during the read at which no live entry for id existed: a newer entry
// is linked (in the same slot, or in a slot the probe had passed, or in a
// newer table) only after the older one died.
func (r *Registry) findLive(id string, servers bool) *entry {
	h := partition.Hash64(id)
	var p *shard
	if r.hashModN != 0 {
		hi, _ := bits.Mul64(h, r.hashModN) // hashmod's multiply-shift, inlined
		p = &r.parts[hi]
	} else {
		p = &r.parts[r.partitioner.PartitionHash(h)]
	}
	if r.readMask == 0 {
		p.reads.Add(1)
	} else if cheaprand()&r.readMask == 0 {
		p.reads.Add(int64(r.readMask) + 1)
	}
	t := p.transports.Load()
	if servers {
		t = p.servers.Load()
	}
	tags := tagOf(h) * lowBits
	for i := h; ; i++ {
		b := t.bucket(i)
		meta := b.meta.Load()
		x := meta ^ tags
		for m := (x - lowBits) &^ x & highBits; m != 0; m &= m - 1 {
			e := b.slot(m).Load()
			if e != nil && e.id == id {
				if r.dying.Load() == 0 {
					if e.state.Load() == 0 {
						return e
					}
					return nil
				}
				if e.live() {
					return e
				}
				return nil
			}
		}
		if ^meta&highBits != 0 { // an unused slot ends the probe
			return nil
		}
	}
}

// lookupID returns id's live entry of the given kind, or the error for a
// miss. Only valid IDs are ever stored, so a hit proves id valid and the
// full ValidateID runs only on a miss; the length bound is checked first so
// that no oversized ID is hashed.
func (r *Registry) lookupID(id string, servers bool) (*entry, error) {
	if uint(len(id)-1) < model.MaxIDLen { // 1..MaxIDLen; a 0 wraps below
		if e := r.findLive(id, servers); e != nil {
			return e, nil
		}
	}
	return nil, missError(id, servers)
}

// missError is the error for a lookup of id that found nothing.
func missError(id string, servers bool) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	if servers {
		return model.ErrServerNotFound
	}
	return model.ErrTransportNotFound
}

// FindServer implements model.Registry.
func (r *Registry) FindServer(id string) (model.Entry, error) {
	if uint(len(id)-1) < model.MaxIDLen { // 1..MaxIDLen; a 0 wraps below
		if e := r.findLive(id, true); e != nil {
			return model.Entry{ID: e.id, Owner: e.ownerID, Config: e.cfg}, nil
		}
	}
	return model.Entry{}, missError(id, true)
}

// FindTransport implements model.Registry.
func (r *Registry) FindTransport(id string) (model.Entry, error) {
	if uint(len(id)-1) < model.MaxIDLen {
		if e := r.findLive(id, false); e != nil {
			return model.Entry{ID: e.id, Owner: e.ownerID, Config: e.cfg}, nil
		}
	}
	return model.Entry{}, missError(id, false)
}

// RouteToServer implements model.Registry. The handler runs on the
// caller's goroutine, outside any lock.
func (r *Registry) RouteToServer(serverID string, msg model.Message) error {
	if uint(len(serverID)-1) < model.MaxIDLen {
		if e := r.findLive(serverID, true); e != nil {
			e.handler.Handle(msg)
			return nil
		}
	}
	return missError(serverID, true)
}

// RouteToTransport implements model.Registry.
func (r *Registry) RouteToTransport(transportID string, msg model.Message) error {
	if uint(len(transportID)-1) < model.MaxIDLen {
		if e := r.findLive(transportID, false); e != nil {
			e.handler.Handle(msg)
			return nil
		}
	}
	return missError(transportID, false)
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
		bound := b != nil && r.live(b) // read b's flags once: the answer rests on this reading
		if b != nil && !bound && t.binding.Load() != b {
			continue // rebound meanwhile: look again
		}
		if !r.live(t) {
			return "", model.ErrTransportNotFound
		}
		if !bound {
			return "", model.ErrNotBound
		}
		return b.id, nil
	}
}
