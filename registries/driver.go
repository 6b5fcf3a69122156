package registries

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/shardlab/shardlab/drivers"
	"github.com/shardlab/shardlab/drivers/protocol"
	"github.com/shardlab/shardlab/experiments/spec"
)

// Driver is the family of registries behind the driver protocol
// (docs/protocol.md): driver:NAME for each driver in this repository.
const Driver = drivers.Prefix

func driverDescription() string {
	return "a registry in another process, behind the driver protocol: " + strings.Join(drivers.Names(), ", ")
}

// newDriver starts the driver; closing the instance reaps it.
func newDriver(name string, rs spec.RegistrySpec) (*Instance, error) {
	b, err := drivers.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnknown, err)
	}
	command, err := drivers.Command(name, rs.Partitions)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	d, err := protocol.Start(context.Background(), protocol.Config{Command: command, Stderr: os.Stderr})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	in := &Instance{Name: name, Registry: driverRegistry{d.Registry()}}
	if b.Partitioned {
		in.Partitions = max(rs.Partitions, 1)
	}
	in.Options = map[string]string{"driver": d.Hello().Name, "command": strings.Join(command, " ")}
	return in, nil
}

// driverRegistry closes its driver with it.
type driverRegistry struct{ *protocol.Registry }

func (r driverRegistry) Close() error { return r.Driver().Close() }

// WithProtocolBaselines returns names with, for each registry behind the
// driver protocol, the null driver in its language appended (once, if not
// already there): measured in the same run, its figures are the protocol's
// own cost, printed beside the registry's.
func WithProtocolBaselines(names []string) []string {
	out := slices.Clone(names)
	for _, n := range names {
		b, err := drivers.Lookup(n)
		if err != nil || b.Baseline == "" {
			continue
		}
		if base := drivers.Prefix + b.Baseline; !slices.Contains(out, base) {
			out = append(out, base)
		}
	}
	return out
}
