"""Generate docs/cli.md from the click commands themselves, so the reference cannot drift.

Run: ``python -m pipeline.cli.docgen docs/cli.md`` (``make docs``).  A test fails when the
committed file differs from what this produces.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

HEADER = """# CLI reference

Generated from the commands' own help by `make docs` (`python -m pipeline.cli.docgen docs/cli.md`);
do not edit by hand.

Exit codes: `0` success; `1` an input, output, rule or model error, reported as one clean message
naming the file or place (never a traceback); `2` a usage error (unknown option, missing argument);
`3` a check found problems (`rules check`, `preflight --fail-on`).
"""


def _walk(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found.extend(_walk(command.commands[name], [*path, name]))
    return found


def render(root: click.Command | None = None) -> str:
    if root is None:
        from pipeline.cli import main

        root = main
    parts = [HEADER]
    for path, command in _walk(root, ["mqtriage"]):
        if len(path) == 1:
            continue
        # a fixed width, so the file does not depend on the terminal it was generated in
        ctx = click.Context(
            command,
            info_name=" ".join(path),
            terminal_width=100,
            max_content_width=100,
            help_option_names=root.context_settings.get("help_option_names", ["--help"]),
        )
        help_text = command.get_help(ctx)
        parts.append(f"\n## `{' '.join(path)}`\n\n```text\n{help_text}\n```\n")
    return "".join(parts)


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else Path("docs/cli.md")
    target.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
