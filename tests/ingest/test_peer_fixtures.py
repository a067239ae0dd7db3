"""The public peers' fixtures, read in place from ../shared: every entry parses, and where the peers'
expected outputs are right our fields agree with them (where they are wrong: docs/ingest-formats.md,
"Where the peers are wrong")."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from pipeline.ingest.ids import OrdinalCounter, event_id
from pipeline.ingest.jsonlog import iter_json_lines, parse_json_line
from pipeline.ingest.records import FileContext, Parsed, Reject
from pipeline.ingest.textlog import iter_flat_lines, parse_block, parse_flat_line, sniff, split_blocks


def _parse_text(path: Path, **ctx_args: str) -> tuple[list[Parsed], list[Reject]]:
    ctx = FileContext(str(path.name), **ctx_args)  # type: ignore[arg-type]
    parsed: list[Parsed] = []
    rejects: list[Reject] = []
    with path.open("rb") as fh:
        for block in split_blocks(fh):
            r = parse_block(block, ctx)
            (rejects if isinstance(r, Reject) else parsed).append(r)  # type: ignore[arg-type]
    return parsed, rejects


def _fffd(text: str | None) -> str | None:
    """Our text as Filebeat shows it: every non-ASCII character became U+FFFD."""
    return None if text is None else "".join(c if ord(c) < 128 else "\ufffd" for c in text)


# --- Elastic Filebeat module (multi-line text, German and English, CP850) -------------------
@pytest.fixture(scope="module")
def filebeat(peer_fixtures: Path) -> tuple[Path, list[dict]]:
    d = peer_fixtures / "elastic-beats-filebeat-ibmmq"
    return d / "AMQERR01.LOG", json.loads((d / "AMQERR01.log-expected.json").read_text(encoding="utf-8"))


def test_filebeat_all_entries_parse(filebeat: tuple[Path, list[dict]]) -> None:
    log, expected = filebeat
    assert sniff(log.read_bytes()[:8192]) == "text"
    parsed, rejects = _parse_text(log, fallback_encoding="cp850")
    assert rejects == []
    assert len(parsed) == len(expected) == 20
    assert all(p.row["source_module"] for p in parsed)  # every trailer kept with its own entry


def test_filebeat_fields_match_where_filebeat_is_right(filebeat: tuple[Path, list[dict]]) -> None:
    log, expected = filebeat
    parsed, _ = _parse_text(log, fallback_encoding="cp850")
    for i, (p, e) in enumerate(zip(parsed, expected, strict=True)):
        r = p.row
        assert r["msg_id"] + r["severity"] == e["ibmmq.errorlog.code"], i
        assert e["log.level"] == ""  # Filebeat never fills severity; we split it from the id
        assert r["timestamp"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" == e["@timestamp"], i
        assert r["timestamp_source"] == "time_field"
        assert f"{r['pid']}.{r['tid']}" == e["process.pid"], i
        assert (r["user"], r["program"], r["host"], r["vrmf"], r["installation"]) == (
            e["user.name"],
            e["process.title"],
            e["host.hostname"],
            e["service.version"],
            e["ibmmq.errorlog.installation"],
        ), i
        assert r["qmgr"] == e.get("ibmmq.errorlog.qmgr"), i
        assert _fffd(r["message"]) == e["message"], i
        # Filebeat's insert arrays are reversed and padded with "" (and backslashes doubled)
        comments = [r["comment_insert_3"] or "", r["comment_insert_2"] or "", r["comment_insert_1"] or ""]
        assert [_fffd(c) for c in comments] == [
            c.replace("\\\\", "\\") for c in e["ibmmq.errorlog.commentinsert"]
        ], i
        ariths = [str(r["arith_insert_2"] or ""), str(r["arith_insert_1"] or "")]
        assert ariths == e["ibmmq.errorlog.arithinsert"], i
        if i == 0:
            continue  # Filebeat cuts this explanation at "MQ:" (see docs); checked below
        assert _fffd(r["explanation"]) == e["ibmmq.errorlog.explanation"], i
        assert _fffd(r["action"]) == e["ibmmq.errorlog.action"], i


def test_filebeat_where_filebeat_is_wrong(filebeat: tuple[Path, list[dict]]) -> None:
    log, expected = filebeat
    data = log.read_bytes()
    parsed, _ = _parse_text(log, fallback_encoding="cp850")
    first = parsed[0].row
    # explanation split at the first "word:" token by Filebeat; we keep it whole
    assert expected[0]["ibmmq.errorlog.explanation"] == "Systeminformationen zu IBM"
    assert first["explanation"].startswith("Systeminformationen zu IBM MQ: Host-Info :- Windows 10")
    assert first["action"] == "Keine."
    # Filebeat's event starts at the previous entry's trailer line: its offsets (which count each
    # non-ASCII byte as the 3 bytes of U+FFFD) point at our previous block's trailer.
    for prev, e in zip(parsed, expected[1:], strict=False):
        start = prev.row["source_offset"]
        nxt = data.index(b"\n-----", start) + 1
        widened = nxt + 2 * sum(1 for b in data[:nxt] if b > 127)
        assert widened == e["log.offset"]


def test_filebeat_cp850_characters(filebeat: tuple[Path, list[dict]]) -> None:
    log, _ = filebeat
    with_cp850, _ = _parse_text(log, fallback_encoding="cp850")
    german = [p.row for p in with_cp850 if p.row["user"] == "felix" and p.row["msg_id"] == "AMQ7125"]
    assert german and "für" in german[0]["message"] and "läuft" in german[0]["message"]
    assert all(p.row["encoding"] == "cp850" for p in with_cp850 if not p.row["message"].isascii())
    default, rejects = _parse_text(log)  # cp1252 cannot map 0x81: escaped, never U+FFFD
    assert rejects == []
    for p in default:
        for v in p.row.values():
            assert not (isinstance(v, str) and "\ufffd" in v)
    assert any(p.row["encoding"] == "cp1252+escaped" and "\\x81" in p.row["message"] for p in default)


# --- Elastic integrations package (flattened one-line entries) -------------------------------
@pytest.mark.parametrize("name", ["test-errorlog.log", "test-errorlog-9-4.log"])
def test_elastic_integration_flat(peer_fixtures: Path, name: str) -> None:
    d = peer_fixtures / "elastic-integrations-ibmmq"
    data = (d / name).read_bytes()
    expected = json.loads((d / f"{name}-expected.json").read_text(encoding="utf-8"))["expected"]
    assert sniff(data) == "flat"
    ctx = FileContext(name)
    results = [
        parse_flat_line(b.data, b.offset, b.line, ctx) for b in iter_flat_lines(d.joinpath(name).open("rb"))
    ]
    assert [type(r) for r in results] == [Parsed] * 3
    for r, e in zip(results, expected, strict=True):
        row, err = r.row, e["ibmmq"]["errorlog"]
        assert row["msg_id"] + row["severity"] == err["error"]["code"]
        assert row["message"] == err["error"]["description"].strip()
        assert row["explanation"] == " ".join(err["error"]["explanation"].split())
        assert row["action"] == err["error"]["action"]
        assert row["timestamp"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" == e["@timestamp"]
        assert row["qmgr"] == err.get("queue_manager")
        assert row["installation"] == err["installation"]
        assert row["vrmf"] == e["service"]["version"]
        # the peer stores pid.tid as a float; we keep both integers
        assert float(f"{row['pid']}.{row['tid']}") == e["process"]["pid"]
        # the peer drops empty inserts, so positions collapse; ours keep them
        comments = [row[f"comment_insert_{i}"] for i in (1, 2, 3) if row[f"comment_insert_{i}"] is not None]
        assert comments == err.get("insert", {}).get("comment", [])
        if "destination" in e:
            assert row["remote_host"] == e["destination"]["address"]
    if name == "test-errorlog.log":
        probe = results[2].row
        assert probe["msg_id"] == "AMQ9207" and probe["comment_insert_1"] == "10.212.128.113"
        assert probe["comment_insert_2"] is None and probe["comment_insert_3"] == "????"
        assert probe["channel"] is None  # '????' means unknown
        assert probe["arith_insert_2"] is None and json.loads(probe["extra"]) == {"ArithInsert2": "TCP/IP"}


# --- Nastel tnt4j-streams (2,853 entries, text and JSON) -------------------------------------
@pytest.fixture(scope="module")
def nastel_text(peer_fixtures: Path) -> tuple[list[Parsed], list[Reject]]:
    return _parse_text(peer_fixtures / "nastel-tnt4j-streams" / "AMQERR01.LOG", date_order="mdy")


@pytest.fixture(scope="module")
def nastel_json(peer_fixtures: Path) -> tuple[list[Parsed], list[Reject]]:
    path = peer_fixtures / "nastel-tnt4j-streams" / "AMQERR01.JSON"
    ctx = FileContext(path.name)
    parsed, rejects = [], []
    with path.open("rb") as fh:
        for b in iter_json_lines(fh):
            r = parse_json_line(b.data, b.offset, b.line, ctx)
            (rejects if isinstance(r, Reject) else parsed).append(r)
    return parsed, rejects


def test_nastel_text_all_entries(nastel_text: tuple[list[Parsed], list[Reject]]) -> None:
    parsed, rejects = nastel_text
    assert rejects == []
    assert len(parsed) == 2853
    rows = [p.row for p in parsed]
    assert all(r["severity"] is None and r["timestamp_source"] == "header_local" for r in rows)
    assert all(r["qmgr"] == "T1" and r["host"] == "WINDOWS-ORACLE" for r in rows)
    assert (
        rows[0]["header_time"] == "3/19/2017 14:33:53"
        and rows[0]["timestamp"].isoformat() == "2017-03-19T14:33:53+00:00"
    )
    assert rows[0]["source_module"] is None  # plain "-----" trailer
    assert rows[1]["source_module"] == "amqrcmna.c:978"
    abend = [r for r in rows if r["msg_id"] == "AMQ9999"]
    assert abend and all(r["channel"] for r in abend)
    assert any(r["channel"] == "SYSTEM.DEF.SVRCONN" and r["conname"] == "172.16.6.86" for r in abend)
    indoubt = [r for r in rows if r["msg_id"] == "AMQ9507"]
    assert {r["channel"] for r in indoubt} == {"TO_CL.T2"}
    assert all(r["explanation"] for r in rows)
    # the only entries without action text are AMQ5975/AMQ5976 (pub/sub tasks), whose ACTION: heading is followed by a blank line
    assert {r["msg_id"] for r in rows if r["action"] is None} == {"AMQ5975", "AMQ5976"}


def test_nastel_repeated_entries_get_distinct_ids(nastel_text: tuple[list[Parsed], list[Reject]]) -> None:
    parsed, _ = nastel_text
    counter = OrdinalCounter()
    ids = [event_id(p.content_key, counter.next(p.content_key)) for p in parsed]
    assert len(set(ids)) == len(parsed)
    repeats = collections.Counter(p.content_key for p in parsed)
    assert max(repeats.values()) > 1  # byte-identical entries exist and are all kept


def test_nastel_json_matches_text(
    nastel_json: tuple[list[Parsed], list[Reject]], nastel_text: tuple[list[Parsed], list[Reject]]
) -> None:
    parsed, rejects = nastel_json
    assert rejects == []
    assert len(parsed) == 2853
    text_ids = collections.Counter(p.row["msg_id"] for p in nastel_text[0])
    json_ids = collections.Counter(p.row["msg_id"] for p in parsed)
    assert text_ids == json_ids
    rows = [p.row for p in parsed]
    assert all(r["timestamp_source"] == "ibm_datetime" and r["severity"] in {"I", "W", "E"} for r in rows)
    assert all(r["arith_insert_1"] is None and r["arith_insert_2"] is None for r in rows)  # JSON 0 -> null
    assert all(r["sequence"] for r in rows) and all(r["qmgr"] == "T1" for r in rows)
    assert [r["pid"] for r in rows[:2]] == [3196, 3472] and rows[0]["tid"] == 3
    assert rows[1]["source_module"] == "amqrcmna.c:978"
    assert rows[1]["message"] == "Channel '' is currently in-doubt." and rows[1]["channel"] is None


def test_fast_path_agrees_with_general_path(peer_fixtures: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.ingest import textlog

    for rel, enc in (
        ("nastel-tnt4j-streams/AMQERR01.LOG", "cp1252"),
        ("elastic-beats-filebeat-ibmmq/AMQERR01.LOG", "cp850"),
    ):
        fast = _parse_text(peer_fixtures / rel, fallback_encoding=enc)
        monkeypatch.setattr(textlog, "FAST_PATH", False)
        slow = _parse_text(peer_fixtures / rel, fallback_encoding=enc)
        monkeypatch.setattr(textlog, "FAST_PATH", True)
        assert [(p.row, p.notes, p.content_key) for p in fast[0]] == [
            (p.row, p.notes, p.content_key) for p in slow[0]
        ]
        assert fast[1] == slow[1] == []


# --- Datadog log pipeline samples (header line + "EXPLANATION: ... ACTION: ... -----" line) ----------
def test_datadog_samples(peer_fixtures: Path) -> None:
    import yaml

    doc = yaml.safe_load(
        (peer_fixtures / "datadog-integrations-core-ibm_mq" / "ibm_mq_tests.yaml").read_text()
    )
    results = []
    for case in doc["tests"]:
        line = case["sample"].replace("\n", " ").encode()
        results.append(
            (parse_flat_line(line, 0, 1, FileContext("dd.log", date_order="auto")), case["result"])
        )
    kinds = [type(r) for r, _ in results]
    assert kinds == [Parsed, Reject, Parsed]  # the 2nd sample has no AMQ id (an edited documentation example)
    assert "no AMQnnnn: message id" in results[1][0].reason
    for r, expected in (results[0], results[2]):
        row, custom = r.row, expected["custom"]
        assert row["timestamp"].timestamp() * 1000 == custom["timestamp"]  # header time read as UTC
        assert row["timestamp_source"] == "header_local"
        assert row["explanation"] == " ".join(custom["error"]["message"].split())
        assert row["action"] == custom["system"]["action"]
        assert (row["program"], row["host"], row["user"], row["vrmf"]) == (
            custom["system"]["app"],
            custom["system"]["host"],
            custom["system"]["user"],
            custom["vrmf"],
        )
        assert float(f"{row['pid']}.{row['tid']}") == custom["process"]
    assert results[2][0].row["qmgr"] == "A.B.C"  # `QMgr (A.B.C)`, which Datadog does not extract
    assert results[2][0].row["source_module"] == "amqrimna.c:931"
    assert results[2][0].row["msg_id"] == "AMQ9542"
