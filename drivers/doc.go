// Package drivers holds shardlab's drivers: registries behind the driver
// protocol (docs/protocol.md), each a process shardlab starts, checks and
// measures.
//
//   - drivers/protocol: shardlab's side of the protocol (Go).
//   - drivers/go: serve any model.Registry over the protocol (Go).
//   - drivers/erlang: the protocol core on the BEAM (OTP 25), the
//     shardlab_registry behaviour, and four registries behind it: the
//     seed's design (ETS per partition; `run ets`), its deliberately broken
//     variant with a stale death notice (`run ets-stale`), OTP's global
//     (`run global`) and a null registry (`run null`).
//   - drivers/elixir: Elixir's Registry (keys: :unique, partitions: N) on
//     the same core (`run --partitions N`).
//
// This package itself has no code: its tests run campaigns against the
// BEAM drivers, so `go test ./...` (and CI) needs Debian's erlang-nox and
// elixir. A missing toolchain fails the tests; SHARDLAB_SKIP_BEAM=1 skips
// them on purpose, and says so.
//
// What it is not: a place for registries written in Go (impl and
// impl/baseline hold those).
package drivers
