"""The renewal forecast and the timeline picture of each product.

Both are computed from stored facts: trials, periods with their licensed
units and grace ends, the instants of consumptions, the wallet and the
current usage. Nothing here writes.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from .calendar import GRACE_DAYS, add_days, anniversary
from .models import Subscription, SubscriptionPeriod, Trial
from .status import Status

SPAN_BEFORE = datetime.timedelta(days=365)
SPAN_AFTER = datetime.timedelta(days=400)


@dataclass(frozen=True)
class Forecast:
    """What the next renewal needs, at today's usage."""

    renews_at: datetime.datetime
    needed: int
    wallet: int

    @property
    def shortfall(self) -> int:
        return max(0, self.needed - self.wallet)


@dataclass(frozen=True)
class Segment:
    status: Status
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    forecast: bool = False


def forecast_for(*, subscription: Subscription, next_renewal_at: datetime.datetime, wallet: int) -> Forecast:
    return Forecast(renews_at=next_renewal_at, needed=subscription.usage, wallet=wallet)


def segments_for(
    *,
    trial: Trial | None,
    subscription: Subscription | None,
    periods: list[SubscriptionPeriod],
    covered_at: dict[int, datetime.datetime],
    wallet: int,
    now: datetime.datetime,
    tz: zoneinfo.ZoneInfo,
) -> list[Segment]:
    """Split a product's history and its next year into status segments.

    ``covered_at`` maps a period's id to the instant of its last
    consumption, which is when a period that needed licenses got them.
    """
    segments = []
    first_period_start = periods[0].starts_at if periods else None
    if trial is not None:
        trial_end = min(trial.ends_at, first_period_start) if first_period_start else trial.ends_at
        if trial_end > trial.started_at:
            segments.append(Segment(Status.TRIAL, trial.started_at, trial_end))
        if subscription is None and trial.ends_at <= now:
            segments.append(Segment(Status.TRIAL_ENDED, trial.ends_at, now + SPAN_AFTER, forecast=False))

    for period in periods:
        segments.extend(_period_segments(period, subscription.usage, covered_at.get(period.pk), now, tz))

    if subscription is not None and periods:
        segments.extend(_coming_renewal(subscription, periods[-1], wallet, now, tz))
    return [s for s in segments if s.ends_at > s.starts_at]


def _period_segments(period, usage, covered_at, now, tz):
    end = period.ends_at
    if period.grace_ends_at is None:
        return [Segment(Status.LICENSED, period.starts_at, end, forecast=period.starts_at > now)]

    grace_start = max(period.starts_at, add_days(period.grace_ends_at, -GRACE_DAYS, tz))
    covered = covered_at if period.licensed_units >= usage and covered_at else None
    segments = []
    if grace_start > period.starts_at:
        segments.append(Segment(Status.LICENSED, period.starts_at, grace_start))
    grace_stop = min(period.grace_ends_at, covered or period.grace_ends_at, end)
    segments.append(Segment(Status.GRACE, grace_start, grace_stop))
    if covered is None or covered > period.grace_ends_at:
        stop = min(covered or end, end)
        segments.append(Segment(Status.UNLICENSED, period.grace_ends_at, stop))
    if covered is not None:
        segments.append(Segment(Status.LICENSED, covered, end))
    return [
        Segment(s.status, s.starts_at, s.ends_at, forecast=s.starts_at > now) for s in segments
    ]


def _coming_renewal(subscription, last, wallet, now, tz):
    """Project the year after the last stored period at today's usage and wallet."""
    start = last.ends_at
    end = anniversary(subscription.activated_at, last.number + 1, tz)
    if subscription.usage == 0 or wallet >= subscription.usage:
        return [Segment(Status.LICENSED, start, end, forecast=True)]
    grace_end = add_days(start, GRACE_DAYS, tz)
    return [
        Segment(Status.GRACE, start, grace_end, forecast=True),
        Segment(Status.UNLICENSED, grace_end, end, forecast=True),
    ]


@dataclass(frozen=True)
class Bar:
    """A segment placed on the picture, in percent of its width."""

    segment: Segment
    x: float
    width: float


def place(segments: list[Segment], now: datetime.datetime) -> tuple[list[Bar], float]:
    """Place segments on a window around ``now``; return the bars and where now is."""
    start, end = now - SPAN_BEFORE, now + SPAN_AFTER
    total = (end - start).total_seconds()
    bars = []
    for segment in segments:
        left = max(segment.starts_at, start)
        right = min(segment.ends_at, end)
        if right <= left:
            continue
        x = (left - start).total_seconds() / total * 100
        width = (right - left).total_seconds() / total * 100
        bars.append(Bar(segment, round(x, 3), round(width, 3)))
    return bars, round((now - start).total_seconds() / total * 100, 3)
