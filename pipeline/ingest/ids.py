"""Stable event ids.

``event_id = blake2b(content_key || ordinal, 16 bytes)`` in hex.  The content key never includes the
file an entry was read from, its offset or its line, so the same entry read again from AMQERR02.LOG
after rotation, or from a copy of the file, keeps its id.  ``ordinal`` counts earlier entries with
the same content key in the same file, so genuinely repeated identical entries stay distinct.

Two kinds of key:

* ``entry_key(format, raw)`` - what the log parsers use: the entry's own bytes, with line ends
  normalised (CRLF -> LF), a UTF-8 BOM and surrounding whitespace removed, prefixed by the source
  format.  It does not depend on the parser's interpretation, so ids survive parser upgrades and
  changes of ``--tz``/``--date-order``/fallback encoding.
* ``content_key(row)`` - for rows that have no raw entry (or callers that only hold a row): the
  repr of the identifying fields in KEY_FIELDS order.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Mapping
from typing import Any

# The row fields that identify an entry, in a fixed order.  source_path, source_offset,
# source_line, encoding and event_id are deliberately absent.
KEY_FIELDS = (
    "source_format",
    "qmgr",
    "host",
    "installation",
    "vrmf",
    "pid",
    "tid",
    "program",
    "user",
    "timestamp",
    "header_time",
    "msg_id",
    "severity",
    "message",
    "explanation",
    "action",
    "arith_insert_1",
    "arith_insert_2",
    "comment_insert_1",
    "comment_insert_2",
    "comment_insert_3",
    "remote_host",
    "source_module",
    "sequence",
    "extra",
)
_GET_KEY = operator.itemgetter(*KEY_FIELDS)


def content_key(row: Mapping[str, Any]) -> bytes:
    """Canonical bytes of an entry's own content (see KEY_FIELDS): the repr of their values in order.

    repr keeps None and the string "None" apart and is stable for str, int and datetime.
    """
    try:
        values = _GET_KEY(row)
    except KeyError:
        values = tuple(row.get(k) for k in KEY_FIELDS)
    return repr(values).encode("utf-8", errors="surrogatepass")


def entry_key(source_format: str, raw: bytes) -> bytes:
    """The content key of a raw log entry (see module docstring)."""
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")
    return source_format.encode("ascii") + b"\x1f" + raw.removeprefix(b"\xef\xbb\xbf").strip()


def event_id(key: bytes, ordinal: int) -> str:
    """32 hex characters; ``ordinal`` is 0 for the first entry with this key in a file."""
    h = hashlib.blake2b(key, digest_size=16, person=b"mqtriage-event")
    h.update(ordinal.to_bytes(8, "big", signed=False))
    return h.hexdigest()


class OrdinalCounter:
    """Assigns ordinals to content keys within one file (the runner keeps one per file)."""

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def next(self, key: bytes) -> int:
        n = self._seen.get(key, 0)
        self._seen[key] = n + 1
        return n
