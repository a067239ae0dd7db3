"""Where each stage writes under OUT.  One place, so no stage guesses another's paths."""

from __future__ import annotations

from pathlib import Path

EVENTS = "events"
REJECTS = "rejects"
CHANNEL_STATUS = "channel_status"
CLASSIFIED = "classified"
EPISODES = "episodes"
PREFLIGHT = "preflight"
STATE = "_state"          # incremental ingest state (file fingerprints, offsets)
MANIFESTS = "manifests"   # one JSON run manifest per ingest run
LOCK = ".mqtriage.lock"

DATASETS = (EVENTS, REJECTS, CHANNEL_STATUS, CLASSIFIED, EPISODES, PREFLIGHT)


def dataset_dir(out: str | Path, name: str) -> Path:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}")
    return Path(out) / name


def parquet_glob(out: str | Path, name: str) -> str:
    """The glob DuckDB's read_parquet takes for a dataset (hive-partitioned or flat)."""
    return str(dataset_dir(out, name) / "**" / "*.parquet")
