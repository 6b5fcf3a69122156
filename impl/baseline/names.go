package baseline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shardlab/shardlab/model"
)

// Names of the peers, as ByName and benchmark names spell them.
const (
	NameMutex   = "mutex"
	NameChannel = "channel"
	NameSyncMap = "syncmap"
	NameXSync   = "xsync"
)

// ErrUnknownName is returned (wrapped, with the valid names) by ByName.
var ErrUnknownName = errors.New("baseline: unknown registry")

// Names returns the peers' names, slowest design first.
func Names() []string {
	return []string{NameChannel, NameMutex, NameSyncMap, NameXSync}
}

// ByName returns a new, empty peer. Every peer has a Close() error method
// (only Channel's does anything); callers that do not know which peer they
// hold should close it through io.Closer.
func ByName(name string) (model.Registry, error) {
	switch name {
	case NameMutex:
		return NewMutex(), nil
	case NameChannel:
		return NewChannel(), nil
	case NameSyncMap:
		return NewSyncMap(), nil
	case NameXSync:
		return NewXSync(), nil
	}
	return nil, fmt.Errorf("%w %q (want one of %s)", ErrUnknownName, name, strings.Join(Names(), ", "))
}
