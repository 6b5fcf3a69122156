// Package registries is the catalogue of every registry shardlab can build:
// its name (what --registry and spec files say), what it is, and how to
// build a fresh one (New, Factory). The runner (experiments), the
// verification campaign (the check command and package report), the
// report's description of each peer and the CLI's help all read this one
// table; adding a registry is one Entry. A name ending in ":" is a family
// (e.g. "driver:" for registries behind a protocol client): it matches
// every name with that prefix.
//
// What it is not: a registry (impl, impl/baseline and model hold those)
// or a measurement. Instance carries what a run records beside the
// registry: the impl registry for its partition statistics, the partition
// count and the options used.
package registries
