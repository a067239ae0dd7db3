"""CLI for the report stage (placeholder until the stage lands)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
