"""CLI for the rules: ``mqtriage rules check [DIR]`` and ``mqtriage rules docs --out FILE``."""

from __future__ import annotations

import sys

import click

from pipeline.cli.options import handle_errors

EXIT_PROBLEMS = 3


@click.group("rules")
def rules_group() -> None:
    """Validate rule folders and generate the rules reference."""


@rules_group.command("check")
@click.argument("directory", metavar="[DIR]", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--no-examples", is_flag=True, help="Only validate the files; do not run the rule examples.")
@handle_errors
def check_command(directory: str | None, no_examples: bool) -> None:
    """Validate the bundled rules, or DIR layered over them, and run every rule example.

    Exit 0 when everything is valid, 3 with each problem listed (file, rule id, field).
    """
    from pipeline.rules.check import check_rules

    report = check_rules([directory] if directory else [], run_examples=not no_examples)
    for line in report.problems:
        click.echo(str(line), err=True)
    click.echo(report.summary)
    if report.problems:
        sys.exit(EXIT_PROBLEMS)


@rules_group.command("docs")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False),
              help="Markdown file to write (docs/rules.md).")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Extra rules folder layered over the bundled rules (repeatable).")
@handle_errors
def docs_command(out_file: str, rules_dirs: tuple[str, ...]) -> None:
    """Generate the rules reference (taxonomy, causes, messages, what to do) from the rule files."""
    from pathlib import Path

    from pipeline.rules import load_rules
    from pipeline.rules.docs import render

    text = render(load_rules(rules_dirs))
    Path(out_file).write_text(text, encoding="utf-8")
    click.echo(f"wrote {out_file} ({len(text.splitlines())} lines)")


COMMANDS: list[click.Command] = [rules_group]
