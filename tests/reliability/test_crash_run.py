"""``mqtriage run`` killed with SIGKILL at random moments, then re-run: the same tables.

The reference is one uninterrupted run.  Each trial starts ``run`` as a subprocess on a fresh
OUT, kills its whole process group after a seeded random delay spread over the reference run's
duration (so kills land in ingest, classify and timeline), re-runs it to the end, and compares
events, channel_status, classified and episodes row for row with the reference.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline import layout
from pipeline.reliability.corpus import stream_entries, write_hostile_corpus

from .helpers import REPO, kill_group, spawn, table

TRIALS = 3
KEYS = {layout.EVENTS: "event_id", layout.CHANNEL_STATUS: "status_id", layout.CLASSIFIED: "event_id",
        layout.EPISODES: "episode_id"}
VOLATILE = {"source_path"}   # the same logs are read from the same place; kept out of the comparison anyway


def _tables(out: Path) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for name, key in KEYS.items():
        rows = [{k: v for k, v in row.items() if k not in VOLATILE} for row in table(out, name)]
        found[name] = sorted(rows, key=lambda r: str(r[key]))
    return found


def _run(logs: Path, out: Path) -> tuple[int, float, bytes]:
    started = time.monotonic()
    proc = spawn("run", str(logs), "--out", str(out), "--no-model", "-q")
    _stdout, stderr = proc.communicate(timeout=120)
    return proc.returncode, time.monotonic() - started, stderr


def test_killed_run_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_hostile_corpus(logs, attempts=2)
    big = logs / "qmbig" / "errors"
    big.mkdir(parents=True)
    with open(big / "AMQERR01.LOG", "w", encoding="utf-8") as handle:
        handle.writelines(stream_entries(1200))
    code, duration, stderr = _run(logs, tmp_path / "reference")
    assert code == 0, stderr.decode(errors="replace")
    reference = _tables(tmp_path / "reference")
    assert all(reference[name] for name in KEYS), "the reference run produced an empty table"

    rng = random.Random(20261120)
    landed = 0
    for trial in range(TRIALS):
        out = tmp_path / f"trial{trial}"
        # spread the kills over the run: early (ingest), middle (classify), late (timeline/report)
        delay = duration * rng.uniform(trial / TRIALS, (trial + 1) / TRIALS) * 0.9
        proc = spawn("run", str(logs), "--out", str(out), "--no-model", "-q")
        time.sleep(delay)
        landed += proc.poll() is None    # still running: the kill interrupts it
        kill_group(proc)
        code, _seconds, stderr = _run(logs, out)
        assert code == 0, f"trial {trial} (kill after {delay:.2f}s): re-run failed: {stderr.decode(errors='replace')}"
        got = _tables(out)
        for name in KEYS:
            assert len(got[name]) == len(reference[name]), f"trial {trial}: {name} row count differs"
            assert got[name] == reference[name], f"trial {trial} (kill after {delay:.2f}s): {name} differs"
        assert not (out / "_staging").exists()
    assert landed >= 2, f"only {landed} of {TRIALS} kills hit a running process"


# A kill at one exact step of classify's replace-by-rename: the old folder has been moved aside,
# the new one not yet moved in.  The child patches Path.rename to die right there.
KILL_BETWEEN_RENAMES = """
import os, sys
from pathlib import Path
real = Path.rename
def rename(self, target):
    result = real(self, target)
    if self.name == "classified":   # the old dataset was just moved aside
        os._exit(137)
    return result
Path.rename = rename
from pipeline.classify import classify
classify(sys.argv[1], use_model=False)
"""


def _hostile_out(tmp_path: Path) -> Path:
    logs, out = tmp_path / "logs", tmp_path / "out"
    write_hostile_corpus(logs, attempts=1)
    code, _seconds, stderr = _run(logs, out)
    assert code == 0, stderr.decode(errors="replace")
    return out


@pytest.mark.xfail(strict=True, reason="BUG: classify.io.write_classified replaces OUT/classified with two "
                                       "renames; a kill between them leaves no classified dataset at all")
def test_kill_inside_classify_commit_keeps_a_classified_dataset(tmp_path: Path) -> None:
    out = _hostile_out(tmp_path)
    before = _tables(out)[layout.CLASSIFIED]
    done = subprocess.run([sys.executable, "-c", KILL_BETWEEN_RENAMES, str(out)], cwd=REPO, check=False,
                          capture_output=True, timeout=120)
    assert done.returncode == 137, done.stderr.decode(errors="replace")
    assert _tables(out)[layout.CLASSIFIED] == before   # readers still see the previous output


def test_kill_inside_classify_commit_is_repaired_by_the_next_run(tmp_path: Path) -> None:
    out = _hostile_out(tmp_path)
    before = _tables(out)
    done = subprocess.run([sys.executable, "-c", KILL_BETWEEN_RENAMES, str(out)], cwd=REPO, check=False,
                          capture_output=True, timeout=120)
    assert done.returncode == 137
    code, _seconds, stderr = _run(tmp_path / "logs", out)
    assert code == 0, stderr.decode(errors="replace")
    assert _tables(out) == before


@pytest.mark.xfail(strict=True, reason="BUG: classify.io.write_classified never removes the .classified.old-*/"
                                       ".classified.tmp-* folders a killed run leaves in OUT")
def test_kill_inside_classify_commit_leaves_no_debris_after_the_next_run(tmp_path: Path) -> None:
    out = _hostile_out(tmp_path)
    subprocess.run([sys.executable, "-c", KILL_BETWEEN_RENAMES, str(out)], cwd=REPO, check=False,
                   capture_output=True, timeout=120)
    code, _seconds, _stderr = _run(tmp_path / "logs", out)
    assert code == 0
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.name != layout.LOCK) == []
