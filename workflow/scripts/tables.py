"""Stage 4c: gather the per-job rows into the tidy tables and compute Δ; warn of references still improving."""

import logging

import pandas as pd

from ddlaws.atomic import write_csv
from ddlaws.laws.gaps import gap_table, reference_convergence
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    evaluations = pd.concat([pd.read_csv(p) for p in snakemake.input.evaluations], ignore_index=True)
    references = pd.concat([pd.read_csv(p) for p in snakemake.input.references], ignore_index=True)
    for ref in reference_convergence(references, snakemake.params.reference_tolerance).itertuples():
        if not ref.converged:
            logging.warning("the full-data reference %s/%s is still improving: test accuracy %.4f after %d epochs, "
                            "%.4f after %d; every Δ of this configuration is too small. Raise "
                            "evaluation.reference_epochs.", ref.dataset, ref.config, ref.test_acc, ref.epochs,
                            ref.check_test_acc, ref.check_epoch)
    write_csv(evaluations, snakemake.output.evaluations)
    write_csv(references, snakemake.output.references)
    write_csv(gap_table(evaluations, references), snakemake.output.gaps)
