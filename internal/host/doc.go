// Package host describes the machine and the build a measurement ran on
// (Detect), for a results folder's metadata: CPU model, CPU count,
// GOMAXPROCS, OS and architecture, Go version, and the source revision,
// taken from the binary's build info and from git only when run inside a
// checkout of this module.
//
// What it is not: configuration. Only the CLI calls Detect; every package
// below it is handed a store.Host.
package host
