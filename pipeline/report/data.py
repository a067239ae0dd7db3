"""Everything a report shows, gathered once from OUT and filtered; the renderers only format it."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from pipeline import layout, schemas
from pipeline.errors import InputError
from pipeline.timeline import store
from pipeline.timeline.vocab import FAILURE_PHASES, Vocabulary, load_vocabulary

PHASE_ORDER = ("network", "handshake", "post_tls", "other")
SUMMARY_MSG_IDS = frozenset({"AMQ9999", "CSQX599"})
MAX_TABLE_ROWS = 2000     # episode rows in the HTML/Markdown table (the most recent); the rest: mqtriage query
MAX_CHARTS = 100          # channels drawn (those failing most recently)
MAX_PLACES = 20           # channels listed under one cause in "What to check"
FINDING_COLUMNS = ("severity", "qmgr", "channel", "partner_qmgr", "phase", "cause", "fix_side", "evidence", "detail")
EXPIRY_COLUMNS = ("owner", "label", "personal", "subject", "not_after", "days_left", "status", "used_by")


@dataclass(frozen=True)
class ReportFilter:
    qmgrs: tuple[str, ...] = ()       # keep episodes on these queue managers and their partners' ends
    channels: tuple[str, ...] = ()    # channel names or shell patterns (QMA.*)
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None

    def describe(self) -> str:
        parts = []
        if self.qmgrs:
            parts.append("queue manager " + ", ".join(self.qmgrs))
        if self.channels:
            parts.append("channel " + ", ".join(self.channels))
        if self.since is not None:
            parts.append(f"since {self.since:%Y-%m-%d %H:%M} UTC")
        if self.until is not None:
            parts.append(f"until {self.until:%Y-%m-%d %H:%M} UTC")
        return "; ".join(parts)


def parse_when(text: str | None, option: str) -> pd.Timestamp | None:
    """An ISO date or date-time; naive values are UTC."""
    if text is None or not text.strip():
        return None
    try:
        stamp = pd.Timestamp(text.strip())
    except (ValueError, TypeError) as exc:
        raise InputError(f"{option} {text!r}: expected an ISO date or time such as 2026-11-20T08:00") from exc
    if pd.isna(stamp):
        raise InputError(f"{option} {text!r}: expected an ISO date or time such as 2026-11-20T08:00")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclass
class Preflight:
    findings: pd.DataFrame | None = None     # predicted failures
    expiry: pd.DataFrame | None = None       # certificate expiry table
    other: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass
class ReportData:
    out: str
    episodes: pd.DataFrame                  # filtered, sorted by start
    vocab: Vocabulary
    filters: ReportFilter
    stats: dict[str, Any]
    preflight: Preflight | None
    generated_at: datetime
    _outcomes: dict[str, str] | None = field(default=None, repr=False)

    @property
    def channels(self) -> list[str]:
        return sorted(self.episodes["channel"].dropna().unique().tolist())

    def phase_counts(self) -> list[tuple[str, int, int]]:
        """(phase, channels, episodes) for every failure phase present."""
        found = []
        for phase in PHASE_ORDER:
            sub = self.episodes[self.episodes["phase"] == phase]
            if len(sub):
                found.append((phase, int(sub["channel"].nunique()), len(sub)))
        return found

    def top_causes(self, limit: int = 10) -> list[tuple[str, str, int, int]]:
        """(cause, phase, channels, episodes), most channels first."""
        if self.episodes.empty:
            return []
        grouped = self.episodes.groupby("cause").agg(channels=("channel", "nunique"), episodes=("episode_id", "size"))
        grouped = grouped.sort_values(["channels", "episodes"], ascending=False).head(limit)
        return [
            (str(cause), self.vocab.phase_of(str(cause)), int(row.channels), int(row.episodes))
            for cause, row in grouped.iterrows()
        ]

    def outcomes(self) -> dict[str, str]:
        """episode_id -> ``resolved`` | ``superseded`` (the same end failed next with another cause
        within the timeline's gap) | ``open`` (still failing when the logs end, or stopped)."""
        if self._outcomes is None:
            gap = pd.Timedelta(seconds=int(self.stats.get("gap_seconds", 1800)))
            eps = self.episodes.sort_values(["qmgr", "channel", "start"], kind="stable")
            same_end = eps.groupby(["qmgr", "channel"], sort=False)
            next_start = same_end["start"].shift(-1)
            next_cause = same_end["cause"].shift(-1)
            superseded = (next_start - eps["end"] <= gap) & next_cause.notna() & (next_cause != eps["cause"])
            state = pd.Series("open", index=eps.index, dtype=object)
            state[superseded.fillna(False).astype(bool)] = "superseded"
            state[eps["resolved"].astype(bool)] = "resolved"
            self._outcomes = dict(zip(eps["episode_id"], state, strict=True))
        return self._outcomes

    def outcome_text(self, row: Any, outcomes: dict[str, str]) -> str:
        state = outcomes.get(row.episode_id, "open")
        if state == "resolved":
            return f"ran again {row.resolved_at:%Y-%m-%d %H:%M:%S}"
        if state == "superseded":
            return "no: a new cause followed"
        return "no"

    def unresolved(self) -> int:
        """Episodes still failing at the end of the logs (a superseded episode is not counted)."""
        return sum(1 for state in self.outcomes().values() if state == "open")

    def window(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        if self.episodes.empty:
            return None
        return self.episodes["start"].min(), self.episodes["end"].max()

    def fix_place(self, row: Any) -> str:
        """Where the fix for this episode's cause is usually made, from ``fix_side`` and the two ends."""
        entry = self.vocab.get(row.cause)
        fix_side = entry.fix_side if entry else "unknown"
        partner = row.partner_qmgr if isinstance(row.partner_qmgr, str) else None
        unnamed = f"the partner at {row.conname}" if isinstance(row.conname, str) else "the partner"
        holder = row.qmgr if row.cause_side != "remote" else (partner or unnamed)
        other = (partner or unnamed) if row.cause_side != "remote" else row.qmgr
        if fix_side == "local":
            return str(holder)
        if fix_side == "remote":
            msg = row.decisive_msg_id if isinstance(row.decisive_msg_id, str) else "the cause"
            return f"{other} ({holder} logs {msg})"
        if fix_side == "network":
            return f"the network path between {row.qmgr} and {partner or unnamed}"
        first, second = sorted((str(holder), str(other)))
        return f"both ends: {first} and {second}"

    @staticmethod
    def representative(group: pd.DataFrame) -> Any:
        """The episode whose reading of a channel's failure the fix advice follows.

        An end whose own log decides the cause, and among two such ends the initiator's (it retries,
        so its log summarises each attempt with AMQ9999): ``fix_side`` in the vocabulary is written
        for the entry the initiator logs (AMQ9520 "not defined remotely" rather than the
        responder's AMQ9519)."""
        local = group[group["cause_side"] == "local"]
        if local.empty:
            return group.iloc[0]
        summarised = local["msg_ids"].map(lambda ids: any(m in SUMMARY_MSG_IDS for m in list(ids)))
        chosen = local[summarised.astype(bool)]
        return (chosen if len(chosen) else local).iloc[0]

    def where_to_look(self, cause: str) -> list[str]:
        """For one cause: on which queue manager(s) to make the fix, channel by channel."""
        places: dict[str, None] = {}
        subset = self.episodes[self.episodes["cause"] == cause]
        for channel, group in subset.groupby("channel", sort=True):
            places.setdefault(f"{self.fix_place(self.representative(group))} - channel {channel}", None)
        found = list(places)
        if len(found) > MAX_PLACES:
            found = found[:MAX_PLACES] + [f"... and {len(found) - MAX_PLACES} more channels"]
        return found

    def table_episodes(self) -> tuple[pd.DataFrame, int]:
        """The episodes a table shows (the most recent MAX_TABLE_ROWS, in start order) and how many are left out."""
        eps = self.episodes
        if len(eps) <= MAX_TABLE_ROWS:
            return eps, 0
        return eps.iloc[len(eps) - MAX_TABLE_ROWS:], len(eps) - MAX_TABLE_ROWS

    def chart_channels(self) -> tuple[list[str], int]:
        """The channels that get a chart (the MAX_CHARTS failing most recently, by name) and how many do not."""
        channels = self.channels
        if len(channels) <= MAX_CHARTS:
            return channels, 0
        latest = self.episodes.groupby("channel")["end"].max().sort_values(ascending=False)
        return sorted(latest.index[:MAX_CHARTS].tolist()), len(channels) - MAX_CHARTS

    def preflight_findings(self) -> pd.DataFrame | None:
        """Predicted failures with a ``seen in logs`` column: does an episode of that channel show that cause?"""
        if self.preflight is None or self.preflight.findings is None:
            return None
        frame = self.preflight.findings
        columns = [c for c in FINDING_COLUMNS if c in frame.columns]
        shown = frame[columns].copy()
        if "channel" in frame.columns and "cause" in frame.columns:
            observed = set(zip(self.episodes["channel"], self.episodes["cause"], strict=True))
            shown["seen in logs"] = [
                "yes" if (channel, cause) in observed else "no"
                for channel, cause in zip(frame["channel"], frame["cause"], strict=True)
            ]
        return shown

    def preflight_expiry(self) -> pd.DataFrame | None:
        """Certificates, soonest expiry first."""
        if self.preflight is None or self.preflight.expiry is None:
            return None
        frame = self.preflight.expiry
        columns = [c for c in EXPIRY_COLUMNS if c in frame.columns] or list(frame.columns)
        order = "days_left" if "days_left" in frame.columns else ("not_after" if "not_after" in frame.columns else None)
        shown = frame.sort_values(order, kind="stable") if order else frame
        return shown[columns].reset_index(drop=True)

    def causes_present(self) -> list[str]:
        return [cause for cause, *_ in self.top_causes(limit=1000)]


def _apply(frame: pd.DataFrame, filters: ReportFilter) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if filters.qmgrs:
        wanted = {q.upper() for q in filters.qmgrs}
        keep &= frame["qmgr"].str.upper().isin(wanted) | frame["partner_qmgr"].fillna("").str.upper().isin(wanted)
    if filters.channels:
        names = frame["channel"].fillna("")
        keep &= names.map(lambda name: any(fnmatch.fnmatchcase(name, pat) for pat in filters.channels))
    if filters.since is not None:
        keep &= frame["end"] >= filters.since
    if filters.until is not None:
        keep &= frame["start"] <= filters.until
    return frame[keep]


def _read_preflight(out: str | Path) -> Preflight | None:
    """OUT/preflight, if the preflight stage ran: tables told apart by their columns."""
    folder = layout.dataset_dir(out, layout.PREFLIGHT)
    if not folder.is_dir():
        return None
    tables: dict[str, list[Path]] = {}
    for path in sorted(folder.rglob("*.parquet")):
        rel = path.relative_to(folder)
        name = rel.parts[0] if len(rel.parts) > 1 and "=" not in rel.parts[0] else path.stem
        tables.setdefault(name, []).append(path)
    found = Preflight()
    for name, paths in tables.items():
        try:
            frame = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
        except (OSError, ValueError) as exc:
            raise InputError(f"{folder / name}: cannot read the preflight table ({exc})") from exc
        columns = set(frame.columns)
        if found.findings is None and {"cause", "evidence"} <= columns:
            found.findings = frame
        elif found.expiry is None and ("not_after" in columns or "expires" in columns or "expiry" in name):
            found.expiry = frame
        else:
            found.other[name] = frame
    return found


def load_report(out: str | Path, filters: ReportFilter | None = None) -> ReportData:
    filters = filters or ReportFilter()
    frame = store.read_dataset(out, layout.EPISODES)
    if frame is None:
        raise InputError(f"{layout.dataset_dir(out, layout.EPISODES)}: no episodes; run `mqtriage timeline` first")
    missing = [c for c in schemas.EPISODES.names if c not in frame.columns]
    if missing:
        raise InputError(f"{layout.dataset_dir(out, layout.EPISODES)}: episodes table lacks {', '.join(missing)}")
    frame = frame[schemas.EPISODES.names]
    for name in schemas.EPISODES.names:   # plain Python strings iterate far faster than Arrow-backed ones
        if schemas.EPISODES.field(name).type == pa.string():
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    frame = frame[frame["phase"].isin(FAILURE_PHASES)]
    frame = _apply(frame, filters).sort_values(["start", "channel", "qmgr"], kind="stable").reset_index(drop=True)
    return ReportData(
        out=str(out),
        episodes=frame,
        vocab=load_vocabulary(),
        filters=filters,
        stats=store.read_stats(out),
        preflight=_read_preflight(out),
        generated_at=datetime.now(UTC),
    )
