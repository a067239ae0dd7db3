"""The `mqtriage` command.  Thin: each command parses options, calls one library
function and turns our exceptions into click errors (see docs/cli.md for exit codes).

Exit codes: 0 success; 1 a usage or input/output error (clean message, no traceback);
2 click usage errors; 3 `rules check` / `preflight --fail-on` found problems.
"""

from __future__ import annotations

import click

from pipeline import __version__
from pipeline.cli import classify as _classify
from pipeline.cli import ingest as _ingest
from pipeline.cli import model as _model
from pipeline.cli import preflight as _preflight
from pipeline.cli import query as _query
from pipeline.cli import report as _report
from pipeline.cli import rules as _rules
from pipeline.cli import run as _run
from pipeline.cli import timeline as _timeline


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mqtriage")
def main() -> None:
    """Turn IBM MQ error logs into answers about why channels fail."""


# An explicit registry: one module per stage, each exporting COMMANDS.
for _module in (_ingest, _classify, _model, _timeline, _report, _run, _query, _rules, _preflight):
    for _command in _module.COMMANDS:
        main.add_command(_command)
