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
from pipeline.memory import release_unused, system_arrow_pool
from pipeline.timeline import store
from pipeline.timeline.attach import (
    AddressBook,
    address_book_from_facts,
    address_tokens,
    attach_by_partner,
    build_address_book,
)
from pipeline.timeline.builder import (
    Episode,
    Row,
    attach_by_process,
    attempt_count,
    best_row,
    conname_of,
    defers_to,
    distinct_msg_ids,
    episode_id,
    id_text,
    is_failover,
    own_decisive,
    phase_for,
    prepare_rows,
    segment,
)
from pipeline.timeline.pairing import decide_sides, pair_episodes, partner_qmgr_without_episode
from pipeline.timeline.rows import Role
from pipeline.timeline.scan import Scan, frame_slices, scan_slices
from pipeline.timeline.vocab import Vocabulary, load_vocabulary

# Above MQ's default long retry interval (LONGTMR 1200 s), so a channel in long retry stays one episode.
DEFAULT_GAP = timedelta(minutes=30)

__all__ = ["DEFAULT_GAP", "TimelineResult", "build_timeline", "episodes_from_classified", "episodes_from_scan",
           "frame_slices", "parse_duration", "scan_slices"]

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


def _unplaced(rows: list[Row], probe_groups: dict[tuple[str, str, str, str], list[int]] | None = None
              ) -> list[dict[str, Any]]:
    """Channel-less failure and probe entries that no episode took, grouped for the report.

    ``probe_groups`` (from the scan: key -> [count, first, last, order of the first row]) stands
    for the listener-probe rows, which are then not among ``rows``.  Groups are ordered by count,
    ties by where their first row stands in the table."""
    groups: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    first_order: dict[tuple[str, str, str, str], int] = {}
    for row in rows:
        if row.channel or row.status_row:
            continue
        if row.role is not Role.FAILURE and (row.cause != "listener_probe" or probe_groups is not None):
            continue
        key = (row.qmgr or "", row.cause, row.msg_id or "", row.remote_address or "")
        first_order.setdefault(key, row.order)
        group = groups.setdefault(
            key,
            {"qmgr": key[0], "cause": key[1], "msg_id": key[2], "remote_address": key[3],
             "count": 0, "first": row.ts, "last": row.ts},
        )
        group["count"] += 1
        group["first"] = min(group["first"], row.ts)
        group["last"] = max(group["last"], row.ts)
    for key, (count, first, last, order) in (probe_groups or {}).items():
        group = groups.setdefault(
            key,
            {"qmgr": key[0], "cause": key[1], "msg_id": key[2], "remote_address": key[3],
             "count": 0, "first": first, "last": last},
        )
        group["count"] += count
        group["first"] = min(group["first"], first)
        group["last"] = max(group["last"], last)
        first_order[key] = min(first_order.get(key, order), order)
    in_table_order = sorted(groups, key=first_order.__getitem__)
    found = sorted((groups[key] for key in in_table_order), key=lambda g: (-g["count"], g["qmgr"], g["cause"]))
    for group in found:
        group["first"], group["last"] = _iso(group["first"]), _iso(group["last"])
    return found


def episodes_from_classified(
    classified: pd.DataFrame, gap: timedelta = DEFAULT_GAP, vocab: Vocabulary | None = None
) -> TimelineResult:
    """Build the episodes table from a classified DataFrame (columns of schemas.CLASSIFIED).

    Every row becomes a ``Row``; ``build_timeline`` reaches the same result from a scan that keeps
    only the rows episodes can use (``episodes_from_scan``)."""
    rows, skipped = prepare_rows(classified)
    by_process = attach_by_process(rows)
    book = build_address_book(rows)
    by_partner = attach_by_partner(rows, book)
    channel_ends: dict[str, set[str]] = {}
    for row in rows:
        if row.channel and row.qmgr and row.attached_via is None:
            channel_ends.setdefault(row.channel, set()).add(row.qmgr)
    counts = {"rows": len(rows), "skipped": skipped, "attached_by_process": by_process,
              "attached_by_partner": by_partner}
    return _episodes(rows, book, channel_ends, counts, _unplaced(rows), gap, vocab)


def episodes_from_scan(found: Scan, gap: timedelta = DEFAULT_GAP, vocab: Vocabulary | None = None) -> TimelineResult:
    """The episodes from a ``scan`` of the classified table: kept rows plus the facts of the others."""
    rows, facts = found.rows, found.facts
    by_process = attach_by_process(rows)
    channel_ends = facts.channel_ends()
    book = address_book_from_facts(facts.qmgrs, facts.hosts, channel_ends, facts.addresses)
    connames: dict[tuple[str, str], set[str]] = {}
    for qmgr, channel, _remote, conname in facts.addresses:
        if conname:
            connames.setdefault((qmgr, channel), set()).update(address_tokens(conname))
    by_partner = attach_by_partner(rows, book, connames, facts.probe_addresses)
    counts = {"rows": found.placed, "skipped": found.skipped, "attached_by_process": by_process,
              "attached_by_partner": by_partner}
    return _episodes(rows, book, channel_ends, counts, _unplaced(rows, facts.probe_groups), gap, vocab)


def _episodes(rows: list[Row], book: AddressBook, channel_ends: dict[str, set[str]], counts: dict[str, Any],
              unplaced: list[dict[str, Any]], gap: timedelta, vocab: Vocabulary | None) -> TimelineResult:
    vocab = vocab or load_vocabulary()
    gap_ms = int(gap.total_seconds() * 1000)
    episodes = segment(rows, gap_ms)
    failovers = [e for e in episodes if is_failover(e)]
    episodes = [e for e in episodes if not is_failover(e)]
    # only the context links of episodes' best rows (summaries) are looked up: index just the rows
    # they name (the last of one id wins, as before)
    bests = [best_row(episode) for episode in episodes]
    linked = {link for best in bests if (link := defers_to(best)) is not None}
    by_id = {row.event_id: row for row in rows if row.event_id in linked}
    for episode, best in zip(episodes, bests, strict=True):
        episode.decisive = own_decisive(episode, by_id, best)
        episode.episode_id = episode_id(episode)
    pair_episodes(episodes, book)
    decide_sides(episodes)
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
            "decisive_event_id": id_text(final.event_id),
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
        "rows": counts["rows"],
        "skipped": counts["skipped"],
        "episodes": len(frame),
        "attached_by_process": counts["attached_by_process"],
        "attached_by_partner": counts["attached_by_partner"],
        "failovers_dropped": len(failovers),
        "gap_seconds": int(gap.total_seconds()),
        "unplaced": unplaced,
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
    with OutputLock(out, wait=wait), system_arrow_pool():
        result = episodes_from_scan(scan_slices(store.classified_slices(out)), gap=gap)
        # the rows are garbage now, but paired episodes point at each other: collect them before writing
        release_unused(collect=True)
        result.path = store.write_episodes(out, result.episodes, result.stats)
    return result
