"""What a run will cost before it is submitted (``make plan``).

Each compute job's work comes from the work model the cluster requests come
from (:mod:`ddlaws.plan.job_resources`), so the plan and the requests cannot
disagree: its device-hours are the work at ``resources.gpu_flops``, and its
requested hours what the jobs ask SLURM for (the factor of safety, the
10-minute floor). The plan counts a run from scratch, each model trained once;
the download, the local table, law and figure jobs (minutes on the submitting
host) and the retraining of unconverged models (a run's own) are left out.
Pure Python, as the rest of the planning.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import job_resources

LARGEST = 5  # jobs listed by name


@dataclass(frozen=True)
class PlannedJob:
    rule: str          # expert, reference, distill or evaluate
    name: str          # its wildcards, as its log names them
    group: str         # the row it counts in: the rule, or the distillation's method
    work: tuple[float, float]  # (FLOPs, optimizer steps)


def _hours(job: PlannedJob, config: dict) -> tuple[float, float]:
    """(expected device-hours, requested hours) of one job."""
    return (job_resources.device_seconds(job.work, config) / 3600,
            job_resources.runtime_minutes(job.work, config) / 60)


def plan_rows(jobs: list[PlannedJob], config: dict) -> list[tuple[str, int, float, float]]:
    """(group, jobs, device-hours, requested hours) per group in first-seen order, then the total."""
    rows: dict[str, list] = {}
    for job in jobs:
        device, requested = _hours(job, config)
        row = rows.setdefault(job.group, [0, 0.0, 0.0])
        row[0] += 1
        row[1] += device
        row[2] += requested
    total = [sum(row[i] for row in rows.values()) for i in range(3)]
    return [(group, *row) for group, row in rows.items()] + [("total", *total)]


def _table(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
    cells = [header, *[tuple(str(c) for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in cells]
    return [lines[0], "  ".join("-" * w for w in widths), *lines[1:]]


def format_plan(jobs: list[PlannedJob], config: dict) -> str:
    """The plan as text: the assumed rate, jobs and hours per rule (distillation per method), the largest jobs."""
    resources = config["resources"]
    rows = plan_rows(jobs, config)
    device_total = rows[-1][2]
    lines = [f"Cost plan: {len(jobs)} compute jobs, {device_total:,.2f} device-hours "
             f"({device_total / 24:,.2f} days on one device)",
             f"FLOP rate assumed: {resources['gpu_flops']:.3g} FLOP/s per job (resources.gpu_flops; `make bench` "
             f"measures it), plus {job_resources.STEP_SECONDS} s per optimizer step, "
             f"times resources.runtime_factor {resources['runtime_factor']:g}",
             "", *_table(("rule", "jobs", "device-hours", "requested hours"),
                         [(group, count, f"{device:,.2f}", f"{requested:,.1f}")
                          for group, count, device, requested in rows]),
             "", f"Largest jobs (of {len(jobs)}):"]
    largest = sorted(jobs, key=lambda job: -_hours(job, config)[0])[:LARGEST]
    lines += _table(("job", "device-hours", "requested hours"),
                    [(f"{job.rule} {job.name}", *(f"{h:,.2f}" for h in _hours(job, config))) for job in largest])
    lines += ["", "Not counted: the download and the local table, law and figure jobs (the submitting host), and",
              "the retraining of a model that fails its convergence check (evaluation.extensions).",
              "Requested hours: what the jobs ask the scheduler for (x "
              f"{job_resources.SAFETY:g} safety, at least {job_resources.MIN_MINUTES} minutes each)."]
    return "\n".join(lines)
