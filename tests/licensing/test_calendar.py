import datetime
import zoneinfo

import pytest

from licensing.calendar import add_days, anniversary, grace_end

# The shared fixtures clear the cache, which lives in the database.
pytestmark = pytest.mark.django_db

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=STOCKHOLM)


@pytest.mark.parametrize(("years", "expected"), [
    (1, local(2025, 2, 28, 10, 0)),
    (2, local(2026, 2, 28, 10, 0)),
    (3, local(2027, 2, 28, 10, 0)),
    (4, local(2028, 2, 29, 10, 0)),
])
def test_anniversary_of_leap_day(years, expected):
    assert anniversary(local(2024, 2, 29, 10, 0), years, STOCKHOLM) == expected


def test_anniversary_keeps_wall_time_across_dst():
    # Activated in winter time; the anniversary falls in winter time again,
    # after a year that contains both changes.
    assert anniversary(local(2026, 1, 10, 9, 0), 1, STOCKHOLM) == local(2027, 1, 10, 9, 0)


def test_anniversary_is_stored_in_utc():
    assert anniversary(local(2026, 6, 1, 9, 0), 1, STOCKHOLM).tzinfo == datetime.UTC


@pytest.mark.parametrize(("start", "expected"), [
    # Summer time starts in Stockholm on 29 March 2026 ...
    (local(2026, 3, 20, 9, 0), local(2026, 4, 19, 9, 0)),
    # ... and ends on 25 October 2026.
    (local(2026, 10, 20, 9, 0), local(2026, 11, 19, 9, 0)),
], ids=["spring", "autumn"])
def test_add_days_across_dst_keeps_wall_time(start, expected):
    end = add_days(start, 30, STOCKHOLM)

    assert end.astimezone(STOCKHOLM).replace(tzinfo=None) == expected.replace(tzinfo=None)
    assert end == expected


def test_add_days_spring_dst_hour_short():
    start = local(2026, 3, 20, 9, 0)

    assert add_days(start, 30, STOCKHOLM) - start == datetime.timedelta(days=30, hours=-1)


def test_add_days_into_skipped_hour():
    # 02:30 on 29 March 2026 does not exist in Stockholm: clocks jump from 02:00 to 03:00.
    end = add_days(local(2026, 2, 27, 2, 30), 30, STOCKHOLM)

    assert end == datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.UTC)
    assert end.astimezone(STOCKHOLM).hour == 3


def test_grace_end_is_thirty_days_later():
    assert grace_end(local(2026, 12, 4, 9, 0), STOCKHOLM) == local(2027, 1, 3, 9, 0)
