"""The ingest runner: walk inputs, parse each file (in parallel), dedup, write, commit.

One run, under the output lock:

1. ``storage.recover`` finishes a committed-but-interrupted run or discards a killed one.
2. ``walk.discover`` lists the files; each is sniffed and matched against the state by
   fingerprint (``state``): unchanged files are skipped, known files resume at their committed
   offset, new ones start at 0.
3. ``process_file`` parses one file (in the parent, a process pool, or Dask) and streams its rows
   into staged Parquet files; it returns counts and the list of files written.
4. The parent, in walk order, drops rows whose id was already written for the same queue manager
   (a copied log, a rotated file seen twice), updates the state and writes the run manifest.
5. ``Transaction.commit`` makes data, state and manifest visible together.

The library never prints; ``IngestResult`` carries the counts and the warnings for the CLI.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import layout, schemas, storage
from pipeline.errors import InputError, MQTriageError, OutputError
from pipeline.ingest import manifest as manifest_mod
from pipeline.ingest import state as state_mod
from pipeline.ingest import walk
from pipeline.ingest.records import RAW_LIMIT, FileContext, Parsed, RawBlock, Reject
from pipeline.ingest.writer import FLUSH_ROWS, TableWriter, WrittenFile, check_row, column_names, partition_of

LOG_KINDS = ("text", "flat", "json")
MAX_LINE = 16 * 1024 * 1024  # longer lines (JSON/flat/exports) are rejected, not buffered further
DATE_EVIDENCE_BLOCKS = 5000  # entries parsed from a file's start to decide its date order
WARNING_SAMPLES = 20  # per file: reject/notes kept for the manifest and the CLI
SKIPPED_NAMED = 5  # skipped files named in the one warning that lists them


# --- the parsers the runner calls (a registry, so tests and other engines can swap them) -------
@dataclass(frozen=True)
class Parsers:
    sniff_text: Callable[[bytes], str | None]
    split_blocks: Callable[..., Iterator[RawBlock]]
    parse_block: Callable[[RawBlock, FileContext], Parsed | Reject]
    parse_flat_line: Callable[[bytes, int, int, FileContext], Parsed | Reject]
    parse_json_line: Callable[[bytes, int, int, FileContext], Parsed | Reject]
    sniff_export: Callable[[str, bytes], str | None]
    read_export: Callable[[str, BinaryIO, FileContext], Iterator[Parsed | Reject]]
    detect_date_order: Callable[[list[tuple[str, str | None]]], str | None]
    sniff_file_encoding: Callable[[bytes], str | None]
    event_id: Callable[[bytes, int], str]
    date_sample: Callable[[bytes], tuple[str, str | None] | None] | None = None
    # date_sample of a text log's first N header lines in one scan (used with the default splitter)
    date_samples: Callable[[BinaryIO, int], list[tuple[str, str | None]]] | None = None
    # The columnar fast path for text logs (pipeline.ingest.fastpath); it reproduces exactly the
    # default split_blocks + parse_block, so it is used only while those two are not swapped.
    parse_columnar: Callable[..., Iterator[Any]] | None = None
    # The columnar fast path for JSON logs (pipeline.ingest.fastjson); it reproduces exactly the
    # default parse_json_line over the file's lines, so it is used only while that is not swapped.
    parse_json_columnar: Callable[..., Iterator[Any]] | None = None

    def columnar_reader(self) -> Callable[..., Iterator[Any]] | None:
        from pipeline.ingest import textlog

        if self.split_blocks is not textlog.split_blocks or self.parse_block is not textlog.parse_block:
            return None
        return self.parse_columnar

    def json_columnar_reader(self) -> Callable[..., Iterator[Any]] | None:
        from pipeline.ingest import jsonlog

        if self.parse_json_line is not jsonlog.parse_json_line:
            return None
        return self.parse_json_columnar

    @classmethod
    def default(cls) -> Parsers:
        try:
            from pipeline.ingest import dates, decode, exports, fastjson, fastpath, ids, jsonlog, textlog
        except ImportError as exc:  # a parser module is missing from this installation
            raise MQTriageError(f"ingest parsers are not available: {exc}") from exc
        return cls(
            sniff_text=textlog.sniff,
            split_blocks=textlog.split_blocks,
            parse_block=textlog.parse_block,
            parse_flat_line=textlog.parse_flat_line,
            parse_json_line=jsonlog.parse_json_line,
            sniff_export=exports.sniff_export,
            read_export=exports.read_export,
            detect_date_order=dates.detect_date_order,
            sniff_file_encoding=decode.sniff_file_encoding,
            event_id=ids.event_id,
            date_sample=textlog.date_sample,
            date_samples=textlog.date_samples,
            parse_columnar=fastpath.parse_columnar,
            parse_json_columnar=fastjson.parse_json_columnar,
        )


@dataclass(frozen=True)
class IngestOptions:
    tz: str = "UTC"
    date_order: str = "auto"  # auto | mdy | dmy: used when a file gives no evidence
    encoding: str = "cp1252"  # per-entry fallback when UTF-8 fails
    jobs: int | None = None  # None: number of cores
    engine: str = "local"  # local | dask
    scheduler: str = "local"  # dask: a scheduler address, or "local" for a LocalCluster
    wait: bool = False  # wait for the output lock instead of refusing
    include_partial: bool = False  # also parse a trailing entry that has no trailer yet
    flush_rows: int = FLUSH_ROWS
    parsers: Parsers | None = None


@dataclass
class IngestResult:
    run_id: str
    out: str
    manifest_path: str
    totals: dict[str, int]
    files: list[dict[str, Any]]
    warnings: list[str]
    recovered: dict[str, list[str]]


# --- what travels to a worker and back ----------------------------------------------------------
@dataclass(frozen=True)
class FileTask:
    index: int
    path: str
    kind: str
    gz: bool
    file_encoding: str | None  # utf-16-le/-be: transcoded to UTF-8 before splitting
    mode: str  # new | resume (at start_offset) | rescan (exports: reread, skip known ids)
    start_offset: int
    start_line: int
    anchor_len: int
    anchor_sha: str
    known_ids_path: str | None  # committed ids of this file (resume / rescan)
    date_order: str | None  # fixed for a known file; None: decide from its headers
    date_order_source: str
    date_order_option: str
    tz: str
    fallback_encoding: str
    include_partial: bool
    staging_root: str
    run_id: str
    entry_id: str
    flush_rows: int
    parsers: Parsers


@dataclass
class FileOutcome:
    index: int
    status: str = "read"  # read | failed
    error: str | None = None
    restarted: str | None = None  # why a known file was read from the start after all
    start_offset: int = 0
    end_offset: int = 0
    end_line: int = 1
    size_at_end: int = 0
    bytes_read: int = 0
    pending: dict[str, int] | None = None
    anchor_len: int = 0
    anchor_sha: str = ""
    seen: int = 0
    parsed: int = 0
    rejected: int = 0
    already_ingested: int = 0
    data_files: list[WrittenFile] = field(default_factory=list)
    reject_files: list[WrittenFile] = field(default_factory=list)
    ids_rel: str | None = None
    id_count: int = 0
    ids_changed: bool = False
    qmgrs: list[str] = field(default_factory=list)
    encodings: list[str] = field(default_factory=list)
    date_order: str | None = None
    date_order_source: str = ""
    samples: list[str] = field(default_factory=list)
    reject_reasons: dict[str, int] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)


class _Counting(io.RawIOBase):
    """Counts bytes read through it (bytes read, as reported in the manifest)."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n


def _open_stream(task: FileTask, position: int = 0) -> tuple[BinaryIO, _Counting, Any]:
    """A buffered stream of the file's (decompressed, transcoded) bytes, positioned at ``position``.

    Plain files seek; gzip and UTF-16 files are read and discarded up to ``position``.
    """
    raw = walk.open_binary(Path(task.path), task.gz)
    direct = not task.gz and task.file_encoding not in ("utf-16-le", "utf-16-be")
    if direct and position:
        raw.seek(position)
    counter = _Counting(raw)
    stream: Any = counter
    if task.file_encoding in ("utf-16-le", "utf-16-be"):
        from pipeline.ingest.decode import Utf16Reader

        stream = Utf16Reader(io.BufferedReader(counter), task.file_encoding)
    buffered = io.BufferedReader(stream, buffer_size=1 << 20)
    if not direct and position:
        _skip(buffered, position)
    return buffered, counter, raw


def _skip(stream: BinaryIO, n: int) -> int:
    skipped = 0
    while skipped < n:
        chunk = stream.read(min(1 << 20, n - skipped))
        if not chunk:
            break
        skipped += len(chunk)
    return skipped


def _iso(ts: Any) -> str | None:
    if isinstance(ts, datetime):
        return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return None


ORDER_NOT_NEEDED = "not needed: every entry read so far has Time()"


class _DeferredOrder:
    """A file's date order, decided on first use.

    Only an entry without a usable ``Time()`` is read by its header date, so a 9.x log never needs
    the order and is spared the pass over its first headers (a fifth of ingest time before).  The
    decision is the same as up front; a later run that resumes the file decides it when an entry
    needs it (no row written before depended on it).
    """

    def __init__(self, task: FileTask) -> None:
        self.task = task
        self.decided: tuple[str, str] | None = None

    def __call__(self) -> str:
        if self.decided is None:
            task = self.task
            self.decided = _decide_date_order(
                task, FileContext(task.path, task.tz, "auto", task.fallback_encoding)
            )
        return self.decided[0]


def _decide_date_order(task: FileTask, ctx: FileContext) -> tuple[str, str]:
    """Evidence from the file's own headers, else --date-order, else mdy."""
    p = task.parsers
    stream, _counter, raw = _open_stream(task)
    try:
        if task.kind == "text" and p.date_samples is not None and p.columnar_reader() is not None:
            # one regex scan over the file's head instead of splitting it block by block
            samples = p.date_samples(stream, DATE_EVIDENCE_BLOCKS)
        else:
            samples = _samples_by_entry(task, stream, ctx)
    finally:
        raw.close()
    decided = p.detect_date_order(samples) if samples else None
    if decided:
        return decided, f"headers ({len(samples)} entries examined)"
    forced = {_forced(header) for header, _exact in samples}
    if len(forced) == 1 and None not in forced:
        if forced.pop() == "dmy":
            return "dmy", f"dotted header dates are day-first ({len(samples)} entries examined)"
        return "mdy", f"year-first header dates: order not needed ({len(samples)} entries examined)"
    if task.date_order_option in ("mdy", "dmy"):
        return task.date_order_option, f"--date-order (no evidence in {len(samples)} header dates)"
    return "mdy", f"default mdy (no evidence in {len(samples)} header dates)"


def _samples_by_entry(task: FileTask, stream: BinaryIO, ctx: FileContext) -> list[tuple[str, str | None]]:
    """Date samples of the first DATE_EVIDENCE_BLOCKS entries (blocks, or lines of a flat log)."""
    p = task.parsers
    if task.kind == "text":
        chunks: Iterator[bytes] = (block.data for block in p.split_blocks(stream, 0, 1))
    else:
        chunks = (data for _off, _no, data, _len, _ok, overlong in _lines(stream, 0, 1) if not overlong)
    samples = []
    for count, data in enumerate(chunks):
        if count >= DATE_EVIDENCE_BLOCKS:
            break
        sample = _date_sample(p, data, ctx)
        if sample is not None:
            samples.append(sample)
    return samples


def _date_sample(p: Parsers, data: bytes, ctx: FileContext) -> tuple[str, str | None] | None:
    """(header date and time, Time() or None) of one entry, cheaply when the parser offers it."""
    if p.date_sample is not None:
        return p.date_sample(data)
    item = p.parse_block(RawBlock(0, 1, data), ctx)
    if isinstance(item, Parsed) and item.row.get("header_time"):
        exact = _iso(item.row.get("timestamp")) if item.row.get("timestamp_source") == "time_field" else None
        return str(item.row["header_time"]), exact
    return None


def _forced(header: str) -> str | None:
    from pipeline.ingest.dates import forced_order, split_header_time

    parts = split_header_time(header)
    return forced_order(parts[0] if parts else header.strip())


def _lines(stream: BinaryIO, offset: int, line: int) -> Iterator[tuple[int, int, bytes, int, bool, bool]]:
    """(offset, line number, bytes, length, complete, overlong) per line.

    ``bytes`` include the newline; a line longer than MAX_LINE comes back cut to RAW_LIMIT bytes
    with ``overlong`` set and ``length`` its full size (the rest is read and dropped, memory flat).
    ``complete`` is False only for a last line without a newline (a line still being written).
    """
    while True:
        data = stream.readline(MAX_LINE + 1)
        if not data:
            return
        length = len(data)
        if length > MAX_LINE and not data.endswith(b"\n"):
            while True:
                more = stream.readline(1 << 20)
                length += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield offset, line, data[:RAW_LIMIT], length, True, True
        else:
            yield offset, line, data, length, data.endswith(b"\n"), False
        offset += length
        line += 1


class _FileParse:
    """State of one file being parsed: ids, ordinals, writers, counts."""

    def __init__(self, task: FileTask, outcome: FileOutcome) -> None:
        self.task = task
        self.out = outcome
        self.table = "events" if task.kind in LOG_KINDS else "channel_status"
        self.schema = schemas.EVENTS if self.table == "events" else schemas.CHANNEL_STATUS
        self.id_col = "event_id" if self.table == "events" else "status_id"
        staging = Path(task.staging_root)
        prefix = f"part-{task.run_id}-t{task.index:05d}"
        self.data = TableWriter(
            staging, self.table, self.schema, prefix, True, task.flush_rows, id_column=self.id_col
        )
        self.rejects = TableWriter(staging, layout.REJECTS, schemas.REJECTS, prefix, False, task.flush_rows)
        # Compact id sets (state_mod.IdSet, ~16 bytes per id): a 2 GiB file holds a million ids.
        self.known = state_mod.IdSet()
        self.previous = state_mod.IdSet()
        self.new_ids = 0
        self.next_ordinal: dict[bytes, int] = {}
        self.qmgrs: set[str] = set()
        self.encodings: set[str] = set()
        self.unknown: set[str] = set()

    def assign_id(self, key: bytes) -> str:
        value = self.task.parsers.event_id(key, 0)
        if value in self.known:  # a repeated key: the next free ordinal (only these are remembered)
            digest = hashlib.blake2b(key, digest_size=16).digest()
            n = self.next_ordinal.get(digest, 1)
            while True:
                value = self.task.parsers.event_id(key, n)
                n += 1
                if value not in self.known:
                    break
            self.next_ordinal[digest] = n
        self.known.add(value)
        self.new_ids += 1
        return value

    def reject(
        self, offset: int, line: int, reason: str, raw: bytes, fmt: str, length: int | None = None
    ) -> None:
        self.out.seen += 1
        self.out.rejected += 1
        kind = reason.split(":")[0][:80]
        self.out.reject_reasons[kind] = self.out.reject_reasons.get(kind, 0) + 1
        if len(self.out.samples) < WARNING_SAMPLES:
            self.out.samples.append(f"{self.task.path}: offset {offset}, line {line}: {reason}")
        self.rejects.add(
            {
                "source_path": self.task.path,
                "source_format": fmt,
                "source_offset": offset,
                "source_line": line,
                "reason": reason,
                "raw": raw[: RAW_LIMIT * 4].decode("utf-8", errors="backslashreplace")[:RAW_LIMIT],
                "raw_length": len(raw) if length is None else length,
                "run_id": self.task.run_id,
            }
        )

    def handle_batch(self, batch: Any, arrays: list[pa.Array] | None = None) -> None:
        """A ``fastpath.ColumnBatch``: rejects as in ``handle``; rows get their ids and go to the
        writer as Arrow batches (``arrays``: the rows' columns if already converted)."""
        from pipeline.ingest.fastpath import by_partition, record_batch, row_arrays

        for r in batch.rejects:
            length = r.length if r.length is not None else len(r.raw)
            self.reject(r.offset, r.line, r.reason, r.raw, r.source_format or self.task.kind, length)
        if not batch.rows:
            return
        if arrays is None:
            arrays = row_arrays(batch.rows)  # text rows fit the schema by construction
        event_ids: list[str | None] = []
        for key in batch.keys:
            value = self.assign_id(key)
            if value in self.previous:
                self.out.already_ingested += 1
                event_ids.append(None)
            else:
                event_ids.append(value)
        kept = len(event_ids) - event_ids.count(None)
        self.out.seen += kept
        self.out.parsed += kept
        qmgr_at = _ROW_INDEX["qmgr"]
        encoding_at = _ROW_INDEX["encoding"]
        for row, eid in zip(batch.rows, event_ids, strict=True):
            if eid is not None:
                self.qmgrs.add(row[qmgr_at] or "")
                if row[encoding_at]:
                    self.encodings.add(str(row[encoding_at]))
        for partition, part in by_partition(record_batch(batch, event_ids, arrays)):
            self.data.add_batch(part, partition)

    def handle_items(self, items: list[tuple[Parsed, int, int, bytes, int | None]]) -> None:
        """Parsed line rows in bulk: converted to Arrow together; when a value does not fit the
        schema the rows go one by one through ``handle`` (which rejects the misfit ones)."""
        from pipeline.ingest.fastpath import ColumnBatch, row_arrays

        if not items:
            return
        rows = [tuple([item.row.get(name) for name in _ROW_NAMES]) for item, *_ in items]
        try:
            arrays = row_arrays(rows)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            for item in items:
                self.handle(*item)
            return
        self.handle_batch(ColumnBatch(rows=rows, keys=[item.content_key for item, *_ in items]), arrays)

    def batchable(self, item: Parsed) -> bool:
        """Whether a line row can skip ``handle``'s per-row fixes (all columns known and set)."""
        row = item.row
        return (
            self.table == "events"
            and row.get("source_path") == self.task.path
            and row.get("source_format") is not None
            and row.get("source_offset") is not None
            and row.get("source_line") is not None
            and _ROW_KEYS.issuperset(row)
        )

    def handle(self, item: Parsed | Reject, offset: int, line: int, raw: bytes, length: int | None) -> None:
        fmt = self.task.kind
        if isinstance(item, Reject):
            self.reject(item.offset, item.line, item.reason, item.raw, item.source_format or fmt, length)
            return
        row = dict(item.row)
        row["source_path"] = self.task.path
        row.setdefault("source_format", fmt)
        if row.get("source_format") is None:
            row["source_format"] = fmt
        if row.get("source_offset") is None:
            row["source_offset"] = offset
        if self.table == "events" and row.get("source_line") is None:
            row["source_line"] = line
        problem = check_row(row, self.schema)
        if problem:
            self.reject(
                offset,
                line,
                f"parsed entry does not fit the {self.table} schema: {problem}",
                raw,
                fmt,
                length,
            )
            return
        names = column_names(self.schema)
        if not names.issuperset(row):
            self.unknown.update(k for k in row if k not in names)
        row[self.id_col] = self.assign_id(item.content_key)
        if row[self.id_col] in self.previous:
            self.out.already_ingested += 1
            return
        self.out.seen += 1
        self.out.parsed += 1
        self.qmgrs.add(row.get("qmgr") or "")
        if row.get("encoding"):
            self.encodings.add(str(row["encoding"]))
        self.data.add(row, partition_of(row.get("timestamp")))


_ROW_NAMES = tuple(schemas.EVENTS.names[1:])  # the columns a parser fills (fastpath.ROW_COLUMNS)
_ROW_INDEX = {name: i for i, name in enumerate(_ROW_NAMES)}
_ROW_KEYS = frozenset(_ROW_NAMES)
ITEM_BATCH = 2000  # line rows converted to Arrow together


def process_file(task: FileTask) -> FileOutcome:
    """Parse one file into staged Parquet files.  Never raises for bad input; OutputError aborts."""
    outcome = FileOutcome(index=task.index, start_offset=task.start_offset)
    work = _FileParse(task, outcome)
    try:
        _parse_into(task, work, outcome)
    except OutputError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        _discard(work)
        outcome.status = "failed"
        outcome.error = f"{task.path}: cannot read (stopped near offset {outcome.end_offset}): {exc}"
        return outcome
    except MQTriageError as exc:
        _discard(work)
        outcome.status = "failed"
        outcome.error = f"{task.path}: {exc}"
        return outcome
    except Exception as exc:  # a parser bug must not sink the run: the file is failed and reported
        _discard(work)
        outcome.status = "failed"
        outcome.error = f"{task.path}: internal error while parsing ({type(exc).__name__}: {exc})"
        return outcome
    outcome.data_files = work.data.close()
    outcome.reject_files = work.rejects.close()
    outcome.qmgrs = sorted(work.qmgrs)
    outcome.encodings = sorted(work.encodings | ({task.file_encoding} if task.file_encoding else set()))
    outcome.unknown_columns = sorted(work.unknown)
    # resume: earlier ids + new ones; new/rescan: every id of this read
    ids = work.known.sorted_digests()
    outcome.ids_changed = work.new_ids > 0 or task.mode != "resume"
    outcome.id_count = len(ids)
    if outcome.ids_changed:
        rel = state_mod.ids_rel(task.entry_id, task.run_id)
        target = Path(task.staging_root) / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            state_mod.write_id_digests(target, ids)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
        outcome.ids_rel = rel
    return outcome


def _discard(work: _FileParse) -> None:
    for writer in (work.data, work.rejects):
        try:
            files = writer.close()
        except (OSError, OutputError, pa.ArrowException):
            files = writer.written
        for written in files:
            (Path(work.task.staging_root) / written.rel).unlink(missing_ok=True)


def _parse_into(task: FileTask, work: _FileParse, outcome: FileOutcome) -> None:
    p = task.parsers
    deferred = _DeferredOrder(task) if task.kind in ("text", "flat") and task.date_order is None else None
    outcome.date_order, outcome.date_order_source = task.date_order, task.date_order_source
    ctx = FileContext(
        task.path,
        task.tz,
        task.date_order or task.date_order_option,  # type: ignore[arg-type]
        task.fallback_encoding,
        deferred,
    )

    if task.known_ids_path:
        ids = state_mod.IdSet(state_mod.read_id_digests("", task.known_ids_path))
        if task.mode == "resume":
            work.known = ids
        else:
            work.previous = ids

    start, line = task.start_offset, task.start_line
    resuming = task.mode == "resume" and start > 0
    stream, counter, raw = _open_stream(task, start - task.anchor_len if resuming else 0)
    try:
        tail = b""
        if resuming:
            tail = stream.read(task.anchor_len)
            if len(tail) != task.anchor_len or state_mod.sha256(tail) != task.anchor_sha:
                outcome.restarted = "content before the resume point changed; read from the start"
                raw.close()
                stream, counter, raw = _open_stream(task)
                start, line, tail = 0, 1, b""
                work.known = state_mod.IdSet()
        outcome.start_offset = start
        end, end_line = start, line
        columnar = p.columnar_reader() if task.kind == "text" else None
        json_columnar = p.json_columnar_reader() if task.kind == "json" else None
        if columnar is not None:
            batches = columnar(stream, ctx, start, line, task.include_partial)
            end, end_line, tail = _take_batches(batches, work, outcome, end, end_line, tail)
        elif json_columnar is not None:
            batches = json_columnar(stream, ctx, start, line, task.include_partial, max_line=MAX_LINE)
            end, end_line, tail = _take_batches(batches, work, outcome, end, end_line, tail)
        elif task.kind == "text":
            for block in p.split_blocks(stream, start, line):
                # A block without its final newline can only be the file's last, cut mid-trailer
                # by a writer that has not finished the line: it is not complete yet either.
                complete = block.complete and block.data.endswith(b"\n")
                if not complete and not task.include_partial:
                    outcome.pending = {"offset": block.offset, "line": block.line, "bytes": len(block.data)}
                    break
                try:
                    item = p.parse_block(block, ctx)
                except Exception as exc:  # parser bug on one entry: reject it, keep going
                    item = Reject(
                        block.offset, block.line, f"parser error: {type(exc).__name__}: {exc}", block.data
                    )
                work.handle(item, block.offset, block.line, block.data, len(block.data))
                end = block.offset + len(block.data)
                end_line = block.line + block.data.count(b"\n")
                tail = (tail + block.data[-state_mod.ANCHOR_BYTES :])[-state_mod.ANCHOR_BYTES :]
        elif task.kind in ("json", "flat"):
            parse_line = p.parse_json_line if task.kind == "json" else p.parse_flat_line
            items: list[tuple[Parsed, int, int, bytes, int | None]] = []
            for off, no, data, length, complete, overlong in _lines(stream, start, line):
                if not complete and not task.include_partial:
                    outcome.pending = {"offset": off, "line": no, "bytes": length}
                    break
                if overlong:
                    work.reject(
                        off,
                        no,
                        f"line longer than {MAX_LINE} bytes ({length} bytes)",
                        data,
                        task.kind,
                        length,
                    )
                elif data.strip():
                    body = data.rstrip(b"\r\n")
                    try:
                        item = parse_line(body, off, no, ctx)
                    except Exception as exc:  # parser bug on one line: reject it, keep going
                        item = Reject(off, no, f"parser error: {type(exc).__name__}: {exc}", body, task.kind)
                    if isinstance(item, Parsed) and work.batchable(item):
                        items.append((item, off, no, body, length))
                        if len(items) >= ITEM_BATCH:
                            work.handle_items(items)
                            items = []
                    else:
                        if isinstance(item, Parsed):  # keep id order: earlier rows first
                            work.handle_items(items)
                            items = []
                        work.handle(item, off, no, body, length)
                end, end_line = off + length, no + 1
                # an overlong line's ``data`` is its head: start the tail afresh (a short tail is
                # completed from the file below), or the resume anchor would never match again
                tail = (
                    b"" if overlong else (tail + data[-state_mod.ANCHOR_BYTES :])[-state_mod.ANCHOR_BYTES :]
                )
            work.handle_items(items)
        else:
            # Exports are snapshots: read whole; rows already ingested from this file are skipped.
            for item in p.read_export(task.kind, stream, ctx):
                offset = item.offset if isinstance(item, Reject) else int(item.row.get("source_offset") or 0)
                work.handle(item, offset, 0, item.raw if isinstance(item, Reject) else b"", None)
            _skip(stream, 1 << 62)
            transcoded = task.file_encoding in ("utf-16-le", "utf-16-be")
            end = _count_all(task) if transcoded else counter.count  # gzip: counter sees decompressed bytes
            end_line = line
            tail = b""
        outcome.end_offset, outcome.end_line = end, end_line
        if deferred is not None:
            outcome.date_order, outcome.date_order_source = deferred.decided or (None, ORDER_NOT_NEEDED)
        if end > 0 and len(tail) < min(end, state_mod.ANCHOR_BYTES):
            tail = _read_range(task, max(0, end - state_mod.ANCHOR_BYTES), end)
        outcome.anchor_len, outcome.anchor_sha = state_mod.anchor_of(tail)
        outcome.bytes_read = counter.count
        # What was actually read, not the size now: a live file may have grown since EOF was seen,
        # and those bytes must make the next run read again.
        direct = not task.gz and task.file_encoding not in ("utf-16-le", "utf-16-be")
        outcome.size_at_end = raw.tell() if direct else os.stat(task.path).st_size
    finally:
        raw.close()


def _take_batches(
    batches: Iterator[Any], work: _FileParse, outcome: FileOutcome, end: int, end_line: int, tail: bytes
) -> tuple[int, int, bytes]:
    """Hand a columnar reader's batches to ``work``; returns where reading stands (end, line, tail)."""
    for batch in batches:
        work.handle_batch(batch)
        end, end_line = batch.end_offset, batch.end_line
        tail = (tail + batch.tail)[-state_mod.ANCHOR_BYTES :]
        if batch.pending is not None:
            pending = batch.pending
            outcome.pending = {"offset": pending.offset, "line": pending.line, "bytes": len(pending.data)}
    return end, end_line, tail


def _count_all(task: FileTask) -> int:
    stream, _counter, raw = _open_stream(task)
    try:
        return _skip(stream, 1 << 62)
    finally:
        raw.close()


def _read_range(task: FileTask, begin: int, end: int) -> bytes:
    stream, _counter, raw = _open_stream(task, begin)
    try:
        return stream.read(end - begin)
    finally:
        raw.close()


# --- the parent: plan, dispatch, dedup, state, commit -------------------------------------------
def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def ingest(
    paths: list[str] | tuple[str, ...], out: str | Path, options: IngestOptions | None = None
) -> IngestResult:
    """Ingest ``paths`` into ``out``; returns counts and warnings, never prints.

    Raises InputError (missing path, bad --tz/--encoding, bad mqtriage.tz), OutputError
    (unwritable output, lock held, disk full): the previous output is then left unchanged.
    """
    options = options or IngestOptions()
    if not paths:
        raise InputError("no input paths given")
    from pipeline.ingest.dates import zone
    from pipeline.ingest.decode import check_fallback

    zone(options.tz)
    try:
        check_fallback(options.encoding)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    if options.engine not in ("local", "dask"):
        raise InputError(f"unknown engine {options.engine!r} (local or dask)")
    parsers = options.parsers or Parsers.default()
    root = Path(out)
    walk_errors: list[tuple[Path, str]] = []
    found = walk.discover(paths, exclude=[root], errors=walk_errors)
    storage.ensure_out(root)
    with storage.OutputLock(root, wait=options.wait) as lock:
        recovered = storage.recover(root)
        state = state_mod.load_state(root)
        run_id = new_run_id()
        txn = storage.Transaction(root, run_id)
        try:
            result = _run(
                found,
                [Path(p) for p in paths],
                root,
                state,
                txn,
                options,
                parsers,
                recovered,
                lock,
                walk_errors,
            )
            txn.commit()
        except OSError as exc:
            txn.abort()
            outcome = (
                "the commit will be completed by the next run"
                if txn.journaled
                else "previous output left unchanged"
            )
            raise OutputError(
                f"cannot write output under {root}: {exc.strerror or exc} ({exc.filename}); {outcome}"
            ) from exc
        except BaseException:
            txn.abort()
            raise
    return result


@dataclass
class _Planned:
    index: int
    path: Path
    record: dict[str, Any]
    head: bytes = b""
    gz: bool = False
    entry: state_mod.FileEntry | None = None
    task: FileTask | None = None


def _choose(
    candidates: list[state_mod.FileEntry], path: Path, kind: str, size: int, gz: bool, claimed: set[str]
) -> state_mod.FileEntry | None:
    usable = []
    for entry in candidates:
        if entry.entry_id in claimed or entry.kind != kind:
            continue
        if not gz and (size < entry.offset or not state_mod.plain_anchor_matches(path, entry)):
            continue
        usable.append(entry)
    usable.sort(key=lambda e: (e.path != str(path), -e.offset))
    return usable[0] if usable else None


def _plan(
    found: list[walk.FoundFile],
    state: state_mod.State,
    out: Path,
    staging: Path,
    run_id: str,
    options: IngestOptions,
    parsers: Parsers,
) -> list[_Planned]:
    planned: list[_Planned] = []
    claimed: set[str] = set()
    tz_cache: dict[Path, str] = {}
    for index, item in enumerate(found):
        path = item.path
        record: dict[str, Any] = {"path": str(path), "status": "skipped", "reason": ""}
        plan = _Planned(index, path, record)
        planned.append(plan)
        if item.tz_file is not None:
            if item.tz_file not in tz_cache:
                tz_cache[item.tz_file] = walk.read_tz_file(item.tz_file)
            tz, tz_source = tz_cache[item.tz_file], str(item.tz_file)
        else:
            tz, tz_source = options.tz, "--tz"
        try:
            size = os.stat(path).st_size
            gz = walk.is_gzip(path)
            head = walk.read_head(path, gz)
        except walk.HEAD_ERRORS as exc:
            record.update(status="failed", reason=f"cannot read: {exc}")
            continue
        encoding = parsers.sniff_file_encoding(head)
        sniff_head = head
        if encoding in ("utf-16-le", "utf-16-be"):
            sniff_head = head.decode(encoding, errors="replace").lstrip("\ufeff").encode("utf-8")
        kind, reason = walk.classify_head(
            walk.base_name(path), sniff_head, parsers.sniff_text, parsers.sniff_export, parsers.date_sample
        )
        record.update(
            reason=reason, format=kind, gz=gz, size=size, tz=tz, tz_source=tz_source, file_encoding=encoding
        )
        if kind is None:
            continue
        plan.head, plan.gz = head, gz
        head4k = head[: state_mod.FINGERPRINT_BYTES]
        entry = _choose(state.candidates(head4k, gz), path, kind, size, gz, claimed)
        if entry is not None:
            claimed.add(entry.entry_id)
            plan.entry = entry
            record.update(entry_id=entry.entry_id, known_as=entry.path)
            if entry.tz != tz:
                record["tz_note"] = (
                    f"tz {tz} differs from {entry.tz} used when this file was first read; kept {entry.tz}"
                )
                tz, tz_source = entry.tz, f"{entry.tz} (kept from the first read)"
                record.update(tz=tz, tz_source=tz_source)
            pending = entry.offset < entry.size and not gz
            if entry.gz == gz and size == entry.size and not (options.include_partial and pending):
                record.update(
                    status="unchanged",
                    reason="no new bytes since the last run",
                    date_order=entry.date_order,
                    date_order_source=entry.date_order_source,
                    resumed_from=entry.offset,
                )
                continue
        entry_id = entry.entry_id if entry else f"{state_mod.sha256(head4k)[:12]}-{secrets.token_hex(4)}"
        record["entry_id"] = entry_id
        is_log = kind in LOG_KINDS
        mode = "new" if entry is None else ("resume" if is_log else "rescan")
        known_ids = str(out / entry.ids_file) if entry and entry.ids_file else None
        plan.task = FileTask(
            index=index,
            path=str(path),
            kind=kind,
            gz=gz,
            file_encoding=encoding,
            mode=mode,
            start_offset=entry.offset if mode == "resume" and entry else 0,
            start_line=entry.line if mode == "resume" and entry else 1,
            anchor_len=entry.anchor_len if mode == "resume" and entry else 0,
            anchor_sha=entry.anchor_sha if mode == "resume" and entry else "",
            known_ids_path=known_ids,
            date_order=entry.date_order if entry else None,
            date_order_source=entry.date_order_source if entry else "",
            date_order_option=options.date_order,
            tz=tz,
            fallback_encoding=options.encoding,
            include_partial=options.include_partial,
            staging_root=str(staging),
            run_id=run_id,
            entry_id=entry_id,
            flush_rows=options.flush_rows,
            parsers=parsers,
        )
    return planned


def _dispatch(
    tasks: list[FileTask], options: IngestOptions, lock: storage.OutputLock
) -> dict[int, FileOutcome]:
    if not tasks:
        return {}
    if options.engine == "dask":
        from pipeline.ingest import dask_engine

        return {o.index: o for o in dask_engine.run_tasks(tasks, options.scheduler, options.jobs)}
    jobs = options.jobs or os.cpu_count() or 1
    if jobs == 1 or len(tasks) == 1:
        return {task.index: process_file(task) for task in tasks}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = (
        multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    )
    # Largest files first so one big file does not start last; each file is one task.
    ordered = sorted(tasks, key=lambda t: -_size(t.path))
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)),
        mp_context=context,
        initializer=_close_inherited,
        initargs=(lock.fileno(),),
    ) as pool:
        futures = {pool.submit(process_file, task): task.index for task in ordered}
        return {futures[f]: f.result() for f in futures}


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _close_inherited(fd: int | None) -> None:
    """Workers drop their copy of the lock descriptor, so a killed parent releases the lock."""
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass  # already closed: nothing held


class _Dedup:
    """Ids already written per (table, queue manager): from the committed state, then this run."""

    def __init__(self, out: Path, state: state_mod.State) -> None:
        self.out = out
        self.sources = [(e.table, list(e.qmgrs), e.ids_file) for e in state.entries.values() if e.ids_file]
        # Sorted digest arrays (~16 bytes per id, no per-set bit filter): they hold every id of a queue
        # manager, earlier runs' and this run's, for any number of queue managers.
        self.sets: dict[tuple[str, str], state_mod.DigestSet] = {}

    def ids(self, table: str, qmgr: str) -> state_mod.DigestSet:
        key = (table, qmgr)
        if key not in self.sets:
            parts = [
                state_mod.read_id_digests(self.out, rel)
                for t, qmgrs, rel in self.sources
                if t == table and qmgr in qmgrs
            ]
            self.sets[key] = state_mod.DigestSet(np.concatenate(parts) if parts else None)
        return self.sets[key]

    def filter_file(self, staging: Path, written: WrittenFile, table: str) -> int:
        """Drop rows already written (by an earlier run or an earlier file); returns how many."""
        path = staging / written.rel
        digests, codes, names = written.id_arrays()  # kept by the worker's writer (id_column)
        keep = np.zeros(len(digests), dtype=bool)
        # a row is kept when its id is new to its queue manager and first of its kind in this file
        for code, qmgr in enumerate(names):
            rows = np.flatnonzero(codes == code) if len(names) > 1 else np.arange(len(digests))
            _, first = np.unique(digests[rows], return_index=True)
            rows = rows[np.sort(first)]
            seen = self.ids(table, qmgr)
            fresh = rows[~seen.contains(digests[rows])]
            seen.add(digests[fresh])
            keep[fresh] = True
        dropped = int(len(keep) - keep.sum())
        if dropped:
            if dropped == len(keep):
                path.unlink()
            else:
                full = pq.ParquetFile(path).read(use_threads=False)
                pq.write_table(full.filter(pa.array(keep)), path, compression="zstd")
            written.rows -= dropped
        return dropped


def _run(
    found: list[walk.FoundFile],
    roots: list[Path],
    out: Path,
    state: state_mod.State,
    txn: storage.Transaction,
    options: IngestOptions,
    parsers: Parsers,
    recovered: dict[str, list[str]],
    lock: storage.OutputLock,
    walk_errors: list[tuple[Path, str]] | None = None,
) -> IngestResult:
    started = datetime.now(UTC)
    planned = _plan(found, state, out, txn.staging, txn.run_id, options, parsers)
    outcomes = _dispatch([p.task for p in planned if p.task is not None], options, lock)
    dedup = _Dedup(out, state)
    warnings: list[str] = []
    skipped: list[str] = []
    touched: set[str] = set()
    for plan in planned:
        record = plan.record
        if plan.entry is not None:
            touched.add(plan.entry.entry_id)
        if plan.task is None:
            if record["status"] == "failed":
                touched.add(str(plan.path.absolute()))
                warnings.append(f"{plan.path}: failed: {record['reason']}")
            elif record["status"] == "skipped":
                skipped.append(str(plan.path))
            _zero_counts(record)
            if record["status"] == "unchanged" and plan.entry is not None:
                plan.entry.path = str(plan.path)
                plan.entry.last_run = txn.run_id
            continue
        outcome = outcomes[plan.index]
        if outcome.status == "failed":
            record.update(status="failed", reason=outcome.error)
            _zero_counts(record)
            warnings.append(f"{outcome.error}")
            continue
        table = "events" if plan.task.kind in LOG_KINDS else "channel_status"
        duplicates = sum(dedup.filter_file(txn.staging, w, table) for w in outcome.data_files)
        written = outcome.parsed - duplicates
        if outcome.seen != written + outcome.rejected + duplicates:
            raise RuntimeError(f"{plan.path}: counts do not reconcile (internal error)")
        record.update(
            status="read",
            table=table,
            mode=plan.task.mode,
            resumed_from=outcome.start_offset,
            end_offset=outcome.end_offset,
            bytes_read=outcome.bytes_read,
            seen=outcome.seen,
            written=written,
            rejected=outcome.rejected,
            duplicates=duplicates,
            already_ingested=outcome.already_ingested,
            pending=outcome.pending,
            encodings=outcome.encodings,
            date_order=outcome.date_order,
            date_order_source=outcome.date_order_source,
            qmgrs=outcome.qmgrs,
            reject_reasons=outcome.reject_reasons,
            reject_samples=outcome.samples,
        )
        if outcome.restarted:
            record["restarted"] = outcome.restarted
            warnings.append(f"{plan.path}: {outcome.restarted}")
        if record.get("tz_note"):
            warnings.append(f"{plan.path}: {record['tz_note']}")
        if outcome.unknown_columns:
            record["unknown_columns"] = outcome.unknown_columns
        if outcome.rejected:
            warnings.append(f"{plan.path}: {outcome.rejected} entries rejected, first: {outcome.samples[0]}")
        if outcome.pending:
            warnings.append(
                f"{plan.path}: incomplete last entry at offset {outcome.pending['offset']} "
                f"(line {outcome.pending['line']}) held back until it is complete"
            )
        _update_state(state, plan, outcome, txn)
    if skipped:
        shown = ", ".join(skipped[:SKIPPED_NAMED]) + (
            f" and {len(skipped) - SKIPPED_NAMED} more" if len(skipped) > SKIPPED_NAMED else ""
        )
        warnings.insert(
            0,
            f"{len(skipped)} files skipped as neither MQ logs nor exports (reasons in the manifest): {shown}",
        )
    unlisted = [folder for folder, _message in walk_errors or []]
    for folder, message in walk_errors or []:
        warnings.append(f"{folder}: failed: {message}")
    pruned = _prune(state, roots, touched, txn, unlisted)
    state.last_run = txn.run_id
    txn.write_json(f"{layout.STATE}/{state_mod.STATE_FILE}", state.to_json())
    records = [p.record for p in planned]
    records += [
        {"path": str(f), "status": "failed", "reason": m, **dict.fromkeys(COUNTED, 0)}
        for f, m in walk_errors or []
    ]
    doc = manifest_mod.build(txn.run_id, started, records, options, roots, recovered, pruned)
    manifest_mod.stage(txn, doc)
    return IngestResult(
        run_id=txn.run_id,
        out=str(out),
        manifest_path=str(out / manifest_mod.run_rel(txn.run_id)),
        totals=doc["totals"],
        files=doc["files"],
        warnings=warnings,
        recovered=recovered,
    )


COUNTED = ("seen", "written", "rejected", "duplicates", "already_ingested", "bytes_read")


def _zero_counts(record: dict[str, Any]) -> None:
    for key in COUNTED:
        record.setdefault(key, 0)


def _update_state(
    state: state_mod.State, plan: _Planned, outcome: FileOutcome, txn: storage.Transaction
) -> None:
    task = plan.task
    assert task is not None
    old = plan.entry if not outcome.restarted else None
    head_len = min(len(plan.head), state_mod.FINGERPRINT_BYTES)
    entry = state_mod.FileEntry(
        entry_id=task.entry_id if old is not None or plan.entry is None else f"{task.entry_id}-r",
        path=str(plan.path),
        kind=task.kind,
        table="events" if task.kind in LOG_KINDS else "channel_status",
        gz=task.gz,
        head_len=head_len,
        head_sha=state_mod.sha256(plan.head[:head_len]),
        size=outcome.size_at_end,
        offset=outcome.end_offset,
        line=outcome.end_line,
        anchor_len=outcome.anchor_len,
        anchor_sha=outcome.anchor_sha,
        date_order=outcome.date_order,
        date_order_source=outcome.date_order_source,
        tz=task.tz,
        qmgrs=sorted(set(outcome.qmgrs) | (set(old.qmgrs) if old else set())),
        ids_file=outcome.ids_rel if outcome.ids_changed else (old.ids_file if old else None),
        id_count=outcome.id_count,
        first_run=old.first_run if old else txn.run_id,
        last_run=txn.run_id,
    )
    if old is not None and old.ids_file and outcome.ids_changed and old.ids_file != entry.ids_file:
        txn.delete(old.ids_file)
    state.entries[entry.entry_id] = entry


def _prune(
    state: state_mod.State,
    roots: list[Path],
    touched: set[str],
    txn: storage.Transaction,
    unlisted: list[Path] | None = None,
) -> list[str]:
    """Forget files that were under a walked PATH but are gone (rotated away, deleted, replaced)."""
    pruned = []
    for entry_id, entry in list(state.entries.items()):
        entry_path = Path(entry.path)
        if entry_id in touched or entry.last_run == txn.run_id or str(entry_path.absolute()) in touched:
            continue
        if any(_is_under(entry_path, folder) for folder in unlisted or []):
            continue  # its folder could not be listed this run: absence proves nothing
        if any(_is_under(entry_path, root) for root in roots):
            pruned.append(entry.path)
            if entry.ids_file:
                txn.delete(entry.ids_file)
            del state.entries[entry_id]
    return pruned


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.absolute().relative_to(root.absolute())
        return True
    except ValueError:
        return False
