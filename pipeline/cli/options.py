"""Options shared by several commands, defined once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from pipeline.errors import MQTriageError


def out_option(required: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--out", "out", required=required, type=click.Path(),
        help="Output folder (datasets are written below it).",
    )


tz_option = click.option(
    "--tz", default="UTC", show_default=True,
    help="IANA zone of header-only timestamps (logs without Time()/ibm_datetime).",
)
date_order_option = click.option(
    "--date-order", type=click.Choice(["auto", "mdy", "dmy"]), default="auto", show_default=True,
    help="Day/month order of ambiguous header dates when a file gives no evidence.",
)
jobs_option = click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None,
    help="Parallel worker processes (default: number of cores).",
)
rules_option = click.option(
    "--rules", "rules_dirs", multiple=True, type=click.Path(exists=True, file_okay=False),
    help="Extra rules folder layered over the bundled rules (repeatable).",
)
no_model_option = click.option("--no-model", is_flag=True, help="Rules only; do not use the fallback model.")


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our exceptions into a clean click error (exit 1), never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MQTriageError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper
