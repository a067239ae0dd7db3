"""Streaming Parquet writers with flat memory.

Rows are buffered per partition and flushed as row groups every ``flush_rows`` rows (50,000 by
default), so memory does not grow with the input.  Each open partition keeps one Parquet file
open; when more than ``max_open`` partitions are open the least recently used is closed and a new
file (next sequence number) is started if rows for it come later.  File names carry the run id and
the task number (``part-<run_id>-t<task>-<seq>.parquet``) so runs and workers never collide.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import schemas
from pipeline.errors import OutputError
from pipeline.ingest.state import digests_of

FLUSH_ROWS = 50_000  # rows buffered (all partitions) before row groups are written
BATCH_ROWS = 5_000  # rows kept as Python dicts per partition before conversion to Arrow
MAX_OPEN = 32
UNKNOWN_DATE = "unknown"


def _expected(dtype: pa.DataType) -> tuple[type, ...]:
    if pa.types.is_string(dtype):
        return (str,)
    if pa.types.is_integer(dtype):
        return (int,)
    if pa.types.is_floating(dtype):
        return (float, int)
    if pa.types.is_timestamp(dtype):
        return (datetime,)
    if pa.types.is_boolean(dtype):
        return (bool,)
    if pa.types.is_list(dtype):
        return (list, tuple)
    return (object,)


@lru_cache(maxsize=16)
def _checks(schema: pa.Schema) -> tuple[tuple[str, tuple[type, ...]], ...]:
    return tuple((f.name, _expected(f.type)) for f in schema)


@lru_cache(maxsize=16)
def column_names(schema: pa.Schema) -> frozenset[str]:
    return frozenset(schema.names)


def check_row(row: dict[str, Any], schema: pa.Schema) -> str | None:
    """Why ``row`` does not fit ``schema`` (first problem), or None.  Unknown keys are allowed."""
    for name, expected in _checks(schema):
        value = row.get(name)
        if value is None or (type(value) is expected[0] and expected[0] is not int):
            continue
        if not isinstance(value, expected) or (expected == (int,) and isinstance(value, bool)):
            return f"column {name} expects {expected[0].__name__}, got {type(value).__name__}"
        if isinstance(value, int) and expected == (int,) and not -(2**63) <= value < 2**63:
            return f"column {name} value {value} does not fit in 64 bits"
    return None


def partition_of(timestamp: Any) -> str:
    """The UTC day of a timestamp as YYYY-MM-DD, or ``unknown`` when there is none."""
    if timestamp is None:
        return UNKNOWN_DATE
    if isinstance(timestamp, datetime):
        if timestamp.tzinfo is not None:
            timestamp = timestamp.astimezone(UTC)
        return timestamp.date().isoformat()
    if isinstance(timestamp, date):
        return timestamp.isoformat()
    return UNKNOWN_DATE


@dataclass
class WrittenFile:
    rel: str  # path relative to the staging root, e.g. events/date=2026-11-20/part-....parquet
    rows: int
    # With a TableWriter ``id_column``: each row's id as a 16-byte digest and its queue manager (an
    # index into ``qmgr_names``), in file order - what the parent's dedup needs, without reading back
    # the file.  None otherwise.
    digests: np.ndarray | None = None
    qmgr_codes: np.ndarray | None = None
    qmgr_names: list[str] = field(default_factory=list)

    def set_ids(self, ids: list[str], qmgrs: list[str | None]) -> None:
        """Keep the rows' ids (as digests) and queue managers ("" for none), in file order."""
        lookup: dict[str, int] = {}
        self.digests = digests_of(ids)
        self.qmgr_codes = np.fromiter(
            (lookup.setdefault(q or "", len(lookup)) for q in qmgrs), dtype=np.uint32, count=len(qmgrs)
        )
        self.qmgr_names = list(lookup)

    def id_arrays(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(digests, queue manager codes, queue manager names) as set by ``set_ids``."""
        if self.digests is None or self.qmgr_codes is None:
            raise OutputError(f"internal error: no ids kept for {self.rel}")
        return self.digests, self.qmgr_codes, self.qmgr_names


# Events columns worth a Parquet dictionary (few distinct values per file).  The free texts (message,
# explanation, action, header_time, extra...) are written plain: trying a dictionary on them took half of
# the write time and made files larger.  Readers see the same Arrow types either way.
EVENTS_DICTIONARY = [
    "source_path", "source_format", "qmgr", "host", "installation", "vrmf", "program", "user",
    "timestamp_source", "msg_id", "severity", "comment_insert_1", "comment_insert_2", "comment_insert_3",
    "remote_host", "channel", "conname", "source_module", "encoding",
]  # fmt: skip


# Free-text event columns get no min/max statistics: no query prunes on them, and computing them
# over long strings is a tenth of the write time.
EVENTS_NO_STATISTICS = frozenset({"message", "explanation", "action", "header_time", "extra"})


class _Open:
    def __init__(self, path: Path, rel: str, schema: pa.Schema) -> None:
        self.path = path
        self.rel = rel
        dictionary: bool | list[str] = True
        statistics: bool | list[str] = True
        if schema.equals(schemas.EVENTS):
            dictionary = EVENTS_DICTIONARY
            statistics = [name for name in schema.names if name not in EVENTS_NO_STATISTICS]
        self.writer = pq.ParquetWriter(
            path, schema, compression="zstd", use_dictionary=dictionary, write_statistics=statistics
        )
        self.rows = 0
        self.ids: list[str] = []
        self.qmgrs: list[str | None] = []


class TableWriter:
    """Writes rows of one schema below ``staging_root/<dataset>/`` (optionally by ``date=``)."""

    def __init__(
        self,
        staging_root: Path,
        dataset: str,
        schema: pa.Schema,
        name_prefix: str,
        partitioned: bool = True,
        flush_rows: int = FLUSH_ROWS,
        max_open: int = MAX_OPEN,
        id_column: str | None = None,
    ) -> None:
        self.staging_root = staging_root
        self.id_column = id_column
        self.dataset = dataset
        self.schema = schema
        self.name_prefix = name_prefix
        self.partitioned = partitioned
        self.flush_rows = flush_rows
        self.max_open = max_open
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._batches: dict[str, list[pa.RecordBatch]] = {}
        self._buffered = 0
        self._open: OrderedDict[str, _Open] = OrderedDict()
        self._seq = 0
        self.written: list[WrittenFile] = []
        self.rows = 0

    def add(self, row: dict[str, Any], partition: str = "") -> None:
        rows = self._buffers.setdefault(partition, [])
        rows.append(row)
        self._buffered += 1
        self.rows += 1
        if len(rows) >= BATCH_ROWS:
            # Python dicts are large; keep the pending rows as Arrow batches until the flush.
            self._batches.setdefault(partition, []).append(
                pa.RecordBatch.from_pylist(rows, schema=self.schema)
            )
            self._buffers[partition] = []
        if self._buffered >= self.flush_rows:
            self.flush()

    def add_batch(self, batch: pa.RecordBatch, partition: str = "") -> None:
        """Add rows already in Arrow form (the columnar text path); order with ``add`` rows is kept."""
        if batch.num_rows == 0:
            return
        rows = self._buffers.get(partition)
        if rows:
            self._batches.setdefault(partition, []).append(
                pa.RecordBatch.from_pylist(rows, schema=self.schema)
            )
            self._buffers[partition] = []
        self._batches.setdefault(partition, []).append(batch)
        self._buffered += batch.num_rows
        self.rows += batch.num_rows
        if self._buffered >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        for partition in sorted(set(self._buffers) | set(self._batches)):
            batches = self._batches.get(partition, [])
            rows = self._buffers.get(partition, [])
            if rows:
                batches.append(pa.RecordBatch.from_pylist(rows, schema=self.schema))
            if not batches:
                continue
            table = pa.Table.from_batches(batches, schema=self.schema)
            handle = self._handle(partition)
            try:
                handle.writer.write_table(table, row_group_size=max(table.num_rows, 1))
            except OSError as exc:
                raise OutputError(f"cannot write {handle.path}: {exc.strerror or exc}") from exc
            handle.rows += table.num_rows
            if self.id_column is not None:
                handle.ids.extend(table.column(self.id_column).to_pylist())
                handle.qmgrs.extend(table.column("qmgr").to_pylist())
        self._buffers = {}
        self._batches = {}
        self._buffered = 0

    def _handle(self, partition: str) -> _Open:
        if partition in self._open:
            self._open.move_to_end(partition)
            return self._open[partition]
        if len(self._open) >= self.max_open:
            _oldest, handle = self._open.popitem(last=False)
            self._finish(handle)
        folder = self.dataset if not self.partitioned else f"{self.dataset}/date={partition}"
        rel = f"{folder}/{self.name_prefix}-{self._seq:03d}.parquet"
        self._seq += 1
        path = self.staging_root / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = _Open(path, rel, self.schema)
        except OSError as exc:
            raise OutputError(f"cannot create {path}: {exc.strerror or exc}") from exc
        self._open[partition] = handle
        return handle

    def _finish(self, handle: _Open) -> None:
        try:
            handle.writer.close()
        except OSError as exc:
            raise OutputError(f"cannot write {handle.path}: {exc.strerror or exc}") from exc
        written = WrittenFile(handle.rel, handle.rows)
        if self.id_column is not None:
            written.set_ids(handle.ids, handle.qmgrs)
            handle.ids, handle.qmgrs = [], []
        self.written.append(written)

    def close(self) -> list[WrittenFile]:
        self.flush()
        while self._open:
            _partition, handle = self._open.popitem(last=False)
            self._finish(handle)
        return sorted(self.written, key=lambda w: w.rel)
