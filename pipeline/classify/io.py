"""Read the ingest datasets and write OUT/classified atomically (staged, then one journaled commit)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline import layout, schemas, storage
from pipeline.errors import InputError, OutputError

PARTITION = ds.partitioning(pa.schema([("date", pa.string())]), flavor="hive")


def read_dataset(path: Path) -> pd.DataFrame:
    """A hive-partitioned (or flat) Parquet folder as a DataFrame without the ``date`` column."""
    if not path.is_dir():
        return pd.DataFrame()
    files = [p for p in path.rglob("*.parquet") if not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)]
    if not files:
        return pd.DataFrame()
    try:
        dataset = ds.dataset([str(f) for f in files], format="parquet", partitioning=None)
        table = dataset.to_table()
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: cannot read Parquet: {exc}") from exc
    if "date" in table.column_names:
        table = table.drop_columns(["date"])
    return table.to_pandas(types_mapper=None)


def to_table(frame: pd.DataFrame) -> pa.Table:
    """The classified frame as an Arrow table with exactly schemas.CLASSIFIED."""
    columns = []
    for fld in schemas.CLASSIFIED:
        series = frame[fld.name]
        if pa.types.is_list(fld.type):
            values = [list(v) if isinstance(v, (list, tuple)) else None for v in series.astype("object")]
            columns.append(pa.array(values, type=fld.type))
        elif pa.types.is_timestamp(fld.type):
            ts = pd.to_datetime(series, utc=True)
            columns.append(pa.array(ts, type=fld.type, from_pandas=True))
        elif pa.types.is_integer(fld.type):
            ints = pd.to_numeric(series, errors="coerce").astype("Int64")
            columns.append(pa.array(ints, type=fld.type, from_pandas=True))
        elif pa.types.is_floating(fld.type):
            columns.append(pa.array(pd.to_numeric(series, errors="coerce"), type=fld.type, from_pandas=True))
        else:
            obj = series.astype("object")
            try:
                columns.append(pa.array(obj, type=fld.type, from_pandas=True))
            except (pa.ArrowTypeError, pa.ArrowInvalid):
                # a non-string value slipped in (e.g. a number read from a CSV export): keep its text
                columns.append(pa.array(obj.where(obj.notna(), None).map(
                    lambda v: v if v is None or isinstance(v, str) else str(v)), type=fld.type, from_pandas=True))
    return pa.Table.from_arrays(columns, schema=schemas.CLASSIFIED)


class ClassifiedWriter:
    """Stage classified batches as ``classified/date=D/part-NNNNN.parquet`` inside a Transaction.

    ``finish()`` schedules the deletion of every committed file of the previous output that the
    new one does not replace; the caller then commits (or aborts) the transaction.  Files are
    written with ``pyarrow.parquet`` directly: no dataset writer threads outlive the call.
    """

    def __init__(self, txn: storage.Transaction) -> None:
        self.txn = txn
        self.written: list[str] = []
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        if len(frame) == 0:
            return
        self.write_table(to_table(frame))

    def write_table(self, table: pa.Table) -> None:
        dates = pc.strftime(table["timestamp"], format="%Y-%m-%d")
        dates = pc.if_else(pc.is_null(dates), pa.scalar("unknown"), dates)
        for day in sorted(pc.unique(dates).to_pylist()):
            part = table.filter(pc.equal(dates, day))
            rel = f"{layout.CLASSIFIED}/date={day}/part-{len(self.written):05d}.parquet"
            self._write(part, rel)
        self.rows += table.num_rows

    def _write(self, table: pa.Table, rel: str) -> None:
        target = self.txn.path(rel)
        try:
            pq.write_table(table, target, row_group_size=256 * 1024)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write the classified dataset: {exc}") from exc
        self.written.append(rel)

    def finish(self) -> list[str]:
        """Stage an empty file when nothing was written; delete superseded files at commit."""
        if not self.written:
            # An empty result still leaves a readable (empty) dataset behind.
            self._write(schemas.CLASSIFIED.empty_table(), f"{layout.CLASSIFIED}/date=unknown/part-00000.parquet")
        root = self.txn.root
        keep = set(self.written)
        for old in storage.list_files(layout.dataset_dir(root, layout.CLASSIFIED)):
            rel = old.relative_to(root).as_posix()
            if rel not in keep:
                self.txn.delete(rel)
        return self.written


def remove_empty_partitions(out: Path) -> None:
    """Drop ``date=`` folders of OUT/classified the last commit emptied (best effort, after commit)."""
    folder = layout.dataset_dir(out, layout.CLASSIFIED)
    if not folder.is_dir():
        return
    for sub in folder.iterdir():
        if sub.is_dir() and not any(sub.iterdir()):
            try:
                sub.rmdir()
            except OSError:
                pass  # a reader or writer put something there meanwhile: keeping the folder is correct


def write_classified(out: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` to OUT/classified, replacing what was there in one journaled commit."""
    out = Path(out)
    target = layout.dataset_dir(out, layout.CLASSIFIED)
    with storage.Transaction(out, f"classify-{uuid.uuid4().hex[:12]}") as txn:
        writer = ClassifiedWriter(txn)
        for start in range(0, len(frame), 256 * 1024):
            writer.write(frame.iloc[start:start + 256 * 1024])
        writer.finish()
        txn.commit()
    remove_empty_partitions(out)
    return target
