"""Stage 3: per-channel failure episodes, both ends of each channel side by side.

``build_timeline(out)`` reads ``OUT/classified`` and writes ``OUT/episodes``;
``episodes_from_classified(frame)`` does the work on a DataFrame (used by tests and ``run``).
See docs/timeline.md for the rules and the assumptions behind them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import regex

from pipeline import schemas
from pipeline.errors import InputError
from pipeline.timeline import store
from pipeline.timeline.attach import attach_by_partner, build_address_book
from pipeline.timeline.builder import (
    Episode,
    Row,
    attach_by_process,
    attempt_count,
    conname_of,
    distinct_msg_ids,
    episode_id,
    is_failover,
    own_decisive,
    phase_for,
    prepare_rows,
    segment,
)
from pipeline.timeline.pairing import decide_sides, pair_episodes, partner_qmgr_without_episode
from pipeline.timeline.rows import Role
from pipeline.timeline.vocab import Vocabulary, load_vocabulary

# Above MQ's default long retry interval (LONGTMR 1200 s), so a channel in long retry stays one episode.
DEFAULT_GAP = timedelta(minutes=30)

__all__ = ["DEFAULT_GAP", "TimelineResult", "build_timeline", "episodes_from_classified", "parse_duration"]

_DURATION = regex.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> timedelta:
    """``30m``, ``90s``, ``2h``, ``1h30m``; a bare number means minutes."""
    value = text.strip().lower()
    if value.isdigit():
        return timedelta(minutes=int(value))
    found = _DURATION.fullmatch(value)
    if not value or not found or not any(found.groups()):
        raise InputError(f"--gap {text!r}: expected a duration such as 30m, 90s, 2h or 1h30m")
    hours, minutes, seconds = (int(g) if g else 0 for g in found.groups())
    duration = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if duration <= timedelta(0):
        raise InputError(f"--gap {text!r}: must be longer than zero")
    return duration


@dataclass
class TimelineResult:
    episodes: pd.DataFrame                       # exactly the columns of schemas.EPISODES
    stats: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None                     # where build_timeline wrote the table


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _summary(episode: Episode, vocab: Vocabulary) -> str:
    final = episode.final
    assert final is not None
    cause = final.cause
    phase = phase_for(final, vocab)
    where = {
        "local": "this end's log",
        "remote": f"{episode.partner.qmgr}'s log" if episode.partner else "the partner's log",
        "unknown": "no decisive entry on either end",
    }[episode.cause_side]
    tries = attempt_count(episode)
    outcome = (
        f"channel ran again at {_iso(episode.resolved_at)}"
        if episode.resolved_at is not None
        else {
            "superseded": "followed by a failure with another cause",
            "stopped": "channel stopped by an operator",
            "gap": "no further entries",
            "open": "not resolved by the end of the logs",
        }.get(episode.ended_by, "not resolved")
    )
    msg = final.msg_id or "a status row"
    return (
        f"{episode.channel} on {episode.qmgr}: {phase} failure, {cause}, "
        f"{_iso(episode.start)} to {_iso(episode.end)} ({tries} failed attempt{'' if tries == 1 else 's'}); "
        f"decided by {msg} in {where}; {outcome}."
    )


def _unplaced(rows: list[Row]) -> list[dict[str, Any]]:
    """Channel-less failure and probe entries that no episode took, grouped for the report."""
    groups: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        if row.channel or row.status_row:
            continue
        if row.role is not Role.FAILURE and row.cause != "listener_probe":
            continue
        key = (row.qmgr or "", row.cause, row.msg_id or "", row.remote_address or "")
        group = groups.setdefault(
            key,
            {"qmgr": key[0], "cause": key[1], "msg_id": key[2], "remote_address": key[3],
             "count": 0, "first": row.ts, "last": row.ts},
        )
        group["count"] += 1
        group["first"] = min(group["first"], row.ts)
        group["last"] = max(group["last"], row.ts)
    found = sorted(groups.values(), key=lambda g: (-g["count"], g["qmgr"], g["cause"]))
    for group in found:
        group["first"], group["last"] = _iso(group["first"]), _iso(group["last"])
    return found


def episodes_from_classified(
    classified: pd.DataFrame, gap: timedelta = DEFAULT_GAP, vocab: Vocabulary | None = None
) -> TimelineResult:
    """Build the episodes table from a classified DataFrame (columns of schemas.CLASSIFIED)."""
    vocab = vocab or load_vocabulary()
    gap_ms = int(gap.total_seconds() * 1000)
    rows, skipped = prepare_rows(classified)
    by_process = attach_by_process(rows)
    book = build_address_book(rows)
    by_partner = attach_by_partner(rows, book)
    episodes = segment(rows, gap_ms)
    failovers = [e for e in episodes if is_failover(e)]
    episodes = [e for e in episodes if not is_failover(e)]
    by_id = {row.event_id: row for row in rows}
    for episode in episodes:
        episode.decisive = own_decisive(episode, by_id)
        episode.episode_id = episode_id(episode)
    pair_episodes(episodes, book)
    decide_sides(episodes)
    channel_ends: dict[str, set[str]] = {}
    for row in rows:
        if row.channel and row.qmgr and row.attached_via is None:
            channel_ends.setdefault(row.channel, set()).add(row.qmgr)
    records = []
    for episode in sorted(episodes, key=lambda e: (e.start, e.qmgr, e.channel)):
        final, own = episode.final, episode.decisive
        assert final is not None and own is not None
        partner_qmgr = (
            episode.partner.qmgr if episode.partner
            else partner_qmgr_without_episode(episode, book, channel_ends)
        )
        records.append({
            "episode_id": episode.episode_id,
            "qmgr": episode.qmgr,
            "channel": episode.channel,
            "conname": conname_of(episode),
            "start": episode.start,
            "end": episode.end,
            "phase": phase_for(final, vocab),
            "cause": final.cause,
            "decisive_event_id": final.event_id,
            "decisive_msg_id": final.msg_id,
            "event_count": sum(1 for r in episode.rows if not r.status_row),
            "retry_count": attempt_count(episode),
            "resolved": episode.resolved_at is not None,
            "resolved_at": episode.resolved_at,
            "partner_qmgr": partner_qmgr,
            "partner_episode_id": episode.partner.episode_id if episode.partner else None,
            "cause_side": episode.cause_side,
            "local_cause": own.cause,
            "msg_ids": distinct_msg_ids(episode),
            "status_rows": sum(1 for r in episode.rows if r.status_row),
            "summary": _summary(episode, vocab),
        })
    frame = _frame(records)
    stats = {
        "rows": len(rows),
        "skipped": skipped,
        "episodes": len(frame),
        "attached_by_process": by_process,
        "attached_by_partner": by_partner,
        "failovers_dropped": len(failovers),
        "gap_seconds": int(gap.total_seconds()),
        "unplaced": _unplaced(rows),
    }
    return TimelineResult(episodes=frame, stats=stats)


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=schemas.EPISODES.names)
    for name in ("start", "end", "resolved_at"):
        frame[name] = pd.to_datetime(frame[name], unit="ms", utc=True).astype("datetime64[ms, UTC]")
    for name in ("event_count", "retry_count", "status_rows"):
        frame[name] = frame[name].astype("int64")
    frame["resolved"] = frame["resolved"].astype("bool")
    for name in schemas.EPISODES.names:
        if schemas.EPISODES.field(name).type == pa.string():
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def build_timeline(out: str | Path, gap: timedelta = DEFAULT_GAP, wait: bool = False) -> TimelineResult:
    """Read OUT/classified, write OUT/episodes; return the episodes and the counts.

    Runs under the output lock (one writer per OUT): raises LockHeldError when another run holds
    it, or with ``wait`` blocks until it is free."""
    from pipeline.storage import OutputLock

    if not Path(out).is_dir():
        raise InputError(f"{out}: output folder not found")
    with OutputLock(out, wait=wait):
        classified = store.read_classified(out)
        result = episodes_from_classified(classified, gap=gap)
        result.path = store.write_episodes(out, result.episodes, result.stats)
    return result
