"""The samples read back through the real ingest parsers give exactly the scenario's entries.

Skips while a parser module does not exist yet; it is the generator's check that what it writes
is what it means (message id, time, process, channel, inserts), not a parser test.
"""

from __future__ import annotations

import io
from datetime import UTC

import pytest

from pipeline.ingest.records import FileContext, Parsed
from pipeline.samples import sample_files
from pipeline.samples.scenario import QMC, build

textlog = pytest.importorskip("pipeline.ingest.textlog")
jsonlog = pytest.importorskip("pipeline.ingest.jsonlog")


def _parsed_text(data: bytes, tz: str) -> list[Parsed]:
    ctx = FileContext(source_path="sample", tz=tz, date_order="auto")
    out = []
    for block in textlog.split_blocks(io.BytesIO(data)):
        result = textlog.parse_block(block, ctx)
        assert isinstance(result, Parsed), f"rejected at offset {block.offset}: {result.reason}"
        out.append(result)
    return out


def _check(rows: list[dict], qmgr: str, exact_ms: bool) -> None:  # type: ignore[type-arg]
    entries = build().sorted_entries(qmgr)
    assert len(rows) == len(entries)
    for row, entry in zip(rows, entries, strict=True):
        want = entry.when if exact_ms else entry.when.replace(microsecond=0)
        assert row["msg_id"] == entry.msg_id
        assert row["timestamp"].astimezone(UTC) == want, (entry.msg_id, entry.when)
        assert (row["pid"], row["tid"]) == (entry.pid, entry.tid)
        channel = entry.values.get("channel")
        if channel and channel != "????":
            assert row["channel"] == channel, (entry.msg_id, entry.when)
        if exact_ms:
            assert (row["arith_insert_1"] or 0, row["arith_insert_2"] or 0) == entry.arith
            assert tuple(row[f"comment_insert_{i}"] or "" for i in (1, 2, 3)) == entry.comments


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {f.path: f.data for f in sample_files()}


def test_qma_and_qmb_text_logs_parse_exactly(files: dict[str, bytes]) -> None:
    qma = _parsed_text(files["qma/errors/AMQERR02.LOG"] + files["qma/errors/AMQERR01.LOG"], "UTC")
    _check([p.row for p in qma], "QMA", exact_ms=True)
    _check([p.row for p in _parsed_text(files["qmb/errors/AMQERR01.LOG"], "UTC")], "QMB", exact_ms=True)


def test_qmc_9_0_log_parses_in_berlin_time(files: dict[str, bytes]) -> None:
    parsed = _parsed_text(files["qmc/errors/AMQERR01.LOG"], QMC.tz)
    _check([p.row for p in parsed], "QMC", exact_ms=False)
    german = [p.row for p in parsed if p.row["msg_id"] == "AMQ5026"]
    assert german and "f\u00fcr" in german[0]["explanation"]


def test_qmb_json_log_parses_exactly(files: dict[str, bytes]) -> None:
    ctx = FileContext(source_path="sample")
    rows = []
    for n, line in enumerate(files["qmb/errors/AMQERR01.json"].splitlines(keepends=True), start=1):
        result = jsonlog.parse_json_line(line, 0, n, ctx)
        assert isinstance(result, Parsed), result
        rows.append(result.row)
    _check(rows, "QMB", exact_ms=True)
