// Package godriver exposes any model.Registry over shardlab's driver
// protocol (package drivers/protocol; docs/protocol.md), so that a Go
// registry can be checked and measured exactly as a registry in another
// language is, and so that the protocol's own cost can be measured against
// a registry that does nothing.
//
// A driver is a few lines:
//
//	func main() {
//		err := godriver.Serve(os.Stdin, os.Stdout, godriver.Info{Name: "mine", Version: "1"},
//			func() (model.Registry, error) { return myregistry.New(), nil })
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//	}
//
// `shardlab driver-serve NAME` serves the registries shardlab knows (impl,
// its peers, the reference, and null) this way.
//
// What it is not: a checker or a load generator (shardlab's side of the
// protocol is package drivers/protocol), and not a way to reach registries
// in other processes.
package godriver
