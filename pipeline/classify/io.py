"""Read the ingest datasets and write OUT/classified atomically (temp folder, then rename)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from pipeline import layout, schemas
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


def write_classified(out: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` to OUT/classified, replacing what was there in one rename."""
    target = layout.dataset_dir(out, layout.CLASSIFIED)
    token = uuid.uuid4().hex[:8]
    tmp = target.parent / f".{target.name}.tmp-{token}"
    old = target.parent / f".{target.name}.old-{token}"
    table = to_table(frame)
    dates = pc.strftime(table["timestamp"], format="%Y-%m-%d")
    dates = pc.if_else(pc.is_null(dates), pa.scalar("unknown"), dates)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        ds.write_dataset(table.append_column("date", dates), tmp, format="parquet", partitioning=PARTITION,
                         basename_template="part-{i}.parquet", existing_data_behavior="error",
                         max_rows_per_group=256 * 1024)
        if not any(tmp.rglob("*.parquet")):
            # An empty result still leaves a readable (empty) dataset behind.
            (tmp / "date=unknown").mkdir(parents=True, exist_ok=True)
            import pyarrow.parquet as pq

            pq.write_table(table, tmp / "date=unknown" / "part-0.parquet")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not target.exists():
            old.rename(target)
        raise OutputError(f"{target}: cannot write the classified dataset: {exc}") from exc
    shutil.rmtree(old, ignore_errors=True)
    return target
