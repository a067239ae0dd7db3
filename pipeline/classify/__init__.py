"""The classify stage: OUT/events + OUT/channel_status -> OUT/classified (Parquet, by date).

``classify(out, rules_dirs=(), use_model=True)`` reads both inputs, extracts signals, applies the
rules (then the fallback model for rows no rule decided), and replaces ``OUT/classified``
atomically.  It returns a ``ClassifyResult`` with counts and notes; it never prints.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import layout, storage
from pipeline.classify.engine import classify_frames
from pipeline.classify.io import read_dataset, write_classified
from pipeline.classify.model import load_model
from pipeline.errors import InputError
from pipeline.rules import load_rules


@dataclass
class ClassifyResult:
    out_dir: Path
    rows: int = 0
    event_rows: int = 0
    status_rows: int = 0
    by_phase: dict[str, int] = field(default_factory=dict)
    by_cause: dict[str, int] = field(default_factory=dict)
    by_method: dict[str, int] = field(default_factory=dict)
    unknown_ids: dict[str, int] = field(default_factory=dict)   # msg id (or "(none)") -> rows left unknown
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def unknown_share(self) -> float:
        return self.by_cause.get("unknown", 0) / self.rows if self.rows else 0.0


def classify(out: str | Path, rules_dirs: Iterable[str | Path] = (), use_model: bool = True,
             models_dir: str | Path | None = None) -> ClassifyResult:
    started = time.perf_counter()
    out = Path(out)
    rs = load_rules(rules_dirs)  # rule problems fail here, before any log is read
    events_dir = layout.dataset_dir(out, layout.EVENTS)
    status_dir = layout.dataset_dir(out, layout.CHANNEL_STATUS)
    if not events_dir.is_dir() and not status_dir.is_dir():
        raise InputError(f"{out}: neither {events_dir.name}/ nor {status_dir.name}/ exists - run `mqtriage ingest` first")
    notes: list[str] = []
    model = load_model(models_dir) if use_model else None
    # One writer per OUT at a time; finish (or discard) whatever a killed ingest left half-committed.
    with storage.OutputLock(out):
        storage.recover(out)
        events = read_dataset(events_dir)
        status = read_dataset(status_dir)
        result = classify_frames(events, status, rs, model=model)
        notes.extend(result.notes)
        frame = result.frame
        target = write_classified(out, frame)
    unknown = frame.loc[frame["cause"] == "unknown", "msg_id"].astype("object").fillna("(none)")
    return ClassifyResult(
        out_dir=target,
        rows=len(frame),
        event_rows=len(events),
        status_rows=len(status),
        by_phase=_counts(frame["phase"]),
        by_cause=_counts(frame["cause"]),
        by_method=_counts(frame["method"]),
        unknown_ids=dict(Counter(unknown.tolist()).most_common()),
        notes=notes,
        seconds=time.perf_counter() - started,
    )


def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.value_counts(dropna=False).items()}


def classify_frame(events: pd.DataFrame, status: pd.DataFrame | None = None, rules_dirs: Iterable[Any] = (),
                   model: Any = None) -> pd.DataFrame:
    """In-memory variant for tests and other stages: classified rows for the given frames."""
    rs = load_rules(rules_dirs)
    return classify_frames(events, status if status is not None else pd.DataFrame(), rs, model=model).frame


__all__ = ["ClassifyResult", "classify", "classify_frame"]
