// Package protocol is shardlab's side of the driver protocol
// (docs/protocol.md): it starts a driver process, a registry in any
// language behind JSON lines on its stdin and stdout, does the handshake
// (name, version, profile of supported operations), multiplexes clients
// over the one pipe, and presents the driver as a model.Registry, so that
// check's campaigns and Recorder and sim's load drivers work on it
// unchanged.
//
// What it offers:
//
//   - Start, Config, Driver: the child process, always reaped (Close, or
//     the context given to Start ending); Hello, Reset, Idle, Call.
//   - Registry: the driver as a model.Registry (and a check.Doer), each
//     call on a client no other call is using.
//   - Driver.Campaign: a check.Campaign that resets the driver before each
//     history and generates only the operations of its profile.
//   - Request, Answer, Args, Result, Hello: the wire format, with
//     RequestFor, OpFor, ResultOf and WireResult to convert to and from
//     model values, and OwnerName/ParseOwner for owners ("o7").
//   - ErrProtocol, ErrExited, ErrHung, ErrStart, ErrUnsupported: what a
//     misbehaving driver gets, each naming the driver and the offending
//     line. None of them is ever turned into a verdict.
//
// Timing: shardlab takes call and return from its own logical clock (check's
// Recorder) around the round trip, which only widens each operation's
// interval, so checks stay sound. An answer that does not come within
// Config.AnswerTimeout leaves its operation pending (it may take effect
// later, or never) and its client is retired; a request unanswered for
// Config.HangTimeout is a hang, an error. An owner_down answered without a
// count (the registry cleans up asynchronously) is pending too.
//
// What it is not: a driver (drivers/go, drivers/erlang and drivers/elixir
// are drivers), and not a checker: it records nothing itself.
package protocol
