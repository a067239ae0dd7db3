"""Incremental, idempotent runs: re-runs, appends, rotation, truncation, live files, dedup."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_runner_support import comparable, ids, json_entry, rows, run, text_entry, write_log


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def _reference(tmp_path: Path, entries: range | list[int], name: str = "ref") -> list[str]:
    """Ids of a single uninterrupted run over one file holding ``entries``."""
    write_log(tmp_path / name / "in" / "AMQERR01.LOG", entries)
    run(tmp_path / name / "in", tmp_path / name / "out")
    return ids(tmp_path / name / "out")


def test_second_run_adds_nothing(tmp_path: Path) -> None:
    write_log(tmp_path / "in" / "qma" / "AMQERR01.LOG", range(20))
    (tmp_path / "in" / "qmb").mkdir()
    (tmp_path / "in" / "qmb" / "AMQERR01.json").write_text(
        "".join(json_entry(i) for i in range(5)), encoding="utf-8"
    )
    out = tmp_path / "out"
    first = run(tmp_path / "in", out)
    before = rows(out)
    second = run(tmp_path / "in", out)
    assert first.totals["written"] == 25
    assert second.totals["written"] == second.totals["seen"] == 0
    assert second.totals["files_unchanged"] == 2
    assert rows(out) == before
    assert len(list((out / "manifests").glob("*.json"))) == 2


def test_appended_entries_only(tmp_path: Path) -> None:
    log = write_log(tmp_path / "in" / "AMQERR01.LOG", range(10))
    out = tmp_path / "out"
    run(tmp_path / "in", out)
    _append(log, "".join(text_entry(i) for i in range(10, 15)))
    result = run(tmp_path / "in", out)
    record = result.files[0]
    assert record["mode"] == "resume" and record["resumed_from"] > 0
    assert record["seen"] == record["written"] == 5
    assert ids(out) == _reference(tmp_path, range(15))
    assert record["bytes_read"] < log.stat().st_size  # only the new part was read


def test_json_log_append(tmp_path: Path) -> None:
    log = tmp_path / "in" / "AMQERR01.json"
    log.parent.mkdir(parents=True)
    log.write_text("".join(json_entry(i) for i in range(4)), encoding="utf-8")
    out = tmp_path / "out"
    run(tmp_path / "in", out)
    _append(log, "".join(json_entry(i) for i in range(4, 9)))
    result = run(tmp_path / "in", out)
    assert result.totals["written"] == 5
    assert len(rows(out)) == 9


def test_rename_style_rotation(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    log1 = write_log(folder / "AMQERR01.LOG", range(10))
    out = tmp_path / "out"
    run(folder, out)
    _append(log1, "".join(text_entry(i) for i in range(10, 13)))  # written before the rotation
    os.rename(log1, folder / "AMQERR02.LOG")  # 01 -> 02
    write_log(folder / "AMQERR01.LOG", range(13, 20))  # a fresh 01
    result = run(folder, out)
    by_name = {Path(f["path"]).name: f for f in result.files}
    assert by_name["AMQERR02.LOG"]["mode"] == "resume" and by_name["AMQERR02.LOG"]["written"] == 3
    assert by_name["AMQERR02.LOG"]["known_as"].endswith("AMQERR01.LOG")
    assert by_name["AMQERR01.LOG"]["mode"] == "new" and by_name["AMQERR01.LOG"]["written"] == 7
    assert sorted(ids(out)) == sorted(_reference(tmp_path, range(20)))
    # a second rotation: 02 -> 03, 01 -> 02, new 01; nothing old is read again
    os.rename(folder / "AMQERR02.LOG", folder / "AMQERR03.LOG")
    os.rename(folder / "AMQERR01.LOG", folder / "AMQERR02.LOG")
    write_log(folder / "AMQERR01.LOG", range(20, 22))
    result = run(folder, out)
    assert result.totals["written"] == 2 and result.totals["seen"] == 2
    assert len(ids(out)) == 22


def test_copy_style_rotation(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    log1 = write_log(folder / "AMQERR01.LOG", range(10))
    out = tmp_path / "out"
    run(folder, out)
    _append(log1, "".join(text_entry(i) for i in range(10, 12)))
    shutil.copyfile(log1, folder / "AMQERR02.LOG")  # copied, then 01 restarted empty
    write_log(folder / "AMQERR01.LOG", range(12, 15))
    result = run(folder, out)
    assert result.totals["written"] == 5 and result.totals["duplicates"] == 0
    assert len(ids(out)) == 15


def test_copy_not_yet_truncated_counts_duplicates(tmp_path: Path) -> None:
    """Rotation caught half way: 02 is a copy of 01 and 01 still has the same content."""
    folder = tmp_path / "in"
    log1 = write_log(folder / "AMQERR01.LOG", range(8))
    out = tmp_path / "out"
    run(folder, out)
    _append(log1, "".join(text_entry(i) for i in range(8, 11)))
    shutil.copyfile(log1, folder / "AMQERR02.LOG")
    result = run(folder, out)
    by_name = {Path(f["path"]).name: f for f in result.files}
    assert by_name["AMQERR02.LOG"]["written"] == 3  # resumed: only the 3 new entries
    assert by_name["AMQERR01.LOG"]["duplicates"] == 11  # read afresh: every entry already written
    assert by_name["AMQERR01.LOG"]["written"] == 0
    assert len(ids(out)) == 11


def test_truncated_file_is_read_from_start(tmp_path: Path) -> None:
    log = write_log(tmp_path / "in" / "AMQERR01.LOG", range(10))
    out = tmp_path / "out"
    run(tmp_path / "in", out)
    write_log(log, range(0, 3))  # same first entries, but shorter than what was read
    result = run(tmp_path / "in", out)
    record = result.files[0]
    assert record["mode"] == "new"
    assert record["duplicates"] == 3 and record["written"] == 0  # same entries: deduplicated
    _append(log, text_entry(50))
    result = run(tmp_path / "in", out)
    assert result.files[0]["written"] == 1 and result.files[0]["mode"] == "resume"
    assert len(ids(out)) == 11


def test_different_file_under_same_name(tmp_path: Path) -> None:
    log = write_log(tmp_path / "in" / "AMQERR01.LOG", range(10))
    out = tmp_path / "out"
    run(tmp_path / "in", out)
    write_log(log, range(100, 130), qmgr="QMZ")
    result = run(tmp_path / "in", out)
    assert result.files[0]["mode"] == "new" and result.files[0]["written"] == 30
    state = json.loads((out / "_state" / "state.json").read_text())
    assert len(state["entries"]) == 1  # the replaced file's entry is forgotten
    assert result.totals["seen"] == 30


def test_live_file_partial_entry_is_held_back(tmp_path: Path) -> None:
    log = write_log(tmp_path / "in" / "AMQERR01.LOG", range(5))
    entry = text_entry(5)
    cut = len(entry) // 2
    _append(log, entry[:cut])
    out = tmp_path / "out"
    first = run(tmp_path / "in", out)
    assert first.files[0]["written"] == 5 and first.files[0]["pending"]["offset"] > 0
    assert any("held back" in w for w in first.warnings)
    again = run(tmp_path / "in", out)  # unchanged: nothing new, still held back
    assert again.totals["written"] == 0
    _append(log, entry[cut:] + text_entry(6))
    result = run(tmp_path / "in", out)
    assert result.files[0]["written"] == 2 and result.files[0]["pending"] is None
    assert ids(out) == _reference(tmp_path, range(7))


def test_include_partial_parses_a_cut_tail(tmp_path: Path) -> None:
    log = write_log(tmp_path / "in" / "AMQERR01.LOG", range(3))
    _append(log, text_entry(3).rsplit("-----", 1)[0])  # everything but the trailer
    result = run(tmp_path / "in", tmp_path / "out", include_partial=True)
    assert result.files[0]["pending"] is None
    assert result.files[0]["written"] + result.files[0]["rejected"] == 4


def test_identical_entries_in_one_file_are_distinct(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    same = text_entry(1)
    (tmp_path / "in" / "AMQERR01.LOG").write_text(same * 3, encoding="utf-8")
    out = tmp_path / "out"
    run(tmp_path / "in", out)
    assert len(set(ids(out))) == 3
    _append(tmp_path / "in" / "AMQERR01.LOG", same)  # a fourth identical entry, resumed read
    result = run(tmp_path / "in", out)
    assert result.files[0]["written"] == 1 and len(set(ids(out))) == 4


def test_same_log_in_two_folders_is_deduplicated(tmp_path: Path) -> None:
    write_log(tmp_path / "in" / "a" / "AMQERR01.LOG", range(10))
    write_log(tmp_path / "in" / "b" / "AMQERR01.LOG", range(10))
    result = run(tmp_path / "in", tmp_path / "out")
    by_folder = {Path(f["path"]).parent.name: f for f in result.files}
    assert by_folder["a"]["written"] == 10 and by_folder["b"]["duplicates"] == 10
    assert len(ids(tmp_path / "out")) == 10
    # the same ids for another queue manager are not duplicates
    write_log(tmp_path / "in" / "c" / "AMQERR01.LOG", range(10), qmgr="QMX")
    result = run(tmp_path / "in", tmp_path / "out")
    assert result.totals["written"] == 10


def test_export_rescan_adds_only_new_rows(tmp_path: Path) -> None:
    csv = tmp_path / "in" / "last_error.csv"
    csv.parent.mkdir(parents=True)
    header = "qmgr,channel,last_error_time,last_error,status\n"
    row1 = "QMA,QMA.QMD,2026-11-20T16:30:00Z,AMQ9202E: Remote host not available,RETRYING\n"
    row2 = "QMB,QMB.QMC.NEW,2026-11-20T11:10:00Z,AMQ9520E: Channel not defined remotely,RETRYING\n"
    csv.write_text(header + row1, encoding="utf-8")
    out = tmp_path / "out"
    run(tmp_path / "in", out)
    _append(csv, row2)
    result = run(tmp_path / "in", out)
    record = result.files[0]
    assert record["mode"] == "rescan" and record["written"] == 1 and record["already_ingested"] == 1
    assert len(rows(out, "channel_status")) == 2
    assert run(tmp_path / "in", out).totals["written"] == 0


def test_state_ids_are_bounded_to_present_files(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    out = tmp_path / "out"
    for generation in range(4):
        if (folder / "AMQERR02.LOG").exists():
            os.replace(folder / "AMQERR02.LOG", folder / "AMQERR03.LOG")
        if (folder / "AMQERR01.LOG").exists():
            os.replace(folder / "AMQERR01.LOG", folder / "AMQERR02.LOG")
        write_log(folder / "AMQERR01.LOG", range(generation * 10, generation * 10 + 10))
        run(folder, out)
    state = json.loads((out / "_state" / "state.json").read_text())
    assert len(state["entries"]) == 3
    assert len(list((out / "_state" / "ids").iterdir())) == 3
    assert len(ids(out)) == 40


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=4000), min_size=1, max_size=4),
    jobs=st.sampled_from([1, 2]),
)
def test_any_sequence_of_partial_appends_matches_one_run(tmp_path: Path, cuts: list[int], jobs: int) -> None:
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    full = "".join(text_entry(i) for i in range(12)).encode()
    log = work / "in" / "AMQERR01.LOG"
    log.parent.mkdir(parents=True)
    out = work / "out"
    for cut in sorted(cuts) + [len(full)]:
        log.write_bytes(full[: max(cut, log.stat().st_size if log.exists() else 0)])
        run(work / "in", out, jobs=jobs)
    assert ids(out) == _reference(work, range(12))
    assert comparable(out) == comparable(work / "ref" / "out")


@pytest.mark.parametrize("jobs", [1, 2])
def test_resumed_rows_equal_single_run_rows(tmp_path: Path, jobs: int) -> None:
    log = write_log(tmp_path / "in" / "AMQERR01.LOG", range(6))
    out = tmp_path / "out"
    run(tmp_path / "in", out, jobs=jobs)
    _append(log, "".join(text_entry(i) for i in range(6, 12)))
    run(tmp_path / "in", out, jobs=jobs)
    _reference(tmp_path, range(12))
    assert rows(out) == [{**r, "source_path": str(log)} for r in rows(tmp_path / "ref" / "out")]


def test_rotated_file_compressed_later_is_recognised(tmp_path: Path) -> None:
    import gzip

    folder = tmp_path / "in"
    log = write_log(folder / "AMQERR02.LOG", range(10))
    out = tmp_path / "out"
    run(folder, out)
    with gzip.open(folder / "AMQERR02.LOG.gz", "wb") as handle:
        handle.write(log.read_bytes())
    log.unlink()
    result = run(folder, out)
    record = result.files[0]
    assert record["mode"] == "resume" and record["gz"] is True
    assert record["seen"] == 0 and record["duplicates"] == 0
    assert len(ids(out)) == 10


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=4))
def test_json_log_partial_appends_match_one_run(tmp_path: Path, cuts: list[int]) -> None:
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    full = "".join(json_entry(i) for i in range(10)).encode()
    log = work / "in" / "AMQERR01.json"
    log.parent.mkdir(parents=True)
    out = work / "out"
    for cut in sorted(cuts) + [len(full)]:
        log.write_bytes(full[: max(cut, log.stat().st_size if log.exists() else 0)])
        run(work / "in", out)
    (work / "ref").mkdir()
    (work / "ref" / "AMQERR01.json").write_bytes(full)
    run(work / "ref", work / "ref_out")
    assert ids(out) == ids(work / "ref_out")
    assert rows(out, "rejects") == []


def test_zone_of_a_known_file_is_kept(tmp_path: Path) -> None:
    from .test_runner_support import old_entry

    log = tmp_path / "in" / "AMQERR01.LOG"
    log.parent.mkdir(parents=True)
    log.write_text("".join(old_entry(i) for i in range(3)), encoding="utf-8")
    out = tmp_path / "out"
    run(tmp_path / "in", out, tz="UTC")
    _append(log, old_entry(3))
    result = run(tmp_path / "in", out, tz="Europe/Berlin")
    assert result.files[0]["tz"] == "UTC" and "kept UTC" in result.files[0]["tz_note"]
    assert any("differs" in w for w in result.warnings)
    assert {r["timestamp"].hour for r in rows(out)} == {12}  # all read as UTC, consistently
