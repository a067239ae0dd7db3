"""Docs cannot drift: command help, the CLI reference and the schema reference are checked."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeline import schemas
from pipeline.cli import docgen, main

REPO = Path(__file__).resolve().parents[1]


def _commands() -> list[tuple[str, click.Command]]:
    out = []
    for path, command in docgen._walk(main, ["mqtriage"]):
        out.append((" ".join(path), command))
    return out


@pytest.mark.parametrize("name,command", _commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help(name: str, command: click.Command) -> None:
    assert command.help or command.short_help, f"{name} has no help text"
    args = name.split()[1:] + ["--help"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


def test_cli_reference_is_current() -> None:
    committed = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == docgen.render(), "docs/cli.md is stale: run `make docs`"


TABLES = {
    "events": schemas.EVENTS,
    "rejects": schemas.REJECTS,
    "channel_status": schemas.CHANNEL_STATUS,
    "classified": schemas.CLASSIFIED,
    "episodes": schemas.EPISODES,
}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_schema_doc_lists_every_column_in_order(table: str) -> None:
    text = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {table}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"docs/schema.md has no section for {table}"
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", match.group(1), flags=re.M)
    expected = [field.name for field in TABLES[table]]
    assert documented == expected, f"docs/schema.md section {table} is out of step with pipeline/schemas.py"


def test_no_machine_paths_in_repository() -> None:
    # built from pieces so this file does not match itself
    forbidden = re.compile("|".join(["/" + "work/", "/" + "root/", "/" + "home/[a-z]"]))
    offenders = []
    for path in REPO.rglob("*"):
        rel = path.relative_to(REPO)
        if rel.parts and rel.parts[0] in {".venv", ".git", "out", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache"}:
            continue
        if not path.is_file() or path.suffix in {".parquet", ".skops", ".gz", ".der", ".png", ".kdb"}:
            continue
        if path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if forbidden.search(text):
            offenders.append(str(rel))
    assert not offenders, f"machine paths written into: {offenders}"


def test_readme_opens_with_the_two_setup_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", readme, flags=re.S)
    assert first_block
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    assert os.path.exists(REPO / ".ci" / "run")
