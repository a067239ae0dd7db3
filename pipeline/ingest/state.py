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
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

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


ID_BYTES = 16  # an id is 32 hex characters: 16 bytes as a digest
ID_DTYPE = np.dtype(f"S{ID_BYTES}")  # raw digests; bytewise order == the order of their hex text
_READ_CHUNK = 1 << 16


def read_id_digests(out: str | Path, rel: str | None) -> np.ndarray:
    """The ids of an ids file as a sorted array of 16-byte digests (16 bytes per id, not a set of
    str at ~120 bytes per id).  A line that is not 32 hex characters is a damaged state file."""
    if not rel:
        return np.empty(0, dtype=ID_DTYPE)
    path = Path(out) / rel
    parts: list[np.ndarray] = []
    try:
        with open(path, encoding="ascii") as handle:
            batch: list[bytes] = []
            for number, line in enumerate(handle, 1):
                text = line.strip()
                if not text:
                    continue
                try:
                    digest = bytes.fromhex(text)
                except ValueError:
                    digest = b""
                if len(digest) != ID_BYTES:
                    raise OutputError(
                        f"ingest state file {path}, line {number}: not a 32-hex id; "
                        "move the output folder aside to start afresh"
                    )
                batch.append(digest)
                if len(batch) >= _READ_CHUNK:
                    parts.append(np.frombuffer(b"".join(batch), dtype=ID_DTYPE))
                    batch = []
            if batch:
                parts.append(np.frombuffer(b"".join(batch), dtype=ID_DTYPE))
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise OutputError(f"ingest state file {path} is missing or unreadable: {detail}") from exc
    if not parts:
        return np.empty(0, dtype=ID_DTYPE)
    return np.unique(np.concatenate(parts))  # sorted, and a repeated line counts once as in a set


def hex_lines(digests: np.ndarray) -> Iterator[str]:
    """Sorted digests as ids-file text, a bounded slice at a time."""
    for start in range(0, len(digests), _READ_CHUNK):
        text = digests[start : start + _READ_CHUNK].tobytes().hex()
        width = ID_BYTES * 2
        yield "".join(text[i : i + width] + "\n" for i in range(0, len(text), width))


def write_id_digests(path: Path, digests: np.ndarray) -> None:
    """Write sorted digests in the ids-file format of ``write_ids`` (one 32-hex id a line)."""
    with open(path, "w", encoding="ascii") as handle:
        for chunk in hex_lines(digests):
            handle.write(chunk)


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


class IdSet:
    """The ids of one file being parsed, kept compact: about 16 bytes per id instead of ~120.

    New ids land in a small Python set; every ``RECENT`` ids that set is turned into a sorted array
    of 16-byte digests ("chunk").  Chunks are merged so that at most about log2(n / RECENT) remain
    (each one at least twice the size of the next), and a membership test looks in the set, then
    asks a fixed-size bit filter (one bit per id, ``FILTER_BITS`` bits, made only once the first
    chunk exists so that small files never pay for it), and only when the filter says "maybe"
    binary-searches the chunks.  Nearly every id of a log file is new, so nearly every lookup ends
    at the filter.  Answers are exact: the filter only skips searches that would fail.
    """

    RECENT = 1 << 15
    FILTER_BITS = 1 << 26  # 8 MiB; ~1.5% of lookups search the chunks at one million ids

    def __init__(self, digests: np.ndarray | None = None) -> None:
        self._recent: set[str] = set()
        self._chunks: list[np.ndarray] = []
        self._filter: np.ndarray | None = None
        if digests is not None and len(digests):
            self._push(np.unique(np.asarray(digests, dtype=ID_DTYPE)))  # sorted, each id once

    def __len__(self) -> int:
        return len(self._recent) + sum(len(chunk) for chunk in self._chunks)

    def __contains__(self, value: object) -> bool:
        if value in self._recent:
            return True
        if self._filter is None or not isinstance(value, str):
            return False
        try:
            digest = bytes.fromhex(value)
        except ValueError:
            return False
        if len(digest) != ID_BYTES:
            return False
        bit = int.from_bytes(digest[:8], "big") & (self.FILTER_BITS - 1)
        if not self._filter[bit >> 3] & (1 << (bit & 7)):
            return False
        for chunk in self._chunks:
            at = int(chunk.searchsorted(digest))
            # compare raw bytes: numpy's S dtype drops trailing NUL bytes from a scalar
            if at < len(chunk) and chunk[at : at + 1].tobytes() == digest:
                return True
        return False

    def add(self, value: str) -> None:
        """Add a 32-hex id (the caller has checked it is not present yet)."""
        self._recent.add(value)
        if len(self._recent) >= self.RECENT:
            self._spill()

    def sorted_digests(self) -> np.ndarray:
        """Every id once, sorted (the ids-file order)."""
        parts = [*self._chunks, self._recent_array()]
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=ID_DTYPE)

    def _recent_array(self) -> np.ndarray:
        if not self._recent:
            return np.empty(0, dtype=ID_DTYPE)
        try:
            data = b"".join(bytes.fromhex(value) for value in self._recent)
        except ValueError as exc:
            raise OutputError(f"internal error: an id is not 32 hex characters ({exc})") from exc
        if len(data) != ID_BYTES * len(self._recent):
            raise OutputError("internal error: an id is not 32 hex characters")
        return np.sort(np.frombuffer(data, dtype=ID_DTYPE))

    def _spill(self) -> None:
        chunk = self._recent_array()
        self._recent = set()
        self._push(chunk)

    def _push(self, chunk: np.ndarray) -> None:
        if self._filter is None:
            self._filter = np.zeros(self.FILTER_BITS >> 3, dtype=np.uint8)
        heads = np.frombuffer(chunk.tobytes(), dtype=">u8")[0::2].astype(np.uint64)
        bits = heads & np.uint64(self.FILTER_BITS - 1)
        np.bitwise_or.at(
            self._filter,
            (bits >> np.uint64(3)).astype(np.intp),
            (1 << (bits & np.uint64(7))).astype(np.uint8),
        )
        _push_chunk(self._chunks, chunk)


def _push_chunk(chunks: list[np.ndarray], chunk: np.ndarray) -> None:
    """Append a sorted chunk and merge the tail so each chunk is at least twice the next one's size
    (O(log n) chunks to search, each id merged O(log n) times)."""
    chunks.append(chunk)
    while len(chunks) > 1 and len(chunks[-2]) < 2 * len(chunks[-1]):
        last = chunks.pop()
        merged = np.concatenate([chunks.pop(), last])
        merged.sort()
        chunks.append(merged)


class DigestSet:
    """Ids as sorted arrays of 16-byte digests, queried a whole array at a time (no bit filter).

    The ingest parent keeps one per (table, queue manager) to drop rows another file of the same run
    or an earlier run already wrote.  Chunks are merged as in ``IdSet`` (each at least twice the size
    of the next), so a query costs a binary search in O(log n) chunks and memory is ~16 bytes per id
    however many queue managers there are.
    """

    def __init__(self, digests: np.ndarray | None = None) -> None:
        self._chunks: list[np.ndarray] = []
        if digests is not None and len(digests):
            self.add(digests)

    def __len__(self) -> int:
        return sum(len(chunk) for chunk in self._chunks)

    def contains(self, digests: np.ndarray) -> np.ndarray:
        """A bool per digest: already in the set."""
        found = np.zeros(len(digests), dtype=bool)
        for chunk in self._chunks:
            at = np.searchsorted(chunk, digests)
            inside = at < len(chunk)
            found[inside] |= chunk[at[inside]] == digests[inside]
        return found

    def add(self, digests: np.ndarray) -> None:
        """Add digests (any order; ones already present must not be passed)."""
        if len(digests):
            _push_chunk(self._chunks, np.unique(np.asarray(digests, dtype=ID_DTYPE)))


def digests_of(ids: list[str]) -> np.ndarray:
    """32-hex ids as an array of 16-byte digests (OutputError for anything else)."""
    try:
        data = bytes.fromhex("".join(ids))
    except ValueError as exc:
        raise OutputError(f"internal error: an id is not 32 hex characters ({exc})") from exc
    if len(data) != ID_BYTES * len(ids):
        raise OutputError("internal error: an id is not 32 hex characters")
    return np.frombuffer(data, dtype=ID_DTYPE)
