"""Build small classified tables by hand: one line per entry, the way the classify stage writes them."""

from __future__ import annotations

from itertools import count
from typing import Any

import pandas as pd
import pyarrow as pa

from pipeline import schemas
from pipeline.timeline.vocab import load_vocabulary

DAY = "2026-11-20"
HOSTS = {"QMA": "mqa.example.com", "QMB": "mqb.example.com", "QMC": "mqc.example.com"}
_ids = count(1)


def entry(qmgr: str, hhmmss: str, msg_id: str, cause: str, channel: str | None = None, **extra: Any) -> dict[str, Any]:
    """One log entry (source_format text) on ``qmgr`` at ``DAY hhmmss`` UTC."""
    vocab = load_vocabulary()
    row: dict[str, Any] = {name: None for name in schemas.CLASSIFIED.names}
    row.update(
        event_id=f"e{next(_ids):05d}",
        source_format="text",
        source_path=f"{qmgr.lower()}/errors/AMQERR01.LOG",
        qmgr=qmgr,
        host=HOSTS.get(qmgr),
        channel=channel,
        timestamp=pd.Timestamp(f"{DAY} {hhmmss}", tz="UTC"),
        msg_id=msg_id,
        severity="E" if vocab.phase_of(cause) != "info" else "I",
        phase=vocab.phase_of(cause),
        cause=cause,
        method="rule",
        rule_id=f"{msg_id.lower()}",
        confidence=1.0,
        pid=1000,
        tid=1,
    )
    row.update(extra)
    return row


def status(qmgr: str, hhmmss: str, channel: str, state: str, cause: str, **extra: Any) -> dict[str, Any]:
    """A channel-status / last-error export row."""
    row = entry(qmgr, hhmmss, extra.pop("msg_id", None) or "", cause, channel, **extra)
    row.update(source_format=extra.get("source_format", "csv"), status=state, host=None, pid=None, tid=None,
               msg_id=extra.get("msg_id"))
    return row


def attempts(qmgr: str, channel: str, start: str, every_s: int, times: int, *entries: tuple[str, str],
             **extra: Any) -> list[dict[str, Any]]:
    """``times`` retries every ``every_s`` seconds from ``start``; each writes ``entries`` (msg, cause) one second apart."""
    base = pd.Timestamp(f"{DAY} {start}", tz="UTC")
    rows = []
    for attempt in range(times):
        at = base + pd.Timedelta(seconds=attempt * every_s)
        for offset, (msg, cause) in enumerate(entries):
            when = (at + pd.Timedelta(seconds=offset)).strftime("%H:%M:%S")
            chan = None if extra.get("no_channel_for") == msg else channel
            fields = {k: v for k, v in extra.items() if k != "no_channel_for"}
            rows.append(entry(qmgr, when, msg, cause, chan, pid=1000 + attempt, tid=1, **fields))
    return rows


def classified(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A DataFrame that passes through the CLASSIFIED schema, as the real stage writes it."""
    table = pa.Table.from_pylist(rows, schema=schemas.CLASSIFIED)
    return table.to_pandas()


def ts(hhmmss: str) -> pd.Timestamp:
    return pd.Timestamp(f"{DAY} {hhmmss}", tz="UTC")
