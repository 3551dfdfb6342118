#!/usr/bin/env bash
# Stop the one-node SLURM cluster that scripts/slurm-up.sh started in DIR:
# cancel its jobs, then end slurmd, slurmctld and munged, each by the pid it
# recorded under DIR, and wait until each has exited; remove the link
# /etc/slurm/slurm.conf to DIR/slurm.conf. DIR itself (logs, state) is kept.
# Running it again, or on a cluster that is not up, is fine.
#
#   scripts/slurm-down.sh [DIR]   DIR defaults to ${TMPDIR:-/tmp}/ddlaws-slurm
set -uo pipefail

DIR=$(realpath -m "${1:-${TMPDIR:-/tmp}/ddlaws-slurm}")
WAIT_S=30  # seconds to wait for jobs to end and for each daemon to exit

# The pid in file $1 when it is a live process named $2, else nothing.
live_pid() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2" ]] && echo "$pid"
}

# True while process $1 exists and is not a zombie waiting to be reaped.
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    [[ ${stat##*) } != Z* ]]
}

# End the daemon named $2 whose pid file is $1: SIGTERM, then SIGKILL if it is
# still there after WAIT_S seconds.
stop() {
    local pid deadline=$((SECONDS + WAIT_S))
    if pid=$(live_pid "$1" "$2"); then
        kill -TERM "$pid"
        while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
        if alive "$pid"; then
            echo "slurm-down: $2 ($pid) ignored SIGTERM for ${WAIT_S}s, killing it" >&2
            kill -KILL "$pid"
            while alive "$pid"; do sleep 0.2; done
        fi
        echo "slurm-down: stopped $2 ($pid)"
    fi
    rm -f "$1"
}

# Jobs still queued or running would outlive slurmd (their slurmstepd keeps
# going), so cancel them while the controller still answers.
if live_pid "$DIR/run/slurmctld.pid" slurmctld >/dev/null; then
    export SLURM_CONF=$DIR/slurm.conf
    scancel --quiet --user="$(id -un)"
    deadline=$((SECONDS + WAIT_S))
    while [[ -n $(squeue --noheader --states=PENDING,RUNNING,COMPLETING 2>/dev/null) ]] && ((SECONDS < deadline)); do
        sleep 0.5
    done
fi

stop "$DIR/run/slurmd.pid" slurmd
stop "$DIR/run/slurmctld.pid" slurmctld
stop "$DIR/munge/munged.pid" munged

# The link slurm-up.sh made from the default configuration path.
if [[ $(readlink /etc/slurm/slurm.conf) == "$DIR/slurm.conf" ]]; then
    rm /etc/slurm/slurm.conf
fi
