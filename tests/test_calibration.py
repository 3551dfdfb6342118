"""Calibration: over many synthetic Δ tables drawn from a known law, each 95 % interval covers the truth 90–99 %.

The tables have the size of the default run: 8 configurations, k = 1, 2, 4, 8,
16, one distilled set per k, 3 eval seeds per trained set and per reference.
Eval-seed noise (sd 0.01) is added to each trained model's test error.

* Scaling law, pooled: each configuration has its own floor and coefficient
  around the family's (ε, C), with α shared; the pooled interval is over
  configurations, so the truth is the family's (ε, C, α).
* Scaling law, one configuration: the truth is that configuration's (ε_a, C_a, α).
* The floor of the shape each row chooses (``model_choice``), its resamples
  choosing again: the truth is the law's floor, as the points follow the line.
* Coverage law: one fixed family; the truth is the c of its noise-free Δ.

A few hundred resamples per replication keep the test near a minute.
"""

import math

import numpy as np
import pandas as pd

from ddlaws.laws.coverage_fit import coverage_law
from ddlaws.laws.gaps import gap_table
from ddlaws.laws.scaling_fit import POOLED, scaling_table

IPCS = (1, 2, 4, 8, 16)
CONFIGS = 8
EVAL_SEEDS = 3
NOISE = 0.01
REPLICATIONS = 200
RESAMPLES = 300


def measured_gaps(rng, floors, slopes, alpha=0.5, base=0.05, others: dict | None = None) -> pd.DataFrame:
    """The gap table of one synthetic run: Δ_a(k) = floor_a + slope_a·k^(−α), measured through eval seeds.

    ``others`` maps more methods to their (floors, slopes), measured against the same references, as the
    methods of one run are.
    """
    laws = {"m": (floors, slopes), **(others or {})}
    evaluations, references = [], []
    for a in range(len(floors)):
        for e, err in enumerate(base + rng.normal(0, NOISE, EVAL_SEEDS)):
            references.append({"dataset": "d", "config": f"c{a}", "eval_seed": e, "test_acc": 1 - err,
                               "test_loss": err})
        for method, (method_floors, method_slopes) in laws.items():
            for k in IPCS:
                for e, err in enumerate(base + method_floors[a] + method_slopes[a] * k ** -alpha
                                        + rng.normal(0, NOISE, EVAL_SEEDS)):
                    evaluations.append({"dataset": "d", "method": method, "label_regime": "hard", "ipc": k,
                                        "seed": 0, "config": f"c{a}", "eval_seed": e, "test_acc": 1 - err,
                                        "test_loss": err})
    return gap_table(pd.DataFrame(evaluations), pd.DataFrame(references))


def covered(row, name, truth) -> bool:
    return row[f"{name}_ci_low"] <= truth <= row[f"{name}_ci_high"]


def test_scaling_intervals_cover_the_truth():
    rng = np.random.default_rng(2024)
    eps, c, alpha = 0.03, 0.25, 0.5
    pooled = {"intercept": 0, "slope": 0, "alpha": 0, "floor_chosen": 0}
    single = {"intercept": 0, "slope": 0, "alpha": 0, "floor_chosen": 0}
    n_single = 0
    for r in range(REPLICATIONS):
        floors = eps + rng.normal(0, 0.01, CONFIGS)
        slopes = c + rng.normal(0, 0.05, CONFIGS)
        table = scaling_table(measured_gaps(rng, floors, slopes, alpha), resamples=RESAMPLES, seed=r)
        row = table[table["config"] == POOLED].iloc[0]
        for name, truth in (("intercept", eps), ("slope", c), ("alpha", alpha), ("floor_chosen", eps)):
            pooled[name] += covered(row, name, truth)
        for row in table[table["config"] != POOLED].to_dict("records")[:2]:  # two configurations per table
            a = int(row["config"][1:])
            n_single += 1
            for name, truth in (("intercept", floors[a]), ("slope", slopes[a]), ("alpha", alpha),
                                ("floor_chosen", floors[a])):
                single[name] += covered(row, name, truth)
    rates = {f"pooled {k}": v / REPLICATIONS for k, v in pooled.items()}
    rates |= {f"config {k}": v / n_single for k, v in single.items()}
    print(rates)
    assert all(0.90 <= rate <= 0.99 for rate in rates.values()), rates


def test_coverage_coefficient_interval_covers_the_truth():
    rng = np.random.default_rng(7)
    scores = rng.normal(size=CONFIGS)  # one fixed family: configurations differ in how fast their gap falls
    floors, slopes = np.full(CONFIGS, 0.03), 0.25 + 0.08 * scores
    truth_rows = [{"dataset": "d", "method": "m", "label_regime": "hard", "ipc": k, "seed": 0, "config": f"c{a}",
                   "delta_err": floors[a] + slopes[a] / math.sqrt(k)} for a in range(CONFIGS) for k in IPCS]
    truth = coverage_law(pd.DataFrame(truth_rows), resamples=0)[0].iloc[0]["coverage_coef"]
    hits = 0
    for r in range(REPLICATIONS):
        fit = coverage_law(measured_gaps(rng, floors, slopes), resamples=RESAMPLES, bootstrap_seed=r)[0].iloc[0]
        hits += covered(fit, "coverage_coef", truth)
    print({"coverage_coef": hits / REPLICATIONS, "truth": truth})
    assert 0.90 <= hits / REPLICATIONS <= 0.99
