#!/usr/bin/env bash
# Placeholder until the demo lands: a 4-task array that records its env.
set -euo pipefail
cd "$WORK"
job=$(sbatch --parsable --array=0-3 --output="$WORK/task-%a.out" --wrap 'echo $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT')
while [[ -n $(squeue -h -j "$job" 2>/dev/null) ]]; do sleep 0.2; done
cat "$WORK"/task-*.out
