"""DISPLAY CHSTATUS and amqsevt readers: composed examples from mq-status-and-events.md, real samples in place."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import InputError
from pipeline.ingest.exports import KINDS, read_export, sniff_export
from pipeline.ingest.exports_mqsc import UnclosedParentheses, tokenize
from pipeline.ingest.records import FileContext, Parsed, Reject
from pipeline.schemas import CHANNEL_STATUS

ROW_SCHEMA = pa.schema([f for f in CHANNEL_STATUS if f.name != "status_id"])


def run(kind: str, data: bytes, tz: str = "UTC") -> tuple[list[Parsed], list[Reject]]:
    """Read ``data`` as ``kind``; every item must be a Parsed or a Reject and every row fit the schema."""
    parsed: list[Parsed] = []
    rejects: list[Reject] = []
    for item in read_export(kind, io.BytesIO(data), FileContext(source_path="in/export", tz=tz)):
        if isinstance(item, Parsed):
            parsed.append(item)
        else:
            assert isinstance(item, Reject), type(item)
            assert item.source_format == kind
            rejects.append(item)
    pa.Table.from_pylist([p.row for p in parsed], schema=ROW_SCHEMA)
    for p in parsed:
        assert set(p.row) == set(ROW_SCHEMA.names)
        assert p.row["source_format"] == kind
    return parsed, rejects


def extra(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(row["extra"]) if row["extra"] else {}


def iso(row: dict[str, Any]) -> str | None:
    ts = row["timestamp"]
    return None if ts is None else ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def pick(row: dict[str, Any], *columns: str) -> tuple[Any, ...]:
    return tuple(row[c] for c in columns)


# --- DISPLAY CHSTATUS ----------------------------------------------------------------------

COMPOSED_3_2 = b"""\
AMQ8417I: Display Channel Status details.
   CHANNEL(QMA.TO.QMB)                     CHLTYPE(SDR)
   CONNAME(qmb.example.com(1414))          CURRENT
   MCASTAT(NOT RUNNING)                    STATUS(RETRYING)
   SUBSTATE( )                             XMITQ(QMB)
AMQ8417I: Display Channel Status details.
   CHANNEL(QMA.TO.QMC)                     CHLTYPE(SDR)
   CONNAME(10.9.8.7(1414))                 CURRENT
   STATUS(BINDING)                         SUBSTATE(SSLHANDSHK)
"""

BANNER_94 = b"""\
5724-H72 (C) Copyright IBM Corp. 1994, 2025.
Starting MQSC for queue manager QMA.


     1 : DISPLAY CHSTATUS(*) ALL
AMQ8417I: Display Channel Status details.
   CHANNEL(QMA.QMD)                        CHLTYPE(SDR)
   CHSTADA(2026-11-20)                     CHSTATI(16.29.58)
   CONNAME(qmd.example.com(1414))          CURRENT
   LOCLADDR(::ffff:10.1.0.11(40112))       MCASTAT(NOT RUNNING)
   SSLCIPH(ECDHE_RSA_AES_256_GCM_SHA384)   STATUS(RETRYING)
   SUBSTATE( )                             XMITQ(QMD)
One MQSC command read.
No commands have a syntax error.
All valid MQSC commands were processed.
"""

NOT_FOUND = b"""\
Starting MQSC for queue manager QMB.


     1 : DIS CHS(NOPE)
AMQ8420I: Channel Status not found.
One MQSC command read.
"""

ZOS = b"""\
 CSQM201I ZQS1 CSQMDRTC  DISPLAY CHSTATUS DETAILS 610
 CHSTATUS(USER1.SSL.SVRCONN)
 CHLDISP(PRIVATE)
 CONNAME(9.31.118.212)
 CURRENT
 CHLTYPE(SVRCONN)
 STATUS(RUNNING)
 SUBSTATE()
 SSLPEER(CN=user1,OU=Example Organisational Unit With A Long Name,
 O=Example Corp,C=GB)
 RAPPLTAG(MQ Explorer 9.4.1)
  END CHSTATUS DETAILS
 CSQ9022I ZQS1 CSQXCRPS ' DIS CHSTATUS' NORMAL COMPLETION
"""

MQ75 = b"""\
AMQ8417: Display Channel Status details.
   CHANNEL(TO.QM2)                         CHLTYPE(CLUSSDR)
   CONNAME(qm2.example.com(1414))          CURRENT
   RQMNAME( )                              STATUS(RETRYING)
   SUBSTATE( )                             XMITQ(SYSTEM.CLUSTER.TRANSMIT.QUEUE)
"""

UNBALANCED = b"""\
AMQ8417I: Display Channel Status details.
   CHANNEL(QMA.QMB)                        CHLTYPE(SDR)
   CONNAME(qmb.example.com(1414)           STATUS(RETRYING)
AMQ8417I: Display Channel Status details.
   CHANNEL(QMA.QMC)                        CHLTYPE(SDR)
   STATUS(RUNNING)
"""

NO_CHANNEL = b"""\
AMQ8417I: Display Channel Status details.
   CHLTYPE(SDR)                            STATUS(RETRYING)
"""

BAD_TIME = b"""\
AMQ8417I: Display Channel Status details.
   CHANNEL(QMA.QMB)                        CHLTYPE(SDR)
   CHSTADA(2026-11-20)                     CHSTATI(25h61)
"""

ORPHAN_ENTRY = b"""\
Current error:
----- amqrccca.c : 439 --------------------------------------------------------
11/20/2026 09:00:00 AM - Process(1.1) User(mqm) Program(runmqchl)
AMQ9637E: Channel is lacking a certificate.
"""

CHSTATUS_CASES = [
    # (id, data, tz, expected rows as (channel, chltype, conname, status, substate, qmgr), rejects)
    (
        "composed-3.2",
        COMPOSED_3_2,
        "UTC",
        [
            ("QMA.TO.QMB", "SDR", "qmb.example.com(1414)", "RETRYING", None, None),
            ("QMA.TO.QMC", "SDR", "10.9.8.7(1414)", "BINDING", "SSLHANDSHK", None),
        ],
        0,
    ),
    (
        "banner-9.4",
        BANNER_94,
        "UTC",
        [("QMA.QMD", "SDR", "qmd.example.com(1414)", "RETRYING", None, "QMA")],
        0,
    ),
    ("not-found", NOT_FOUND, "UTC", [], 0),
    (
        "two-queue-managers",
        BANNER_94 + NOT_FOUND + b"     2 : DIS CHS(*)\n" + MQ75,
        "UTC",
        [
            ("QMA.QMD", "SDR", "qmd.example.com(1414)", "RETRYING", None, "QMA"),
            ("TO.QM2", "CLUSSDR", "qm2.example.com(1414)", "RETRYING", None, "QMB"),
        ],
        0,
    ),
    ("zos", ZOS, "UTC", [("USER1.SSL.SVRCONN", "SVRCONN", "9.31.118.212", "RUNNING", None, "ZQS1")], 0),
    (
        "mq75-no-severity",
        MQ75,
        "UTC",
        [("TO.QM2", "CLUSSDR", "qm2.example.com(1414)", "RETRYING", None, None)],
        0,
    ),
    ("unbalanced", UNBALANCED, "UTC", [("QMA.QMC", "SDR", None, "RUNNING", None, None)], 1),
    ("no-channel", NO_CHANNEL, "UTC", [], 1),
    ("bad-time", BAD_TIME, "UTC", [], 1),
    ("orphan-amqerr-entry", ORPHAN_ENTRY, "UTC", [], 1),
    ("empty", b"", "UTC", [], 0),
]


@pytest.mark.parametrize(
    "data,tz,expected,n_rejects", [c[1:] for c in CHSTATUS_CASES], ids=[c[0] for c in CHSTATUS_CASES]
)
def test_chstatus_table(data: bytes, tz: str, expected: list[tuple], n_rejects: int) -> None:
    parsed, rejects = run("chstatus", data, tz)
    got = [pick(p.row, "channel", "chltype", "conname", "status", "substate", "qmgr") for p in parsed]
    assert got == expected
    assert len(rejects) == n_rejects


def test_chstatus_values_keep_spaces_commas_and_nested_parentheses() -> None:
    parsed, _ = run("chstatus", BANNER_94)
    row = parsed[0].row
    assert row["ssl_cipher"] == "ECDHE_RSA_AES_256_GCM_SHA384"
    assert extra(row)["LOCLADDR"] == "::ffff:10.1.0.11(40112)"
    assert extra(row)["MCASTAT"] == "NOT RUNNING"
    assert extra(row)["CURRENT"] is True
    assert iso(row) == "2026-11-20T16:29:58.000Z" and row["timestamp_source"] == "chstada_chstati"
    assert row["source_offset"] == BANNER_94.index(b"AMQ8417I")


def test_chstatus_time_is_read_in_the_export_zone() -> None:
    parsed, _ = run("chstatus", BANNER_94, tz="Europe/Berlin")
    assert iso(parsed[0].row) == "2026-11-20T15:29:58.000Z"


def test_chstatus_without_chstada_has_null_time() -> None:
    parsed, _ = run("chstatus", COMPOSED_3_2)
    assert [p.row["timestamp"] for p in parsed] == [None, None]
    assert [p.row["timestamp_source"] for p in parsed] == [None, None]


def test_chstatus_zos_wrapped_attribute_is_joined() -> None:
    parsed, _ = run("chstatus", ZOS)
    assert (
        parsed[0].row["ssl_peer"]
        == "CN=user1,OU=Example Organisational Unit With A Long Name,O=Example Corp,C=GB"
    )
    assert extra(parsed[0].row)["CHLDISP"] == "PRIVATE"


def test_chstatus_reject_names_the_line_and_keeps_the_offset() -> None:
    _, rejects = run("chstatus", UNBALANCED)
    assert rejects[0].offset == 0 and rejects[0].line == 1
    assert rejects[0].reason == "unbalanced parentheses: CONNAME never closes (line 3)"
    assert rejects[0].raw.startswith(b"AMQ8417I")


def test_chstatus_content_key_is_stable_and_position_free() -> None:
    first, _ = run("chstatus", COMPOSED_3_2)
    moved, _ = run("chstatus", b"\n\nsome notes\n" + COMPOSED_3_2)
    assert [p.content_key for p in first] == [p.content_key for p in moved]
    assert first[0].row["source_offset"] != moved[0].row["source_offset"]
    other_qm, _ = run("chstatus", b"Starting MQSC for queue manager QMX.\n" + COMPOSED_3_2)
    assert other_qm[0].content_key != first[0].content_key


@pytest.mark.parametrize(
    "line,tokens",
    [
        ("CHANNEL(A.B)                     CHLTYPE(SDR)", [("CHANNEL", "A.B"), ("CHLTYPE", "SDR")]),
        ("CONNAME(10.0.0.5(1414))          CURRENT", [("CONNAME", "10.0.0.5(1414)"), ("CURRENT", None)]),
        ("MCASTAT(NOT RUNNING)", [("MCASTAT", "NOT RUNNING")]),
        ("COMPHDR(NONE,NONE)   SUBSTATE( )", [("COMPHDR", "NONE,NONE"), ("SUBSTATE", " ")]),
        ("SUBSTATE()", [("SUBSTATE", "")]),
        ("DESCR('a (b')", [("DESCR", "'a (b'")]),
        ("SAVED", [("SAVED", None)]),
        ("EAST", None),
        ("Current error:", None),
        ("One MQSC command read.", None),
    ],
)
def test_tokenize(line: str, tokens: list | None) -> None:
    assert tokenize(line) == tokens


def test_tokenize_flags_unclosed_parentheses() -> None:
    with pytest.raises(UnclosedParentheses):
        tokenize("SSLPEER(CN=a,O=b")


# --- real captures, read where they are ---------------------------------------------------


def _sample(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / "status-samples" / name).read_bytes()


def test_real_instana_942_only_chstatus_blocks_become_rows(shared_dir: Path) -> None:
    data = _sample(shared_dir, "instana-mq_status-9.4.2-QM1.txt")
    assert sniff_export("instana-mq_status-9.4.2-QM1.txt", data[:65536]) == "chstatus"
    parsed, rejects = run("chstatus", data)
    assert rejects == []
    assert len(parsed) == 1  # DISPLAY QMGR/CHANNEL/CHLAUTH/LISTENER blocks are not channel status
    row = parsed[0].row
    assert pick(row, "qmgr", "channel", "chltype", "status", "substate", "conname") == (
        "QM1",
        "SYSTEM.ADMIN.SVRCONN",
        "SVRCONN",
        "RUNNING",
        "RECEIVE",
        "9.38.73.124",
    )
    assert iso(row) == "2025-05-12T05:54:01.000Z"
    assert extra(row)["RPRODUCT"] == "MQJB" and extra(row)["RAPPLTAG"] == "org.apache.karaf.main.Main"
    assert row["ssl_cipher"] is None and row["ssl_peer"] is None


def test_real_mqfellow_mq8_binding_and_tls_running(shared_dir: Path) -> None:
    parsed, rejects = run("chstatus", _sample(shared_dir, "mqfellow-dis-chs-all-binding-running-mq8.txt"))
    assert rejects == []
    got = [pick(p.row, "channel", "chltype", "status", "substate") for p in parsed]
    assert got == [
        ("QM01.QMR01", "SDR", "BINDING", "NETCONNECT"),
        ("QMR01.QM01", "RCVR", "RUNNING", "RECEIVE"),
        ("QMR01.QM01", "SDR", "RUNNING", "MQGET"),
    ]
    rcvr = parsed[1].row
    assert rcvr["ssl_peer"].startswith("SERIALNUMBER=00:94:71:A1") and rcvr["ssl_peer"].endswith(
        "UNSTRUCTUREDNAME=mqfellowwest.host"
    )
    assert rcvr["ssl_cert_issuer"].startswith("CN=COMODO RSA Domain Validation Secure Server CA,")
    assert extra(rcvr)["SECPROT"] == "TLSV12"
    assert extra(rcvr)["LOCLADDR"] == "::ffff:172.17.1.212(1414)"
    assert parsed[0].row["qmgr"] is None  # the capture has no banner naming the queue manager


def test_real_mqfellow_retrying_keeps_the_pasted_amqerr_entry(shared_dir: Path) -> None:
    parsed, rejects = run("chstatus", _sample(shared_dir, "mqfellow-chstatus-retrying-with-amqerr-9.1.0.txt"))
    assert rejects == [] and len(parsed) == 1
    row = parsed[0].row
    assert pick(row, "channel", "status", "substate", "conname") == (
        "QMR01.QM01",
        "RETRYING",
        None,
        "52.86.146.171(1414)",
    )
    assert row["last_error"] == (
        "AMQ9654E: Validation checks for the remote personal certificate failed. The channel did not start."
    )
    assert row["msg_id"] == "AMQ9654"
    assert row["qmgr"] == "QMR01"  # from the entry's QMgr(...)
    assert iso(row) == "2018-12-29T23:31:51.943Z" and row["timestamp_source"] == "error_entry_time"
    entry = extra(row)["error_entry"]
    assert "CommentInsert2(gsk_get_cert_by_label)" in entry and entry.rstrip().endswith(
        "restart the\nchannel."
    )
    assert extra(row)["CHSTATI"] == "23.30.50" and extra(row)["SHORTRTS"] == "9"


# --- amqsevt JSON --------------------------------------------------------------------------

SSL_HANDSHAKE = """{
  "eventSource": { "objectName": "SYSTEM.ADMIN.CHANNEL.EVENT", "objectType": "Queue", "queueMgr": "QMA" },
  "eventType": { "name": "Channel Event", "value": 46 },
  "eventReason": { "name": "Channel SSL Error", "value": 2371 },
  "eventCreation": { "timeStamp": "2025-03-04T09:15:27Z", "epoch": 1741079727 },
  "eventData": {
    "queueMgrName": "QMA",
    "reasonQualifier": "SSL Handshake Error",
    "channelName": "QMB.TO.QMA",
    "connectionName": "10.1.2.3",
    "sslHandshakeStage": "gsk_secure_soc_init",
    "sslReturnCode": 414
  }
}
"""

SSL_PEER = """{
  "eventSource": { "objectName": "SYSTEM.ADMIN.CHANNEL.EVENT", "objectType": "Queue", "queueMgr": "QMA" },
  "eventType": { "name": "Channel Event", "value": 46 },
  "eventReason": { "name": "Channel SSL Error", "value": 2371 },
  "eventCreation": { "timeStamp": "2025-03-04T09:16:00Z", "epoch": 1741079760 },
  "eventData": {
    "queueMgrName": "QMA",
    "reasonQualifier": "SSL Peer Name Error",
    "channelName": "QMB.TO.QMA",
    "connectionName": "10.1.2.3",
    "sslPeerName": "CN=qmb.example.com,O=Example"
  }
}
"""

STOPPED = """{ "eventSource": { "objectName": "SYSTEM.ADMIN.CHANNEL.EVENT", "objectType": "Queue", "queueMgr": "QMA" },
  "eventType": { "name": "Channel Event", "value": 46 },
  "eventReason": { "name": "Channel Stopped", "value": 2283 },
  "eventCreation": { "timeStamp": "2025-03-04T09:20:02Z", "epoch": 1741080002 },
  "eventData": { "queueMgrName": "QMA", "reasonQualifier": "Channel Stopped Retry",
    "channelName": "QMA.TO.QMB", "errorId": "0x000025D2",
    "auxErrorDataInt1": 0, "auxErrorDataInt2": 0,
    "auxErrorDataStr1": "QMA.TO.QMB", "auxErrorDataStr2": "", "auxErrorDataStr3": "",
    "xmitQueueName": "QMB", "connectionName": "qmb.example.com(1414)" } }
"""

# C amqsevt up to 9.2.3: no eventSource.queueMgr
V91 = """{
  "eventSource" : { "objectName": "SYSTEM.ADMIN.CHANNEL.EVENT",
                    "objectType" : "Queue" },
  "eventType" : {
     "name" : "Channel Event",
     "value" : 46
  },
  "eventReason" : {
     "name" : "Channel Blocked",
     "value" : 2577
  },
  "eventCreation" : {
     "timeStamp"  : "2019-05-01T10:00:00Z",
     "epoch"      : 1556704800
  },
  "eventData" : {
    "queueMgrName" : "QMA",
    "reasonQualifier" : "Channel Blocked Address",
    "connectionName" : "10.1.0.250"
  }
}
"""

# Go amqsevtg: queueManager, qMgrName, xmitQName, {name,value} enumerations, fractional seconds
GO = """{"eventSource":{"objectName":"SYSTEM.ADMIN.CHANNEL.EVENT","objectType":"Queue","queueManager":"QMB"},
"eventType":{"name":"Channel Event","value":46},"eventReason":{"name":"Channel SSL Error","value":2371},
"eventCreation":{"timeStamp":"2025-03-04T09:15:27.25Z","epoch":1741079727},
"eventData":{"qMgrName":"QMB","reasonQualifier":{"name":"SSL Cipher Spec Error","value":14},
"channelName":"QMA.QMB","xmitQName":"QMA","connectionName":"10.1.0.11","channelType":{"name":"Receiver","value":3}}}
"""

# Java port: no eventSource, eventCreation.timestamp, epoch in ms, errorIdentifier, sslReturnCode "-1"
JAVA = """{"eventType":{"name":"Channel Event","value":46},"eventReason":{"name":"Channel SSL Error","value":2371},
"eventCreation":{"timestamp":"2025-03-04T10:15:27.5+01:00","epoch":1741079727500},
"eventData":{"queueMgrName":"QMC","reasonQualifier":"SSL Client Auth Error","channelName":"QMA.QMC",
"errorIdentifier":"0x00000000","sslReturnCode":"-1","userIdentifier":"mqm"}}
"""

JSON_CASES = [
    # id, text, (qmgr, channel, conname, event_reason, reason_qualifier, mqrc, ssl_return_code, ssl_peer, time)
    (
        "ssl-handshake",
        SSL_HANDSHAKE,
        (
            "QMA",
            "QMB.TO.QMA",
            "10.1.2.3",
            "Channel SSL Error",
            "SSL Handshake Error",
            2371,
            414,
            None,
            "2025-03-04T09:15:27.000Z",
        ),
    ),
    (
        "ssl-peer-name",
        SSL_PEER,
        (
            "QMA",
            "QMB.TO.QMA",
            "10.1.2.3",
            "Channel SSL Error",
            "SSL Peer Name Error",
            2371,
            None,
            "CN=qmb.example.com,O=Example",
            "2025-03-04T09:16:00.000Z",
        ),
    ),
    (
        "stopped-retry",
        STOPPED,
        (
            "QMA",
            "QMA.TO.QMB",
            "qmb.example.com(1414)",
            "Channel Stopped",
            "Channel Stopped Retry",
            2283,
            None,
            None,
            "2025-03-04T09:20:02.000Z",
        ),
    ),
    (
        "c-9.1-blocked-address",
        V91,
        (
            "QMA",
            None,
            "10.1.0.250",
            "Channel Blocked",
            "Channel Blocked Address",
            2577,
            None,
            None,
            "2019-05-01T10:00:00.000Z",
        ),
    ),
    (
        "go-amqsevtg",
        GO,
        (
            "QMB",
            "QMA.QMB",
            "10.1.0.11",
            "Channel SSL Error",
            "SSL Cipher Spec Error",
            2371,
            None,
            None,
            "2025-03-04T09:15:27.250Z",
        ),
    ),
    (
        "java-port",
        JAVA,
        (
            "QMC",
            "QMA.QMC",
            None,
            "Channel SSL Error",
            "SSL Client Auth Error",
            2371,
            -1,
            None,
            "2025-03-04T09:15:27.500Z",
        ),
    ),
]
JSON_COLUMNS = (
    "qmgr",
    "channel",
    "conname",
    "event_reason",
    "reason_qualifier",
    "mqrc",
    "ssl_return_code",
    "ssl_peer",
)


@pytest.mark.parametrize("text,expected", [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES])
def test_amqsevt_json_table(text: str, expected: tuple) -> None:
    parsed, rejects = run("amqsevt_json", text.encode())
    assert rejects == [] and len(parsed) == 1
    row = parsed[0].row
    assert pick(row, *JSON_COLUMNS) + (iso(row),) == expected
    assert row["timestamp_source"] == "event_creation"


@pytest.mark.parametrize(
    "text,summary",
    [
        (SSL_HANDSHAKE, "Channel SSL Error: SSL Handshake Error (stage gsk_secure_soc_init, rc 414)"),
        (SSL_PEER, "Channel SSL Error: SSL Peer Name Error (peer CN=qmb.example.com,O=Example)"),
        (STOPPED, "Channel Stopped: Channel Stopped Retry (error id 0x000025D2)"),
        (V91, "Channel Blocked: Channel Blocked Address"),
        (JAVA, "Channel SSL Error: SSL Client Auth Error (rc -1, error id 0x00000000, user mqm)"),
    ],
)
def test_amqsevt_last_error_summary(text: str, summary: str) -> None:
    parsed, _ = run("amqsevt_json", text.encode())
    assert parsed[0].row["last_error"] == summary


def test_amqsevt_unknown_keys_go_to_extra() -> None:
    parsed, _ = run("amqsevt_json", STOPPED.encode())
    kept = extra(parsed[0].row)
    assert kept["errorId"] == "0x000025D2" and kept["auxErrorDataStr1"] == "QMA.TO.QMB"
    assert kept["xmitQueueName"] == "QMB" and kept["reasonQualifierValue"] == 9
    assert kept["eventType"] == {"name": "Channel Event", "value": 46}
    go, _ = run("amqsevt_json", GO.encode())
    assert go[0].row["chltype"] == "RCVR" and extra(go[0].row)["xmitQName"] == "QMA"


def test_amqsevt_pretty_compact_and_array_read_the_same() -> None:
    events = [json.loads(t) for t in (SSL_HANDSHAKE, SSL_PEER, STOPPED)]
    pretty = "".join([SSL_HANDSHAKE, SSL_PEER, STOPPED]).encode()
    compact = "".join(json.dumps(e) + "\n" for e in events).encode()
    array = ("[\n" + ",\n".join(json.dumps(e, indent=1) for e in events) + "\n]\n").encode()
    results = [run("amqsevt_json", data) for data in (pretty, compact, array)]
    for parsed, rejects in results:
        assert rejects == [] and len(parsed) == 3
    keys = [[p.content_key for p in parsed] for parsed, _ in results]
    assert keys[0] == keys[1] == keys[2]
    rows = [
        [{k: v for k, v in p.row.items() if k != "source_offset"} for p in parsed] for parsed, _ in results
    ]
    assert rows[0] == rows[1] == rows[2]
    assert [p.row["source_offset"] for p in results[1][0]] == [
        0,
        len(json.dumps(events[0])) + 1,
        len(json.dumps(events[0])) + len(json.dumps(events[1])) + 2,
    ]


def test_amqsevt_control_characters_inside_strings_are_tolerated() -> None:
    text = SSL_PEER.replace("CN=qmb.example.com", "CN=qmb\x01.example\tcom")
    parsed, rejects = run("amqsevt_json", text.encode())
    assert rejects == []
    assert parsed[0].row["ssl_peer"] == "CN=qmb\x01.example\tcom,O=Example"


def test_amqsevt_braces_and_quotes_inside_strings_do_not_split() -> None:
    text = SSL_PEER.replace("CN=qmb.example.com", 'CN=qmb \\"{x}\\" }')
    parsed, rejects = run("amqsevt_json", (text + SSL_HANDSHAKE).encode())
    assert rejects == [] and len(parsed) == 2
    assert parsed[0].row["ssl_peer"] == 'CN=qmb "{x}" },O=Example'


def test_amqsevt_json_rejects_carry_offsets() -> None:
    junk = b"Sample AMQSEVT start\nsomething unexpected\n"
    broken = (
        b'{"eventReason": {"name": "Channel SSL Error", "value": 2371}, "eventData": {"channelName": x}}\n'
    )
    not_event = b'{"hello": "world"}\n'
    truncated = b'{"eventReason": {"name": "Chan'
    data = junk + SSL_HANDSHAKE.encode() + broken + not_event + truncated
    parsed, rejects = run("amqsevt_json", data)
    assert len(parsed) == 1
    reasons = [(r.offset, r.reason) for r in rejects]
    base = len(junk) + len(SSL_HANDSHAKE)
    assert reasons == [
        (junk.index(b"something"), "text outside a JSON object: not an event"),
        (base, f"invalid JSON: Expecting value (line {3 + SSL_HANDSHAKE.count(chr(10))})"),
        (base + len(broken), "not an amqsevt event: no eventReason or eventData"),
        (base + len(broken) + len(not_event), "truncated JSON object: the file ends inside it"),
    ]
    assert rejects[0].line == 2 and rejects[1].line == 3 + SSL_HANDSHAKE.count("\n")


def test_amqsevt_json_reads_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.ingest import exports_events

    monkeypatch.setattr(exports_events, "CHUNK", 7)
    data = (SSL_HANDSHAKE + SSL_PEER.replace("CN=qmb", 'CN=\\\\\\"q{mb') + STOPPED).encode()
    parsed, rejects = run("amqsevt_json", data)
    assert rejects == [] and len(parsed) == 3
    assert parsed[1].row["ssl_peer"] == 'CN=\\"q{mb.example.com,O=Example'


# --- amqsevt text ----------------------------------------------------------------------------

TEXT_1_4 = b"""\
Sample AMQSEVT start
Using default set of event queues.
Press ENTER to end
**** Message #3 (412 Bytes) on Queue SYSTEM.ADMIN.CHANNEL.EVENT ****
Event Type                       : Channel Event [46]
Reason                           : Channel SSL Error [2371]
Event created                    : 2025/03/04 09:15:27.41 GMT
  Queue Mgr Name                 : QMA
  Reason Qualifier               : SSL Handshake Error
  Channel Name                   : QMB.TO.QMA
  Connection Name                : 10.1.2.3
  SSL Handshake Stage            : gsk_secure_soc_init
  SSL Return Code                : 414

"""

# MQ 9.0 width (30) and a list value continued on a blank-label line
TEXT_90 = b"""\
**** Message #1 (380 Bytes) on Queue SYSTEM.ADMIN.CHANNEL.EVENT ****
Event Type                     : Channel Event [46]
Reason                         : Channel Blocked [2577]
Event created                  : 2025/03/04 10:00:00.00 GMT
  Queue Mgr Name               : QMA
  Reason Qualifier             : Channel Blocked Noaccess
  Channel Name                 : SYSTEM.DEF.SVRCONN
  Connection Name              : localhost (127.0.0.1)
  Connection Name List         : localhost
                               : 127.0.0.1
  Client User Id               : app
  Appl Name                    : amqsputc
**** Message #2 (300 Bytes) on Queue SYSTEM.ADMIN.CHANNEL.EVENT ****
Event Type                     : Channel Event [46]
Reason                         : Channel Stopped [2283]
Event created                  : 2025/03/04 10:05:00.00 GMT
  Queue Mgr Name               : QMA
  Reason Qualifier             : Channel Stopped Error
  Channel Name                 : QMA.QMD
  Error Identifier             : 0x000024F2
"""


def test_amqsevt_text_composed_1_4_matches_the_json_form() -> None:
    parsed, rejects = run("amqsevt_text", TEXT_1_4)
    assert rejects == [] and len(parsed) == 1
    row = parsed[0].row
    json_row = run("amqsevt_json", SSL_HANDSHAKE.encode())[0][0].row
    for column in (
        "qmgr",
        "channel",
        "conname",
        "event_reason",
        "reason_qualifier",
        "mqrc",
        "ssl_return_code",
        "last_error",
    ):
        assert row[column] == json_row[column], column
    assert iso(row) == "2025-03-04T09:15:27.410Z"
    assert row["source_offset"] == TEXT_1_4.index(b"****")
    assert extra(row)["sslHandshakeStage"] == "gsk_secure_soc_init"


def test_amqsevt_text_90_width_and_list_values() -> None:
    parsed, rejects = run("amqsevt_text", TEXT_90)
    assert rejects == []
    assert [pick(p.row, "channel", "reason_qualifier", "mqrc") for p in parsed] == [
        ("SYSTEM.DEF.SVRCONN", "Channel Blocked Noaccess", 2577),
        ("QMA.QMD", "Channel Stopped Error", 2283),
    ]
    blocked = extra(parsed[0].row)
    assert blocked["Connection Name List"] == ["localhost", "127.0.0.1"]
    assert blocked["userId"] == "app" and blocked["Appl Name"] == "amqsputc"
    assert parsed[1].row["last_error"] == "Channel Stopped: Channel Stopped Error (error id 0x000024F2)"


def test_amqsevt_text_rejects_stray_lines_and_bad_times() -> None:
    bad_time = TEXT_1_4.replace(b"2025/03/04 09:15:27.41 GMT", b"yesterday")
    parsed, rejects = run("amqsevt_text", b"stray line\n" + bad_time)
    assert parsed == []
    assert [(r.offset, r.line) for r in rejects] == [
        (0, 1),
        (len(b"stray line\n") + bad_time.index(b"****"), 5),
    ]
    assert rejects[1].reason == "unreadable time: 'Event created' value 'yesterday'"
    assert rejects[0].reason == "text outside an amqsevt message block"


# --- sniffing and dispatch ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,head,kind",
    [
        ("QMA.chstatus.txt", COMPOSED_3_2, "chstatus"),
        ("status.txt", BANNER_94, "chstatus"),
        ("status.txt", NOT_FOUND, "chstatus"),
        ("zos.txt", ZOS, "chstatus"),
        ("QMB.events.json", SSL_HANDSHAKE.encode(), "amqsevt_json"),
        ("events.out", GO.encode(), "amqsevt_json"),
        ("events.txt", TEXT_1_4, "amqsevt_text"),
        ("events.txt", TEXT_90, "amqsevt_text"),
        ("last_error.csv", b"qmgr,channel,last_error_time,last_error\n", "csv"),
        ("last_error.csv.gz", b"a,b\n", "csv"),
        ("errors.tsv", b"QMgr\tChannel\tLast Error Time\tLast Error\n", "csv"),
        ("export.txt", b"\xef\xbb\xbfQMGR;CHANNEL;LAST-ERROR-TIME;LAST ERROR\r\n", "csv"),
        ("export.txt", b"qmgr,channel,status\n", None),
        ("export.txt", b"sep=;\nqmgr;channel;last_error_time;last_error\n", "csv"),
        ("export.txt", b"20/11/2026,x\n", None),
        ("last_error.jsonl", b'{"qmgr": "QMA"}\n', "jsonl"),
        (
            "x.json",
            b'{"qmgr":"QMA","channel":"C","last_error_time":"2026-01-01","last_error":"x"}\n',
            "jsonl",
        ),
        ("AMQERR01.json", b'{"ibm_messageId":"AMQ9999E","ibm_datetime":"2026-01-01T00:00:00Z"}\n', None),
        ("AMQERR01.LOG", b"11/20/2026 09:00:00 AM - Process(1.1) User(mqm) Program(amqrmppa)\n", None),
        ("notes.txt", b"hello\n", None),
        (
            "runmqsc.txt",
            b"Starting MQSC for queue manager QMA.\n\n\n     1 : DISPLAY CHANNEL(*) ALL\n"
            b"AMQ8414I: Display Channel details.\n   CHANNEL(QMA.QMB)                        CHLTYPE(SDR)\n",
            None,
        ),
    ],
)
def test_sniff_export(name: str, head: bytes, kind: str | None) -> None:
    assert sniff_export(name, head) == kind


def test_sniff_long_runmqsc_transcript_without_status_in_its_head() -> None:
    filler = (
        b"AMQ8414I: Display Channel details.\n   CHANNEL(X)                              CHLTYPE(SDR)\n"
        * 1000
    )
    transcript = b"Starting MQSC for queue manager QMA.\n\n\n     1 : DISPLAY CHANNEL(*) ALL\n" + filler
    assert sniff_export("dump.txt", transcript[:65536]) == "chstatus"
    assert sniff_export("dump.txt", transcript[:4096]) is None
    assert run("chstatus", transcript) == ([], [])


def test_read_export_rejects_an_unknown_kind() -> None:
    with pytest.raises(InputError, match="in/export: unknown export kind 'xml'"):
        read_export("xml", io.BytesIO(b""), FileContext(source_path="in/export"))
    assert set(KINDS) == {"chstatus", "amqsevt_json", "amqsevt_text", "csv", "jsonl"}


def test_unknown_zone_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match="Mars/Olympus"):
        run("chstatus", COMPOSED_3_2, tz="Mars/Olympus")


@pytest.mark.parametrize("kind", ["chstatus", "amqsevt_json", "amqsevt_text"])
def test_cp1252_bytes_are_decoded_with_the_fallback(kind: str) -> None:
    data = {
        "chstatus": COMPOSED_3_2.replace(b"QMA.TO.QMB", b"QMA.TO.QMB\xe9"),
        "amqsevt_json": SSL_HANDSHAKE.encode().replace(b"10.1.2.3", b"h\xe9te"),
        "amqsevt_text": TEXT_1_4.replace(b"10.1.2.3", b"h\xe9te"),
    }[kind]
    parsed, rejects = run(kind, data)
    assert rejects == []
    assert parsed[0].row["encoding"] == "cp1252"
    assert "\xe9" in (parsed[0].row["channel"] + (parsed[0].row["conname"] or ""))


# --- property: any event survives pretty, compact and text round trips the same way ----------

name_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, blacklist_characters='"\\'), max_size=20
)


@settings(max_examples=60, deadline=None)
@given(
    channel=name_text,
    conname=name_text,
    qualifier=st.sampled_from(
        ["SSL Handshake Error", "SSL Peer Name Error", "Channel Blocked Userid", "Channel Stopped Error"]
    ),
    rc=st.integers(min_value=-5, max_value=600),
    reason=st.sampled_from(
        [(2371, "Channel SSL Error"), (2577, "Channel Blocked"), (2283, "Channel Stopped")]
    ),
)
def test_amqsevt_json_layouts_agree(
    channel: str, conname: str, qualifier: str, rc: int, reason: tuple[int, str]
) -> None:
    event = {
        "eventSource": {"objectName": "SYSTEM.ADMIN.CHANNEL.EVENT", "objectType": "Queue", "queueMgr": "QMA"},
        "eventReason": {"name": reason[1], "value": reason[0]},
        "eventCreation": {"timeStamp": "2026-11-20T08:00:03Z", "epoch": 1795161603},
        "eventData": {
            "channelName": channel,
            "connectionName": conname,
            "reasonQualifier": qualifier,
            "sslReturnCode": rc,
        },
    }
    pretty = json.dumps(event, indent=3, ensure_ascii=False).encode()
    compact = (json.dumps(event, ensure_ascii=False) + "\n").encode()
    rows = []
    for data in (pretty, compact):
        parsed, rejects = run("amqsevt_json", data)
        assert rejects == [] and len(parsed) == 1
        rows.append(parsed[0])
    assert rows[0].content_key == rows[1].content_key
    row = rows[0].row
    assert row["channel"] == (channel.strip() or None) and row["conname"] == (conname.strip() or None)
    assert (row["mqrc"], row["event_reason"], row["reason_qualifier"], row["ssl_return_code"]) == (
        *reason,
        qualifier,
        rc,
    )
