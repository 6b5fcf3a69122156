// Package partition maps registry IDs to partitions: the partitioners the
// sharded registry calls on every operation, and the ones the skew and
// resharding experiments compare.
//
// Index:
//
//   - [Partitioner]: Partition(id) in [0, n), PartitionHash(Hash64(id))
//     (the same answer for a caller that already has the hash),
//     Partitions(), Name(). Every implementation is immutable, safe for
//     concurrent use, deterministic across processes and machines, and
//     allocation-free.
//   - [NewHashMod] ("hashmod", the default): [Hash64] reduced by Lemire's
//     multiply-shift, (h*n)>>64. Fastest (~7-15 ns, mostly the hash); growing n to n+1 moves
//     half the keys.
//   - [NewJump] ("jump"): Lamping & Veach jump consistent hash. O(ln n),
//     no memory; growing n moves 1/(n+1) of keys, all to the new partition.
//   - [NewRendezvous] ("rendezvous"): highest random weight. O(n) per call
//     (~2-4 µs at n=1024): for studies and small n.
//   - [NewRing] ("ring", [DefaultVNodes] virtual nodes): consistent-hash
//     ring with a bucketed O(1) lookup; wider load spread (~1/sqrt(vnodes)).
//   - [NewSingle] ("single"): every key to partition 0 while reporting n.
//     Deliberately bad, for conformance tests: correctness must not depend
//     on keys spreading.
//   - [ByName], [Names]: build a partitioner from a CLI or experiment-spec
//     name; unknown names give [ErrUnknownName] listing the valid ones.
//   - [Hash64]: the stable 64-bit ID hash (wyhash final v4, seed 0, checked
//     against upstream test vectors), reusable for lock striping etc.
//   - [Counts], [Moved]: keys per partition, and keys that change partition
//     between two partitioners (e.g. n and n+1), for skew and movement
//     studies. Skew metrics themselves live in package analysis.
//
// Constructors validate: n must be in [1, [MaxPartitions]] ([ErrPartitionCount]),
// vnodes in [1, [MaxVNodes]] ([ErrVNodes]); they return wrapped sentinel
// errors and never panic.
//
// Not for: adversarial inputs. Hash64 has a public, fixed seed, so crafted
// IDs can be steered into one partition; nothing here defends against that.
package partition
