"""CSV and JSON Lines last-error exports: odd headers, extra columns, bad rows, and a property test."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import InputError
from pipeline.ingest.exports import read_export, sniff_export
from pipeline.ingest.exports_common import extract_mqrc, extract_msg_id
from pipeline.ingest.records import FileContext, Parsed, Reject
from pipeline.schemas import CHANNEL_STATUS

ROW_SCHEMA = pa.schema([f for f in CHANNEL_STATUS if f.name != "status_id"])
EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples"


def run(
    kind: str, data: bytes, tz: str = "UTC", path: str = "in/last_error"
) -> tuple[list[Parsed], list[Reject]]:
    """Read ``data`` as ``kind``; every item must be a Parsed or a Reject and every row fit the schema."""
    parsed: list[Parsed] = []
    rejects: list[Reject] = []
    for item in read_export(kind, io.BytesIO(data), FileContext(source_path=path, tz=tz)):
        if isinstance(item, Parsed):
            parsed.append(item)
        else:
            assert isinstance(item, Reject), type(item)
            assert item.source_format == kind
            rejects.append(item)
    pa.Table.from_pylist([p.row for p in parsed], schema=ROW_SCHEMA)
    for p in parsed:
        assert set(p.row) == set(ROW_SCHEMA.names)
    return parsed, rejects


def extra(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(row["extra"]) if row["extra"] else {}


def iso(row: dict[str, Any]) -> str | None:
    ts = row["timestamp"]
    return None if ts is None else ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --- what a last_error text says -------------------------------------------------------------

JAVA_CHAIN = (
    "com.ibm.msg.client.jms.DetailedIllegalStateException: JMSWMQ0018: Failed to connect to queue manager 'QMA' "
    "with connection mode 'Client' and host name 'mqa.example.com(1414)'.\n"
    "Caused by: com.ibm.mq.MQException: JMSCMQ0001: IBM MQ call failed with compcode '2' ('MQCC_FAILED') "
    "reason '2397' ('MQRC_JSSE_ERROR').\n"
    "Caused by: com.ibm.mq.jmqi.JmqiException: CC=2;RC=2397;AMQ9771: SSL handshake failed. "
    "[1=javax.net.ssl.SSLHandshakeException[Received fatal alert: certificate_unknown]]\n"
    "Caused by: javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown"
)


@pytest.mark.parametrize(
    "text,msg_id,mqrc",
    [
        (JAVA_CHAIN, "JMSWMQ0018", 2397),
        ("MQCONN failed: reason 2035", None, 2035),
        ("MQCONNX ended with reason code 2059.", None, 2059),
        ("reason code: 2538", None, 2538),
        ("CC=2;RC=2397;AMQ9771: SSL handshake failed.", "AMQ9771", 2397),
        (
            "JMSCMQ0001: IBM MQ call failed with compcode '2' ('MQCC_FAILED') reason '2035' ('MQRC_NOT_AUTHORIZED').",
            "JMSCMQ0001",
            2035,
        ),
        ("'2035' ('MQRC_NOT_AUTHORIZED')", None, 2035),
        ("failed with MQRC_HOST_NOT_AVAILABLE", None, 2538),
        ("MQRC_SOMETHING_NEW then reason 2009", None, 2009),
        ("AMQ9202E: Remote host 'x (10.0.0.1) (1414)' not available. Return code 111", "AMQ9202", None),
        (
            "+CSQX202E CSQ1 CSQXRCTL Connection or remote listener unavailable, channel A.B connection x "
            "TRPTYPE=TCP RC=00000468 (ECONNREFUSED) reason=00000000",
            "CSQX202E",
            None,
        ),
        ("AMQ9665 SSL connection closed by remote end", "AMQ9665", None),
        ("see AMQERR01.LOG", None, None),
        ("", None, None),
    ],
)
def test_extract_msg_id_and_mqrc(text: str, msg_id: str | None, mqrc: int | None) -> None:
    assert extract_msg_id(text) == msg_id
    assert extract_mqrc(text) == mqrc


# --- CSV ----------------------------------------------------------------------------------------


def test_example_csv() -> None:
    data = (EXAMPLES / "last_error.csv").read_bytes()
    assert sniff_export("last_error.csv", data[:65536]) == "csv"
    parsed, rejects = run("csv", data)
    assert rejects == []
    got = [(p.row["qmgr"], p.row["channel"], p.row["msg_id"], p.row["mqrc"], p.row["status"]) for p in parsed]
    assert got == [
        ("QMA", "APP.SVRCONN", "JMSWMQ2013", 2035, "RUNNING"),
        ("QMA", "APP.TLS.SVRCONN", "JMSWMQ0018", 2397, "RETRYING"),
        ("QMB", "QMB.QMC.NEW", "AMQ9520", None, "RETRYING"),
        ("QMA", "QMA.QMD", "AMQ9202", None, "RETRYING"),
    ]
    chain = parsed[1].row["last_error"]
    assert "AMQ9771" in chain and chain.endswith("(TransportContext.java:370)")
    assert "certificate_unknown" in chain and "\n\tat sun.security" in chain
    assert all(extra(p.row)["team"] for p in parsed)
    # each row's offset is where its record starts, even after a multi-line quoted field
    for p in parsed:
        assert data[p.row["source_offset"] :].startswith(
            p.row["qmgr"].encode() + b"," + p.row["channel"].encode()
        )


def test_example_jsonl() -> None:
    data = (EXAMPLES / "last_error.jsonl").read_bytes()
    assert sniff_export("last_error.jsonl", data[:65536]) == "jsonl"
    parsed, rejects = run("jsonl", data)
    assert rejects == []
    assert [(p.row["msg_id"], p.row["mqrc"]) for p in parsed] == [
        ("JMSWMQ2013", 2035),
        ("JMSWMQ0018", 2397),
        ("AMQ9665", None),
    ]
    assert "reason 2035" in parsed[0].row["last_error"]
    assert "Received fatal alert: certificate_unknown" in parsed[1].row["last_error"]


HEADER_CASES = [
    ("plain", b"qmgr,channel,last_error_time,last_error\nQMA,C1,2026-11-20T10:00:00Z,AMQ9633E bad cert\n"),
    (
        "upper-semicolon",
        b"QMGR;CHANNEL;LAST_ERROR_TIME;LAST_ERROR\r\nQMA;C1;2026-11-20T10:00:00Z;AMQ9633E bad cert\r\n",
    ),
    (
        "spaces-tab",
        b"Qmgr\tChannel\tLast Error Time\tLast Error\nQMA\tC1\t2026-11-20T10:00:00Z\tAMQ9633E bad cert\n",
    ),
    (
        "dashes-bom",
        b"\xef\xbb\xbf Qmgr , Channel , last-error-time , LAST-ERROR \nQMA,C1,2026-11-20T10:00:00Z,AMQ9633E bad cert\n",
    ),
    (
        "aliases-reordered",
        b"Last Error,Channel Name,Queue Manager,LastErrorTime\nAMQ9633E bad cert,C1,QMA,2026-11-20T10:00:00Z\n",
    ),
    (
        "excel-sep-hint",
        b"sep=;\r\nqmgr;channel;last_error_time;last_error\r\nQMA;C1;2026-11-20T10:00:00Z;AMQ9633E bad cert\r\n",
    ),
    (
        "quoted-header",
        b'"qmgr","channel","last_error_time","last_error"\n"QMA","C1","2026-11-20T10:00:00Z","AMQ9633E bad cert"\n',
    ),
]


@pytest.mark.parametrize("data", [c[1] for c in HEADER_CASES], ids=[c[0] for c in HEADER_CASES])
def test_csv_odd_headers(data: bytes) -> None:
    parsed, rejects = run("csv", data)
    assert rejects == []
    assert [(p.row["qmgr"], p.row["channel"], iso(p.row), p.row["msg_id"]) for p in parsed] == [
        ("QMA", "C1", "2026-11-20T10:00:00.000Z", "AMQ9633")
    ]


def test_csv_extra_columns_are_kept_under_their_header() -> None:
    data = (
        b"qmgr,channel,last_error_time,last_error,Team,Ticket No,team,conname,status,substate\n"
        b"QMA,C1,2026-11-20T10:00:00Z,x,payments,INC-1,again,h(1414),RETRYING,\n"
    )
    parsed, _ = run("csv", data)
    row = parsed[0].row
    assert extra(row) == {"Team": "payments", "Ticket No": "INC-1", "team": "again"}
    assert (row["conname"], row["status"], row["substate"]) == ("h(1414)", "RETRYING", None)


def test_csv_missing_columns_name_the_file_and_the_column() -> None:
    with pytest.raises(InputError) as caught:
        run("csv", b"qmgr,channel,when,last_error\nQMA,C1,now,x\n", path="exports/team.csv")
    message = str(caught.value)
    assert "exports/team.csv" in message and "last_error_time" in message and "'when'" in message


@pytest.mark.parametrize(
    "tz,value,expected",
    [
        ("UTC", "2026-11-20T10:00:00Z", "2026-11-20T10:00:00.000Z"),
        ("UTC", "2026-11-20T11:00:00+01:00", "2026-11-20T10:00:00.000Z"),
        ("UTC", "2026-11-20T10:00:00.123456Z", "2026-11-20T10:00:00.123Z"),
        ("Europe/Berlin", "2026-11-20T11:00:00", "2026-11-20T10:00:00.000Z"),
        ("Europe/Berlin", "2026-11-20 11:00:00", "2026-11-20T10:00:00.000Z"),
        ("Europe/Berlin", "2026-07-20 11:00:00", "2026-07-20T09:00:00.000Z"),
        ("America/New_York", "2026/11/20 05:00:00", "2026-11-20T10:00:00.000Z"),
        ("UTC", "", None),
        ("UTC", "1795168800", "2026-11-20T10:00:00.000Z"),
        ("UTC", "1795168800123", "2026-11-20T10:00:00.123Z"),
    ],
)
def test_csv_time_forms(tz: str, value: str, expected: str | None) -> None:
    parsed, rejects = run(
        "csv", f"qmgr,channel,last_error_time,last_error\nQMA,C1,{value},x\n".encode(), tz=tz
    )
    assert rejects == []
    assert iso(parsed[0].row) == expected
    assert parsed[0].row["timestamp_source"] == ("last_error_time" if expected else None)


def test_csv_bad_rows_are_rejected_with_offsets() -> None:
    header = b"qmgr,channel,last_error_time,last_error\n"
    rows = [
        b"QMA,C1,2026-11-20T10:00:00Z,fine\n",
        b"QMA,C2,2026-11-20T10:00:00Z\n",  # too few fields
        b"QMA,C3,yesterday,unreadable time\n",
        b",C4,2026-11-20T10:00:00Z,no qmgr\n",
        b'QMA,C5,2026-11-20T10:00:00Z,"a "quoted" mess"x\n',  # broken quoting
        b"\n",  # blank: not a record
        b'QMA,C6,2026-11-20T10:00:00Z,"two\nlines"\n',
        b"QMA,C7,2026-11-20T10:00:00Z,x,extra,fields\n",
        b"QMA,C8,2026-11-20T10:00:00Z,trailing delimiter,\n",
    ]
    data = header + b"".join(rows)
    offsets = [len(header) + sum(len(r) for r in rows[:i]) for i in range(len(rows))]
    parsed, rejects = run("csv", data)
    assert [(p.row["channel"], p.row["source_offset"]) for p in parsed] == [
        ("C1", offsets[0]),
        ("C6", offsets[6]),
        ("C8", offsets[8]),
    ]
    assert [(r.offset, r.line, r.reason) for r in rejects] == [
        (offsets[1], 3, "wrong field count: expected 4, found 3"),
        (offsets[2], 4, "unreadable time: 'yesterday' (expected ISO 8601 or YYYY-MM-DD HH:MM:SS)"),
        (offsets[3], 5, "missing value: qmgr is empty"),
        (offsets[4], 6, "broken CSV quoting: ',' expected after '\"'"),
        (offsets[7], 10, "wrong field count: expected 4, found 6"),
    ]
    assert rejects[0].raw == rows[1]
    assert parsed[1].row["last_error"] == "two\nlines"


def test_csv_unterminated_quote_at_end_is_rejected() -> None:
    data = b'qmgr,channel,last_error_time,last_error\nQMA,C1,2026-11-20T10:00:00Z,"never closed\nmore\n'
    parsed, rejects = run("csv", data)
    assert parsed == []
    assert len(rejects) == 1 and rejects[0].line == 2 and rejects[0].raw.endswith(b"more\n")


def test_csv_cp1252_row_and_utf16_file() -> None:
    data = b"qmgr,channel,last_error_time,last_error\nQMA,C1,2026-11-20T10:00:00Z,Zertifikat ung\xfcltig\n"
    parsed, _ = run("csv", data)
    assert parsed[0].row["last_error"] == "Zertifikat ung\u00fcltig" and parsed[0].row["encoding"] == "cp1252"
    utf16 = "qmgr\tchannel\tlast_error_time\tlast_error\r\nQMA\tC1\t2026-11-20T10:00:00Z\tgültig\r\n".encode(
        "utf-16"
    )
    assert sniff_export("export.txt", utf16[:4096]) == "csv"
    parsed, rejects = run("csv", utf16)
    assert rejects == [] and parsed[0].row["last_error"] == "gültig" and parsed[0].row["encoding"] == "utf-16"


def test_csv_and_jsonl_of_the_same_record_share_a_content_key() -> None:
    csv_rows, _ = run(
        "csv", b"qmgr,channel,last_error_time,last_error,team\nQMA,C1,2026-11-20T10:00:00Z,x,pay\n"
    )
    jsonl_rows, _ = run(
        "jsonl",
        b'{"channel":"C1","qmgr":"QMA","last_error":"x","last_error_time":"2026-11-20T10:00:00Z","team":"pay"}\n',
    )
    assert csv_rows[0].content_key == jsonl_rows[0].content_key
    changed, _ = run(
        "csv", b"qmgr,channel,last_error_time,last_error,team\nQMA,C1,2026-11-20T10:00:01Z,x,pay\n"
    )
    assert changed[0].content_key != csv_rows[0].content_key


# --- JSON Lines ----------------------------------------------------------------------------------


def test_jsonl_odd_keys_bad_lines_and_extra() -> None:
    lines = [
        b'{"QMgr": "QMA", "Channel-Name": "C1", "Last Error Time": "2026-11-20 11:00:00", "LastError": "reason 2035", '
        b'"ticket": {"id": 7}, "blank": ""}\n',
        b"not json\n",
        b"[1, 2]\n",
        b'{"qmgr": "QMA", "channel": "C2", "last_error": "no time key"}\n',
        b"\n",
        b'{"qmgr": "QMA", "channel": "C3", "last_error_time": 1795168800, "last_error": "epoch seconds"}\n',
        b'{"qmgr": "QMA", "channel": "C4", "last_error_time": "2026-11-20T10:00:00Z", "last_error": "ctl \x01 char"}\n',
    ]
    data = b"".join(lines)
    offsets = [sum(len(x) for x in lines[:i]) for i in range(len(lines))]
    parsed, rejects = run("jsonl", data, tz="Europe/Berlin")
    assert [(p.row["channel"], p.row["source_offset"], iso(p.row)) for p in parsed] == [
        ("C1", 0, "2026-11-20T10:00:00.000Z"),
        ("C3", offsets[5], "2026-11-20T10:00:00.000Z"),
        ("C4", offsets[6], "2026-11-20T10:00:00.000Z"),
    ]
    assert parsed[0].row["mqrc"] == 2035 and extra(parsed[0].row) == {"ticket": {"id": 7}}
    assert [(r.offset, r.line, r.reason) for r in rejects] == [
        (offsets[1], 2, "invalid JSON: Expecting value"),
        (offsets[2], 3, "not a JSON object: each line must hold one object"),
        (offsets[3], 4, "missing key: last_error_time"),
    ]


def test_jsonl_first_record_without_required_keys_is_an_input_error() -> None:
    with pytest.raises(
        InputError, match=r"in/x.jsonl: missing required column\(s\) last_error_time, last_error"
    ):
        run("jsonl", b'{"qmgr": "QMA", "channel": "C1"}\n', path="in/x.jsonl")


# --- property: random CSV-ish bytes never crash, every record ends as Parsed or Reject ----------

HEADER = b"qmgr,channel,last_error_time,last_error,status\n"
cell = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(
        ["QMA", "", "2026-11-20T10:00:00Z", "2026-11-20 10:00:00", "reason 2035", '"', "\n", ",", ";"]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(st.lists(cell, min_size=0, max_size=7), max_size=8))
def test_every_written_record_is_parsed_or_rejected(records: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # so a lone \r inside a field is quoted
    counted = 0
    for fields in records:
        writer.writerow(fields)
        # a lone byte-order mark in the only field reads as a blank line too
        if fields and not (len(fields) == 1 and not fields[0].replace("\ufeff", "").strip()):
            counted += 1  # csv.writer writes [] and [""] as blank lines, which are not records
    parsed, rejects = run("csv", HEADER + buffer.getvalue().encode("utf-8"))
    # blank records are skipped; every other one is accounted for exactly once
    assert len(parsed) + len(rejects) == counted
    offsets = [p.row["source_offset"] for p in parsed] + [r.offset for r in rejects]
    assert len(set(offsets)) == len(offsets)
    for p in parsed:
        assert p.row["qmgr"] and p.row["channel"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=400),
    kind=st.sampled_from(["csv", "jsonl", "chstatus", "amqsevt_json", "amqsevt_text"]),
)
def test_random_bytes_never_crash(body: bytes, kind: str) -> None:
    head = {"csv": HEADER, "jsonl": b'{"qmgr":"Q","channel":"C","last_error_time":"","last_error":""}\n'}.get(
        kind, b""
    )
    parsed, rejects = run(kind, head + body)
    for r in rejects:
        assert r.reason and r.offset >= 0


# --- every example file shipped for the README reads cleanly ----------------------------------

EXAMPLE_FILES = [
    # file, kind, (qmgr, channel, status or event qualifier, msg_id, mqrc) per row
    (
        "QMA.chstatus.txt",
        "chstatus",
        [
            ("QMA", "QMA.QMB", "RUNNING", None, None),
            ("QMA", "QMA.QMC", "BINDING", None, None),
            ("QMA", "QMA.QMD", "RETRYING", None, None),
        ],
    ),
    (
        "QMB.events.json",
        "amqsevt_json",
        [
            ("QMB", "QMA.QMB", "SSL Cipher Spec Error", None, 2371),
            ("QMB", "QMA.QMB", "SSL Peer Name Error", None, 2371),
        ],
    ),
    (
        "last_error.csv",
        "csv",
        [
            ("QMA", "APP.SVRCONN", "RUNNING", "JMSWMQ2013", 2035),
            ("QMA", "APP.TLS.SVRCONN", "RETRYING", "JMSWMQ0018", 2397),
            ("QMB", "QMB.QMC.NEW", "RETRYING", "AMQ9520", None),
            ("QMA", "QMA.QMD", "RETRYING", "AMQ9202", None),
        ],
    ),
    (
        "last_error.jsonl",
        "jsonl",
        [
            ("QMA", "APP.SVRCONN", "RUNNING", "JMSWMQ2013", 2035),
            ("QMA", "APP.TLS.SVRCONN", "RETRYING", "JMSWMQ0018", 2397),
            ("QMC", "QMC.QMA", "RETRYING", "AMQ9665", None),
        ],
    ),
]


@pytest.mark.parametrize("name,kind,expected", EXAMPLE_FILES, ids=[e[0] for e in EXAMPLE_FILES])
def test_example_files(name: str, kind: str, expected: list[tuple]) -> None:
    data = (EXAMPLES / name).read_bytes()
    assert sniff_export(name, data[:65536]) == kind
    parsed, rejects = run(kind, data)
    assert rejects == []
    got = [
        (
            p.row["qmgr"],
            p.row["channel"],
            p.row["status"] or p.row["reason_qualifier"],
            p.row["msg_id"],
            p.row["mqrc"],
        )
        for p in parsed
    ]
    assert got == expected
    assert all(p.row["timestamp"] is not None for p in parsed)
