"""Command line of the reliability helpers.  Thin: each command calls one library function."""

from __future__ import annotations

import json
import sys

import click

from pipeline.reliability import pathological

LOG_MODULES = (
    "pipeline.ingest.textlog", "pipeline.ingest.jsonlog", "pipeline.ingest.exports", "pipeline.ingest.exports_common",
    "pipeline.ingest.exports_table", "pipeline.ingest.exports_mqsc", "pipeline.ingest.exports_events",
    "pipeline.ingest.dates", "pipeline.ingest.slots", "pipeline.classify.signals", "pipeline.classify.engine",
    "pipeline.timeline.builder", "pipeline.timeline.attach", "pipeline.report.escape",
)


@click.group()
def main() -> None:
    """Reliability helpers: pathological-input runs and resource-limit runs."""


@main.command("pathological")
@click.option("--rules", "rules_dirs", multiple=True, help="Extra rules folder to scan as well.")
@click.option("--progress", is_flag=True, help="Name each case on stderr before running it (shows a hang).")
@click.option("--module-size", type=click.IntRange(min=1), default=20_000, show_default=True,
              help="Payload size for module-level patterns.")
@click.option("--skip-modules", is_flag=True, help="Only the parsers and the rule regexes.")
def pathological_command(rules_dirs: tuple[str, ...], progress: bool, module_size: int, skip_modules: bool) -> None:
    """Feed pathological strings to every parser, rule regex and log-facing module regex; print JSON."""
    def say(line: str) -> None:
        if progress:
            click.echo(line, err=True)

    parsers = pathological.run_parser_cases(say)
    say("rules")
    rules = pathological.run_rule_cases(pathological.rule_patterns(rules_dirs), progress=say)
    # Module patterns run on fields the parsers have already cut to size, some with match() at a
    # position rather than search(); searching them over the whole payload is a harsher test, so
    # a smaller size keeps a merely quadratic one measurable instead of endless.
    modules = [] if skip_modules else pathological.run_rule_cases(
        pathological.module_patterns(LOG_MODULES), n=module_size, progress=say)
    json.dump({"parsers": parsers, "rules": rules, "modules": modules}, sys.stdout, indent=1)
    sys.stdout.write("\n")


@main.command("limits")
@click.option("--workdir", type=click.Path(file_okay=False), default=None,
              help="Where to generate inputs and outputs (default: a temporary folder, removed after).")
@click.option("--big-bytes", type=click.IntRange(min=1), default=2 * 1024**3, show_default=True,
              help="Size of the single big log file.")
@click.option("--small-files", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Number of small log files.")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True)
def limits_command(workdir: str | None, big_bytes: int, small_files: int, jobs: int) -> None:
    """Generate a big file and many small files (streaming), ingest each, print time, peak RSS, counts."""
    from pipeline.reliability.limits import run_limits

    for line in run_limits(workdir, big_bytes, small_files, jobs):
        click.echo(json.dumps(line))
