"""`?as_of=` is read in one place: a moment with its offset, not after now; anything else is refused
with a message that says what is wrong and how to write one."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services.projection.as_of import parse
from shared.errors import InvalidInput

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 2, 13, 0, tzinfo=dt.UTC)


def refusal(value: str) -> str:
    with pytest.raises(InvalidInput) as refused:
        parse(value, NOW, TZ)
    return refused.value.message


@pytest.mark.parametrize(
    "value",
    ["2026-06-30T18:00+08:00", "2026-06-30T10:00Z", "2026-06-30T10:00:00.000+00:00", "20260630T180000+0800"],
)
def test_a_moment_with_its_offset_is_read_as_that_instant(value: str) -> None:
    assert parse(value, NOW, TZ) == dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC)


def test_a_plus_decoded_from_a_url_as_a_space_is_read_as_the_plus_it_was() -> None:
    assert parse("2026-06-30T18:00 08:00", NOW, TZ) == parse("2026-06-30T18:00+08:00", NOW, TZ)
    assert parse("2026-06-30 18:00:00.5 0800", NOW, TZ).utcoffset() == dt.timedelta(hours=8)


def test_now_itself_is_no_future() -> None:
    assert parse(NOW.isoformat(), NOW, TZ) == NOW


def test_a_moment_after_now_is_refused_with_the_time_it_is_now_in_the_programmes_timezone() -> None:
    assert refusal("2026-12-02T21:00:01+08:00") == (
        "as_of 2026-12-02T21:00:01+08:00 is in the future: it is now 2026-12-02T21:00:00+08:00, and there is no "
        "history of later moments yet; leave as_of out for the present"
    )


def test_a_moment_without_an_offset_is_refused_not_guessed() -> None:
    assert refusal("2026-06-30T18:00") == (
        "as_of '2026-06-30T18:00' has no UTC offset: say which time zone it is in, such as 2026-06-30T18:00+08:00 "
        "(Beijing time) or a Z for UTC"
    )


def test_a_date_is_refused_with_the_moment_that_ends_it() -> None:
    assert refusal("2026-06-30") == (
        "as_of '2026-06-30' is a date, not a moment: add the time and its UTC offset, such as "
        "2026-06-30T23:59:59+08:00 for the end of that day in Beijing time"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("yesterday", "not ISO 8601"),
        ("2026-02-30T09:00+08:00", "day is out of range for month"),
        ("2026-06-30T18:61+08:00", "minute must be in 0..59"),
        ("2026-06-30T18:00+25:00", "its UTC offset is out of range: -23:59 to +23:59"),
        ("2026-13-01T00:00+08:00", "month must be in 1..12"),
    ],
)
def test_what_is_no_moment_is_refused_with_why_and_how_to_write_one(value: str, reason: str) -> None:
    assert refusal(value) == (
        f"as_of '{value}' is not a moment ({reason}): write it in ISO 8601 with its UTC offset, such as "
        "2026-06-30T18:00+08:00"
    )


def test_a_long_value_is_shown_cut_short() -> None:
    assert refusal("x" * 500).startswith(f"as_of '{'x' * 64}…' is not a moment")


def test_an_empty_value_and_one_outside_the_programmes_years_are_refused() -> None:
    assert refusal(" ").startswith("as_of is empty: give a moment such as 2026-06-30T18:00+08:00")
    assert refusal("0001-01-01T00:00+08:00") == "as_of: 0001-01-01 is outside 2000-01-01 to 2100-12-31"
