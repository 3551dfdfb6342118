"""The cost plan (``snakemake plan``) counts the jobs a dry run schedules, and its
requested hours are the runtimes those jobs ask for: the plan and the requests
come from one work model."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from conftest import ROOT
from workflow_runner import planned_requests, snakemake

pytestmark = pytest.mark.workflow

COMPUTE_RULES = ("expert", "reference", "distill", "evaluate")


def plan_rows(output: str) -> dict[str, tuple[int, float, float]]:
    """group -> (jobs, device-hours, requested hours), from the plan's first table."""
    table = output.split("rule ", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    rows = {}
    for line in table:
        *group, jobs, device, requested = line.split()
        rows[" ".join(group)] = (int(jobs), float(device.replace(",", "")), float(requested.replace(",", "")))
    return rows


@pytest.mark.parametrize("preset", [None, "config/paper.yaml", "config/cifar10_one_gpu.yaml"],
                         ids=["default", "paper", "cifar10_one_gpu"])
def test_the_plan_counts_the_dry_runs_jobs_and_their_requests(tmp_path, preset):
    configfile = ROOT / preset if preset else None
    output = snakemake(tmp_path, "--nolock", configfile=configfile, targets=("plan",)).stdout
    rows = plan_rows(output)
    assert re.search(r"FLOP rate assumed: 5e\+12 FLOP/s per job \(resources\.gpu_flops", output)

    jobs, minutes = Counter(), defaultdict(int)
    for rule, _, resources in planned_requests(tmp_path, configfile):
        if rule in COMPUTE_RULES:
            jobs[rule] += 1
            minutes[rule] += int(resources["runtime"])
    by_rule = defaultdict(lambda: [0, 0.0, 0.0])
    for group, row in rows.items():
        if group != "total":
            for i, value in enumerate(row):
                by_rule[group.split()[0]][i] += value
    assert {rule: row[0] for rule, row in by_rule.items()} == dict(jobs)
    for rule in jobs:  # each row rounded to 0.1 h
        assert by_rule[rule][2] == pytest.approx(minutes[rule] / 60, abs=0.05 * len(rows))
    total = rows["total"]
    assert total[0] == sum(jobs.values())
    assert total[1] == pytest.approx(sum(row[1] for row in by_rule.values()), abs=0.01 * len(rows))
    # the requests add the factor of safety and the floor to the expected device time
    assert total[2] >= 3 * total[1] - 0.1
    largest = re.search(r"Largest jobs.*?\n.*?\n-+.*?\n(\S+) .*?(\d[\d,.]*)\s+[\d,.]+\n", output, re.S)
    assert largest.group(1) in jobs
    assert float(largest.group(2).replace(",", "")) <= max(row[1] for row in by_rule.values())
    if preset == "config/cifar10_one_gpu.yaml":  # its header states the plan's figure: about a day on one GPU
        stated = re.search(r"puts it at ([\d.]+) device-hours", configfile.read_text())
        assert float(stated.group(1)) == pytest.approx(total[1], abs=0.01) and 12 <= total[1] <= 30
