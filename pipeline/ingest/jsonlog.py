"""The JSON diagnostic log (AMQERR0n.json): one JSON object per line.

Key names are matched case-insensitively, so IBM's documented spellings (``ibm_messageID``,
``ibm_processID``, ``ibm_servername``) and the ones MQ really writes (``ibm_messageId``,
``ibm_processId``, ``ibm_serverName``) both work, as do the 9.0.4 preview names
(``arith_insert_1``, ``comment_insert_1`` ...).  Keys we do not model are kept in ``extra``.

JSON carries no explanation or action text (both stay null).  MQ writes arith inserts of 0 in JSON
where the text log simply omits the insert line, so 0 (or a missing key) becomes null: both forms
of the same entry then agree.  Empty comment inserts become null for the same reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from pipeline.ingest import dates
from pipeline.ingest.decode import decode_entry
from pipeline.ingest.ids import entry_key
from pipeline.ingest.records import FileContext, Parsed, RawBlock, Reject
from pipeline.ingest.slots import SlotTable, default_slot_table
from pipeline.ingest.textlog import SEVERITIES, _new_row, fill_channel_conname

_MSG_ID = re.compile(r"\s*(AMQ\d{4})([A-Z])?\s*")
_MSG_PREFIX = re.compile(r"\s*AMQ\d{4}[A-Z]?:[ \t]?")
_LOGLEVEL = {
    "INFO": "I",
    "INFORMATION": "I",
    "WARNING": "W",
    "WARN": "W",
    "ERROR": "E",
    "SEVERE": "S",
    "CRITICAL": "S",
    "TERMINATING": "T",
    "HALT": "T",
}

# lower-cased key -> column, for plain string columns
_STRING_KEYS = {
    "ibm_servername": "qmgr",
    "host": "host",
    "ibm_installationname": "installation",
    "ibm_version": "vrmf",
    "ibm_processname": "program",
    "ibm_username": "user",
    "ibm_remotehost": "remote_host",
    "module": "source_module",
    "ibm_sequence": "sequence",
}
_INT_KEYS = {"ibm_processid": "pid", "ibm_threadid": "tid"}
_ARITH_KEYS = {
    "ibm_arithinsert1": "arith_insert_1",
    "arith_insert_1": "arith_insert_1",
    "ibm_arithinsert2": "arith_insert_2",
    "arith_insert_2": "arith_insert_2",
}
_COMMENT_KEYS = {
    "ibm_commentinsert1": "comment_insert_1",
    "comment_insert_1": "comment_insert_1",
    "ibm_commentinsert2": "comment_insert_2",
    "comment_insert_2": "comment_insert_2",
    "ibm_commentinsert3": "comment_insert_3",
    "comment_insert_3": "comment_insert_3",
}
_ID_KEYS = ("ibm_messageid", "message_id")
_HANDLED = (
    set(_STRING_KEYS)
    | set(_INT_KEYS)
    | set(_ARITH_KEYS)
    | set(_COMMENT_KEYS)
    | set(_ID_KEYS)
    | {"ibm_datetime", "loglevel", "message"}
)


_DECODER = json.JSONDecoder(strict=False)  # strict=False: raw control characters inside strings
# A \uD800-\uDFFF escape: only these can put a surrogate into decoded text (strict UTF-8 and the
# single-byte fallbacks never do); the row is then checked, since a lone one cannot be stored.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _reject(offset: int, lineno: int, line: bytes, reason: str) -> Reject:
    return Reject(offset, lineno, reason, line, "json")


_INT64 = range(-(2**63), 2**63)


def _as_int(value: Any) -> int | None:
    """An int64 from a JSON number or numeric string; anything else (or out of range) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in _INT64 else None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,18}\s*", value):
        return int(value)
    return None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def parse_json_line(
    line: bytes, offset: int, lineno: int, ctx: FileContext, slots: SlotTable | None = None
) -> Parsed | Reject:
    """One line of AMQERR0n.json -> Parsed row, or Reject naming the problem."""
    text, encoding = decode_entry(line, ctx.fallback_encoding)
    text = text.strip()
    if not text:
        return _reject(offset, lineno, line, "empty line")
    try:
        obj = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        return _reject(offset, lineno, line, f"invalid JSON at column {exc.colno}: {exc.msg}")
    except (ValueError, RecursionError) as exc:
        return _reject(offset, lineno, line, f"invalid JSON: {type(exc).__name__}: {str(exc)[:200]}")
    if not isinstance(obj, dict):
        return _reject(offset, lineno, line, f"JSON {type(obj).__name__} where an object was expected")

    keys: dict[str, tuple[str, Any]] = {}
    extra: dict[str, Any] = {}
    for k, v in obj.items():
        low = k.lower()
        if low in keys:
            extra[k] = v  # the same key in another spelling: keep the first, park the rest
        else:
            keys[low] = (k, v)

    msg_raw = next((keys[k][1] for k in _ID_KEYS if k in keys), None)
    idm = _MSG_ID.fullmatch(msg_raw) if isinstance(msg_raw, str) else None
    if idm is None:
        what = "missing" if msg_raw is None else f"not an AMQ id: {str(msg_raw)[:40]!r}"
        return _reject(offset, lineno, line, f"message id (ibm_messageId) {what}")

    notes: list[str] = []
    row = _new_row(ctx, "json", offset, lineno, encoding)
    row["msg_id"] = idm.group(1)
    letter = idm.group(2)
    if letter in SEVERITIES:
        row["severity"] = letter
    elif letter:
        extra["severity_letter"] = letter
    if row["severity"] is None and "loglevel" in keys:
        row["severity"] = _LOGLEVEL.get(str(keys["loglevel"][1]).strip().upper())

    dt_raw = keys.get("ibm_datetime", (None, None))[1]
    if not isinstance(dt_raw, str):
        return _reject(offset, lineno, line, "missing ibm_datetime")
    try:
        row["timestamp"] = dates.parse_iso_utc(dt_raw)
    except dates.DateError as exc:
        return _reject(offset, lineno, line, f"ibm_datetime: {exc}")
    row["timestamp_source"] = "ibm_datetime"

    for low, (orig, value) in keys.items():
        if low in _STRING_KEYS:
            row[_STRING_KEYS[low]] = _as_text(value)
        elif low in _INT_KEYS:
            num = _as_int(value)
            row[_INT_KEYS[low]] = num
            if num is None and value is not None:
                extra[orig] = value
        elif low in _ARITH_KEYS:
            num = _as_int(value)
            row[_ARITH_KEYS[low]] = num or None  # MQ writes 0 for "no insert"
            if num is None and value is not None:
                extra[orig] = value
                notes.append(f"non-numeric {orig}")
        elif low in _COMMENT_KEYS:
            row[_COMMENT_KEYS[low]] = _as_text(value) or None
        elif low not in _HANDLED:
            extra[orig] = value
    message = keys.get("message", (None, None))[1]
    if message is not None:
        message = _as_text(message) or ""
        pm = _MSG_PREFIX.match(message)
        row["message"] = (message[pm.end() :] if pm else message).strip() or None

    if extra:
        row["extra"] = json.dumps(extra, ensure_ascii=False, sort_keys=True, default=str)
    if "\\" in text and _SURROGATE_ESCAPE.search(text):
        bad = _lone_surrogate_column(row)
        if bad is not None:
            return _reject(offset, lineno, line, f"lone surrogate escape in a JSON string ({bad})")
    fill_channel_conname(row, slots or default_slot_table())
    return Parsed(row, entry_key("json", line), notes)


def _lone_surrogate_column(row: dict[str, Any]) -> str | None:
    """The first column whose text holds a lone surrogate (``\\ud800`` in JSON decodes to one, and
    Arrow cannot store it as UTF-8), or None."""
    for name, value in row.items():
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return name
    return None


def iter_json_lines(stream: BinaryIO, start_offset: int = 0, start_line: int = 1) -> Iterator[RawBlock]:
    """Non-blank lines of a JSON log as RawBlocks (``complete=False`` for a last line without newline)."""
    offset, line = start_offset, start_line
    for raw in stream:
        if raw.strip():
            yield RawBlock(offset, line, raw, raw.endswith(b"\n"))
        offset += len(raw)
        line += 1
