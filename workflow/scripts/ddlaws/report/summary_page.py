"""The boundary stage's work, for the pipeline's boundary job and the laws CLI alike: the utility boundary table
and SUMMARY.md, from the law tables, the gap table and the full-data references.

The references' convergence is checked where they carry learning curves (the
pipeline's do); accuracies measured elsewhere come without, and SUMMARY.md
says so rather than calling them converged. The training images per class,
which mark a k read off a fit as beyond the dataset, come from the references'
``train_per_class`` where given.
"""

from __future__ import annotations

import pandas as pd

from ..laws.boundary import boundary_table
from ..laws.design_limits import design_limits
from ..laws.gaps import has_learning_curves, reference_convergence
from ..laws.planner import per_class_sizes
from ..laws.ranking import mean_ior
from .summary import summary_markdown


def boundary_and_summary(scaling: pd.DataFrame, coverage: pd.DataFrame, required: pd.DataFrame,
                         references: pd.DataFrame, ranking: pd.DataFrame, robustness: pd.DataFrame | None,
                         comparisons: pd.DataFrame, heterogeneity: pd.DataFrame, gaps: pd.DataFrame, tolerance: float,
                         confidence: float, convergence_tolerance: float, prediction: pd.DataFrame | None = None,
                         planner: pd.DataFrame | None = None) -> tuple[pd.DataFrame, str]:
    """(the boundary table, the Markdown of SUMMARY.md)."""
    checked = (reference_convergence(references, convergence_tolerance)
               if has_learning_curves(references) and "train_per_class" in references else None)
    boundary = boundary_table(scaling, required, tolerance, coverage, per_class_sizes(references), planner)
    summary = summary_markdown(boundary, coverage, confidence, checked, mean_ior(ranking), robustness,
                               comparisons=comparisons, heterogeneity=heterogeneity, gaps=gaps,
                               convergence_tolerance=convergence_tolerance, limits=design_limits(gaps),
                               prediction=prediction, planner=planner)
    return boundary, summary
