#!/usr/bin/env bash
# Start a one-node SLURM cluster on this machine, for trying the SLURM profile
# (profiles/slurm) and for the tests: a private munged, slurmctld and slurmd,
# with the configuration, keys, state, logs and pid files all under DIR, and
# /etc/slurm/slurm.conf a link to DIR/slurm.conf while it runs.
#
#   scripts/slurm-up.sh [DIR]     DIR defaults to ${TMPDIR:-/tmp}/ddlaws-slurm
#   scripts/slurm-down.sh [DIR]   stops it again
#
# Needs root (slurmd runs the jobs; SlurmUser is root) and, the first time,
# apt-get: the Debian packages slurm-wlm and munge are installed when missing.
# Running it again while the cluster is up changes nothing.
# Exit status: 0 when the node is idle, 1 when something failed, 2 when this
# machine cannot run it at all (not root, packages unavailable).
set -euo pipefail

DIR=$(realpath -m "${1:-${TMPDIR:-/tmp}/ddlaws-slurm}")
CONF=$DIR/slurm.conf
MUNGE=$DIR/munge
WAIT_S=60  # seconds to wait for each daemon and for the node

# Report and exit; whatever did start is stopped by scripts/slurm-down.sh DIR.
fail() { echo "slurm-up: $1" >&2; exit "${2:-1}"; }

# True when the pid in file $1 is a live process named $2 (a stale pid file
# or a reused pid is not ours).
running() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2" ]]
}

# Wait up to WAIT_S seconds for the command "$@" to succeed.
await() {
    local deadline=$((SECONDS + WAIT_S))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

[[ $(id -u) == 0 ]] || fail "needs root (slurmd starts the jobs)" 2

# --- packages -----------------------------------------------------------------
install_packages() {
    # Keep the packages' init scripts from starting system-wide daemons.
    local policy=/usr/sbin/policy-rc.d own_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
    fi
    local status=0
    { apt-get install -y -q --no-install-recommends slurm-wlm munge ||
        { apt-get update -q && apt-get install -y -q --no-install-recommends slurm-wlm munge; }; } \
        >"$DIR/apt.log" 2>&1 || status=$?
    ((own_policy)) && rm -f "$policy"
    return "$status"
}

mkdir -p "$DIR"
missing=0
for cmd in munged mungekey slurmctld slurmd sbatch sinfo; do
    command -v "$cmd" >/dev/null || missing=1
done
if ((missing)); then
    command -v apt-get >/dev/null || fail "slurm-wlm and munge are not installed and there is no apt-get" 2
    echo "slurm-up: installing slurm-wlm and munge (log: $DIR/apt.log)"
    DEBIAN_FRONTEND=noninteractive install_packages || fail "apt-get could not install slurm-wlm and munge, see $DIR/apt.log" 2
fi

# --- /etc/slurm/slurm.conf: a link to ours ---------------------------------------
# The SLURM executor runs each job through `srun`, from an environment without
# any SLURM_* variable (SLURM_CONF included), so srun reads the default path.
SYSTEM_CONF=/etc/slurm/slurm.conf
if [[ -L $SYSTEM_CONF && $(readlink "$SYSTEM_CONF") != "$CONF" ]]; then
    other=$(dirname "$(readlink "$SYSTEM_CONF")")
    if running "$other/run/slurmctld.pid" slurmctld; then
        fail "another local cluster is up in $other; stop it first: scripts/slurm-down.sh $other"
    fi
elif [[ -e $SYSTEM_CONF && ! -L $SYSTEM_CONF ]]; then
    fail "$SYSTEM_CONF exists: this machine has a SLURM configuration of its own, which jobs would read" 2
fi
mkdir -p /etc/slurm
ln -sfn "$CONF" "$SYSTEM_CONF"

mkdir -p "$DIR/run" "$DIR/log" "$DIR/spool/ctld" "$DIR/spool/d"
install -d -m 700 "$MUNGE"

# --- munge: its own key and socket, so a system munged is never touched ----------
if ! running "$MUNGE/munged.pid" munged; then
    [[ -s $MUNGE/munge.key ]] || mungekey --create --keyfile="$MUNGE/munge.key"
    # --force: run as root, and accept a socket path below a world-writable /tmp.
    munged --force --socket="$MUNGE/munge.socket" --key-file="$MUNGE/munge.key" \
        --pid-file="$MUNGE/munged.pid" --log-file="$MUNGE/munged.log" --seed-file="$MUNGE/munged.seed" ||
        fail "munged did not start, see $MUNGE/munged.log"
fi
check_munge() { munge -n -S "$MUNGE/munge.socket" | unmunge -S "$MUNGE/munge.socket"; }
await check_munge || fail "munge does not answer on $MUNGE/munge.socket, see $MUNGE/munged.log"

# --- slurm.conf: rewritten only while no daemon reads it -------------------------
if ! running "$DIR/run/slurmctld.pid" slurmctld && ! running "$DIR/run/slurmd.pid" slurmd; then
    cpus=$(nproc)
    # 90 % of the memory, leaving the rest to the system and the submitting host
    mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
    cat >"$CONF" <<EOF
# A one-node cluster on localhost, written by scripts/slurm-up.sh.
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE/munge.socket
# no cgroups, no accounting database
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# use the node line below as is, whatever the hardware reports
SlurmdParameters=config_overrides
# finished jobs stay visible to squeue for 10 minutes (status checks need that)
MinJobAge=600
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=$DIR/spool/ctld
SlurmdSpoolDir=$DIR/spool/d
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
NodeName=localhost CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
fi
export SLURM_CONF=$CONF

# --- the daemons ----------------------------------------------------------------
if ! running "$DIR/run/slurmctld.pid" slurmctld; then
    slurmctld -i -f "$CONF" || fail "slurmctld did not start, see $DIR/log/slurmctld.log"
fi
await running "$DIR/run/slurmctld.pid" slurmctld || fail "slurmctld exited, see $DIR/log/slurmctld.log"
if ! running "$DIR/run/slurmd.pid" slurmd; then
    slurmd -f "$CONF" -N localhost || fail "slurmd did not start, see $DIR/log/slurmd.log"
fi
await running "$DIR/run/slurmd.pid" slurmd || fail "slurmd exited, see $DIR/log/slurmd.log"

node_idle() { [[ $(sinfo --noheader --nodes=localhost --format=%t) == idle ]]; }
await node_idle || fail "the node is not idle after ${WAIT_S}s: $(sinfo --noheader --Node --long 2>&1); see $DIR/log/"

cat <<EOF
slurm-up: a one-node SLURM cluster is up: partition debug; configuration, state and logs in $DIR.
Commands find it through /etc/slurm/slurm.conf, or with
  export SLURM_CONF=$CONF
Run the workflow on it (its partition, no account, squeue for job states; with device: auto or cpu
in the config no job asks for a GPU):
  snakemake --workflow-profile profiles/slurm --default-resources slurm_partition=debug \\
      --slurm-status-command squeue
Stop it with
  scripts/slurm-down.sh $DIR
EOF
