"""Stage 4c: gather the per-job rows into the tidy tables and compute Δ; check that every model converged.

A Δ is measured only where both of its models finished training: a reference
still improving makes every Δ of its configuration too small, a distilled set's
model still improving makes its Δ too large. Each (set, configuration)'s
verdict goes into evaluations.csv and gaps.csv (``late_gain``, ``converged``),
and the log names every one that failed, and every negative Δ: a distilled set
beating the full data under a configuration is a sign its reference has not
converged. gaps.csv carries each dataset's number of classes, so that the law
stages tell a model at chance for a dataset of the config too.
"""

import logging

import pandas as pd

from ddlaws.atomic import write_csv
from ddlaws.laws.gaps import KEYS, at_chance, checked_gap_table, reference_convergence, with_classes
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    tolerance = snakemake.params.convergence_tolerance
    evaluations = pd.concat([pd.read_csv(p) for p in snakemake.input.evaluations], ignore_index=True)
    references = pd.concat([pd.read_csv(p) for p in snakemake.input.references], ignore_index=True)
    for ref in reference_convergence(references, tolerance).itertuples():
        if not ref.converged:
            gain = ("too few epochs to check" if pd.isna(ref.late_gain)
                    else f"its test accuracy rose {ref.late_gain:.4f} over the last quarter of its {ref.epochs} epochs")
            logging.warning("the full-data reference %s/%s has not converged (%s); every Δ of this configuration "
                            "is too small. Raise evaluation.reference_epochs.", ref.dataset, ref.config, gain)
    gaps, verdicts = checked_gap_table(evaluations, references, tolerance)
    gaps = with_classes(gaps, dict(snakemake.params.classes))
    for run in verdicts[~verdicts["converged"]].itertuples():
        gain = ("too few epochs to check" if pd.isna(run.late_gain)
                else f"its test accuracy rose {run.late_gain:.4f} over the last quarter of its epochs")
        logging.warning("%s/%s ipc%d seed%d under %s has not converged (%s); its Δ is too large. Raise "
                        "evaluation.epochs or evaluation.min_steps.", run.dataset, run.method, run.ipc, run.seed,
                        run.config, gain)
    for row in gaps[at_chance(gaps)].itertuples():
        logging.warning("%s/%s ipc%d seed%d under %s trained to chance accuracy (test error %.3f): the model "
                        "diverged, and its Δ tells of the configuration's lr more than of the set", row.dataset,
                        row.method, row.ipc, row.seed, row.config, row.err)
    for row in gaps[gaps["delta_err"] < 0].itertuples():
        logging.warning("negative Δ: %s/%s ipc%d seed%d beats the full data under %s (Δ = %.4f), a sign that "
                        "the reference has not converged", row.dataset, row.method, row.ipc, row.seed, row.config,
                        row.delta_err)
    # the verdicts beside each model's row; its extensions are in the row already
    write_csv(evaluations.merge(verdicts[KEYS + ["late_gain", "converged"]], on=KEYS), snakemake.output.evaluations)
    write_csv(references, snakemake.output.references)
    write_csv(gaps, snakemake.output.gaps)
