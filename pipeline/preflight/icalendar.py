"""A minimal RFC 5545 writer for all-day renewal events.

CRLF line endings; content lines folded at 75 octets (never inside a UTF-8 sequence), continuation
lines start with one space; TEXT values escape backslash, semicolon, comma and newlines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PRODID = "-//mqtriage//preflight certificate renewals//EN"


def escape_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str, limit: int = 75) -> str:
    """Fold one content line into CRLF-separated chunks of at most `limit` octets."""
    data = line.encode("utf-8")
    if len(data) <= limit:
        return line + "\r\n"
    parts: list[str] = []
    current: list[str] = []
    size, room = 0, limit
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > room:
            parts.append("".join(current))
            current, size, room = [], 0, limit - 1  # continuation lines carry a leading space
        current.append(ch)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts) + "\r\n"


def unfold(text: str) -> list[str]:
    """The inverse of fold over a whole calendar (for tests and readers)."""
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


@dataclass(frozen=True)
class Event:
    uid: str
    day: dt.date
    summary: str
    description: str
    categories: tuple[str, ...] = ()


def render(events: list[Event], stamp: dt.datetime) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    dtstamp = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for ev in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{ev.uid}",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART;VALUE=DATE:{ev.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{ev.day + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape_text(ev.summary)}",
            f"DESCRIPTION:{escape_text(ev.description)}",
        ]
        if ev.categories:
            lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in ev.categories))
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)
