"""Finding input files, ordering them, and deciding what each one is.

Folders are walked recursively in sorted order.  Inside a folder the MQ error logs come first,
oldest first (``AMQERR03`` -> ``02`` -> ``01``, text before JSON at each number), then every other
file by name.  What a file *is* comes from its content (``sniff``), never from its name alone; the
name only breaks ties for exports.  A ``mqtriage.tz`` file in a folder names the IANA zone of the
logs in that folder and below (the nearest one wins, searched up to the PATH given on the command
line).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError

TZ_FILE = "mqtriage.tz"
HEAD_BYTES = 64 * 1024  # what sniffers see
GZIP_MAGIC = b"\x1f\x8b"
_AMQERR_RE = re.compile(r"^AMQERR(\d{1,3})\.(LOG|JSON)(\.gz)?$", re.IGNORECASE)


@dataclass(frozen=True)
class FoundFile:
    path: Path  # as reached from the PATH argument (never resolved: names stay readable)
    root: Path  # the PATH argument it was found under
    tz_file: Path | None  # the mqtriage.tz that applies, if any


def _order_key(name: str) -> tuple[int, int, int, str]:
    match = _AMQERR_RE.match(name)
    if match:
        kind = 0 if match.group(2).upper() == "LOG" else 1
        return (0, -int(match.group(1)), kind, name)
    return (1, 0, 0, name)


PREFLIGHT_MANIFEST = "preflight.yaml"


def discover(
    paths: Iterable[str | Path], exclude: Iterable[Path] = (), errors: list[tuple[Path, str]] | None = None
) -> list[FoundFile]:
    """Every file under ``paths`` in processing order; InputError names a missing PATH.

    ``exclude`` folders (the output folder) are never entered.  Directory symlinks are not
    followed (no cycles); file symlinks are read.  Folders that cannot be listed are appended to
    ``errors`` (path, message) so the caller reports them instead of skipping them silently.
    """
    excluded = {p.resolve() for p in exclude}
    found: list[FoundFile] = []
    seen: set[Path] = set()
    for raw in paths:
        root = Path(raw)
        if not root.exists() and not root.is_symlink():
            raise InputError(f"input path {root} does not exist")
        if root.is_dir():
            found.extend(_walk_dir(root, excluded, seen, errors if errors is not None else []))
        else:
            key = root.absolute()
            if key not in seen:
                seen.add(key)
                found.append(FoundFile(root, root.parent, _tz_file_for(root.parent, root.parent)))
    return found


def _walk_dir(
    root: Path, excluded: set[Path], seen: set[Path], errors: list[tuple[Path, str]]
) -> list[FoundFile]:
    found: list[FoundFile] = []

    def unlistable(exc: OSError) -> None:
        errors.append((Path(exc.filename or root), f"cannot list folder: {exc.strerror or exc}"))

    for dirpath, dirs, files in os.walk(root, onerror=unlistable):
        here = Path(dirpath)
        dirs[:] = sorted(
            d
            for d in dirs
            if (here / d).resolve() not in excluded
            and not d.startswith(".")
            # a preflight configuration folder holds definitions and certificates, not logs
            and not (here / d / PREFLIGHT_MANIFEST).is_file()
        )
        tz_file = _tz_file_for(here, root)
        for name in sorted(files, key=_order_key):
            if name == TZ_FILE or name.startswith("."):
                continue
            path = here / name
            key = path.absolute()
            if key in seen:
                continue
            seen.add(key)
            found.append(FoundFile(path, root, tz_file))
    return found


def _tz_file_for(folder: Path, root: Path) -> Path | None:
    current = folder
    while True:
        candidate = current / TZ_FILE
        if candidate.is_file():
            return candidate
        if current == root or current.parent == current:
            return None
        current = current.parent


def read_tz_file(path: Path) -> str:
    """The zone named in a ``mqtriage.tz`` file; InputError names the file when it is not valid."""
    from pipeline.ingest.dates import zone  # the single place zone names are validated

    try:
        lines = [
            line.strip()
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read time zone file: {exc}") from exc
    if len(lines) != 1:
        raise InputError(
            f"{path}: expected one IANA zone name (e.g. Europe/Berlin), found {len(lines)} lines"
        )
    try:
        zone(lines[0])
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc
    return lines[0]


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def open_binary(path: Path, gz: bool):  # type: ignore[no-untyped-def]
    """A binary stream of the file's (decompressed) bytes."""
    return gzip.open(path, "rb") if gz else open(path, "rb")


def read_head(path: Path, gz: bool, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` decompressed bytes; OSError/EOFError/zlib.error propagate to the caller."""
    with open_binary(path, gz) as stream:
        return stream.read(size)


HEAD_ERRORS = (OSError, EOFError, zlib.error)


def looks_like_json_log(head: bytes) -> bool:
    """True when the first non-blank line is a JSON object with MQ diagnostic keys."""
    text = head.lstrip(b"\xef\xbb\xbf")
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            return False
        return isinstance(doc, dict) and ("ibm_messageId" in doc or "ibm_datetime" in doc)
    return False


def classify_head(
    name: str,
    head: bytes,
    sniff_text: Callable[[bytes], str | None],
    sniff_export: Callable[[str, bytes], str | None],
    header_sample: Callable[[bytes], object] | None = None,
) -> tuple[str | None, str]:
    """(kind, reason): kind is text | flat | json | an export kind, or None with the skip reason."""
    if not head.strip():
        return None, "empty file"
    # Strict signatures first: JSON diagnostic keys, then export markers (CHSTATUS transcripts and
    # amqsevt output can contain AMQnnnn lines that would also satisfy the text-log sniffer).
    if looks_like_json_log(head):
        return "json", "sniffed as JSON diagnostic log"
    export = sniff_export(name, head)
    if export:
        return export, f"sniffed as {export} export"
    kind = sniff_text(head)
    if (
        kind == "text"
        and header_sample is not None
        and header_sample(head) is None
        and not _has_trailer(head)
    ):
        # AMQnnnn lines alone also appear in runmqsc transcripts and command output
        return None, "AMQ message lines but no error-log entry header or trailer (runmqsc output?)"
    if kind in ("text", "flat"):
        return kind, f"sniffed as {kind} error log"
    if b"\x00" in head[:4096]:
        return None, "binary content (NUL bytes), not an MQ log or export"
    return None, "unknown format: not an MQ error log (text/JSON) or a known export"


def _has_trailer(head: bytes) -> bool:
    return head.startswith(b"-----") or b"\n-----" in head


def base_name(path: Path) -> str:
    """The name without a ``.gz`` suffix (what export sniffers expect)."""
    return path.name[:-3] if path.name.lower().endswith(".gz") else path.name
