"""The license status of each product of an organization, computed from stored facts.

Nothing here writes: the status follows from trials, subscriptions, their
periods, the wallet and the current time, so it is right at any instant
whether or not scheduled work has run yet.
"""

import datetime
import math
import zoneinfo
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization

from .calendar import anniversary, grace_end
from .models import Product, Subscription, SubscriptionPeriod, Trial


class Status(models.TextChoices):
    TRIAL = "trial", _("Trial")
    TRIAL_ENDED = "trial_ended", _("Trial ended")
    GRACE = "grace", _("Grace period")
    LICENSED = "licensed", _("Licensed")
    UNLICENSED = "unlicensed", _("Unlicensed")


@dataclass(frozen=True)
class ProductState:
    product: Product
    status: Status
    now: datetime.datetime
    trial: Trial | None = None
    subscription: Subscription | None = None
    usage: int | None = None
    licensed_units: int | None = None
    wallet: int = 0
    ends_at: datetime.datetime | None = None
    next_renewal_at: datetime.datetime | None = None

    @property
    def shortfall(self) -> int:
        if self.usage is None or self.licensed_units is None:
            return 0
        return max(0, self.usage - self.licensed_units)

    @property
    def to_redeem(self) -> int:
        """Licenses still to redeem to close the shortfall, after what the wallet holds.

        Redeeming that many makes the wallet cover the whole shortfall, which
        consumes it at once.
        """
        return max(0, self.shortfall - self.wallet)

    @property
    def days_left(self) -> int | None:
        """Whole days until ``ends_at``, counting a started day as one."""
        if self.ends_at is None or self.ends_at <= self.now:
            return None
        return math.ceil((self.ends_at - self.now).total_seconds() / 86400)

    @property
    def is_activated(self) -> bool:
        return self.subscription is not None


def state_of(
    *,
    product: Product,
    now: datetime.datetime,
    tz: zoneinfo.ZoneInfo,
    trial: Trial | None,
    subscription: Subscription | None,
    periods: list[SubscriptionPeriod],
    wallet: int,
) -> ProductState:
    """Compute one product's state; ``periods`` are the subscription's, by number."""
    if subscription is None:
        if trial is None:
            raise ValueError(f"{product.code} has neither a trial nor a subscription")
        status = Status.TRIAL if trial.ends_at > now else Status.TRIAL_ENDED
        return ProductState(
            product=product, status=status, now=now, trial=trial, wallet=wallet,
            ends_at=trial.ends_at,
        )

    period = next((p for p in periods if p.starts_at <= now < p.ends_at), None)
    if period is not None:
        licensed, grace_ends_at, period_end = period.licensed_units, period.grace_ends_at, period.ends_at
    else:
        # The renewal at the last anniversary has not been written yet. Until
        # it is, the new period holds no licenses and its grace period runs
        # from that anniversary, as the renewal itself would record.
        last = periods[-1]
        years = last.number
        while anniversary(subscription.activated_at, years + 1, tz) <= now:
            years += 1
        start = anniversary(subscription.activated_at, years, tz)
        licensed, grace_ends_at = 0, grace_end(start, tz)
        period_end = anniversary(subscription.activated_at, years + 1, tz)

    shortfall = max(0, subscription.usage - licensed)
    if shortfall == 0:
        status, ends_at = Status.LICENSED, None
    elif grace_ends_at is not None and grace_ends_at > now:
        status, ends_at = Status.GRACE, grace_ends_at
    else:
        status, ends_at = Status.UNLICENSED, grace_ends_at

    return ProductState(
        product=product, status=status, now=now, trial=trial, subscription=subscription,
        usage=subscription.usage, licensed_units=licensed, wallet=wallet, ends_at=ends_at,
        next_renewal_at=period_end,
    )


def product_states(
    organization: Organization, now: datetime.datetime, *, only: Product | None = None
) -> list[ProductState]:
    """Return the state of every product the organization has tried or activated.

    With ``only``, the state of that product alone, or an empty list when
    it was neither tried nor activated.
    """
    from wallet.models import WalletBalance

    scope = {"organization": organization}
    if only is not None:
        scope["product"] = only
    trials = {
        t.product_id: t for t in Trial.objects.filter(**scope).select_related("product")
    }
    subscriptions = {
        s.product_id: s
        for s in Subscription.objects.filter(**scope)
        .select_related("product")
        .prefetch_related(models.Prefetch("periods", queryset=SubscriptionPeriod.objects.order_by("number")))
    }
    wallets = dict(
        WalletBalance.objects.filter(**scope).values_list("product_id", "licenses")
    )

    products = {t.product_id: t.product for t in trials.values()}
    products.update({s.product_id: s.product for s in subscriptions.values()})
    tz = organization.tzinfo
    states = []
    for product_id, product in products.items():
        subscription = subscriptions.get(product_id)
        states.append(state_of(
            product=product, now=now, tz=tz,
            trial=trials.get(product_id),
            subscription=subscription,
            periods=list(subscription.periods.all()) if subscription else [],
            wallet=wallets.get(product_id, 0),
        ))
    return sorted(states, key=lambda state: state.product.name.lower())
