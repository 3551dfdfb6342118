"""Planning: what the Snakefile needs at parse time, and nothing heavier.

Config validation, the evaluation family, per-method parameters, job resources
and code provenance. Snakemake imports these modules on the host that parses
the workflow (a cluster login node, and again in every job), so they import no
torch, numpy, statsmodels or seaborn.
"""
