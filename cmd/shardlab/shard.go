package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/shardlab/shardlab/shard"
)

// shardUsage is the --shard flag's help, shared by every command that
// takes it.
const shardUsage = "run only shard K of N (K/N, 1-based), or auto: the index from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or auto/N with JOB_COMPLETION_INDEX; merge the N folders with shardlab merge"

func addShardFlag(f *pflag.FlagSet, p *string) { f.StringVar(p, "shard", "", shardUsage) }

// resolveShard reads --shard (exit 2 on a bad value).
func resolveShard(arg string) (shard.Spec, error) {
	s, err := shard.Resolve(arg, os.Getenv)
	if err != nil {
		return shard.Spec{}, usageError("--shard: %v", err)
	}
	return s, nil
}

// shardSuffix names a shard's default output folder: "-shard2of4".
func shardSuffix(s shard.Spec) string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("-shard%dof%d", s.K, s.N)
}
