#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Stops the cluster started by start-local-cluster.sh DIR: by the pids in its
# pid files, never by process name (other clusters may be running).
set -uo pipefail
dir=${1:?usage: stop-local-cluster.sh DIR}
# Cancel whatever still runs so no job step outlives its cluster.
if [ -s "$dir/run/slurmctld.pid" ]; then
  SLURM_CONF="$dir/slurm.conf" timeout 10 scancel --full --quiet --partition=debug 2>/dev/null || true
  sleep 1
fi
for pidfile in "$dir/run/slurmd.pid" "$dir/run/slurmctld.pid" "$dir/munge/munged.pid"; do
  [ -s "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
done
exit 0
