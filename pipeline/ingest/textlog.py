"""The multi-line text error log (AMQERR0n.LOG) and its flattened one-line-per-entry form.

Splitting (``split_blocks``) works on bytes, streaming: the file is read in 1 MiB chunks and a
compiled regex finds trailer lines (``-----`` alone, or ``----- amqxxxx.c : NNN -----``).  A
trailer *ends* its entry and stays in the block.  Inside a block, every header line (date, time,
``- Process(...)``) starts a new piece, so text before the first header and entries interleaved
without a trailer become blocks of their own.

Parsing (``parse_block``) decodes one block (``decode.decode_entry``), then reads it by structure:
the header ``Key(value)`` pairs by balanced-parenthesis scanning, the ``AMQnnnn[X]:`` line and its
wrapped continuation up to the blank line, the first line after the summary as the explanation
heading (any language), and the last heading-like line (one or two upper-case words and a colon,
nothing after it) as the action heading.  Explanation, action and summary have their whitespace
runs (line breaks, indentation, double spaces) collapsed to single spaces.

Every regex here is linear: no nested or overlapping quantifiers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from pipeline import schemas
from pipeline.ingest import dates
from pipeline.ingest.decode import decode_entry
from pipeline.ingest.ids import entry_key
from pipeline.ingest.records import FileContext, Parsed, RawBlock, Reject
from pipeline.ingest.slots import SlotTable, default_slot_table

CHUNK_SIZE = 1 << 20
MAX_ENTRY_BYTES = 32 << 20  # a block this large without a trailer is cut and rejected

# --- splitting (bytes) -------------------------------------------------------------------
# Patterns used with search() start with a literal "\n" so the regex engine can skip ahead quickly;
# the *_AT twins test the very first line of a buffer.
_TRAILER_LINE = rb"-----(?: [^\s:]{1,200} : [0-9]{1,9} )?-*[ \t]*\r?(?:\n|\Z)"
_TRAILER_AT_B = re.compile(_TRAILER_LINE)
_TRAILER_NL_B = re.compile(rb"\n" + _TRAILER_LINE)
_TRAILER_B = re.compile(rb"(?m)^" + _TRAILER_LINE)
_HEADER_LINE = (
    rb"[ \t]*[0-9]{1,4}[/.\-][0-9]{1,2}[/.\-][0-9]{1,4}[ \t]+[0-9]{1,2}[:.][0-9]{2}[:.][0-9]{2}"
    rb"(?:[ \t]*[AaPp]\.?[Mm]\.?)?[ \t]*(?:-[ \t]|\r?(?:\n|\Z))"
)
_HEADER_AT_B = re.compile(_HEADER_LINE)
_HEADER_NL_B = re.compile(rb"\n(?=" + _HEADER_LINE + rb")")
_HEADER_B = re.compile(rb"(?m)^" + _HEADER_LINE)
_TIME_FIELD_B = re.compile(rb"\bTime\(([^)\n]{1,64})\)")

# --- parsing (str) -----------------------------------------------------------------------
_HEADER_START = re.compile(
    r"[ \t]*(\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4})[ \t]+(\d{1,2}[:.]\d{2}[:.]\d{2})"
    r"(?:[ \t]*([AaPp]\.?[Mm]\.?))?[ \t]*(?:-[ \t]*|(?=\n|$))"
)
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_]{0,63}) ?\(")
_MSGID_LINE = re.compile(r"\n[ \t]*AMQ(\d{4})([A-Z])?:[ \t]?")
_MSGID_AT = re.compile(r"AMQ(\d{4})([A-Z])?:[ \t]?")
_MSGID_TOKEN = re.compile(r"(?<!\S)AMQ\d{4}[A-Z]?: ")
_BLANK_LINE = re.compile(r"\n[ \t]*(?:\n|$)")
_TRAILER_END = re.compile(r"-----(?: ([^\s:]{1,200}) : ([0-9]{1,9}) )?-*[ \t]*\n?")
_FLAT_TRAILER = re.compile(r"(?:^|[ \t])-----(?: ([^\s:]{1,200}) : ([0-9]{1,9}) )?-*[ \t]*$")
_NON_SPACE = re.compile(r"\S")
_HEADING_LINE = re.compile(r"\n[ \t]*(\w+(?:[ \t]\w+)?)[ \t]?:[ \t]*(?=\n|$)")
# The usual entry layout up to the end of the summary, in one match: the header line and its
# Key(value) pairs (values with at most one level of inner parentheses), blank line(s), the AMQ
# line and its wrapped continuation lines, a blank line.  Every repetition starts with a distinct
# token, so matching is linear.  FAST_PATH = False forces the general path (tests compare both).
FAST_PATH = True
_ENTRY_FAST = re.compile(
    r"[ \t]*(\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4})[ \t]+(\d{1,2}[:.]\d{2}[:.]\d{2})(?:[ \t]*([AaPp]\.?[Mm]\.?))?"
    r"[ \t]*-[ \t]*((?:[ \t\n]*[A-Za-z][A-Za-z0-9_]{0,63} ?\([^()\n]*(?:\([^()\n]*\)[^()\n]*)*\))*)[ \t]*\n(?:[ \t]*\n)*"
    r"[ \t]*AMQ(\d{4})([A-Z])?:[ \t]?([^\n]*(?:\n[ \t]*\S[^\n]*)*)\n[ \t]*(?:\n|$)"
)
_PAIR_SIMPLE = re.compile(r"[ \t\n]*([A-Za-z][A-Za-z0-9_]{0,63}) ?\(([^()\n]*(?:\([^()\n]*\)[^()\n]*)*)\)")
# a whole header of simple pairs (at most one level of inner parentheses, e.g. `host (ip)(port)`)
# checked in one pass; no ambiguity: each repetition starts at a letter or "(" and ends at ")"
_SIMPLE_HEADER = re.compile(
    r"(?:[ \t\r\n]*[A-Za-z][A-Za-z0-9_]{0,63} ?\([^()\n]*(?:\([^()\n]*\)[^()\n]*)*\))*[ \t\r\n]*"
)
_HEADING_TOKEN = re.compile(r"(?<!\S)(?:(\w+)[ \t])?(\w+)[ \t]?:(?=\s|$)")
# Literal first, word boundary checked behind it: a literal prefix lets the engine skip ahead (3x
# faster on long explanations); the matches and group(1) are those of r"\b[Cc]hannel..." / r"\b[Hh]ost '".
_CHANNEL_Q = re.compile(r"hannel(?<=\b[Cc]hannel)(?: program| name is| is)? '([^'\n]{0,200})'")
_HOST_Q = re.compile(r"ost '(?<=\b[Hh]ost ')([^'\n]{0,300})'")
_INT = re.compile(r"[+-]?\d{1,18}")
_PROC = re.compile(r"\s*(\d{1,18})(?:\.(\d{1,18}))?\s*")

SEVERITIES = frozenset("IWEST")
UNKNOWN_NAMES = frozenset({"", "????"})

# header key (lower case) -> row column; inserts are handled separately
_HEADER_COLUMNS = {
    "user": "user",
    "program": "program",
    "host": "host",
    "installation": "installation",
    "vrmf": "vrmf",
    "qmgr": "qmgr",
    "remotehost": "remote_host",
}
_INSERT_KEYS = {
    "arithinsert1": "arith_insert_1",
    "arithinsert2": "arith_insert_2",
    "commentinsert1": "comment_insert_1",
    "commentinsert2": "comment_insert_2",
    "commentinsert3": "comment_insert_3",
}


# ======================================================================================
# splitting
# ======================================================================================
def split_blocks(stream: BinaryIO, start_offset: int = 0, start_line: int = 1) -> Iterator[RawBlock]:
    """Yield the entries of a text log as RawBlocks, reading ``stream`` in chunks.

    ``start_offset``/``start_line`` describe where ``stream`` is positioned in the file (for resumed
    reads).  Memory stays bounded by the chunk size plus the longest entry (capped at
    MAX_ENTRY_BYTES; a longer run without a trailer is cut at a line end and rejected by the parser).
    The last block is yielded with ``complete=False`` when the file does not end with a trailer.
    """
    buf = bytearray()
    base = start_offset
    line = start_line
    scan = 0  # buf position (a line start) from which trailers have not been searched yet
    eof = False
    while not eof:
        chunk = stream.read(CHUNK_SIZE)
        if not chunk:
            eof = True
        else:
            old = len(buf)
            buf += chunk
            if buf.rfind(b"\n", old) < 0 and len(buf) <= MAX_ENTRY_BYTES:
                continue  # no complete line in the new data: read more
        limit = len(buf) if eof else buf.rfind(b"\n") + 1
        pos = 0
        while True:
            m = _TRAILER_AT_B.match(buf, scan, limit) or _TRAILER_NL_B.search(buf, scan, limit)
            if m is None:
                break
            end = m.end()
            data = bytes(buf[pos:end])
            yield from _pieces(data, base + pos, line, True)
            line += data.count(b"\n")
            pos = scan = end
        if not eof and limit - pos > MAX_ENTRY_BYTES:
            data = bytes(buf[pos:limit])
            yield from _pieces(data, base + pos, line, True)
            line += data.count(b"\n")
            pos = limit
        if pos:
            del buf[:pos]
            base += pos
        scan = max(0, limit - pos)
    if buf and buf.strip():
        yield from _pieces(bytes(buf), base, line, False)


def _pieces(data: bytes, offset: int, line: int, complete: bool) -> Iterator[RawBlock]:
    """Cut one trailer-delimited block at each header line (rotation remnants, interleaving)."""
    if _HEADER_NL_B.search(data) is None:  # the usual case: one header, at the start (or none at all)
        yield RawBlock(offset, line, data, complete)
        return
    starts = [0] if _HEADER_AT_B.match(data) else []
    starts.extend(m.start() + 1 for m in _HEADER_NL_B.finditer(data))
    if not starts or (len(starts) == 1 and (starts[0] == 0 or not data[: starts[0]].strip())):
        yield RawBlock(offset, line, data, complete)
        return
    if not data[: starts[0]].strip():
        starts[0] = 0  # blank lines before the header belong to the entry
    elif starts[0] != 0:
        starts.insert(0, 0)
    bounds = starts + [len(data)]
    for i in range(len(starts)):
        piece = data[bounds[i] : bounds[i + 1]]
        last = i == len(starts) - 1
        yield RawBlock(offset + bounds[i], line, piece, complete if last else True)
        line += piece.count(b"\n")


def date_sample(data: bytes) -> tuple[str, str | None] | None:
    """(header date-and-time as written, Time() value or None) of a raw block, for date-order detection."""
    m = _HEADER_B.search(data)
    if m is None:
        return None
    text = data[m.start() : m.end()].decode("ascii", errors="replace")
    hm = _HEADER_START.match(text)
    if hm is None:
        return None
    header_time = f"{hm.group(1)} {hm.group(2)}" + (f" {hm.group(3)}" if hm.group(3) else "")
    t = _TIME_FIELD_B.search(data, m.end(), m.end() + 4096)
    return header_time, (t.group(1).decode("ascii", errors="replace") if t else None)


# date_samples: the header line's date, time and am/pm in one match ("\n" first, so the engine skips
# ahead), and Time() values found by their literal (the \b in front is checked by hand).
_HEADER_FIELDS_NL_B = re.compile(
    rb"\n[ \t]*([0-9]{1,4}[/.\-][0-9]{1,2}[/.\-][0-9]{1,4})[ \t]+([0-9]{1,2}[:.][0-9]{2}[:.][0-9]{2})"
    rb"(?:[ \t]*([AaPp]\.?[Mm]\.?))?[ \t]*(?:(-[ \t])|(\r)?(?=\n)|\Z)"
)  # the newline ending a bare header line is left to the next match (it starts the next header)
_TIME_LITERAL_B = re.compile(rb"Time\(([^)\n]{1,64})\)")
_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def date_samples(stream: BinaryIO, limit: int) -> list[tuple[str, str | None]]:
    """``date_sample`` of the first ``limit`` header lines of a text log, without splitting it into blocks.

    The same samples as ``date_sample`` over the blocks of ``split_blocks``: every block holds at most
    one header line, at its start (``_pieces`` cuts at each), and its Time() is the first one from the
    header's end up to the block's end (the next trailer line or header line), within 4096 bytes.  The
    difference: ``limit`` counts header lines here, blocks there (a block without a header, such as a
    rotation remnant, gives no sample either way, but counts there).  Three regex scans per chunk, in C,
    then a merge.
    """
    samples: list[tuple[str, str | None]] = []
    headers = 0
    buf = b"\n"  # a newline in front lets the "\n" patterns see a header on the file's first line
    eof = False
    while headers < limit and not eof:
        chunk = stream.read(CHUNK_SIZE)
        eof = not chunk
        buf += chunk
        cut = len(buf) if eof else buf.rfind(b"\n") + 1
        heads = list(_HEADER_FIELDS_NL_B.finditer(buf, 0, cut))
        trailers = [m.end() for m in _TRAILER_NL_B.finditer(buf, 0, cut)]
        times = [
            (m.start(), m.end(), m.group(1))
            for m in _TIME_LITERAL_B.finditer(buf, 0, cut)
            if buf[m.start() - 1] not in _WORD_BYTES
        ]
        keep = cut - 1  # the next round starts at this newline
        ti = tr = 0
        for i, m in enumerate(heads):
            if headers >= limit:
                break
            start, end = m.start() + 1, m.end()
            date_text, time_text, ampm, dash, cr = m.groups()
            if dash is None and buf[end : end + 1] == b"\n":
                end += 1  # where _HEADER_B's match ends: Time() is searched from there
            block_end = heads[i + 1].start() + 1 if i + 1 < len(heads) else cut
            while tr < len(trailers) and trailers[tr] <= start:
                tr += 1
            if tr < len(trailers) and trailers[tr] < block_end:
                block_end = trailers[tr]
            elif i + 1 == len(heads) and not eof and end + 4096 > cut:
                keep = start - 1  # the block may go on in the next chunk: sample it then
                break
            limit_at = min(block_end, end + 4096)
            while ti < len(times) and times[ti][0] < end:
                ti += 1
            exact = None
            if ti < len(times) and times[ti][1] <= limit_at:
                exact = times[ti][2].decode("ascii", errors="replace")
            headers += 1
            if cr is None:  # date_sample does not read a bare header line ended by CR LF
                header = f"{date_text.decode()} {time_text.decode()}" + (f" {ampm.decode()}" if ampm else "")
                samples.append((header, exact))
        if len(buf) - keep > MAX_ENTRY_BYTES:
            keep = cut - 1  # a header without trailer this far: give up on it, as the splitter would cut
        buf = buf[keep:]
    return samples


_HEADER_AFTER_NL_B = re.compile(rb"\n(?=(" + _HEADER_LINE + rb"))")


def _header_line_ends(data: bytes) -> Iterator[int]:
    """Where the ``_HEADER_B.finditer(data)`` matches end, found from their leading newline (a ``^``
    pattern is tried at every position; a pattern starting with ``\n`` lets the engine skip ahead).
    Header lines cannot overlap: a header holds no newline but the one that ends it."""
    first = _HEADER_AT_B.match(data)
    if first is not None:
        yield first.end()
    for m in _HEADER_AFTER_NL_B.finditer(data):
        yield m.end(1)


_MSGID_IN_LINE_B = re.compile(rb"\bAMQ[0-9]{4}[A-Z]?:")


def sniff(head: bytes) -> str | None:
    """``text`` (multi-line entries), ``flat`` (one entry per line) or None, from a file's first KB."""
    flat = multi = 0
    for end in _header_line_ends(head[:65536]):
        eol = head.find(b"\n", end)
        rest = head[end : eol if eol >= 0 else len(head)]
        if b"AMQ" in rest and _MSGID_IN_LINE_B.search(rest):
            flat += 1
        else:
            multi += 1
    if flat or multi:
        return "flat" if flat > multi else "text"
    if _TRAILER_B.search(head) or re.search(rb"(?m)^AMQ[0-9]{4}[A-Z]?:", head):
        return "text"  # a file cut by rotation can begin mid-entry
    return None


# ======================================================================================
# header fields
# ======================================================================================
def _balanced_end(s: str, i: int, limit: int) -> int:
    """Index of the ``)`` closing the ``(`` just before ``i``, or -1 (linear: each char seen once)."""
    depth = 1
    j = i
    while True:
        close = s.find(")", j, limit)
        if close < 0:
            return -1
        depth += s.count("(", j, close) - 1
        if depth <= 0:
            return close
        j = close + 1


def scan_pairs(
    s: str, pos: int, end: int, stop_at_text: bool
) -> tuple[list[tuple[str, str]], int, list[str]]:
    """Read ``Key(value)`` pairs in s[pos:end]; values end at their balanced ``)`` on the same line.

    Returns (pairs, position after the last pair, notes).  With ``stop_at_text`` (flattened form) the
    scan stops at the first token that is not ``Key(``; otherwise stray text is kept as a note.
    """
    if not stop_at_text and _SIMPLE_HEADER.fullmatch(s, pos, end):
        return _PAIR_SIMPLE.findall(s, pos, end), end, []
    pairs: list[tuple[str, str]] = []
    notes: list[str] = []
    n = end
    simple = _PAIR_SIMPLE.match
    while pos < n:
        m0 = simple(s, pos, n)
        if m0 is not None:  # the common case: a value without nested parentheses
            pairs.append((m0.group(1), m0.group(2)))
            pos = m0.end()
            continue
        while pos < n and s[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            break
        m = _KEY.match(s, pos, n)
        if m is None:
            if stop_at_text:
                break
            eol = s.find("\n", pos, n)
            eol = n if eol < 0 else eol
            notes.append(f"unparsed header text {s[pos:eol][:80]!r}")
            pos = eol
            continue
        key = m.group(1)
        vstart = m.end()
        eol = s.find("\n", vstart, n)
        eol = n if eol < 0 else eol
        close = _balanced_end(s, vstart, eol)
        if close < 0:
            last = s.rfind(")", vstart, eol)
            if last >= 0:
                close = last
                notes.append(f"unbalanced parentheses in {key}(...)")
            else:
                if stop_at_text:
                    break
                notes.append(f"unterminated {key}(...)")
                close = eol
        pairs.append((key, s[vstart:close]))
        pos = min(close + 1, n)
    return pairs, pos, notes


def _to_int(value: str) -> int | None:
    return int(value) if _INT.fullmatch(value.strip()) else None


def apply_header(
    row: dict[str, Any], pairs: list[tuple[str, str]], extra: dict[str, Any], notes: list[str]
) -> str | None:
    """Map header pairs onto the row; returns the raw ``Time(...)`` value if any."""
    time_value: str | None = None
    for key, value in pairs:
        low = key.lower()
        col = _HEADER_COLUMNS.get(low)
        if col is not None:
            if row.get(col) is None:
                row[col] = value
            else:
                extra.setdefault(key, value)
            continue
        col = _INSERT_KEYS.get(low)
        if col is not None:
            if col.startswith("arith"):
                num = _to_int(value)
                row[col] = num
                if num is None:
                    extra[key] = value
                    notes.append(f"non-numeric {key}")
            else:
                row[col] = value
            continue
        if low == "process":
            pid, dot, tid = value.partition(".")
            if (
                pid.isdigit()
                and pid.isascii()
                and len(pid) <= 18
                and (not dot or (tid.isdigit() and tid.isascii() and len(tid) <= 18))
            ):
                row["pid"] = int(pid)
                row["tid"] = int(tid) if dot else None
            elif pm := _PROC.fullmatch(value):
                row["pid"] = int(pm.group(1))
                row["tid"] = int(pm.group(2)) if pm.group(2) else None
            else:
                extra[key] = value
                notes.append("unreadable Process()")
            continue
        if low == "time":
            time_value = value
            continue
        if key in extra:
            extra[f"{key}#{sum(1 for k in extra if k.startswith(key))}"] = value
        else:
            extra[key] = value
    return time_value


def resolve_timestamp(
    row: dict[str, Any],
    time_value: str | None,
    date_text: str | None,
    time_text: str | None,
    ctx: FileContext,
    notes: list[str],
) -> str | None:
    """Set timestamp / timestamp_source; returns a reject reason when no timestamp can be had."""
    if time_value is not None:
        try:
            row["timestamp"] = dates.parse_iso_utc(time_value)
            row["timestamp_source"] = "time_field"
            return None
        except dates.DateError as exc:
            notes.append(f"Time() ignored: {exc}")
    if date_text is None or time_text is None:
        return "no timestamp: header has no date/time and no Time()"
    local, err = header_local(date_text, time_text, ctx.resolved_date_order(), notes)
    if local is None:
        return f"unreadable header date/time: {err}"
    row["timestamp"], issue = dates.to_utc_checked(local, ctx.tz)
    row["timestamp_source"] = "header_local"
    if issue:
        notes.append(f"local time {local.isoformat()} is a DST {issue} in {ctx.tz}; read with fold=0")
    return None


def header_local(date_text: str, time_text: str, order: str, notes: list[str]) -> tuple[datetime | None, str]:
    forced = dates.forced_order(date_text)
    if forced is None:
        fields = dates.split_date(date_text)
        if order not in ("mdy", "dmy"):
            if fields and fields[0] > 12 >= fields[1]:
                order = "dmy"
            elif fields and fields[1] > 12 >= fields[0]:
                order = "mdy"
            else:
                order = "mdy"
                if fields and fields[0] != fields[1]:
                    notes.append("ambiguous header date order, read as mdy")
    else:
        order = forced
    try:
        return dates.parse_header_datetime(date_text, time_text, order), ""
    except dates.DateError as exc:
        if forced is None:
            other = "dmy" if order == "mdy" else "mdy"
            try:
                value = dates.parse_header_datetime(date_text, time_text, other)
                notes.append(f"header date impossible as {order}, read as {other}")
                return value, ""
            except dates.DateError:
                pass
        return None, str(exc)


def _clean(text: str) -> str | None:
    return " ".join(text.split()) or None


def _known_name(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return None if value in UNKNOWN_NAMES else value


def fill_channel_conname(row: dict[str, Any], slots: SlotTable) -> None:
    """channel and conname from the message's insert slots, else quoted names in the text.

    Channel: the slot of the message id, else ``channel '<name>'`` in the summary, else in the
    explanation.  Conname: the slot, else ``host '<name>'`` in the summary, else (only for message ids
    without a host slot) in the explanation, else RemoteHost().  ``'????'`` and empty mean unknown.
    remote_host keeps RemoteHost() and falls back to the conname.
    """
    entry = slots.roles.get(row["msg_id"]) or {}
    slot = entry.get("channel")
    channel = _known_name(row[slot]) if slot else None
    if channel is None:
        for field in ("message", "explanation"):
            text = row[field]
            if text and "hannel" in text:
                m = _CHANNEL_Q.search(text)
                if m:
                    channel = _known_name(m.group(1))
                    if channel is not None:
                        break
    row["channel"] = channel
    slot = entry.get("conname")
    conname = _known_name(row[slot]) if slot else None
    if conname is None:
        texts = (row["message"], row["explanation"]) if slot is None else (row["message"],)
        for text in texts:
            if text and "ost '" in text:
                m = _HOST_Q.search(text)
                if m:
                    conname = _known_name(m.group(1))
                    if conname is not None:
                        break
    remote = _known_name(row["remote_host"])
    row["remote_host"] = remote if remote is not None else conname
    row["conname"] = conname if conname is not None else remote


# Every events column a parsed entry carries; the runner adds the id and where it came from.
_ROW_TEMPLATE: dict[str, Any] = dict.fromkeys(
    field.name
    for field in schemas.EVENTS
    if field.name not in {"event_id", "source_path", "source_format", "source_offset", "source_line"}
)


def _new_row(ctx: FileContext, fmt: str, offset: int, line: int, encoding: str) -> dict[str, Any]:
    """A row with every events column except event_id (the runner sets it); unknowns are None."""
    row = {"source_path": ctx.source_path, "source_format": fmt, "source_offset": offset, "source_line": line}
    row.update(_ROW_TEMPLATE)
    row["encoding"] = encoding
    return row


def _finish(
    row: dict[str, Any], raw: bytes, extra: dict[str, Any], notes: list[str], slots: SlotTable
) -> Parsed:
    if extra:
        row["extra"] = json.dumps(extra, ensure_ascii=False, sort_keys=True)
    fill_channel_conname(row, slots)
    return Parsed(row, entry_key(row["source_format"], raw), notes)


def _reject(block: RawBlock, reason: str, fmt: str = "text") -> Reject:
    return Reject(block.offset, block.line, reason, block.data, fmt)


# ======================================================================================
# multi-line entries
# ======================================================================================
def parse_block(block: RawBlock, ctx: FileContext, slots: SlotTable | None = None) -> Parsed | Reject:
    """One text-log entry -> Parsed row, or Reject naming what is wrong with it."""
    if len(block.data) >= MAX_ENTRY_BYTES:
        return _reject(block, f"entry of {len(block.data)} bytes without a trailer (limit {MAX_ENTRY_BYTES})")
    slots = slots or default_slot_table()
    text, encoding = decode_entry(block.data, ctx.fallback_encoding)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    notes: list[str] = []
    extra: dict[str, Any] = {}
    row = _new_row(ctx, "text", block.offset, block.line, encoding)

    # trailer
    end = len(text)
    k = text.rfind("\n-----", max(0, end - 400))  # the trailer is the block's last line
    k = k + 1 if k >= 0 else (0 if text.startswith("-----") else -1)
    tm = _TRAILER_END.fullmatch(text, k) if k >= 0 else None
    if tm is not None:
        if tm.group(1):
            row["source_module"] = f"{tm.group(1)}:{tm.group(2)}"
        end = k
    elif block.complete:
        notes.append("entry has no trailer line (next header follows directly)")
    else:
        notes.append("incomplete entry: file ends before the trailer")

    # header
    start = 0
    while start < end and text[start] in " \t\n":
        start += 1
    start = text.rfind("\n", 0, start) + 1
    fm = _ENTRY_FAST.match(text, start, end) if FAST_PATH else None
    if fm is not None:
        # the usual layout in one regex call; the general path below gives the same result
        date_text, time_text, ampm = fm.group(1), fm.group(2), fm.group(3)
        header_time = text[fm.start(1) : fm.end(3) if ampm else fm.end(2)]
        pairs = _PAIR_SIMPLE.findall(fm.group(4))
        number, letter, summary = fm.group(5), fm.group(6), fm.group(7)
        msg_end = fm.start(7)
        body_start = fm.end()
    else:
        hm = _HEADER_START.match(text, start, end)
        if hm is None:
            return _reject(
                block,
                "no entry header (date time - Process(...)) at the start of the block: the file "
                "begins mid-entry (cut by rotation) or holds other text before an entry",
            )
        date_text, time_text, ampm = hm.group(1), hm.group(2), hm.group(3)
        header_time = text[hm.start(1) : hm.end(3) if ampm else hm.end(2)]
        mm = _MSGID_LINE.search(text, hm.end(), end)
        if mm is None:
            return _reject(block, "no AMQnnnn: message line after the header")
        pairs, _, scan_notes = scan_pairs(text, hm.end(), mm.start(), stop_at_text=False)
        notes.extend(scan_notes)
        number, letter = mm.group(1), mm.group(2)
        msg_end = mm.end()
        bm = _BLANK_LINE.search(text, msg_end, end)
        summary = text[msg_end : bm.start() if bm else end]
        body_start = bm.end() if bm else end
    row["header_time"] = header_time  # as written, spacing included
    if ampm:
        time_text = f"{time_text} {ampm}"
    time_value = apply_header(row, pairs, extra, notes)

    # message id and summary
    row["msg_id"] = f"AMQ{number}"
    if letter:
        if letter in SEVERITIES:
            row["severity"] = letter
        else:
            extra["severity_letter"] = letter
            notes.append(f"unknown severity letter {letter}")
    if ":" in summary:
        # no blank line between the summary and the explanation heading: the heading ends the summary
        for h in _HEADING_LINE.finditer(text, msg_end, msg_end + len(summary)):
            if h.group(1).isupper():
                summary = text[msg_end : h.start()]
                body_start = h.start() + 1
                notes.append("no blank line before the explanation heading")
                break
    row["message"] = _clean(summary)

    second = _MSGID_LINE.search(text, max(body_start - 1, msg_end), end)
    if second is not None:
        lineno = block.line + text.count("\n", 0, second.start())
        return _reject(block, f"interleaved entry: a second message id AMQ{second.group(1)} at line {lineno}")

    # explanation / action by structure
    _explain_action(text, body_start, end, row, notes)

    reason = resolve_timestamp(row, time_value, date_text, time_text, ctx, notes)
    if reason:
        return _reject(block, reason)
    return _finish(row, block.data, extra, notes, slots)


def _explain_action(text: str, start: int, end: int, row: dict[str, Any], notes: list[str]) -> None:
    nonblank = _NON_SPACE.search(text, start, end)
    if nonblank is None:
        return
    start = nonblank.start()
    eol = text.find("\n", start, end)
    eol = end if eol < 0 else eol
    first = text[start:eol].rstrip()
    if first.endswith(":") and len(first) <= 60:
        expl_start = eol
    else:
        notes.append("no explanation heading after the summary")
        expl_start = start
    action_head = None
    for m in _HEADING_LINE.finditer(text, expl_start, end):
        if m.group(1).isupper():
            action_head = m
    if action_head is None:
        row["explanation"] = _clean(text[expl_start:end])
        notes.append("no action heading")
        return
    row["explanation"] = _clean(text[expl_start : action_head.start()])
    row["action"] = _clean(text[action_head.end() : end])


# ======================================================================================
# flattened entries (one per line)
# ======================================================================================
def parse_flat_line(
    line_bytes: bytes, offset: int, lineno: int, ctx: FileContext, slots: SlotTable | None = None
) -> Parsed | Reject:
    """One flattened entry (header, inserts, message, headings on a single line)."""
    block = RawBlock(offset, lineno, line_bytes)
    if len(line_bytes) >= MAX_ENTRY_BYTES:
        return _reject(block, f"line of {len(line_bytes)} bytes (limit {MAX_ENTRY_BYTES})", "flat")
    slots = slots or default_slot_table()
    text, encoding = decode_entry(line_bytes, ctx.fallback_encoding)
    text = text.rstrip("\r\n")
    if "\n" in text or "\r" in text:
        text = text.replace("\r", " ").replace("\n", " ")
    notes: list[str] = []
    extra: dict[str, Any] = {}
    row = _new_row(ctx, "flat", offset, lineno, encoding)
    end = len(text)
    tail = max(0, end - 400)
    tm = _FLAT_TRAILER.search(text, tail) if text.find("-----", tail) >= 0 else None
    if tm is not None:
        if tm.group(1):
            row["source_module"] = f"{tm.group(1)}:{tm.group(2)}"
        end = tm.start()
    hm = _HEADER_START.match(text, 0, end)
    if hm is None:
        return _reject(block, "line does not start with an entry header (date time - ...)", "flat")
    date_text, time_text, ampm = hm.group(1), hm.group(2), hm.group(3)
    row["header_time"] = text[hm.start(1) : hm.end(3) if ampm else hm.end(2)]
    if ampm:
        time_text = f"{time_text} {ampm}"
    pairs, pos, scan_notes = scan_pairs(text, hm.end(), end, stop_at_text=True)
    notes.extend(scan_notes)
    time_value = apply_header(row, pairs, extra, notes)
    while pos < end and text[pos] in " \t":
        pos += 1
    mm = _MSGID_AT.match(text, pos, end)
    if mm is None:
        return _reject(block, f"no AMQnnnn: message id after the header (at column {pos + 1})", "flat")
    row["msg_id"] = f"AMQ{mm.group(1)}"
    letter = mm.group(2)
    if letter:
        if letter in SEVERITIES:
            row["severity"] = letter
        else:
            extra["severity_letter"] = letter
    if _MSGID_TOKEN.search(text, mm.end(), end):
        notes.append("a second message id appears in the text")
    headings: list[tuple[int, int]] = []
    for h in _HEADING_TOKEN.finditer(text, mm.end(), end):
        one, two = h.group(1), h.group(2)
        if one and f"{one} {two}".isupper() and not any(c.isdigit() for c in one + two):
            headings.append((h.start(1), h.end()))
        elif two.isupper() and not any(c.isdigit() for c in two) and len(two) >= 2:
            headings.append((h.start(2), h.end()))
    if not headings:
        row["message"] = _clean(text[mm.end() : end])
        notes.append("no explanation heading")
    else:
        row["message"] = _clean(text[mm.end() : headings[0][0]])
        if len(headings) == 1:
            row["explanation"] = _clean(text[headings[0][1] : end])
            notes.append("no action heading")
        else:
            row["explanation"] = _clean(text[headings[0][1] : headings[-1][0]])
            row["action"] = _clean(text[headings[-1][1] : end])
    reason = resolve_timestamp(row, time_value, date_text, time_text, ctx, notes)
    if reason:
        return _reject(block, reason, "flat")
    return _finish(row, block.data, extra, notes, slots)


def iter_flat_lines(stream: BinaryIO, start_offset: int = 0, start_line: int = 1) -> Iterator[RawBlock]:
    """Lines of a flattened file as RawBlocks (the last one ``complete=False`` if it has no newline)."""
    offset, line = start_offset, start_line
    for raw in stream:
        complete = raw.endswith(b"\n")
        if raw.strip():
            yield RawBlock(offset, line, raw, complete)
        offset += len(raw)
        line += 1
