"""Read the classified rows slice by slice, keeping as ``Row`` objects only those episodes can use.

``prepare_rows`` turns a whole DataFrame into rows.  ``scan_slices`` does the same over a list of
slices (a Parquet row group each, converted to pandas ``BATCH_ROWS`` rows at a time) with the same
per-row decisions - timestamp, queue manager, copies, role - but builds a ``Row`` only for the
rows that can matter to an episode:

* rows whose role is failure, start or stop (segmentation, attachment by process and partner);
* in a second, narrow pass: rows an AMQ9999 points at (``context_event_id`` of a failure: the
  decisive row may defer to them) and rows that point at a channel-less failure (they name its
  channel).  The second pass reuses the first pass's verdict per row (skipped, placed or kept: one byte).

Everything else (informational entries, listener probes) is reduced at scan time to ``Facts``:
distinct (queue manager, host), (queue manager, channel) and (queue manager, channel, address,
connection name) values for the address book, the addresses of listener probes, and per-group
counts of channel-less probes for ``_timeline.json``.  ``rows`` and ``skipped`` are counters.

Copies (one entry in two logs) are found with a dictionary of (queue manager, millisecond, message
id, process, thread) keys.  Two rows of one key have the same millisecond, so the keys of a day can
be forgotten once no later slice can hold a row of that day (the slices say which days they may
hold; a slice that cannot say keeps every day).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.errors import InputError
from pipeline.timeline.builder import _NEEDED, Row, Shared, _values, make_row, pack_id
from pipeline.timeline.rows import (
    NOT_A_CHANNEL_FAILURE,
    Role,
    base_msg_id,
    clean_name,
    is_status_row,
    role_of,
)

BATCH_ROWS = 32_768            # rows converted to Python values at a time
DAY_MS = 86_400_000
COLUMNS = ("timestamp", *_NEEDED)
_LINK_COLUMNS = ("event_id", "channel", "context_event_id")   # what the second pass reads of every row
_PROBE = "listener_probe"

ProbeKey = tuple[str, str, str, str]

# the first pass's verdict per row, one byte each
_SKIPPED = 0   # no timestamp, no queue manager, or a copy
_PLACED = 1    # placed, reduced to Facts
_KEPT = 2      # placed and kept as a Row


@dataclass
class Facts:
    """What the rows that are not kept still tell the timeline, as distinct values."""

    qmgrs: set[str] = field(default_factory=set)
    hosts: set[tuple[str, str]] = field(default_factory=set)
    ends: set[tuple[str, str]] = field(default_factory=set)               # (qmgr, channel) named by a row
    addresses: set[tuple[str, str, str | None, str | None]] = field(default_factory=set)
    probe_addresses: set[str | None] = field(default_factory=set)         # remote address of listener probes
    # channel-less listener-probe log entries: key -> [count, first ts, last ts, order of the first]
    probe_groups: dict[ProbeKey, list[int]] = field(default_factory=dict)

    def channel_ends(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for qmgr, channel in self.ends:
            found.setdefault(channel, set()).add(qmgr)
        return found


@dataclass
class Scan:
    rows: list[Row]                 # the kept rows, in table order
    placed: int                     # rows with a timestamp and a queue manager, copies excluded
    skipped: dict[str, int]
    facts: Facts


@dataclass
class Slice:
    """A piece of the classified table: ``load(columns)`` returns it as a DataFrame (in pieces).

    ``days`` is the range of UTC days (epoch milliseconds // DAY_MS) its timestamps may fall in,
    None when unknown; it only lets the copy keys of earlier days be forgotten."""

    load: Callable[[Sequence[str]], Iterator[pd.DataFrame]]
    rows: int
    days: tuple[int, int] | None = None


class _Placer:
    """The per-row decisions of ``prepare_rows``: placed or skipped (and why), copies."""

    def __init__(self) -> None:
        self.skipped = {"no_timestamp": 0, "no_qmgr": 0, "copies": 0}
        self.placed = 0
        self.copies: dict[int, dict[tuple[Any, ...], str | None]] = {}
        self.msg_ids: dict[Any, str | None] = {}

    def msg(self, raw: Any) -> str | None:
        if raw not in self.msg_ids:
            self.msg_ids[raw] = base_msg_id(raw)
        return self.msg_ids[raw]

    def place(self, missing_ts: bool, ms: int, cols: dict[str, list[Any]], i: int) -> bool:
        if missing_ts:
            self.skipped["no_timestamp"] += 1
            return False
        qmgr = cols["qmgr"][i]
        if qmgr is None:
            self.skipped["no_qmgr"] += 1
            return False
        if not is_status_row(cols["source_format"][i]):
            key = (qmgr, ms, self.msg(cols["msg_id"][i]), cols["pid"][i], cols["tid"][i])
            path = cols["source_path"][i]
            seen = self.copies.setdefault(ms // DAY_MS, {})
            if key in seen and seen[key] != path:
                self.skipped["copies"] += 1
                return False
            seen.setdefault(key, path)
        self.placed += 1
        return True

    def forget(self, needed: Callable[[int], bool]) -> None:
        for day in [d for d in self.copies if not needed(d)]:
            del self.copies[day]


def _columns(frame: pd.DataFrame, names: Sequence[str]) -> tuple[Any, list[int], dict[str, list[Any]]]:
    stamps = pd.to_datetime(frame["timestamp"], utc=True)
    missing_ts = stamps.isna().to_numpy()
    millis = stamps.astype("datetime64[ms, UTC]").to_numpy(dtype="datetime64[ms]").astype("int64").tolist()
    return missing_ts, millis, {name: _values(frame, name) for name in names}


def _needed_later(slices: Sequence[Slice], index: int) -> Callable[[int], bool]:
    later = [s.days for s in slices[index + 1:]]
    if any(days is None for days in later):
        return lambda day: True
    return lambda day: any(lo <= day <= hi for lo, hi in later)  # type: ignore[misc]


def scan_slices(slices: Iterable[Slice]) -> Scan:
    """Two passes over ``slices`` (which must yield the same rows both times)."""
    slices = list(slices)
    placer = _Placer()
    facts = Facts()
    rows: list[Row] = []
    names: dict[Any, str | None] = {}
    ints: dict[int | None, int | None] = {}
    shared: dict[tuple[Any, ...], Shared] = {}
    placed = bytearray()   # one byte per row: _SKIPPED, _PLACED or _KEPT (the second pass reads no copy keys)
    order = 0
    for index, piece in enumerate(slices):
        for frame in piece.load(COLUMNS):
            missing_ts, millis, cols = _columns(frame, _NEEDED)
            for i in range(len(frame)):
                ms = millis[i]
                if not placer.place(bool(missing_ts[i]), ms, cols, i):
                    placed.append(_SKIPPED)
                    order += 1
                    continue
                raw_name = cols["channel"][i]
                channel = names[raw_name] if raw_name in names else names.setdefault(raw_name, clean_name(raw_name))
                status_row = is_status_row(cols["source_format"][i])
                phase = cols["phase"][i] or "other"
                cause = cols["cause"][i] or "unknown"
                role = role_of(phase, cause, cols["status"][i], status_row)
                if role is not Role.IGNORE:
                    row = make_row(order, cols, i, ms, status_row, channel, placer.msg(cols["msg_id"][i]), shared)
                    # one object per distinct process id and thread id, not one per row
                    row.pid = ints.setdefault(row.pid, row.pid)
                    row.tid = ints.setdefault(row.tid, row.tid)
                    rows.append(row)
                placed.append(_PLACED if role is Role.IGNORE else _KEPT)
                _learn(facts, cols, i, ms, order, channel, status_row, cause, placer)
                order += 1
        placer.forget(_needed_later(slices, index))
    extras = _linked_rows(slices, rows, placed, names)
    if extras:
        rows = sorted(rows + extras, key=lambda row: row.order)
    return Scan(rows=rows, placed=placer.placed, skipped=dict(placer.skipped), facts=facts)


def _learn(facts: Facts, cols: dict[str, list[Any]], i: int, ms: int, order: int, channel: str | None,
           status_row: bool, cause: str, placer: _Placer) -> None:
    qmgr = cols["qmgr"][i]
    facts.qmgrs.add(qmgr)
    host = cols["host"][i]
    if host:
        facts.hosts.add((qmgr, host))
    remote = cols["remote_address"][i]
    if channel:
        facts.ends.add((qmgr, channel))
        conname = cols["conname"][i]
        if remote or conname:
            facts.addresses.add((qmgr, channel, remote, conname))
    if cause in NOT_A_CHANNEL_FAILURE:
        facts.probe_addresses.add(remote)
    if cause == _PROBE and not channel and not status_row:
        key = (qmgr or "", cause, placer.msg(cols["msg_id"][i]) or "", remote or "")
        group = facts.probe_groups.get(key)
        if group is None:
            facts.probe_groups[key] = [1, ms, ms, order]
        else:
            group[0] += 1
            group[1] = min(group[1], ms)
            group[2] = max(group[2], ms)


def _linked_rows(slices: Sequence[Slice], kept: list[Row], placed: bytearray,
                 names: dict[Any, str | None]) -> list[Row]:
    """Rows not kept that a kept failure needs: the row its ``context_event_id`` names, and rows
    naming a channel whose ``context_event_id`` is a channel-less failure entry.

    Only placed rows that are not kept already count (``placed``: the first pass's verdict per row,
    in table order).  Ids are compared packed (``pack_id``), as the kept rows hold them."""
    referenced = {row.context_event_id for row in kept if row.role is Role.FAILURE and row.context_event_id}
    orphans = {row.event_id for row in kept
               if row.role is Role.FAILURE and not row.channel and not row.status_row}
    if not referenced and not orphans:
        return []
    msg_ids: dict[Any, str | None] = {}
    found: list[Row] = []
    order = 0
    for piece in slices:
        # first only the link columns; the whole row only where one matches
        wanted: dict[int, list[tuple[int, int, str | None]]] = {}
        for batch, frame in enumerate(piece.load(_LINK_COLUMNS)):
            cols = {name: _values(frame, name) for name in _LINK_COLUMNS}
            for i in range(len(frame)):
                here = order
                order += 1
                if here >= len(placed) or placed[here] != _PLACED:
                    continue
                event_id = pack_id(cols["event_id"][i] or f"row{here}")
                raw_name = cols["channel"][i]
                channel = names[raw_name] if raw_name in names else names.setdefault(raw_name, clean_name(raw_name))
                if event_id in referenced or (channel and pack_id(cols["context_event_id"][i]) in orphans):
                    wanted.setdefault(batch, []).append((i, here, channel))
        if wanted:
            for batch, frame in enumerate(piece.load(COLUMNS)):
                if batch not in wanted:
                    continue
                _, millis, full = _columns(frame, _NEEDED)
                for i, here, channel in wanted[batch]:
                    raw_msg = full["msg_id"][i]
                    msg = msg_ids[raw_msg] if raw_msg in msg_ids else msg_ids.setdefault(raw_msg, base_msg_id(raw_msg))
                    found.append(make_row(here, full, i, millis[i], is_status_row(full["source_format"][i]), channel,
                                          msg))
    if order != len(placed):   # both passes read the same rows; anything else is a changed input
        raise InputError(f"the classified table changed while the timeline read it ({len(placed)} rows, then {order})")
    return found


def frame_slices(frame: pd.DataFrame, slice_rows: int | None = None, batch_rows: int = BATCH_ROWS) -> list[Slice]:
    """A DataFrame as slices of ``slice_rows`` rows (all in one by default), loaded ``batch_rows`` at a time;
    each slice knows its days, as a file does."""
    size = max(1, slice_rows or len(frame))
    slices = []
    for start in range(0, max(len(frame), 1), size):
        part = frame.iloc[start:start + size]
        slices.append(Slice(load=functools.partial(_frame_batches, part, batch_rows), rows=len(part),
                            days=_frame_days(part)))
    return slices


def _frame_batches(part: pd.DataFrame, batch_rows: int, columns: Sequence[str]) -> Iterator[pd.DataFrame]:
    for start in range(0, len(part), batch_rows):
        yield part.iloc[start:start + batch_rows].reindex(columns=list(columns))


def _frame_days(part: pd.DataFrame) -> tuple[int, int] | None:
    if "timestamp" not in part.columns:
        return None
    stamps = pd.to_datetime(part["timestamp"], utc=True).dropna()
    if stamps.empty:
        return (1, 0)
    millis = stamps.astype("datetime64[ms, UTC]").to_numpy(dtype="datetime64[ms]").astype("int64")
    return (int(millis.min()) // DAY_MS - 1, int(millis.max()) // DAY_MS + 1)
