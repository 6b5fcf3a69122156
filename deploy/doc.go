// Package deploy holds recipes for running shardlab's long jobs as shards
// on a batch engine: a Slurm job array (slurm-array.sbatch), a Kubernetes
// Indexed Job (k8s-indexed-job.yaml) and a CI matrix (ci-matrix.yml), plus
// test-slurm.sh, which runs a real one-node Slurm cluster for
// `make test-slurm`.
//
// The Go code here is only tests: each parses its recipe, expands the
// shard indices the engine would hand out and checks that they resolve
// (through package shard) to shards 1..N exactly once, with a results
// folder of their own. It is not a deployment tool and imports nothing a
// program would link.
package deploy
