"""Read ``OUT/classified`` and write ``OUT/episodes`` (one file, replaced on every run)."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline import layout, schemas, storage
from pipeline.errors import InputError, OutputError
from pipeline.memory import release_unused
from pipeline.timeline.builder import _NEEDED
from pipeline.timeline.scan import BATCH_ROWS, DAY_MS, Slice

EPISODES_FILE = "episodes.parquet"
STATS_FILE = "_timeline.json"   # counts and channel-less entries; not Parquet, so not part of the table


def read_dataset(out: str | Path, name: str, columns: list[str] | None = None) -> pd.DataFrame | None:
    """A dataset under OUT as a DataFrame (hive partitions or flat files); None when absent."""
    folder = layout.dataset_dir(out, name)
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.rglob("*.parquet") if p.is_file())
    if not files:
        return None
    try:
        dataset = ds.dataset([str(p) for p in files], format="parquet", partitioning="hive",
                             partition_base_dir=str(folder))
        present = [c for c in (columns or dataset.schema.names) if c in dataset.schema.names]
        table = dataset.to_table(columns=present)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{folder}: cannot read the {name} table ({exc})") from exc
    return table.to_pandas(types_mapper=None)


# What the timeline reads of OUT/classified: ``prepare_rows`` uses only these (the builder's
# ``_NEEDED`` plus the timestamp).  Reading just them leaves out the message text and the signal
# columns, most of the bytes of the table.
TIMELINE_COLUMNS = ("timestamp", *_NEEDED)


def read_classified(out: str | Path, columns: Sequence[str] | None = TIMELINE_COLUMNS) -> pd.DataFrame:
    """OUT/classified as a DataFrame with ``columns`` (every CLASSIFIED column when None), in file order.

    Files are read one by one with ``pyarrow.parquet`` (no dataset scanner threads left behind) and
    low-cardinality text columns arrive as categoricals (the builder reads them as text).
    """
    folder = layout.dataset_dir(out, layout.CLASSIFIED)
    wanted = list(columns) if columns is not None else list(schemas.CLASSIFIED.names)
    files = storage.list_files(folder) if folder.is_dir() else []
    if not files:
        raise InputError(f"{folder}: no classified table; run `mqtriage classify` first")
    tables = []
    for path in files:
        try:
            pf = pq.ParquetFile(path, read_dictionary=[c for c in _DICTIONARY if c in wanted])
            present = [c for c in wanted if c in pf.schema_arrow.names]
            tables.append(pf.read(columns=present, use_threads=False))
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{path}: cannot read the classified table ({exc})") from exc
    try:
        table = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(f"{folder}: classified files disagree on their columns ({exc})") from exc
    missing = [c for c in ("event_id", "qmgr", "channel", "timestamp", "phase", "cause") if c not in table.column_names]
    if missing:
        raise InputError(f"{folder}: classified table lacks column(s) {', '.join(missing)}")
    # Dictionary columns become pandas categoricals: one Python string per distinct value, not per row.
    frame = table.to_pandas(types_mapper=None)
    for name in wanted:
        if name not in frame.columns:
            frame[name] = None
    return frame[wanted]


def classified_slices(out: str | Path) -> list[Slice]:
    """OUT/classified as slices for ``scan``: one per Parquet row group, in file order.

    Nothing but the schemas and the timestamp column (for the range of days each file holds) is
    read here; a slice reads its row group when the scan loads it, only the columns asked for."""
    folder = layout.dataset_dir(out, layout.CLASSIFIED)
    files = storage.list_files(folder) if folder.is_dir() else []
    if not files:
        raise InputError(f"{folder}: no classified table; run `mqtriage classify` first")
    slices: list[Slice] = []
    names: set[str] = set()
    for path in files:
        try:
            with pq.ParquetFile(path, pre_buffer=False) as pf:
                names.update(pf.schema_arrow.names)
                days = _day_range(pf)
                groups = [pf.metadata.row_group(i).num_rows for i in range(pf.metadata.num_row_groups)]
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{path}: cannot read the classified table ({exc})") from exc
        for index, rows in enumerate(groups):
            slices.append(Slice(load=functools.partial(_load_group, path, index), rows=rows, days=days))
    missing = [c for c in ("event_id", "qmgr", "channel", "timestamp", "phase", "cause") if c not in names]
    if missing:
        raise InputError(f"{folder}: classified table lacks column(s) {', '.join(missing)}")
    return slices


def _day_range(pf: pq.ParquetFile) -> tuple[int, int] | None:
    """UTC days (epoch ms // DAY_MS) the file's timestamps fall in, widened by one day each way;
    None when the column is not a timestamp (the scan then keeps every day's copy keys)."""
    if "timestamp" not in pf.schema_arrow.names:
        return None
    column = pf.read(columns=["timestamp"], use_threads=False).column("timestamp")
    if not pa.types.is_timestamp(column.type):
        return None
    per_ms = {"s": (1000, 1), "ms": (1, 1), "us": (1, 1000), "ns": (1, 1_000_000)}[column.type.unit]
    bounds = pc.min_max(pc.cast(column, pa.int64()))
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    if low is None or high is None:
        return (1, 0)   # no timestamp at all: every row is skipped before the copy check
    low, high = low * per_ms[0] // per_ms[1], high * per_ms[0] // per_ms[1]
    return (low // DAY_MS - 1, high // DAY_MS + 1)


def _load_group(path: Path, index: int, columns: Sequence[str]) -> Iterator[pd.DataFrame]:
    # The previous row group's buffers are free by now; without this the Arrow pool (mimalloc)
    # and malloc keep their pages, and the process grows by about a row group's size per file.
    release_unused()
    try:
        with pq.ParquetFile(path, read_dictionary=[c for c in _DICTIONARY if c in columns],
                            pre_buffer=False) as pf:
            present = [c for c in columns if c in pf.schema_arrow.names]
            table = pf.read_row_group(index, columns=present, use_threads=False)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: cannot read the classified table ({exc})") from exc
    for start in range(0, table.num_rows, BATCH_ROWS):
        frame = table.slice(start, BATCH_ROWS).to_pandas(types_mapper=None)
        for name in columns:
            if name not in frame.columns:
                frame[name] = None
        yield frame[list(columns)]


# Few distinct values per file: decoding them as dictionaries keeps the Arrow side small.
_DICTIONARY = ("source_format", "source_path", "qmgr", "host", "channel", "conname", "msg_id", "phase", "cause",
               "method", "status", "remote_address")


def to_table(episodes: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(episodes, schema=schemas.EPISODES, preserve_index=False)


def write_episodes(out: str | Path, episodes: pd.DataFrame, stats: dict[str, Any]) -> Path:
    """Replace OUT/episodes whole: new files are written beside the old ones and renamed over them,
    so a failed write (disk full, read-only) leaves the previous episodes as they were."""
    folder = layout.dataset_dir(out, layout.EPISODES)
    target = folder / EPISODES_FILE
    partial = folder / (EPISODES_FILE + ".partial")
    stats_target = folder / STATS_FILE
    stats_partial = folder / (STATS_FILE + ".partial")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(to_table(episodes), partial)
        stats_partial.write_text(json.dumps(stats, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
        os.replace(partial, target)
        os.replace(stats_partial, stats_target)
        for old in folder.rglob("*.parquet"):
            if old != target:
                old.unlink()   # an older layout's files: the table is only episodes.parquet now
    except OSError as exc:
        left = []
        for leftover in (partial, stats_partial):
            try:
                leftover.unlink(missing_ok=True)
            except OSError as cleanup:
                left.append(f"{leftover.name} left behind: {cleanup.strerror or cleanup}")
        note = f"; {'; '.join(left)}" if left else ""
        raise OutputError(f"{folder}: cannot write episodes ({exc.strerror or exc}); "
                          f"the previous episodes are unchanged{note}") from exc
    return target


def read_stats(out: str | Path) -> dict[str, Any]:
    path = layout.dataset_dir(out, layout.EPISODES) / STATS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable timeline statistics ({exc})") from exc
    return data if isinstance(data, dict) else {}
