"""CLI for SQL over the outputs: ``mqtriage query OUT "SQL" [--csv]``."""

from __future__ import annotations

import click

from pipeline.cli.options import handle_errors


@click.command("query")
@click.argument("out", type=click.Path(file_okay=False, exists=True))
@click.argument("sql", required=False)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (all rows) instead of a table.")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True,
              help="Rows shown in table output.")
@handle_errors
def query_command(out: str, sql: str | None, as_csv: bool, limit: int) -> None:
    """Run SQL (DuckDB) over the Parquet tables under OUT.

    Views: events, rejects, channel_status, classified, episodes, preflight - those present.
    Without SQL, lists the views with their row counts and columns.
    """
    from pipeline.query import describe_views, run_query, to_csv, to_text_table

    frame = describe_views(out) if sql is None else run_query(out, sql)
    click.echo(to_csv(frame) if as_csv else to_text_table(frame, limit=limit), nl=False)


COMMANDS: list[click.Command] = [query_command]
