"""A table of accuracies measured anywhere, read for the laws CLI: its checks, and a mean ± sd made eval seeds.

A row gives one evaluation, in one of two forms (one per file):

* per eval seed: ``dataset, method, ipc, config, eval_seed, test_acc`` (and
  ``test_loss``), as the pipeline's evaluations.csv does;
* per cell: ``test_acc_mean, test_acc_sd, n`` in place of ``eval_seed`` and
  ``test_acc`` (``test_loss_mean``, ``test_loss_sd`` optional), as published
  tables print them.

``seed`` (which distilled set, default 0) and ``label_regime`` (default
``hard``) are optional. The full-data references come from a second file
(``dataset, config`` and the same accuracy columns) or from rows whose method is
``REFERENCE_METHOD``, whose ``ipc`` is left empty. Accuracies are on 0–1, or on
0–100 with ``percent``; other columns (the pipeline's learning curves) pass
through.

Every check raises ``BadAccuracies`` naming the file, the column and the line,
where the user will fix it: a fit on a table with a wrong scale, a duplicate or
a missing reference runs, and answers a different question.

A mean ± sd over n becomes n pseudo-observations with exactly that mean and
sample sd. The gap table keeps of a cell's evaluations only their mean, their
variance (ddof 1) and their count (``gaps.gap_table``), and those are all the
eval-seed bootstrap reads (``bootstrap.eval_seed_replicates``): it sees the
stated spread as it would the n seeds themselves. An sd needs n ≥ 2; n = 1
with no sd is a single evaluation, which carries no interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REFERENCE_METHOD = "full_data"
KEY_COLUMNS = ["dataset", "method", "ipc", "config"]
SEED_FORM = ["eval_seed", "test_acc"]
MEAN_FORM = ["test_acc_mean", "test_acc_sd", "n"]
ACCURACIES = ["test_acc", "test_acc_mean", "test_acc_sd"]
DEFAULTS = {"seed": 0, "label_regime": "hard"}


class BadAccuracies(ValueError):
    """A table of accuracies the laws cannot be fitted to; the message names the column or the line."""


def _lines(frame: pd.DataFrame, mask) -> str:
    """The file lines of the rows under ``mask`` (the header is line 1; a mean ± sd's n rows are its one line)."""
    lines = [str(i) for i in pd.unique(frame.index[np.asarray(mask, dtype=bool)] + 2)]
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(lines[:5]) + (", …" if len(lines) > 5 else "")


def _require(frame: pd.DataFrame, columns: list[str], name: str, why: str = "") -> None:
    for column in columns:
        if column not in frame:
            raise BadAccuracies(f"{name}: no column {column!r}{why} (it has {', '.join(map(str, frame.columns))})")
        empty = frame[column].isna()
        if empty.any():
            raise BadAccuracies(f"{name}: column {column!r} is empty at {_lines(frame, empty)}")


def _numbers(frame: pd.DataFrame, column: str, name: str, whole: bool = False, least: float | None = None):
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if whole:
        bad |= values.notna() & (values != values.round())
    if least is not None:
        bad |= values < least
    if bad.any():
        kind = "a whole number" if whole else "a number"
        floor = f" ≥ {least:g}" if least is not None else ""
        raise BadAccuracies(f"{name}: column {column!r} must hold {kind}{floor}, not "
                            f"{frame[column][bad].iloc[0]!r} ({_lines(frame, bad)})")
    return values.astype("int64") if whole and values.notna().all() else values


def _on_unit_scale(frame: pd.DataFrame, name: str, percent: bool) -> pd.DataFrame:
    """The accuracy columns on 0–1; a table on the other scale than declared is refused, naming the scale."""
    frame = frame.copy()
    for column in [c for c in ACCURACIES if c in frame]:
        values = _numbers(frame, column, name)
        top = float(values.max())
        high = values > (100 if percent else 1)
        if (values < 0).any() or (percent and high.any()):
            where = (values < 0) | high
            raise BadAccuracies(f"{name}: column {column!r} holds {values[where].iloc[0]:g} ({_lines(frame, where)}), "
                                f"outside {'0–100' if percent else '0–1'}")
        if not percent and high.any():
            raise BadAccuracies(f"{name}: column {column!r} runs up to {top:g} ({_lines(frame, high)}): accuracies on "
                                "the 0–100 scale, where 0–1 is expected; pass --percent, or divide them by 100")
        if percent and column != "test_acc_sd" and top <= 1:
            raise BadAccuracies(f"{name}: column {column!r} lies within 0–1 (at most {top:g}), where --percent "
                                "expects 0–100: these accuracies are on the 0–1 scale already; drop --percent")
        frame[column] = values / 100 if percent else values
    return frame


def pseudo_observations(mean: float, sd: float, n: int) -> np.ndarray:
    """n values whose mean is ``mean`` and whose sample sd (ddof 1) is ``sd``, evenly spaced about the mean."""
    if n == 1:
        return np.array([mean])
    z = np.arange(n) - (n - 1) / 2
    return mean + sd * z / z.std(ddof=1)


def _expanded(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Rows of the mean form, each as n rows of the per-eval-seed form (``pseudo_observations``)."""
    n = _numbers(frame, "n", name, whole=True, least=1)
    if "test_loss_mean" in frame and "test_loss_sd" not in frame:
        raise BadAccuracies(f"{name}: no column 'test_loss_sd' beside 'test_loss_mean'")
    for column in [c for c in ("test_acc_sd", "test_loss_sd") if c in frame]:
        sd = _numbers(frame, column, name, least=0)
        if (sd.notna() & (n < 2)).any():
            raise BadAccuracies(f"{name}: {column!r} is given where n = 1 ({_lines(frame, sd.notna() & (n < 2))}): "
                                "an sd needs n ≥ 2 evaluations; give their n, or leave the sd empty")
        if (sd.isna() & (n >= 2)).any():
            raise BadAccuracies(f"{name}: {column!r} is empty where n ≥ 2 ({_lines(frame, sd.isna() & (n >= 2))}): "
                                "give the sd of the n evaluations")
    measures = [m for m in ("test_acc", "test_loss") if f"{m}_mean" in frame]
    rows = frame.loc[frame.index.repeat(n)].copy()
    rows["eval_seed"] = rows.groupby(level=0).cumcount()
    for measure in measures:
        mean = _numbers(frame, f"{measure}_mean", name)
        sd = frame.get(f"{measure}_sd", pd.Series(np.nan, frame.index)).astype(float)
        rows[measure] = np.concatenate([pseudo_observations(m, s, k) for m, s, k in zip(mean, sd, n)])
    return rows.drop(columns=[c for c in rows if c.endswith(("_mean", "_sd")) or c == "n"])


def _tidy(frame: pd.DataFrame, name: str, keys: list[str], percent: bool) -> pd.DataFrame:
    """One file's rows in the per-eval-seed form, checked: columns, numbers, scale, duplicates."""
    form = [c for c in (SEED_FORM[1], MEAN_FORM[0]) if c in frame]
    if len(form) == 2:
        raise BadAccuracies(f"{name}: both 'test_acc' and 'test_acc_mean' are given: one form per file, the "
                            "accuracy of each eval seed or the mean, sd and n of each cell")
    summary = form == ["test_acc_mean"]
    why = "" if form else " (or test_acc_mean, test_acc_sd and n, in place of eval_seed and test_acc)"
    _require(frame, keys + (["test_acc_mean", "n"] if summary else SEED_FORM), name, why)
    if "test_acc_sd" not in frame and summary:
        raise BadAccuracies(f"{name}: no column 'test_acc_sd' beside 'test_acc_mean' (leave it empty where n = 1)")
    frame = _on_unit_scale(frame, name, percent)
    if not summary:
        frame["eval_seed"] = _numbers(frame, "eval_seed", name, whole=True)
    twice = frame.duplicated(keys if summary else keys + ["eval_seed"], keep=False)
    if twice.any():
        first = frame[twice].iloc[0]
        cell = ", ".join(f"{c} {first[c]}" for c in keys + ([] if summary else ["eval_seed"]))
        raise BadAccuracies(f"{name}: duplicate rows at {_lines(frame, twice)}: two evaluations of {cell}")
    frame = _expanded(frame, name) if summary else frame
    return frame.assign(**{"test_loss": frame.get("test_loss", np.nan)})


def _evaluations(table: pd.DataFrame, name: str, percent: bool) -> pd.DataFrame:
    if not len(table):
        raise BadAccuracies(f"{name}: no rows of distilled sets, only full-data references")
    table = table.assign(**{c: table.get(c, default) for c, default in DEFAULTS.items()})
    table = table.fillna(DEFAULTS)
    _require(table, KEY_COLUMNS, name)
    table["ipc"] = _numbers(table, "ipc", name, whole=True, least=1)
    table["seed"] = _numbers(table, "seed", name, whole=True)
    evaluations = _tidy(table, name, KEY_COLUMNS + ["seed"], percent)
    levels = evaluations.groupby(["dataset", "method"])["ipc"].nunique()
    for (dataset, method), count in levels[levels < 2].items():
        only = evaluations.loc[(evaluations["dataset"] == dataset) & (evaluations["method"] == method), "ipc"]
        raise BadAccuracies(f"{name}: method {method!r} on {dataset!r} has a single k ({only.iloc[0]}): a scaling "
                            "law needs two or more k per method")
    return evaluations


def read_accuracies(path, references_path=None, percent: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(evaluations, references) in the pipeline's per-eval-seed form, from a table of accuracies and, where
    given, a table of full-data references; checked as the module says."""
    name = str(path)
    table = _read(path)
    _require(table, ["method"], name)
    own = table["method"] == REFERENCE_METHOD
    references = [_tidy(table[own].drop(columns=["method", "ipc", "seed"], errors="ignore"), name,
                        ["dataset", "config"], percent)] if own.any() else []
    if references_path is not None:
        references.append(_tidy(_read(references_path), str(references_path), ["dataset", "config"], percent))
    evaluations = _evaluations(table[~own], name, percent)
    if not references:
        raise BadAccuracies(f"{name}: no full-data references: give them with --references, or as rows whose "
                            f"method is {REFERENCE_METHOD!r}")
    references = pd.concat(references, ignore_index=True)
    twice = references.duplicated(["dataset", "config", "eval_seed"], keep=False)
    if twice.any():
        first = references[twice].iloc[0]
        raise BadAccuracies(f"the references give {first['dataset']}/{first['config']} eval seed "
                            f"{first['eval_seed']} twice (in {name} and in {references_path}?)")
    known = set(references[["dataset", "config"]].itertuples(index=False, name=None))
    missing = [cell not in known for cell in evaluations[["dataset", "config"]].itertuples(index=False, name=None)]
    if any(missing):
        first = evaluations[missing].iloc[0]
        raise BadAccuracies(f"{name}: configuration {first['config']!r} of dataset {first['dataset']!r} "
                            f"({_lines(evaluations, missing)}) has no full-data reference: give it in --references "
                            f"or as rows whose method is {REFERENCE_METHOD!r}")
    return evaluations.reset_index(drop=True), references


def _read(path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, skipinitialspace=True)
    except FileNotFoundError:
        raise BadAccuracies(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise BadAccuracies(f"{path}: not a CSV table ({str(err).splitlines()[0]})") from None


def loss_measured(evaluations: pd.DataFrame, references: pd.DataFrame) -> bool:
    """Does every evaluation and reference give a test loss? Without one only the error gap can be fitted."""
    return bool(evaluations["test_loss"].notna().all() and references["test_loss"].notna().all())
