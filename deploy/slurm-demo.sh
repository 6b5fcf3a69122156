#!/usr/bin/env bash
# The cluster demo, run by deploy/test-slurm.sh against its one-node
# cluster (SLURM_CONF set): the same quick sweep and check campaign run
# once unsharded and once as a 4-task job array of deploy/slurm-array.sbatch
# (--shard auto), then the shards are merged and compared with the
# unsharded folders. Prints the array's total time and its overhead beyond
# the slowest shard.
set -euo pipefail
: "${WORK:?}" "${REPO:?}"
bin="$REPO/bin/shardlab"
[[ -x $bin ]] || { echo "slurm-demo: $bin missing (make build)" >&2; exit 1; }
cd "$WORK"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

SEED=3
CHECK_FLAGS="--partitions 4 --histories 40 --long 1"

# The unsharded run, for comparison.
t0=$(now)
"$bin" sweep quick --quick --seed "$SEED" --out unsharded/sweep >unsharded-sweep.log 2>&1
# shellcheck disable=SC2086
"$bin" check --registry sharded --seed "$SEED" $CHECK_FLAGS --out unsharded/check >unsharded-check.log
t1=$(now)
echo "slurm-demo: unsharded sweep + campaign on one process: $(secs "$t0" "$t1") s"

# Each task's own time: a wrapper around the binary logs it.
cat >timed-shardlab <<WRAP
#!/usr/bin/env bash
s=\$(date +%s.%N)
"$bin" "\$@"
rc=\$?
echo "\${SLURM_ARRAY_TASK_ID} \$s \$(date +%s.%N) \$rc" >>"$WORK/task-times"
exit \$rc
WRAP
chmod +x timed-shardlab

t0=$(now)
job=$(SHARDLAB="$WORK/timed-shardlab" SWEEP=quick SWEEP_FLAGS=--quick SEED=$SEED RESULTS="$WORK/cluster" \
	CHECK_FLAGS="$CHECK_FLAGS" sbatch --parsable --export=ALL --chdir="$WORK" \
	--output="$WORK/slurm-%A_%a.out" "$REPO/deploy/slurm-array.sbatch")
job=${job%%;*}
deadline=$((SECONDS + 180))
while [[ -n $(squeue -h -j "$job" 2>/dev/null) ]]; do
	if ((SECONDS > deadline)); then
		echo "slurm-demo: job $job still queued or running after 180 s" >&2
		squeue -j "$job" >&2 || true
		exit 1
	fi
	sleep 0.2
done
t_done=$(now)

# Every task completed with status 0.
states=$(scontrol -o show job "$job" | grep -o 'JobState=[A-Z]* .*ExitCode=[0-9:]*' | awk '{print $1, $NF}' | sort | uniq -c)
tasks=$(scontrol -o show job "$job" | grep -c 'ArrayTaskId=')
if [[ $tasks != 4 ]] || scontrol -o show job "$job" | grep -v 'JobState=COMPLETED' | grep -q .; then
	echo "slurm-demo: job $job: $tasks tasks; states:" >&2
	echo "$states" >&2
	tail -n 20 "$WORK"/slurm-*.out >&2 || true
	exit 1
fi

"$bin" merge merged/sweep cluster/sweep-shard-* >/dev/null
"$bin" merge merged/check cluster/check-shard-* >/dev/null
t_merged=$(now)

# The merged folders equal the unsharded ones where the output is
# deterministic: the sweep's run identity and its points in order, the
# campaign's verdict and counts.
fail=0
same() { # what, file a, file b
	if ! diff -u "$2" "$3" >"$WORK/diff.txt"; then
		echo "slurm-demo: merged $1 differs from the unsharded run:" >&2
		cat "$WORK/diff.txt" >&2
		fail=1
	fi
}
cut -d, -f1-11 unsharded/sweep/summary.csv >a.csv
cut -d, -f1-11 merged/sweep/summary.csv >b.csv
same "sweep points (id .. rep)" a.csv b.csv
grep -E '"(fingerprint|seed|kind|name)"' unsharded/sweep/meta.json >a.meta
grep -E '"(fingerprint|seed|kind|name)"' merged/sweep/meta.json >b.meta
same "sweep meta" a.meta b.meta
grep -E '"(registry|partitions|outcome|histories|ops|short|long|seed)"' unsharded/check/check.json >a.check
grep -E '"(registry|partitions|outcome|histories|ops|short|long|seed)"' merged/check/check.json >b.check
same "check verdict and counts" a.check b.check
grep -q '"outcome": "ok"' merged/check/check.json || { echo "slurm-demo: merged campaign is not ok" >&2; fail=1; }
# plan reads the merged sweep as it reads any sweep.
"$bin" plan --results merged/sweep --workload lookup --workers 8 --ops 1000 >plan.txt 2>&1 ||
	{ echo "slurm-demo: plan could not read the merged sweep:" >&2; cat plan.txt >&2; fail=1; }
((fail == 0)) || exit 1

# The slowest shard: the longest task (its sweep and its campaign).
slowest=$(awk '{ t[$1] += $3 - $2 } END { m = 0; for (k in t) if (t[k] > m) m = t[k]; printf "%.2f", m }' task-times)
total=$(secs "$t0" "$t_merged")
echo "slurm-demo: 4-task array: $(grep -c . task-times) commands, all exit 0; merged sweep ($(($(wc -l <merged/sweep/points.jsonl))) points) and campaign equal the unsharded run"
echo "slurm-demo: total $total s (submit to merged: array $(secs "$t0" "$t_done") s + merge $(secs "$t_done" "$t_merged") s); slowest shard $slowest s; overhead beyond the slowest shard $(awk -v a="$total" -v b="$slowest" 'BEGIN { printf "%.2f", a - b }') s"
