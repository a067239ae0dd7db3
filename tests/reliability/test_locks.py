"""One writer per OUT: every command that writes under OUT takes the output lock.

The ingest runner's own tests cover ``ingest``; here the lock is held by the test (as a
concurrent run would hold it) while ``run``, ``classify`` and ``timeline`` are started on the
same OUT.  Each must refuse with a clear message (or wait with --wait), never write beside it.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline import layout
from pipeline.cli import run as run_cli
from pipeline.reliability.corpus import write_hostile_corpus
from pipeline.storage import OutputLock

from .helpers import invoke


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("locks")
    logs = root / "logs"
    write_hostile_corpus(logs, attempts=1)
    out = root / "out"
    result = invoke("run", str(logs), "--out", str(out), "--no-model", "-q")
    assert result.exit_code == 0, result.output
    return logs, out


def _snapshot(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()
            and p.name != layout.LOCK}


def test_run_refuses_while_another_run_holds_out(built: tuple[Path, Path]) -> None:
    logs, out = built
    before = _snapshot(out)
    with OutputLock(out):
        result = invoke("run", str(logs), "--out", str(out), "--no-model", "-q")
    assert result.exit_code == 1
    assert "in use by another mqtriage run" in result.output and "--wait" in result.output
    assert _snapshot(out) == before


def test_run_with_wait_starts_when_the_holder_finishes(built: tuple[Path, Path]) -> None:
    logs, out = built
    lock = OutputLock(out)
    lock.acquire()
    released = threading.Event()

    def release_later() -> None:
        time.sleep(1.0)
        released.set()
        lock.release()

    threading.Thread(target=release_later, daemon=True).start()
    result = invoke("run", str(logs), "--out", str(out), "--no-model", "-q", "--wait")
    assert released.is_set()   # it cannot have finished before the holder let go
    assert result.exit_code == 0, result.output


def test_classify_refuses_while_out_is_locked(built: tuple[Path, Path]) -> None:
    _logs, out = built
    before = _snapshot(out)
    with OutputLock(out):
        result = invoke("classify", str(out), "--no-model")
    assert result.exit_code == 1 and "in use" in result.output
    assert _snapshot(out) == before


def test_timeline_refuses_while_out_is_locked(built: tuple[Path, Path]) -> None:
    _logs, out = built
    before = _snapshot(out)
    with OutputLock(out):
        result = invoke("timeline", str(out))
    assert result.exit_code == 1 and "in use" in result.output
    assert _snapshot(out) == before


def _lock_free_for_another_process(out: Path) -> bool:
    """Ask a separate process (as a concurrent run would) whether it could take OUT's lock now."""
    code = (
        "import fcntl, os, sys\n"
        f"fd = os.open({str(out / layout.LOCK)!r}, os.O_RDWR | os.O_CREAT)\n"
        "try:\n"
        "    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except OSError:\n"
        "    sys.exit(3)\n"
    )
    return subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_run_holds_the_lock_through_every_stage(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    logs, out = built
    # run forks its later stages: the probes write to a file, which the forked child shares
    seen = out.parent / "lock-probes.txt"

    def probe(stage: str) -> None:
        with open(seen, "a", encoding="utf-8") as handle:
            handle.write(f"{stage} {'free' if _lock_free_for_another_process(out) else 'held'}\n")

    import pipeline.classify as classify_mod
    import pipeline.timeline as timeline_mod

    real_classify, real_timeline = classify_mod.classify, timeline_mod.build_timeline

    def classify(*args: Any, **kwargs: Any) -> Any:
        probe("classify")
        return real_classify(*args, **kwargs)

    def build_timeline(*args: Any, **kwargs: Any) -> Any:
        probe("timeline")
        return real_timeline(*args, **kwargs)

    monkeypatch.setattr(classify_mod, "classify", classify)
    monkeypatch.setattr(timeline_mod, "build_timeline", build_timeline)
    run_cli.run_stages([str(logs)], str(out), run_cli.RunOptions(use_model=False))
    assert seen.read_text(encoding="utf-8").split("\n") == ["classify held", "timeline held", ""]
