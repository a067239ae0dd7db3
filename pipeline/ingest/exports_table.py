"""Readers for last-error tables: CSV (``,`` ``;`` or tab) and JSON Lines.

Both need at least ``qmgr``, ``channel``, ``last_error_time`` and ``last_error``; ``status``,
``substate``, ``conname`` and ``chltype`` are optional.  Header names are matched
case-insensitively with spaces and ``-`` read as ``_`` (``Last Error Time`` = ``last-error-time``
= ``LAST_ERROR_TIME``), plus a few aliases listed in ``COLUMN_ALIASES``.  Every other column is
kept in ``extra`` under its header as written.

A header without a required column raises ``InputError`` naming the file and the column.  A bad
row (wrong field count, broken quoting, empty qmgr/channel, unreadable time, invalid JSON) is a
``Reject`` with its byte offset and line; it is never dropped.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from typing import Any, BinaryIO

from pipeline.errors import InputError
from pipeline.ingest.exports_common import (
    canonical_key,
    decode,
    dump_extra,
    extract_mqrc,
    extract_msg_id,
    iter_lines,
    make_reject,
    new_row,
    parse_json_lenient,
    parse_timestamp,
    to_utc_ms,
    zone,
)
from pipeline.ingest.records import FileContext, Parsed, Reject

CSV_KIND = "csv"
JSONL_KIND = "jsonl"
REQUIRED = ("qmgr", "channel", "last_error_time", "last_error")
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "qmgr": ("qmgr", "queue_manager", "queue_mgr", "qmgr_name", "queue_manager_name", "qmname", "qm"),
    "channel": ("channel", "channel_name", "chl", "chlname"),
    "last_error_time": ("last_error_time", "lasterrortime", "last_error_timestamp", "error_time"),
    "last_error": ("last_error", "lasterror", "last_error_text", "last_error_message", "error_text"),
    "status": ("status", "channel_status"),
    "substate": ("substate", "sub_state"),
    "conname": ("conname", "connection_name", "connectionname"),
    "chltype": ("chltype", "channel_type"),
}
_ALIAS = {alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases}
_SEPARATORS = re.compile(r"[\s\-]+")
DELIMITERS = (",", ";", "\t")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def normalise_header(name: str) -> str:
    """``" Last-Error Time "`` -> ``last_error_time``."""
    name = name.replace("\ufeff", "").strip().strip('"').strip().lower()
    return _SEPARATORS.sub("_", name).strip("_")


def sniff_delimiter(header_line: str) -> str:
    """The candidate that splits the header line most often (quotes respected); ``,`` on a tie."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def map_columns(names: list[str]) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Which field index feeds which row column, and the remaining (index, header) pairs for ``extra``."""
    mapped: dict[str, int] = {}
    rest: list[tuple[int, str]] = []
    for index, name in enumerate(names):
        column = _ALIAS.get(normalise_header(name))
        if column and column not in mapped:
            mapped[column] = index
        else:
            rest.append((index, name.replace("\ufeff", "").strip()))
    return mapped, rest


def _missing(mapped: dict[str, Any], ctx: FileContext, names: list[str]) -> None:
    missing = [column for column in REQUIRED if column not in mapped]
    if missing:
        shown = ", ".join(repr(n) for n in names[:20])
        raise InputError(
            f"{ctx.source_path}: missing required column(s) {', '.join(missing)} (header has {shown}); "
            f"required: {', '.join(REQUIRED)}"
        )


_EPOCH_TEXT = re.compile(r"\d{9,13}(?:\.\d{1,6})?")
_EXCEL_SEP = re.compile(r"sep=([,;\t|])\r?\n?$")


def _parse_time(value: Any, local: tzinfo) -> datetime:
    if isinstance(value, bool):
        raise ValueError(f"unreadable time: {value!r}")
    if isinstance(value, str) and _EPOCH_TEXT.fullmatch(value.strip()):
        value = float(value.strip())  # epoch seconds (or ms) written as text
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 100_000_000_000 else value  # epoch ms or s
        try:
            return to_utc_ms(datetime.fromtimestamp(seconds, tz=UTC))
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"unreadable time: epoch {value!r} out of range") from exc
    text = str(value).strip()
    if re.match(r"\d{4}/\d{2}/\d{2}", text):
        text = text[:10].replace("/", "-") + text[10:]
    return parse_timestamp(text, local)


def build_row(
    fields: dict[str, Any],
    extra: dict[str, Any],
    ctx: FileContext,
    kind: str,
    offset: int,
    encoding: str,
    local: tzinfo,
) -> dict[str, Any]:
    """One last-error record as a row; raises ``ValueError`` with the reason it is unusable."""
    row = new_row(ctx, kind, offset)
    row["encoding"] = encoding
    for column in ("qmgr", "channel", "status", "substate", "conname", "chltype"):
        value = fields.get(column)
        row[column] = str(value).strip() or None if value is not None else None
    for column in ("qmgr", "channel"):
        if row[column] is None:
            raise ValueError(f"missing value: {column} is empty")
    error = fields.get("last_error")
    if error is not None and not isinstance(error, str):
        error = json.dumps(error, ensure_ascii=False)
    row["last_error"] = error.strip() or None if error is not None else None
    row["msg_id"] = extract_msg_id(row["last_error"])
    row["mqrc"] = extract_mqrc(row["last_error"])
    when = fields.get("last_error_time")
    if when is not None and str(when).strip():
        row["timestamp"] = _parse_time(when, local)
        row["timestamp_source"] = "last_error_time"
    row["extra"] = dump_extra(extra)
    return row


def _row_key(fields: dict[str, Any], extra: dict[str, Any]) -> bytes:
    # the same record in a CSV and a JSONL export gives the same key (values compared as text)
    return canonical_key(
        "last_error_row",
        {k: (str(v).strip() if v is not None else None) for k, v in fields.items()},
        {k: (v if isinstance(v, str) else json.dumps(v, sort_keys=True)) for k, v in extra.items()},
    )


class _LineFeed:
    """Feeds decoded lines to ``csv.reader`` and remembers which raw lines the current record used."""

    def __init__(self, lines: Iterator[tuple[int, int, bytes]], fallback: str) -> None:
        self.lines = lines
        self.fallback = fallback
        self.used: list[tuple[int, int, bytes, str]] = []

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        offset, line_no, raw = next(self.lines)
        text, encoding = decode(raw, self.fallback)
        self.used.append((offset, line_no, raw, encoding))
        return text

    def take(self) -> tuple[int, int, bytes, str]:
        used, self.used = self.used, []
        if not used:
            return 0, 0, b"", "utf-8"
        encoding = next((e for *_, e in used if e != "utf-8"), "utf-8")
        return used[0][0], used[0][1], b"".join(raw for _, _, raw, _ in used), encoding


def _transcode_utf16(stream: BinaryIO) -> tuple[BinaryIO, str | None]:
    """Excel's "Unicode text" is UTF-16 with a BOM: transcode it (offsets then count UTF-8 bytes)."""
    head = stream.read(2)
    if head in UTF16_BOMS:
        data = (head + stream.read()).decode("utf-16", errors="replace")
        return io.BytesIO(data.encode("utf-8")), "utf-16"
    return _Prefixed(head, stream), None  # type: ignore[return-value]  # duck-typed BinaryIO


class _Prefixed(io.RawIOBase):
    """A stream with a few already-read bytes put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readline(self, limit: int | None = -1) -> bytes:  # type: ignore[override]
        limit = -1 if limit is None else limit
        if self.head:
            if b"\n" in self.head:
                cut = self.head.index(b"\n") + 1
                if limit >= 0:
                    cut = min(cut, limit)
                out, self.head = self.head[:cut], self.head[cut:]
                return out
            out, self.head = self.head, b""
            if 0 <= limit <= len(out):
                self.head = out[limit:]
                return out[:limit]
            return out + self.rest.readline(-1 if limit < 0 else limit - len(out))
        return self.rest.readline(limit)

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        out, self.head = self.head, b""
        if size < 0:
            return out + self.rest.read()
        if len(out) >= size:
            self.head = out[size:]
            return out[:size]
        return out + self.rest.read(size - len(out))


def read_csv(stream: BinaryIO, ctx: FileContext) -> Iterator[Parsed | Reject]:
    local = zone(ctx.tz)
    stream, forced = _transcode_utf16(stream)
    lines = iter_lines(stream)
    header_line: tuple[int, int, bytes] | None = None
    for item in lines:
        if item[2].strip():
            header_line = item
            break
    if header_line is None:
        return
    header_text, _ = decode(header_line[2], ctx.fallback_encoding)
    hint = _EXCEL_SEP.match(header_text)
    if hint:  # Excel's "sep=;" first line names the delimiter; the header follows
        header_line = next(((o, n, r) for o, n, r in lines if r.strip()), None)
        if header_line is None:
            return
        header_text, _ = decode(header_line[2], ctx.fallback_encoding)
    delimiter = hint.group(1) if hint else sniff_delimiter(header_text)
    try:
        names = next(csv.reader([header_text], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise InputError(f"{ctx.source_path}: unreadable CSV header on line {header_line[1]}: {exc}") from exc
    mapped, rest = map_columns(names)
    _missing(mapped, ctx, names)
    extra_names = _unique([name for _, name in rest])

    feed = _LineFeed(lines, ctx.fallback_encoding)
    reader = csv.reader(feed, delimiter=delimiter, strict=True)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            offset, line_no, raw, _ = feed.take()
            yield make_reject(CSV_KIND, offset, line_no, f"broken CSV quoting: {exc}", raw)
            continue
        offset, line_no, raw, encoding = feed.take()
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # a blank line is not a record
        if len(fields) == len(names) + 1 and not fields[-1].strip():
            fields = fields[:-1]  # a trailing delimiter
        if len(fields) != len(names):
            yield make_reject(
                CSV_KIND,
                offset,
                line_no,
                f"wrong field count: expected {len(names)}, found {len(fields)}",
                raw,
            )
            continue
        record = {column: fields[index] for column, index in mapped.items()}
        extra = {
            name: fields[index]
            for name, (index, _) in zip(extra_names, rest, strict=True)
            if fields[index] != ""
        }
        try:
            row = build_row(record, extra, ctx, CSV_KIND, offset, forced or encoding, local)
        except ValueError as exc:
            yield make_reject(CSV_KIND, offset, line_no, str(exc), raw)
            continue
        yield Parsed(row=row, content_key=_row_key(record, extra))


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name}_{count}")
    return out


def read_jsonl(stream: BinaryIO, ctx: FileContext) -> Iterator[Parsed | Reject]:
    local = zone(ctx.tz)
    stream, forced = _transcode_utf16(stream)
    checked = False
    for offset, line_no, raw in iter_lines(stream):
        if not raw.strip():
            continue
        text, encoding = decode(raw, ctx.fallback_encoding)
        obj, problem = parse_json_lenient(text)
        if problem:
            yield make_reject(JSONL_KIND, offset, line_no, problem, raw)
            continue
        if not isinstance(obj, dict):
            yield make_reject(
                JSONL_KIND, offset, line_no, "not a JSON object: each line must hold one object", raw
            )
            continue
        names = [str(key) for key in obj]
        mapped_idx, rest = map_columns(names)
        values = list(obj.values())
        if not checked:
            _missing(mapped_idx, ctx, names)
            checked = True
        missing = [column for column in REQUIRED if column not in mapped_idx]
        if missing:
            yield make_reject(JSONL_KIND, offset, line_no, f"missing key: {', '.join(missing)}", raw)
            continue
        record = {column: values[index] for column, index in mapped_idx.items()}
        extra = {name: values[index] for index, name in rest if values[index] not in (None, "")}
        try:
            row = build_row(record, extra, ctx, JSONL_KIND, offset, forced or encoding, local)
        except ValueError as exc:
            yield make_reject(JSONL_KIND, offset, line_no, str(exc), raw)
            continue
        yield Parsed(row=row, content_key=_row_key(record, extra))
