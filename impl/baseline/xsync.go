package baseline

import (
	"github.com/puzpuzpuz/xsync/v4"

	"github.com/shardlab/shardlab/model"
)

// XSync is SyncMap's design over github.com/puzpuzpuz/xsync/v4 Map, a
// cache-line-aware concurrent hash map with lock-free reads: the strongest
// general-purpose peer, the one the sharded registry's lookups are measured
// against.
type XSync struct {
	lockFree[*xsyncMaps]
}

var _ model.Registry = (*XSync)(nil)

// NewXSync returns an empty XSync registry.
func NewXSync() *XSync {
	return &XSync{newLockFree(&xsyncMaps{
		servers:    xsync.NewMap[string, *lfServer](),
		transports: xsync.NewMap[string, *lfTransport](),
	})}
}

type xsyncMaps struct {
	servers    *xsync.Map[string, *lfServer]
	transports *xsync.Map[string, *lfTransport]
}

func (m *xsyncMaps) loadServer(id string) (*lfServer, bool) { return m.servers.Load(id) }
func (m *xsyncMaps) storeServer(id string, v *lfServer)     { m.servers.Store(id, v) }
func (m *xsyncMaps) deleteServer(id string)                 { m.servers.Delete(id) }

func (m *xsyncMaps) rangeServers(f func(*lfServer)) {
	m.servers.Range(func(_ string, v *lfServer) bool { f(v); return true })
}

func (m *xsyncMaps) loadTransport(id string) (*lfTransport, bool) { return m.transports.Load(id) }
func (m *xsyncMaps) storeTransport(id string, v *lfTransport)     { m.transports.Store(id, v) }
func (m *xsyncMaps) deleteTransport(id string)                    { m.transports.Delete(id) }

func (m *xsyncMaps) rangeTransports(f func(*lfTransport)) {
	m.transports.Range(func(_ string, v *lfTransport) bool { f(v); return true })
}
