"""Header dates of the text error log, and local time to UTC.

The header date follows the locale of the process that wrote the entry.  Styles handled:
``MM/DD/YY`` (Linux ``LANG=C``), ``M/D/YYYY`` (Windows, US), ``DD/MM/YYYY``, ``DD.MM.YYYY`` (German
and other dotted locales, always day first), ``YYYY-MM-DD`` / ``YYYY/MM/DD`` (year first), each with
24-hour time or 12-hour time followed by ``AM``/``PM``.

Slash dates are ambiguous.  ``detect_date_order`` decides per file from evidence (a field over 12,
or which reading agrees with the entry's ``Time()`` UTC stamp by a plausible zone offset); when
there is no evidence the caller's configured order is used (``--date-order``, default mdy).

Two-digit years follow POSIX ``%y``: 69-99 -> 19xx, 00-68 -> 20xx.

``to_utc`` converts with the IANA database (zoneinfo).  Local times that do not exist (the hour
skipped when clocks go forward) and that exist twice (the hour repeated when clocks go back) are
resolved deterministically with ``fold=0``: an ambiguous time is read as its *first* occurrence
(the earlier instant, still on summer time), a skipped time is read with the offset in force
*before* the change (so 02:30 in a 02:00->03:00 gap becomes the instant 03:30 local summer time).
``local_time_issue`` tells the caller which case applied so it can be noted on the row.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.errors import InputError

DateOrder = Literal["mdy", "dmy"]

_DATE_RE = re.compile(r"(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})")
_TIME_RE = re.compile(r"(\d{1,2})[:.](\d{2})[:.](\d{2})(?:[.,](\d{1,6}))?(?:\s*([AaPp])\.?[Mm]\.?)?")
_ISO_RE = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2})[:.](\d{2})[:.](\d{2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?\s*"
)


class DateError(ValueError):
    """A header date or time that cannot be read; the message says what was seen."""


def _year(text: str) -> int:
    y = int(text)
    if len(text) <= 2:
        return 2000 + y if y <= 68 else 1900 + y
    return y


@lru_cache(maxsize=8192)
def split_date(date_text: str) -> tuple[int, int, int, str] | None:
    """The three numeric fields of a header date and its separator, or None."""
    m = _DATE_RE.fullmatch(date_text.strip())
    if not m:
        return None
    return int(m.group(1)), int(m.group(3)), int(m.group(4)), m.group(2)


@lru_cache(maxsize=8192)
def forced_order(date_text: str) -> str | None:
    """``dmy`` for dotted dates, ``ymd`` for year-first dates, None when the order is ambiguous."""
    m = _DATE_RE.fullmatch(date_text.strip())
    if not m:
        return None
    if len(m.group(1)) == 4:
        return "ymd"
    if m.group(2) == ".":
        return "dmy"
    return None


@lru_cache(maxsize=8192)
def _date_part(date_text: str, order: str) -> tuple[int, int, int] | str:
    """(year, month, day) of a header date read in ``order``, or an error message (cached: logs
    repeat the same date thousands of times)."""
    m = _DATE_RE.fullmatch(date_text.strip())
    if not m:
        return f"unrecognised header date {date_text!r}"
    a, sep, b, c = m.group(1), m.group(2), m.group(3), m.group(4)
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    else:
        if sep == ".":
            order = "dmy"
        if order == "dmy":
            day, month, year = int(a), int(b), _year(c)
        else:
            month, day, year = int(a), int(b), _year(c)
    try:
        datetime(year, month, day)
    except ValueError as exc:
        return f"impossible date {date_text} read as {order}: {exc}"
    return year, month, day


def parse_header_datetime(date_text: str, time_text: str, order: str = "mdy") -> datetime:
    """A naive local datetime from the header's date and time (``time_text`` may end in AM/PM)."""
    ymd = _date_part(date_text, order)
    if isinstance(ymd, str):
        raise DateError(ymd)
    if (
        len(time_text) == 8
        and time_text[2] == ":"
        and time_text[5] == ":"
        and time_text.replace(":", "").isdigit()
    ):
        hour, minute, second, micro = int(time_text[:2]), int(time_text[3:5]), int(time_text[6:]), 0
    else:
        t = _TIME_RE.fullmatch(time_text.strip())
        if not t:
            raise DateError(f"unrecognised header time {time_text!r}")
        hour, minute, second = int(t.group(1)), int(t.group(2)), int(t.group(3))
        micro = int((t.group(4) or "0").ljust(6, "0")[:6])
        if t.group(5):
            if not 1 <= hour <= 12:
                raise DateError(f"12-hour time with hour {hour} in {time_text!r}")
            pm = t.group(5) in "Pp"
            hour = hour % 12 + (12 if pm else 0)
    try:
        return datetime(ymd[0], ymd[1], ymd[2], hour, minute, second, micro)
    except ValueError as exc:
        raise DateError(f"impossible time {time_text!r}: {exc}") from None


_ISO_USUAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")  # what MQ writes


def parse_iso_utc(text: str) -> datetime:
    """An aware UTC datetime from ``Time(...)`` / ``ibm_datetime`` (dots allowed between h, m, s)."""
    if _ISO_USUAL.fullmatch(text):
        try:  # the C parser; same value (milliseconds, tzinfo UTC) as the general reading below
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # an impossible date: the general reading below names the problem
    m = _ISO_RE.fullmatch(text)
    if not m:
        raise DateError(f"unrecognised ISO timestamp {text!r}")
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = m.group(7) or "0"
    micro = int(frac.ljust(6, "0")[:6])
    try:
        dt = datetime(y, mo, d, h, mi, s, micro, tzinfo=UTC)
    except ValueError as exc:
        raise DateError(f"impossible timestamp {text!r}: {exc}") from None
    zone = m.group(8)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        dt -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return dt


@lru_cache(maxsize=64)
def zone(tz: str) -> ZoneInfo:
    """The IANA zone named ``tz``; InputError names the value when it is unknown."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown time zone {tz!r} (use an IANA name such as Europe/Berlin or UTC)"
        ) from None


def to_utc(naive_local: datetime, tz: str) -> datetime:
    """Read a naive wall-clock time in zone ``tz`` and return the aware UTC instant (fold=0 rule)."""
    if naive_local.tzinfo is not None:
        return naive_local.astimezone(UTC)
    return naive_local.replace(tzinfo=zone(tz), fold=0).astimezone(UTC)


def local_time_issue(naive_local: datetime, tz: str) -> Literal["gap", "fold"] | None:
    """``gap`` when the wall time does not exist in ``tz``, ``fold`` when it exists twice."""
    z = zone(tz)
    a = naive_local.replace(tzinfo=z, fold=0)
    b = naive_local.replace(tzinfo=z, fold=1)
    if a.utcoffset() == b.utcoffset():
        return None
    back = a.astimezone(UTC).astimezone(z).replace(tzinfo=None)
    return "gap" if back != naive_local else "fold"


@lru_cache(maxsize=4096)
def _offsets(tz: str, day: datetime, half_hour: int) -> tuple[timedelta, timedelta]:
    """(fold=0 offset, fold=1 offset) of zone ``tz`` in one half hour of local time.

    Zone transitions happen on half-hour boundaries, so both offsets are constant inside the block.
    """
    probe = day + timedelta(minutes=30 * half_hour + 15)
    z = zone(tz)
    a = probe.replace(tzinfo=z, fold=0).utcoffset()
    b = probe.replace(tzinfo=z, fold=1).utcoffset()
    assert a is not None and b is not None
    return a, b


def to_utc_checked(naive_local: datetime, tz: str) -> tuple[datetime, Literal["gap", "fold"] | None]:
    """``to_utc`` plus ``local_time_issue`` in one cached step (the hot path of header-only logs)."""
    if tz == "UTC":
        return naive_local.replace(tzinfo=UTC), None
    day = naive_local.replace(hour=0, minute=0, second=0, microsecond=0)
    off0, off1 = _offsets(tz, day, naive_local.hour * 2 + naive_local.minute // 30)
    utc = (naive_local - off0).replace(tzinfo=UTC)
    if off0 == off1:
        return utc, None
    return utc, ("gap" if off1 > off0 else "fold")


_HEADER_DT_RE = re.compile(
    r"\s*(\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4})\s+(\d{1,2}[:.]\d{2}[:.]\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?)\s*"
)


def split_header_time(header_time: str) -> tuple[str, str] | None:
    """("date", "time[ AM]") from a header's date-and-time text, or None."""
    m = _HEADER_DT_RE.fullmatch(header_time)
    return (m.group(1), m.group(2)) if m else None


def _plausible_offset(local: datetime, utc: datetime) -> bool:
    diff = (local - utc.replace(tzinfo=None, microsecond=0)).total_seconds()
    if abs(diff) > 14 * 3600 + 1:
        return False
    rem = diff % 900  # zone offsets are whole quarter hours (Nepal +5:45, Chatham +12:45)
    return rem <= 1 or rem >= 899


def detect_date_order(samples: list[tuple[str, str | None]]) -> DateOrder | None:
    """Decide ``mdy`` or ``dmy`` for one file from (header date-and-time, Time() or None) samples.

    Evidence, strongest first: a first field over 12 means day first, a second field over 12 means
    month first (both seen: None, the file is inconsistent); otherwise the reading whose local time
    differs from ``Time()`` by a plausible zone offset (within +-14 h, whole quarter hours) in every
    informative sample.  Dotted and year-first dates carry no evidence about slash dates.  None when
    nothing decides; the caller then uses its configured order.
    """
    # Pass 1, the field evidence: when it decides (or conflicts), Time() is never looked at.
    dmy_votes = mdy_votes = 0
    candidates: list[tuple[tuple[str, str], str]] = []  # ambiguous slash dates that carry a Time()
    for header, utc_text in samples:
        parts = split_header_time(header)
        date_text = parts[0] if parts else header.strip()
        fields = split_date(date_text)
        if fields is None or forced_order(date_text) is not None:
            continue
        a, b, _, _ = fields
        if a > 12 and b <= 12:
            dmy_votes += 1
        elif b > 12 and a <= 12:
            mdy_votes += 1
        if parts is None or not utc_text or a == b or a > 12 or b > 12:
            continue
        candidates.append((parts, utc_text))
    if dmy_votes and mdy_votes:
        return None
    if dmy_votes:
        return "dmy"
    if mdy_votes:
        return "mdy"
    # Pass 2, Time(): an order that failed one informative sample can never fit them all, so it is
    # not tried again (the counts that matter are "fits every informative sample" or not).
    fits = {"mdy": True, "dmy": True}
    time_informative = 0
    for parts, utc_text in candidates:
        if not (fits["mdy"] or fits["dmy"]):
            break
        try:
            utc = parse_iso_utc(utc_text)
        except DateError:
            continue
        time_informative += 1
        for order in ("mdy", "dmy"):
            if not fits[order]:
                continue
            try:
                local = parse_header_datetime(parts[0], parts[1], order)
            except DateError:
                fits[order] = False
                continue
            if not _plausible_offset(local, utc):
                fits[order] = False
    if time_informative:
        if fits["mdy"] and not fits["dmy"]:
            return "mdy"
        if fits["dmy"] and not fits["mdy"]:
            return "dmy"
    return None
