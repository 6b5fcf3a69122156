#!/usr/bin/env bash
# make test-slurm: a one-node Slurm cluster in a temporary folder, then the
# cluster demo (deploy/slurm-demo.sh): a 4-task job array of a quick sweep
# and a check campaign with --shard auto, merged and compared with the
# same work done unsharded.
#
# It installs Debian's slurm-wlm and munge when they are missing (as root,
# with apt-get), runs munged with its own key and socket and slurmctld and
# slurmd as root on loopback ports chosen here, and stops all three
# afterwards whatever happens. Nothing outside the temporary folder is
# configured or changed, apart from the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

need=()
command -v munged >/dev/null || need+=(munge)
for b in slurmctld slurmd sbatch squeue; do
	command -v "$b" >/dev/null || { need+=(slurm-wlm); break; }
done
if ((${#need[@]})); then
	if [[ $(id -u) != 0 ]]; then
		echo "test-slurm: ${need[*]} missing and not root to install them" >&2
		exit 1
	fi
	echo "test-slurm: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=300 update -qq
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [[ $(id -u) != 0 ]]; then
	echo "test-slurm: slurmd must run as root here" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/shardlab-slurm.XXXXXX)
chmod 700 "$tmp"
pids=()
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n ${SLURM_CONF:-} ]]; then
		scancel --quiet --user=root >/dev/null 2>&1 || true
	fi
	# Stop what this script started, newest first, by process id.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill "${pids[i]}" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	if ((rc != 0)); then
		echo "test-slurm: failed (status $rc); daemon logs:" >&2
		tail -n 20 "$tmp"/*.log >&2 2>/dev/null || true
	fi
	if [[ -z ${KEEP_SLURM_TMP:-} ]]; then rm -rf "$tmp"; else echo "test-slurm: kept $tmp" >&2; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Two free loopback ports.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			[[ " ${used:-} " == *" $p "* ]] || { used="${used:-} $p"; echo "$p"; return; }
		fi
	done
}
ctld_port=$(free_port)
used=" $ctld_port"
slurmd_port=$(free_port)

mkdir -p "$tmp/state" "$tmp/spool" "$tmp/work"
dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge.key"
munged --foreground --force --key-file="$tmp/munge.key" --socket="$tmp/munge.sock" \
	--pid-file="$tmp/munged.pid" --seed-file="$tmp/munged.seed" --log-file="$tmp/munged.log" \
	>"$tmp/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -S $tmp/munge.sock ]] && break; sleep 0.1; done
[[ -S $tmp/munge.sock ]] || { echo "test-slurm: munged did not start" >&2; exit 1; }

host=$(hostname -s)
cpus=4 # the demo's four tasks run at once; slurmd takes this from the config
cat >"$tmp/slurm.conf" <<CONF
ClusterName=shardlab
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=600
InactiveLimit=0
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=shardlab Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$tmp/slurm.conf

slurmctld -D -i -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
	[[ $state == idle* ]] && break
	sleep 0.2
done
if [[ ${state:-} != idle* ]]; then
	echo "test-slurm: node not idle (state ${state:-unknown})" >&2
	exit 1
fi
echo "test-slurm: one-node cluster up (slurmctld 127.0.0.1:$ctld_port, slurmd :$slurmd_port, $tmp)"

WORK=$tmp/work REPO=$repo bash "$repo/deploy/slurm-demo.sh"
