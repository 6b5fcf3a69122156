// Package model is shardlab's specification of a registry of MCP servers and
// transports: the value types, the sentinel errors, the Registry interface
// every implementation satisfies, and State, a pure sequential reference whose
// Step(op) decides what every operation must return.
//
// What it offers:
//
//   - Registry: the interface implemented by the sharded registry (package
//     impl), its peers (impl/baseline) and Reference.
//   - Owner, Handler, HandlerFunc, Message, Config, Entry: value types.
//   - ErrInvalidID, ErrInvalidOwner, ErrNilHandler, ErrAlreadyRegistered,
//     ErrNotFound (and its refinements ErrServerNotFound,
//     ErrTransportNotFound), ErrNotBound, ErrOverloaded: sentinel errors, all
//     usable with errors.Is.
//   - Code: the same outcomes as a small comparable value, with CodeOf and
//     Code.Err to convert, for histories and checkers.
//   - Op, OpKind, Result: one operation and its outcome as plain comparable
//     values, so a checker (package check) can hand them to porcupine.
//   - HandlerID, Delivery, TrackingHandler: delivery as part of the
//     specification. A registration may name its handler (Op.Handler); the
//     model remembers it with the entry, and a route or broadcast's Result
//     says which handlers received the message (Result.Delivered), so a
//     registry that delivers to a stale or foreign registration gives a
//     result the model rejects. Invoke registers TrackingHandlers and routes
//     a *Delivery to observe it.
//   - State: the sequential specification. Step is pure (it returns a new
//     State); Apply mutates in place and is what Reference uses.
//   - Reference: State behind a mutex, a correct but slow Registry.
//   - ValidateID: the ID rules.
//
// What it is not: it has no concurrency of its own beyond Reference's mutex,
// no partitions, no statistics and no admission control. Admission control is
// an implementation's choice; the model says only which operations may be
// rejected with ErrOverloaded (registrations) and that a rejected operation
// changes nothing. Checkers treat ErrOverloaded on a registration as "no
// effect"; on any other operation it is a violation.
//
// # Semantics
//
// IDs are non-empty strings of at most MaxIDLen bytes of valid UTF-8 with no
// ASCII control characters (bytes below 0x20, and DEL), so a list of IDs
// joined by '\n' is unambiguous; other Unicode, C1 controls included, is
// allowed.
// Registering an ID that exists fails with ErrAlreadyRegistered. A transport
// is bound to at most one server; a server may have many transports. Binding
// needs both to exist, the server checked first; binding a bound transport
// moves it. RegisterTransport with a server to bind to is atomic: either the
// transport is registered and bound, or nothing changes. Unregistering a
// server removes every binding to it; unregistering a transport removes its
// binding. ServerForTransport never names a server that is not registered.
// Routing to a missing target is an error; a route delivers to the handler
// of the registration that holds the ID at that moment, never to an earlier
// registration of the same ID; Broadcast delivers once to each transport
// bound to the server and reports how many received the message. Every entry has an
// owner; OwnerDown removes, in one step, every entry of that owner and every
// binding touching them; entries registered under the same ID by another
// owner are untouched, so a stale death notice never removes a newer
// registration. Lists are sorted by ID.
//
// When an operation has several things wrong with it, the error is chosen in
// this order: invalid IDs (in argument order), invalid owner, nil handler,
// overload (registrations only, implementation-defined), then the state
// checks in the order each method documents.
//
// # Tests
//
// The package's random tests take their seed from SHARDLAB_SEED
// (modeltest.SeedEnv; default 1) and print it on failure, so
//
//	SHARDLAB_SEED=17 go test -run 'StepIsPure|HashEqual' ./model/
//
// replays one.
package model
