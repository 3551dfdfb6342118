"""``ddlaws-laws`` (and ``python -m ddlaws.laws``): the laws fitted to a table of accuracies measured anywhere.

Accuracies from one's own evaluation code, from DD-Ranking or from a
published table (``laws.accuracies`` reads and checks them) go through the
functions the pipeline's law, boundary and figure stages call, in the order
its rules run them, with the same settings (``laws:`` in config.yaml, whose
defaults are the options' defaults): the same tables, intervals, figures and
SUMMARY.md, under ``--out`` in the pipeline's ``results/`` layout. The
robustness table is left out: which configurations a pool variant distilled
against is part of a pipeline's config, not of a table of accuracies.

It lives in the report stage, the top of the package, because it runs every
stage below it; it imports no torch. Bad input exits with status 2 and one line
naming the column or row; what the table's design cannot fit is printed, as
SUMMARY.md says it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from ..atomic import save_figure, write_csv, write_text
from ..laws.accuracies import REFERENCE_METHOD, BadAccuracies, loss_measured, read_accuracies
from ..laws.comparisons import comparisons_table
from ..laws.design_limits import design_limits
from ..laws.gaps import checked_gap_table, with_classes
from ..laws.heterogeneity import heterogeneity_table
from ..laws.planner import per_class_sizes, planner_table
from ..laws.prediction import prediction_table
from ..laws.ranking import ranking_table
from ..laws.required_size import coverage_tables
from ..laws.scaling_fit import scaling_table
from ..runtime import job_log
from .law_pages import coverage_page, scaling_page
from .plots import comparisons_figure, coverage_figure, prediction_figure, scaling_figure
from .summary import findings_rst, limits_lines
from .summary_page import boundary_and_summary


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="ddlaws-laws", description="Fit the scaling and coverage laws of dataset distillation to a CSV of "
        "test accuracies (README: 'Fitting the laws to your own accuracies').")
    cli.add_argument("accuracies", type=Path, help="CSV: dataset, method, ipc, config, eval_seed, test_acc (or "
                     "test_acc_mean, test_acc_sd, n); seed, label_regime, test_loss optional")
    cli.add_argument("--references", type=Path, help="CSV of the full-data references: dataset, config and the same "
                     f"accuracy columns (else rows of the accuracies whose method is {REFERENCE_METHOD!r})")
    cli.add_argument("--out", type=Path, default=Path("laws_out"), help="output folder (default: laws_out)")
    cli.add_argument("--percent", action="store_true", help="the accuracies are on 0–100, not 0–1")
    cli.add_argument("--no-figures", dest="figures", action="store_false",
                     help="tables and SUMMARY.md only: drawing the figures takes most of the time")
    laws = cli.add_argument_group("the law settings, as `laws:` in config.yaml")
    laws.add_argument("--gap", choices=["error", "loss"], default="error")
    laws.add_argument("--estimator", choices=["ols", "wls"], default="ols")
    laws.add_argument("--confidence", type=float, default=0.95)
    laws.add_argument("--subsets", type=int, default=200)
    laws.add_argument("--subset-seed", type=int, default=0)
    laws.add_argument("--statistic", choices=["max", "mean"], default="max")
    laws.add_argument("--x-form", choices=["log", "log1p"], default="log")
    laws.add_argument("--target-gap", type=float, default=0.05)
    laws.add_argument("--tolerance", type=float, default=0.01)
    laws.add_argument("--resamples", type=int, default=1000)
    laws.add_argument("--bootstrap-seed", type=int, default=0)
    laws.add_argument("--entropy-radius", type=float, default=0.3)
    laws.add_argument("--plan-targets", type=float, nargs="+", default=[0.05, 0.02], metavar="GAP",
                      help="plan.targets: the worst-case gaps the size planner finds a k for")
    laws.add_argument("--plan-family", nargs="+", default=["all"], metavar="CONFIG",
                      help="plan.family: all, or the configurations the planner's worst case runs over")
    laws.add_argument("--convergence-tolerance", type=float, default=0.005,
                      help="evaluation.convergence_tolerance, where the rows carry learning curves")
    return cli


def write_laws(gaps: pd.DataFrame, references: pd.DataFrame, s: argparse.Namespace, out: Path) -> str:
    """Every table, page and figure of the law, boundary and figure stages from a gap table; SUMMARY.md's text."""
    tables, laws, figures = out / "tables", out / "laws", out / "figures"
    write_csv(gaps, tables / "gaps.csv")
    write_csv(references, tables / "references.csv")
    # the stages read gaps.csv: fitting what was written, as they do, gives their numbers to the last digit
    gaps = pd.read_csv(tables / "gaps.csv")
    ranking = ranking_table(gaps, s.gap)
    write_csv(ranking, tables / "ranking.csv")
    scaling = scaling_table(gaps, s.gap, s.estimator, s.confidence, s.resamples, s.bootstrap_seed)
    write_csv(scaling, laws / "scaling.csv")
    write_text(laws / "scaling.md", scaling_page(scaling, s.gap, s.confidence, s.resamples))
    coverage, points, cloud, required = coverage_tables(gaps, s.gap, s.subsets, s.subset_seed, s.statistic, s.x_form,
                                                        s.target_gap, s.confidence, s.resamples, s.bootstrap_seed,
                                                        s.entropy_radius)
    for name, table in (("coverage", coverage), ("coverage_points", points), ("coverage_subsets", cloud),
                        ("required_size", required)):
        write_csv(table, laws / f"{name}.csv")
    write_text(laws / "coverage.md", coverage_page(coverage, required, s.gap, s.statistic, s.subsets, s.x_form,
                                                   s.target_gap, s.confidence))
    comparisons = comparisons_table(gaps, s.gap, s.subsets, s.subset_seed, s.statistic, s.x_form, s.confidence,
                                    s.resamples, s.bootstrap_seed)
    heterogeneity = heterogeneity_table(gaps, s.gap, s.confidence, s.resamples, s.bootstrap_seed)
    write_csv(comparisons, laws / "comparisons.csv")
    write_csv(heterogeneity, laws / "heterogeneity.csv")
    prediction = prediction_table(gaps, s.gap, s.subsets, s.subset_seed, s.statistic, s.x_form, s.confidence,
                                  s.resamples, s.bootstrap_seed)
    family = "all" if s.plan_family == ["all"] else s.plan_family
    planner = planner_table(gaps, s.plan_targets, family, per_class_sizes(references), s.gap, s.statistic,
                            s.confidence, s.resamples, s.bootstrap_seed)
    write_csv(prediction, laws / "prediction.csv")
    write_csv(planner, laws / "planner.csv")
    boundary, summary = boundary_and_summary(scaling, coverage, required, references, ranking, None, comparisons,
                                             heterogeneity, gaps, s.tolerance, s.confidence, s.convergence_tolerance,
                                             prediction, planner)
    write_csv(boundary, laws / "boundary.csv")
    write_text(laws / "findings.rst", findings_rst(summary))
    write_text(out / "SUMMARY.md", summary)
    if s.figures:
        for name, figure in (("scaling_law", scaling_figure(gaps, scaling, s.gap)),
                             ("coverage_law", coverage_figure(cloud, points, coverage)),
                             ("comparisons", comparisons_figure(comparisons)),
                             ("prediction", prediction_figure(prediction))):
            save_figure(figure, figures / f"{name}.png", figures / f"{name}.pdf")
    return summary


def main(argv: list[str] | None = None) -> int:
    s = parser().parse_args(argv)
    try:
        evaluations, references = read_accuracies(s.accuracies, s.references, s.percent)
        if s.gap == "loss" and not loss_measured(evaluations, references):
            raise BadAccuracies("--gap loss: not every row gives a test_loss (or test_loss_mean), so only the "
                                "error gap can be fitted; drop --gap loss")
        gaps = with_classes(checked_gap_table(evaluations, references, s.convergence_tolerance)[0])
    except BadAccuracies as err:
        print(f"ddlaws-laws: {err}", file=sys.stderr)
        return 2
    with job_log(s.out / "ddlaws-laws.log"):
        write_laws(gaps, references, s, s.out)
    print(f"ddlaws-laws: {len(evaluations)} evaluations of {gaps['method'].nunique()} method(s) on "
          f"{gaps['dataset'].nunique()} dataset(s); laws, {'figures ' * s.figures}and SUMMARY.md in {s.out}/")
    if not loss_measured(evaluations, references):
        print("No test loss given: only the error gap can be fitted.")
    print("\n".join(limits_lines(design_limits(gaps))), end="")
    return 0
