package model

import (
	"errors"
	"unicode/utf8"
)

// MaxIDLen is the longest ID accepted, in bytes. It bounds the memory one
// entry can pin and the cost of hashing; MCP server and transport names are
// short, so 255 leaves room without inviting payloads as keys.
const MaxIDLen = 255

// Sentinel errors. Implementations return these (or errors wrapping them) so
// callers can use errors.Is; hot read paths return them unwrapped so that a
// miss allocates nothing.
var (
	ErrInvalidID         = errors.New("model: invalid id (want 1..255 bytes of UTF-8 without ASCII control characters)")
	ErrInvalidOwner      = errors.New("model: invalid owner (the zero Owner is not an owner)")
	ErrNilHandler        = errors.New("model: nil handler")
	ErrAlreadyRegistered = errors.New("model: already registered")
	ErrNotFound          = errors.New("model: not found")
	ErrServerNotFound    = &notFound{"model: server not found"}
	ErrTransportNotFound = &notFound{"model: transport not found"}
	ErrNotBound          = errors.New("model: transport not bound to a server")
	ErrOverloaded        = errors.New("model: overloaded, registration rejected by admission control")
)

// notFound refines ErrNotFound: errors.Is(ErrServerNotFound, ErrNotFound) holds.
type notFound struct{ msg string }

func (e *notFound) Error() string        { return e.msg }
func (e *notFound) Is(target error) bool { return target == ErrNotFound }

// ValidateID reports whether id is a valid server or transport ID. It runs
// on every lookup, so printable ASCII (the usual case) is checked eight
// bytes at a time; anything else takes the byte-by-byte path.
func ValidateID(id string) error {
	if len(id) == 0 || len(id) > MaxIDLen {
		return ErrInvalidID
	}
	i := 0
	for ; i+8 <= len(id); i += 8 {
		if !printableASCII8(uint64(id[i]) | uint64(id[i+1])<<8 | uint64(id[i+2])<<16 | uint64(id[i+3])<<24 |
			uint64(id[i+4])<<32 | uint64(id[i+5])<<40 | uint64(id[i+6])<<48 | uint64(id[i+7])<<56) {
			break
		}
	}
	for ; i < len(id); i++ {
		c := id[i]
		if c < 0x20 || c == 0x7f {
			return ErrInvalidID
		}
		if c >= utf8.RuneSelf {
			if !utf8.ValidString(id[i:]) {
				return ErrInvalidID
			}
			// Valid UTF-8 from here on; only ASCII control bytes remain to
			// rule out (multi-byte sequences never contain bytes < 0x80).
			for ; i < len(id); i++ {
				if c := id[i]; c < 0x20 || c == 0x7f {
					return ErrInvalidID
				}
			}
			return nil
		}
	}
	return nil
}

// printableASCII8 reports whether all eight bytes of w are in 0x20..0x7e,
// using the classic SWAR tests: a byte below 0x20 borrows when 0x20 is
// subtracted, and a byte of 0x7f or above carries into the top bit when
// 0x01 is added (bytes >= 0x80 already have it set).
func printableASCII8(w uint64) bool {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	below := (w - 0x20*ones) & ^w & high
	above := (w + ones) | w
	return (below | above&high) == 0
}

// CheckRegistration runs the argument checks of RegisterServer (bindTo "")
// and RegisterTransport in the model's error order: the ID, then bindTo if
// not empty, then the owner, then the handler. Every registry runs it before
// touching its state, so the order is written once.
func CheckRegistration(id string, owner Owner, h Handler, bindTo string) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	if bindTo != "" {
		if err := ValidateID(bindTo); err != nil {
			return err
		}
	}
	if owner == 0 {
		return ErrInvalidOwner
	}
	if h == nil {
		return ErrNilHandler
	}
	return nil
}

// Owner identifies the process, connection or goroutine that owns entries:
// the analogue of an Erlang pid. Owners are unique per incarnation; the zero
// Owner is invalid. When an owner goes down (Registry.OwnerDown) its entries
// go with it.
type Owner uint64

// Message is what routing delivers to a handler. The registry never looks
// inside it.
type Message any

// Handler receives routed messages for one server or transport.
type Handler interface {
	Handle(msg Message)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(msg Message)

// Handle calls f(msg).
func (f HandlerFunc) Handle(msg Message) { f(msg) }

// Config is an entry's opaque configuration, stored and returned unchanged.
// A string keeps Entry comparable and cheap to copy.
type Config string

// Entry is what FindServer, FindTransport and the lists return.
type Entry struct {
	ID     string
	Owner  Owner
	Config Config
}

// Registry is the interface every registry in shardlab implements. All
// methods are safe for concurrent use and, for the implementations that
// claim it, linearizable with respect to State.
type Registry interface {
	// RegisterServer adds a server. Errors: ErrInvalidID, ErrInvalidOwner,
	// ErrNilHandler, ErrOverloaded, ErrAlreadyRegistered.
	RegisterServer(id string, owner Owner, h Handler, cfg Config) error
	// RegisterTransport adds a transport and, when bindTo is not empty,
	// binds it to that server in the same atomic step. Errors: ErrInvalidID
	// (id, then bindTo), ErrInvalidOwner, ErrNilHandler, ErrOverloaded,
	// ErrAlreadyRegistered, ErrServerNotFound.
	RegisterTransport(id string, owner Owner, h Handler, cfg Config, bindTo string) error
	// UnregisterServer removes a server and every binding to it.
	// Errors: ErrInvalidID, ErrServerNotFound.
	UnregisterServer(id string) error
	// UnregisterTransport removes a transport and its binding.
	// Errors: ErrInvalidID, ErrTransportNotFound.
	UnregisterTransport(id string) error
	// FindServer returns the server's entry. Errors: ErrInvalidID,
	// ErrServerNotFound.
	FindServer(id string) (Entry, error)
	// FindTransport returns the transport's entry. Errors: ErrInvalidID,
	// ErrTransportNotFound.
	FindTransport(id string) (Entry, error)
	// ListServers returns every server, sorted by ID.
	ListServers() []Entry
	// ListTransports returns every transport, sorted by ID.
	ListTransports() []Entry
	// BindTransportToServer binds (or moves) a transport to a server.
	// Errors: ErrInvalidID (transport, then server), ErrServerNotFound,
	// ErrTransportNotFound.
	BindTransportToServer(transportID, serverID string) error
	// UnbindTransport removes the transport's binding, if any.
	// Errors: ErrInvalidID, ErrTransportNotFound.
	UnbindTransport(transportID string) error
	// ServerForTransport returns the ID of the server the transport is bound
	// to. Errors: ErrInvalidID, ErrTransportNotFound, ErrNotBound.
	ServerForTransport(transportID string) (string, error)
	// RouteToServer delivers msg to the server's handler.
	// Errors: ErrInvalidID, ErrServerNotFound.
	RouteToServer(serverID string, msg Message) error
	// RouteToTransport delivers msg to the transport's handler.
	// Errors: ErrInvalidID, ErrTransportNotFound.
	RouteToTransport(transportID string, msg Message) error
	// Broadcast delivers msg to every transport bound to the server and
	// returns how many received it. Errors: ErrInvalidID, ErrServerNotFound.
	Broadcast(serverID string, msg Message) (int, error)
	// OwnerDown removes every entry owned by owner, and every binding
	// touching them, in one atomic step, and returns how many entries went.
	// Errors: ErrInvalidOwner.
	OwnerDown(owner Owner) (int, error)
}
