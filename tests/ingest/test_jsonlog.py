"""AMQERR0n.json lines: key spellings, inserts, severities, bad input."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from pipeline.ingest.jsonlog import iter_json_lines, parse_json_line
from pipeline.ingest.records import FileContext, Parsed, Reject

CTX = FileContext("AMQERR01.json")

REAL = {  # the spellings MQ writes
    "ibm_messageId": "AMQ9633E",
    "ibm_arithInsert1": 414,
    "ibm_arithInsert2": 575010,
    "ibm_commentInsert1": "QMB.QMA",
    "ibm_commentInsert2": "[Class=]GSKVALMethod::X509[Issuer=]CN=CA",
    "ibm_commentInsert3": "mqb.example.com (10.1.0.12)(51234)",
    "ibm_datetime": "2026-11-20T10:05:12.345Z",
    "ibm_serverName": "QMA",
    "ibm_qmgrId": "QMA_2026-01-01_10.00.00",
    "type": "mq_log",
    "host": "mqa.example.com",
    "loglevel": "ERROR",
    "module": "amqccisa.c:954",
    "ibm_sequence": "1763633112345_1",
    "ibm_remoteHost": "10.1.0.12",
    "ibm_processId": 4711,
    "ibm_threadId": 23,
    "ibm_version": "9.4.0.5",
    "ibm_processName": "amqrmppa",
    "ibm_userName": "mqm",
    "ibm_installationName": "Installation1",
    "ibm_installationDir": "/opt/mqm",
    "message": "AMQ9633E: Bad SSL certificate for channel 'QMB.QMA'.",
}


def parse(obj: object) -> Parsed | Reject:
    line = (obj if isinstance(obj, str) else json.dumps(obj)).encode()
    return parse_json_line(line, 10, 2, CTX)


def test_real_spellings_map_to_the_schema() -> None:
    r = parse(REAL)
    assert isinstance(r, Parsed)
    row = r.row
    assert (row["msg_id"], row["severity"], row["qmgr"], row["pid"], row["tid"]) == (
        "AMQ9633",
        "E",
        "QMA",
        4711,
        23,
    )
    assert row["timestamp"] == datetime(2026, 11, 20, 10, 5, 12, 345000, tzinfo=UTC)
    assert row["timestamp_source"] == "ibm_datetime"
    assert (row["arith_insert_1"], row["arith_insert_2"]) == (414, 575010)
    assert row["comment_insert_3"] == "mqb.example.com (10.1.0.12)(51234)"
    assert row["channel"] == "QMB.QMA" and row["conname"] == "mqb.example.com (10.1.0.12)(51234)"
    assert row["remote_host"] == "10.1.0.12" and row["source_module"] == "amqccisa.c:954"
    assert (
        row["sequence"] == "1763633112345_1"
        and row["message"] == "Bad SSL certificate for channel 'QMB.QMA'."
    )
    assert row["explanation"] is None and row["action"] is None and row["header_time"] is None
    assert (row["source_format"], row["source_offset"], row["source_line"]) == ("json", 10, 2)
    assert json.loads(row["extra"]) == {
        "ibm_qmgrId": "QMA_2026-01-01_10.00.00",
        "type": "mq_log",
        "ibm_installationDir": "/opt/mqm",
    }


def test_documented_and_preview_spellings_are_the_same_entry() -> None:
    doc = {
        k.replace("ibm_messageId", "ibm_messageID")
        .replace("ibm_processId", "ibm_processID")
        .replace("ibm_serverName", "ibm_servername"): v
        for k, v in REAL.items()
    }
    preview = {
        k.replace("ibm_arithInsert", "arith_insert_").replace("ibm_commentInsert", "comment_insert_"): v
        for k, v in REAL.items()
    }
    shouting = {k.upper(): v for k, v in REAL.items()}
    base = parse(REAL)
    assert isinstance(base, Parsed)
    for variant in (doc, preview, shouting):
        r = parse(variant)
        assert isinstance(r, Parsed)
        for col in (
            "msg_id",
            "qmgr",
            "pid",
            "arith_insert_1",
            "arith_insert_2",
            "comment_insert_1",
            "channel",
        ):
            assert r.row[col] == base.row[col], col


def test_zero_inserts_and_missing_letter() -> None:
    obj = dict(
        REAL,
        ibm_messageId="AMQ9999",
        ibm_arithInsert1=0,
        ibm_arithInsert2=0,
        ibm_commentInsert2="",
        loglevel="WARNING",
    )
    r = parse(obj)
    assert isinstance(r, Parsed)
    assert r.row["arith_insert_1"] is None and r.row["arith_insert_2"] is None
    assert r.row["comment_insert_2"] is None
    assert r.row["severity"] == "W"  # loglevel only when the id has no letter


def test_letter_beats_loglevel() -> None:
    r = parse(dict(REAL, ibm_messageId="AMQ9999S", loglevel="ERROR"))
    assert isinstance(r, Parsed) and r.row["severity"] == "S"


def test_non_numeric_insert_kept_raw() -> None:
    r = parse(dict(REAL, ibm_arithInsert2="TCP/IP"))
    assert isinstance(r, Parsed)
    assert r.row["arith_insert_2"] is None and json.loads(r.row["extra"])["ibm_arithInsert2"] == "TCP/IP"


def test_out_of_range_numbers_are_kept_raw() -> None:
    r = parse(dict(REAL, ibm_processId=2**70, ibm_arithInsert1=-(2**64)))
    assert isinstance(r, Parsed)
    assert r.row["pid"] is None and r.row["arith_insert_1"] is None
    assert json.loads(r.row["extra"])["ibm_processId"] == 2**70


def test_control_characters_tolerated() -> None:
    line = json.dumps(REAL).replace("Bad SSL", "Bad\tSSL\x01").encode()
    r = parse_json_line(line, 0, 1, CTX)
    assert isinstance(r, Parsed) and "\x01" in r.row["message"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"ibm_messageId": "AMQ9999E", ', "invalid JSON"),
        ("[1, 2]", "list where an object"),
        ('"just a string"', "str where an object"),
        (json.dumps({k: v for k, v in REAL.items() if k != "ibm_messageId"}), "missing"),
        (json.dumps(dict(REAL, ibm_messageId="CSQX202E")), "not an AMQ id"),
        (json.dumps(dict(REAL, ibm_datetime="yesterday")), "ibm_datetime"),
        (json.dumps({k: v for k, v in REAL.items() if k != "ibm_datetime"}), "missing ibm_datetime"),
        ("[" * 100_000, "invalid JSON"),
        ("   ", "empty line"),
    ],
)
def test_bad_lines_are_rejected_with_reason(line: str, reason: str) -> None:
    r = parse_json_line(line.encode(), 5, 3, CTX)
    assert isinstance(r, Reject)
    assert reason in r.reason and (r.offset, r.line, r.source_format) == (5, 3, "json")


def test_iter_json_lines_offsets() -> None:
    data = (json.dumps(REAL) + "\n\n" + json.dumps(REAL)).encode()
    blocks = list(iter_json_lines(io.BytesIO(data)))
    assert [(b.offset, b.line, b.complete) for b in blocks] == [
        (0, 1, True),
        (len(json.dumps(REAL)) + 2, 3, False),
    ]
