"""CLI for the classify stage: ``mqtriage classify OUT [--rules DIR ...] [--no-model]``."""

from __future__ import annotations

import click

from pipeline.cli.options import handle_errors, no_model_option, rules_option

TOP_UNKNOWN = 10


@click.command("classify")
@click.argument("out", type=click.Path(file_okay=False))
@rules_option
@no_model_option
@handle_errors
def classify_command(out: str, rules_dirs: tuple[str, ...], no_model: bool) -> None:
    """Classify OUT/events and OUT/channel_status into OUT/classified.

    Each log entry and status row gets a phase (network, handshake, post_tls, info, other), a
    cause from rules/causes.yaml, the deciding rule (or the fallback model) and typed signals
    (GSKit code, CipherSpecs, DNs, CHLAUTH values, MQRC, address, errno).  Re-running replaces
    the previous output in one step.  See docs/rules.md.
    """
    from pipeline.classify import classify

    result = classify(out, rules_dirs=rules_dirs, use_model=not no_model)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    methods = ", ".join(f"{k} {v}" for k, v in sorted(result.by_method.items()))
    phases = ", ".join(f"{k} {v}" for k, v in sorted(result.by_phase.items()))
    click.echo(f"{result.rows} rows classified ({result.event_rows} log entries, {result.status_rows} status rows)")
    click.echo(f"by method: {methods}")
    click.echo(f"by phase: {phases}")
    unknown = result.by_cause.get("unknown", 0)
    click.echo(f"unknown: {unknown} ({result.unknown_share:.1%})")
    for msg_id, count in list(result.unknown_ids.items())[:TOP_UNKNOWN]:
        click.echo(f"  {msg_id}: {count}")
    click.echo(f"written: {result.out_dir}")


COMMANDS: list[click.Command] = [classify_command]
