"""Pieces shared by the last-error export readers (``pipeline.ingest.exports``).

Everything here is pure: bytes or text in, values out.  The readers build one row dict per
exported channel record with the columns of ``pipeline.schemas.CHANNEL_STATUS`` (all but
``status_id``, which the runner derives from ``Parsed.content_key``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.errors import InputError
from pipeline.ingest.decode import decode_entry
from pipeline.ingest.records import FileContext, Reject
from pipeline.schemas import CHANNEL_STATUS

ROW_COLUMNS = tuple(f.name for f in CHANNEL_STATUS if f.name != "status_id")
UTF8_BOM = b"\xef\xbb\xbf"
MAX_LINE = 4 * 1024 * 1024  # a longer physical line is handed on in pieces of this size

# --- decoding ---------------------------------------------------------------------------


def decode(data: bytes, fallback: str) -> tuple[str, str]:
    """Decode one record: UTF-8 first, else the file's fallback code page (never fails).

    The same rules as the error-log parsers (``pipeline.ingest.decode.decode_entry``): bytes the
    fallback cannot map become ``\\xNN`` escapes and the encoding reads ``<fallback>+escaped``.
    """
    return decode_entry(data, fallback)


def iter_lines(stream: BinaryIO, start: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """Yield ``(byte offset, 1-based line number, raw line with its terminator)``.

    A UTF-8 byte order mark at the very start is skipped (offsets still count it).
    """
    offset = start
    line_no = 1
    first = True
    while True:
        line = stream.readline(MAX_LINE)
        if not line:
            return
        if first:
            first = False
            if line.startswith(UTF8_BOM):
                line = line[len(UTF8_BOM) :]
                offset += len(UTF8_BOM)
        yield offset, line_no, line
        offset += len(line)
        if line.endswith(b"\n"):
            line_no += 1


# --- rows --------------------------------------------------------------------------------


def new_row(ctx: FileContext, kind: str, offset: int) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(ROW_COLUMNS)
    row["source_path"] = ctx.source_path
    row["source_format"] = kind
    row["source_offset"] = offset
    return row


def dump_extra(extra: dict[str, Any]) -> str | None:
    """The ``extra`` column: a JSON object with sorted keys, or null when there is nothing."""
    if not extra:
        return None
    return json.dumps(extra, sort_keys=True, ensure_ascii=False, default=str)


def canonical_key(kind: str, *parts: Any) -> bytes:
    """Canonical bytes for a row's stable id: the same record re-read gives the same bytes."""
    return json.dumps([kind, *parts], sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def parse_json_lenient(text: str, first_line: int | None = None) -> tuple[Any, str | None]:
    """(value, None) or (None, reason).  Strict JSON first, then with raw control characters
    allowed (amqsevt does not escape them); nesting too deep for the parser is a reason, not a
    crash.  ``first_line`` (the file line the text starts on) adds the failing line to the reason."""
    try:
        try:
            return json.loads(text), None
        except json.JSONDecodeError:
            return json.loads(text, strict=False), None
    except json.JSONDecodeError as exc:
        where = "" if first_line is None else f" (line {first_line + exc.lineno - 1})"
        return None, f"invalid JSON: {exc.msg}{where}"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"


def make_reject(kind: str, offset: int, line: int, reason: str, raw: bytes) -> Reject:
    return Reject(offset=offset, line=line, reason=reason, raw=raw, source_format=kind)


def empty_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


# --- time ----------------------------------------------------------------------------------


def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown time zone {name!r} (expected an IANA name such as Europe/Berlin)") from exc


def to_utc_ms(moment: datetime) -> datetime:
    """UTC, truncated to milliseconds (the precision of the Arrow column)."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_timestamp(text: str, local: tzinfo) -> datetime:
    """ISO 8601 with or without a zone (``T`` or a space between date and time), ``Z`` for UTC.

    A naive value is read in ``local``.  Raises ``ValueError`` with a readable message.
    """
    value = text.strip()
    if not value:
        raise ValueError("unreadable time: empty")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(
            f"unreadable time: {text.strip()!r} (expected ISO 8601 or YYYY-MM-DD HH:MM:SS)"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local)
    try:
        return to_utc_ms(moment)
    except OverflowError as exc:
        raise ValueError(f"unreadable time: {text.strip()!r} is out of range") from exc


# --- what a free-text last error says ------------------------------------------------------

# The first message id wins: in a Java chain the outermost JMSWMQ id comes first.
_MSG_ID = re.compile(r"\b(?:(AMQ\d{4})[A-Z]?|(CSQX\d{3}[A-Z])|(JMSWMQ\d{4})|(JMSCMQ\d{4}))\b")

# Reason codes as written by MQ, the Java client and people.  Decimal only: z/OS ``RC=00000468``
# (hex errno, leading zero) does not match.  Leftmost match wins.
_MQRC = re.compile(
    r"""
    \breason(?:[ ]code)?[ ]?[:=]?[ ]?'?([1-9]\d{3})\b     # reason 2035 | reason code 2035 | reason '2397'
    | \bRC[ ]?[=:][ ]?([1-9]\d{3})\b                     # RC=2397 | rc: 2035
    | \b(MQRC_[A-Z0-9_]+)\b                              # MQRC_NOT_AUTHORIZED
    """,
    re.IGNORECASE | re.VERBOSE,
)

# The reason codes a channel triage meets (mq-facts.md section 3 and the channel events).
MQRC_BY_NAME: dict[str, int] = {
    "MQRC_CONNECTION_BROKEN": 2009,
    "MQRC_MAX_CONNS_LIMIT_REACHED": 2025,
    "MQRC_NOT_AUTHORIZED": 2035,
    "MQRC_Q_MGR_NAME_ERROR": 2058,
    "MQRC_Q_MGR_NOT_AVAILABLE": 2059,
    "MQRC_SECURITY_ERROR": 2063,
    "MQRC_CONNECTION_NOT_AUTHORIZED": 2217,
    "MQRC_CHANNEL_AUTO_DEF_OK": 2233,
    "MQRC_CHANNEL_AUTO_DEF_ERROR": 2234,
    "MQRC_CHANNEL_STOPPED_BY_USER": 2279,
    "MQRC_CHANNEL_STARTED": 2282,
    "MQRC_CHANNEL_STOPPED": 2283,
    "MQRC_CHANNEL_CONV_ERROR": 2284,
    "MQRC_CHANNEL_ACTIVATED": 2295,
    "MQRC_CHANNEL_NOT_ACTIVATED": 2296,
    "MQRC_CHANNEL_SSL_ERROR": 2371,
    "MQRC_SCO_ERROR": 2380,
    "MQRC_KEY_REPOSITORY_ERROR": 2381,
    "MQRC_CRYPTO_HARDWARE_ERROR": 2382,
    "MQRC_SSL_CONFIG_ERROR": 2392,
    "MQRC_SSL_INITIALIZATION_ERROR": 2393,
    "MQRC_SSL_NOT_ALLOWED": 2396,
    "MQRC_JSSE_ERROR": 2397,
    "MQRC_SSL_PEER_NAME_MISMATCH": 2398,
    "MQRC_SSL_PEER_NAME_ERROR": 2399,
    "MQRC_UNSUPPORTED_CIPHER_SUITE": 2400,
    "MQRC_SSL_CERTIFICATE_REVOKED": 2401,
    "MQRC_SSL_CERT_STORE_ERROR": 2402,
    "MQRC_SSL_KEY_RESET_ERROR": 2409,
    "MQRC_CHANNEL_NOT_AVAILABLE": 2537,
    "MQRC_HOST_NOT_AVAILABLE": 2538,
    "MQRC_CHANNEL_CONFIG_ERROR": 2539,
    "MQRC_UNKNOWN_CHANNEL_NAME": 2540,
    "MQRC_STANDBY_Q_MGR": 2543,
    "MQRC_CHANNEL_SSL_WARNING": 2552,
    "MQRC_OCSP_URL_ERROR": 2553,
    "MQRC_CHANNEL_BLOCKED": 2577,
    "MQRC_CHANNEL_BLOCKED_WARNING": 2578,
    "MQRC_CIPHER_SPEC_NOT_SUITE_B": 2591,
    "MQRC_SUITE_B_ERROR": 2592,
    "MQRC_CERT_VAL_POLICY_ERROR": 2593,
    "MQRC_PASSWORD_PROTECTION_ERROR": 2594,
    "MQRC_CERT_LABEL_NOT_ALLOWED": 2596,
    "MQRC_OUTBOUND_SNI_NOT_VALID": 2603,
}


def extract_msg_id(text: str | None) -> str | None:
    """The first AMQnnnn (severity letter dropped), CSQXnnnE, JMSWMQnnnn or JMSCMQnnnn in ``text``."""
    if not text:
        return None
    match = _MSG_ID.search(text)
    if not match:
        return None
    return next(group for group in match.groups() if group)


def extract_mqrc(text: str | None) -> int | None:
    """The first reason code written in ``text``; ``MQRC_`` names are looked up in a small table.

    An unknown ``MQRC_`` name does not stop the search: a number later in the text still counts.
    """
    if not text:
        return None
    for match in _MQRC.finditer(text):
        number = match.group(1) or match.group(2)
        if number:
            return int(number)
        code = MQRC_BY_NAME.get(match.group(3).upper())
        if code is not None:
            return code
    return None
