"""The classify stage: OUT/events + OUT/channel_status -> OUT/classified (Parquet, by date).

``classify(out, rules_dirs=(), use_model=True)`` reads both inputs in bounded batches (see
``pipeline.classify.stream``), extracts signals, applies the rules (then the fallback model for
rows no rule decided), and replaces ``OUT/classified`` in one journaled commit.  It returns a
``ClassifyResult`` with counts and notes; it never prints.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import layout, storage
from pipeline.classify.engine import apply_model, classify_frames
from pipeline.classify.io import ClassifiedWriter, remove_empty_partitions
from pipeline.classify.model import load_model
from pipeline.classify.stream import MAX_ROWS, event_batches, status_batches
from pipeline.errors import InputError
from pipeline.memory import system_arrow_pool
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
             models_dir: str | Path | None = None, max_rows: int = MAX_ROWS) -> ClassifyResult:
    """Classify OUT/events and OUT/channel_status into OUT/classified, in bounded batches.

    Events are read a ``date=`` partition at a time and classified in time-ordered slices of at
    most ``max_rows`` rows plus their sequence-rule context (see ``pipeline.classify.stream``);
    the result is the same as classifying the whole table at once.  Batches are staged in a
    ``storage.Transaction`` and committed together at the end: a run killed before the commit
    point leaves the previous output; after it, the next run's ``recover`` completes the new one.
    The fallback model is loaded only when some row is left undecided by the rules.
    """
    started = time.perf_counter()
    out = Path(out)
    rs = load_rules(rules_dirs)  # rule problems fail here, before any log is read
    events_dir = layout.dataset_dir(out, layout.EVENTS)
    status_dir = layout.dataset_dir(out, layout.CHANNEL_STATUS)
    if not events_dir.is_dir() and not status_dir.is_dir():
        raise InputError(f"{out}: neither {events_dir.name}/ nor {status_dir.name}/ exists - run `mqtriage ingest` first")
    tally = _Tally()
    model = _LazyModel(models_dir) if use_model else None
    # One writer per OUT at a time; finish (or discard) whatever a killed run left half-committed.
    with storage.OutputLock(out), system_arrow_pool():
        storage.recover(out)
        with storage.Transaction(out, f"classify-{uuid.uuid4().hex[:12]}") as txn:
            writer = ClassifiedWriter(txn)
            empty = pd.DataFrame()
            for batch in event_batches(events_dir, rs, max_rows=max_rows):
                events = batch.events.to_pandas()
                frame = classify_frames(events, empty, rs, model=None).frame
                core = frame.iloc[:batch.core_rows].copy()
                tally.event_rows += batch.core_rows
                _finish_batch(core, model, tally, writer)
                del events, frame, core
            for table in status_batches(status_dir, max_rows=max_rows):
                frame = classify_frames(empty, table.to_pandas(), rs, model=None).frame
                tally.status_rows += len(frame)
                _finish_batch(frame, model, tally, writer)
            if model is not None and not model.loaded:
                tally.notes.append("fallback model not loaded: the rules decided every row")
            writer.finish()
            txn.commit()
        remove_empty_partitions(out)
    return ClassifyResult(
        out_dir=layout.dataset_dir(out, layout.CLASSIFIED),
        rows=tally.rows,
        event_rows=tally.event_rows,
        status_rows=tally.status_rows,
        by_phase=dict(tally.by_phase),
        by_cause=dict(tally.by_cause),
        by_method=dict(tally.by_method),
        unknown_ids=dict(tally.unknown.most_common()),
        notes=tally.notes,
        seconds=time.perf_counter() - started,
    )


@dataclass
class _Tally:
    rows: int = 0
    event_rows: int = 0
    status_rows: int = 0
    by_phase: Counter[str] = field(default_factory=Counter)
    by_cause: Counter[str] = field(default_factory=Counter)
    by_method: Counter[str] = field(default_factory=Counter)
    unknown: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def add(self, frame: pd.DataFrame) -> None:
        self.rows += len(frame)
        self.by_phase.update(_counts(frame["phase"]))
        self.by_cause.update(_counts(frame["cause"]))
        self.by_method.update(_counts(frame["method"]))
        unknown = frame.loc[frame["cause"] == "unknown", "msg_id"].astype("object").fillna("(none)")
        self.unknown.update(_counts(unknown))


class _LazyModel:
    """The fallback model, loaded on first use: importing scikit-learn costs seconds, and on most
    inputs the rules decide every row."""

    def __init__(self, models_dir: str | Path | None) -> None:
        self.models_dir = models_dir
        self.model: Any = None
        self.loaded = False

    def get(self) -> Any:
        if not self.loaded:
            self.model = load_model(self.models_dir)
            self.loaded = True
        return self.model


def _finish_batch(frame: pd.DataFrame, model: _LazyModel | None, tally: _Tally, writer: ClassifiedWriter) -> None:
    if model is not None and (frame["cause"] == "unknown").any():
        notes: list[str] = []
        apply_model(frame, model.get(), notes)
        tally.notes.extend(n for n in notes if n not in tally.notes)
    tally.add(frame)
    writer.write(frame)


def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.value_counts(dropna=False).items()}


def classify_frame(events: pd.DataFrame, status: pd.DataFrame | None = None, rules_dirs: Iterable[Any] = (),
                   model: Any = None) -> pd.DataFrame:
    """In-memory variant for tests and other stages: classified rows for the given frames."""
    rs = load_rules(rules_dirs)
    return classify_frames(events, status if status is not None else pd.DataFrame(), rs, model=model).frame


__all__ = ["ClassifyResult", "classify", "classify_frame"]
