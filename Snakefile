# ddlaws: the utility boundary of dataset distillation.
#
#   download ─┬─> experts (MTT) ─────────┐
#             ├─> full-data references ──┼─> evaluate ─> gaps ─> laws ─> figures, summary
#             └─> distill {method}×{ipc}×{seed} ┘
#
# Run:  snakemake --workflow-profile profiles/default
# The default config is config.yaml; `--configfile my.yaml` overrides some of its keys.

import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config.yaml")


# The report's front page: what is measured, then the findings of SUMMARY.md.
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/experts.smk"
include: "workflow/rules/distill.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/laws.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/plan.smk"


rule all:
    input:
        final_outputs(),
    default_target: True
