"""Do independent distillations agree within their intervals? The real-data check of the laws' intervals.

A run with three or more distillation seeds (``seeds: [0, 1, 2]``) holds three
independent draws of every distilled set. Each seed's sets are fitted alone,
as a run with one set per k would be, and every pair of seeds is compared:
with calibrated 95 % intervals, |θ_i − θ_j| ≤ 1.96·√(se_i² + se_j²) holds for
about 95 % of pairs, se read off each interval as its width / (2·1.96). Printed
per parameter: the slope C, the exponent α and the floor ε of the scaling law
(per configuration and pooled), and the coverage coefficient c.

    python benchmarks/seed_agreement.py results/tables/gaps.csv
    echo 'seeds: [0, 1, 2]' > seeds.yaml && snakemake --configfile seeds.yaml   # make the table first

(``--config 'seeds=[0,1,2]'`` reads the seeds as strings, which the schema refuses.)
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys

import numpy as np
import pandas as pd
from scipy import stats

from ddlaws.laws.coverage_fit import coverage_law
from ddlaws.laws.scaling_fit import POOLED, scaling_table

# parameter: (table, estimate column, interval prefix)
PARAMETERS = {"C": ("scaling", "slope", "slope"), "alpha": ("scaling", "alpha", "alpha"),
              "floor": ("scaling", "intercept", "intercept"),
              "c": ("coverage", "coverage_coef", "coverage_coef")}


def per_seed_fits(gaps: pd.DataFrame, resamples: int, confidence: float) -> dict[int, dict[str, pd.DataFrame]]:
    """Each seed's scaling and coverage tables, fitted on that seed's sets alone."""
    out = {}
    for seed, frame in gaps.groupby("seed"):
        frame = frame.reset_index(drop=True)
        out[int(seed)] = {"scaling": scaling_table(frame, confidence=confidence, resamples=resamples),
                          "coverage": coverage_law(frame, confidence=confidence, resamples=resamples)[0]}
    return out


def agreement(fits: dict, confidence: float) -> list[tuple]:
    """(parameter, scope, pairs, share agreeing, share of estimates inside the other seed's interval)."""
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    rows = []
    for name, (table, column, prefix) in PARAMETERS.items():
        scopes = {"per configuration": lambda t: t[t["config"] != POOLED], "pooled": lambda t: t[t["config"] == POOLED]}
        for scope, pick in (scopes.items() if table == "scaling" else [("family", lambda t: t)]):
            agree = inside = pairs = 0
            for i, j in itertools.combinations(sorted(fits), 2):
                keys = ["dataset", "method"] + (["config"] if table == "scaling" else [])
                a = pick(fits[i][table]).set_index(keys)
                b = pick(fits[j][table]).set_index(keys)
                for key in a.index.intersection(b.index):
                    ra, rb = a.loc[key], b.loc[key]
                    se = [(r[f"{prefix}_ci_high"] - r[f"{prefix}_ci_low"]) / (2 * z) for r in (ra, rb)]
                    if not all(math.isfinite(v) for v in [*se, ra[column], rb[column]]):
                        continue
                    pairs += 1
                    agree += abs(ra[column] - rb[column]) <= z * math.hypot(*se)
                    inside += (int(rb[f"{prefix}_ci_low"] <= ra[column] <= rb[f"{prefix}_ci_high"])
                               + int(ra[f"{prefix}_ci_low"] <= rb[column] <= ra[f"{prefix}_ci_high"])) / 2
            rows.append((name, scope, pairs, agree / pairs if pairs else np.nan, inside / pairs if pairs else np.nan))
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gaps", nargs="?", default="results/tables/gaps.csv")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--confidence", type=float, default=0.95)
    args = parser.parse_args(argv)
    gaps = pd.read_csv(args.gaps)
    if gaps["seed"].nunique() < 2:
        sys.exit(f"{args.gaps} holds one distillation seed; run with seeds: [0, 1, 2] first")
    rows = agreement(per_seed_fits(gaps, args.resamples, args.confidence), args.confidence)
    print(f"{gaps['seed'].nunique()} seeds; share of pairs with |θ_i − θ_j| ≤ z·√(se_i² + se_j²) "
          f"(calibrated: {args.confidence:.0%}), and of estimates inside the other seed's interval")
    print(f"{'parameter':<10}{'scope':<20}{'pairs':>6}{'agree':>8}{'inside':>8}")
    for name, scope, pairs, agree, inside in rows:
        print(f"{name:<10}{scope:<20}{pairs:>6}{agree:>8.3f}{inside:>8.3f}")


if __name__ == "__main__":
    main()
