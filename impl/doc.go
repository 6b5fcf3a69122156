// Package impl is shardlab's production sharded registry: a model.Registry
// whose entries are spread over partitions by a partition.Partitioner, with
// lock-free, allocation-free reads, linearizable cross-partition writes,
// per-partition statistics, contention alarms and admission control.
//
// What it offers:
//
//   - New(Options) (*Registry, error): the registry. Options are validated.
//   - (*Registry).PartitionStats, ContentionStatus: statistics in
//     real units (entries, reads, writes, lock waits).
//   - (*Registry).Partitions, PartitionOf: the layout, for experiments.
//   - WatchOwner: ties an owner's life to a context.Context.
//
// Peers that implement the same interface for side-by-side measurement live
// in impl/baseline; partitioners in impl/partition.
//
// Owners: the registry keeps a small record per owner (its incarnation and
// the entries it registered) until OwnerDown is called for it, so a
// long-running process should declare owners down when they end, directly
// or through WatchOwner, as erlmcp relied on process monitors to do. An
// owner ID may be reused once its owner is down: the next registration under
// it starts a new incarnation, which no late death notice or watch of the
// old one can touch (see WatchOwner).
//
// What it is not: a distributed registry. Everything here is in one process.
package impl
