"""The fast path for multi-line text logs: whole chunks in, column lists out.

``textlog.split_blocks`` + ``textlog.parse_block`` is the reference: it handles every layout, one
``RawBlock`` and one row dict at a time.  Most real files repeat one layout (header line, ``Key(value)``
pairs, ``AMQnnnnX:`` summary, explanation heading, explanation, action heading, action, trailer), and
for those the per-entry Python work of the reference dominates.  ``parse_columnar`` reads the stream in
large chunks, cuts each chunk after its last trailer line, decodes an all-ASCII region once and walks it
with ONE compiled regex that matches a whole usual entry (``_ENTRY``).  Each match becomes a tuple in
``ROW_COLUMNS`` order; batches are handed over as column lists ready for Arrow.

Whatever the fast regex or its cheap checks do not accept exactly - a non-ASCII or CR byte in the
region, a summary containing ``:``, an unknown header key, a duplicated key, a non-numeric insert, an
unusual severity letter, a missing heading, a second ``AMQnnnn:`` line, a header line inside the
entry - goes through the reference parser for that block only, so results are identical by
construction; ``tests/ingest/test_fastpath.py`` checks this on every golden file, the peer fixtures
and mutated input.

Why the guards make a fast match exactly one reference block: every line after the header line is
refused by ``_GUARD`` when it starts with ``-----`` (a trailer ends a block), with a date and time (a
header starts a block) or with ``AMQnnnn:`` (the reference rejects such entries as interleaved), so
the match ends at the block's first trailer line and contains no other header.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import schemas
from pipeline.ingest import textlog
from pipeline.ingest.records import FileContext, Parsed, RawBlock, Reject
from pipeline.ingest.slots import SlotTable, default_slot_table
from pipeline.ingest.state import ANCHOR_BYTES  # bytes of consumed data kept for the resume anchor

READ_SIZE = 4 << 20  # bytes read per step; a region is cut after the last trailer line in the buffer
GENERAL_AFTER = 16 << 20  # this much without a trailer line: the reference reads the rest of the file

# The events columns a parser fills, in schema order (event_id is the runner's).
ROW_COLUMNS = tuple(name for name in schemas.EVENTS.names if name != "event_id")

# A line that must not occur inside a fast entry after its header line (see module docstring).
_GUARD = (
    r"(?![ \t]*(?:\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}[ \t]+\d{1,2}[:.]\d{2}[:.]\d{2}|AMQ\d{4}[A-Z]?:)|-----)"
)
# An action-heading line in ASCII text: one or two \w words with at least one upper-case letter and no
# lower-case one (str.isupper), an optional blank, a colon, nothing else.
_UPPER_HEADING = (
    r"[ \t]*(?=[0-9_]*[A-Z]|[0-9_]+[ \t][0-9_]*[A-Z])[A-Z0-9_]+(?:[ \t][A-Z0-9_]+)?[ \t]?:[ \t]*\n"
)
_VALUE = r"[^()\n]*(?:\([^()\n]*\)[^()\n]*)*"  # a value with at most one level of inner parentheses
_HEAD = (
    r"(?:[ \t]*\n)*"
    r"[ \t]*(\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4})[ \t]+(\d{1,2}[:.]\d{2}[:.]\d{2})(?:[ \t]*([AaPp]\.?[Mm]\.?))?"
    r"[ \t]*-[ \t]*"
)
_BODY_LINE = _GUARD + r"[^\n]*\n"  # a line of explanation or action text
_ACTION_LINE = r"(?!" + _UPPER_HEADING + r")" + _BODY_LINE  # ... that is not itself an action heading
# Everything after the header pairs: the AMQ line and its wrapped summary, a blank line, the
# explanation heading line, the explanation (lazy: up to the LAST upper-case heading line), the action
# heading, the action, the trailer.  Every repetition starts with a distinct token and line bodies
# cannot contain "\n", so matching is linear; the lazy explanation tries the action heading once per
# upper-case heading line, and the action that follows cannot run past the next such line.
_REST = (
    r"[ \t]*\n(?:[ \t]*\n)*"
    r"[ \t]*AMQ(\d{4})([A-Z])?:[ \t]?([^\n]*(?:\n" + _GUARD + r"[ \t]*\S[^\n]*)*)\n[ \t]*\n"
    r"(?:[ \t]*\n)*" + _GUARD + r"[ \t]*(\S[^\n]*)\n"
    rf"((?:{_BODY_LINE})*?)"
    rf"{_GUARD}{_UPPER_HEADING}"
    rf"((?:{_ACTION_LINE})*)"
    r"-----(?: ([^\s:]{1,200}) : ([0-9]{1,9}) )?-*[ \t]*\n"
)


def _pair(key: str, value: str = _VALUE) -> str:
    return rf"(?:[ \t\n]*{key} ?\(({value})\))?"


# The header as MQ 9.x writes it: known keys, each at most once, in MQ's order, with the numeric and
# time values in their plain form (anything else takes _ENTRY and the generic pair reading).
_ENTRY_USUAL = re.compile(
    _HEAD
    + r"(?:[ \t\n]*Process ?\((\d{1,18})(?:\.(\d{1,18}))?\))?"
    + _pair("User")
    + _pair("Program")
    + _pair("Host")
    + _pair("Installation")
    + _pair("VRMF")
    + _pair("QMgr")
    + _pair("Time", r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
    + _pair("RemoteHost")
    + _pair("ArithInsert1", r"\d{1,18}")
    + _pair("ArithInsert2", r"\d{1,18}")
    + _pair("CommentInsert1")
    + _pair("CommentInsert2")
    + _pair("CommentInsert3")
    + _REST
)
# Any header of simple Key(value) pairs (read afterwards with textlog._PAIR_SIMPLE).
_ENTRY = re.compile(_HEAD + r"((?:[ \t\n]*[A-Za-z][A-Za-z0-9_]{0,63} ?\(" + _VALUE + r"\))*)" + _REST)

UNKNOWN_DATE = "unknown"  # partition of rows without a timestamp (writer.UNKNOWN_DATE)
_SLOW_BYTE = re.compile(rb"[\x80-\xff\r]")  # regions holding these go to the reference parser
_TRAILER_CUT = re.compile(rb"\n-----(?: [^\s:]{1,200} : [0-9]{1,9} )?-*[ \t]*\n")

_KEY_PREFIX = b"text\x1f"
_CLEANED_MAX = 4096  # distinct texts kept per file parser (cleared when full: memory stays bounded)


class _Cleaned(dict[str, str]):
    """text -> text with whitespace runs collapsed (``textlog._clean``), each distinct text cleaned once:
    explanations and actions repeat per message and channel.  A hit is a plain dict lookup."""

    def __missing__(self, text: str) -> str:
        if len(self) >= _CLEANED_MAX:
            self.clear()
        value = self[text] = " ".join(text.split())
        return value


_COMMENT_INDEX = {"comment_insert_1": 0, "comment_insert_2": 1, "comment_insert_3": 2}
_from_iso = datetime.fromisoformat


@dataclass
class ColumnBatch:
    """Parsed rows of one region as column lists, plus its rejects and where reading stands.

    ``rows`` hold tuples in ``ROW_COLUMNS`` order, in file order; ``keys[i]`` is the content key of
    ``rows[i]`` (``event_id = ids.event_id(key, ordinal)``).  ``end_offset``/``end_line`` point just
    after the last block consumed, ``tail`` is the last bytes consumed (resume anchor).  ``pending``
    is set on the file's last batch when its final block has no trailer yet and partial entries are
    not wanted: that block was not parsed.
    """

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    keys: list[bytes] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    end_offset: int = 0
    end_line: int = 1
    tail: bytes = b""
    pending: RawBlock | None = None
    fast_rows: int = 0  # rows produced by the fast regex (the rest went through the reference)

    def columns(self) -> dict[str, list[Any]]:
        """``{column: values}`` for every name in ROW_COLUMNS."""
        if not self.rows:
            return {name: [] for name in ROW_COLUMNS}
        return {
            name: list(values) for name, values in zip(ROW_COLUMNS, zip(*self.rows, strict=True), strict=True)
        }


class _Chain(io.RawIOBase):
    """``prefix`` followed by the rest of ``stream`` (hands a buffered remainder to the reference)."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        super().__init__()
        self._prefix = prefix
        self._stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        if self._prefix:
            out = self._prefix if size < 0 else self._prefix[:size]
            self._prefix = self._prefix[len(out) :]
            return out
        return self._stream.read(size)


class _Parser:
    """One file's fast-path state: context, slot table, header-time cache, current batch."""

    def __init__(self, ctx: FileContext, slots: SlotTable) -> None:
        self.ctx = ctx
        self.slots = slots
        self.local_cache: dict[tuple[str, str, str | None], Any] = {}
        self.slot_plans: dict[str, tuple[int | None, int | None, bool]] = {}
        self.cleaned = _Cleaned()
        self.batch = ColumnBatch()

    # -- reference path -----------------------------------------------------------------
    def reference(self, block: RawBlock) -> None:
        try:
            item = textlog.parse_block(block, self.ctx, self.slots)
        except Exception as exc:  # a parser bug on one entry: reject it and go on (as the runner does)
            item = Reject(block.offset, block.line, f"parser error: {type(exc).__name__}: {exc}", block.data)
        self.add_item(item)

    def add_item(self, item: Parsed | Reject) -> None:
        if isinstance(item, Reject):
            self.batch.rejects.append(item)
            return
        row = item.row
        self.batch.rows.append(tuple([row.get(name) for name in ROW_COLUMNS]))
        self.batch.keys.append(item.content_key)

    def reference_region(self, data: bytes, offset: int, line: int) -> None:
        for block in textlog.split_blocks(io.BytesIO(data), offset, line):
            self.reference(block)

    # -- fast path ----------------------------------------------------------------------
    def region(self, data: bytes, offset: int, line: int) -> None:
        """Parse a region that ends right after a trailer line (complete blocks only)."""
        pos = 0
        n = len(data)
        if data.isascii() and b"\r" not in data:
            # the usual case, checked in C at memory speed (a regex class search runs ~50 MB/s)
            self.ascii_region(data, 0, n, offset, line)
            return
        while pos < n:
            slow = _SLOW_BYTE.search(data, pos)
            if slow is None:
                self.ascii_region(data, pos, n, offset, line)
                return
            # blocks before the one holding the slow byte go fast; that block (up to the next
            # trailer line) goes to the reference
            s = slow.start()
            block_start = _last_cut(data, pos, s)
            if block_start > pos:
                self.ascii_region(data, pos, block_start, offset, line)
                line += data.count(b"\n", pos, block_start)
                pos = block_start
            m = _TRAILER_CUT.search(data, s)
            stop = m.end() if m is not None else n
            self.reference_region(data[pos:stop], offset + pos, line)
            line += data.count(b"\n", pos, stop)
            pos = stop

    def ascii_region(self, data: bytes, begin: int, end: int, offset: int, line: int) -> None:
        text = data[begin:end].decode("ascii")
        usual = _ENTRY_USUAL.match
        generic = _ENTRY.match
        n = len(text)
        pos = 0
        while pos < n:
            header: tuple[Any, ...] | None
            m = usual(text, pos)
            if m is not None:
                g = m.groups()
                header = g[3:18]
                rest = g[18:]
            else:
                m = generic(text, pos)
                if m is None:
                    # not the usual layout: the trailer-delimited block starting here goes to the reference
                    stop = _block_end(data, begin + pos, begin + n) - begin
                    self.reference_region(data[begin + pos : begin + stop], offset + begin + pos, line)
                    line += text.count("\n", pos, stop)
                    pos = stop
                    continue
                g = m.groups()
                header = _header_fields(g[3])
                rest = g[4:]
            stop = m.end()
            raw = data[begin + pos : begin + stop]
            ok = header is not None and self.entry(
                g,
                text[m.start(1) : m.end(3) if g[2] else m.end(2)],
                header,
                rest,
                raw,
                offset + begin + pos,
                line,
            )
            if not ok:
                self.reference(RawBlock(offset + begin + pos, line, raw, True))
            line += text.count("\n", pos, stop)
            pos = stop

    def names(
        self,
        msg_id: str,
        message: str | None,
        explanation: str | None,
        remote: str | None,
        c1: str | None,
        c2: str | None,
        c3: str | None,
    ) -> tuple[str | None, str | None, str | None]:
        """(channel, conname, remote_host) exactly as ``textlog.fill_channel_conname`` sets them, for
        rows whose inserts are all text (channel and conname slots are always comment inserts)."""
        plan = self.slot_plans.get(msg_id)
        if plan is None:
            roles = self.slots.roles.get(msg_id) or {}
            ch, cn = roles.get("channel"), roles.get("conname")
            plan = (_COMMENT_INDEX.get(ch), _COMMENT_INDEX.get(cn), cn is None)  # type: ignore[arg-type]
            self.slot_plans[msg_id] = plan
        ch_index, cn_index, no_host_slot = plan
        inserts = (c1, c2, c3)
        channel = None
        if ch_index is not None:
            value = inserts[ch_index]
            if value is not None:
                value = value.strip()
                channel = None if value in textlog.UNKNOWN_NAMES else value
        if channel is None:
            for text in (message, explanation):
                if text and "hannel" in text:
                    m = textlog._CHANNEL_Q.search(text)
                    if m:
                        value = m.group(1).strip()
                        if value not in textlog.UNKNOWN_NAMES:
                            channel = value
                            break
        conname = None
        if cn_index is not None:
            value = inserts[cn_index]
            if value is not None:
                value = value.strip()
                conname = None if value in textlog.UNKNOWN_NAMES else value
        if conname is None:
            for text in (message, explanation) if no_host_slot else (message,):
                if text and "ost '" in text:
                    m = textlog._HOST_Q.search(text)
                    if m:
                        value = m.group(1).strip()
                        if value not in textlog.UNKNOWN_NAMES:
                            conname = value
                            break
        if remote is not None:
            remote = remote.strip()
            if remote in textlog.UNKNOWN_NAMES:
                remote = None
        return (
            channel,
            (conname if conname is not None else remote),
            (remote if remote is not None else conname),
        )

    def entry(
        self,
        g: tuple[Any, ...],
        header_time: str,
        header: tuple[Any, ...],
        rest: tuple[Any, ...],
        raw: bytes,
        offset: int,
        line: int,
    ) -> bool:
        """Append one usual-layout entry; False when a check fails (the caller uses the reference)."""
        date_text, time_text, ampm = g[0], g[1], g[2]
        pid, tid, user, program, host, installation, vrmf, qmgr, time_value, remote, a1, a2, c1, c2, c3 = (
            header
        )
        number, letter, summary, heading, expl, action, mfile, mline = rest
        if ":" in summary or (letter is not None and letter not in textlog.SEVERITIES):
            return False
        heading = heading.rstrip()
        if not heading.endswith(":") or len(heading) > 60:
            return False
        if time_value is not None:
            # the fast regex only takes Time() in dates._ISO_USUAL's form, which parse_iso_utc reads
            # with fromisoformat; an impossible date goes to the reference (and its message)
            try:
                timestamp = _from_iso(time_value)
            except ValueError:
                return False
            source = "time_field"
        else:
            cache_key = (date_text, time_text, ampm)
            cached = self.local_cache.get(cache_key)
            if cached is not None:
                timestamp = cached
            else:
                probe: dict[str, Any] = {}
                full_time = f"{time_text} {ampm}" if ampm else time_text
                if textlog.resolve_timestamp(probe, None, date_text, full_time, self.ctx, []):
                    return False
                timestamp = probe["timestamp"]
                self.local_cache[cache_key] = timestamp
            source = "header_local"
        if pid is not None:
            pid = int(pid)
            tid = int(tid) if tid is not None else None
        if a1 is not None:
            a1 = int(a1)
        if a2 is not None:
            a2 = int(a2)
        msg_id = "AMQ" + number
        message = " ".join(summary.split()) or None  # textlog._clean, inlined (3 calls per entry)
        # explanations and actions repeat (same message, same channel): clean each text once
        explanation = self.cleaned[expl] or None
        action_text = self.cleaned[action]
        channel, conname, remote = self.names(msg_id, message, explanation, remote, c1, c2, c3)
        b = self.batch
        b.rows.append(
            (
                self.ctx.source_path,
                "text",
                offset,
                line,
                qmgr,
                host,
                installation,
                vrmf,
                pid,
                tid,
                program,
                user,
                timestamp,
                source,
                header_time,
                msg_id,
                letter,
                message,
                explanation,
                action_text or None,
                a1,
                a2,
                c1,
                c2,
                c3,
                remote,
                channel,
                conname,
                f"{mfile}:{mline}" if mfile else None,
                None,
                "utf-8",
                None,
            )
        )
        b.keys.append(_KEY_PREFIX + raw.strip())
        b.fast_rows += 1
        return True


_HEADER_ORDER = (
    "User",
    "Program",
    "Host",
    "Installation",
    "VRMF",
    "QMgr",
    "Time",
    "RemoteHost",
    "ArithInsert1",
    "ArithInsert2",
    "CommentInsert1",
    "CommentInsert2",
    "CommentInsert3",
)
# the header keys the fast pattern understands: Process plus the ordered pairs after it
_FAST_KEYS = frozenset(("Process", *_HEADER_ORDER))


def _header_fields(pairs_text: str) -> tuple[Any, ...] | None:
    """The usual header fields from generic pairs in any order, or None when the reference must
    read them (duplicated or unknown keys, values that are not plain numbers)."""
    pairs = textlog._PAIR_SIMPLE.findall(pairs_text)
    d = dict(pairs)
    if len(d) != len(pairs) or not d.keys() <= _FAST_KEYS:
        return None
    pid = tid = None
    proc = d.get("Process")
    if proc is not None:
        p, dot, t = proc.partition(".")
        if not (p.isdigit() and len(p) <= 18 and (not dot or (t.isdigit() and len(t) <= 18))):
            return None
        pid, tid = p, (t if dot else None)
    for key in ("ArithInsert1", "ArithInsert2"):
        v = d.get(key)
        if v is not None and not (v.isdigit() and len(v) <= 18):
            return None
    return (pid, tid, *(d.get(k) for k in _HEADER_ORDER))


def _block_end(data: bytes, pos: int, limit: int) -> int:
    """End of the trailer-delimited block starting at ``pos`` (the reference splitter's rule)."""
    m = textlog._TRAILER_AT_B.match(data, pos, limit) or textlog._TRAILER_NL_B.search(data, pos, limit)
    return m.end() if m is not None else limit


def _last_cut(buf: bytes, start: int, end: int) -> int:
    """Position just after the last complete trailer line inside ``buf[start:end]``, or -1."""
    i = buf.rfind(b"\n-----", start, end)
    while i >= 0:
        m = _TRAILER_CUT.match(buf, i, end)
        if m is not None:
            return m.end()
        i = buf.rfind(b"\n-----", start, i)
    return -1


def parse_columnar(
    stream: BinaryIO,
    ctx: FileContext,
    start_offset: int = 0,
    start_line: int = 1,
    include_partial: bool = True,
    slots: SlotTable | None = None,
    read_size: int = READ_SIZE,
    parser_class: type[_Parser] | None = None,
) -> Iterator[ColumnBatch]:
    """Parse a multi-line text log into ColumnBatches (one per region read), in file order
    (``parser_class``: a ``_Parser`` subclass, for experiments with other extraction engines).

    Gives exactly the rows and rejects of ``split_blocks`` + ``parse_block`` (Parsed.notes are not
    kept).  The file's last block without a trailer is parsed when ``include_partial``, else left in
    ``pending`` of the last batch (not counted in ``end_offset``).
    """
    parser = (parser_class or _Parser)(ctx, slots or default_slot_table())
    buf = b""
    base, line = start_offset, start_line
    while True:
        chunk = stream.read(read_size)
        if not chunk:
            break
        buf = buf + chunk if buf else chunk
        # the first line of the buffer may itself be a trailer (search from its "\n" onwards)
        cut = _last_cut(buf, 0, len(buf))
        if cut < 0 and buf.startswith(b"-----"):
            m = textlog._TRAILER_AT_B.match(buf)
            cut = m.end() if m is not None and buf[m.end() - 1 : m.end()] == b"\n" else -1
        if cut < 0:
            if len(buf) > GENERAL_AFTER:
                break  # no trailer in sight: the reference splitter bounds the memory from here
            continue
        region = buf[:cut]
        parser.region(region, base, line)
        parser.batch.end_offset = base + cut
        parser.batch.end_line = line = line + region.count(b"\n")
        parser.batch.tail = region[-ANCHOR_BYTES:]
        base += cut
        buf = buf[cut:]
        yield parser.batch
        parser.batch = ColumnBatch(end_offset=base, end_line=line)
    # the remainder (no complete trailer line in it, or a file without trailers) and the rest of the
    # stream: the reference splitter, which also decides which last block is incomplete
    batch = parser.batch
    batch.end_offset, batch.end_line = base, line
    tail = b""
    for block in textlog.split_blocks(_Chain(buf, stream), base, line):  # type: ignore[arg-type]
        complete = block.complete and block.data.endswith(b"\n")
        if not complete and not include_partial:
            batch.pending = block
            break
        parser.reference(block)
        batch.end_offset = block.offset + len(block.data)
        batch.end_line = block.line + block.data.count(b"\n")
        tail = (tail + block.data[-ANCHOR_BYTES:])[-ANCHOR_BYTES:]
    batch.tail = tail
    if batch.rows or batch.rejects or batch.pending is not None or tail:
        yield batch


def row_arrays(rows: list[tuple[Any, ...]]) -> list[pa.Array]:
    """One Arrow array per ROW_COLUMNS column (schemas.EVENTS types).  Raises pa.ArrowException,
    TypeError, ValueError or OverflowError when a value does not fit its column."""
    fields = list(schemas.EVENTS)[1:]
    if not rows:
        return [pa.array([], type=f.type) for f in fields]
    return [pa.array(col, type=f.type) for col, f in zip(zip(*rows, strict=True), fields, strict=True)]


def record_batch(
    batch: ColumnBatch, event_ids: list[str | None], arrays: list[pa.Array] | None = None
) -> pa.RecordBatch:
    """The batch's rows as an Arrow batch of ``schemas.EVENTS`` (``arrays``: its ``row_arrays`` if
    already built); rows whose id is None are left out (already ingested)."""
    if arrays is None:
        arrays = row_arrays(batch.rows)
    ids = pa.array(event_ids, type=pa.string())
    rb = pa.RecordBatch.from_arrays([ids, *arrays], schema=schemas.EVENTS)
    if ids.null_count:
        rb = rb.filter(pc.is_valid(ids))
    return rb


def by_partition(rb: pa.RecordBatch) -> list[tuple[str, pa.RecordBatch]]:
    """Split an events batch by the UTC day of ``timestamp`` (``YYYY-MM-DD``, or ``unknown``), rows in
    their order; the same partitions as ``writer.partition_of``."""
    if rb.num_rows == 0:
        return []
    days = pc.cast(rb.column("timestamp"), pa.date32())
    distinct = pc.unique(days).to_pylist()
    if len(distinct) == 1:
        day = distinct[0]
        return [(day.isoformat() if day is not None else UNKNOWN_DATE, rb)]
    out = []
    for day in sorted(distinct, key=lambda d: (d is None, d)):
        mask = pc.is_null(days) if day is None else pc.equal(days, pa.scalar(day, pa.date32()))
        out.append((day.isoformat() if day is not None else UNKNOWN_DATE, rb.filter(mask)))
    return out
