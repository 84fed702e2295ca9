#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Starts a real one-node Slurm cluster (munged + slurmctld + slurmd) on this
# machine, everything under DIR (default: a new temp dir), for the integration
# tests. Prints `export SLURM_CONF=...` for the caller; stop it with
# stop-local-cluster.sh DIR. Needs root (the daemons and munge key); see
# docs/environment.md "Local Slurm cluster".
set -euo pipefail
dir=${1:-$(mktemp -d /tmp/sprout-slurm.XXXXXX)}
mkdir -p "$dir"/{state,spool,log,run}
dir=$(cd "$dir" && pwd)
host=$(hostname -s)
# At least 4 CPUs, so a 4-rank job (tensor x pipeline parallel tests) fits on
# a 2-core machine: the ranks then share cores, and slurmd is told to trust
# this count (SlurmdParameters=config_overrides) instead of draining the node.
cpus=$(nproc)
[ "$cpus" -ge 4 ] || cpus=4
mem_mib=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))

# munge: a key (once per machine) and a daemon of our own, its socket in $dir.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
mkdir -p "$dir/munge"
chown munge:munge "$dir/munge"
runuser -u munge -- /usr/sbin/munged --force --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/seed"

# Daemon ports below 29500-30499, where the exported script puts the
# rendezvous (29500 + job id % 1000); job ids from a random start, so two
# clusters started at once rarely hand out the same id (and port).
port_base=$(( 20000 + RANDOM % 9000 ))
first_job_id=$(( 1 + RANDOM % 900 ))
cat > "$dir/slurm.conf" <<CONF
ClusterName=sprout-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SlurmctldPort=$port_base
FirstJobId=$first_job_id
SlurmdPort=$(( port_base + 1 ))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
JobRequeue=1
KillWait=30
SchedulerType=sched/backfill
SlurmdParameters=config_overrides
NodeName=$host CPUs=$cpus RealMemory=$mem_mib State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF

export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 50); do
  if sinfo -h -o %T 2>/dev/null | grep -q -E '^(idle|mixed|allocated)'; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "start-local-cluster: the node did not come up; logs in $dir/log" >&2
exit 1
