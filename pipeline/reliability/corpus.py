"""Synthetic MQ error logs for the reliability checks: hostile names and streamed big inputs.

Everything here writes real 9.x-style text log entries (header, inserts, message, explanation,
trailer) so the whole pipeline - not a shortcut - sees them.  Nothing is random without a seed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)

# Values an attacker controls: anyone who can reach a listener can offer a channel name, and
# a certificate's subject is chosen by whoever issued it.  Each one targets a different sink.
HOSTILE_QMGRS = (
    "../../etc",                       # path traversal if a qmgr ever became a folder name
    "QM$(rm -rf /)",                   # shell command substitution
    "QM'; DROP TABLE events;--",       # SQL built by string concatenation
)
HOSTILE_CHANNELS = (
    "<script>alert(1)</script>",       # HTML element in a report
    "'; DROP TABLE events;--",         # SQL, and a quote that ends the 'channel' in message text
    "$(rm -rf /)",                     # shell
    "..\\..\\windows|x",               # Windows path separators and a Markdown cell break
    '=HYPERLINK("http://x")',          # spreadsheet formula injection in CSV
    "a,b\"c`d*e_[f](g)",               # CSV delimiters and quotes, Markdown emphasis/links/code
    "CH.&lt;b&gt;",                    # an already-escaped entity must stay literal text
)
HOSTILE_DNS = (
    'CN="><img src=x onerror=alert(1)>,O=Evil',
    "CN=javascript:alert(document.domain),O=<svg onload=alert(2)>",
)


@dataclass(frozen=True)
class HostileCase:
    qmgr: str
    channel: str
    dn: str


def hostile_cases() -> list[HostileCase]:
    """Every hostile channel once, paired round-robin with the hostile qmgrs and DNs."""
    return [
        HostileCase(HOSTILE_QMGRS[i % len(HOSTILE_QMGRS)], channel, HOSTILE_DNS[i % len(HOSTILE_DNS)])
        for i, channel in enumerate(HOSTILE_CHANNELS)
    ]


def _header(when: datetime, qmgr: str, pid: str, inserts: list[str]) -> str:
    lines = [
        f"{when:%m/%d/%Y %H:%M:%S} - Process({pid}) User(mqm) Program(amqrmppa)",
        "                    Host(mq.example.com) Installation(Installation1)",
        f"                    VRMF(9.4.0.5) QMgr({qmgr})",
        f"                    Time({when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z)",
        "                    RemoteHost(10.9.0.1)",
    ]
    lines += [f"                    {item}" for item in inserts]
    return "\n".join(lines) + "\n                   \n"


def tls_failure_entry(when: datetime, qmgr: str, channel: str, dn: str, pid: str = "4242.1") -> str:
    """AMQ9636 (this end's SSLPEER refused the partner's DN): channel and DN in inserts and text."""
    return (
        _header(when, qmgr, pid, [f"CommentInsert1({channel})", f"CommentInsert2({dn})",
                                  "CommentInsert3(partner.example.com (10.9.0.1))"])
        + f"AMQ9636E: SSL distinguished name does not match peer name, channel '{channel}'.\n\n"
        "EXPLANATION:\n"
        f"The distinguished name, '{dn}', contained in the SSL certificate for the remote end\n"
        f"of the channel does not match the local SSL peer name for channel '{channel}'.\n"
        "ACTION:\n"
        "Check which certificate the remote end sends, or change SSLPEER.\n"
        "----- amqcctca.c : 4310 -------------------------------------------------------\n"
    )


def ended_entry(when: datetime, qmgr: str, channel: str, pid: str = "4242.1") -> str:
    """AMQ9999: the channel program ended abnormally (the summary after a specific failure)."""
    return (
        _header(when, qmgr, pid, [f"CommentInsert1({channel})", "CommentInsert2(4242)",
                                  "CommentInsert3(partner.example.com (10.9.0.1))"])
        + f"AMQ9999E: Channel '{channel}' to host 'partner.example.com (10.9.0.1)' ended abnormally.\n\n"
        "EXPLANATION:\n"
        f"The channel program running under process ID 4242 for channel '{channel}' ended abnormally.\n"
        "ACTION:\n"
        "Look at previous error messages for the channel program.\n"
        "----- amqrmrsa.c : 938 --------------------------------------------------------\n"
    )


def starting_entry(when: datetime, qmgr: str, channel: str, pid: str = "4242.1") -> str:
    """AMQ9002: channel starting (an informational entry; ends an episode as resolved)."""
    return (
        _header(when, qmgr, pid, [f"CommentInsert1({channel})"])
        + f"AMQ9002I: Channel '{channel}' is starting.\n\n"
        "EXPLANATION:\n"
        f"Channel '{channel}' is starting.\n"
        "ACTION:\n"
        "None.\n"
        "----- amqrccca.c : 1170 -------------------------------------------------------\n"
    )


def amqsevt_text(cases: list[HostileCase], base: datetime = BASE) -> str:
    """``amqsevt -o text`` output: one Channel SSL Error event per case (the MQ 9.1+ column width)."""
    def field(label: str, value: object, indent: str = "  ") -> str:
        return f"{indent}{label:<{31 - len(indent)}}: {value}\n"

    parts = ["Sample AMQSEVT start\n"]
    for n, case in enumerate(cases):
        when = base + timedelta(hours=5, minutes=n)
        parts.append(f"**** Message #{n + 1} (412 Bytes) on Queue SYSTEM.ADMIN.CHANNEL.EVENT ****\n")
        parts.append(field("Event Type", "Channel Event [46]", ""))
        parts.append(field("Reason", "Channel SSL Error [2371]", ""))
        parts.append(field("Event created", f"{when:%Y/%m/%d %H:%M:%S}.00 GMT", ""))
        parts.append(field("Queue Mgr Name", case.qmgr))
        parts.append(field("Reason Qualifier", "SSL Peer Name Error"))
        parts.append(field("Channel Name", case.channel))
        parts.append(field("Connection Name", "10.9.0.1"))
        parts.append(field("SSL Peer Name", case.dn))
        parts.append("\n")
    return "".join(parts)


def write_hostile_corpus(root: str | Path, attempts: int = 3) -> dict[str, int]:
    """One folder per hostile queue manager with failing attempts on every hostile channel.

    Also writes a last-error CSV and a JSON error log carrying the same names.  Returns the
    number of log entries and export rows written, for the caller's reconciliation.
    """
    root = Path(root)
    per_qmgr: dict[str, list[str]] = {}
    entries = 0
    for n, case in enumerate(hostile_cases()):
        for attempt in range(attempts):
            when = BASE + timedelta(minutes=10 * n + attempt, milliseconds=37 * n)
            chunk = tls_failure_entry(when, case.qmgr, case.channel, case.dn, pid=f"4{n}00.{attempt + 1}")
            chunk += ended_entry(when + timedelta(milliseconds=4), case.qmgr, case.channel, pid=f"4{n}00.{attempt + 1}")
            per_qmgr.setdefault(case.qmgr, []).append(chunk)
            entries += 2
    for i, (_qmgr, chunks) in enumerate(sorted(per_qmgr.items())):
        folder = root / f"qm{i}" / "errors"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "AMQERR01.LOG").write_text("".join(chunks), encoding="utf-8")
    # A JSON error log: the same hostile names through the JSON parser.
    json_dir = root / "qmjson" / "errors"
    json_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for n, case in enumerate(hostile_cases()):
        when = BASE + timedelta(hours=3, minutes=n)
        lines.append(json.dumps({
            "ibm_messageId": "AMQ9636E", "ibm_serverName": case.qmgr, "host": "mq.example.com",
            "ibm_datetime": f"{when:%Y-%m-%dT%H:%M:%S}.000Z", "loglevel": "ERROR", "module": "amqcctca.c:4310",
            "ibm_commentInsert1": case.channel, "ibm_commentInsert2": case.dn,
            "ibm_processId": 5000 + n, "ibm_threadId": 1, "type": "mq_log",
            "message": f"AMQ9636E: SSL distinguished name does not match peer name, channel '{case.channel}'.",
        }))
        entries += 1
    (json_dir / "AMQERR01.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    exports = root / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    import csv

    with open(exports / "last_error.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["qmgr", "channel", "last_error_time", "last_error", "status", "substate", "conname"])
        for n, case in enumerate(hostile_cases()):
            writer.writerow([case.qmgr, case.channel, f"2026-11-20T12:{n:02d}:00Z",
                             f"AMQ9636E: SSL distinguished name does not match peer name, channel '{case.channel}'.",
                             "RETRYING", "SSLHANDSHK", "partner.example.com(1414)"])
    (exports / "QMH.events.txt").write_text(amqsevt_text(hostile_cases()), encoding="utf-8")
    return {"log_entries": entries, "export_rows": 2 * len(hostile_cases())}


def stream_entries(count: int, qmgr: str = "QMBIG", start: int = 0, padding: int = 0) -> Iterator[str]:
    """``count`` distinct entries (failure + summary pairs and starts), generated lazily.

    ``padding`` adds that many characters of explanation to each entry (to reach a byte size
    with fewer entries).
    """
    filler = ("x" * 70 + "\n") * (padding // 71) if padding else ""
    for i in range(start, start + count):
        when = BASE + timedelta(milliseconds=250 * i)
        channel = f"CH.{i % 97:02d}"
        kind = i % 3
        if kind == 0:
            text = tls_failure_entry(when, qmgr, channel, f"CN=peer{i % 13}.example.com,O=Example", pid=f"{1000 + i % 50}.1")
        elif kind == 1:
            text = ended_entry(when, qmgr, channel, pid=f"{1000 + i % 50}.1")
        else:
            text = starting_entry(when, qmgr, channel, pid=f"{1000 + i % 50}.1")
        if filler:
            text = text.replace("ACTION:\n", filler + "ACTION:\n", 1)
        yield text
