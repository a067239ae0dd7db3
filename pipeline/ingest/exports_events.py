"""Readers for ``amqsevt`` channel events: ``-o json`` / ``json_compact`` / ``json_array`` and ``-o text``.

Both formats are turned into the same nested shape (``eventSource``, ``eventType``,
``eventReason``, ``eventCreation``, ``eventData``) and then into one row by ``event_to_row``.
Keys are matched after canonicalisation (lower case, letters and digits only, an ``MQxx_``
constant prefix dropped), so the C program's JSON keys (``sslHandshakeStage``), its text labels
(``SSL Handshake Stage``), the Go rewrite (``qMgrName``, ``xmitQName``) and the Java port all
land on the same columns.  Keys that no column takes are kept in ``extra``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from pipeline.ingest.exports_common import (
    canonical_key,
    decode,
    dump_extra,
    iter_lines,
    make_reject,
    new_row,
    parse_json_lenient,
    parse_timestamp,
    to_utc_ms,
    zone,
)
from pipeline.ingest.records import FileContext, Parsed, Reject

JSON_KIND = "amqsevt_json"
TEXT_KIND = "amqsevt_text"
CHUNK = 1 << 20
MAX_OBJECT = 8 << 20  # bytes; a larger "object" is a stray brace, not an event

# --- vocabularies (numbers from the MQI constants, names as amqsevt renders them) ----------

EVENT_REASONS: dict[int, str] = {
    2233: "Channel Auto Def Ok",
    2234: "Channel Auto Def Error",
    2279: "Channel Stopped By User",
    2282: "Channel Started",
    2283: "Channel Stopped",
    2284: "Channel Conv Error",
    2295: "Channel Activated",
    2296: "Channel Not Activated",
    2371: "Channel SSL Error",
    2537: "Channel Not Available",
    2552: "Channel SSL Warning",
    2577: "Channel Blocked",
    2578: "Channel Blocked Warning",
    2035: "Not Authorized",
}

REASON_QUALIFIERS: dict[int, str] = {
    7: "Channel Stopped Ok",
    8: "Channel Stopped Error",
    9: "Channel Stopped Retry",
    10: "Channel Stopped Disabled",
    13: "SSL Handshake Error",
    14: "SSL Cipher Spec Error",
    15: "SSL Client Auth Error",
    16: "SSL Peer Name Error",
    19: "SSL Unknown Revocation",
    21: "Channel Blocked Address",
    22: "Channel Blocked Userid",
    23: "Channel Blocked Noaccess",
    24: "Max Active Channels",
    25: "Max Channels",
    26: "Svrconn Inst Limit",
    27: "Client Inst Limit",
}

CHANNEL_TYPES = {
    "sender": "SDR",
    "server": "SVR",
    "receiver": "RCVR",
    "requester": "RQSTR",
    "svrconn": "SVRCONN",
    "clntconn": "CLNTCONN",
    "clussdr": "CLUSSDR",
    "clusrcvr": "CLUSRCVR",
    "amqp": "AMQP",
    "mqtt": "MQTT",
}


@functools.lru_cache(maxsize=4096)
def canon(key: str) -> str:
    """``sslHandshakeStage`` / ``SSL Handshake Stage`` / ``MQCACH_SSL_HANDSHAKE_STAGE`` -> ``sslhandshakestage``."""
    if key.startswith("MQ") and "_" in key:
        key = key.split("_", 1)[1]
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _by_name(table: dict[int, str]) -> dict[str, int]:
    return {canon(name): number for number, name in table.items()}


_EVENT_NUMBER = _by_name(EVENT_REASONS)
_QUALIFIER_NUMBER = _by_name(REASON_QUALIFIERS)
# the -d flag prints raw constants: MQRQ_SSL_HANDSHAKE_ERROR, MQRC_CHANNEL_SSL_ERROR
_QUALIFIER_NUMBER.update({"channelstoppedok": 7, "sslunknownrevocation": 19})

# eventData keys (canonical) -> row column; the first alias present wins
_DATA_COLUMNS: dict[str, tuple[str, ...]] = {
    "qmgr": ("queuemgrname", "qmgrname", "queuemanagername", "qmname"),
    "channel": ("channelname",),
    "conname": ("connectionname",),
    "chltype": ("channeltype",),
    "reason_qualifier": ("reasonqualifier",),
    "ssl_peer": ("sslpeername",),
    "ssl_return_code": ("sslreturncode",),
    "ssl_handshake_stage": ("sslhandshakestage",),
    "error_id": ("errorid", "erroridentifier"),
    "user": ("useridentifier", "clientuserid"),
}


_COLUMN_OF_KEY = {alias: column for column, aliases in _DATA_COLUMNS.items() for alias in aliases}


def _scalar(value: Any) -> Any:
    """Go amqsevtg renders enumerations as ``{name, value}`` objects: take the name."""
    if isinstance(value, dict) and "name" in value:
        return value["name"]
    return value


def _pair(value: Any) -> tuple[str | None, int | None]:
    """``{"name": ..., "value": n}``, ``"Name [n]"`` (text mode), a bare name or a bare number."""
    if isinstance(value, dict):
        name = value.get("name")
        number = value.get("value")
        return (str(name) if name is not None else None, _as_int(number))
    if isinstance(value, bool) or value is None:
        return None, None
    if isinstance(value, int):
        return None, value
    text = str(value).strip()
    match = re.fullmatch(r"(.*?)[ ]*\[(-?\d+)\]", text)
    if match:
        return match.group(1) or None, int(match.group(2))
    if re.fullmatch(r"-?\d+", text):
        return None, int(text)
    return text or None, None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
            return int(text, 16)
    return None


def _text(value: Any) -> str | None:
    """A string column value: lists (text-mode list values) joined with commas, blanks as null."""
    if value is None:
        return None
    if isinstance(value, list):
        value = ",".join(str(v) for v in value if v is not None)
    return str(value).strip() or None


def _get(obj: dict[str, Any], *names: str) -> Any:
    """First key present among ``names`` (canonical comparison)."""
    wanted = {canon(name) for name in names}
    for key, value in obj.items():
        if canon(key) in wanted:
            return value
    return None


def _event_time(creation: Any, text_time: str | None) -> datetime | None:
    if text_time:
        return _text_time(text_time)
    if not isinstance(creation, dict):
        return None
    stamp = _get(creation, "timeStamp")
    if isinstance(stamp, str) and stamp.strip():
        # amqsevt writes GMT (from the MQMD); a value without a zone is read as UTC, not --tz
        return parse_timestamp(stamp, UTC)
    epoch = _as_int(_get(creation, "epoch"))
    if epoch is not None:
        seconds = epoch / 1000 if epoch > 100_000_000_000 else epoch  # the Java port writes ms
        try:
            return to_utc_ms(datetime.fromtimestamp(seconds, tz=UTC))
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"unreadable time: epoch {epoch} out of range") from exc
    return None


_TEXT_TIME = re.compile(
    r"(\d{4})/(\d{2})/(\d{2})[ ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:[ ]+(GMT|UTC|Z))?$"
)


def _text_time(text: str) -> datetime:
    match = _TEXT_TIME.match(text.strip())
    if not match:
        raise ValueError(f"unreadable time: 'Event created' value {text.strip()!r}")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = int((match.group(7) or "0").ljust(6, "0"))
    try:
        return to_utc_ms(datetime(year, month, day, hour, minute, second, fraction, tzinfo=UTC))
    except ValueError as exc:
        raise ValueError(f"unreadable time: 'Event created' value {text.strip()!r} ({exc})") from None


def summarise(event_reason: str | None, qualifier: str | None, details: dict[str, Any]) -> str | None:
    """``Channel SSL Error: SSL Handshake Error (stage gsk_secure_soc_init, rc 414)``."""
    head = event_reason or "Event"
    if qualifier:
        head = f"{head}: {qualifier}"
    parts = []
    for label, key in (
        ("stage", "ssl_handshake_stage"),
        ("rc", "ssl_return_code"),
        ("peer", "ssl_peer"),
        ("error id", "error_id"),
        ("user", "user"),
    ):
        value = details.get(key)
        if value not in (None, ""):
            parts.append(f"{label} {value}")
    if parts:
        head += " (" + ", ".join(parts) + ")"
    return head


def event_to_row(
    event: dict[str, Any],
    ctx: FileContext,
    kind: str,
    offset: int,
    encoding: str,
    text_time: str | None = None,
) -> dict[str, Any]:
    """One amqsevt event (already parsed into the JSON shape) as a CHANNEL_STATUS row.

    Raises ``ValueError`` when the object is not an event or its time cannot be read.
    """
    reason_value = _get(event, "eventReason")
    data = _get(event, "eventData")
    if reason_value is None and data is None:
        raise ValueError("not an amqsevt event: no eventReason or eventData")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError("not an amqsevt event: eventData is not an object")
    row = new_row(ctx, kind, offset)
    row["encoding"] = encoding
    extra: dict[str, Any] = {}

    name, number = _pair(reason_value)
    if number is None and name:
        number = _EVENT_NUMBER.get(canon(name))
    if name is None and number is not None:
        name = EVENT_REASONS.get(number)
    row["event_reason"], row["mqrc"] = name, number

    found: dict[str, Any] = {}
    for key, value in data.items():
        column = _COLUMN_OF_KEY.get(canon(key))
        if column is not None and column not in found:
            found[column] = value
        else:
            extra[key] = value

    source = _get(event, "eventSource")
    source_qmgr = None
    if isinstance(source, dict):
        source_qmgr = _get(source, "queueMgr", "queueManager", "qMgrName")
    row["qmgr"] = _text(_scalar(found.get("qmgr"))) or _text(_scalar(source_qmgr))
    for column in ("channel", "conname", "ssl_peer"):
        row[column] = _text(_scalar(found.get(column)))
    chltype = _scalar(found.get("chltype"))
    if chltype is not None:
        row["chltype"] = CHANNEL_TYPES.get(canon(str(chltype)), str(chltype).upper())

    q_name, q_number = _pair(found.get("reason_qualifier"))
    if q_name is not None and q_number is None:
        q_number = _QUALIFIER_NUMBER.get(canon(q_name))
    if q_name is None and q_number is not None:
        q_name = REASON_QUALIFIERS.get(q_number)
    row["reason_qualifier"] = q_name
    if q_number is not None:
        extra["reasonQualifierValue"] = q_number

    rc_raw = _scalar(found.get("ssl_return_code"))
    rc = _as_int(rc_raw)
    row["ssl_return_code"] = rc
    if rc_raw is not None and rc is None:
        extra["sslReturnCode"] = rc_raw
    details = {
        "ssl_handshake_stage": _scalar(found.get("ssl_handshake_stage")),
        "ssl_return_code": rc if rc is not None else rc_raw,
        "ssl_peer": row["ssl_peer"],
        "error_id": _scalar(found.get("error_id")),
        "user": _scalar(found.get("user")),
    }
    for column, key in (
        ("ssl_handshake_stage", "sslHandshakeStage"),
        ("error_id", "errorId"),
        ("user", "userId"),
    ):
        if details[column] not in (None, ""):
            extra[key] = details[column]
    row["last_error"] = summarise(name, q_name, details)

    creation = _get(event, "eventCreation")
    row["timestamp"] = _event_time(creation, text_time)
    if row["timestamp"] is not None:
        row["timestamp_source"] = "event_creation"
    for key, value in event.items():
        if canon(key) in {"eventreason", "eventdata", "eventcreation"}:
            continue
        extra[key] = value
    if isinstance(creation, dict):
        extra["eventCreation"] = creation
    row["extra"] = dump_extra(extra)
    return row


# --- JSON: concatenated, one per line, or one array ------------------------------------------

_OUT_SIGNIFICANT = re.compile(rb"[^ \t\r\n,\[\]]")
_OBJ_SPECIAL = re.compile(rb'[{}"]')
_STR_SPECIAL = re.compile(rb'["\\]')
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)  # a whole JSON string; the branches cannot overlap
# status lines amqsevt prints (stdout before 9.1 JSON mode, or 2>&1): not events, not errors
_BANNER = re.compile(
    rb"(?:Sample AMQSEVT (?:start|end)|Using default set of event queues|Press ENTER to end"
    rb"|MQ(?:CONN|CONNX|OPEN|GET|CB|CTL|CLOSE|DISC|SUB)\b.*(?:reason|ended|failed)|No more messages)",
    re.IGNORECASE,
)


def iter_json_objects(stream: BinaryIO) -> Iterator[tuple[int, int, bytes, str | None]]:
    """Split a stream into top-level JSON objects without reading it whole.

    Yields ``(offset, line, bytes, problem)``: ``problem`` is None for an object, else the
    reason the bytes are not one (text between objects, a truncated or oversized object).
    Brackets and commas between objects are skipped, so ``json_array`` output also splits.
    """
    buf = bytearray()
    lo = 0  # buf[lo:] is not yet consumed
    base = 0  # file offset of buf[lo]
    base_line = 1  # line number at buf[lo]
    i = 0  # scan position in buf (>= lo)
    state = "out"
    depth = 0
    eof = False

    def consume(upto: int) -> None:
        nonlocal lo, base, base_line
        base_line += buf.count(b"\n", lo, upto)
        base += upto - lo
        lo = upto

    def read_more() -> bool:
        nonlocal lo, i, eof
        if lo:
            del buf[:lo]
            i -= lo
            lo = 0
        chunk = stream.read(CHUNK)
        if not chunk:
            eof = True
            return False
        buf.extend(chunk)
        return True

    while True:
        if state == "out":
            match = _OUT_SIGNIFICANT.search(buf, i)
            if match is None:
                consume(len(buf))
                i = len(buf)
                if eof or not read_more():
                    return
                continue
            consume(match.start())
            if buf[lo] == 0x7B:  # "{"
                state, depth, i = "obj", 1, lo + 1
                continue
            end = buf.find(b"\n", lo)
            if end < 0 and not eof:
                i = lo
                read_more()
                continue
            end = len(buf) if end < 0 else end + 1
            junk = bytes(buf[lo:end])
            if junk.strip() and not _BANNER.search(junk):
                yield base, base_line, junk, "text outside a JSON object: not an event"
            consume(end)
            i = end
            continue

        pattern = _OBJ_SPECIAL if state == "obj" else _STR_SPECIAL
        match = pattern.search(buf, i)
        if match is None or (state == "str" and buf[match.start()] == 0x5C and match.start() + 1 >= len(buf)):
            if len(buf) - lo > MAX_OBJECT:
                yield (
                    base,
                    base_line,
                    bytes(buf[lo : lo + 4096]),
                    f"oversized JSON object: over {MAX_OBJECT} bytes (a stray '{{'?)",
                )
                end = buf.find(b"\n", lo)  # resynchronise on the next line
                end = len(buf) if end < 0 else end + 1
                consume(end)
                state, i = "out", end
                continue
            i = len(buf) if match is None else match.start()
            if eof or not read_more():
                yield base, base_line, bytes(buf[lo:]), "truncated JSON object: the file ends inside it"
                return
            continue
        pos = match.start()
        char = buf[pos]
        if state == "str":
            if char == 0x5C:  # backslash: skip the escaped byte
                i = pos + 2
            else:
                state, i = "obj", pos + 1
            continue
        if char == 0x22:
            whole = _STRING.match(buf, pos)
            if whole:  # the common case: skip the string in one step
                i = whole.end()
            else:  # it runs past the buffer: go byte by byte and read on
                state, i = "str", pos + 1
        elif char == 0x7B:
            depth, i = depth + 1, pos + 1
        else:
            depth, i = depth - 1, pos + 1
            if depth == 0:
                yield base, base_line, bytes(buf[lo:i]), None
                consume(i)
                state = "out"


def read_amqsevt_json(stream: BinaryIO, ctx: FileContext) -> Iterator[Parsed | Reject]:
    zone(ctx.tz)  # validate early even though event times carry their own zone
    for offset, line, data, problem in iter_json_objects(stream):
        if problem:
            yield make_reject(JSON_KIND, offset, line, problem, data)
            continue
        text, encoding = decode(data, ctx.fallback_encoding)
        event, problem = parse_json_lenient(text, first_line=line)
        if problem:
            yield make_reject(JSON_KIND, offset, line, problem, data)
            continue
        if not isinstance(event, dict):
            yield make_reject(
                JSON_KIND, offset, line, "not a JSON object: a top-level array item or value", data
            )
            continue
        try:
            row = event_to_row(event, ctx, JSON_KIND, offset, encoding)
        except ValueError as exc:
            yield make_reject(JSON_KIND, offset, line, str(exc), data)
            continue
        yield Parsed(row=row, content_key=canonical_key("amqsevt", event))


# --- text (-o text) ----------------------------------------------------------------------------

_MESSAGE_HEADER = re.compile(
    r"\*{4}[ ]Message[ ]#(\d+)[ ]\((\d+)[ ]Bytes\)[ ]on[ ](?:Queue|Topic)[ ](.*?)[ ]?\*{4}$"
)
_TEXT_BANNER = re.compile(
    r"Sample AMQSEVT (?:start|end)|Using default set of event queues|Press ENTER to end|No more messages"
    r"|MQ(?:CONN|CONNX|OPEN|GET|CB|CTL|CLOSE|DISC|SUB)\b.*(?:reason|ended|failed)",
    re.IGNORECASE,
)
_ENVELOPE = {
    "eventtype": "eventType",
    "reason": "eventReason",
    "eventcreated": "eventCreation",
    "correlationid": "correlationID",
    "objectstate": "objectState",
}


class _TextEvent:
    def __init__(self, offset: int, line: int, header: re.Match[str], raw: bytes) -> None:
        self.offset = offset
        self.line = line
        self.raw = bytearray(raw)
        self.event: dict[str, Any] = {
            "eventSource": {"objectName": header.group(3), "objectType": "Queue"},
            "messageNumber": int(header.group(1)),
            "messageBytes": int(header.group(2)),
        }
        self.data: dict[str, Any] = {}
        self.last_key: str | None = None
        self.time: str | None = None
        self.unparsed: list[str] = []
        self.encoding = "utf-8"

    def add(self, text: str) -> None:
        label, sep, value = text.partition(" : ")
        if not sep:
            if text.rstrip().endswith(" :"):  # an empty value: ' : ' lost its trailing space
                label, value = text.rstrip()[:-2], ""
            else:
                self.unparsed.append(text.strip())
                return
        value = value.strip()
        indented = label.startswith(" ")
        label = label.strip()
        if not label:
            # a list continues on a line with a blank label
            if self.last_key is None:
                self.unparsed.append(text.strip())
                return
            target = self.data if self.last_key not in _ENVELOPE.values() else self.event
            current = target.get(self.last_key)
            target[self.last_key] = (current if isinstance(current, list) else [current]) + [value]
            return
        envelope = _ENVELOPE.get(canon(label)) if not indented else None
        if envelope == "eventCreation":
            self.time = value
            self.event["eventCreation"] = {"timeStamp": value}
            self.last_key = None
            return
        if envelope:
            self.event[envelope] = value
            self.last_key = envelope
            return
        if label in self.data:  # a repeated label inside a group: keep every value
            current = self.data[label]
            self.data[label] = (current if isinstance(current, list) else [current]) + [value]
        else:
            self.data[label] = value
        self.last_key = label

    def finish(self, ctx: FileContext) -> Parsed | Reject:
        raw = bytes(self.raw)
        self.event["eventData"] = self.data
        if self.unparsed:
            self.event["unparsedLines"] = self.unparsed
        try:
            row = event_to_row(self.event, ctx, TEXT_KIND, self.offset, self.encoding, text_time=self.time)
        except ValueError as exc:
            return make_reject(TEXT_KIND, self.offset, self.line, str(exc), raw)
        key_event = {k: v for k, v in self.event.items() if k not in {"messageNumber", "messageBytes"}}
        return Parsed(row=row, content_key=canonical_key("amqsevt", key_event))


def read_amqsevt_text(stream: BinaryIO, ctx: FileContext) -> Iterator[Parsed | Reject]:
    zone(ctx.tz)
    current: _TextEvent | None = None
    for offset, line_no, raw in iter_lines(stream):
        text, encoding = decode(raw, ctx.fallback_encoding)
        text = text.rstrip("\r\n")
        stripped = text.strip()
        header = _MESSAGE_HEADER.match(stripped)
        if header:
            if current is not None:
                yield current.finish(ctx)
            current = _TextEvent(offset, line_no, header, raw)
            continue
        if not stripped or _TEXT_BANNER.search(stripped):
            if current is not None:
                current.raw += raw
            continue
        if current is None:
            yield make_reject(TEXT_KIND, offset, line_no, "text outside an amqsevt message block", raw)
            continue
        current.raw += raw
        if encoding != "utf-8":
            current.encoding = encoding
        current.add(text)
    if current is not None:
        yield current.finish(ctx)
