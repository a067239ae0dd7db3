"""Cut the classified rows of each channel end into failure episodes.

One channel end is a (queue manager, channel) pair.  Its rows, in time order, open an episode
at the first failure; the episode closes when the channel starts or runs again (resolved), when
an operator stops it, after a quiet gap with no failure, or when a failure with a different
specific cause arrives (the first fault was fixed and the next one shows: a new episode).

Rows that name no channel (AMQ9202 names only the host, AMQ9616 only the remote address, an
AMQ9633 for channel ``????``) are first given one: from the AMQ9999 that points at them
(``context_event_id``), from the next entry of the same process and thread, or - in
``attach.py`` - from the partner's episode at the same time on the address they name.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import pandas as pd

from pipeline.timeline.rows import (
    Rank,
    Role,
    base_msg_id,
    clean_name,
    is_status_row,
    rank_of,
    role_of,
)
from pipeline.timeline.vocab import Vocabulary

MS = 1000
ATTEMPT_GAP_MS = 10 * MS        # failure rows closer than this belong to one connection attempt
PROCESS_WINDOW_MS = 10 * MS     # a channel-less entry takes the channel of its process's next entry within this
STATUS_START_SLACK_MS = 5 * MS  # a RUNNING status row and the log's AMQ9002 for the same start
FAILOVER_WINDOW_MS = 60 * MS    # network-only failures resolved this fast are a multi-address CONNAME failing over

_METHOD_ORDER = {"rule": 0, "model": 1}

EventKey = int | str   # an event id as a Row holds it (see ``pack_id``)
_ID_MARK = 1 << 128    # set in every packed id


@overload
def pack_id(text: str) -> EventKey: ...
@overload
def pack_id(text: str | None) -> EventKey | None: ...


def pack_id(text: str | None) -> EventKey | None:
    """An event id as the timeline keeps it: a 32-digit lowercase hex id (what ingest writes) as its
    integer - 48 bytes instead of a 96-byte string, for hundreds of thousands of kept rows - and any
    other id as it is.  Two ids are equal exactly when their packed forms are; ``id_text`` undoes it.
    A leading 1 bit (bit 128) keeps every packed id true, as every id text is."""
    if text is not None and len(text) == 32:
        try:
            value = int(text, 16)
        except ValueError:
            return text
        if format(value, "032x") == text:   # only when the text comes back exactly (no 0x, _, +, capitals)
            return value | _ID_MARK
    return text


def id_text(key: EventKey | None) -> str | None:
    """The event id text of a packed id."""
    if key is None or isinstance(key, str):
        return key
    return format(key ^ _ID_MARK, "032x")


@dataclass(frozen=True, slots=True)
class Shared:
    """The values of a row that many rows have in common (one object per distinct combination)."""

    status_row: bool
    qmgr: str | None
    host: str | None
    conname: str | None
    msg_id: str | None
    phase: str
    cause: str
    method: str | None
    confidence: float
    remote_address: str | None
    status: str | None
    role: Role
    rank: Rank


class Row:
    """One classified row, reduced to what the timeline reads.

    The values of its own (position, ids, time, channel, process) are slots; the rest is a
    ``Shared`` object that rows with the same values share (``make_row``'s ``shared`` dictionary),
    read through the properties below: about 112 bytes a row instead of 208 for 21 slots."""

    __slots__ = ("order", "event_id", "ts", "channel", "pid", "tid", "context_event_id", "attached_via", "shared")

    order: int
    event_id: EventKey                  # packed (``pack_id``); ``id_text`` gives the text
    ts: int                             # epoch milliseconds, UTC
    channel: str | None
    pid: int | None
    tid: int | None
    context_event_id: EventKey | None   # packed, like event_id
    attached_via: str | None
    shared: Shared

    def __init__(self, order: int, event_id: EventKey, ts: int, channel: str | None, pid: int | None,
                 tid: int | None, context_event_id: EventKey | None, shared: Shared) -> None:
        self.order = order
        self.event_id = event_id
        self.ts = ts
        self.channel = channel
        self.pid = pid
        self.tid = tid
        self.context_event_id = context_event_id
        self.attached_via = None
        self.shared = shared

    def __repr__(self) -> str:
        return (f"Row(order={self.order}, event_id={id_text(self.event_id)!r}, ts={self.ts}, "
                f"channel={self.channel!r}, {self.shared!r})")

    @property
    def status_row(self) -> bool:
        return self.shared.status_row

    @property
    def qmgr(self) -> str | None:
        return self.shared.qmgr

    @property
    def host(self) -> str | None:
        return self.shared.host

    @property
    def conname(self) -> str | None:
        return self.shared.conname

    @property
    def msg_id(self) -> str | None:
        return self.shared.msg_id

    @property
    def phase(self) -> str:
        return self.shared.phase

    @property
    def cause(self) -> str:
        return self.shared.cause

    @property
    def method(self) -> str | None:
        return self.shared.method

    @property
    def confidence(self) -> float:
        return self.shared.confidence

    @property
    def remote_address(self) -> str | None:
        return self.shared.remote_address

    @property
    def status(self) -> str | None:
        return self.shared.status

    @property
    def role(self) -> Role:
        return self.shared.role

    @property
    def rank(self) -> Rank:
        return self.shared.rank

    def sort_key(self) -> tuple[Any, ...]:
        return (self.ts, self.status_row, self.order)

    def evidence_key(self) -> tuple[Any, ...]:
        """Lower is more decisive: rank, log entry before export row, rule before model, confidence, time."""
        return (
            int(self.rank),
            self.status_row,
            _METHOD_ORDER.get(self.method or "", 2),
            -self.confidence,
            self.ts,
            id_text(self.event_id),   # text order: packed ids of other forms do not compare
        )


@dataclass
class Episode:
    qmgr: str
    channel: str
    rows: list[Row] = field(default_factory=list)
    resolved_at: int | None = None
    ended_by: str = "open"        # resolved | stopped | gap | superseded | open
    key: Row | None = None        # the first specific-or-echo row: later rows with another cause split
    decisive: Row | None = None   # this end's own decisive row (set by finish)
    # filled by pairing
    episode_id: str = ""
    partner: Episode | None = None
    partner_qmgr: str | None = None
    cause_side: str = "unknown"
    final: Row | None = None      # the row whose cause the episode reports (own or partner's)

    @property
    def last(self) -> int:
        """Time of the latest row (log or export): what the quiet gap is measured from."""
        return self.rows[-1].ts

    def _log_rows(self) -> list[Row]:
        return [row for row in self.rows if not row.status_row] or self.rows

    # read only once the episode is closed (segmentation appends rows until then)
    @functools.cached_property
    def start(self) -> int:
        """The first failure entry of this end's log (export rows only when there is no log entry)."""
        return self._log_rows()[0].ts

    @functools.cached_property
    def end(self) -> int:
        """The last failure entry of this end's log (the AMQ9999 after the last attempt, where there is one)."""
        return self._log_rows()[-1].ts


def _str(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_NEEDED = ("event_id", "source_format", "source_path", "qmgr", "host", "channel", "conname", "msg_id", "phase",
           "cause", "method", "confidence", "pid", "tid", "context_event_id", "remote_address", "status")


_TEXT = ("event_id", "source_format", "source_path", "qmgr", "host", "channel", "conname", "msg_id", "phase",
         "cause", "method", "context_event_id", "remote_address", "status")


def _values(frame: pd.DataFrame, name: str) -> list[Any]:
    """One column as Python values, missing ones as None (a column the table lacks is all None).

    Text is stripped and an empty string counts as missing, done column-wise (much faster than per row)."""
    if name not in frame.columns:
        return [None] * len(frame)
    column = frame[name]
    if name in _TEXT and isinstance(column.dtype, pd.CategoricalDtype):
        # a dictionary-encoded column: clean each distinct value once and share it between rows
        # (one Python string per value, not per row: the rows the timeline keeps hold many)
        distinct = _values(pd.DataFrame({name: pd.Series(column.cat.categories, dtype=object)}), name)
        return [distinct[code] if code >= 0 else None for code in column.cat.codes.tolist()]
    if name in _TEXT:
        column = column.astype("string").str.strip()
        column = column.mask(column == "")
    elif name in ("pid", "tid"):
        column = pd.to_numeric(column, errors="coerce").astype("Int64")
    elif name == "confidence":
        column = pd.to_numeric(column, errors="coerce")
    return column.astype(object).where(column.notna(), None).tolist()


def prepare_rows(classified: pd.DataFrame) -> tuple[list[Row], dict[str, int]]:
    """Turn the classified table into rows; count what cannot be placed on a timeline."""
    skipped = {"no_timestamp": 0, "no_qmgr": 0, "copies": 0}
    if classified.empty:
        return [], skipped
    stamps = pd.to_datetime(classified["timestamp"], utc=True)
    missing_ts = stamps.isna().to_numpy()
    millis = stamps.astype("datetime64[ms, UTC]").to_numpy(dtype="datetime64[ms]").astype("int64").tolist()
    cols = {name: _values(classified, name) for name in _NEEDED}
    msg_ids: dict[Any, str | None] = {}
    names: dict[Any, str | None] = {}
    rows: list[Row] = []
    copies: dict[tuple[Any, ...], str | None] = {}
    shared: dict[tuple[Any, ...], Shared] = {}
    for order in range(len(classified)):
        if missing_ts[order]:
            skipped["no_timestamp"] += 1
            continue
        qmgr = cols["qmgr"][order]
        if qmgr is None:
            skipped["no_qmgr"] += 1
            continue
        ms = millis[order]
        status_row = is_status_row(cols["source_format"][order])
        raw_msg = cols["msg_id"][order]
        if raw_msg not in msg_ids:
            msg_ids[raw_msg] = base_msg_id(raw_msg)
        msg = msg_ids[raw_msg]
        pid, tid = cols["pid"][order], cols["tid"][order]
        if not status_row:
            # one entry written to two logs (AMQERR01.LOG and AMQERR01.json) is one entry
            key = (qmgr, ms, msg, pid, tid)
            path = cols["source_path"][order]
            if key in copies and copies[key] != path:
                skipped["copies"] += 1
                continue
            copies.setdefault(key, path)
        rows.append(make_row(
            order, cols, order, ms, status_row,
            names[raw_name] if (raw_name := cols["channel"][order]) in names
            else names.setdefault(raw_name, clean_name(raw_name)),
            msg, shared,
        ))
    return rows, skipped


def make_row(order: int, cols: dict[str, list[Any]], i: int, ms: int, status_row: bool, channel: str | None,
             msg: str | None, shared: dict[tuple[Any, ...], Shared] | None = None) -> Row:
    """The ``Row`` of position ``i`` of ``cols`` (columns as ``_values`` returns them), table position ``order``.

    ``shared`` (kept by the caller between rows) makes rows with the same common values share one ``Shared``."""
    phase = cols["phase"][i] or "other"
    cause = cols["cause"][i] or "unknown"
    status = cols["status"][i]
    confidence = cols["confidence"][i]
    values = (status_row, cols["qmgr"][i], cols["host"][i], cols["conname"][i], msg, phase, cause, cols["method"][i],
              float(confidence) if confidence is not None else 0.0, cols["remote_address"][i], status,
              role_of(phase, cause, status, status_row), rank_of(msg, phase, cause))
    common = shared.get(values) if shared is not None else None
    if common is None:
        common = Shared(*values)
        if shared is not None:
            shared[values] = common
    return Row(
        order=order,
        event_id=pack_id(cols["event_id"][i] or f"row{order}"),
        ts=ms,
        channel=channel,
        pid=cols["pid"][i],
        tid=cols["tid"][i],
        context_event_id=pack_id(cols["context_event_id"][i]),
        shared=common,
    )


def attach_by_process(rows: Sequence[Row]) -> int:
    """Give channel-less failure entries the channel of the entry that explains or follows them.

    First the summary link (an AMQ9999 whose ``context_event_id`` is this entry), then the next
    entry of the same queue manager, process and thread within ``PROCESS_WINDOW_MS``.
    """
    orphans = [row for row in rows if not row.channel and not row.status_row and row.role is Role.FAILURE]
    if not orphans:
        return 0
    # only what an orphan looks up: the rows naming it, and the rows of its process and thread
    orphan_ids = {row.event_id for row in orphans}
    orphan_threads = {(row.qmgr, row.pid, row.tid) for row in orphans if row.pid is not None and row.tid is not None}
    named_by_context: dict[EventKey, str] = {}
    by_thread: dict[tuple[str | None, int, int], list[Row]] = {}
    for row in rows:
        if not row.channel:
            continue
        if row.context_event_id in orphan_ids:
            named_by_context.setdefault(row.context_event_id, row.channel)
        if not row.status_row and row.role in (Role.FAILURE, Role.START):
            key = (row.qmgr, row.pid, row.tid)
            if key in orphan_threads:
                by_thread.setdefault(key, []).append(row)
    for members in by_thread.values():
        members.sort(key=Row.sort_key)
    attached = 0
    for row in orphans:
        name = named_by_context.get(row.event_id)
        if name is None and row.pid is not None and row.tid is not None:
            for other in by_thread.get((row.qmgr, row.pid, row.tid), ()):
                if other.ts < row.ts or (other.ts == row.ts and other.order < row.order):
                    continue
                if other.ts - row.ts > PROCESS_WINDOW_MS:
                    break
                name = other.channel
                break
        if name:
            row.channel = name
            row.attached_via = "process"
            attached += 1
    return attached


def segment(rows: Iterable[Row], gap_ms: int) -> list[Episode]:
    """Cut each channel end's rows into episodes (rows must carry a channel)."""
    ends: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        if row.channel and row.qmgr:
            ends.setdefault((row.qmgr, row.channel), []).append(row)
    episodes: list[Episode] = []
    for (qmgr, channel), members in sorted(ends.items()):
        members.sort(key=Row.sort_key)
        episodes.extend(_segment_end(qmgr, channel, members, gap_ms))
    return episodes


def _same_cause(key: Row, row: Row) -> bool:
    if key.cause != row.cause:
        return False
    # two echoes of different partner failures (AMQ9641 then AMQ9643) are different faults
    if key.rank is Rank.ECHO and row.rank is Rank.ECHO and key.msg_id != row.msg_id:
        return False
    return True


def _segment_end(qmgr: str, channel: str, members: list[Row], gap_ms: int) -> list[Episode]:
    done: list[Episode] = []
    current: Episode | None = None

    def close(ended_by: str, resolved_at: int | None = None) -> None:
        nonlocal current
        if current is not None:
            current.ended_by = ended_by
            current.resolved_at = resolved_at
            done.append(current)
        current = None

    for index, row in enumerate(members):
        if row.role is Role.START:
            close("resolved", _start_time(members, index))
            continue
        if row.role is Role.STOP:
            close("stopped")
            continue
        if row.role is not Role.FAILURE:
            continue
        if current is not None and row.ts - current.last > gap_ms:
            close("gap")
        if (
            current is not None
            and not row.status_row
            and row.rank <= Rank.ECHO
            and current.key is not None
            and not _same_cause(current.key, row)
        ):
            close("superseded")
        if current is None:
            current = Episode(qmgr=qmgr, channel=channel)
        current.rows.append(row)
        if current.key is None and not row.status_row and row.rank <= Rank.ECHO:
            current.key = row
    close("open")
    return done


def _start_time(members: list[Row], index: int) -> int:
    """When the start comes from an export row (CHSTATUS start date/time: whole seconds), the log's
    own start entry a moment later is the more precise time of the same event."""
    row = members[index]
    if not row.status_row:
        return row.ts
    for later in members[index + 1:]:
        if later.ts - row.ts > STATUS_START_SLACK_MS:
            break
        if later.role is Role.START and not later.status_row:
            return later.ts
    return row.ts


def is_failover(episode: Episode) -> bool:
    """A multi-address CONNAME logs AMQ9202 for each address that fails even when a later one works."""
    if episode.resolved_at is None:
        return False
    if episode.resolved_at - episode.start > FAILOVER_WINDOW_MS:
        return False
    return all(
        not row.status_row and row.phase == "network" and row.rank is Rank.SPECIFIC for row in episode.rows
    )


def best_row(episode: Episode) -> Row:
    """The most specific row of the episode itself."""
    return min(episode.rows, key=Row.evidence_key)


def defers_to(best: Row) -> EventKey | None:
    """The id of the entry a summary row points at, which may then be the decisive one."""
    return best.context_event_id if best.rank >= Rank.SUMMARY and best.context_event_id else None


def own_decisive(episode: Episode, by_id: dict[EventKey, Row], best: Row | None = None) -> Row:
    """The most specific row of the episode (``best``, when known); a summary defers to the entry it points at."""
    if best is None:
        best = best_row(episode)
    if (link := defers_to(best)) is not None:
        behind = by_id.get(link)
        if behind is not None and behind.rank < best.rank:
            return behind
    return best


def attempt_count(episode: Episode) -> int:
    """Failed connection attempts: log entries less than ATTEMPT_GAP_MS apart belong to one attempt."""
    attempts = 0
    previous: int | None = None
    for row in episode.rows:
        if row.status_row:
            continue
        if previous is None or row.ts - previous > ATTEMPT_GAP_MS:
            attempts += 1
        previous = row.ts
    return attempts


def distinct_msg_ids(episode: Episode) -> list[str]:
    """Message ids of the log entries (of the export rows when the end has no log entry)."""
    seen: dict[str, None] = {}
    for row in episode._log_rows():
        if row.msg_id:
            seen.setdefault(row.msg_id, None)
    return list(seen)


def episode_id(episode: Episode) -> str:
    first = episode.rows[0]
    key = f"{episode.qmgr}\x1f{episode.channel}\x1f{episode.start}\x1f{id_text(first.event_id)}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def conname_of(episode: Episode) -> str | None:
    for status_pass in (False, True):
        for row in episode.rows:
            if row.status_row == status_pass and row.conname:
                return row.conname
    return None


def phase_for(row: Row, vocab: Vocabulary) -> str:
    cause = vocab.get(row.cause)
    return cause.phase if cause else row.phase
