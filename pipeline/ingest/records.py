"""The contract between the format parsers and the ingest runner.

Parsers (textlog, jsonlog, exports) turn bytes into ``Parsed`` rows or ``Reject``s; they never
open files, print, or write.  The runner (``pipeline.ingest.runner``) walks paths, tracks state,
dedups and writes Parquet.  Row dicts carry the columns of ``pipeline.schemas.EVENTS`` (or
``CHANNEL_STATUS``); missing keys are written as null.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

RAW_LIMIT = 4096  # characters of raw text kept in a reject


@dataclass(frozen=True)
class FileContext:
    """What a parser needs to know about the file a block came from."""

    source_path: str
    tz: str = "UTC"  # IANA zone for header-only timestamps
    date_order: Literal["mdy", "dmy", "auto"] = "auto"  # resolved per file by the runner when possible
    fallback_encoding: str = "cp1252"  # per-entry fallback when UTF-8 fails
    # The runner's deferred decision of the file's order (called on first use, it caches), or None
    order_resolver: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    def resolved_date_order(self) -> str:
        """The order for reading a header date without ``Time()``: only such entries need one, so the
        runner may decide it on first use (a pass over the file's first headers) instead of up front."""
        return self.order_resolver() if self.order_resolver is not None else self.date_order


@dataclass(frozen=True)
class RawBlock:
    """One entry's bytes as split from a file (before decoding)."""

    offset: int  # byte offset of the block's first byte in the (decompressed) file
    line: int  # 1-based line number of the block's first line
    data: bytes
    complete: bool = True  # False: the file ended before the entry's trailer (live file or cut by rotation)


@dataclass(frozen=True)
class Reject:
    offset: int
    line: int
    reason: str
    raw: bytes
    source_format: str = "text"
    length: int | None = None  # bytes of input the reject stands for, when not len(raw) (a cut or stripped line)


@dataclass
class Parsed:
    """One parsed row plus the key used for its stable id."""

    row: dict[str, Any]
    content_key: bytes  # canonical bytes of the entry; event_id = hash(content_key, ordinal among identical keys in the file)
    notes: list[str] = field(default_factory=list)
