"""Shared by the reliability tests: run the CLI (in process or as a subprocess), read datasets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
from click.testing import CliRunner, Result

from pipeline import layout
from pipeline.cli import main

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from pipeline.cli import main; main()"]


def invoke(*args: str) -> Result:
    """``mqtriage ARGS`` in process; exceptions are kept on the result, never swallowed."""
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def spawn(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``mqtriage ARGS`` as a subprocess in its own process group (so a kill reaches its workers)."""
    return subprocess.Popen([*CLI, *args], cwd=REPO, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it already finished: nothing left to kill
    proc.communicate()


def table(out: Path, name: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
    """Committed rows of a dataset (the files a reader would see), as dicts."""
    folder = layout.dataset_dir(out, name)
    if not folder.is_dir():
        return []
    files = sorted(str(p) for p in folder.rglob("*.parquet")
                   if not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts))
    if not files:
        return []
    data = ds.dataset(files, format="parquet").to_table(columns=columns)
    return data.to_pylist()


@contextmanager
def alarm(seconds: int, what: str) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""
    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"{what}: still running after {seconds}s (super-linear or a hang)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
