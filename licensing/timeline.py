"""The renewal forecast and the timeline picture of each product.

Both are computed from stored facts: trials, periods with their licensed
units and grace ends, the instants of consumptions, the wallet and the
current usage. Nothing here writes.
"""

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from .calendar import GRACE_DAYS, add_days, anniversary
from .models import Subscription, SubscriptionPeriod, Trial
from .status import Status

SPAN_BEFORE = datetime.timedelta(days=365)
SPAN_AFTER = datetime.timedelta(days=400)


@dataclass(frozen=True)
class Forecast:
    """The licenses that the next renewal needs at today's usage, against the wallet.

    ``wallet`` counts only what is left for the renewal: licenses that must
    first close the current period's shortfall are not.
    """

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


def forecast_for(
    *, subscription: Subscription, period: SubscriptionPeriod, wallet: int
) -> Forecast:
    shortfall_now = max(0, subscription.usage - period.licensed_units)
    return Forecast(
        renews_at=period.ends_at,
        needed=subscription.usage,
        wallet=max(0, wallet - shortfall_now),
    )


def segments_for(
    *,
    trial: Trial | None,
    subscription: Subscription | None,
    periods: list[SubscriptionPeriod],
    consumed_at: dict[int, list[datetime.datetime]],
    wallet: int,
    now: datetime.datetime,
    tz: zoneinfo.ZoneInfo,
) -> list[Segment]:
    """Split a product's history and its next year into status segments.

    ``consumed_at`` maps a period's id to the instants of its consumptions,
    oldest first; the first one after a grace period began is when that
    period got the licenses it was missing.
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
        segments.extend(_period_segments(period, subscription.usage, consumed_at.get(period.pk, []), now, tz))

    if subscription is not None and periods:
        # The wallet closes the last period's shortfall before it renews anything.
        shortfall = max(0, subscription.usage - periods[-1].licensed_units)
        left = max(0, wallet - shortfall)
        segments.extend(_coming_renewal(subscription, periods[-1], left, now, tz))
    return [s for s in segments if s.ends_at > s.starts_at]


def _period_segments(period, usage, consumed_at, now, tz):
    end = period.ends_at
    if period.grace_ends_at is None:
        return [Segment(Status.LICENSED, period.starts_at, end, forecast=period.starts_at > now)]

    grace_start = max(period.starts_at, add_days(period.grace_ends_at, -GRACE_DAYS, tz))
    covered = None
    if period.licensed_units >= usage:
        covered = next((at for at in consumed_at if at >= grace_start), None)
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


# The picture's coordinates: product names on the left, bars on the right.
LABEL_WIDTH = 220
BAR_WIDTH = 760
ROW_HEIGHT = 30
TOP = 34


@dataclass(frozen=True)
class Row:
    product_name: str
    y: int
    rects: list[dict]


@dataclass(frozen=True)
class Picture:
    rows: list[Row]
    height: int
    now_x: float
    start: datetime.datetime
    end: datetime.datetime
    forecasts: list[tuple]


def overview_picture(organization, now: datetime.datetime) -> Picture:
    """Load every product's periods and consumptions and lay out the timeline."""
    from wallet.models import LedgerEntry, WalletBalance

    tz = organization.tzinfo
    trials = {
        t.product_id: t
        for t in Trial.objects.filter(organization=organization).select_related("product")
    }
    subscriptions = {
        s.product_id: s
        for s in Subscription.objects.filter(organization=organization)
        .select_related("product")
        .prefetch_related("periods")
    }
    wallets = dict(
        WalletBalance.objects.filter(organization=organization).values_list("product_id", "licenses")
    )
    consumed_at = defaultdict(list)
    for period_id, at in (
        LedgerEntry.objects.filter(organization=organization, kind=LedgerEntry.Kind.CONSUMED)
        .order_by("created_at")
        .values_list("period_id", "created_at")
    ):
        consumed_at[period_id].append(at)
    products = {product_id: trial.product for product_id, trial in trials.items()}
    products.update({s.product_id: s.product for s in subscriptions.values()})

    rows, forecasts = [], []
    for index, product in enumerate(sorted(products.values(), key=lambda p: p.name.lower())):
        subscription = subscriptions.get(product.pk)
        periods = sorted(subscription.periods.all(), key=lambda p: p.number) if subscription else []
        wallet = wallets.get(product.pk, 0)
        segments = segments_for(
            trial=trials.get(product.pk), subscription=subscription, periods=periods,
            consumed_at=consumed_at, wallet=wallet, now=now, tz=tz,
        )
        bars, _ = place(segments, now)
        rows.append(Row(product.name, TOP + index * ROW_HEIGHT, [_rect(bar) for bar in bars]))
        if subscription is not None and periods:
            upcoming = next((p for p in periods if p.ends_at > now), periods[-1])
            forecasts.append((product, forecast_for(
                subscription=subscription, period=upcoming, wallet=wallet,
            )))

    _, now_x = place([], now)
    return Picture(
        rows=rows,
        height=TOP + len(rows) * ROW_HEIGHT + 10,
        now_x=round(LABEL_WIDTH + now_x * BAR_WIDTH / 100, 1),
        start=now - SPAN_BEFORE,
        end=now + SPAN_AFTER,
        forecasts=forecasts,
    )


def _rect(bar: Bar) -> dict:
    return {
        "x": round(LABEL_WIDTH + bar.x * BAR_WIDTH / 100, 1),
        "width": max(round(bar.width * BAR_WIDTH / 100, 1), 1),
        "segment": bar.segment,
    }
