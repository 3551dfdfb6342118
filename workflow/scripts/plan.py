"""`snakemake plan`: the cost of the whole run, printed and kept in its log."""

from pathlib import Path

from ddlaws.plan.cost import format_plan

table = format_plan(snakemake.params.jobs, snakemake.config)
print(table)
Path(snakemake.log[0]).write_text(table + "\n")
