package baseline

import (
	"sync"

	"github.com/shardlab/shardlab/model"
)

// SyncMap keeps servers and transports in two sync.Maps: single-key reads
// are lock-free loads, writers serialise on one mutex (see lockfree.go for
// why that is linearizable). It is the peer for "what the standard library
// gives you".
type SyncMap struct {
	lockFree[*syncMaps]
}

var _ model.Registry = (*SyncMap)(nil)

// NewSyncMap returns an empty SyncMap registry.
func NewSyncMap() *SyncMap {
	return &SyncMap{newLockFree(&syncMaps{})}
}

type syncMaps struct {
	servers, transports sync.Map
}

func (m *syncMaps) loadServer(id string) (*lfServer, bool) {
	v, ok := m.servers.Load(id)
	if !ok {
		return nil, false
	}
	return v.(*lfServer), true
}

func (m *syncMaps) storeServer(id string, v *lfServer) { m.servers.Store(id, v) }
func (m *syncMaps) deleteServer(id string)             { m.servers.Delete(id) }

func (m *syncMaps) rangeServers(f func(*lfServer)) {
	m.servers.Range(func(_, v any) bool { f(v.(*lfServer)); return true })
}

func (m *syncMaps) loadTransport(id string) (*lfTransport, bool) {
	v, ok := m.transports.Load(id)
	if !ok {
		return nil, false
	}
	return v.(*lfTransport), true
}

func (m *syncMaps) storeTransport(id string, v *lfTransport) { m.transports.Store(id, v) }
func (m *syncMaps) deleteTransport(id string)                { m.transports.Delete(id) }

func (m *syncMaps) rangeTransports(f func(*lfTransport)) {
	m.transports.Range(func(_, v any) bool { f(v.(*lfTransport)); return true })
}
