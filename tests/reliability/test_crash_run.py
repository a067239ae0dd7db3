"""``mqtriage run`` killed with SIGKILL at random moments, then re-run: the same tables.

The reference is one uninterrupted run.  Each trial starts ``run`` as a subprocess on a fresh
OUT, kills its whole process group after a seeded random delay spread over the reference run's
duration (so kills land in ingest, classify and timeline), re-runs it to the end, and compares
events, channel_status, classified and episodes row for row with the reference.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline import layout
from pipeline.reliability.corpus import stream_entries, write_hostile_corpus
from pipeline.storage import FAULT_ENV

from .helpers import invoke, kill_group, spawn, table

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


@pytest.mark.slow
def test_killed_run_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_hostile_corpus(logs, attempts=2)
    big = logs / "qmbig" / "errors"
    big.mkdir(parents=True)
    with open(big / "AMQERR01.LOG", "w", encoding="utf-8") as handle:
        handle.writelines(stream_entries(800))
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


# Deaths at each named step of the commit (storage.FAULT_ENV), now that classify and timeline
# commit through the same journaled Transaction as ingest.
FAULTS = ("before-journal", "after-journal", "mid-moves", "before-journal-removal")


def _hostile_out(tmp_path: Path) -> Path:
    logs, out = tmp_path / "logs", tmp_path / "out"
    write_hostile_corpus(logs, attempts=1)
    code, _seconds, stderr = _run(logs, out)
    assert code == 0, stderr.decode(errors="replace")
    return out


def _debris(out: Path) -> list[str]:
    found = [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != layout.LOCK]
    found += [f"_staging/{p.name}" for p in (out / "_staging").glob("*")] if (out / "_staging").exists() else []
    journal = out / layout.STATE / "journal"
    found += [f"journal/{p.name}" for p in journal.glob("*")] if journal.exists() else []
    return found


@pytest.mark.slow
def test_classify_killed_at_each_commit_step_then_rerun(tmp_path: Path) -> None:
    out = _hostile_out(tmp_path)
    reference = _tables(out)
    for fault in FAULTS:
        proc = spawn("classify", str(out), "--no-model", env={FAULT_ENV: fault})
        _stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 137, (fault, stderr.decode(errors="replace"))
        seen = _tables(out)[layout.CLASSIFIED]
        ids = [r["event_id"] for r in seen]
        assert len(ids) == len(set(ids)), f"{fault}: a reader sees duplicate rows"
        if fault == "before-journal":
            assert seen == reference[layout.CLASSIFIED], "before the commit point the old output must stand"
        rerun = invoke("classify", str(out), "--no-model")
        assert rerun.exit_code == 0, (fault, rerun.output)
        assert _tables(out) == reference, f"{fault}: the re-run differs from the uninterrupted run"
        assert _debris(out) == [], fault
