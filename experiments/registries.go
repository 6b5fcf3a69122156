package experiments

import (
	"fmt"
	"io"
	"strings"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/baseline"
	"github.com/shardlab/shardlab/impl/partition"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// Registry names.
const (
	RegistrySharded   = "sharded"   // impl.New
	RegistryReference = "reference" // model.NewReference
	RegistryNull      = "null"      // sim.Null: the driver's ceiling
)

// RegistryNames lists every name NewRegistry accepts.
func RegistryNames() []string {
	return append([]string{RegistrySharded}, append(baseline.Names(), RegistryReference, RegistryNull)...)
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

// NewRegistry builds the named registry; rs configures the sharded one.
func NewRegistry(name string, rs spec.RegistrySpec) (*Instance, error) {
	switch name {
	case RegistrySharded:
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
				return nil, fmt.Errorf("%w: registry.partitioner: %w", ErrSpec, err)
			}
			opts.Partitioner = p
		}
		reg, err := impl.New(opts)
		if err != nil {
			return nil, fmt.Errorf("%w: registry options: %w", ErrSpec, err)
		}
		st := reg.ContentionStatus()
		return &Instance{Name: name, Registry: reg, Sharded: reg, Partitions: reg.Partitions(),
			Options: map[string]string{
				"partitions":         fmt.Sprint(reg.Partitions()),
				"partitioner":        orDefault(rs.Partitioner, partition.NameHashMod),
				"alarm_wait":         st.AlarmWait.String(),
				"clear_wait":         st.ClearWait.String(),
				"admission_fraction": fmt.Sprint(st.AdmissionFraction),
				"contention_window":  orDefault(durString(rs.ContentionWindow), impl.DefaultContentionWindow.String()),
				"min_window_writes":  orDefault(intString(rs.MinWindowWrites), fmt.Sprint(impl.DefaultMinWindowWrites)),
			}}, nil
	case RegistryReference:
		return &Instance{Name: name, Registry: model.NewReference()}, nil
	case RegistryNull:
		return &Instance{Name: name, Registry: sim.Null{}}, nil
	}
	reg, err := baseline.ByName(name)
	if err != nil {
		return nil, fmt.Errorf("%w %q (want one of %s)", ErrUnknownRegistry, name, strings.Join(RegistryNames(), ", "))
	}
	return &Instance{Name: name, Registry: reg}, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
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

// ParseRegistries splits a comma-separated list and checks each name.
func ParseRegistries(list string) ([]string, error) {
	var out []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		ok := false
		for _, v := range RegistryNames() {
			ok = ok || v == n
		}
		if !ok {
			return nil, fmt.Errorf("%w %q (want one of %s)", ErrUnknownRegistry, n, strings.Join(RegistryNames(), ", "))
		}
		out = append(out, n)
	}
	return out, nil
}
