"""Header dates, date-order detection and local-to-UTC conversion."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.errors import InputError
from pipeline.ingest import dates


@pytest.mark.parametrize(
    ("date", "time", "order", "expected"),
    [
        ("06/14/22", "11:54:29", "mdy", datetime(2022, 6, 14, 11, 54, 29)),
        ("3/19/2017", "14:33:53", "mdy", datetime(2017, 3, 19, 14, 33, 53)),
        ("23/10/2014", "08:31:41", "dmy", datetime(2014, 10, 23, 8, 31, 41)),
        ("11.10.2018", "10:39:30", "mdy", datetime(2018, 10, 11, 10, 39, 30)),  # dotted: always day first
        ("01/31/2019", "02:55:58 PM", "mdy", datetime(2019, 1, 31, 14, 55, 58)),
        ("04/12/2020", "12:39:07 AM", "mdy", datetime(2020, 4, 12, 0, 39, 7)),
        ("04/12/2020", "12:39:07 PM", "dmy", datetime(2020, 12, 4, 12, 39, 7)),
        ("16/11/17", "09:54:26", "dmy", datetime(2017, 11, 16, 9, 54, 26)),
        ("2024-10-30", "00:06:19", "dmy", datetime(2024, 10, 30, 0, 6, 19)),
        ("01/02/69", "00:00:00", "mdy", datetime(1969, 1, 2)),
    ],
)
def test_header_styles(date: str, time: str, order: str, expected: datetime) -> None:
    assert dates.parse_header_datetime(date, time, order) == expected


@pytest.mark.parametrize(
    ("date", "time"), [("13/13/2020", "10:00:00"), ("x", "10:00:00"), ("1/1/2020", "13:00:00 PM")]
)
def test_bad_header_dates(date: str, time: str) -> None:
    with pytest.raises(dates.DateError):
        dates.parse_header_datetime(date, time, "mdy")


def test_iso_time_field_variants() -> None:
    assert dates.parse_iso_utc("2018-10-11T08:39:30.731Z") == datetime(
        2018, 10, 11, 8, 39, 30, 731000, tzinfo=UTC
    )
    assert dates.parse_iso_utc("2022-02-07T23.40.06.275Z") == datetime(
        2022, 2, 7, 23, 40, 6, 275000, tzinfo=UTC
    )
    assert dates.parse_iso_utc("2022-02-07T23:40:06+01:00") == datetime(2022, 2, 7, 22, 40, 6, tzinfo=UTC)


def test_detect_by_field_over_twelve() -> None:
    assert dates.detect_date_order([("23/10/2014 08:31:41", None)]) == "dmy"
    assert dates.detect_date_order([("10/23/2014 08:31:41", None), ("01/02/2014 01:00:00", None)]) == "mdy"
    assert dates.detect_date_order([("23/10/2014 08:31:41", None), ("10/23/2014 08:31:41", None)]) is None
    assert (
        dates.detect_date_order([("11.10.2018 10:39:30", None)]) is None
    )  # dotted says nothing about slashes


def test_detect_by_time_field() -> None:
    # Filebeat fixture: 11/10/2018 10:46:25 local, Time 2018-10-11T08:46:25Z -> day first, UTC+2
    assert dates.detect_date_order([("11/10/2018 10:46:25", "2018-10-11T08:46:25.924Z")]) == "dmy"
    # the same header with a Time() on November 10th -> month first
    assert dates.detect_date_order([("11/10/2018 10:46:25", "2018-11-10T15:46:25.924Z")]) == "mdy"
    # India (+5:30) still counts as plausible
    assert dates.detect_date_order([("03/04/2020 17:30:00", "2020-03-04T12:00:00.000Z")]) == "mdy"
    # no evidence
    assert dates.detect_date_order([("05/05/2020 10:00:00", "2020-05-05T08:00:00Z")]) is None
    assert dates.detect_date_order([]) is None


def test_to_utc_with_dst() -> None:
    berlin = "Europe/Berlin"
    assert dates.to_utc(datetime(2024, 7, 1, 12, 0), berlin) == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert dates.to_utc(datetime(2024, 1, 1, 12, 0), berlin) == datetime(2024, 1, 1, 11, 0, tzinfo=UTC)
    gap = datetime(2021, 3, 28, 2, 30)
    fold = datetime(2021, 10, 31, 2, 30)
    assert dates.local_time_issue(gap, berlin) == "gap"
    assert dates.local_time_issue(fold, berlin) == "fold"
    assert dates.local_time_issue(datetime(2021, 10, 31, 4, 30), berlin) is None
    assert dates.to_utc(gap, berlin) == datetime(2021, 3, 28, 1, 30, tzinfo=UTC)  # offset before the change
    assert dates.to_utc(fold, berlin) == datetime(2021, 10, 31, 0, 30, tzinfo=UTC)  # first occurrence
    for naive in (gap, fold, datetime(2024, 7, 1, 12, 0), datetime(2021, 10, 31, 3, 15)):
        assert dates.to_utc_checked(naive, berlin) == (
            dates.to_utc(naive, berlin),
            dates.local_time_issue(naive, berlin),
        )


def test_unknown_zone_names_the_value() -> None:
    with pytest.raises(InputError, match="Mars/Olympus"):
        dates.to_utc(datetime(2024, 1, 1), "Mars/Olympus")
