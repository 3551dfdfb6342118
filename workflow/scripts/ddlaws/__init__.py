"""ddlaws: the utility boundary of dataset distillation.

The package holds all the logic of the workflow: data, models, the training
engine, the distillation methods, evaluation, law fitting and plotting. Stage
scripts under ``workflow/scripts`` are thin wrappers around it. Importing the
package itself is cheap (no torch), so the Snakefile can use its pure-Python
parts at parse time.
"""

__version__ = "0.1.0"
