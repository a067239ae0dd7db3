"""CLI for the timeline stage: ``mqtriage timeline OUT [--gap 30m]``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from pipeline.cli.options import handle_errors
from pipeline.errors import InputError


def parse_gap(ctx: click.Context | None, param: click.Parameter | None, value: str) -> timedelta:
    from pipeline.timeline import parse_duration

    try:
        return parse_duration(value)
    except InputError as exc:
        raise click.BadParameter(str(exc)) from exc


gap_option = click.option(
    "--gap", default="30m", show_default=True, callback=parse_gap,
    help="Quiet time after which a channel's failures start a new episode (e.g. 90s, 30m, 2h).",
)


def describe(stats: dict[str, Any]) -> str:
    """One line about a timeline run (shared with `mqtriage run`)."""
    unplaced = sum(group["count"] for group in stats.get("unplaced", []))
    return (
        f"{stats.get('episodes', 0)} episodes from {stats.get('rows', 0)} classified rows; "
        f"{stats.get('attached_by_process', 0)} channel-less entries placed by process, "
        f"{stats.get('attached_by_partner', 0)} by partner address; "
        f"{stats.get('failovers_dropped', 0)} CONNAME failovers ignored; {unplaced} entries name no channel"
    )


@click.command("timeline")
@click.argument("out", type=click.Path(file_okay=False, exists=True))
@gap_option
@click.option("--wait", is_flag=True, help="Wait for another run on OUT to finish instead of refusing.")
@handle_errors
def timeline_command(out: str, gap: timedelta, wait: bool) -> None:
    """Build per-channel failure episodes (both ends paired) from OUT/classified into OUT/episodes."""
    from pipeline.timeline import build_timeline

    result = build_timeline(out, gap=gap, wait=wait)
    click.echo(f"{describe(result.stats)}\nwrote {result.path}")


COMMANDS: list[click.Command] = [timeline_command]
