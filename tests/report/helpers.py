"""Episodes written by hand into an OUT folder, the way the timeline stage writes them."""

from __future__ import annotations

from itertools import count
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import schemas
from pipeline.timeline.store import write_episodes

DAY = "2026-11-20"
_ids = count(1)

HOSTILE_SCRIPT = "<script>window.__pwned=1</script>"
HOSTILE_IMG = '"><img src=x onerror="window.__pwned=2">'
HOSTILE_MD = "a|b\nc `code` *em* [link](http://example.invalid) <b>x</b> & \"q\" 'q'"


def episode(qmgr: str, channel: str, start: str, end: str, cause: str, phase: str, **extra: Any) -> dict[str, Any]:
    number = next(_ids)
    row: dict[str, Any] = {
        "episode_id": f"ep{number:04d}",
        "qmgr": qmgr,
        "channel": channel,
        "conname": None,
        "start": pd.Timestamp(f"{DAY} {start}", tz="UTC"),
        "end": pd.Timestamp(f"{DAY} {end}", tz="UTC"),
        "phase": phase,
        "cause": cause,
        "decisive_event_id": f"ev{number}",
        "decisive_msg_id": "AMQ9633",
        "event_count": 4,
        "retry_count": 3,
        "resolved": False,
        "resolved_at": None,
        "partner_qmgr": None,
        "partner_episode_id": None,
        "cause_side": "local",
        "local_cause": cause,
        "msg_ids": ["AMQ9633"],
        "status_rows": 0,
        "summary": f"{channel} on {qmgr}: {cause}",
    }
    row.update(extra)
    if row["resolved"] and row["resolved_at"] is None:
        row["resolved_at"] = row["end"]
    return row


def pair(a: dict[str, Any], b: dict[str, Any]) -> None:
    a["partner_qmgr"], a["partner_episode_id"] = b["qmgr"], b["episode_id"]
    b["partner_qmgr"], b["partner_episode_id"] = a["qmgr"], a["episode_id"]


def sample_episodes() -> list[dict[str, Any]]:
    a = episode("QMB", "QMA.QMB", "08:00:00", "08:40:00", "cipher_mismatch", "handshake", retry_count=40)
    b = episode("QMA", "QMA.QMB", "08:00:01", "08:40:01", "cipher_mismatch", "handshake", cause_side="remote",
                local_cause="cipher_mismatch", decisive_msg_id="AMQ9631")
    pair(a, b)
    c = episode("QMA", "QMB.QMA", "10:00:00", "11:30:00", "cert_expired", "handshake", resolved=True)
    d = episode("QMB", "QMB.QMA", "10:00:00", "11:30:00", "cert_expired", "handshake", resolved=True,
                cause_side="remote", local_cause="remote_closed_handshake")
    pair(c, d)
    e = episode("QMA", "QMA.QMD", "16:00:00", "17:00:00", "connection_refused", "network",
                conname="mqd.example.com(1414)", status_rows=1)
    return [a, b, c, d, e]


def write_out(out: Path, episodes: list[dict[str, Any]], stats: dict[str, Any] | None = None,
              preflight: dict[str, pd.DataFrame] | None = None) -> Path:
    frame = pa.Table.from_pylist(episodes, schema=schemas.EPISODES).to_pandas()
    write_episodes(out, frame, stats or {"unplaced": []})
    for name, table in (preflight or {}).items():
        folder = out / "preflight"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False), folder / f"{name}.parquet")
    return out
