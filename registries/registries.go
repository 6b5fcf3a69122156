package registries

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/baseline"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// Names of the registries shardlab builds itself; the peers' names are
// impl/baseline's.
const (
	Sharded   = "sharded" // impl.New
	Mutex     = baseline.NameMutex
	Channel   = baseline.NameChannel
	SyncMap   = baseline.NameSyncMap
	XSync     = baseline.NameXSync
	Reference = "reference" // model.NewReference
	Null      = "null"      // sim.Null: the driver's ceiling
)

// ErrUnknown: no catalogue entry has that name. The CLI maps it to exit
// status 2.
var ErrUnknown = errors.New("registries: unknown registry")

// ErrOptions: the options do not make a registry (a bad partition count or
// partitioner). The CLI maps it to exit status 2.
var ErrOptions = errors.New("registries: invalid registry options")

// Entry is one registry shardlab can build: what --registry and spec files
// call it, what it is (the report says so beside its figures), and how to
// build a fresh, empty one. A Name ending in ":" names a family: it
// matches every name with that prefix, and New receives the full name.
type Entry struct {
	Name        string
	Description string
	// Partitioned: the registry takes RegistrySpec's partition count and
	// impl options (only the sharded one; peers ignore them).
	Partitioned bool
	New         func(name string, rs spec.RegistrySpec) (*Instance, error)
}

// catalogue is every registry, in the order help texts list them. Add a
// registry here, once; run, sweep, check, the report and the CLI read it.
var catalogue = []Entry{
	{Name: Sharded, Description: "the production sharded registry (impl)", Partitioned: true, New: newSharded},
	{Name: Channel, Description: "one goroutine serialising every operation, the gen_server analogue", New: newPeer},
	{Name: Mutex, Description: "one global lock", New: newPeer},
	{Name: SyncMap, Description: "sync.Map", New: newPeer},
	{Name: XSync, Description: "xsync's concurrent map", New: newPeer},
	{Name: Reference, Description: "the model behind one mutex", New: func(name string, _ spec.RegistrySpec) (*Instance, error) {
		return &Instance{Name: name, Registry: model.NewReference()}, nil
	}},
	{Name: Null, Description: "a registry that does nothing", New: func(name string, _ spec.RegistrySpec) (*Instance, error) {
		return &Instance{Name: name, Registry: sim.Null{}}, nil
	}},
}

// Entries returns the catalogue (a copy).
func Entries() []Entry { return slices.Clone(catalogue) }

// Names lists every name New accepts (families as their prefix).
func Names() []string {
	ns := make([]string, len(catalogue))
	for i, e := range catalogue {
		ns[i] = e.Name
	}
	return ns
}

// Descriptions maps each name to what the registry is.
func Descriptions() map[string]string {
	m := make(map[string]string, len(catalogue))
	for _, e := range catalogue {
		m[e.Name] = e.Description
	}
	return m
}

// Lookup returns the entry that builds name.
func Lookup(name string) (Entry, error) {
	for _, e := range catalogue {
		if e.Name == name || (strings.HasSuffix(e.Name, ":") && strings.HasPrefix(name, e.Name) && len(name) > len(e.Name)) {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("%w %q (want one of %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// New builds a fresh registry by name; rs configures a partitioned one.
func New(name string, rs spec.RegistrySpec) (*Instance, error) {
	e, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return e.New(name, rs)
}

// Factory returns a constructor of fresh registries, as check.Campaign
// takes one, after building one to validate name and rs.
func Factory(name string, rs spec.RegistrySpec) (func() (model.Registry, error), error) {
	in, err := New(name, rs)
	if err != nil {
		return nil, err
	}
	in.Close()
	return func() (model.Registry, error) {
		in, err := New(name, rs)
		if err != nil {
			return nil, err
		}
		return in.Registry, nil
	}, nil
}

// Parse splits a comma-separated list and checks each name.
func Parse(list string) ([]string, error) {
	var out []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if _, err := Lookup(n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// Instance is a registry built for one point.
type Instance struct {
	Name     string
	Registry model.Registry
	// Sharded is the impl registry when Name is "sharded", for its
	// partition statistics and contention status.
	Sharded *impl.Registry
	// Partitions is the partition count (0 for unpartitioned peers).
	Partitions int
	// Options echoes the impl options used (empty for peers).
	Options map[string]string
}

// Close releases the registry (the channel peer's goroutine).
func (in *Instance) Close() {
	if c, ok := in.Registry.(io.Closer); ok {
		_ = c.Close()
	}
}

func newPeer(name string, _ spec.RegistrySpec) (*Instance, error) {
	reg, err := baseline.ByName(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnknown, err)
	}
	return &Instance{Name: name, Registry: reg}, nil
}

func newSharded(name string, rs spec.RegistrySpec) (*Instance, error) {
	opts := impl.Options{
		Partitions: rs.Partitions, ContentionWindow: rs.ContentionWindow.D(),
		AlarmWait: rs.AlarmWait.D(), ClearWait: rs.ClearWait.D(),
		MinWindowWrites: rs.MinWindowWrites, AdmissionFraction: rs.AdmissionFraction,
		ReadSampling: rs.ReadSampling,
	}
	if opts.Partitions == 0 {
		opts.Partitions = impl.DefaultPartitions
	}
	if rs.Partitioner != "" {
		p, err := partition.ByName(rs.Partitioner, opts.Partitions)
		if err != nil {
			return nil, fmt.Errorf("%w: registry.partitioner: %w", ErrOptions, err)
		}
		opts.Partitioner = p
	}
	reg, err := impl.New(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: registry options: %w", ErrOptions, err)
	}
	st := reg.ContentionStatus()
	return &Instance{Name: name, Registry: reg, Sharded: reg, Partitions: reg.Partitions(),
		Options: map[string]string{
			"partitions":         fmt.Sprint(reg.Partitions()),
			"partitioner":        cmp.Or(rs.Partitioner, partition.NameHashMod),
			"alarm_wait":         st.AlarmWait.String(),
			"clear_wait":         st.ClearWait.String(),
			"admission_fraction": fmt.Sprint(st.AdmissionFraction),
			"contention_window":  cmp.Or(durString(rs.ContentionWindow), impl.DefaultContentionWindow.String()),
			"min_window_writes":  cmp.Or(intString(rs.MinWindowWrites), fmt.Sprint(impl.DefaultMinWindowWrites)),
		}}, nil
}

func durString(d spec.Duration) string {
	if d == 0 {
		return ""
	}
	return d.D().String()
}

func intString(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}
