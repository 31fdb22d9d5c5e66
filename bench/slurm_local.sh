#!/bin/sh
# A one-node Slurm on this machine, to run `srun luatorch run script.lua` for real.
#
#   bench/slurm_local.sh          install if missing (Debian: slurm-wlm 22.05, munge), write
#                                 /etc/slurm/slurm.conf, start munged, slurmctld and slurmd,
#                                 wait until the node is idle
#   bench/slurm_local.sh stop     stop the three daemons
#   bench/slurm_local.sh status   sinfo
#
# Runs as root. Made for containers: no systemd, no cgroups (proctrack/linuxproc; task/affinity
# binds each task to its CPUs with sched_setaffinity, as a cluster's srun does), one node named
# after this host with the CPUs the machine has; jobs may share them (OverSubscribe=FORCE), and
# srun -O (--overcommit) starts more tasks than CPUs (on one CPU). MpiDefault=none, as Slurm
# ships: Open MPI's ranks need `srun --mpi=pmix`.
# Idempotent: running it again restarts nothing that already answers.
set -eu

CONF=/etc/slurm/slurm.conf
LOGS=/var/log/slurm
HOST=$(hostname -s)
CPUS=$(nproc)

stop() {
    # the jobs first, so that no slurmstepd outlives its slurmd
    if [ -f /run/slurmctld.pid ] && kill -0 "$(cat /run/slurmctld.pid)" 2>/dev/null; then
        scancel --partition=local 2>/dev/null || true
        i=0
        while [ -n "$(squeue -h -p local 2>/dev/null)" ] && [ $i -lt 50 ]; do
            sleep 0.2; i=$((i + 1))
        done
    fi
    for pidfile in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        # only our daemon: the pid file's process, by its id
        kill "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
        # a slurmd waiting on a stuck step ignored SIGTERM here, and the next one then ran
        # beside it
        if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
        rm -f "$pidfile"
    done
    echo "slurm_local: stopped"
}

case "${1:-start}" in
    stop) stop; exit 0 ;;
    status) exec sinfo ;;
    start) ;;
    *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac

PKGS="slurmd slurmctld slurm-client slurm-wlm-basic-plugins munge libpmix2 libpmix-dev"
# shellcheck disable=SC2086
if ! dpkg -s $PKGS >/dev/null 2>&1; then
    apt-get update -qq
    # slurm-wlm-basic-plugins has mpi/pmix (how Open MPI's ranks join an srun step), but
    # does not depend on PMIx: the plugin dlopens pmix2/lib/libpmix.so, the unversioned name
    # that only libpmix-dev installs; without it srun says 'can not load PMIx library'
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKGS
    # a slurmd started before PMIx was there keeps its failed plugin: restart it below
    fresh=1
fi

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd "$LOGS"
cat >"$CONF.new" <<EOF
# written by bench/slurm_local.sh: one node, no cgroups, no accounting
ClusterName=local
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
InactiveLimit=0
KillWait=5
MinJobAge=30
NodeName=$HOST CPUs=$CPUS State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
EOF
if ! cmp -s "$CONF.new" "$CONF" 2>/dev/null; then
    mv "$CONF.new" "$CONF"
    changed=1
else
    rm -f "$CONF.new"
    changed=0
fi

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    mkdir -p /run/munge
    chown munge:munge /run/munge
    chmod 755 /run/munge
    [ -s /etc/munge/munge.key ] || { mungekey --create --keyfile /etc/munge/munge.key; \
        chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
    runuser -u munge -- /usr/sbin/munged
    i=0
    until munge -n 2>/dev/null | unmunge >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -lt 50 ] || { echo "slurm_local: munged did not answer" >&2; exit 1; }
        sleep 0.2
    done
fi

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if { [ "$changed" = 1 ] || [ "${fresh:-0}" = 1 ]; } && alive /run/slurmctld.pid; then
    # a new config: restart so the daemons read it
    stop >/dev/null
    runuser -u munge -- /usr/sbin/munged 2>/dev/null || true
fi
alive /run/slurmctld.pid || slurmctld
alive /run/slurmd.pid || slurmd -N "$HOST"

i=0
while :; do
    state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null || true)
    case "$state" in
        idle*|mixed*|allocated*) break ;;
        down*|drain*) scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true ;;
    esac
    i=$((i + 1))
    if [ $i -ge 60 ]; then
        echo "slurm_local: node $HOST is '$state' after 30 s; see $LOGS/" >&2
        exit 1
    fi
    sleep 0.5
done
echo "slurm_local: node $HOST $state ($CPUS CPUs); srun --mpi=list:"
srun --mpi=list 2>&1 | sed 's/^/  /'
