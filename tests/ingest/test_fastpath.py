"""The columnar fast path (pipeline/ingest/fastpath.py) gives exactly the reference parser's rows.

The reference is ``textlog.split_blocks`` + ``textlog.parse_block``; the fast path must agree row for
row (every column, the content key, file order), reject for reject, and on where reading stopped.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest import dates, fastpath
from pipeline.ingest.records import FileContext, Reject
from pipeline.ingest.textlog import parse_block, split_blocks

GOLDEN = Path(__file__).parent / "golden"
CONTEXTS = {
    k: v
    for k, v in json.loads((GOLDEN / "contexts.json").read_text()).items()
    if not k.startswith("_") and v["form"] == "text"
}


def reference(data: bytes, ctx: FileContext, include_partial: bool = True) -> dict[str, Any]:
    rows: list[tuple[Any, ...]] = []
    keys: list[bytes] = []
    rejects: list[tuple[int, int, str, bytes]] = []
    end = 0
    for block in split_blocks(io.BytesIO(data)):
        if not (block.complete and block.data.endswith(b"\n")) and not include_partial:
            break
        item = parse_block(block, ctx)
        if isinstance(item, Reject):
            rejects.append((item.offset, item.line, item.reason, item.raw))
        else:
            rows.append(tuple(item.row.get(c) for c in fastpath.ROW_COLUMNS))
            keys.append(item.content_key)
        end = block.offset + len(block.data)
    return {"rows": rows, "keys": keys, "rejects": rejects, "end": end}


def fast(
    data: bytes, ctx: FileContext, include_partial: bool = True, read_size: int = 1 << 20
) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": [], "keys": [], "rejects": [], "end": 0}
    for batch in fastpath.parse_columnar(
        io.BytesIO(data), ctx, include_partial=include_partial, read_size=read_size
    ):
        out["rows"].extend(batch.rows)
        out["keys"].extend(batch.keys)
        out["rejects"].extend((r.offset, r.line, r.reason, r.raw) for r in batch.rejects)
        out["end"] = batch.end_offset
        assert len(batch.columns()["msg_id"]) == len(batch.rows)
    return out


def assert_same(data: bytes, ctx: FileContext, **kwargs: Any) -> None:
    want = reference(data, ctx, kwargs.get("include_partial", True))
    got = fast(data, ctx, **kwargs)
    assert len(got["rows"]) == len(want["rows"])
    for i, (g, w) in enumerate(zip(got["rows"], want["rows"], strict=True)):
        assert g == w, (
            f"row {i} differs: {[(c, a, b) for c, a, b in zip(fastpath.ROW_COLUMNS, g, w, strict=True) if a != b]}"
        )
    assert got["keys"] == want["keys"]
    assert got["rejects"] == want["rejects"]
    assert got["end"] == want["end"]


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_golden_files_match_reference(name: str) -> None:
    spec = CONTEXTS[name]
    ctx = FileContext(
        name, tz=spec["tz"], date_order=spec["date_order"], fallback_encoding=spec["fallback_encoding"]
    )
    data = (GOLDEN / name).read_bytes()
    assert_same(data, ctx)
    assert_same(data, ctx, include_partial=False)
    assert_same(data * 3, ctx, read_size=97)  # regions cut at odd places


def test_golden_usual_layout_takes_the_fast_path() -> None:
    data = (GOLDEN / "v94_tls.log").read_bytes()
    batches = list(fastpath.parse_columnar(io.BytesIO(data), FileContext("v94_tls.log")))
    rows = sum(len(b.rows) for b in batches)
    assert rows > 0 and sum(b.fast_rows for b in batches) == rows


@pytest.mark.parametrize(
    ("fixture", "ctx_args"),
    [
        ("nastel-tnt4j-streams/AMQERR01.LOG", {"tz": "UTC"}),
        ("elastic-beats-filebeat-ibmmq/AMQERR01.LOG", {"fallback_encoding": "cp850"}),
        ("elastic-integrations-ibmmq/test-errorlog-9-4.log", {}),
        ("elastic-integrations-ibmmq/test-errorlog.log", {}),
    ],
)
def test_peer_fixtures_match_reference(peer_fixtures: Path, fixture: str, ctx_args: dict[str, str]) -> None:
    data = (peer_fixtures / fixture).read_bytes()
    for order in ("mdy", "dmy", "auto"):
        assert_same(data, FileContext(fixture, date_order=order, **ctx_args))  # type: ignore[arg-type]


def test_nastel_is_mostly_fast(peer_fixtures: Path) -> None:
    data = (peer_fixtures / "nastel-tnt4j-streams/AMQERR01.LOG").read_bytes()
    batches = list(fastpath.parse_columnar(io.BytesIO(data), FileContext("n", date_order="mdy")))
    rows = sum(len(b.rows) for b in batches)
    assert sum(b.fast_rows for b in batches) >= 0.9 * rows


_PIECES = [
    b"\n",
    b"   \n",
    b"\r\n",
    b"-----\n",
    b"----- amqxyz.c : 12 ------\n",
    b"11/20/26 10:05:12 - Process(1.2) User(mqm)\n",
    b"AMQ9999E: second id\n",
    b"ACTION:\n",
    b"Host Info:\n",
    b"caf\xc3\xa9 \xff\n",
    b"Summary: with a colon\n",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=2000), st.sampled_from(_PIECES)), min_size=0, max_size=6
    ),
    st.integers(min_value=0, max_value=400),
    st.sampled_from([64, 1000, 1 << 20]),
)
def test_mutated_input_matches_reference(edits: list[tuple[int, bytes]], cut: int, read_size: int) -> None:
    data = bytearray((GOLDEN / "v94_tls.log").read_bytes() + (GOLDEN / "sparse_layout.log").read_bytes())
    for where, piece in edits:
        at = data.find(b"\n", where % len(data)) + 1
        data[at:at] = piece
    if cut:
        del data[len(data) - cut :]
    ctx = FileContext("mutated", date_order="auto")
    assert_same(bytes(data), ctx, read_size=read_size)
    assert_same(bytes(data), ctx, include_partial=False, read_size=read_size)


def test_generated_corpus_matches_reference(tmp_path: Path) -> None:
    """Every message layout the sample generator writes (40 queue managers, many message ids)."""
    from pipeline.samples.corpus import write_corpus

    write_corpus(tmp_path / "c", 3 << 20, seed=7, n_qmgrs=6)
    logs = sorted((tmp_path / "c").rglob("*.LOG"))
    assert logs
    for path in logs:
        assert_same(path.read_bytes(), FileContext(path.name, date_order="mdy"))


def test_columns_follow_the_events_schema() -> None:
    from pipeline import schemas

    assert fastpath.ROW_COLUMNS == tuple(schemas.EVENTS.names[1:])


def test_record_batch_equals_row_dicts() -> None:
    import pyarrow as pa

    from pipeline import schemas
    from pipeline.ingest import ids, writer

    data = (GOLDEN / "v94_tls.log").read_bytes() + (GOLDEN / "ampm_and_dates.log").read_bytes()
    ctx = FileContext("rb", tz="Europe/Berlin")
    for batch in fastpath.parse_columnar(io.BytesIO(data), ctx):
        counter = ids.OrdinalCounter()
        event_ids: list[str | None] = [ids.event_id(k, counter.next(k)) for k in batch.keys]
        event_ids[0] = None  # an already ingested row is left out
        rows = [
            dict(zip(("event_id", *fastpath.ROW_COLUMNS), (e, *r), strict=True))
            for e, r in zip(event_ids, batch.rows, strict=True)
        ][1:]
        rb = fastpath.record_batch(batch, event_ids)
        assert rb.equals(pa.RecordBatch.from_pylist(rows, schema=schemas.EVENTS))
        parts = fastpath.by_partition(rb)
        assert [p for p, _ in parts] == sorted({writer.partition_of(r["timestamp"]) for r in rows})
        assert sum(b.num_rows for _, b in parts) == rb.num_rows


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_usual_iso_form_reads_like_the_general_form(moment: datetime) -> None:
    """dates.parse_iso_utc reads MQ's usual ``...T10:05:12.345Z`` with the C parser: same value."""
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    m = moment
    usual = f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond // 1000:03d}Z"
    assert len(usual) == 24
    general = usual.replace("T", " ")  # the same instant, not the usual shape: the regex reading
    assert dates.parse_iso_utc(usual) == dates.parse_iso_utc(general) == moment.replace(tzinfo=UTC)
    assert dates.parse_iso_utc(usual).tzinfo is UTC


def _date_order_by_counting(samples: list[tuple[str, str | None]]) -> str | None:
    """detect_date_order as first written (every sample, both orders): the reference for the pruned one."""
    dmy_votes = mdy_votes = 0
    time_ok = {"mdy": 0, "dmy": 0}
    informative = 0
    for header, utc_text in samples:
        parts = dates.split_header_time(header)
        date_text = parts[0] if parts else header.strip()
        fields = dates.split_date(date_text)
        if fields is None or dates.forced_order(date_text) is not None:
            continue
        a, b, _, _ = fields
        if a > 12 and b <= 12:
            dmy_votes += 1
        elif b > 12 and a <= 12:
            mdy_votes += 1
        if parts is None or not utc_text or a == b or a > 12 or b > 12:
            continue
        try:
            utc = dates.parse_iso_utc(utc_text)
        except dates.DateError:
            continue
        informative += 1
        for order in ("mdy", "dmy"):
            try:
                local = dates.parse_header_datetime(parts[0], parts[1], order)
            except dates.DateError:
                continue
            if dates._plausible_offset(local, utc):
                time_ok[order] += 1
    if dmy_votes and mdy_votes:
        return None
    if dmy_votes or mdy_votes:
        return "dmy" if dmy_votes else "mdy"
    if informative:
        mdy_fit, dmy_fit = time_ok["mdy"] == informative, time_ok["dmy"] == informative
        if mdy_fit != dmy_fit:
            return "mdy" if mdy_fit else "dmy"
    return None


_sample = st.tuples(
    st.integers(1, 14),
    st.integers(1, 14),
    st.sampled_from(["/", "."]),
    st.integers(0, 23),
    st.integers(-15, 15),
).map(
    lambda t: (
        f"{t[0]:02d}{t[2]}{t[1]:02d}{t[2]}26 {t[3]:02d}:30:00",
        None if t[4] == 15 else f"2026-{t[0]:02d}-{min(t[1], 28):02d}T{(t[3] + t[4]) % 24:02d}:30:00.000Z",
    )
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_sample, max_size=12))
def test_pruned_date_order_detection_decides_like_counting(samples: list[tuple[str, str | None]]) -> None:
    assert dates.detect_date_order(samples) == _date_order_by_counting(samples)


def test_long_run_without_trailer_hands_over_to_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastpath, "GENERAL_AFTER", 300)
    data = (GOLDEN / "v94_tls.log").read_bytes()
    no_trailers = b"".join(line for line in data.splitlines(keepends=True) if not line.startswith(b"-----"))
    assert_same(data + no_trailers + data, FileContext("x"), read_size=128)


def test_runner_output_is_the_same_with_and_without_the_fast_path(
    tmp_path: Path, peer_fixtures: Path
) -> None:
    """mqtriage ingest writes the same events and rejects whether text logs take the fast path or not."""
    import dataclasses
    import shutil

    import pyarrow.dataset as pads

    from pipeline.ingest.runner import IngestOptions, Parsers, ingest

    inputs = tmp_path / "in"
    for i, name in enumerate(n for n in sorted(CONTEXTS) if CONTEXTS[n]["form"] == "text"):
        (inputs / f"g{i}").mkdir(parents=True)
        shutil.copy(GOLDEN / name, inputs / f"g{i}" / "AMQERR01.LOG")
    for i, fixture in enumerate(
        ["nastel-tnt4j-streams/AMQERR01.LOG", "elastic-beats-filebeat-ibmmq/AMQERR01.LOG"]
    ):
        (inputs / f"p{i}").mkdir()
        shutil.copy(peer_fixtures / fixture, inputs / f"p{i}" / "AMQERR01.LOG")

    def tables(out: Path, parsers: Parsers) -> list[Any]:
        ingest([str(inputs)], out, IngestOptions(jobs=1, parsers=parsers))
        found = []
        for name, key in (("events", "event_id"), ("rejects", "source_offset")):
            folder = out / name
            table = pads.dataset(folder, format="parquet", partitioning="hive").to_table()
            sort = [("source_path", "ascending"), (key, "ascending")]
            found.append(
                table.drop_columns([c for c in ("run_id",) if c in table.column_names]).sort_by(sort)
            )
        return found

    default = Parsers.default()
    assert default.columnar_reader() is not None
    fast = tables(tmp_path / "fast", default)
    slow = tables(tmp_path / "slow", dataclasses.replace(default, parse_columnar=None))
    assert fast[0].num_rows > 0 and fast[1].num_rows > 0
    assert fast[0].equals(slow[0])
    assert fast[1].equals(slow[1])
