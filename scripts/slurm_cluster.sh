#!/usr/bin/env bash
# A single-node SLURM cluster on localhost, for testing the Snakemake workflow through the SLURM executor
# (tests/test_workflow_slurm.py). Needs root (Debian: slurm-wlm + munge from apt).
#
#   scripts/slurm_cluster.sh install   # apt-get install slurm-wlm munge (if sbatch is missing)
#   scripts/slurm_cluster.sh start     # munge key, /etc/slurm/slurm.conf, munged + slurmctld + slurmd; waits for the node
#   scripts/slurm_cluster.sh status    # sinfo
#   scripts/slurm_cluster.sh stop      # stops the three daemons it started, removes the config it wrote
#
# Facts this relies on (measured on Debian 12, slurm-wlm 22.05): the job's inner `srun` reads
# /etc/slurm/slurm.conf (it does not see SLURM_CONF), so the config must sit there; no accounting daemon
# (slurmdbd) is started, so `sacct` is disabled and clients must ask `squeue` (the profile's
# slurm-status-command). pmix errors in slurmd.log are harmless. A slurm.conf not written by this script is
# never overwritten or removed.
set -euo pipefail

CONF=/etc/slurm/slurm.conf
MARK="# written by vqsr_cnn scripts/slurm_cluster.sh"
STATE=/var/lib/vqsr-cnn-slurm          # pid files, spool and logs of this cluster
NODE=vqsrnode
PARTITION=${VQSR_SLURM_PARTITION:-debug}

log() { echo "slurm_cluster: $*" >&2; }
die() { log "$*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (it writes /etc/slurm and starts daemons)"; }

install() {
    need_root
    if command -v sbatch >/dev/null && [ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/munged ]; then
        log "slurm-wlm and munge already installed"; return 0
    fi
    command -v apt-get >/dev/null || die "apt-get not found: install slurm-wlm and munge yourself"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq slurm-wlm munge >/dev/null
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
    need_root
    for exe in munged slurmctld slurmd; do [ -x "/usr/sbin/$exe" ] || die "/usr/sbin/$exe missing: run '$0 install'"; done
    if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
        die "$CONF exists and was not written by this script: not touching a real cluster's configuration"
    fi
    mkdir -p "$STATE"/{ctld,spool,log} /etc/slurm /run/munge /var/log/munge /var/lib/munge
    # munge: a 1 KiB key readable only by the munge user, daemon started as that user
    if [ ! -s /etc/munge/munge.key ]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown munge:munge /etc/munge /etc/munge/munge.key /run/munge /var/log/munge /var/lib/munge
    chmod 0700 /etc/munge && chmod 0400 /etc/munge/munge.key
    if ! alive /run/munge/munged.pid; then
        runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
    fi

    local cpus mem host
    cpus=$(nproc)
    mem=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))   # total - 1 GB, in MB
    host=$(hostname -s)
    cat > "$CONF" <<EOF
$MARK
ClusterName=vqsrtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    alive "$STATE/slurmctld.pid" || /usr/sbin/slurmctld -c     # -c: start without old state
    alive "$STATE/slurmd.pid" || /usr/sbin/slurmd -N "$NODE"
    for _ in $(seq 60); do
        if sinfo -h -N -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
            log "up: node $NODE ($cpus CPUs, ${mem} MB) in partition $PARTITION"
            return 0
        fi
        sleep 1
    done
    sinfo -N -l >&2 || true
    tail -20 "$STATE/log/slurmctld.log" "$STATE/log/slurmd.log" >&2 || true
    die "the node did not become idle within 60 s"
}

stop_pid() {  # stop_pid NAME PIDFILE: TERM, wait up to 20 s
    local pid
    alive "$2" || return 0
    pid=$(cat "$2")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || { log "stopped $1"; return 0; }; sleep 0.5; done
    log "$1 (pid $pid) still running after 20 s; sending KILL"
    kill -9 "$pid" 2>/dev/null || true
}

stop() {
    need_root
    stop_pid slurmd "$STATE/slurmd.pid"
    stop_pid slurmctld "$STATE/slurmctld.pid"
    stop_pid munged /run/munge/munged.pid
    if [ -f "$CONF" ] && grep -qF "$MARK" "$CONF"; then rm -f "$CONF"; fi
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status) sinfo -N -l ;;
    *) echo "usage: $0 install|start|status|stop" >&2; exit 2 ;;
esac
