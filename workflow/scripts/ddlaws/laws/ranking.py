"""The two numbers benchmarks of dataset distillation report, per (dataset, method, k, configuration).

* IOR, the improvement over random selection: acc(method) − acc(random) at the
  same k and configuration (DD-Ranking's "improvement over random"). A method
  that distils is worth running only where IOR > 0.
* Δ, the gap to full data as an accuracy (DD-Ranking's "hard label recovery"
  reads the same): acc(full data) − acc(method).

Accuracies are means over eval seeds and distilled sets. Without random
selection in the run, IOR is not defined and stays NaN.
"""

from __future__ import annotations

import pandas as pd

from .gaps import gap_columns

BASELINE = "random"
KEYS = ["dataset", "method", "ipc", "config"]


def ranking_table(gaps: pd.DataFrame, gap: str = "error") -> pd.DataFrame:
    col, _ = gap_columns(gap)
    table = (gaps.assign(acc=1.0 - gaps["err"], ref_acc=1.0 - gaps["ref_err"])
             .groupby(KEYS, sort=True).agg(acc=("acc", "mean"), ref_acc=("ref_acc", "first"), delta=(col, "mean"),
                                          sets=("seed", "nunique"))
             .reset_index())
    baseline = table[table["method"] == BASELINE][["dataset", "ipc", "config", "acc"]]
    table = table.merge(baseline.rename(columns={"acc": "random_acc"}), on=["dataset", "ipc", "config"], how="left")
    table["ior"] = table["acc"] - table["random_acc"]
    return table[KEYS + ["sets", "acc", "random_acc", "ior", "ref_acc", "delta"]]


def mean_ior(ranking: pd.DataFrame) -> pd.DataFrame:
    """IOR averaged over the family's configurations, per (dataset, method, k), with its range."""
    return (ranking.groupby(["dataset", "method", "ipc"], sort=True)
            .agg(ior=("ior", "mean"), ior_min=("ior", "min"), ior_max=("ior", "max"), configs=("config", "size"))
            .reset_index())
