"""The sample generator: deterministic, committed output current, every documented failure present."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.samples import generate, sample_files
from pipeline.samples.scenario import QMC, build

REPO = Path(__file__).resolve().parents[2]

OWNED = ("qma", "qmb", "qmc", "exports", "EXPECTED.md")  # data/samples/config/ is preflight's
MAX_BYTES = 1_500_000
HEADER = re.compile(
    r"^(\d\d/\d\d/\d\d|\d\d\.\d\d\.\d{4}) (\d\d:\d\d:\d\d) - Process\((\d+)\.(\d+)\) User\(\w+\) Program\(\w+\)$"
)
MSG_LINE = re.compile(r"^(AMQ\d{4})([IWEST]?): ")
TRAILER = re.compile(r"^----- [a-z0-9]+\.c : \d+ -+$")


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {f.path: f.data for f in sample_files()}


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return build()


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        if not line and not current:
            continue
        current.append(line)
        if TRAILER.match(line):
            blocks.append(current)
            current = []
    assert current == [], "text after the last trailer"
    return blocks


def test_two_runs_give_identical_bytes(tmp_path: Path, files: dict[str, bytes]) -> None:
    generate(tmp_path / "a")
    generate(tmp_path / "b")
    for path in files:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes() == files[path], (
            path
        )


def test_committed_samples_equal_a_fresh_generation(samples_dir: Path, files: dict[str, bytes]) -> None:
    committed = {
        p.relative_to(samples_dir).as_posix()
        for top in OWNED
        for p in ([samples_dir / top] if (samples_dir / top).is_file() else (samples_dir / top).rglob("*"))
        if p.is_file()
    }
    assert committed == set(files), (
        "data/samples has stray or missing files: run `python -m pipeline.samples`"
    )
    for path, data in files.items():
        assert (samples_dir / path).read_bytes() == data, (
            f"data/samples/{path} differs from the generator: never edit it by hand, "
            "run `python -m pipeline.samples`"
        )


def test_generation_leaves_config_alone(tmp_path: Path) -> None:
    marker = tmp_path / "config" / "keep.txt"
    marker.parent.mkdir(parents=True)
    marker.write_text("preflight's")
    generate(tmp_path)
    assert marker.read_text() == "preflight's"


def test_total_size_is_small(files: dict[str, bytes]) -> None:
    assert sum(len(d) for d in files.values()) < MAX_BYTES


@pytest.mark.parametrize(
    "path", ["qma/errors/AMQERR02.LOG", "qma/errors/AMQERR01.LOG", "qmb/errors/AMQERR01.LOG"]
)
def test_text_logs_have_mq_9_layout(files: dict[str, bytes], path: str) -> None:
    blocks = _blocks(files[path].decode("utf-8"))
    assert blocks
    for block in blocks:
        assert HEADER.match(block[0]), block[0]
        assert all(line.startswith(" " * 20) for line in block[1:4])
        assert re.match(r"^ {20}Time\(2026-11-20T\d\d:\d\d:\d\d\.\d{3}Z\)$", block[3]), block[3]
        blank = block.index(" " * 19)
        assert MSG_LINE.match(block[blank + 1]).group(2) in "IWEST"  # type: ignore[union-attr]
        assert "EXPLANATION:" in block and "ACTION:" in block
        assert len(block[-1]) == 79
        body = block[blank + 1 :]
        assert all(len(line) <= 80 for line in body), [line for line in body if len(line) > 80]


def test_qma_rotates_once_oldest_first(files: dict[str, bytes]) -> None:
    older = _blocks(files["qma/errors/AMQERR02.LOG"].decode())
    newer = _blocks(files["qma/errors/AMQERR01.LOG"].decode())
    last_old = re.search(r"Time\(([^)]+)\)", "\n".join(older[-1])).group(1)  # type: ignore[union-attr]
    first_new = re.search(r"Time\(([^)]+)\)", "\n".join(newer[0])).group(1)  # type: ignore[union-attr]
    assert last_old < first_new
    assert "10:00" < last_old[11:16] < "11:30", "rotation should fall inside episode 2"


def test_qmc_is_9_0_style_cp1252_local_time(files: dict[str, bytes], scenario) -> None:  # type: ignore[no-untyped-def]
    data = files["qmc/errors/AMQERR01.LOG"]
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("cp1252")
    assert {ch for ch in text if ord(ch) > 127} == {"\u00c4", "\u00fc"}
    assert "ERKL\u00c4RUNG:" in text and "AKTION:" in text and "EXPLANATION:" in text
    assert "Time(" not in text and "Insert" not in text
    blocks = _blocks(text)
    entries = scenario.sorted_entries("QMC")
    assert len(blocks) == len(entries)
    berlin = ZoneInfo("Europe/Berlin")
    for block, entry in zip(blocks, entries, strict=True):
        m = HEADER.match(block[0])
        assert m and "." in m.group(1)
        local = datetime.strptime(f"{m.group(1)} {m.group(2)}", "%d.%m.%Y %H:%M:%S").replace(tzinfo=berlin)
        assert local == entry.when.replace(microsecond=0)
        assert MSG_LINE.match(block[4]).group(2) == ""  # type: ignore[union-attr]
    assert files["qmc/mqtriage.tz"] == f"{QMC.tz}\n".encode()


def test_qmb_json_twins_its_text_log(files: dict[str, bytes]) -> None:
    records = [json.loads(line) for line in files["qmb/errors/AMQERR01.json"].decode().splitlines()]
    text_ids = [
        MSG_LINE.match(b[b.index(" " * 19) + 1]).group(1) + MSG_LINE.match(b[b.index(" " * 19) + 1]).group(2)  # type: ignore[union-attr]
        for b in _blocks(files["qmb/errors/AMQERR01.LOG"].decode())
    ]
    assert [r["ibm_messageId"] for r in records] == text_ids
    for r in records:
        for key in (
            "ibm_messageId",
            "ibm_arithInsert1",
            "ibm_arithInsert2",
            "ibm_datetime",
            "ibm_serverName",
            "ibm_processId",
            "ibm_threadId",
            "module",
            "loglevel",
            "ibm_sequence",
            "message",
        ):
            assert key in r
        assert r["ibm_serverName"] == "QMB" and r["message"].startswith(r["ibm_messageId"] + ": ")
    assert len({r["ibm_sequence"] for r in records}) == len(records)


def test_exports_parse(files: dict[str, bytes]) -> None:
    rows = list(csv.DictReader(io.StringIO(files["exports/last_error.csv"].decode())))
    assert list(rows[0]) == [
        "qmgr",
        "channel",
        "last_error_time",
        "last_error",
        "status",
        "substate",
        "conname",
        "team",
    ]
    java = [r for r in rows if r["channel"] == "APP.SVRCONN"]
    assert len(java) == 1 and "JMSWMQ2013" in java[0]["last_error"] and "'2035'" in java[0]["last_error"]
    assert "\n" in java[0]["last_error"]
    assert any(r["channel"] == "QMB.QMC.NEW" and "AMQ9520" in r["last_error"] for r in rows)
    text = files["exports/QMB.events.json"].decode()
    decoder, pos, events = json.JSONDecoder(), 0, []
    while pos < len(text.rstrip()):
        obj, end = decoder.raw_decode(text, pos)
        events.append(obj)
        pos = end + 1
    assert {e["eventData"]["reasonQualifier"] for e in events} == {
        "SSL Cipher Spec Error",
        "SSL Peer Name Error",
    }
    assert all(e["eventReason"]["value"] == 2371 for e in events)
    chs = files["exports/QMA.chstatus.txt"].decode()
    assert chs.count("AMQ8417I: Display Channel Status details.") == 4
    assert re.search(r"CHANNEL\(QMA\.QMD\) +CHLTYPE\(SDR\)", chs) and "STATUS(RETRYING)" in chs


# --- every failure of docs/samples.md appears ----------------------------------------------


def _doc_rows() -> list[dict[str, str]]:
    text = (REPO / "docs" / "samples.md").read_text(encoding="utf-8")
    section = text.split("## Channels and what goes wrong", 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = []
    for ln in lines[2:]:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        rows.append(dict(zip(head, cells, strict=True)))
    return rows


def _qm_of(cell: str) -> str:
    m = re.match(r"\(?(QM[A-D]|app01|LB)", cell)
    return m.group(1) if m else ""


DOC_ROWS = _doc_rows()


def test_docs_table_has_every_row() -> None:
    assert [r["#"] for r in DOC_ROWS] == ["1", "1b", "2", "3", "4", "5", "6", "7", "8", "9", "10"]


@pytest.mark.parametrize("row", DOC_ROWS, ids=lambda r: f"row{r['#']}")
def test_documented_failure_is_in_the_logs(row: dict[str, str], scenario) -> None:  # type: ignore[no-untyped-def]
    by_qm: dict[str, set[str]] = defaultdict(set)
    for qm, entries in scenario.entries.items():
        for e in entries:
            by_qm[qm].add(e.msg_id)
    for column, side in (("Responder's log", "Responder (type)"), ("Initiator's log", "Initiator (type)")):
        ids = re.findall(r"AMQ\d{4}", row[column])
        qm = _qm_of(row[side])
        if row["#"] == "9":  # the listener's own log holds the probe
            qm = "QMA"
        if row["#"] == "8" and column == "Responder's log":
            qm = "QMC"
        for msg_id in ids:
            assert msg_id in by_qm[qm], f"row {row['#']}: {msg_id} missing from {qm}'s log"
    cause = row["Cause (our vocabulary)"].split()[0]
    truths = [t for t in scenario.truths if t.row == row["#"]]
    if row["#"] in ("9", "10"):
        assert truths == []
    else:
        assert truths and {t.cause for t in truths} == {cause}
        assert {t.channel for t in truths} == {row["Channel"]}


def test_truths_match_the_entries(scenario) -> None:  # type: ignore[no-untyped-def]
    for t in scenario.truths:
        decisive = [
            e
            for e in scenario.entries[t.decisive_qmgr]
            if e.msg_id == t.decisive_msg_id
            and (e.values.get("channel") == t.channel or e.msg_id == "AMQ9616")
        ]
        assert decisive, t
        own = [
            e
            for e in scenario.entries[t.qmgr]
            if t.start <= e.when <= t.end
            and e.msg_id in t.local_msg_ids
            and e.values.get("channel", t.channel) == t.channel
        ]
        assert own[0].when == t.start and own[-1].when == t.end
        if t.resolved_at is not None:
            assert any(
                e.msg_id == "AMQ9002" and e.when == t.resolved_at and e.values["channel"] == t.channel
                for e in scenario.entries[t.qmgr]
            )


def test_retries_are_minutes_apart(scenario) -> None:  # type: ignore[no-untyped-def]
    firsts = {"AMQ9641", "AMQ9643", "AMQ9665", "AMQ9642", "AMQ9202", "AMQ9520", "AMQ9777"}
    for t in scenario.truths:
        times = sorted(
            e.when
            for e in scenario.entries[t.qmgr]
            if t.start <= e.when <= t.end and e.msg_id in firsts and e.values.get("channel") == t.channel
        )
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
        assert all(55 <= g <= 125 for g in gaps), (t.row, t.qmgr, gaps)
        assert t.attempts >= 15 or not times


def test_expected_md_lists_every_truth(files: dict[str, bytes], scenario) -> None:  # type: ignore[no-untyped-def]
    text = files["EXPECTED.md"].decode()
    for t in scenario.truths:
        assert f"| {t.row} | {t.qmgr} | {t.channel} |" in text
