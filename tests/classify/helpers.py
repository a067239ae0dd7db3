"""Build small events / channel_status frames by hand, and write them as OUT/<dataset> Parquet."""

from __future__ import annotations

import re
from itertools import count
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from pipeline import layout, schemas

DAY = "2026-11-20"
_ids = count(1)
_LEAD = re.compile(r"^(AMQ\d{4}|CSQ[A-Z0-9]\d{3}[A-Z]?|JMS[A-Z]{2,4}\d{4})([A-Z])?:?\s*")


def event(text: str, at: str = "08:00:00", qmgr: str = "QMA", pid: int = 4242, tid: int = 1, **cols: Any) -> dict[str, Any]:
    """One log entry: the summary line as logged (with its id), plus any EVENTS columns."""
    row: dict[str, Any] = dict.fromkeys(schemas.EVENTS.names)
    m = _LEAD.match(text)
    msg_id = m.group(1) if m else None
    severity = m.group(2) if m and msg_id and msg_id.startswith("AMQ") else None
    n = next(_ids)
    row.update(event_id=f"e{n:05d}", source_path=f"{qmgr.lower()}/errors/AMQERR01.LOG", source_format="text",
               source_offset=n * 1000, source_line=n * 20, qmgr=qmgr, host=f"{qmgr.lower()}.example.com",
               pid=pid, tid=tid, program="amqrmppa", timestamp=pd.Timestamp(f"{DAY} {at}", tz="UTC"),
               timestamp_source="time_field", msg_id=msg_id, severity=severity,
               message=text[m.end():] if m else text, encoding="utf-8")
    row.update(cols)
    return row


def status(at: str | None = "09:00:00", qmgr: str = "QMA", **cols: Any) -> dict[str, Any]:
    """One channel-status row (CHSTATUS block, amqsevt event or last-error export row)."""
    row: dict[str, Any] = dict.fromkeys(schemas.CHANNEL_STATUS.names)
    n = next(_ids)
    row.update(status_id=f"s{n:05d}", source_path="exports/last_error.csv", source_format="csv", source_offset=n * 100,
               qmgr=qmgr, timestamp=pd.Timestamp(f"{DAY} {at}", tz="UTC") if at else None, encoding="utf-8")
    row.update(cols)
    return row


def frame(rows: list[dict[str, Any]], schema: pa.Schema) -> pd.DataFrame:
    table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    return table.to_pandas()


def events_frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return frame(list(rows), schemas.EVENTS)


def status_frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return frame(list(rows), schemas.CHANNEL_STATUS)


def write_dataset(out: Path, name: str, rows: list[dict[str, Any]]) -> Path:
    """Write rows as OUT/<name>/date=YYYY-MM-DD/part-0.parquet, like the ingest stage."""
    schema = schemas.EVENTS if name == layout.EVENTS else schemas.CHANNEL_STATUS
    table = pa.Table.from_pylist(rows, schema=schema)
    dates = pa.array([r["timestamp"].strftime("%Y-%m-%d") if r["timestamp"] is not None else "unknown" for r in rows])
    target = layout.dataset_dir(out, name)
    ds.write_dataset(table.append_column("date", dates), target, format="parquet",
                     partitioning=ds.partitioning(pa.schema([("date", pa.string())]), flavor="hive"),
                     existing_data_behavior="overwrite_or_ignore")
    return target
