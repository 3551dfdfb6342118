"""Markdown renderings of result tables, for the summary and the report."""

from __future__ import annotations

import math

import pandas as pd


def format_number(value: float, digits: int = 4) -> str:
    """A float for reading: ``digits`` significant figures, – where it is missing."""
    return "–" if math.isnan(value) else f"{value:.{digits}g}"


def _cell(value, digits: int) -> str:
    return format_number(value, digits) if isinstance(value, float) else str(value)


def markdown_table(frame: pd.DataFrame, columns: list[str] | None = None, digits: int = 4) -> str:
    frame = frame[columns] if columns else frame
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v, digits) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"
