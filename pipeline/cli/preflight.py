"""CLI for the preflight stage: thin, all work is in pipeline.preflight."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from pipeline.cli.options import handle_errors, out_option, rules_option


@click.command("preflight")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@out_option()
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Day to judge certificate dates against (YYYY-MM-DD, start of the UTC day). Default: today (UTC).")
@click.option("--expiry-window", type=click.IntRange(min=0), default=30, show_default=True,
              help="Warn about certificates expiring within this many days.")
@click.option("--fail-on", type=click.Choice(["never", "error", "warning"]), default="never", show_default=True,
              help="Exit with code 3 when findings of this severity (or worse) exist.")
@rules_option
@handle_errors
def preflight(paths: tuple[Path, ...], out: str, as_of: dt.datetime | None, expiry_window: int, fail_on: str,
              rules_dirs: tuple[str, ...]) -> None:
    """Predict channel failures from definitions, CHLAUTH rules and certificates.

    PATHS are preflight manifests (preflight.yaml), folders holding one, or folders laid out one
    sub-folder per queue manager (see docs/preflight.md).  Writes OUT/preflight/ (findings,
    certificates, calendar Parquet and renewals.ics).
    """
    day = as_of.date() if as_of else dt.datetime.now(dt.UTC).date()
    from pipeline.preflight import run_preflight  # late: cryptography and the config parsers load only here

    result = run_preflight(list(paths), Path(out), day, expiry_window, tuple(rules_dirs))
    click.echo(f"preflight as of {day}: {len(result.endpoints)} endpoints, {result.pairs} channel pairs, "
               f"{result.errors} errors, {result.warnings} warnings, {len(result.certificates)} certificates")
    for f in result.findings:
        if f.severity == "error":
            click.echo(f"  {f.severity:7} {f.channel:14} {f.qmgr:6} {f.cause:22} {f.detail}")
    click.echo(f"written to {Path(out) / 'preflight'}")
    threshold = {"never": None, "error": ("error",), "warning": ("error", "warning")}[fail_on]
    if threshold and any(f.severity in threshold for f in result.findings):
        raise SystemExit(3)


COMMANDS: list[click.Command] = [preflight]
