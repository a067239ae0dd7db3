"""CLI for the report stage: ``mqtriage report OUT [--html FILE] [--format text|markdown|html]``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from pipeline.cli.options import handle_errors
from pipeline.errors import OutputError


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--qmgr/--channel/--since/--until, shared with `mqtriage run`."""
    for option in reversed([
        click.option("--qmgr", "qmgrs", multiple=True,
                     help="Only episodes on this queue manager or with it as partner (repeatable)."),
        click.option("--channel", "channels", multiple=True,
                     help="Only this channel; shell patterns such as 'QMA.*' allowed (repeatable)."),
        click.option("--since", help="Only episodes still going at or after this UTC time (ISO, e.g. 2026-11-20T08:00)."),
        click.option("--until", help="Only episodes that started at or before this UTC time."),
    ]):
        func = option(func)
    return func


def build_filter(qmgrs: tuple[str, ...], channels: tuple[str, ...], since: str | None, until: str | None) -> Any:
    from pipeline.report import ReportFilter, parse_when

    return ReportFilter(qmgrs=tuple(qmgrs), channels=tuple(channels),
                        since=parse_when(since, "--since"), until=parse_when(until, "--until"))


def write_text(path: str | Path, content: str) -> None:
    """Write a report file whole or not at all."""
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    try:
        if target.parent and not target.parent.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(content, encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write the report ({exc.strerror or exc})") from exc


@click.command("report")
@click.argument("out", type=click.Path(file_okay=False, exists=True))
@click.option("--html", "html_file", type=click.Path(dir_okay=False),
              help="Also write the self-contained HTML report to this file.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]), default="text", show_default=True,
              help="What to print (or write to --output): a terminal summary, Markdown or HTML.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the --format output here instead of stdout.")
@filter_options
@handle_errors
def report_command(out: str, html_file: str | None, fmt: str, output: str | None, qmgrs: tuple[str, ...],
                   channels: tuple[str, ...], since: str | None, until: str | None) -> None:
    """Report the failure episodes under OUT: summary, a timeline per channel, episodes, what to check."""
    from pipeline.report import load_report, render_data

    data = load_report(out, build_filter(qmgrs, channels, since, until))
    if html_file:
        write_text(html_file, render_data(data, "html"))
    content = render_data(data, fmt)
    if output:
        write_text(output, content)
    else:
        click.echo(content, nl=False)
    if html_file:
        click.echo(f"wrote {html_file}", err=True)


COMMANDS: list[click.Command] = [report_command]
