"""The run manifest: what one ingest run read, wrote, rejected and skipped, file by file.

Written to ``OUT/manifests/<run_id>.json`` and copied to ``OUT/manifest.json`` (the latest run),
inside the same transaction as the data.  Per file: status (read | unchanged | skipped | failed),
reason, format, entries seen / written / rejected / duplicates (``seen = written + rejected +
duplicates`` always), bytes read, resume offset, held-back tail, encodings, date order and its
evidence, time zone and where it came from.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline import __version__, layout
from pipeline.storage import Transaction

COUNTS = ("seen", "written", "rejected", "duplicates", "already_ingested", "bytes_read")
LATEST = "manifest.json"


def run_rel(run_id: str) -> str:
    return f"{layout.MANIFESTS}/{run_id}.json"


def build(
    run_id: str,
    started: datetime,
    files: list[dict[str, Any]],
    options: Any,
    roots: list[Path],
    recovered: dict[str, list[str]],
    pruned: list[str],
) -> dict[str, Any]:
    totals = {key: sum(int(f.get(key) or 0) for f in files) for key in COUNTS}
    totals["files"] = len(files)
    for status in ("read", "unchanged", "skipped", "failed"):
        totals[f"files_{status}"] = sum(1 for f in files if f["status"] == status)
    check_invariant(files)
    opts = asdict(options) if is_dataclass(options) and not isinstance(options, type) else dict(options)
    opts.pop("parsers", None)
    return {
        "run_id": run_id,
        "mqtriage_version": __version__,
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "inputs": [str(p) for p in roots],
        "options": opts,
        "recovered": recovered,
        "forgotten_files": pruned,
        "totals": totals,
        "files": files,
    }


def check_invariant(files: list[dict[str, Any]]) -> None:
    """seen = written + rejected + duplicates, per file (RuntimeError: an internal bug)."""
    for record in files:
        seen = int(record.get("seen") or 0)
        parts = sum(int(record.get(k) or 0) for k in ("written", "rejected", "duplicates"))
        if seen != parts:
            raise RuntimeError(f"manifest counts do not reconcile for {record['path']}: {seen} != {parts}")


def stage(txn: Transaction, doc: dict[str, Any]) -> None:
    txn.write_json(run_rel(doc["run_id"]), doc)
    txn.write_json(LATEST, doc)
