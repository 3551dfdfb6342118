"""Running the real Snakemake workflow from tests, in a temporary directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT

SNAKEMAKE = [sys.executable, "-m", "snakemake"]

# Small enough for seconds per job on 2 cores, big enough to fit a law.
TINY = {
    "datasets": ["digits"],
    "methods": ["random"],
    "ipcs": [1, 2, 4],
    "seeds": [0],
    "evaluation": {"eval_seeds": [0, 1], "epochs": 8, "min_steps": 0, "extensions": 0,
                   "reference_epochs": 2,
                   "grid": {"arch": ["mlp"], "optimizer": ["sgd", "adam"], "augment": ["none"]}},
    # a fifth of the run's resamples: the law stages' intervals, not their precision, are under test
    "laws": {"resamples": 200},
}


def copy_workflow(dest: Path) -> Path:
    """A copy of the workflow (Snakefile, config, rules, scripts and package) to
    edit in a test; returns its Snakefile. The installed package stays the one
    that plans and runs, unless PYTHONPATH names the copy's ``workflow/scripts``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "config.yaml"):
        shutil.copy(ROOT / name, dest / name)
    for name in ("workflow", "envs"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return dest / "Snakefile"


def write_config(workdir: Path, config: dict, name: str = "test.yaml") -> Path:
    path = workdir / name
    path.write_text(yaml.safe_dump(config))
    return path


def snakemake(workdir: Path, *args: str, configfile: Path | None = None, check: bool = True,
              timeout: int = 900, env: dict | None = None,
              targets: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Snakemake on ``workdir``; ``targets`` (paths under it) first, where no option taking several values
    (``--configfile``, ``--set-resources``) can swallow them."""
    cmd = [*SNAKEMAKE, *targets, "-s", str(ROOT / "Snakefile"), "--directory", str(workdir), "--cores", "2"]
    if configfile is not None:
        cmd += ["--configfile", str(configfile)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    return proc


def planned_jobs(workdir: Path, configfile: Path | None = None, *args: str,
                 targets: tuple[str, ...] = ()) -> list[tuple[str, dict]]:
    """The jobs a dry run schedules: (rule, wildcards) pairs, without the target rule 'all'."""
    return [(rule, wildcards) for rule, wildcards, _ in
            planned_requests(workdir, configfile, *args, targets=targets)]


def planned_requests(workdir: Path, configfile: Path | None = None, *args: str,
                     targets: tuple[str, ...] = ()) -> list[tuple[str, dict, dict]]:
    """The jobs a dry run schedules with what each asks for: (rule, wildcards, resources)
    triples, without the target rule 'all'; resource values as the dry run prints them."""
    proc = snakemake(workdir, "--dry-run", *args, configfile=configfile, targets=targets)
    jobs = []
    for line in (proc.stdout + proc.stderr).splitlines():
        head = re.match(r"^(?:local)?(?:rule|checkpoint) (\w+):", line)
        if head:
            jobs.append((head.group(1), {}, {}))
            continue
        found = re.match(r"^\s+(wildcards|resources): (.*)$", line)
        if found and jobs:
            fields = dict(item.split("=", 1) for item in found.group(2).split(", "))
            jobs[-1][1 if found.group(1) == "wildcards" else 2].update(fields)
    return [job for job in jobs if job[0] != "all"]
