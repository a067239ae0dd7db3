"""Turning an entry's bytes into text without ever inventing characters.

MQ writes its error logs in the code page of the process that wrote them: UTF-8 on most modern
Linux systems, a Windows ANSI or OEM code page (cp1252, cp850) on Windows.  One file can mix both
(entries written by different programs), so decoding is decided per entry:

1. a UTF-8 byte-order mark is dropped;
2. the bytes are tried as strict UTF-8 (pure ASCII is reported as ``utf-8``);
3. otherwise they are decoded with the fallback code page;
4. if the fallback cannot map a byte (cp1252 leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D undefined), that
   byte is written as a ``\\xNN`` escape and the encoding is reported as ``<fallback>+escaped``.

U+FFFD is never produced.  Whole files in UTF-16 (with a BOM, or detected from NUL bytes) are
transcoded to UTF-8 by ``Utf16Reader`` before they are split into entries.
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

UTF8_BOM = b"\xef\xbb\xbf"
SUPPORTED_FALLBACKS = ("cp1252", "cp850", "cp437", "latin-1", "cp1250", "cp1251", "iso8859-15")


def check_fallback(name: str) -> str:
    """The canonical codec name of a fallback code page; ValueError names the bad value."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValueError(f"unknown fallback encoding {name!r} (try cp1252 or cp850)") from None
    if info.name.startswith("utf"):
        raise ValueError(f"fallback encoding {name!r} must be a single-byte code page")
    return name


def decode_entry(data: bytes, fallback: str = "cp1252") -> tuple[str, str]:
    """Decode one entry: returns (text, encoding actually used)."""
    if data.startswith(UTF8_BOM):
        data = data[3:]
    if data.isascii():
        return data.decode("ascii"), "utf-8"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(fallback), fallback
    except UnicodeDecodeError:
        return data.decode(fallback, errors="backslashreplace"), f"{fallback}+escaped"


def sniff_file_encoding(head: bytes) -> str | None:
    """The encoding of a whole file when it is not byte-oriented text, else None.

    Returns ``utf-16-le`` / ``utf-16-be`` for a UTF-16 file (BOM, or the NUL pattern of ASCII text in
    UTF-16 without a BOM), ``utf-8-sig`` when the file starts with a UTF-8 BOM, None otherwise (decode
    per entry with ``decode_entry``).
    """
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    if head.startswith(UTF8_BOM):
        return "utf-8-sig"
    sample = head[:512]
    if len(sample) >= 16:
        even_nuls = sample[0::2].count(0)
        odd_nuls = sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nuls > 0.8 * half and even_nuls < 0.1 * half:
            return "utf-16-le"
        if even_nuls > 0.8 * half and odd_nuls < 0.1 * half:
            return "utf-16-be"
    return None


class Utf16Reader(io.RawIOBase):
    """A read-only binary stream that yields the UTF-8 form of a UTF-16 stream, chunk by chunk.

    Offsets seen by the splitter are then offsets in the UTF-8 transcoding, not in the original
    file (documented in docs/ingest-formats.md).  A BOM is dropped; bytes that are not valid UTF-16
    (an unpaired surrogate, an odd last byte) become ``\\xNN`` escapes rather than U+FFFD.
    """

    def __init__(self, raw: BinaryIO, encoding: str, chunk_size: int = 1 << 20) -> None:
        super().__init__()
        if encoding not in ("utf-16-le", "utf-16-be"):
            raise ValueError(f"Utf16Reader handles utf-16-le/utf-16-be, not {encoding!r}")
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="backslashreplace")
        self._chunk = chunk_size
        self._pending = b""
        self._pos = 0
        self._eof = False
        self._first = True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while self._pos >= len(self._pending) and not self._eof:
            data = self._raw.read(self._chunk)
            final = not data
            text = self._decoder.decode(data or b"", final=final)
            if self._first and text:
                text = text.removeprefix("\ufeff")
                self._first = False
            self._pending = text.encode("utf-8", errors="backslashreplace")
            self._pos = 0
            self._eof = final
        n = min(len(buffer), len(self._pending) - self._pos)
        buffer[:n] = self._pending[self._pos : self._pos + n]
        self._pos += n
        return n
