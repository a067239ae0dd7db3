"""Render one error-log entry the way a queue manager writes it.

Three shapes:

* ``text_v9`` - MQ 9.1+ text log: header, ``Time()``, ``RemoteHost()``, insert lines, the
  ``AMQnnnnX:`` summary wrapped at 79 columns, EXPLANATION/ACTION, ``----- file.c : N ---`` trailer.
* ``text_v90`` - MQ 9.0 text log: no severity letter, no ``Time()``, no insert lines; the
  header date follows the queue manager's locale (``DD.MM.YYYY`` for German) in local time.
* ``json`` - one JSON object per line with the key spellings MQ really writes.
"""

from __future__ import annotations

import functools
import json
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pipeline.samples.messages import HEADINGS, Message, catalogue

TRAILER_WIDTH = 79
WRAP_WIDTH = 79
LOGLEVEL = {"I": "INFO", "W": "WARNING", "E": "ERROR", "S": "ERROR", "T": "ERROR"}


@dataclass(frozen=True)
class QueueManager:
    name: str
    host: str
    address: str
    vrmf: str
    style: str  # text_v9 | text_v90
    tz: str = "UTC"  # zone of the header's local time
    date_style: str = "mdy2"  # mdy2 = MM/DD/YY, dmy4dot = DD.MM.YYYY
    user: str = "mqm"
    installation: str = "Installation1"
    indent: int = 20  # continuation indent of header lines (Linux)
    qmgr_id: str = ""  # JSON ibm_qmgrId


@dataclass(frozen=True)
class Entry:
    """One log entry before rendering; the same object renders as text and as JSON."""

    qmgr: str
    when: datetime  # UTC, millisecond precision
    msg_id: str
    pid: int
    tid: int
    program: str
    values: dict[str, str] = field(default_factory=dict)  # template values
    arith: tuple[int, int] = (0, 0)
    comments: tuple[str, str, str] = ("", "", "")
    remote_host: str = ""
    lang: str = "en"
    order: int = 0  # tie-breaker for equal times

    def message(self) -> Message:
        return catalogue(self.lang)[self.msg_id]

    def summary(self) -> str:
        return self.message().summary.format(**self.values)


def _wrap(text: str) -> list[str]:
    wrapper = textwrap.TextWrapper(width=WRAP_WIDTH, break_long_words=False, break_on_hyphens=False)
    return wrapper.wrap(text) or [""]


def _paragraph(text: str) -> list[str]:
    # MQ leaves a space at the end of the last line of an explanation or action.
    lines = _wrap(text)
    lines[-1] = lines[-1] + " "
    return lines


def trailer(module: str) -> str:
    head = f"----- {module} "
    return head + "-" * max(TRAILER_WIDTH - len(head), 5)


def header_time(qm: QueueManager, when: datetime) -> str:
    local = when.astimezone(ZoneInfo(qm.tz))
    if qm.date_style == "dmy4dot":
        return local.strftime("%d.%m.%Y %H:%M:%S")
    return local.strftime("%m/%d/%y %H:%M:%S")


def iso_ms(when: datetime) -> str:
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@functools.lru_cache(maxsize=16384)
def _body(lang: str, msg_id: str, letter: bool, values: tuple[tuple[str, str], ...]) -> str:
    """Everything after the header's blank line: summary, EXPLANATION, ACTION and trailer."""
    msg = catalogue(lang)[msg_id]
    fields = dict(values)
    label = f"{msg.msg_id}{msg.severity}" if letter else msg.msg_id
    lines = _wrap(f"{label}: {msg.summary.format(**fields)}")
    explanation_heading, action_heading = HEADINGS[lang]
    lines += [
        "",
        explanation_heading,
        *_paragraph(msg.explanation.format(**fields)),
        action_heading,
        *_paragraph(msg.action.format(**fields)),
        trailer(msg.module),
    ]
    return "\n".join(lines) + "\n"


def render_text(qm: QueueManager, entry: Entry) -> str:
    pad = " " * qm.indent
    lines = [
        f"{header_time(qm, entry.when)} - Process({entry.pid}.{entry.tid}) User({qm.user}) "
        f"Program({entry.program})",
        f"{pad}Host({qm.host}) Installation({qm.installation})",
        f"{pad}VRMF({qm.vrmf}) QMgr({qm.name})",
    ]
    v9 = qm.style == "text_v9"
    if v9:
        lines.append(f"{pad}Time({iso_ms(entry.when)})")
        if entry.remote_host:
            lines.append(f"{pad}RemoteHost({entry.remote_host})")
        arith = [f"ArithInsert{i + 1}({v})" for i, v in enumerate(entry.arith) if v]
        if arith:
            lines.append(pad + " ".join(arith))
        for i, value in enumerate(entry.comments):
            if value:
                lines.append(f"{pad}CommentInsert{i + 1}({value})")
    lines.append(" " * (qm.indent - 1))
    head = "\n".join(lines) + "\n"
    return head + _body(entry.lang, entry.msg_id, v9, tuple(sorted(entry.values.items())))


def render_json(qm: QueueManager, entry: Entry, sequence: str) -> str:
    """One line of AMQERR01.json; key order as MQ writes it, zero arith inserts kept."""
    msg = entry.message()
    record: dict[str, object] = {
        "ibm_messageId": f"{msg.msg_id}{msg.severity}",
        "ibm_arithInsert1": entry.arith[0],
        "ibm_arithInsert2": entry.arith[1],
    }
    for i, value in enumerate(entry.comments):
        if value:
            record[f"ibm_commentInsert{i + 1}"] = value
    record.update(
        {
            "ibm_datetime": iso_ms(entry.when),
            "ibm_serverName": qm.name,
            "type": "mq_log",
            "host": qm.host,
            "loglevel": LOGLEVEL[msg.severity],
            "module": msg.module.replace(" : ", ":"),
            "ibm_sequence": sequence,
        }
    )
    if entry.remote_host:
        record["ibm_remoteHost"] = entry.remote_host
    record.update(
        {
            "ibm_processId": entry.pid,
            "ibm_threadId": entry.tid,
            "ibm_version": qm.vrmf,
            "ibm_processName": entry.program,
            "ibm_userName": qm.user,
            "ibm_installationName": qm.installation,
            "ibm_installationDir": "/opt/mqm",
            "ibm_qmgrId": qm.qmgr_id,
            "message": f"{msg.msg_id}{msg.severity}: {entry.summary()}",
        }
    )
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
