"""Calendar arithmetic in an organization's time zone.

Grace periods and subscription years are calendar spans: 30 days after
09:00 on 20 March is 09:00 on 19 April on the wall clock, whether or not a
daylight-saving change falls between. Instants stay aware datetimes and are
stored in UTC.
"""

import calendar
import datetime
import zoneinfo

GRACE_DAYS = 30


def add_days(instant: datetime.datetime, days: int, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """Return the instant ``days`` calendar days later at the same local time."""
    local = instant.astimezone(tz).replace(tzinfo=None)
    return _localize(local + datetime.timedelta(days=days), tz)


def anniversary(start: datetime.datetime, years: int, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """Return the ``years``-th anniversary of ``start`` at the same local time.

    Counted from ``start`` itself, never from an earlier anniversary, so a
    start on 29 February falls on 28 February in common years and on
    29 February again in leap years.
    """
    local = start.astimezone(tz).replace(tzinfo=None)
    year = local.year + years
    day = min(local.day, calendar.monthrange(year, local.month)[1])
    return _localize(local.replace(year=year, day=day), tz)


def grace_end(start: datetime.datetime, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    return add_days(start, GRACE_DAYS, tz)


def _localize(naive: datetime.datetime, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    # A wall time skipped by a daylight-saving jump maps to the instant one
    # offset later; converting through UTC normalizes it.
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(datetime.timezone.utc)
