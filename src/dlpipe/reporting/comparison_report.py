"""Render the comparison report (reports/index.html) and its Markdown summary from templates.

The HTML is self-contained: inline CSS, no scripts, no fonts or anything else from the network;
its images are files beside it under reports/, referenced by relative paths. The Jinja2
templates live in templates/ beside this module; HTML is autoescaped, Markdown is not (its table
cells go through the `cell` filter instead).
"""

from __future__ import annotations

import math
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dlpipe.atomic import write_text
from dlpipe.reporting.comparison_data import MLFLOW_UI, Report

TEMPLATES = Path(__file__).with_name("templates")
HTML_TEMPLATE = "report.html"
SUMMARY_TEMPLATE = "summary.md"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        num=number, pvalue=p_value, p_equals=p_equals, duration=duration, cell=markdown_cell
    )
    env.globals.update(mlflow_ui=MLFLOW_UI)
    return env


def render_html(report: Report) -> str:
    return environment().get_template(HTML_TEMPLATE).render(report=report)


def render_summary(report: Report) -> str:
    return environment().get_template(SUMMARY_TEMPLATE).render(report=report)


def write_report(report: Report, html: Path, summary: Path) -> None:
    write_text(html, render_html(report))
    write_text(summary, render_summary(report))


def number(value: float | None, digits: int = 4) -> str:
    """4 significant digits; integers as integers; None or NaN as a dash."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.{digits}g}"


def p_value(value: float | None) -> str:
    """Two significant digits; an underflow to 0 reads as below the smallest double."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "< 1e-300"
    return f"{value:.2g}"


def p_equals(value: float | None) -> str:
    """For prose: `p = 0.23`, `p < 1e-300`."""
    text = p_value(value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def markdown_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no pipes, no line breaks."""
    return str(value).replace("|", "\\|").replace("\n", " ")
