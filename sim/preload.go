package sim

import (
	"fmt"
	"strconv"

	"github.com/shardlab/shardlab/model"
)

// PreloadOwner owns every preloaded entry. Workers own their registrations
// under other owners, so an owner_down op never removes the preload.
const PreloadOwner model.Owner = 1

// ServerID is the ID of the i-th preloaded server: "server_<i>", the seed's
// key format.
func ServerID(i int) string { return "server_" + strconv.Itoa(i) }

// TransportID is the ID of the i-th preloaded transport: "transport_<i>".
func TransportID(i int) string { return "transport_" + strconv.Itoa(i) }

// Preload describes the entries registered before a run: Servers servers
// server_0.., Transports transports transport_0.., and, when Bind is set,
// transport_i bound to server_(i mod Servers).
type Preload struct {
	Servers    int
	Transports int
	Bind       bool
}

// Validate reports a negative count, or Bind without servers.
func (p Preload) Validate() error {
	if p.Servers < 0 || p.Transports < 0 {
		return fmt.Errorf("%w: preload servers %d, transports %d (want >= 0)", ErrConfig, p.Servers, p.Transports)
	}
	if p.Bind && p.Transports > 0 && p.Servers == 0 {
		return fmt.Errorf("%w: preload bind needs servers (servers = 0)", ErrConfig)
	}
	return nil
}

// Apply registers the preload into r, in index order, owned by
// PreloadOwner. The first failure is returned naming the entry.
func (p Preload) Apply(r model.Registry) error {
	if err := p.Validate(); err != nil {
		return err
	}
	for i := range p.Servers {
		if err := r.RegisterServer(ServerID(i), PreloadOwner, model.NopHandler, ""); err != nil {
			return fmt.Errorf("sim: preload %s: %w", ServerID(i), err)
		}
	}
	for i := range p.Transports {
		bindTo := ""
		if p.Bind {
			bindTo = ServerID(i % p.Servers)
		}
		if err := r.RegisterTransport(TransportID(i), PreloadOwner, model.NopHandler, "", bindTo); err != nil {
			return fmt.Errorf("sim: preload %s: %w", TransportID(i), err)
		}
	}
	return nil
}

// idTable holds the preloaded IDs as strings built once, so the hot loop
// formats nothing.
type idTable struct {
	servers, transports []string
}

func newIDTable(servers, transports int) *idTable {
	t := &idTable{servers: make([]string, servers), transports: make([]string, transports)}
	for i := range t.servers {
		t.servers[i] = ServerID(i)
	}
	for i := range t.transports {
		t.transports[i] = TransportID(i)
	}
	return t
}

// Null is a Registry that does nothing and fails nothing: driving it
// measures the driver's own ceiling (op choice, key choice, dispatch,
// counting, timing).
type Null struct{}

var _ model.Registry = Null{}

func (Null) RegisterServer(string, model.Owner, model.Handler, model.Config) error { return nil }
func (Null) RegisterTransport(string, model.Owner, model.Handler, model.Config, string) error {
	return nil
}
func (Null) UnregisterServer(string) error                { return nil }
func (Null) UnregisterTransport(string) error             { return nil }
func (Null) FindServer(string) (model.Entry, error)       { return model.Entry{}, nil }
func (Null) FindTransport(string) (model.Entry, error)    { return model.Entry{}, nil }
func (Null) ListServers() []model.Entry                   { return nil }
func (Null) ListTransports() []model.Entry                { return nil }
func (Null) BindTransportToServer(string, string) error   { return nil }
func (Null) UnbindTransport(string) error                 { return nil }
func (Null) ServerForTransport(string) (string, error)    { return "", nil }
func (Null) RouteToServer(string, model.Message) error    { return nil }
func (Null) RouteToTransport(string, model.Message) error { return nil }
func (Null) Broadcast(string, model.Message) (int, error) { return 0, nil }
func (Null) OwnerDown(model.Owner) (int, error)           { return 0, nil }
