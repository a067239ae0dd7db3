"""CLI for the ingest stage: ``mqtriage ingest PATH... --out OUT``."""

from __future__ import annotations

import click

from pipeline.cli.options import date_order_option, handle_errors, jobs_option, out_option, tz_option
from pipeline.ingest.runner import IngestOptions, ingest

MAX_WARNINGS = 20


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@out_option()
@tz_option
@date_order_option
@click.option(
    "--encoding",
    default="cp1252",
    show_default=True,
    help="Code page for entries that are not valid UTF-8 (per entry).",
)
@jobs_option
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Parse files in a local process pool, or on a Dask cluster (needs the dask extra).",
)
@click.option(
    "--scheduler",
    default="local",
    show_default=True,
    help="Dask scheduler address, or 'local' to start a LocalCluster (with --engine dask).",
)
@click.option("--wait", is_flag=True, help="Wait for another run on OUT to finish instead of refusing.")
@click.option(
    "--include-partial",
    is_flag=True,
    help="Also parse a last entry that has no trailer yet (archived logs cut mid-entry).",
)
@handle_errors
def ingest_command(
    paths: tuple[str, ...],
    out: str,
    tz: str,
    date_order: str,
    encoding: str,
    jobs: int | None,
    engine: str,
    scheduler: str,
    wait: bool,
    include_partial: bool,
) -> None:
    """Read MQ error logs and channel exports under PATH... into Parquet under OUT.

    Files are recognised by content (text, JSON or flattened error logs; CHSTATUS, amqsevt,
    CSV/JSONL last-error exports); .gz files are read transparently.  Runs are incremental:
    re-running reads only what was appended or rotated in.  A mqtriage.tz file in a folder
    names the time zone of the logs below it.  See docs/ingest.md.
    """
    options = IngestOptions(
        tz=tz,
        date_order=date_order,
        encoding=encoding,
        jobs=jobs,
        engine=engine,
        scheduler=scheduler,
        wait=wait,
        include_partial=include_partial,
    )
    result = ingest(list(paths), out, options)
    t = result.totals
    click.echo(
        f"run {result.run_id}: {t['files_read']} files read, {t['files_unchanged']} unchanged, "
        f"{t['files_skipped']} skipped, {t['files_failed']} failed; entries: {t['seen']} seen, "
        f"{t['written']} written, {t['rejected']} rejected, {t['duplicates']} duplicates"
    )
    for line in result.warnings[:MAX_WARNINGS]:
        click.echo(f"warning: {line}", err=True)
    if len(result.warnings) > MAX_WARNINGS:
        click.echo(
            f"warning: ... and {len(result.warnings) - MAX_WARNINGS} more (see {result.manifest_path})",
            err=True,
        )
    click.echo(f"manifest: {result.manifest_path}")


COMMANDS: list[click.Command] = [ingest_command]
