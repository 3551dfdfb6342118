"""Δ: the gap between a distilled set and the full training set, per configuration.

Δ(k, a) = err(distilled, a) - err(full data, a), each the mean over eval seeds
(the test-loss gap is recorded beside it). Its variance, for weighted fits, is
var(err)/n + var(err_ref)/n_ref. Each row carries its set's label regime
(``hard`` or ``soft``), which the laws keep beside every fit.
"""

from __future__ import annotations

import pandas as pd

from ..data.catalog import DATASETS
from ..plan.budget import converged

KEYS = ["dataset", "method", "ipc", "seed", "config"]


def gap_columns(gap: str) -> tuple[str, str]:
    """The Δ column and its variance column for ``laws.gap`` (error or loss)."""
    name = "err" if gap == "error" else "loss"
    return f"delta_{name}", f"delta_{name}_var"


def gap_table(evaluations: pd.DataFrame, references: pd.DataFrame) -> pd.DataFrame:
    ev = evaluations.assign(err=1.0 - evaluations["test_acc"])
    ref = references.assign(err=1.0 - references["test_acc"])
    dist = ev.groupby(KEYS + ["label_regime"]).agg(
        err=("err", "mean"), err_var=("err", "var"), loss=("test_loss", "mean"), loss_var=("test_loss", "var"),
        n_eval=("err", "size")).reset_index()
    full = ref.groupby(["dataset", "config"]).agg(ref_err=("err", "mean"), ref_err_var=("err", "var"),
                                                  ref_loss=("test_loss", "mean"), ref_loss_var=("test_loss", "var"),
                                                  n_ref=("err", "size")).reset_index()
    missing = dist.merge(full, on=["dataset", "config"], how="left", indicator=True)
    absent = missing.loc[missing["_merge"] == "left_only", ["dataset", "config"]].drop_duplicates()
    if len(absent):
        raise ValueError(f"no full-data reference for {absent.to_dict('records')}")
    out = missing.drop(columns="_merge")
    out["delta_err"] = out["err"] - out["ref_err"]
    out["delta_loss"] = out["loss"] - out["ref_loss"]
    # with one eval seed the variance is unknown (NaN); weighted fits then fall back to OLS
    out["delta_err_var"] = out["err_var"] / out["n_eval"] + out["ref_err_var"] / out["n_ref"]
    out["delta_loss_var"] = out["loss_var"] / out["n_eval"] + out["ref_loss_var"] / out["n_ref"]
    return out.sort_values(KEYS).reset_index(drop=True)


def convergence(runs: pd.DataFrame, keys: list[str], tolerance: float) -> pd.DataFrame:
    """Per group of ``keys``: the mean test accuracy, its gain over the last quarter of the epochs, converged or not.

    One check for every trained model, references and evaluations alike: a
    group has converged when its mean test accuracy rose by no more than
    ``tolerance`` over the last quarter of its epochs: from the window of
    epochs ending at ``check_epoch`` to the window ending at the last
    (``plan.budget.check_windows``), means over the windows and the eval
    seeds. Where the check cannot be made (a one-epoch run has no earlier
    reading: ``late_gain`` is NaN), the group counts as not converged.
    ``extensions`` (where the runs record it) is how often the evaluate job
    trained the group again for twice the epochs before this verdict.
    """
    out = (runs.groupby(keys, sort=True)
           .agg(epochs=("epochs", "first"), test_acc=("test_acc", "mean"), test_acc_sd=("test_acc", "std"),
                check_epoch=("check_epoch", "first"), check_test_acc=("check_test_acc", "mean"),
                end_test_acc=("end_test_acc", "mean"),
                **({"extensions": ("extensions", "max")} if "extensions" in runs else {}))
           .reset_index())
    out["late_gain"] = out["end_test_acc"] - out["check_test_acc"]
    out["converged"] = converged(out["check_test_acc"], out["end_test_acc"], tolerance)
    out["tolerance"] = tolerance
    return out


CURVE_COLUMNS = ["epochs", "check_epoch", "check_test_acc", "end_test_acc"]


def has_learning_curves(runs: pd.DataFrame) -> bool:
    """Do the runs carry what ``convergence`` reads? The pipeline's do; accuracies measured elsewhere seldom."""
    return set(CURVE_COLUMNS) <= set(runs.columns)


def checked_gap_table(evaluations: pd.DataFrame, references: pd.DataFrame,
                      tolerance: float) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``gap_table`` with each (set, configuration)'s convergence verdict (``late_gain``, ``converged``), and the
    verdicts; where the evaluations carry no learning curves, the gaps alone and None: nothing to check."""
    gaps = gap_table(evaluations, references)
    if not has_learning_curves(evaluations):
        return gaps, None
    verdicts = convergence(evaluations, KEYS, tolerance)
    verdicts = verdicts[KEYS + ["late_gain", "converged"] + (["extensions"] if "extensions" in verdicts else [])]
    return gaps.merge(verdicts, on=KEYS), verdicts


def reference_convergence(references: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """``convergence`` of the full-data references per (dataset, config), with the training images per class."""
    per_class = references.groupby(["dataset", "config"], sort=True)["train_per_class"].first().reset_index()
    return convergence(references, ["dataset", "config"], tolerance).merge(per_class, on=["dataset", "config"])


CHANCE_MARGIN = 0.05


def with_classes(gaps: pd.DataFrame, classes: dict | None = None) -> pd.DataFrame:
    """``gaps`` with each dataset's number of classes (``classes``, else the catalog's; NaN for a dataset
    in neither), the column ``at_chance`` reads chance accuracy from."""
    known = {**{name: DATASETS[name].classes for name in gaps["dataset"].unique() if name in DATASETS},
             **(classes or {})}
    return gaps.assign(classes=gaps["dataset"].map(known))


def at_chance(gaps: pd.DataFrame) -> pd.Series:
    """Per row of a gap table: did the set's models end at chance accuracy (within ``CHANCE_MARGIN``)?

    A model that diverged early (an lr too large for the set's images: DM's
    large-norm images under an MLP with SGD, or MTT's lr learned for another
    network) stops moving at chance and passes the convergence check; its Δ is
    measured, but it tells of the configuration's lr more than of the images.
    The number of classes is the table's ``classes`` (the pipeline's gaps.csv
    has it for every dataset, the config's too), else the catalog's; a row with
    neither, as accuracies measured elsewhere on a dataset of their own, is
    never flagged.
    """
    catalog = with_classes(gaps)["classes"]  # the catalog's, NaN for a dataset not in it
    classes = gaps["classes"].fillna(catalog) if "classes" in gaps else catalog
    return gaps["err"] >= 1.0 - 1.0 / classes - CHANCE_MARGIN  # NaN: never
