"""Crash safety, the output lock and write errors.

``mqtriage ingest`` runs as a subprocess and is killed (SIGKILL to its whole process group) at
random moments, or made to die at each named commit step (``MQTRIAGE_FAULT``).  After a plain
re-run the dataset must hold exactly the rows of an uninterrupted run: no duplicates, no loss.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import LockHeldError, OutputError
from pipeline.storage import FAULT_ENV, OutputLock, Transaction, recover

from .test_runner_support import comparable, ids, rows, run, text_entry, write_log

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from pipeline.cli import main; main()", "ingest"]


def _inputs(base: Path, per_file: int = 600) -> Path:
    for q in range(4):
        write_log(base / f"qm{q}" / "AMQERR01.LOG", range(q * 100_000, q * 100_000 + per_file), qmgr=f"QM{q}")
    (base / "junk.txt").write_text("not a log\n", encoding="utf-8")
    return base


def _cli(
    inputs: Path, out: Path, env: dict[str, str] | None = None, jobs: int = 2
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*CLI, str(inputs), "--out", str(out), "--jobs", str(jobs)],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _visible_ids(out: Path) -> list[str]:
    """What a reader sees right now (must always be readable, never duplicated)."""
    if not list((out / "events").rglob("*.parquet")):
        return []  # (an aborted commit may leave empty partition folders; they hold no rows)
    table = ds.dataset(out / "events", format="parquet", partitioning="hive").to_table(columns=["event_id"])
    return table.column("event_id").to_pylist()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("crash")
    inputs = _inputs(base / "in")
    run(inputs, base / "ref", jobs=2)
    return inputs, base / "ref"


@pytest.mark.parametrize("point", ["before-journal", "after-journal", "mid-moves", "before-journal-removal"])
def test_death_at_each_commit_step(reference: tuple[Path, Path], tmp_path: Path, point: str) -> None:
    inputs, ref = reference
    out = tmp_path / "out"
    proc = _cli(inputs, out, env={FAULT_ENV: point})
    proc.communicate(timeout=120)
    assert proc.returncode == 137
    seen = _visible_ids(out)
    assert len(seen) == len(set(seen))  # readers never see duplicates, even before recovery
    if point == "before-journal":
        assert seen == []  # nothing committed
    result = run(inputs, out, jobs=2)
    recovered = result.recovered["replayed"] + result.recovered["discarded"]
    assert len(recovered) == 1
    assert comparable(out) == comparable(ref)
    assert not (out / "_staging").exists()
    assert not list((out / "_state" / "journal").glob("*.json"))


@pytest.mark.slow
def test_random_sigkill_then_rerun_matches_uninterrupted(
    reference: tuple[Path, Path], tmp_path: Path
) -> None:
    inputs, ref = reference
    expected = comparable(ref)
    rng = random.Random(20261120)
    outcomes = {"killed": 0, "finished": 0}
    budget = time.monotonic() + 15
    cases = 0
    while cases < 10 and (cases < 3 or time.monotonic() < budget):
        out = tmp_path / f"out{cases}"
        for _kill in range(rng.choice([1, 2])):
            proc = _cli(inputs, out)
            time.sleep(rng.uniform(0.0, 2.0))
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                outcomes["killed"] += 1
            else:
                outcomes["finished"] += 1
            proc.wait(timeout=60)
            seen = _visible_ids(out)
            assert len(seen) == len(set(seen))
        final = _cli(inputs, out)
        _stdout, stderr = final.communicate(timeout=120)
        assert final.returncode == 0, stderr.decode()
        got = ids(out)
        assert len(got) == len(set(got)) == len(expected), (
            f"case {cases}: {len(got)} rows, {len(set(got))} distinct"
        )
        if comparable(out) != expected:  # keep the evidence for the report
            history = [
                (m.name, json.loads(m.read_text())["totals"], json.loads(m.read_text())["recovered"])
                for m in sorted((out / "manifests").glob("*.json"))
            ]
            diff = set(comparable(out)) ^ set(expected)
            pytest.fail(
                f"case {cases}: rows differ ({len(diff)} rows); runs: {history}; sample: {sorted(diff)[:1]}"
            )
        cases += 1
    assert outcomes["killed"] >= 2


def test_kill_during_incremental_run(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path / "in", per_file=300)
    out = tmp_path / "out"
    run(inputs, out)
    for q in range(4):
        with open(inputs / f"qm{q}" / "AMQERR01.LOG", "a", encoding="utf-8") as handle:
            handle.write("".join(text_entry(q * 100_000 + i, qmgr=f"QM{q}") for i in range(300, 900)))
    proc = _cli(inputs, out, env={FAULT_ENV: "mid-moves"})
    proc.communicate(timeout=120)
    assert proc.returncode == 137
    run(inputs, out)
    run(inputs, tmp_path / "ref")
    assert ids(out) == ids(tmp_path / "ref")


def test_second_concurrent_run_is_refused(tmp_path: Path) -> None:
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(5))
    out = tmp_path / "out"
    with OutputLock(out):
        result = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--out", str(out)])
        assert result.exit_code == 1
        assert "in use by another mqtriage run" in result.output and "--wait" in result.output
        with pytest.raises(LockHeldError):
            run(tmp_path / "in", out)
    assert not (out / "events").exists()
    assert run(tmp_path / "in", out).totals["written"] == 5


def test_lock_held_by_another_process(tmp_path: Path) -> None:
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(5))
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time; from pipeline.storage import OutputLock\n"
            "with OutputLock(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)",
            str(out),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        proc = _cli(tmp_path / "in", out)
        _stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 1 and b"in use by another mqtriage run" in stderr
        assert f"pid {holder.pid}".encode() in stderr
    finally:
        holder.kill()
        holder.wait()
    assert run(tmp_path / "in", out).totals["written"] == 5


def test_wait_blocks_until_the_lock_is_free(tmp_path: Path) -> None:
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(5))
    out = tmp_path / "out"
    lock = OutputLock(out)
    lock.acquire()
    released = threading.Event()

    def release_later() -> None:
        time.sleep(0.5)
        released.set()
        lock.release()

    thread = threading.Thread(target=release_later)
    thread.start()
    result = run(tmp_path / "in", out, wait=True)
    thread.join()
    assert released.is_set() and result.totals["written"] == 5


def test_unwritable_staging_leaves_previous_output(tmp_path: Path) -> None:
    log = write_log(tmp_path / "in" / "AMQERR01.LOG", range(10))
    out = tmp_path / "out"
    run(tmp_path / "in", out)
    before = rows(out)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(text_entry(99))
    (out / "_staging").write_text("a file where a folder is expected", encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--out", str(out)])
    assert result.exit_code == 1 and "staging" in result.output
    assert rows(out) == before
    (out / "_staging").unlink()
    assert run(tmp_path / "in", out).totals["written"] == 1


def test_blocked_partition_folder_leaves_previous_output(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    log = write_log(tmp_path / "in" / "AMQERR01.LOG", range(10))
    out = tmp_path / "out"
    run(tmp_path / "in", out)
    before = rows(out)
    state_before = (out / "_state" / "state.json").read_bytes()
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(text_entry(0, base=datetime(2026, 11, 21, 9, 0, tzinfo=UTC)))
    (out / "events" / "date=2026-11-21").write_text("blocker", encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--out", str(out)])
    assert result.exit_code == 1
    assert "previous output left unchanged" in result.output
    assert "Traceback" not in result.output
    (out / "events" / "date=2026-11-21").unlink()
    assert rows(out) == before
    assert (out / "_state" / "state.json").read_bytes() == state_before
    assert not (out / "_staging").exists()
    assert run(tmp_path / "in", out).totals["written"] == 1


def test_out_is_a_file(tmp_path: Path) -> None:
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(2))
    (tmp_path / "out").write_text("x", encoding="utf-8")
    # an output error (exit 1) naming the folder, not a usage error
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "is not a folder" in result.output
    with pytest.raises(OutputError, match="not a folder"):
        run(tmp_path / "in", tmp_path / "out")


def test_transaction_api_replace_and_recover(tmp_path: Path) -> None:
    """The storage API other stages reuse: stage, delete, commit; abort leaves nothing."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "classified").mkdir()
    (out / "classified" / "old.parquet").write_bytes(b"old")
    txn = Transaction(out, "run-a")
    txn.path("classified/new.parquet").write_bytes(b"new")
    txn.delete("classified/old.parquet")
    assert txn.commit() == ["classified/new.parquet"]
    assert sorted(p.name for p in (out / "classified").iterdir()) == ["new.parquet"]
    txn = Transaction(out, "run-b")
    txn.write_bytes("classified/other.parquet", b"x")
    txn.abort()
    assert sorted(p.name for p in (out / "classified").iterdir()) == ["new.parquet"]
    Transaction(out, "run-c").write_bytes("classified/dead.parquet", b"x")  # a run that died
    assert recover(out) == {"replayed": [], "discarded": ["run-c"]}
    assert not (out / "_staging").exists()
    with pytest.raises(ValueError):
        Transaction(out, "run-d").path("../escape")
    shutil.rmtree(out / "_staging", ignore_errors=True)
    with pytest.raises(OutputError):
        OutputLock(out / "classified" / "new.parquet")
