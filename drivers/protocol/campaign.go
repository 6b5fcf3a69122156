package protocol

import (
	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/model"
)

// Campaign returns c set up to run against the driver: every history
// starts from a reset (an empty registry), generated operations keep to
// the driver's profile, and configurations are left out when the driver
// stores none. After each history the campaign closes the registry, which
// waits for late answers and fails with the driver's error if it broke
// the protocol, exited or hung, so no verdict is drawn from such a
// history.
func (d *Driver) Campaign(c check.Campaign) check.Campaign {
	c.NewRegistry = d.newHistory
	c.Kinds = d.hello.Ops
	c.NoConfig = d.hello.NoConfig
	if c.Name == "" {
		c.Name = d.hello.Name
	}
	return c
}

func (d *Driver) newHistory() (model.Registry, error) {
	if err := d.Reset(); err != nil {
		return nil, err
	}
	return historyRegistry{d.Registry()}, nil
}

// historyRegistry is the registry of one history: closing it waits until
// every request is answered and reports the driver's failure.
type historyRegistry struct{ *Registry }

func (h historyRegistry) Close() error { return h.d.Idle() }
