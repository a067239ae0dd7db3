"""The JSON fast path (pipeline/ingest/fastjson.py) gives exactly the runner's line path.

The reference is the runner's JSON branch: ``runner._lines`` cuts lines, blank ones are skipped,
overlong ones rejected, each other line goes without its CR/LF through ``jsonlog.parse_json_line``.
The fast path must agree row for row (every column, the content key, file order), reject for
reject (offset, line, reason, raw, raw length), on where reading stopped and on the pending line.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest import fastjson, jsonlog, runner, state
from pipeline.ingest.records import FileContext, Parsed, Reject

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "samples" / "qmb" / "errors" / "AMQERR01.json"
ANCHOR = state.ANCHOR_BYTES


def reference(
    data: bytes, ctx: FileContext, include_partial: bool = True, max_line: int = runner.MAX_LINE
) -> dict[str, Any]:
    """The runner's JSON branch, minus the writing (``runner._lines`` reads runner.MAX_LINE)."""
    out: dict[str, Any] = {"rows": [], "keys": [], "rejects": [], "pending": None, "end": (0, 1)}
    tail = b""
    with mock.patch.object(runner, "MAX_LINE", max_line):
        for off, no, line, length, complete, overlong in runner._lines(io.BytesIO(data), 0, 1):
            if not complete and not include_partial:
                out["pending"] = (off, no, length)
                break
            if overlong:
                reason = f"line longer than {max_line} bytes ({length} bytes)"
                out["rejects"].append((off, no, reason, line, "json", length))
            elif line.strip():
                body = line.rstrip(b"\r\n")
                item = jsonlog.parse_json_line(body, off, no, ctx)
                if isinstance(item, Parsed):
                    out["rows"].append(fastjson.parsed_row(item))
                    out["keys"].append(item.content_key)
                else:
                    out["rejects"].append(
                        (item.offset, item.line, item.reason, item.raw, item.source_format, length)
                    )
            out["end"] = (off + length, no + 1)
            # an overlong line's ``line`` is its head: the runner starts the tail afresh ...
            tail = b"" if overlong else (tail + line[-ANCHOR:])[-ANCHOR:]
    end = out["end"][0]
    if len(tail) < min(end, ANCHOR):  # ... and completes a short tail from the file
        tail = data[max(0, end - ANCHOR) : end]
    out["tail"] = tail
    return out


def fast(
    data: bytes,
    ctx: FileContext,
    include_partial: bool = True,
    max_line: int = runner.MAX_LINE,
    read_size: int = fastjson.READ_SIZE,
) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": [], "keys": [], "rejects": [], "pending": None, "end": (0, 1)}
    tail = b""
    fast_rows = 0
    for batch in fastjson.parse_json_columnar(
        io.BytesIO(data), ctx, include_partial=include_partial, read_size=read_size, max_line=max_line
    ):
        out["rows"].extend(batch.rows)
        out["keys"].extend(batch.keys)
        out["rejects"].extend(
            (r.offset, r.line, r.reason, r.raw, r.source_format, r.length) for r in batch.rejects
        )
        if batch.pending is not None:
            out["pending"] = (batch.pending.offset, batch.pending.line, len(batch.pending.data))
        out["end"] = (batch.end_offset, batch.end_line)
        tail = (tail + batch.tail)[-ANCHOR:]
        fast_rows += batch.fast_rows
    out["tail"] = tail
    out["fast_rows"] = fast_rows
    return out


def assert_same(data: bytes, ctx: FileContext, **kw: Any) -> dict[str, Any]:
    read_size = kw.pop("read_size", fastjson.READ_SIZE)
    want = reference(data, ctx, **kw)
    got = fast(data, ctx, read_size=read_size, **kw)
    assert len(got["rows"]) == len(want["rows"])
    for i, (g, w) in enumerate(zip(got["rows"], want["rows"], strict=True)):
        diff = [
            (c, a, b)
            for c, a, b in zip(fastjson.ROW_COLUMNS, g, w, strict=True)
            if a != b or type(a) is not type(b)
        ]
        assert not diff, f"row {i}: {diff}"
    assert got["keys"] == want["keys"]
    assert got["rejects"] == want["rejects"]
    assert got["pending"] == want["pending"]
    assert got["end"] == want["end"]
    end = got["end"][0]
    assert got["tail"] == data[max(0, end - ANCHOR) : end]  # the resume anchor: the bytes before end
    assert got["tail"] == want["tail"]
    return got


def _json_logs() -> list[Path]:
    """Every JSON error log (one object per line) under data/ and tests/."""
    found = []
    for base in (REPO / "data", REPO / "tests"):
        for path in sorted(base.rglob("*")):
            if path.suffix.lower() in (".json", ".jsonl") and path.is_file():
                head = path.read_bytes()[:4096]
                if b"ibm_messageId" in head or b"ibm_datetime" in head:
                    found.append(path)
    return found


def test_repository_json_logs_match() -> None:
    paths = _json_logs()
    assert SAMPLE in paths
    for path in paths:
        got = assert_same(path.read_bytes(), FileContext(str(path)))
        assert got["rows"], path


@pytest.mark.parametrize("path", sorted((REPO / "data").rglob("*.json*")), ids=lambda p: p.name)
def test_other_json_files_reject_alike(path: Path) -> None:
    """JSON that is not an error log (exports, examples) is rejected line for line alike."""
    assert_same(path.read_bytes(), FileContext(str(path)), read_size=4096)


def test_nastel_peer_fixture_matches(peer_fixtures: Path) -> None:
    path = peer_fixtures / "nastel-tnt4j-streams" / "AMQERR01.JSON"
    got = assert_same(path.read_bytes(), FileContext(str(path)))
    assert len(got["rows"]) > 1000
    assert got["fast_rows"] == len(got["rows"])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.samples.corpus import write_corpus

    out = tmp_path_factory.mktemp("fastjson") / "corpus"
    write_corpus(out, 3 << 20, 7)
    return out


def test_generated_corpus_matches(corpus: Path) -> None:
    paths = sorted(corpus.rglob("*.json"))
    assert paths
    total = fast_total = 0
    for path in paths:
        got = assert_same(path.read_bytes(), FileContext(str(path)), read_size=64 << 10)
        total += len(got["rows"])
        fast_total += got["fast_rows"]
    assert total > 500
    assert fast_total == total  # the usual MQ lines all take the fast path


def test_fallback_encoding_and_time_zone_do_not_matter_alike() -> None:
    data = SAMPLE.read_bytes().replace(b"ended abnormally", "ended abnormally \xe9".encode("cp1252"), 3)
    for ctx in (
        FileContext("x", "Europe/Berlin", "dmy", "cp850"),
        FileContext("y", fallback_encoding="latin-1"),
    ):
        got = assert_same(data, ctx, read_size=1000)
        assert any(row[fastjson.ROW_COLUMNS.index("encoding")] != "utf-8" for row in got["rows"])


def test_start_offset_and_line_carry_through() -> None:
    data = SAMPLE.read_bytes()
    batches = list(fastjson.parse_json_columnar(io.BytesIO(data), FileContext("x"), 1000, 50, read_size=2048))
    first = next(b for b in batches if b.rows)
    assert first.rows[0][2:4] == (1000, 50)
    assert batches[-1].end_offset == 1000 + len(data)
    assert batches[-1].end_line == 50 + data.count(b"\n")


def test_overlong_line_memory_and_reason() -> None:
    line = SAMPLE.read_bytes().splitlines(keepends=True)[0]
    long = b'{"x":"' + b"a" * 5000 + b'"}\n'
    data = line + long + line + long.rstrip(b"\n")
    for read_size in (100, 1000, 1 << 20):
        for partial in (True, False):
            got = assert_same(
                data, FileContext("x"), include_partial=partial, max_line=1000, read_size=read_size
            )
            assert [r[2] for r in got["rejects"]] == [f"line longer than 1000 bytes ({len(long)} bytes)"] + [
                f"line longer than 1000 bytes ({len(long) - 1} bytes)"
            ]
            assert len(got["rows"]) == 2


def test_pending_last_line() -> None:
    data = SAMPLE.read_bytes()
    cut = data[: len(data) - 40]
    got = assert_same(cut, FileContext("x"), include_partial=False, read_size=3000)
    last = cut.rfind(b"\n") + 1
    assert got["pending"] == (last, cut.count(b"\n") + 1, len(cut) - last)
    got = assert_same(cut, FileContext("x"), include_partial=True, read_size=3000)
    assert got["rejects"] and got["rejects"][-1][2].startswith("invalid JSON")


def test_lone_surrogate_is_rejected_not_fatal() -> None:
    line = b'{"ibm_messageId":"AMQ9999E","ibm_datetime":"2026-11-02T04:29:28.792Z","message":"x \\ud800"}\n'
    pair = (
        b'{"ibm_messageId":"AMQ9999E","ibm_datetime":"2026-11-02T04:29:28.792Z","message":"\\ud83d\\ude00"}\n'
    )
    got = assert_same(line + pair, FileContext("x"))
    assert [r[2] for r in got["rejects"]] == ["lone surrogate escape in a JSON string (message)"]
    assert got["rows"][0][fastjson.ROW_COLUMNS.index("message")] == "\U0001f600"


# --- mutated lines ------------------------------------------------------------------------------
_BASE = [json.loads(x) for x in SAMPLE.read_text(encoding="utf-8").splitlines()[:40] if x.strip()]
_ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2**63 - 1, 2**63, -(2**63), 3.0, 2.5, float("inf")]),
    st.sampled_from(["", " ", "????", " 42 ", "+7", "0x10", "AMQ9999", " AMQ9631E ", "AMQ9631X", "amq9631e"]),
    st.sampled_from(["2026-11-02T04:29:28.788Z", "2026-02-30T04:29:28.788Z", "2026-11-02T04:29:28Z"]),
    st.sampled_from(
        ["2026-11-02T04:29:28.788+01:00", "2026-11-02 04:29:28.788Z", "2026-11-02T04.29.28.788Z"]
    ),
    st.sampled_from(["AMQ9999E: channel 'A.B' host 'h(1)'", "Channel 'X' to host '????' ended", "\u0663"]),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_KEYS = sorted(
    {k for obj in _BASE for k in obj}
    | {"ibm_messageID", "message_id", "IBM_DATETIME", "arith_insert_1", "comment_insert_2", "LogLevel"}
    | {"ibm_processID", "ibm_servername", "severity_letter", "Message", "module", "x"}
)


@st.composite
def _line(draw: st.DrawFn) -> bytes:
    obj = dict(draw(st.sampled_from(_BASE)))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["drop", "set", "add", "spell", "reorder"]))
        if op == "drop" and obj:
            obj.pop(draw(st.sampled_from(sorted(obj))))
        elif op in ("set", "add"):
            key = draw(st.sampled_from(sorted(obj) if op == "set" and obj else _KEYS))
            obj[key] = draw(_ODD_VALUES)
        elif op == "spell" and obj:  # the same key in another spelling (duplicate)
            key = draw(st.sampled_from(sorted(obj)))
            obj[key.upper() if key != key.upper() else key.lower()] = obj[key]
        elif op == "reorder":
            items = list(obj.items())
            obj = dict(draw(st.permutations(items)))
    if draw(st.integers(0, 9)) == 0:
        text = draw(st.sampled_from(["[1]", "null", '"s"', "{}", "{", '{"a":1} {"b":2}', "  ", "\x1f{}"]))
    else:
        text = json.dumps(
            obj, ensure_ascii=draw(st.booleans()), separators=draw(st.sampled_from([None, (",", ":")]))
        )
    raw = text.encode("utf-8")
    mutation = draw(
        st.sampled_from(["none"] * 6 + ["truncate", "bad_utf8", "latin1", "pad", "bom", "cr", "nul"])
    )
    if mutation == "truncate" and raw:
        raw = raw[: draw(st.integers(0, len(raw) - 1))]
    elif mutation == "bad_utf8":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xe9", b"\x81", b"\xc3"])) + raw[at:]
    elif mutation == "latin1":
        raw = text.encode("latin-1", errors="replace")
    elif mutation == "pad":
        raw = (
            draw(st.sampled_from([b" ", b"\t", b"\x0b"]))
            + raw
            + draw(st.sampled_from([b" ", b"\t", b"\x0c"]))
        )
    elif mutation == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif mutation == "cr":
        raw = raw.replace(b",", b",\r", 1)
    elif mutation == "nul":
        raw = raw.replace(b'"', b'"\x00', 1)
    return raw


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(_line(), max_size=8),
    seps=st.lists(st.sampled_from([b"\n", b"\r\n", b"\n\n", b"\n \n", b"\r\r\n"]), min_size=8, max_size=8),
    final=st.booleans(),
    partial=st.booleans(),
    max_line=st.sampled_from([runner.MAX_LINE, 200, 700]),
    read_size=st.sampled_from([1, 7, 64, 500, 1 << 20]),
)
def test_mutated_lines_match(
    lines: list[bytes], seps: list[bytes], final: bool, partial: bool, max_line: int, read_size: int
) -> None:
    data = b"".join(line + sep for line, sep in zip(lines, seps, strict=False))
    if not final and data.endswith(b"\n"):
        data = data.rstrip(b"\r\n")
    assert_same(
        data, FileContext("mutated.json"), include_partial=partial, max_line=max_line, read_size=read_size
    )


# --- end to end through the runner --------------------------------------------------------------
def _task(path: Path, staging: Path, include_partial: bool) -> runner.FileTask:
    return runner.FileTask(
        index=0,
        path=str(path),
        kind="json",
        gz=False,
        file_encoding=None,
        mode="new",
        start_offset=0,
        start_line=1,
        anchor_len=0,
        anchor_sha="",
        known_ids_path=None,
        date_order=None,
        date_order_source="",
        date_order_option="auto",
        tz="UTC",
        fallback_encoding="cp1252",
        include_partial=include_partial,
        staging_root=str(staging),
        run_id="run1",
        entry_id="e1",
        flush_rows=runner.FLUSH_ROWS,
        parsers=runner.Parsers.default(),
    )


def _reference_outcome(task: runner.FileTask) -> runner.FileOutcome:
    """``runner.process_file`` with the line path (the JSON columnar reader switched off)."""
    return runner.process_file(replace(task, parsers=replace(task.parsers, parse_json_columnar=None)))


def _table(staging: Path, files: list[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for written in files:
        rows.extend(pq.read_table(staging / written.rel).to_pylist())
    return rows


@pytest.mark.parametrize("include_partial", [True, False])
def test_runner_writes_the_same(tmp_path: Path, include_partial: bool) -> None:
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    data = b"".join(lines[:30])
    data += b"\n  \n" + b"not json\n" + lines[3].replace(b"\n", b"\r\n") + b'{"ibm_messageId":"x"}\n'
    data += lines[5].replace(b'"ibm_processId":', b'"ibm_processId":"12","IBM_processid":')
    data += b"".join(lines[30:]) + lines[7].rstrip(b"\n")[:-20]
    path = tmp_path / "in" / "AMQERR01.json"
    path.parent.mkdir()
    path.write_bytes(data)
    ref_stage, fast_stage = tmp_path / "ref", tmp_path / "fast"
    want = _reference_outcome(_task(path, ref_stage, include_partial))
    got = runner.process_file(_task(path, fast_stage, include_partial))
    assert want.status == "read", want.error
    assert len(_table(ref_stage, want.data_files)) == len(lines) + 2
    key = lambda r: r["event_id"]  # noqa: E731 - a sort key
    assert sorted(_table(fast_stage, got.data_files), key=key) == sorted(
        _table(ref_stage, want.data_files), key=key
    )
    assert _table(fast_stage, got.reject_files) == _table(ref_stage, want.reject_files)
    for name in ("seen", "parsed", "rejected", "already_ingested", "reject_reasons", "samples", "pending"):
        assert getattr(got, name) == getattr(want, name), name
    assert (got.end_offset, got.end_line, got.qmgrs) == (want.end_offset, want.end_line, want.qmgrs)
    assert got.encodings == want.encodings
    assert [w.rel.split("/")[1] for w in got.data_files] == [w.rel.split("/")[1] for w in want.data_files]


def test_reference_rejects_are_rejects() -> None:
    """The fallback really is the reference: a Reject from parse_json_line comes back unchanged."""
    line = b'{"ibm_messageId":"AMQ9999E"}'
    item = jsonlog.parse_json_line(line, 0, 1, FileContext("x"))
    assert isinstance(item, Reject)
    got = fast(line + b"\n", FileContext("x"))
    assert got["rejects"] == [(0, 1, item.reason, line, "json", len(line) + 1)]


def test_odd_values_stay_fast_and_exact() -> None:
    """Values of unexpected types in modelled columns go through jsonlog's converters on the fast
    path; a repeated key spelling and an impossible date go to the reference."""
    head = b'{"ibm_messageId":"AMQ9999E","ibm_datetime":"2026-11-02T04:29:28.792Z",'
    lines = [
        head + b'"host":5,"ibm_processId":"12","ibm_arithInsert1":"x","ibm_commentInsert1":"","loglevel":3}',
        head + b'"ibm_arithInsert1":2.0,"arith_insert_1":0,"ibm_commentInsert2":["a"],"extra":{"k":[1]}}',
        head + b'"ibm_threadId":true,"message":{"m":1},"ibm_remoteHost":" ???? "}',
        b'{"ibm_messageId":"AMQ9999Q","ibm_datetime":"2026-11-02T04:29:28.792Z","loglevel":"warn"}',
        head + b'"host":"a","HOST":"b"}',
        b'{"ibm_messageId":"AMQ9999E","ibm_datetime":"2026-02-30T04:29:28.792Z"}',
    ]
    got = assert_same(b"\n".join(lines) + b"\n", FileContext("x"))
    assert got["fast_rows"] == 4 and len(got["rows"]) == 5 and len(got["rejects"]) == 1
