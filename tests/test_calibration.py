"""Calibration: over many synthetic Δ tables drawn from a known law, each 95 % interval covers the truth 90–99 %.

The tables have the size of the default run: 8 configurations, k = 1, 2, 4, 8,
16, one or two distilled sets per k, 3 eval seeds per trained set and per
reference. Each trained model's test error carries eval-seed noise (sd 0.01);
each distilled set shifts the Δ of every configuration it is evaluated under
by one draw of sd 0.02·k^(−½) (the set effect, as large as the eval-seed noise
of a set's mean at k = 4 and twice it at k = 1), plus a set × configuration
draw of sd 0.005·k^(−½). The truth is the method's, the expected curve over
draws of the set:

* Scaling law, pooled: each configuration has its own floor and coefficient
  around the family's (ε, C), with α shared; the truth is the family's (ε, C, α).
* Scaling law, one configuration: the truth is that configuration's (ε_a, C_a, α).
* The floor of the shape each row chooses (``model_choice``), its resamples
  choosing again: the truth is the law's floor, as the points follow the line.
* Coverage law: one fixed family; the truth is the c of its noise-free Δ.

Fewer replications and resamples than a run uses keep the file near three
minutes: 120 replications of the scaling law and 200 of the coverage law give
a binomial sd of 2 % and 1.5 % at 95 %.
"""

import math

import numpy as np
import pandas as pd
import pytest

from ddlaws.laws.bootstrap import keyed_rng, percentile_interval
from ddlaws.laws.coverage_fit import (coverage_coef_replicates, coverage_law, replicate_matrices, subset_clouds,
                                      subset_means)
from ddlaws.laws.gaps import gap_table
from ddlaws.laws.scaling_fit import POOLED, scaling_table

IPCS = (1, 2, 4, 8, 16)
CONFIGS = 8
EVAL_SEEDS = 3
NOISE = 0.01
SET_EFFECT = 0.02  # sd of a set's shared shift at k = 1, falling as k^(-1/2)
INTERACTION = 0.005  # sd of a set x configuration shift at k = 1
REPLICATIONS = 120  # scaling law
COVERAGE_REPLICATIONS = 200  # the coverage coefficient is cheaper to refit
RESAMPLES = 200


def measured_gaps(rng, floors, slopes, alpha=0.5, base=0.05, sets=1, set_effect=SET_EFFECT,
                  interaction=INTERACTION, others: dict | None = None, curve=None) -> pd.DataFrame:
    """The gap table of one synthetic run: Δ_a(k) = floor_a + slope_a·k^(−α) + the set's effects, through eval seeds.

    ``others`` maps more methods to their (floors, slopes), measured against the same references, as the
    methods of one run are; each method's sets draw their own effects. ``curve`` (k ↦ a number) replaces
    k^(−α), to draw from another shape than the law's.
    """
    laws = {"m": (floors, slopes), **(others or {})}
    shared = {(method, k, s): rng.normal(0, set_effect * k ** -0.5) for method in laws for k in IPCS
              for s in range(sets)}
    evaluations, references = [], []
    for a in range(len(floors)):
        for e, err in enumerate(base + rng.normal(0, NOISE, EVAL_SEEDS)):
            references.append({"dataset": "d", "config": f"c{a}", "eval_seed": e, "test_acc": 1 - err,
                               "test_loss": err})
        for method, (method_floors, method_slopes) in laws.items():
            for k in IPCS:
                for s in range(sets):
                    shape = k ** -alpha if curve is None else curve(k)
                    mean = (base + method_floors[a] + method_slopes[a] * shape + shared[method, k, s]
                            + rng.normal(0, interaction * k ** -0.5))
                    for e, err in enumerate(mean + rng.normal(0, NOISE, EVAL_SEEDS)):
                        evaluations.append({"dataset": "d", "method": method, "label_regime": "hard", "ipc": k,
                                            "seed": s, "config": f"c{a}", "eval_seed": e, "test_acc": 1 - err,
                                            "test_loss": err})
    return gap_table(pd.DataFrame(evaluations), pd.DataFrame(references))


def covered(row, name, truth) -> bool:
    return row[f"{name}_ci_low"] <= truth <= row[f"{name}_ci_high"]


@pytest.mark.parametrize("sets", [1, 2])
def test_scaling_intervals_cover_the_truth(sets):
    rng = np.random.default_rng(2024 + sets)
    eps, c, alpha = 0.03, 0.25, 0.5
    pooled = {"intercept": 0, "slope": 0, "alpha": 0, "floor_chosen": 0}
    single = {"intercept": 0, "slope": 0, "alpha": 0, "floor_chosen": 0}
    n_single = 0
    for r in range(REPLICATIONS):
        floors = eps + rng.normal(0, 0.01, CONFIGS)
        slopes = c + rng.normal(0, 0.05, CONFIGS)
        table = scaling_table(measured_gaps(rng, floors, slopes, alpha, sets=sets), resamples=RESAMPLES, seed=r)
        row = table[table["config"] == POOLED].iloc[0]
        assert row["interval_holds_fixed"] == "nothing"
        for name, truth in (("intercept", eps), ("slope", c), ("alpha", alpha), ("floor_chosen", eps)):
            pooled[name] += covered(row, name, truth)
        for row in table[table["config"] != POOLED].to_dict("records")[:3]:  # three configurations per table
            a = int(row["config"][1:])
            n_single += 1
            for name, truth in (("intercept", floors[a]), ("slope", slopes[a]), ("alpha", alpha),
                                ("floor_chosen", floors[a])):
                single[name] += covered(row, name, truth)
    rates = {f"pooled {k}": v / REPLICATIONS for k, v in pooled.items()}
    rates |= {f"config {k}": v / n_single for k, v in single.items()}
    print(sets, rates)
    # with one set per k the pooled α's interval errs wide: it covered in 99.5 % of 200 replications
    wide = {"pooled alpha"} if sets == 1 else set()
    assert all(0.90 <= rate <= (1.0 if name in wide else 0.99) for name, rate in rates.items()), rates


def noise_free_coefficient(floors, slopes) -> float:
    rows = [{"dataset": "d", "method": "m", "label_regime": "hard", "ipc": k, "seed": 0, "config": f"c{a}",
             "delta_err": floors[a] + slopes[a] / math.sqrt(k)} for a in range(CONFIGS) for k in IPCS]
    return coverage_law(pd.DataFrame(rows), resamples=0)[0].iloc[0]["coverage_coef"]


@pytest.mark.parametrize("sets", [1, 2])
def test_coverage_coefficient_interval_covers_the_truth(sets):
    rng = np.random.default_rng(7)
    scores = rng.normal(size=CONFIGS)  # one fixed family: configurations differ in how fast their gap falls
    floors, slopes = np.full(CONFIGS, 0.03), 0.25 + 0.08 * scores
    truth = noise_free_coefficient(floors, slopes)
    hits = 0
    for r in range(COVERAGE_REPLICATIONS):
        gaps = measured_gaps(rng, floors, slopes, sets=sets)
        fit = coverage_law(gaps, resamples=RESAMPLES, bootstrap_seed=r)[0].iloc[0]
        hits += covered(fit, "coverage_coef", truth)
    print({"sets": sets, "coverage_coef": hits / COVERAGE_REPLICATIONS, "truth": truth})
    assert 0.90 <= hits / COVERAGE_REPLICATIONS <= 0.99


def test_coverage_coefficient_point_lies_inside_its_interval():
    """Near-equal configurations bias the max over subsets upwards: the fit to the measured Δ falls below the
    plain percentile interval of its resamples (as random's 0.0220 against 0.0228–0.0422 did), the
    bias-corrected point and interval do not, and the interval holds the noise-free c."""
    rng = np.random.default_rng(11)
    floors, slopes = np.full(CONFIGS, 0.03), 0.25 + 0.01 * rng.normal(size=CONFIGS)
    truth = noise_free_coefficient(floors, slopes)
    gaps = measured_gaps(np.random.default_rng(1), floors, slopes)
    cloud, matrices, _ = subset_clouds(gaps)
    points = subset_means(cloud)
    matrix, subsets = matrices[("d", "m")]
    family, resampled = replicate_matrices(gaps, "error", matrix, keyed_rng(0, "d/m"), RESAMPLES)
    reps = coverage_coef_replicates(family, subsets, points, "max")
    low, high = percentile_interval(reps, 0.95, resampled.df, resampled.n, resampled)
    fit = coverage_law(gaps, resamples=RESAMPLES)[0].iloc[0]
    assert fit["coverage_coef_raw"] < low  # the shape of the reported example
    assert fit["coverage_coef_ci_low"] <= fit["coverage_coef"] <= fit["coverage_coef_ci_high"]
    assert fit["coverage_coef"] < fit["coverage_coef_raw"]
    assert covered(fit, "coverage_coef", truth)
