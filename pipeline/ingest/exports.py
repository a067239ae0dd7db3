"""Channel last-error exports -> rows of ``pipeline.schemas.CHANNEL_STATUS``.

MQ keeps no "last channel error" attribute, so users export it themselves.  Five formats are read
(see ``docs/exports.md`` for each one's layout and the assumptions made):

==================  =======================================================================
kind                what it is
==================  =======================================================================
``chstatus``        runmqsc ``DISPLAY CHSTATUS(*) ALL`` output (MQ 7.5-9.4, z/OS CSQM201I)
``amqsevt_json``    ``amqsevt -o json`` / ``json_compact`` channel events (C, Go and Java ports)
``amqsevt_text``    ``amqsevt -o text`` channel events
``csv``             a last-error table: qmgr, channel, last_error_time, last_error, ...
``jsonl``           the same table as JSON Lines
==================  =======================================================================

The runner calls ``sniff_export`` on a file's first bytes, then ``read_export`` on its stream.
Readers never open files or print; they yield ``Parsed`` rows and ``Reject``s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from pipeline.errors import InputError
from pipeline.ingest.exports_common import UTF8_BOM, extract_mqrc, extract_msg_id
from pipeline.ingest.exports_events import read_amqsevt_json, read_amqsevt_text
from pipeline.ingest.exports_mqsc import read_chstatus
from pipeline.ingest.exports_table import (
    REQUIRED,
    UTF16_BOMS,
    map_columns,
    read_csv,
    read_jsonl,
    sniff_delimiter,
)
from pipeline.ingest.records import FileContext, Parsed, Reject

__all__ = ["KINDS", "extract_mqrc", "extract_msg_id", "read_export", "sniff_export"]

Reader = Callable[[BinaryIO, FileContext], Iterator[Parsed | Reject]]

READERS: dict[str, Reader] = {
    "chstatus": read_chstatus,
    "amqsevt_json": read_amqsevt_json,
    "amqsevt_text": read_amqsevt_text,
    "csv": read_csv,
    "jsonl": read_jsonl,
}
KINDS = tuple(READERS)

_COMPRESSED = (".gz", ".bz2", ".xz", ".zst")
_EVENT_TEXT = re.compile(r"^\*{4} Message #\d+ |^Sample AMQSEVT start", re.M)
_EVENT_JSON_KEY = re.compile(r'"event(?:Type|Reason|Data|Source|Creation)"\s*:')
_CHSTATUS = re.compile(
    r"^\s*AMQ84(?:17|20)[A-Z]?:"  # status block / not found
    r"|^\s*CSQM201I\s+\S+\s+\S+\s+(?:DIS|DISPLAY)\s+CHSTATUS\s"  # z/OS reply
    r"|^\s*\d+\s:\s+(?:DIS|DISPLAY)\s+CH(?:S|STATUS)\b",  # echoed command
    re.M | re.I,
)
_MQSC_BANNER = re.compile(r"^Starting MQSC for queue manager ", re.M)
FULL_HEAD = 64 * 1024  # the runner's head size: a transcript this long may show status further on


def _head_text(head: bytes) -> str:
    if head[:2] in UTF16_BOMS:
        return head.decode("utf-16", errors="replace")
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM) :]
    return head.decode("utf-8", errors="replace")


def _base_name(path_name: str) -> str:
    name = re.split(r"[\\/]", path_name)[-1].lower()
    for suffix in _COMPRESSED:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _may_be_chstatus(text: str) -> bool:
    """False only when ``_CHSTATUS`` cannot match: its anchored, case-blind search tries every position of
    a 64 KB head (~1 ms a file); these literal tests run at memory speed.  Non-ASCII text is always
    searched (case-blind matching knows a few non-ASCII letters, such as the long s)."""
    if not text.isascii():
        return True
    low = text.lower()
    return "amq84" in low or "csqm201i" in low or _COLON_DIS.search(low) is not None


_COLON_DIS = re.compile(r":\s+dis(?:play)?\s+ch")  # the echoed command's ": DIS CH..." (a literal first)


def _has_required(names: list[str]) -> bool:
    mapped, _ = map_columns(names)
    return all(column in mapped for column in REQUIRED)


def sniff_export(path_name: str, head: bytes) -> str | None:
    """The export kind of a file from its name and first bytes, or None when it is not an export.

    A ``.csv``/``.tsv`` name is enough for ``csv`` (so a wrong header gets a clear error, not
    silence); any other name needs a header that has every required column.
    """
    name = _base_name(path_name)
    text = _head_text(head)
    body = text.lstrip()
    if ("**** Message #" in text or "Sample AMQSEVT start" in text) and _EVENT_TEXT.search(text):
        return "amqsevt_text"
    if body.startswith(("{", "[")):
        if _EVENT_JSON_KEY.search(text):
            return "amqsevt_json"
        if name.endswith((".jsonl", ".ndjson")):
            return "jsonl"
        first = body.split("\n", 1)[0]
        try:
            obj = json.loads(first)
        except json.JSONDecodeError:
            return None
        if isinstance(obj, dict) and _has_required([str(k) for k in obj]):
            return "jsonl"
        return None
    if _may_be_chstatus(text) and _CHSTATUS.search(text):
        return "chstatus"
    if len(head) >= FULL_HEAD and "Starting MQSC for queue manager " in text and _MQSC_BANNER.search(text):
        return "chstatus"  # a long runmqsc transcript: its DISPLAY CHSTATUS may come after the head
    if name.endswith((".csv", ".tsv")):
        return "csv"
    first = body.split("\n", 1)[0].rstrip("\r")
    if first.startswith("sep=") and len(first) == 5:  # Excel's delimiter hint line
        first = body.split("\n", 2)[1].rstrip("\r") if body.count("\n") >= 2 else ""
    if first:
        delimiter = sniff_delimiter(first)
        names = [part.strip().strip('"') for part in first.split(delimiter)]
        if len(names) > 1 and _has_required(names):
            return "csv"
    return None


def read_export(kind: str, stream: BinaryIO, ctx: FileContext) -> Iterator[Parsed | Reject]:
    """Rows (``Parsed``) and ``Reject``s of one export file, streamed in file order."""
    reader = READERS.get(kind)
    if reader is None:
        raise InputError(f"{ctx.source_path}: unknown export kind {kind!r} (known: {', '.join(KINDS)})")
    return reader(stream, ctx)
