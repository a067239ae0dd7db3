"""Incremental ingest state: which files were read, how far, and which ids they produced.

Layout under ``OUT/_state/`` (see docs/ingest.md)::

    state.json                  one entry per input file ever read (and still present)
    ids/<entry_id>.<run_id>.txt the event/status ids that file produced, one per line

A file is identified by its *fingerprint*, the SHA-256 of its first ``head_len`` bytes (4 KiB, or
the whole file when smaller), not by its name: after ``AMQERR01.LOG`` rotates to ``AMQERR02.LOG``
the same fingerprint is found under the new name and reading resumes at the committed offset.  An
*anchor* (hash of the 256 bytes before that offset) proves the file still holds what was read; a
file that shrank below the offset, or whose anchor differs, is a different file and is read from
the start.  Each run writes a new ids file per changed entry and the commit deletes the old one,
so the state is replaced atomically with the data (``pipeline.storage``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline import layout
from pipeline.errors import OutputError

STATE_FILE = "state.json"
IDS_DIR = "ids"
VERSION = 1
FINGERPRINT_BYTES = 4096
ANCHOR_BYTES = 256


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FileEntry:
    entry_id: str
    path: str  # where it was last seen (for messages and pruning)
    kind: str  # text | flat | json | chstatus | amqsevt_json | ...
    table: str  # events | channel_status
    gz: bool
    head_len: int
    head_sha: str
    size: int  # on-disk size when last read
    offset: int  # committed byte offset in the (decompressed) stream
    line: int  # 1-based line number at ``offset``
    anchor_len: int
    anchor_sha: str
    date_order: str | None
    date_order_source: str
    tz: str
    qmgrs: list[str] = field(default_factory=list)
    ids_file: str | None = None  # relative to OUT
    id_count: int = 0
    first_run: str = ""
    last_run: str = ""

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FileEntry:
        return cls(**doc)


@dataclass
class State:
    entries: dict[str, FileEntry] = field(default_factory=dict)
    last_run: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "last_run": self.last_run,
            "entries": {key: asdict(entry) for key, entry in sorted(self.entries.items())},
        }

    def candidates(self, head: bytes, gz: bool) -> list[FileEntry]:
        """Entries whose fingerprint matches the start of ``head`` (decompressed bytes).

        Compression does not matter: a rotated AMQERR02.LOG later gzipped by logrotate is the
        same file and resumes where it stopped.
        """
        found = []
        for entry in self.entries.values():
            if entry.head_len > len(head):
                continue
            if sha256(head[: entry.head_len]) == entry.head_sha:
                found.append(entry)
        return found

    def entries_for_qmgr(self, table: str, qmgr: str) -> list[FileEntry]:
        return [e for e in self.entries.values() if e.table == table and qmgr in e.qmgrs and e.ids_file]


def state_dir(out: str | Path) -> Path:
    return Path(out) / layout.STATE


def load_state(out: str | Path) -> State:
    path = state_dir(out) / STATE_FILE
    if not path.exists():
        return State()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("version") != VERSION:
            raise ValueError(f"unsupported state version {doc.get('version')!r}")
        entries = {key: FileEntry.from_json(value) for key, value in doc["entries"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise OutputError(
            f"ingest state {path} is unreadable ({exc}); move the output folder aside to start afresh"
        ) from exc
    return State(entries=entries, last_run=doc.get("last_run"))


def ids_rel(entry_id: str, run_id: str) -> str:
    return f"{layout.STATE}/{IDS_DIR}/{entry_id}.{run_id}.txt"


def read_ids(out: str | Path, rel: str | None) -> set[str]:
    if not rel:
        return set()
    path = Path(out) / rel
    try:
        with open(path, encoding="ascii") as handle:
            return {line.strip() for line in handle if line.strip()}
    except OSError as exc:
        raise OutputError(
            f"ingest state file {path} is missing or unreadable: {exc.strerror or exc}"
        ) from exc


def write_ids(path: Path, ids: list[str]) -> None:
    with open(path, "w", encoding="ascii") as handle:
        for value in ids:
            handle.write(value)
            handle.write("\n")


def anchor_of(data_before_offset: bytes) -> tuple[int, str]:
    tail = data_before_offset[-ANCHOR_BYTES:]
    return len(tail), sha256(tail)


def plain_anchor_matches(path: Path, entry: FileEntry) -> bool:
    """For an uncompressed file: do the bytes just before the committed offset still match?"""
    if entry.anchor_len == 0:
        return True
    try:
        with open(path, "rb") as handle:
            handle.seek(entry.offset - entry.anchor_len)
            data = handle.read(entry.anchor_len)
    except OSError:
        return False
    return len(data) == entry.anchor_len and sha256(data) == entry.anchor_sha
