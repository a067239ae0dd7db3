"""Reader for runmqsc ``DISPLAY CHSTATUS`` output (distributed MQ 7.5-9.4 and z/OS).

The file is read line by line; one row per ``AMQ8417[I]:`` block (or z/OS ``CSQM201I ... DIS
CHSTATUS DETAILS`` ... ``END CHSTATUS DETAILS`` block).  Everything else in the file (the banner,
echoed commands, other commands' output, people's notes) is context, not rows: it can set the
queue manager (``Starting MQSC for queue manager QM1.``) but is otherwise passed over.

An AMQERR entry pasted after a status block (the mqfellow capture's "Current error:") is
attached to that block: its ``AMQnnnnX:`` summary becomes ``last_error``, its ``Time(...)`` the
row's timestamp, and the whole entry text is kept in ``extra.error_entry`` for the log parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, BinaryIO

from pipeline.ingest.exports_common import (
    canonical_key,
    decode,
    dump_extra,
    empty_to_none,
    extract_mqrc,
    extract_msg_id,
    iter_lines,
    make_reject,
    new_row,
    parse_timestamp,
    to_utc_ms,
    zone,
)
from pipeline.ingest.records import FileContext, Parsed, Reject

KIND = "chstatus"
MAX_CONTINUATION = 8  # physical lines one attribute may be wrapped over (z/OS console width)

_HEADER = re.compile(r"AMQ8417[A-Z]?:")
_NOT_FOUND = re.compile(r"AMQ8420[A-Z]?:|CSQM297I\b")
_ZOS_HEADER = re.compile(r"CSQM201I[ ]+(\S+)[ ]+\S+[ ]+(?:DIS|DISPLAY)[ ]+CHSTATUS[ ]+DETAILS\b")
_ZOS_END = re.compile(r"END[ ]+CHSTATUS[ ]+DETAILS\b")
_BANNER_QMGR = re.compile(r"Starting MQSC for queue manager (\S+?)\.?$")
_ECHO = re.compile(r"\d+[ ]?:[ ]")
_TRAILER = re.compile(
    r"(?:One|\d+|No) MQSC commands? read\.|No commands have a syntax error\.|\d+ commands? ha(?:s|ve) a syntax error"
    r"|All valid MQSC commands were processed\.|CSQ9022I\b|CSQ9023E\b|CSQM293I\b"
)
_ENTRY_LABEL = re.compile(r"(?:Current|Last) error:?$", re.IGNORECASE)
_ENTRY_SEPARATOR = re.compile(r"-----[ ]\S+[ ]:[ ]\d+[ ]-+$|-{20,}$")
_ENTRY_HEADER = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}[ ]+\d{1,2}:\d{2}:\d{2}.{0,8}[ ]-[ ]Process\(")
_ENTRY_TIME = re.compile(r"\bTime\(([^()]*)\)")
_ENTRY_QMGR = re.compile(r"\bQMgr\(([^()]*)\)")
_ENTRY_MESSAGE = re.compile(r"(AMQ\d{4}[A-Z]?): ")
_KEYWORD = re.compile(r"[A-Z][A-Z0-9]*")
_BARE_KEYWORDS = frozenset({"CURRENT", "SAVED"})
_CHSTATI = re.compile(r"(\d{2})[.:](\d{2})[.:](\d{2})$")

# Columns filled straight from MQSC keywords; every other keyword goes to ``extra``.
_COLUMN_OF = {
    "CHANNEL": "channel",
    "CHSTATUS": "channel",  # z/OS names the channel in CHSTATUS(...)
    "CHLTYPE": "chltype",
    "CONNAME": "conname",
    "STATUS": "status",
    "SUBSTATE": "substate",
    "SSLPEER": "ssl_peer",
    "SSLCERTI": "ssl_cert_issuer",
    "SSLCIPH": "ssl_cipher",
}


class UnclosedParentheses(ValueError):
    """An attribute line whose parentheses do not close."""


def tokenize(text: str) -> list[tuple[str, str | None]] | None:
    """``KEYWORD(value)`` and bare ``KEYWORD`` tokens of one attribute line.

    Values keep nested parentheses (``CONNAME(10.0.0.5(1414))``), spaces and commas; a value
    that starts with a quote may hold unbalanced parentheses inside the quotes.  Returns None
    when the line is not an attribute line; raises ``UnclosedParentheses`` when it is one whose
    parentheses never close (the caller may join the next physical line and retry).
    """
    tokens: list[tuple[str, str | None]] = []
    i, n = 0, len(text)
    has_value = False
    while True:
        while i < n and text[i] == " ":
            i += 1
        if i >= n:
            break
        match = _KEYWORD.match(text, i)
        if not match:
            return None
        key, i = match.group(), match.end()
        if i < n and text[i] == "(":
            start = i + 1
            depth, quoted = 0, start < n and text[start] == "'"
            j = start + 1 if quoted else i
            if quoted:
                depth = 1
            while j < n:
                ch = text[j]
                if quoted:
                    if ch == "'":
                        quoted = j + 1 < n and text[j + 1] == "'"  # '' is an escaped quote
                        j += 2 if quoted else 1
                        continue
                elif ch == "(":
                    depth += 1
                elif ch == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= n:
                raise UnclosedParentheses(key)
            tokens.append((key, text[start:j]))
            has_value = True
            i = j + 1
            if i < n and text[i] != " ":
                return None
        else:
            if i < n and text[i] != " ":
                return None
            tokens.append((key, None))
    if not tokens:
        return None
    if not has_value and not all(key in _BARE_KEYWORDS for key, _ in tokens):
        return None
    return tokens


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
        value = value[1:-1].replace("''", "'")
    return value


@dataclass
class _Block:
    offset: int
    line: int
    zos: bool
    qmgr: str | None  # from the banner or z/OS header in force when the block began
    raw: bytearray = field(default_factory=bytearray)
    attrs: dict[str, str | None] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    error: str | None = None
    pending: str = ""  # an attribute wrapped over physical lines, still open
    pending_lines: int = 0
    entry: list[str] = field(default_factory=list)
    entry_offset: int | None = None

    def add_tokens(self, tokens: list[tuple[str, str | None]]) -> None:
        for key, value in tokens:
            if key in self.attrs:
                self.duplicates.append(key)
                continue
            self.attrs[key] = value
            self.order.append(key)


def _status_time(attrs: dict[str, str | None], local: tzinfo) -> datetime | None:
    date = empty_to_none(attrs.get("CHSTADA"))
    time = empty_to_none(attrs.get("CHSTATI"))
    if not date or not time:
        return None
    match = _CHSTATI.match(time)
    if not match:
        raise ValueError(f"unreadable time: CHSTATI({time})")
    try:
        moment = datetime.fromisoformat(f"{date}T{match.group(1)}:{match.group(2)}:{match.group(3)}")
    except ValueError as exc:
        raise ValueError(f"unreadable time: CHSTADA({date}) CHSTATI({time})") from exc
    return to_utc_ms(moment.replace(tzinfo=local))


def _entry_fields(lines: list[str]) -> dict[str, Any]:
    """What the row takes from an attached AMQERR entry: summary, time and queue manager."""
    text = "\n".join(lines)
    out: dict[str, Any] = {"text": text.strip("\n")}
    time = _ENTRY_TIME.search(text)
    if time:
        out["time"] = time.group(1).strip()
    qmgr = _ENTRY_QMGR.search(text)
    if qmgr:
        out["qmgr"] = qmgr.group(1).strip() or None
    summary: list[str] = []
    for line in lines:
        stripped = line.strip()
        if summary:
            if not stripped:
                break
            summary.append(stripped)
        elif _ENTRY_MESSAGE.match(stripped):
            summary.append(stripped)
    if summary:
        out["summary"] = " ".join(summary)
    return out


def _finish(block: _Block, ctx: FileContext, local: tzinfo) -> Parsed | Reject:
    raw = bytes(block.raw)
    if block.pending and not block.error:
        block.error = f"unbalanced parentheses: {block.pending.split('(', 1)[0]} never closes"
    if block.error:
        return make_reject(KIND, block.offset, block.line, block.error, raw)
    attrs = block.attrs
    channel = empty_to_none(attrs.get("CHANNEL") or attrs.get("CHSTATUS"))
    if not channel:
        return make_reject(KIND, block.offset, block.line, "status block without CHANNEL", raw)
    row = new_row(ctx, KIND, block.offset)
    extra: dict[str, Any] = {}
    for key in block.order:
        value = attrs[key]
        column = _COLUMN_OF.get(key)
        if column:
            if row[column] is None:
                row[column] = empty_to_none(_unquote(value)) if value is not None else None
        elif value is None:
            extra[key] = True
        else:
            extra[key] = _unquote(value)
    if block.duplicates:
        extra["_duplicate_keywords"] = block.duplicates
    row["qmgr"] = block.qmgr
    try:
        moment = _status_time(attrs, local)
    except ValueError as exc:
        return make_reject(KIND, block.offset, block.line, str(exc), raw)
    if moment is not None:
        row["timestamp"], row["timestamp_source"] = moment, "chstada_chstati"
    if block.entry:
        entry = _entry_fields(block.entry)
        extra["error_entry"] = entry["text"]
        extra["error_entry_offset"] = block.entry_offset
        if row["qmgr"] is None and entry.get("qmgr"):
            row["qmgr"] = entry["qmgr"]
        if entry.get("summary"):
            row["last_error"] = entry["summary"]
            row["msg_id"] = extract_msg_id(entry["summary"])
            row["mqrc"] = extract_mqrc(entry["summary"])
        if entry.get("time"):
            try:
                row["timestamp"] = parse_timestamp(entry["time"], local)
                row["timestamp_source"] = "error_entry_time"
            except ValueError:
                extra["error_entry_time_unreadable"] = entry["time"]
    row["encoding"] = block.encoding
    row["extra"] = dump_extra(extra)
    content_key = canonical_key(KIND, row["qmgr"], [[k, attrs[k]] for k in block.order], block.entry)
    return Parsed(row=row, content_key=content_key)


def read_chstatus(stream: BinaryIO, ctx: FileContext) -> Iterator[Parsed | Reject]:
    local = zone(ctx.tz)
    qmgr: str | None = None
    block: _Block | None = None
    done: _Block | None = None  # a finished block that may still receive an AMQERR entry
    in_entry = False
    orphan: tuple[int, int, bytearray] | None = None  # an AMQERR entry that no block owns

    def flush() -> Iterator[Parsed | Reject]:
        nonlocal done, in_entry
        if done is not None:
            yield _finish(done, ctx, local)
        done, in_entry = None, False

    for offset, line_no, raw in iter_lines(stream):
        text, encoding = decode(raw, ctx.fallback_encoding)
        text = text.rstrip("\r\n")
        stripped = text.strip()

        if block is not None:
            if block.pending and (_ZOS_END.match(stripped) or _ZOS_HEADER.search(stripped) or not stripped):
                block.error = f"unbalanced parentheses: {block.pending.split('(', 1)[0]} never closes"
                block.pending = ""
            if block.pending:
                # an attribute wrapped onto the next physical line (z/OS console output)
                block.raw += raw
                block.pending += stripped
                block.pending_lines += 1
                try:
                    tokens = tokenize(block.pending)
                except UnclosedParentheses:
                    if block.pending_lines >= MAX_CONTINUATION:
                        block.error = (
                            f"unbalanced parentheses: line {line_no - block.pending_lines} never closes"
                        )
                        block.pending = ""
                    continue
                block.pending = ""
                if tokens is None:
                    block.error = f"not KEYWORD(value) text: line {line_no}"
                else:
                    block.add_tokens(tokens)
                continue
            if block.zos and _ZOS_END.match(stripped):
                block.raw += raw
                done, block = block, None
                continue
            if stripped:
                try:
                    tokens = tokenize(stripped)
                except UnclosedParentheses as exc:
                    block.raw += raw
                    if not block.zos:  # runmqsc never wraps an attribute; z/OS consoles do
                        block.error = (
                            block.error or f"unbalanced parentheses: {exc} never closes (line {line_no})"
                        )
                        continue
                    block.pending, block.pending_lines = stripped, 0
                    if encoding != "utf-8":
                        block.encoding = encoding
                    continue
                if tokens is not None:
                    block.raw += raw
                    block.add_tokens(tokens)
                    if encoding != "utf-8":
                        block.encoding = encoding
                    continue
            elif block.zos:
                block.raw += raw
                continue
            # a blank or non-attribute line ends a distributed block
            done, block = block, None

        boundary = bool(
            _HEADER.match(stripped)
            or _ZOS_HEADER.search(stripped)
            or _BANNER_QMGR.match(stripped)
            or _ECHO.match(stripped)
            or _TRAILER.match(stripped)
            or _NOT_FOUND.match(stripped)
        )
        if orphan is not None:
            if not boundary:
                orphan[2].extend(raw)
                continue
            yield _orphan_reject(*orphan)
            orphan = None
        if done is not None and in_entry:
            if boundary:
                yield from flush()
            else:
                done.entry.append(text)
                continue
        elif done is not None and stripped:
            if (
                _ENTRY_LABEL.match(stripped)
                or _ENTRY_SEPARATOR.match(stripped)
                or _ENTRY_HEADER.match(stripped)
            ):
                in_entry = True
                done.entry_offset = offset
                if not _ENTRY_LABEL.match(stripped):
                    done.entry.append(text)
                continue
            yield from flush()

        if not stripped:
            continue
        banner = _BANNER_QMGR.match(stripped)
        if banner:
            qmgr = banner.group(1)
            continue
        zos = _ZOS_HEADER.search(stripped)
        if zos:
            qmgr = re.sub(r"^[^A-Za-z0-9]+", "", zos.group(1)) or qmgr
            block = _Block(offset=offset, line=line_no, zos=True, qmgr=qmgr, raw=bytearray(raw))
            continue
        if _HEADER.match(stripped):
            block = _Block(offset=offset, line=line_no, zos=False, qmgr=qmgr, raw=bytearray(raw))
            continue
        if done is None and (_ENTRY_SEPARATOR.match(stripped) or _ENTRY_HEADER.match(stripped)):
            # an error-log entry with no status block before it: hand it back whole, never drop it
            orphan = (offset, line_no, bytearray(raw))

    if orphan is not None:
        yield _orphan_reject(*orphan)
    if block is not None:
        done = block
    yield from flush()


def _orphan_reject(offset: int, line: int, raw: bytearray) -> Reject:
    return make_reject(
        KIND,
        offset,
        line,
        "AMQERR entry outside a status block: read it with the error-log parser",
        bytes(raw),
    )
