#!/usr/bin/env bash
# Starts or stops a one-node Slurm cluster (munged, slurmctld, slurmd) on localhost, all state in DIR.
#   tests/slurm/cluster.sh start DIR   # prints "export SLURM_CONF=DIR/slurm.conf" when the node is idle
#   tests/slurm/cluster.sh stop DIR    # stops what start started (by the pids it recorded)
# Needs root and Debian's slurm-wlm and munge. Exit 77 (skip) when they are missing.
set -euo pipefail
cmd=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)

stop() {
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi

for tool in munged slurmctld slurmd sbatch; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not installed (Debian slurm-wlm, munge)" >&2; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIPPED: a local Slurm cluster needs root" >&2; exit 77; }

mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chown munge:munge "$dir/munge" && chmod 700 "$dir/munge"
# munged: its own key and socket under DIR, so nothing of the machine's is touched.
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chown munge:munge "$dir/munge/munge.key" && chmod 400 "$dir/munge/munge.key"
socket=$dir/munge/munge.socket
su -s /bin/sh munge -c "munged --key-file='$dir/munge/munge.key' --socket='$socket' \
  --pid-file='$dir/munge/munged.pid' --seed-file='$dir/munge/seed' --log-file='$dir/munge/munged.log' --force"
for _ in $(seq 50); do [ -f "$dir/munge/munged.pid" ] && break; sleep 0.1; done
cp "$dir/munge/munged.pid" "$dir/munged.pid"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
host=$(hostname -s)
mem=$(( $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) * 9 / 10 ))
sed -e "s#@HOST@#$host#g" -e "s#@DIR@#$dir#g" -e "s#@CPUS@#$(nproc)#" -e "s#@MEMORY@#$mem#" \
    -e "s#@CTLD_PORT@#$(free_port)#" -e "s#@SLURMD_PORT@#$(free_port)#" "$here/slurm.conf.in" >"$dir/slurm.conf"
echo "AuthInfo=socket=$socket" >>"$dir/slurm.conf"
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$SLURM_CONF" -i
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  if sinfo -h -o %t 2>/dev/null | grep -q idle; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "slurm did not come up; logs in $dir" >&2
tail -n 5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop
exit 1
