import datetime

from .models import Subscription, SubscriptionPeriod


def current_period(
    subscription: Subscription, now: datetime.datetime, *, lock: bool = False
) -> SubscriptionPeriod | None:
    """Return the period that contains ``now``, or None when none does.

    None means the subscription's last stored period has ended and its
    renewal has not been written yet.
    """
    periods = SubscriptionPeriod.objects.filter(
        subscription=subscription, starts_at__lte=now, ends_at__gt=now
    )
    if lock:
        periods = periods.select_for_update()
    return periods.first()
