"""The ingest runner end to end: outputs, schemas, readers, manifest, ordering, bad input."""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline import schemas
from pipeline.errors import InputError
from pipeline.ingest import runner, walk
from pipeline.ingest.records import Parsed
from pipeline.ingest.runner import IngestOptions, Parsers, ingest

from .test_runner_support import comparable, json_entry, old_entry, rows, run, text_entry, write_log


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """Three queue managers' folders plus an export and a junk file."""
    base = tmp_path / "in"
    write_log(base / "qma" / "errors" / "AMQERR02.LOG", range(0, 30))
    write_log(base / "qma" / "errors" / "AMQERR01.LOG", range(30, 50))
    (base / "qmb").mkdir(parents=True)
    (base / "qmb" / "AMQERR01.json").write_text("".join(json_entry(i) for i in range(12)), encoding="utf-8")
    (base / "qmc" / "errors").mkdir(parents=True)
    (base / "qmc" / "errors" / "AMQERR01.LOG").write_text(
        "".join(old_entry(i) for i in range(5)), encoding="utf-8"
    )
    (base / "qmc" / "mqtriage.tz").write_text("Europe/Berlin\n", encoding="utf-8")
    (base / "exports").mkdir()
    (base / "exports" / "last_error.csv").write_text(
        "qmgr,channel,last_error_time,last_error,status,substate,conname,team\n"
        "QMA,QMA.QMD,2026-11-20T16:30:00Z,AMQ9202E: Remote host not available,RETRYING,,qmd(1414),blue\n"
        "QMB,QMB.QMC.NEW,2026-11-20T11:10:00Z,AMQ9520E: Channel not defined remotely,RETRYING,,mqc(1414),red\n",
        encoding="utf-8",
    )
    (base / "notes.bin").write_bytes(bytes(range(256)) * 4)
    return base


def test_outputs_have_exact_schemas_and_partitions(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(tree, out)
    assert result.totals["written"] == 30 + 20 + 12 + 5 + 2  # events + channel_status rows
    for path in (out / "events").rglob("*.parquet"):
        assert pq.read_schema(path).remove_metadata() == schemas.EVENTS
        assert path.parent.name.startswith("date=")
        assert result.run_id in path.name
    for path in (out / "channel_status").rglob("*.parquet"):
        assert pq.read_schema(path).remove_metadata() == schemas.CHANNEL_STATUS
    assert {p.name for p in (out / "events").iterdir()} == {"date=2026-11-20"}
    status = rows(out, "channel_status")
    assert len(status) == 2 and {r["channel"] for r in status} == {"QMA.QMD", "QMB.QMC.NEW"}
    assert all(r["status_id"] and len(r["status_id"]) == 32 for r in status)


def test_three_readers_agree(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(tree, out)
    arrow = ds.dataset(out / "events", format="parquet", partitioning="hive").to_table()
    frame = pd.read_parquet(out / "events")
    con = duckdb.connect()
    glob = str(out / "events" / "**" / "*.parquet")
    duck = con.execute(
        "select count(*), count(distinct event_id), min(date) from read_parquet(?, hive_partitioning=true)",
        [glob],
    ).fetchone()
    assert arrow.num_rows == len(frame) == duck[0] == duck[1] == 67
    assert str(duck[2]) == "2026-11-20"
    assert sorted(arrow.column("event_id").to_pylist()) == sorted(frame["event_id"].tolist())
    rejects_glob = str(out / "rejects" / "*.parquet")
    if (out / "rejects").exists():
        con.execute("select count(*) from read_parquet(?)", [rejects_glob]).fetchone()


def test_manifest_reconciles_and_lists_skipped_files(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(tree, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest == json.loads(Path(result.manifest_path).read_text())
    by_name = {Path(f["path"]).name: f for f in manifest["files"]}
    for record in manifest["files"]:
        assert record["seen"] == record["written"] + record["rejected"] + record["duplicates"]
    assert by_name["notes.bin"]["status"] == "skipped"
    assert "binary" in by_name["notes.bin"]["reason"]
    assert by_name["AMQERR01.json"]["format"] == "json"
    assert by_name["last_error.csv"]["format"] == "csv"
    qmc = next(f for f in manifest["files"] if "qmc" in f["path"])
    assert qmc["tz"] == "Europe/Berlin" and qmc["tz_source"].endswith("mqtriage.tz")
    assert qmc["date_order"] == "dmy" and "dotted" in qmc["date_order_source"]
    qma = next(f for f in manifest["files"] if f["path"].endswith("AMQERR02.LOG"))
    assert qma["bytes_read"] > 0 and qma["encodings"] == ["utf-8"]
    assert any("notes.bin" in w and "skipped" in w for w in result.warnings)


def test_tz_file_moves_header_only_times(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(tree, out)
    qmc = [r for r in rows(out) if r["qmgr"] == "QMC"]
    assert {r["timestamp_source"] for r in qmc} == {"header_local"}
    # 12:00 Berlin local time in November is 11:00 UTC
    assert min(r["timestamp"] for r in qmc).hour == 11


def test_bad_tz_file_is_named(tree: Path, tmp_path: Path) -> None:
    (tree / "qmc" / "mqtriage.tz").write_text("Mars/Olympus\n", encoding="utf-8")
    with pytest.raises(InputError, match="mqtriage.tz"):
        run(tree, tmp_path / "out")


def test_rotation_order_oldest_first(tmp_path: Path) -> None:
    folder = tmp_path / "errors"
    for name in ("AMQERR01.LOG", "AMQERR03.LOG", "AMQERR02.LOG", "AMQERR01.json", "AMQERR02.json", "a.csv"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x", encoding="utf-8")
    names = [f.path.name for f in walk.discover([tmp_path])]
    assert names == [
        "AMQERR03.LOG",
        "AMQERR02.LOG",
        "AMQERR02.json",
        "AMQERR01.LOG",
        "AMQERR01.json",
        "a.csv",
    ]


def test_date_order_from_header_evidence(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    base = datetime(2026, 11, 25, 8, 0, 0, tzinfo=UTC)
    # every entry has Time(): no entry is read by its header date, so the order is never decided
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(5), base=base, date_fmt="%d/%m/%Y")
    result = run(tmp_path / "in", tmp_path / "out", date_order="mdy")
    record = result.files[0]
    assert record["date_order"] is None and record["date_order_source"] == runner.ORDER_NOT_NEEDED
    # 9.0 entries (header time only): decided from the day over 12, against --date-order mdy
    (tmp_path / "old").mkdir()
    text = "".join(old_entry(i) for i in range(3)).replace(".11.2026", "/11/2026")
    (tmp_path / "old" / "AMQERR01.LOG").write_text(text, encoding="utf-8")
    result = run(tmp_path / "old", tmp_path / "out-old", date_order="mdy")
    record = result.files[0]
    assert record["date_order"] == "dmy" and record["date_order_source"].startswith("headers")
    assert {r["timestamp"].month for r in rows(tmp_path / "out-old")} == {11}


def test_date_order_option_when_no_evidence(tmp_path: Path) -> None:
    from datetime import datetime

    (tmp_path / "in").mkdir()
    text = "".join(old_entry(i, base=datetime(2026, 3, 4, 10, 0, 0)) for i in range(3)).replace(
        ".03.2026", "/03/2026"
    )
    (tmp_path / "in" / "AMQERR01.LOG").write_text(text.replace("04/03/2026", "04/03/2026"), encoding="utf-8")
    result = run(tmp_path / "in", tmp_path / "out", date_order="dmy")
    assert result.files[0]["date_order"] == "dmy" and result.files[0]["date_order_source"].startswith(
        "--date-order"
    )
    assert {r["timestamp"].month for r in rows(tmp_path / "out")} == {3}
    result = run(tmp_path / "in", tmp_path / "out2")
    assert result.files[0]["date_order"] == "mdy" and result.files[0]["date_order_source"].startswith(
        "default"
    )
    assert {r["timestamp"].month for r in rows(tmp_path / "out2")} == {4}


def test_gzip_read_transparently(tmp_path: Path) -> None:
    plain = write_log(tmp_path / "a" / "AMQERR01.LOG", range(40))
    (tmp_path / "b").mkdir()
    with gzip.open(tmp_path / "b" / "AMQERR01.LOG.gz", "wb") as handle:
        handle.write(plain.read_bytes())
    run(tmp_path / "a", tmp_path / "out_a")
    result = run(tmp_path / "b", tmp_path / "out_b")
    assert result.files[0]["gz"] is True
    assert comparable(tmp_path / "out_a") == comparable(tmp_path / "out_b")
    offsets_a = sorted(r["source_offset"] for r in rows(tmp_path / "out_a"))
    offsets_b = sorted(r["source_offset"] for r in rows(tmp_path / "out_b"))
    assert offsets_a == offsets_b


def test_utf16_log_is_transcoded(tmp_path: Path) -> None:
    text = "".join(text_entry(i) for i in range(6))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "AMQERR01.LOG").write_bytes("\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    result = run(tmp_path / "in", tmp_path / "out")
    assert result.totals["written"] == 6
    assert "utf-16-le" in result.files[0]["encodings"]


def test_bad_input_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    base = tmp_path / "in"
    write_log(base / "good" / "AMQERR01.LOG", range(10))
    (base / "junk.dat").write_bytes(os.urandom(4096).replace(b"\n", b"x"))
    (base / "empty.LOG").write_bytes(b"")
    (base / "gone.LOG").symlink_to(base / "does-not-exist")
    # a JSON log with a 10 MB line between good lines
    big = json_entry(7).replace("is starting (7)", "x" * (10 * 1024 * 1024))
    (base / "json").mkdir()
    (base / "json" / "AMQERR01.json").write_text(
        json_entry(1) + big + "{not json}\n" + json_entry(2), encoding="utf-8"
    )
    # a text log with a truncated entry in the middle (header, no body, next header follows)
    good = text_entry(100)
    cut = text_entry(101).split("\n\n")[0] + "\n"
    (base / "cut").mkdir()
    (base / "cut" / "AMQERR01.LOG").write_text(good + cut + text_entry(102), encoding="utf-8")
    out = tmp_path / "out"
    result = run(base, out)
    by_name = {Path(f["path"]).name + ("@" + Path(f["path"]).parent.name): f for f in result.files}
    assert by_name["junk.dat@in"]["status"] == "skipped"
    assert (
        by_name["empty.LOG@in"]["status"] == "skipped" and by_name["empty.LOG@in"]["reason"] == "empty file"
    )
    assert by_name["gone.LOG@in"]["status"] == "failed" and "cannot read" in by_name["gone.LOG@in"]["reason"]
    js = by_name["AMQERR01.json@json"]
    assert (
        js["written"] == 3 and js["rejected"] == 1
    )  # the 10 MB line is a (valid) entry; "{not json}" is not
    cut_record = by_name["AMQERR01.LOG@cut"]
    assert cut_record["written"] + cut_record["rejected"] == 3
    for record in result.files:
        assert record["seen"] == record["written"] + record["rejected"] + record["duplicates"]
    rejects = rows(out, "rejects")
    assert rejects and all(len(r["raw"]) <= 4096 and r["run_id"] == result.run_id for r in rejects)
    bad_json = next(r for r in rejects if r["source_path"].endswith("AMQERR01.json"))
    assert bad_json["source_offset"] == len(json_entry(1)) + len(big)
    assert bad_json["source_line"] == 3
    assert any("AMQERR01.json" in w and f"offset {bad_json['source_offset']}" in w for w in result.warnings)


def test_line_over_the_limit_is_rejected_with_its_length(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setattr(runner, "MAX_LINE", 1000)
    (tmp_path / "in").mkdir()
    long_line = '{"ibm_messageId":"AMQ9999E","message":"' + "y" * 5000 + '"}\n'
    (tmp_path / "in" / "AMQERR01.json").write_text(
        json_entry(1) + long_line + json_entry(2), encoding="utf-8"
    )
    result = run(tmp_path / "in", tmp_path / "out")
    assert result.files[0]["written"] == 2 and result.files[0]["rejected"] == 1
    reject = rows(tmp_path / "out", "rejects")[0]
    assert reject["raw_length"] == len(long_line) and "longer than 1000" in reject["reason"]
    assert reject["source_offset"] == len(json_entry(1))


@pytest.mark.parametrize("line_path", [True, False], ids=["line path", "JSON fast path"])
def test_an_overlong_line_does_not_spoil_the_resume_anchor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line_path: bool
) -> None:
    """The next run resumes after the overlong line's file, reading only what was appended."""

    monkeypatch.setattr(runner, "MAX_LINE", 1000)
    parsers = replace(Parsers.default(), parse_json_columnar=None) if line_path else Parsers.default()
    log = tmp_path / "in" / "AMQERR01.json"
    log.parent.mkdir()
    long_line = '{"ibm_messageId":"AMQ9999E","message":"' + "y" * 5000 + '"}\n'
    log.write_text(json_entry(1) + long_line, encoding="utf-8")
    first = run(tmp_path / "in", tmp_path / "out", parsers=parsers)
    assert (first.files[0]["written"], first.files[0]["rejected"]) == (1, 1)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(json_entry(2))
    second = run(tmp_path / "in", tmp_path / "out", parsers=parsers)
    record = second.files[0]
    assert "restarted" not in record and record["resumed_from"] == len(json_entry(1)) + len(long_line)
    assert (record["written"], record["rejected"]) == (1, 0)


def _misfit_parsers() -> Parsers:
    real = Parsers.default()

    def parse_block(block, ctx):  # type: ignore[no-untyped-def]
        item = real.parse_block(block, ctx)
        if isinstance(item, Parsed) and "entry 3)" in (item.row.get("explanation") or ""):
            item.row["pid"] = "not-a-number"
        return item

    return replace(real, parse_block=parse_block)


def test_row_that_does_not_fit_the_schema_becomes_a_reject(tmp_path: Path) -> None:
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(6))
    result = ingest(
        [str(tmp_path / "in")], tmp_path / "out", IngestOptions(jobs=1, parsers=_misfit_parsers())
    )
    assert result.totals["written"] == 5 and result.totals["rejected"] == 1
    reject = rows(tmp_path / "out", "rejects")[0]
    assert "column pid expects int" in reject["reason"] and "AMQ9002I" in reject["raw"]


def test_jobs_give_identical_tables(tree: Path, tmp_path: Path) -> None:
    for n in range(3):
        write_log(tree / f"extra{n}" / "AMQERR01.LOG", range(100 * n, 100 * n + 80), qmgr=f"QX{n}")
    (tree / "extra0" / "AMQERR02.json").write_text(json_entry(3) + "{broken\n", encoding="utf-8")
    one = run(tree, tmp_path / "one", jobs=1)
    two = run(tree, tmp_path / "two", jobs=2)
    for table in ("events", "channel_status", "rejects"):
        left = [{k: v for k, v in r.items() if k != "run_id"} for r in rows(tmp_path / "one", table)]
        right = [{k: v for k, v in r.items() if k != "run_id"} for r in rows(tmp_path / "two", table)]
        assert left == right and left, table
    strip = ("entry_id",)  # a random name for the state entry
    assert [{k: v for k, v in f.items() if k not in strip} for f in one.files] == [
        {k: v for k, v in f.items() if k not in strip} for f in two.files
    ]


def test_corrupt_gzip_fails_that_file_only(tmp_path: Path) -> None:
    plain = write_log(tmp_path / "src" / "AMQERR01.LOG", range(200))
    data = gzip.compress(plain.read_bytes())
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "AMQERR02.LOG.gz").write_bytes(data[: len(data) // 2])
    write_log(tmp_path / "in" / "AMQERR01.LOG", range(500, 505))
    result = run(tmp_path / "in", tmp_path / "out")
    by_name = {Path(f["path"]).name: f for f in result.files}
    assert by_name["AMQERR02.LOG.gz"]["status"] == "failed"
    assert "cannot read" in by_name["AMQERR02.LOG.gz"]["reason"]
    assert by_name["AMQERR01.LOG"]["written"] == 5
    assert len(rows(tmp_path / "out")) == 5
    assert any("AMQERR02.LOG.gz" in w for w in result.warnings)


def test_output_folder_inside_input_is_not_walked(tmp_path: Path) -> None:
    write_log(tmp_path / "AMQERR01.LOG", range(3))
    run(tmp_path, tmp_path / "out")
    result = run(tmp_path, tmp_path / "out")
    assert all("/out/" not in f["path"] for f in result.files)
    assert result.totals["files"] == 1


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does-not-exist"):
        run(tmp_path / "does-not-exist", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_peer_fixtures_ingest_and_reconcile(peer_fixtures: Path, tmp_path: Path) -> None:
    result = run(peer_fixtures, tmp_path / "out", jobs=2)
    assert result.totals["written"] > 100
    assert (
        result.totals["seen"]
        == result.totals["written"] + result.totals["rejected"] + result.totals["duplicates"]
    )
    skipped = [f for f in result.files if f["status"] == "skipped"]
    assert skipped and all(f["reason"] for f in skipped)


def test_samples_ingest(samples_dir: Path, tmp_path: Path) -> None:
    if not (samples_dir / "qma").is_dir():
        pytest.skip("data/samples logs not generated yet")
    result = run(samples_dir, tmp_path / "out", jobs=2)
    formats = {f.get("format") for f in result.files if f["status"] == "read"}
    assert {"text", "json"} <= formats
    qmc = [f for f in result.files if "/qmc/errors/" in f["path"] and f["status"] == "read"]
    assert qmc and all(f["tz"] == "Europe/Berlin" for f in qmc)
    assert result.totals["written"] > 0


def test_unlistable_folder_is_reported_not_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores permission bits, so os.walk's listing error is provoked directly."""
    write_log(tmp_path / "in" / "ok" / "AMQERR01.LOG", range(3))
    locked = tmp_path / "in" / "locked"
    write_log(locked / "AMQERR01.LOG", range(10, 13))
    out = tmp_path / "out"
    assert run(tmp_path / "in", out).totals["written"] == 6
    real_walk = os.walk

    def walk_with_error(top, onerror=None, **kw):  # type: ignore[no-untyped-def]
        for dirpath, dirs, files in real_walk(top, onerror=onerror, **kw):
            if Path(dirpath) == locked:
                onerror(PermissionError(13, "Permission denied", str(locked)))
                dirs[:] = []
                continue
            yield dirpath, dirs, files

    monkeypatch.setattr(walk.os, "walk", walk_with_error)
    result = run(tmp_path / "in", out)
    failed = [f for f in result.files if f["status"] == "failed"]
    assert failed and failed[0]["path"] == str(locked) and "Permission denied" in failed[0]["reason"]
    assert any(str(locked) in w for w in result.warnings)
    state = json.loads((out / "_state" / "state.json").read_text())
    assert len(state["entries"]) == 2  # the unlisted folder's file is not forgotten


def test_dedup_keeps_the_first_copy_per_queue_manager(tmp_path: Path) -> None:
    """The parent's dedup works on the ids the worker's writer kept, grouped by queue manager."""
    from pipeline.ingest import state as state_mod
    from pipeline.ingest.writer import TableWriter

    writer = TableWriter(tmp_path / "stage", "events", schemas.EVENTS, "part", True, id_column="event_id")
    for i, qmgr in enumerate(["QMA", "QMA", "QMB", None, "QMA"]):
        row = {name: None for name in schemas.EVENTS.names}
        row.update(event_id=f"{i % 3:032x}", qmgr=qmgr, source_path="x", source_format="text")
        writer.add(row, "2026-11-20")
    written = writer.close()
    assert written[0].digests is not None and len(written[0].digests) == 5
    dedup = runner._Dedup(tmp_path / "no-out", state_mod.State())
    dedup.sets[("events", "QMA")] = state_mod.DigestSet(state_mod.digests_of([f"{2:032x}"]))
    dropped = dedup.filter_file(tmp_path / "stage", written[0], "events")
    kept = pq.read_table(tmp_path / "stage" / written[0].rel).to_pylist()
    # QMA: ids 0 and 1 kept, the second id 1 dropped; id 2 is new to QMB (known for QMA only); id 0
    # without a queue manager is its own group
    assert (dropped, [(r["event_id"][-1], r["qmgr"]) for r in kept]) == (
        1,
        [("0", "QMA"), ("1", "QMA"), ("2", "QMB"), ("0", None)],
    )
    assert written[0].rows == 4
