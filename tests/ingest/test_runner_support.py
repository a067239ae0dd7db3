"""Builders shared by the runner tests: synthetic MQ logs and dataset readers (no tests here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

from pipeline.ingest.runner import IngestOptions, IngestResult, ingest

BASE = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)


def text_entry(
    i: int, qmgr: str = "QMA", channel: str = "QMA.QMB", base: datetime = BASE, date_fmt: str = "%m/%d/%Y"
) -> str:
    """One 9.4-style text log entry with Time(); ``i`` makes it unique (seconds after ``base``)."""
    when = base + timedelta(seconds=i)
    return (
        f"{when.strftime(date_fmt)} {when:%H:%M:%S} - Process(4242.{i % 7 + 1}) User(mqm) Program(amqrmppa)\n"
        f"                    Host({qmgr.lower()}.example.com) Installation(Installation1)\n"
        f"                    VRMF(9.4.0.5) QMgr({qmgr})\n"
        f"                    Time({when:%Y-%m-%dT%H:%M:%S}.{i % 1000:03d}Z)\n"
        f"                    CommentInsert1({channel})\n"
        "\n"
        f"AMQ9002I: Channel '{channel}' is starting.\n"
        "\n"
        "EXPLANATION:\n"
        f"Channel '{channel}' is starting (entry {i}).\n"
        "ACTION:\n"
        "None.\n"
        "----- amqrccca.c : 1170 -------------------------------------------------------\n"
    )


def old_entry(i: int, qmgr: str = "QMC", base: datetime = datetime(2026, 11, 20, 12, 0, 0)) -> str:
    """A 9.0-style entry: DD.MM.YYYY local header time, no Time(), no severity letter."""
    when = base + timedelta(seconds=i)
    return (
        f"{when:%d.%m.%Y %H:%M:%S} - Process(777.1) User(mqm) Program(runmqchl)\n"
        f"                    Host(mqc.example.com) Installation(Installation1)\n"
        f"                    VRMF(9.0.0.0) QMgr({qmgr})\n"
        "\n"
        f"AMQ9002: Channel 'QMC.QMA' is starting (entry {i}).\n"
        "\n"
        "EXPLANATION:\n"
        "Channel 'QMC.QMA' is starting.\n"
        "ACTION:\n"
        "None.\n"
        "----- amqrccca.c : 1170 -------------------------------------------------------\n"
    )


def json_entry(i: int, qmgr: str = "QMB") -> str:
    when = BASE + timedelta(seconds=i)
    doc = {
        "ibm_messageId": "AMQ9002I",
        "ibm_commentInsert1": "QMB.QMA",
        "ibm_datetime": f"{when:%Y-%m-%dT%H:%M:%S}.000Z",
        "ibm_serverName": qmgr,
        "ibm_processId": 99,
        "ibm_threadId": i % 5 + 1,
        "ibm_processName": "amqrmppa",
        "host": "mqb.example.com",
        "loglevel": "INFO",
        "module": "amqrccca.c:1170",
        "type": "mq_log",
        "message": f"AMQ9002I: Channel 'QMB.QMA' is starting ({i}).",
    }
    return json.dumps(doc) + "\n"


def write_log(path: Path, entries: range | list[int], **kw: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(text_entry(i, **kw) for i in entries), encoding="utf-8")
    return path


def run(paths: list[Path] | Path, out: Path, **kw: Any) -> IngestResult:
    kw.setdefault("jobs", 1)
    items = paths if isinstance(paths, list) else [paths]
    return ingest([str(p) for p in items], out, IngestOptions(**kw))


def rows(out: Path, table: str = "events") -> list[dict[str, Any]]:
    """All committed rows of a dataset, sorted by id (partition column included)."""
    base = out / table
    if not base.exists():
        return []
    partitioning = "hive" if table != "rejects" else None
    data = ds.dataset(base, format="parquet", partitioning=partitioning).to_table().to_pylist()
    key = "event_id" if table == "events" else ("status_id" if table == "channel_status" else "source_offset")
    return sorted(data, key=lambda r: (str(r.get(key)), str(r.get("source_path"))))


def ids(out: Path) -> list[str]:
    return sorted(r["event_id"] for r in rows(out))


def comparable(out: Path, table: str = "events") -> list[tuple[Any, ...]]:
    """Rows without the columns that legitimately differ between runs (paths, offsets, run ids)."""
    drop = {"source_path", "source_offset", "source_line", "run_id"}
    return sorted(tuple((k, str(v)) for k, v in sorted(r.items()) if k not in drop) for r in rows(out, table))
