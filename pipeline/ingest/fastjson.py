"""The fast path for JSON error logs (AMQERR0n.json): whole chunks in, row tuples out.

``jsonlog.parse_json_line`` is the reference: one line, one row dict, every key lower-cased and
looked up on every line.  Real files repeat a handful of key sequences (MQ writes its keys in a fixed
order and leaves out the empty inserts), so ``parse_json_columnar`` works out once per key sequence a
*plan* - which key feeds which events column, which keys end up in ``extra``, where the message id,
level, time and message are - and a row is then a few C-level steps over the decoded object: one
``itemgetter`` for all modelled values, one type check of that tuple (the type sequences a plan has
accepted are remembered), and one final ``itemgetter`` that lays the values out in
``fastpath.ROW_COLUMNS`` order.  Message ids, log levels, the ``extra`` text of all-string extra
values and the message text with the names quoted in it are cached per file.

Lines are cut from large chunks with ``bytes.split``, exactly as the runner's ``_lines`` cuts them:
a line ends after ``\\n``; a line longer than ``max_line`` bytes (newline not counted) is rejected with
the runner's reason and is never buffered beyond ``max_line`` plus one read; blank lines are
skipped; the body handed to the parser is the line without its trailing CR/LF; a last line without
newline is parsed when ``include_partial`` and otherwise left in ``pending``.

Whatever a plan does not cover exactly goes through ``jsonlog.parse_json_line`` for that line, so
results are identical by construction: undecodable or non-object JSON, text around the object, keys
repeated in another spelling, a missing or odd message id, a time that is not a string or that
``dates.parse_iso_utc`` refuses, a ``\\uD8xx`` escape, an insert slot that is not an insert column.
Values of unexpected types in modelled columns (a number for the host, a string for the pid) stay
on the fast path but go through ``jsonlog``'s own converters.  ``tests/ingest/test_fastjson.py``
compares both paths row for row and reject for reject.

Assumptions: the runner's line path is what must be reproduced, including ``raw_length`` of a
reject being the whole line with its newline (``Reject.length``); ``Parsed.notes`` are not kept
(the runner does not write them); the slot table does not change while a file is read.  After an
overlong line, ``tail`` holds the line's real last bytes (the line path reads them back from the
file when it writes the resume anchor).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from operator import itemgetter
from typing import Any, BinaryIO

from pipeline.ingest import dates, jsonlog
from pipeline.ingest.decode import decode_entry
from pipeline.ingest.fastpath import ROW_COLUMNS, ColumnBatch
from pipeline.ingest.ids import entry_key
from pipeline.ingest.records import RAW_LIMIT, FileContext, Parsed, RawBlock, Reject
from pipeline.ingest.slots import SLOTS, SlotTable, default_slot_table
from pipeline.ingest.state import ANCHOR_BYTES  # bytes of consumed data kept for the resume anchor
from pipeline.ingest.textlog import _CHANNEL_Q, _HOST_Q, SEVERITIES, _known_name

MAX_LINE = 16 * 1024 * 1024  # the runner's MAX_LINE; the runner passes its own value
READ_SIZE = 4 << 20  # bytes read per step; a batch ends after the last newline read
MAX_PLANS = 256  # key sequences remembered per file (a hostile file cannot grow memory)
MAX_CACHED = 4096  # message ids, log levels and extra values remembered per file

_STR_OR_NONE = frozenset((str, type(None)))
_INT_ONLY = frozenset((int,))
_INT64_MIN, _INT64_END = -(2**63), 2**63
_scan = jsonlog._DECODER.scan_once  # type: ignore[attr-defined]  # the C scanner decode() uses

# The fixed part of every fast row, in this order, before the plan's gathered values.
_FIXED = (
    "source_path",
    "source_format",
    "source_offset",
    "source_line",
    "timestamp",
    "timestamp_source",
    "msg_id",
    "severity",
    "message",
    "encoding",
    "extra",
    "channel",
    "conname",
    "remote_host",
)
_NONE_AT = len(_FIXED)  # index of the None every unfilled column points at


def _getter(keys: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """``obj -> tuple of obj[k] for k in keys`` (itemgetter, but always a tuple)."""
    if not keys:
        return lambda obj: ()
    if len(keys) == 1:
        key = keys[0]
        return lambda obj: (obj[key],)
    return itemgetter(*keys)


class _Plan:
    """How to read an object with one key sequence (built once, used for every such line).

    The modelled values are gathered in one tuple ``data``: string columns, then comment inserts,
    then pid/tid, then arith inserts (``comment_from``, ``int_from``, ``arith_from`` mark the
    parts); ``data_index[column]`` is where a column's value is.  When two keys feed one column
    (two spellings of an insert) the later key wins, as in the reference's key loop.
    """

    __slots__ = (
        "id_key",
        "time_key",
        "level_key",
        "message_key",
        "modelled",
        "modelled_names",
        "comment_from",
        "int_from",
        "arith_from",
        "size",
        "plain_types",
        "extra_names",
        "extras",
        "extra_cache",
        "data_index",
        "remote_at",
        "gather",
        "names",
    )

    def __init__(self, keys: tuple[str, ...]) -> None:
        lows = [k.lower() for k in keys]
        where = dict(zip(lows, keys, strict=True))
        self.id_key = next(where[k] for k in jsonlog._ID_KEYS if k in where)
        self.time_key = where["ibm_datetime"]
        self.level_key = where.get("loglevel")
        self.message_key = where.get("message")
        groups: dict[str, list[tuple[str, str]]] = {"s": [], "c": [], "i": [], "a": []}
        extra_names: list[str] = []
        for low, key in zip(lows, keys, strict=True):
            if low in jsonlog._STRING_KEYS:
                groups["s"].append((key, jsonlog._STRING_KEYS[low]))
            elif low in jsonlog._INT_KEYS:
                groups["i"].append((key, jsonlog._INT_KEYS[low]))
            elif low in jsonlog._ARITH_KEYS:
                groups["a"].append((key, jsonlog._ARITH_KEYS[low]))
            elif low in jsonlog._COMMENT_KEYS:
                groups["c"].append((key, jsonlog._COMMENT_KEYS[low]))
            elif low not in jsonlog._HANDLED:
                extra_names.append(key)
        pairs = groups["s"] + groups["c"] + groups["i"] + groups["a"]
        self.modelled = _getter([k for k, _ in pairs])
        self.modelled_names = tuple(k for k, _ in pairs)
        self.comment_from = len(groups["s"])
        self.int_from = self.comment_from + len(groups["c"])
        self.arith_from = self.int_from + len(groups["i"])
        self.size = len(pairs)
        self.plain_types: set[tuple[type, ...]] = set()
        self.extra_names = tuple(extra_names)
        self.extras = _getter(extra_names)
        self.extra_cache: dict[tuple[Any, ...], str | None] = {}
        self.data_index: dict[str, int] = {column: i for i, (_key, column) in enumerate(pairs)}
        self.remote_at = self.data_index.get("remote_host")
        fixed = {name: i for i, name in enumerate(_FIXED)}
        self.gather = itemgetter(
            *(
                fixed[name]
                if name in fixed
                else _NONE_AT + 1 + self.data_index[name]
                if name in self.data_index
                else _NONE_AT
                for name in ROW_COLUMNS
            )
        )
        # msg_id -> (data index of the channel slot, of the conname slot); -1: no slot, or the
        # slot's key is not in this key sequence (its value is None)
        self.names: dict[str, tuple[int, int]] = {}

    def accept(self, types: tuple[type, ...]) -> bool:
        """Whether values of these types pass unconverted (text or null where text is modelled,
        int where numbers are); remembered when they do."""
        text, numbers = types[: self.int_from], types[self.int_from :]
        if not (_STR_OR_NONE.issuperset(text) and _INT_ONLY.issuperset(numbers)):
            return False
        if len(self.plain_types) < MAX_PLANS:
            self.plain_types.add(types)
        return True

    def convert(
        self, data: tuple[Any, ...], more: dict[str, Any] | None
    ) -> tuple[tuple[Any, ...], dict[str, Any] | None]:
        """Every modelled value through jsonlog's converters (as the reference's key loop does);
        ``more`` gains the raw non-numeric pid/tid/arith values that go to ``extra``."""
        out: list[Any] = []
        for i, (name, value) in enumerate(zip(self.modelled_names, data, strict=True)):
            if i < self.comment_from:
                out.append(jsonlog._as_text(value))
            elif i < self.int_from:
                out.append(jsonlog._as_text(value) or None)
            else:
                num = jsonlog._as_int(value)
                out.append(num if i < self.arith_from else (num or None))
                if num is None and value is not None:
                    more = more if more is not None else {}
                    more[name] = value
        return tuple(out), more


def _plan_for(keys: tuple[str, ...]) -> _Plan | None:
    """The plan of a key sequence, or None when the reference must read such lines (keys repeated
    in another spelling, no message id key, no ibm_datetime key)."""
    lows = [k.lower() for k in keys]
    if len(set(lows)) != len(lows) or "ibm_datetime" not in lows:
        return None
    if not any(k in lows for k in jsonlog._ID_KEYS):
        return None
    return _Plan(keys)


class _Parser:
    """One file's state: context, slot table, plans and caches, the batch being filled."""

    def __init__(self, ctx: FileContext, slots: SlotTable, max_line: int) -> None:
        self.ctx = ctx
        self.slots = slots
        self.max_line = max_line
        self.plans: dict[tuple[str, ...], _Plan | None] = {}
        self.ids: dict[str, tuple[str, str | None] | None] = {}
        self.levels: dict[str, str | None] = {}
        self.messages: dict[str, tuple[str | None, str | None, str | None]] = {}
        self.batch = ColumnBatch()

    # -- reference path -----------------------------------------------------------------
    def reference(self, body: bytes, offset: int, line: int, length: int) -> None:
        try:
            item = jsonlog.parse_json_line(body, offset, line, self.ctx, self.slots)
        except Exception as exc:  # a parser bug on one line: reject it and go on (as the runner does)
            item = Reject(offset, line, f"parser error: {type(exc).__name__}: {exc}", body, "json")
        b = self.batch
        if isinstance(item, Reject):
            b.rejects.append(replace(item, length=length))  # raw_length: the whole line, newline included
            return
        row = item.row
        b.rows.append(tuple([row.get(name) for name in ROW_COLUMNS]))
        b.keys.append(item.content_key)

    def overlong(self, head: bytes, offset: int, line: int, length: int) -> None:
        """Reject a line longer than max_line (``head``: its first bytes; the runner keeps what its
        ``readline(max_line + 1)`` returned, cut to RAW_LIMIT)."""
        b = self.batch
        raw = head[: min(RAW_LIMIT, self.max_line + 1)]
        b.rejects.append(
            Reject(
                offset, line, f"line longer than {self.max_line} bytes ({length} bytes)", raw, "json", length
            )
        )

    # -- lines ------------------------------------------------------------------------------
    def region(self, data: bytes, offset: int, line: int) -> None:
        """Every line of ``data`` (which ends with a newline)."""
        lines = data.split(b"\n")
        lines.pop()
        fast = self.fast
        max_line = self.max_line
        for raw in lines:
            n = len(raw) + 1
            if n > max_line + 1:
                self.overlong(raw, offset, line, n)
            elif raw[:1] == b"{" or raw.strip():
                body = raw if raw[-1:] != b"\r" else raw.rstrip(b"\r")
                if not fast(body, offset, line):
                    self.reference(body, offset, line, n)
            offset += n
            line += 1

    def last_line(self, raw: bytes, offset: int, line: int) -> None:
        """A last line without newline (at most max_line bytes), parsed as the runner parses it."""
        if raw.strip():
            body = raw.rstrip(b"\r\n")
            if not self.fast(body, offset, line):
                self.reference(body, offset, line, len(raw))

    # -- fast path ----------------------------------------------------------------------
    def fast(self, body: bytes, offset: int, line: int) -> bool:
        """Append the row of one line; False (nothing appended) when the reference must read it."""
        text, encoding = decode_entry(body, self.ctx.fallback_encoding)
        text = text.strip()
        if not text or text[0] != "{" or ("\\" in text and jsonlog._SURROGATE_ESCAPE.search(text)):
            return False
        # the decoder's C scanner on the whole text: what ``decode`` does for text that starts with
        # the object and ends with it (anything else, or an error, is the reference's to report)
        try:
            obj, end = _scan(text, 0)
        except (StopIteration, ValueError, RecursionError):
            return False
        if end != len(text) or type(obj) is not dict:
            return False
        keys = tuple(obj)
        try:
            plan = self.plans[keys]
        except KeyError:
            plan = _plan_for(keys)
            if len(self.plans) < MAX_PLANS:
                self.plans[keys] = plan
        if plan is None:
            return False

        # message id and severity
        msg_raw = obj[plan.id_key]
        if type(msg_raw) is not str:
            return False
        if msg_raw in self.ids:
            ident = self.ids[msg_raw]
        else:
            m = jsonlog._MSG_ID.fullmatch(msg_raw)
            ident = (m.group(1), m.group(2)) if m is not None else None
            if len(self.ids) < MAX_CACHED:
                self.ids[msg_raw] = ident
        if ident is None:
            return False
        msg_id, letter = ident
        more: dict[str, Any] | None = None  # extra entries beyond the plan's extra keys
        severity: str | None = None
        if letter in SEVERITIES:
            severity = letter
        elif letter:
            more = {"severity_letter": letter}
        if severity is None and plan.level_key is not None:
            level = obj[plan.level_key]
            if type(level) is str:
                if level in self.levels:
                    severity = self.levels[level]
                else:
                    severity = jsonlog._LOGLEVEL.get(level.strip().upper())
                    if len(self.levels) < MAX_CACHED:
                        self.levels[level] = severity
            else:
                severity = jsonlog._LOGLEVEL.get(str(level).strip().upper())

        # time
        dt_raw = obj[plan.time_key]
        if type(dt_raw) is not str:
            return False
        try:
            timestamp = dates.parse_iso_utc(dt_raw)
        except dates.DateError:
            return False

        # modelled columns: the usual types pass as they are (the plan remembers the type sequences
        # it has accepted); other types go through jsonlog's converters
        data = plan.modelled(obj)
        types = tuple(map(type, data))
        if types not in plan.plain_types and not plan.accept(types):
            data, more = plan.convert(data, more)
        elif plan.int_from < plan.size:
            numbers = data[plan.int_from :]
            if not (_INT64_MIN <= min(numbers) and max(numbers) < _INT64_END):
                data, more = plan.convert(data, more)
            elif 0 in numbers[plan.arith_from - plan.int_from :]:
                data = (*data[: plan.arith_from], *[v or None for v in data[plan.arith_from :]])
        if "" in data[plan.comment_from : plan.int_from]:
            data = tuple(
                [v or None if plan.comment_from <= i < plan.int_from else v for i, v in enumerate(data)]
            )

        # extra: the plan's extra keys (their JSON text cached per distinct all-string values)
        ev = plan.extras(obj)
        if more is None:
            try:
                extra = plan.extra_cache[ev]
            except (KeyError, TypeError):  # TypeError: a list or object value (unhashable)
                extra = _extra_text(dict(zip(plan.extra_names, ev, strict=True)))
                if _STR_OR_NONE.issuperset(map(type, ev)) and len(plan.extra_cache) < MAX_CACHED:
                    plan.extra_cache[ev] = extra
        else:
            values = dict(zip(plan.extra_names, ev, strict=True))
            if "severity_letter" in more:
                values.setdefault("severity_letter", more.pop("severity_letter"))
            values.update(more)
            extra = _extra_text(values)

        # message text without its "AMQnnnnX: " prefix, and the names quoted in it
        raw_message = obj[plan.message_key] if plan.message_key is not None else None
        if type(raw_message) is str:
            said = self.messages.get(raw_message)
            if said is None:
                said = _message_parts(raw_message)
                if len(self.messages) >= MAX_CACHED:
                    self.messages.clear()
                self.messages[raw_message] = said
        else:
            said = _message_parts(raw_message)
        message = said[0]

        names = self.channel_names(plan, msg_id, data, said)
        if names is None:
            return False
        channel, conname, remote = names
        b = self.batch
        b.rows.append(
            plan.gather(
                (
                    self.ctx.source_path,
                    "json",
                    offset,
                    line,
                    timestamp,
                    "ibm_datetime",
                    msg_id,
                    severity,
                    message,
                    encoding,
                    extra,
                    channel,
                    conname,
                    remote,
                    None,
                    *data,
                )
            )
        )
        b.keys.append(entry_key("json", body))
        b.fast_rows += 1
        return True

    def channel_names(
        self, plan: _Plan, msg_id: str, data: tuple[Any, ...], said: tuple[str | None, str | None, str | None]
    ) -> tuple[str | None, str | None, str | None] | None:
        """(channel, conname, remote_host) exactly as ``textlog.fill_channel_conname`` sets them for
        a JSON row (no explanation text; ``said``: ``_message_parts`` of the message); None when a
        slot is not an insert column."""
        spec = plan.names.get(msg_id)
        if spec is None:
            roles = self.slots.roles.get(msg_id) or {}
            ch_slot, cn_slot = roles.get("channel"), roles.get("conname")
            if (ch_slot and ch_slot not in SLOTS) or (cn_slot and cn_slot not in SLOTS):
                return None
            spec = (
                plan.data_index.get(ch_slot, -1) if ch_slot else -1,
                plan.data_index.get(cn_slot, -1) if cn_slot else -1,
            )
            plan.names[msg_id] = spec
        ch_at, cn_at = spec
        channel = _known_name(data[ch_at]) if ch_at >= 0 else None
        if channel is None:
            channel = said[1]
        conname = _known_name(data[cn_at]) if cn_at >= 0 else None
        if conname is None:
            conname = said[2]
        remote = _known_name(data[plan.remote_at]) if plan.remote_at is not None else None
        return (
            channel,
            (conname if conname is not None else remote),
            (remote if remote is not None else conname),
        )


def _message_parts(value: Any) -> tuple[str | None, str | None, str | None]:
    """(message column, channel quoted in it, host quoted in it) from a JSON ``message`` value, as
    ``parse_json_line`` and ``fill_channel_conname`` read them."""
    if value is None:
        return None, None, None
    text = jsonlog._as_text(value) or ""
    pm = jsonlog._MSG_PREFIX.match(text)
    message = (text[pm.end() :] if pm else text).strip() or None
    channel = host = None
    if message:
        if "hannel" in message:
            m = _CHANNEL_Q.search(message)
            if m:
                channel = _known_name(m.group(1))
        if "ost '" in message:
            m = _HOST_Q.search(message)
            if m:
                host = _known_name(m.group(1))
    return message, channel, host


def _extra_text(values: dict[str, Any]) -> str | None:
    if not values:
        return None
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def parse_json_columnar(
    stream: BinaryIO,
    ctx: FileContext,
    start_offset: int = 0,
    start_line: int = 1,
    include_partial: bool = True,
    slots: SlotTable | None = None,
    read_size: int = READ_SIZE,
    max_line: int = MAX_LINE,
) -> Iterator[ColumnBatch]:
    """Parse a JSON error log into ColumnBatches (one per chunk read), in file order.

    Gives exactly the rows and rejects of the runner's line path (``_lines`` + ``parse_json_line``
    on each non-blank line without its CR/LF; Parsed.notes are not kept).  ``end_offset`` and
    ``end_line`` point after the last line consumed, ``tail`` holds the last bytes consumed.  A last
    line without newline is parsed when ``include_partial``, else left in ``pending`` of the last
    batch (not counted in ``end_offset``).
    """
    parser = _Parser(ctx, slots or default_slot_table(), max_line)
    base, line = start_offset, start_line
    buf = b""
    eof = False
    while not eof:
        chunk = stream.read(read_size)
        if not chunk:
            break
        buf = buf + chunk if buf else chunk
        cut = buf.rfind(b"\n") + 1
        if cut == 0:
            if len(buf) <= max_line:
                continue
            # a line longer than max_line: keep its head and last bytes, drop the rest as it comes
            head, length, last = buf[:RAW_LIMIT], len(buf), buf[-ANCHOR_BYTES:]
            buf = b""
            while True:
                chunk = stream.read(read_size)
                if not chunk:
                    eof = True
                    break
                i = chunk.find(b"\n")
                if i >= 0:
                    length += i + 1
                    last = (last + chunk[: i + 1])[-ANCHOR_BYTES:]
                    buf = chunk[i + 1 :]
                    break
                length += len(chunk)
                last = (last + chunk)[-ANCHOR_BYTES:]
            parser.overlong(head, base, line, length)
            base += length
            line += 1
            parser.batch.tail = last
        else:
            region = buf[:cut]
            buf = buf[cut:]
            parser.region(region, base, line)
            base += cut
            line += region.count(b"\n")
            parser.batch.tail = region[-ANCHOR_BYTES:]
        batch = parser.batch
        batch.end_offset, batch.end_line = base, line
        yield batch
        parser.batch = ColumnBatch(end_offset=base, end_line=line)
    batch = parser.batch
    cut = buf.rfind(b"\n") + 1
    if cut:  # complete lines left after an overlong line that ended in the last chunk
        region = buf[:cut]
        buf = buf[cut:]
        parser.region(region, base, line)
        base += cut
        line += region.count(b"\n")
        batch.tail = region[-ANCHOR_BYTES:]
    if buf:
        if len(buf) > max_line:  # (only when read_size > max_line) overlong even without newline
            parser.overlong(buf, base, line, len(buf))
        elif include_partial:
            parser.last_line(buf, base, line)
        else:
            batch.pending = RawBlock(base, line, buf, False)
        if batch.pending is None:
            base += len(buf)
            line += 1
            batch.tail = (batch.tail + buf[-ANCHOR_BYTES:])[-ANCHOR_BYTES:]
    if cut or buf:
        batch.end_offset, batch.end_line = base, line
        yield batch


def parsed_row(item: Parsed) -> tuple[Any, ...]:
    """A reference Parsed row as a tuple in ROW_COLUMNS order (as the runner batches it)."""
    return tuple([item.row.get(name) for name in ROW_COLUMNS])
