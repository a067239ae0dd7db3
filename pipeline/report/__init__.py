"""Stage 4: the incident report (HTML, Markdown, terminal text) from OUT/episodes.

``render(out, fmt="html", filters=...)`` returns the report as a string; the CLI writes it.
See docs/report.md.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.report.data import ReportData, ReportFilter, load_report, parse_when
from pipeline.report.html import render_html
from pipeline.report.markdown import render_markdown, render_text

FORMATS = ("html", "markdown", "text")

__all__ = ["FORMATS", "ReportData", "ReportFilter", "load_report", "parse_when", "render", "render_data"]


def render_data(data: ReportData, fmt: str = "html") -> str:
    if fmt == "html":
        return render_html(data)
    if fmt == "markdown":
        return render_markdown(data)
    if fmt == "text":
        return render_text(data)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


def render(out: str | Path, fmt: str = "html", filters: ReportFilter | None = None) -> str:
    """The report of the episodes under OUT in one format."""
    return render_data(load_report(out, filters), fmt)
