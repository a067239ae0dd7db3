"""Property tests: rendered entries round-trip, and damaged input never raises."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import schemas
from pipeline.ingest import textlog
from pipeline.ingest.jsonlog import parse_json_line
from pipeline.ingest.records import FileContext, Parsed, Reject
from pipeline.ingest.slots import default_slot_table
from pipeline.ingest.textlog import parse_block, parse_flat_line, split_blocks

GOLDEN = Path(__file__).parent / "golden"
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

name = st.from_regex(r"[A-Za-z0-9_.$]{1,12}", fullmatch=True)
word = st.from_regex(r"[a-z0-9.,'()]{1,10}", fullmatch=True)
insert_text = st.from_regex(
    r"[A-Za-z0-9.,:=\[\]#]([A-Za-z0-9 .,:=\[\]#]{0,20}(\([A-Za-z0-9 .]{0,8}\)){0,2})?", fullmatch=True
)
HEADINGS = [
    ("EXPLANATION:", "ACTION:"),
    ("ERKLÄRUNG:", "AKTION:"),
    ("EXPLICATION :", "ACTION :"),
    ("EXPLICACIÓN:", "ACCIÓN:"),
]
STYLES = {  # style -> (strftime date format, date order given to the parser)
    "mdy2": ("%m/%d/%y", "mdy"),
    "mdy4": ("{m}/{d}/%Y", "mdy"),
    "dmy4": ("%d/%m/%Y", "dmy"),
    "dotted": ("%d.%m.%Y", "auto"),
}


def wrap(words: list[str], width: int) -> list[str]:
    lines, cur = [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    return lines + ([cur] if cur else [])


@st.composite
def entries(draw: st.DrawFn) -> dict:
    e: dict = {}
    local = draw(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2037, 12, 31))).replace(
        microsecond=0
    )
    style = draw(st.sampled_from(sorted(STYLES)))
    fmt, order = STYLES[style]
    date = local.strftime(fmt.format(m=local.month, d=local.day))
    twelve = draw(st.booleans())
    clock = local.strftime("%I:%M:%S %p") if twelve else local.strftime("%H:%M:%S")
    e["header_time"] = f"{date} {clock}"
    e["order"] = order
    e["pid"], e["tid"] = draw(st.integers(1, 10**7)), draw(st.integers(1, 10**4))
    for key in ("user", "program", "host", "installation"):
        e[key] = draw(name)
    e["vrmf"] = draw(st.from_regex(r"[0-9]\.[0-9]\.[0-9]\.[0-9]{1,2}", fullmatch=True))
    e["qmgr"] = draw(st.none() | name)
    time_field = draw(st.none() | st.integers(0, 999))
    if time_field is None:
        e["timestamp"] = local.replace(tzinfo=UTC)
        e["time_text"] = None
    else:
        utc = (local - timedelta(hours=draw(st.integers(-12, 12)))).replace(tzinfo=UTC) + timedelta(
            milliseconds=time_field
        )
        e["timestamp"] = utc
        e["time_text"] = utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{time_field:03d}Z"
    e["remote_host"] = draw(
        st.none() | st.from_regex(r"10\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True)
    )
    e["arith_insert_1"] = draw(st.none() | st.integers(1, 10**9))
    e["arith_insert_2"] = draw(st.none() | st.integers(1, 10**9))
    for i in (1, 2, 3):
        e[f"comment_insert_{i}"] = draw(st.none() | insert_text)
    e["msg_id"] = draw(
        st.sampled_from(["AMQ9999", "AMQ9207", "AMQ9633", "AMQ9616"])
        | st.integers(1000, 9999).map("AMQ{}".format)
    )
    e["severity"] = draw(st.none() | st.sampled_from("IWEST"))
    e["summary"] = draw(st.lists(word, min_size=1, max_size=25))
    e["explanation"] = draw(st.lists(word, min_size=1, max_size=60))
    e["action"] = draw(st.lists(word, min_size=1, max_size=30))
    e["headings"] = draw(st.sampled_from(HEADINGS))
    e["module"] = draw(st.none() | st.from_regex(r"amq[a-z0-9]{4,5}\.c", fullmatch=True))
    e["line_no"] = draw(st.integers(1, 99999))
    e["crlf"] = draw(st.booleans())
    e["width"] = draw(st.integers(20, 79))
    return e


def fits_events_schema(row: dict) -> None:
    """The row converts to the events Arrow schema exactly (types, int64 ranges, column names)."""
    import pyarrow as pa

    full = {"event_id": "0" * 32, **row}
    assert set(full) == set(schemas.EVENTS.names)
    pa.Table.from_pylist([full], schema=schemas.EVENTS)


def render(e: dict) -> bytes:
    pad = " " * 20
    lines = [
        f"{e['header_time']} - Process({e['pid']}.{e['tid']}) User({e['user']}) Program({e['program']})",
        f"{pad}Host({e['host']}) Installation({e['installation']})",
        f"{pad}VRMF({e['vrmf']})" + (f" QMgr({e['qmgr']})" if e["qmgr"] else ""),
    ]
    if e["time_text"]:
        lines.append(f"{pad}Time({e['time_text']})")
    if e["remote_host"]:
        lines.append(f"{pad}RemoteHost({e['remote_host']})")
    ariths = [
        f"ArithInsert{i}({e[f'arith_insert_{i}']})" for i in (1, 2) if e[f"arith_insert_{i}"] is not None
    ]
    if ariths:
        lines.append(pad + " ".join(ariths))
    for i in (1, 2, 3):
        if e[f"comment_insert_{i}"] is not None:
            lines.append(f"{pad}CommentInsert{i}({e[f'comment_insert_{i}']})")
    lines.append(pad)
    summary = wrap(e["summary"], e["width"])
    lines.append(f"{e['msg_id']}{e['severity'] or ''}: {summary[0]}")
    lines += summary[1:]
    lines += (
        ["", e["headings"][0]]
        + wrap(e["explanation"], e["width"])
        + [e["headings"][1]]
        + wrap(e["action"], e["width"])
    )
    trailer = f"----- {e['module']} : {e['line_no']} " if e["module"] else "-----"
    lines.append(trailer.ljust(79, "-"))
    nl = "\r\n" if e["crlf"] else "\n"
    return (nl.join(lines) + nl).encode("utf-8")


@PROPS
@given(st.lists(entries(), min_size=1, max_size=3))
def test_round_trip(batch: list[dict]) -> None:
    data = b"".join(render(e) for e in batch)
    blocks = list(split_blocks(io.BytesIO(data)))
    assert len(blocks) == len(batch)
    for e, b in zip(batch, blocks, strict=True):
        r = parse_block(b, FileContext("p.log", date_order=e["order"]))
        assert isinstance(r, Parsed), getattr(r, "reason", "")
        row = r.row
        for key in (
            "pid",
            "tid",
            "user",
            "program",
            "host",
            "installation",
            "vrmf",
            "qmgr",
            "arith_insert_1",
            "arith_insert_2",
            "comment_insert_1",
            "comment_insert_2",
            "comment_insert_3",
            "msg_id",
            "severity",
            "header_time",
            "timestamp",
        ):
            assert row[key] == e[key], key
        assert row["remote_host"] == (e["remote_host"] or row["conname"])  # falls back to the conname
        slot = default_slot_table().slot(e["msg_id"], "channel")
        if slot and (e[slot] or "").strip() not in ("", "????"):
            assert row["channel"] == e[slot].strip()
        assert row["timestamp_source"] == ("time_field" if e["time_text"] else "header_local")
        assert row["message"] == " ".join(e["summary"])
        assert row["explanation"] == " ".join(e["explanation"])
        assert row["action"] == " ".join(e["action"])
        assert row["source_module"] == (f"{e['module']}:{e['line_no']}" if e["module"] else None)
        assert general_path(b, FileContext("p.log", date_order=e["order"])) == (r.row, r.notes)
        fits_events_schema(row)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries())
def test_flat_round_trip(e: dict) -> None:
    """The same entry flattened onto one line (as Elastic's and Datadog's test data are) reads the same."""
    text = render(e).decode("utf-8")
    line = " ".join(part.strip() for part in text.splitlines() if part.strip()).encode("utf-8")
    r = parse_flat_line(line, 0, 1, FileContext("p.log", date_order=e["order"]))
    assert isinstance(r, Parsed), getattr(r, "reason", "")
    row = r.row
    for key in (
        "pid",
        "tid",
        "user",
        "program",
        "host",
        "vrmf",
        "qmgr",
        "arith_insert_1",
        "arith_insert_2",
        "comment_insert_1",
        "comment_insert_2",
        "comment_insert_3",
        "msg_id",
        "severity",
        "timestamp",
    ):
        assert row[key] == e[key], key
    assert row["message"] == " ".join(e["summary"])
    assert row["explanation"] == " ".join(e["explanation"])
    assert row["action"] == " ".join(e["action"])
    assert row["source_module"] == (f"{e['module']}:{e['line_no']}" if e["module"] else None)
    fits_events_schema(row)


def general_path(block, ctx: FileContext) -> tuple[dict, list[str]] | str:  # type: ignore[no-untyped-def]
    """parse_block with the one-regex fast path switched off (the two must agree)."""
    textlog.FAST_PATH = False
    try:
        r = parse_block(block, ctx)
    finally:
        textlog.FAST_PATH = True
    return r.reason if isinstance(r, Reject) else (r.row, r.notes)


def _real_entries() -> list[bytes]:
    out = []
    for n in ("v94_tls.log", "v90_windows.log", "ampm_and_dates.log", "localized.log", "cp850_german.log"):
        out += [b.data for b in split_blocks(io.BytesIO((GOLDEN / n).read_bytes()))]
    return out


REAL = _real_entries()
SPECIAL = st.sampled_from(
    [
        b"\n",
        b"\r",
        b"(",
        b")",
        b"-----",
        b"\x00",
        b"\xff",
        b"\x8e",
        b":",
        b"AMQ9999E: ",
        b"\n11/20/26 10:00:00 - Process(1.1)\n",
        b"'",
        b"\n-----\n",
    ]
)
mutation = st.tuples(
    st.sampled_from(["insert", "delete", "replace"]),
    st.floats(0, 1),
    st.integers(1, 40),
    SPECIAL | st.binary(min_size=1, max_size=8),
)


def mutate(data: bytes, ops: list[tuple[str, float, int, bytes]]) -> bytes:
    for kind, where, size, payload in ops:
        i = int(where * len(data))
        if kind == "insert":
            data = data[:i] + payload + data[i:]
        elif kind == "delete":
            data = data[:i] + data[i + size :]
        else:
            data = data[:i] + payload + data[i + len(payload) :]
    return data


@PROPS
@given(
    st.lists(st.sampled_from(REAL), min_size=1, max_size=4),
    st.lists(mutation, min_size=1, max_size=6),
    st.sampled_from(["mdy", "dmy", "auto"]),
)
def test_mutated_text_never_raises(picked: list[bytes], ops: list, order: str) -> None:
    data = mutate(b"".join(picked), ops)
    blocks = list(split_blocks(io.BytesIO(data)))
    joined = b"".join(b.data for b in blocks)
    assert (
        data.startswith(joined) and not data[len(joined) :].strip()
    )  # every byte lands in exactly one block
    ctx = FileContext("m.log", tz="Europe/Berlin", date_order=order)  # type: ignore[arg-type]
    for b in blocks:
        r = parse_block(b, ctx)
        assert isinstance(r, Parsed | Reject)
        assert general_path(b, ctx) == (r.reason if isinstance(r, Reject) else (r.row, r.notes))
        if isinstance(r, Reject):
            assert r.reason and r.raw == b.data
        else:
            assert r.row["msg_id"].startswith("AMQ") and r.row["timestamp"] is not None
            fits_events_schema(r.row)


@PROPS
@given(st.sampled_from(REAL), st.lists(mutation, min_size=0, max_size=6))
def test_mutated_flat_lines_never_raise(entry: bytes, ops: list) -> None:
    line = mutate(entry.replace(b"\r", b"").replace(b"\n", b" "), ops)
    r = parse_flat_line(line, 0, 1, FileContext("f.log"))
    assert isinstance(r, Parsed | Reject)
    if isinstance(r, Parsed):
        fits_events_schema(r.row)


JSON_BASE = json.dumps(
    {
        "ibm_messageId": "AMQ9209E",
        "ibm_arithInsert1": 0,
        "ibm_commentInsert1": "h (1.2.3.4)",
        "ibm_commentInsert3": "CH",
        "ibm_datetime": "2026-11-20T10:00:00.000Z",
        "ibm_serverName": "QMA",
        "ibm_processId": 5,
        "message": "AMQ9209E: closed.",
    }
).encode()


@PROPS
@given(st.lists(mutation, min_size=0, max_size=6))
def test_mutated_json_never_raises(ops: list) -> None:
    r = parse_json_line(mutate(JSON_BASE, ops), 0, 1, FileContext("j.json"))
    assert isinstance(r, Parsed | Reject)
    if isinstance(r, Parsed):
        fits_events_schema(r.row)
