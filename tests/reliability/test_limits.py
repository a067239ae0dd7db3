"""Resource limits, scaled down for the suite (the full 2 GB / 10,000-file run is
``python -m pipeline.reliability limits``; its figures are in docs/reliability.md).

Disk full and read-only output are real: a tiny tmpfs is mounted (skipped with a message where
mounting is not permitted), filled up, then written to.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import layout
from pipeline.ingest.runner import IngestOptions, ingest
from pipeline.reliability.corpus import stream_entries, write_hostile_corpus
from pipeline.reliability.limits import write_big_file, write_small_files

from .helpers import invoke, table


@pytest.mark.slow
def test_a_big_file_is_ingested_completely(tmp_path: Path) -> None:
    count = write_big_file(tmp_path / "logs" / "qmbig" / "errors" / "AMQERR01.LOG", 6_000_000)
    result = ingest([str(tmp_path / "logs")], tmp_path / "out", IngestOptions(jobs=2))
    t = result.totals
    assert t["seen"] == t["written"] + t["rejected"] + t["duplicates"]
    assert t["written"] == count and t["rejected"] == 0
    assert len(table(tmp_path / "out", layout.EVENTS, ["event_id"])) == count


@pytest.mark.slow
def test_many_small_files_are_ingested_completely(tmp_path: Path) -> None:
    count = write_small_files(tmp_path / "logs", 200)
    result = ingest([str(tmp_path / "logs")], tmp_path / "out", IngestOptions(jobs=2))
    t = result.totals
    assert t["files_read"] == 200 and t["files_failed"] == 0
    assert t["written"] == count and t["rejected"] == 0
    assert len({r["event_id"] for r in table(tmp_path / "out", layout.EVENTS, ["event_id"])}) == count


# --- disk full and read-only output, on a real tmpfs --------------------------------------------
@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "fs"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}); "
                    "the disk-full tests need root and mount permission")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(fs: Path) -> None:
    """Take every free byte of the filesystem (big chunks, then single pages)."""
    with open(fs / "filler", "wb", buffering=0) as handle:
        for size in (65536, 4096, 512):
            chunk = b"\0" * size
            try:
                while True:
                    handle.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC


def _contents(out: Path) -> dict[str, list[dict[str, object]]]:
    return {name: sorted(table(out, name), key=lambda r: str(list(r.values())[0]))
            for name in (layout.EVENTS, layout.CHANNEL_STATUS, layout.CLASSIFIED, layout.EPISODES)}


@pytest.fixture
def full_out(tiny_fs: Path, tmp_path: Path) -> tuple[Path, Path, dict[str, list[dict[str, object]]]]:
    """A complete run's output on the tmpfs, then the tmpfs filled to the last byte."""
    logs = tmp_path / "logs"
    write_hostile_corpus(logs, attempts=1)
    out = tiny_fs / "out"
    result = invoke("run", str(logs), "--out", str(out), "--no-model", "-q")
    assert result.exit_code == 0, result.output
    before = _contents(out)
    assert all(before.values())
    more = logs / "qmmore" / "errors"
    more.mkdir(parents=True)
    (more / "AMQERR01.LOG").write_text("".join(stream_entries(3000, qmgr="QMMORE")), encoding="utf-8")
    _fill(tiny_fs)
    return logs, out, before


def test_disk_full_during_ingest_keeps_the_previous_output(full_out: tuple[Path, Path, dict]) -> None:
    logs, out, before = full_out
    result = invoke("ingest", str(logs), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output and str(out) in result.output
    assert "Traceback" not in result.output
    assert _contents(out) == before
    assert not (out / "_staging").exists() or not any((out / "_staging").iterdir())


def test_disk_full_during_run_keeps_the_previous_output(full_out: tuple[Path, Path, dict]) -> None:
    logs, out, before = full_out
    result = invoke("run", str(logs), "--out", str(out), "--no-model", "-q")
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output
    assert _contents(out) == before


def test_disk_full_during_classify_keeps_the_previous_output(full_out: tuple[Path, Path, dict]) -> None:
    _logs, out, before = full_out
    result = invoke("classify", str(out), "--no-model")
    assert result.exit_code == 1, result.output
    assert "classified" in result.output and "Traceback" not in result.output
    assert _contents(out) == before


def test_write_error_during_timeline_keeps_the_previous_episodes(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # On the full tmpfs the rewrite happens to fit in the space the deleted file freed, so the
    # writer is made to fail the way a disk-full write does instead.
    logs, out = tmp_path / "logs", tmp_path / "out"
    write_hostile_corpus(logs, attempts=1)
    assert invoke("run", str(logs), "--out", str(out), "--no-model", "-q").exit_code == 0
    before = _contents(out)
    from pipeline.timeline import store

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store.pq, "write_table", no_space)
    result = invoke("timeline", str(out))
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert _contents(out) == before


def test_read_only_output_is_a_clear_error_and_changes_nothing(full_out: tuple[Path, Path, dict],
                                                              tiny_fs: Path) -> None:
    logs, out, before = full_out
    (tiny_fs / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    for command in (["ingest", str(logs), "--out", str(out)], ["run", str(logs), "--out", str(out), "-q", "--no-model"],
                    ["classify", str(out), "--no-model"], ["timeline", str(out)]):
        result = invoke(*command)
        assert result.exit_code == 1, (command, result.output)
        assert str(out) in result.output and "Traceback" not in result.output, (command, result.output)
    assert _contents(out) == before
    assert os.statvfs(tiny_fs).f_flag & os.ST_RDONLY
