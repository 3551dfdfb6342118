"""The workflow on a real one-node SLURM cluster (scripts/slurm-up.sh) with
profiles/slurm: every compute job goes through sbatch, a distillation that
SLURM preempts (requeues) resumes from its checkpoint, and the tables equal
those of a local run of the same config.

Skipped where the cluster cannot start (not root, no apt-get, daemons fail);
with DDLAWS_REQUIRE_SLURM=1 (as in CI) that is a failure instead."""

import copy
import os
import re
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT
from workflow_runner import TINY, snakemake, write_config

pytestmark = pytest.mark.slurm

# DM at two sizes, on the CPU so that both runs compute the same numbers, long
# enough (seconds, a checkpoint every 25 iterations) to be preempted.
CONFIG = {
    **copy.deepcopy(TINY),
    "methods": ["dm"],
    "ipcs": [1, 2],
    "device": "cpu",
    "checkpoint_every": 25,
    "dm": {"iterations": 300, "batch_real": 16, "arch": "convnet", "augment": "none"},
}
# One SLURM job per distill, evaluate and reference job; the download, tables,
# law and figure rules stay local.
EXPECTED_JOBS = {"distill": 2, "evaluate": 2, "reference": 2}

# What the one-node cluster needs besides profiles/slurm: its partition and no
# account (replacing the profile's default-resources), squeue for job states
# (there is no accounting database), polling suited to jobs of seconds, and the
# SLURM logs of successful jobs kept. It has no GPUs, and asks for none: the
# config says device: cpu, from which every compute job's request follows.
# the compute jobs and the tables they make: the law stages are local rules, which the cluster never sees
TABLES = ("results/tables/evaluations.csv", "results/tables/gaps.csv")
ON_LOCAL_CLUSTER = [
    "--workflow-profile", str(ROOT / "profiles" / "slurm"),
    "--default-resources", "slurm_partition=debug",
    "--slurm-status-command", "squeue",
    "--slurm-init-seconds-before-status-checks", "2",
    "--slurm-keep-successful-logs",
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The state directory of a running one-node cluster, with SLURM_CONF set;
    the cluster is stopped after the module, also when starting it failed."""
    state = tmp_path_factory.mktemp("slurm")
    try:
        up = subprocess.run(["bash", ROOT / "scripts" / "slurm-up.sh", state],
                            capture_output=True, text=True, timeout=900)
        if up.returncode != 0:
            reason = f"no local SLURM cluster: {(up.stderr or up.stdout).strip()}"
            if os.environ.get("DDLAWS_REQUIRE_SLURM") == "1":
                pytest.fail(reason)
            pytest.skip(reason)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SLURM_CONF", str(state / "slurm.conf"))
            yield state
    finally:
        subprocess.run(["bash", ROOT / "scripts" / "slurm-down.sh", state], check=True, timeout=120)


def preempt_first_checkpointed_distillation(workdir: Path, stop: threading.Event) -> dict:
    """Wait for a DM checkpoint under ``workdir``, then requeue that job's SLURM
    job as preemption does (``scontrol requeue``: killed, pending, run again)."""
    checkpoints = workdir / "results" / "checkpoints" / "digits" / "dm"
    while not stop.is_set():
        found = sorted(checkpoints.glob("ipc*/seed*.pt"))
        if found:
            ipc, seed = found[0].parent.name[3:], found[0].stem[4:]
            comment = f"rule_distill_wildcards_digits_dm_{ipc}_{seed}"
            running = subprocess.run(["squeue", "--noheader", "--states=RUNNING", "--format=%i %k"],
                                     capture_output=True, text=True, check=True).stdout
            ids = [line.split()[0] for line in running.splitlines() if line.split()[1:] == [comment]]
            if ids:
                subprocess.run(["scontrol", "requeue", ids[0]], check=True)
                # SLURM holds a requeued job for two minutes; here, let it start at once
                for _ in range(100):
                    if subprocess.run(["scontrol", "update", f"JobId={ids[0]}", "StartTime=now"],
                                      capture_output=True).returncode == 0:
                        break
                    time.sleep(0.1)
                return {"job_id": ids[0], "ipc": ipc, "seed": seed}
        time.sleep(0.1)
    return {}


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """The same config run on the cluster, with one DM distillation preempted,
    and locally (at the same time: the local run uses the CPUs while the
    cluster run waits between status checks)."""
    on_slurm, local = tmp_path_factory.mktemp("on_slurm"), tmp_path_factory.mktemp("local")
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=2) as pool:
        local_run = pool.submit(snakemake, local, configfile=write_config(local, CONFIG), targets=TABLES)
        preempted = pool.submit(preempt_first_checkpointed_distillation, on_slurm, stop)
        try:
            slurm_run = snakemake(on_slurm, *ON_LOCAL_CLUSTER, configfile=write_config(on_slurm, CONFIG),
                                  targets=TABLES)
        finally:
            stop.set()
        local_run.result()
    return on_slurm, local, slurm_run.stdout + slurm_run.stderr, preempted.result()


def test_compute_jobs_are_submitted_with_sbatch(runs):
    on_slurm, _, output, _ = runs
    # "Job 3 has been submitted with SLURM jobid 1 (log: .../slurm_logs/rule_distill/<wildcards>/1.log)."
    submitted = re.findall(r"submitted with SLURM jobid (\d+) \(log: (\S+)\)", output)
    logs = {job_id: Path(log) for job_id, log in submitted}
    rules = {job_id: re.search(r"/rule_(\w+)/", str(log)).group(1) for job_id, log in logs.items()}
    assert Counter(rules.values()) == EXPECTED_JOBS, output[-6000:]  # a retried job says why it failed
    for job_id, log in logs.items():
        assert log.is_relative_to(on_slurm / ".snakemake" / "slurm_logs") and log.name == f"{job_id}.log"
        assert f"Finished jobid: 0 (Rule: {rules[job_id]})" in log.read_text()
    # the controller ran them all to completion
    states = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i %T"],
                            capture_output=True, text=True, check=True).stdout
    assert {job_id: "COMPLETED" for job_id in logs} == dict(line.split() for line in states.splitlines())


@pytest.mark.parametrize("table", ["evaluations.csv", "gaps.csv"])
def test_tables_equal_a_local_run(runs, table):
    on_slurm, local, _, _ = runs

    def read(workdir):
        frame = pd.read_csv(workdir / "results" / "tables" / table)
        frame = frame.drop(columns=[c for c in frame.columns if "time" in c])  # wall times differ
        keys = [c for c in ("dataset", "method", "ipc", "seed", "config", "eval_seed") if c in frame]
        return frame.sort_values(keys).reset_index(drop=True)

    expected = read(local)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(read(on_slurm), expected, check_exact=False, rtol=1e-9, atol=1e-12)


def test_a_preempted_distillation_resumes_from_its_checkpoint(runs):
    on_slurm, _, _, preempted = runs
    assert preempted, "no DM distillation was running with a checkpoint to preempt"
    log = on_slurm / "results" / "logs" / "distill" / "digits" / "dm" / f"ipc{preempted['ipc']}" / \
        f"seed{preempted['seed']}.log"
    text = log.read_text()
    resumed = re.search(r"resumed from \S+ at iteration (\d+)", text)
    assert resumed and int(resumed.group(1)) >= 25, text[-3000:]
    assert "job finished" in text
    # the same SLURM job ran again to completion, once
    states = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i %T %r", "--jobs",
                             preempted["job_id"]], capture_output=True, text=True, check=True).stdout
    assert states.split()[1] == "COMPLETED"
