"""Trials, activation and usage: the writes of the licensing app.

Licenses themselves move only through ``wallet.services``; these functions
call it with the rows locked in its order (wallet balance, then
subscription).
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from history.models import Event
from history.services import actor_name_of, record_event
from licensemgr.db import retry_on_conflict
from organizations.models import Organization
from wallet.services import consume_shortfall, lock_product

from .calendar import add_days, anniversary, grace_end
from .models import Product, Subscription, SubscriptionPeriod, Terms, TermsAcceptance, Trial

logger = logging.getLogger(__name__)


class LicensingError(Exception):
    """A request that the current state does not allow; ``code`` keys its message."""

    def __init__(self, code: str, product: Product | None = None):
        super().__init__(code)
        self.code = code
        self.product = product


@dataclass(frozen=True)
class ActivationRequest:
    product: Product
    usage: int
    terms: Terms


@retry_on_conflict
def start_trial(*, organization: Organization, product: Product, actor) -> Trial:
    """Start the one trial that an organization gets of a product."""
    if not product.is_available:
        raise LicensingError("unavailable", product)

    try:
        with transaction.atomic():
            if Subscription.objects.filter(organization=organization, product=product).exists():
                raise LicensingError("already_activated", product)
            if Trial.objects.filter(organization=organization, product=product).exists():
                raise LicensingError("trial_used", product)

            now = timezone.now()
            trial = Trial.objects.create(
                organization=organization,
                product=product,
                started_at=now,
                ends_at=add_days(now, product.trial_days, organization.tzinfo),
                started_by=actor,
            )
            record_event(
                organization=organization,
                action=Event.Action.TRIAL_STARTED,
                at=now,
                actor=actor,
                product=product,
                details={"trial_days": product.trial_days, "ends_at": trial.ends_at.isoformat()},
            )
    except IntegrityError:
        # The unique constraint caught a second trial, also one started at
        # the same moment in another request.
        raise LicensingError("trial_used", product) from None

    logger.info("Organization %s started a trial of %s", organization.pk, product.code)
    return trial


@retry_on_conflict
def activate_products(
    *, organization: Organization, requests: list[ActivationRequest], actor
) -> list[Subscription]:
    """Activate each product in one transaction: all of them or none.

    The terms in each request are the version the person read; if a newer
    version was published since, nothing is activated.
    """
    if not requests:
        raise LicensingError("nothing_selected")

    try:
        with transaction.atomic():
            now = timezone.now()
            # Sorting keeps the lock order the same for every request.
            return [
                _activate(organization=organization, request=request, actor=actor, now=now)
                for request in sorted(requests, key=lambda r: r.product.pk)
            ]
    except IntegrityError:
        # The unique constraint caught a product activated by another
        # request at the same time; the log keeps the constraint's name.
        logger.warning(
            "Activation in organization %s failed on a constraint", organization.pk,
            exc_info=True,
        )
        raise LicensingError("already_activated") from None


def _activate(
    *, organization: Organization, request: ActivationRequest, actor, now: datetime.datetime
) -> Subscription:
    product = request.product
    if not product.is_available:
        raise LicensingError("unavailable", product)
    if request.usage < 1:
        raise LicensingError("usage_too_low", product)
    current = product.current_terms()
    if current is None or current.pk != request.terms.pk:
        raise LicensingError("terms_changed", product)

    locked = lock_product(organization=organization, product=product, now=now)
    if locked.subscription is not None:
        raise LicensingError("already_activated", product)

    tz = organization.tzinfo
    subscription = Subscription.objects.create(
        organization=organization, product=product, activated_at=now, activated_by=actor,
        usage=request.usage, usage_changed_at=now,
    )
    period = SubscriptionPeriod.objects.create(
        subscription=subscription, number=1, starts_at=now, ends_at=anniversary(now, 1, tz),
    )
    TermsAcceptance.objects.create(
        organization=organization, terms=request.terms, subscription=subscription,
        accepted_by=actor, accepted_by_name=actor_name_of(actor), accepted_at=now,
    )
    Trial.objects.filter(
        organization=organization, product=product, ends_at__gt=now
    ).update(ends_at=now)

    locked.subscription, locked.period = subscription, period
    consumed = consume_shortfall(locked=locked, actor=actor, now=now, note="activation")
    if consumed == 0:
        period.grace_ends_at = grace_end(now, tz)
        period.save(update_fields=["grace_ends_at"])

    record_event(
        organization=organization,
        action=Event.Action.ACTIVATED,
        at=now,
        actor=actor,
        product=product,
        details={
            "terms_version": request.terms.version,
            "usage": request.usage,
            "consumed": consumed,
            "grace_ends_at": period.grace_ends_at.isoformat() if period.grace_ends_at else None,
        },
    )
    logger.info(
        "Organization %s activated %s with usage %s, %s consumed",
        organization.pk, product.code, request.usage, consumed,
    )
    return subscription


@retry_on_conflict
def set_usage(*, organization: Organization, product: Product, usage: int, actor) -> int:
    """Record the units in use now and close or open a shortfall.

    Growth past the licensed units is covered from the wallet at once when
    it can be covered whole; otherwise a 30-day grace period starts, unless
    one is already running. Lower usage refunds nothing. Returns the number
    of licenses consumed.
    """
    if usage < 0:
        raise LicensingError("usage_too_low", product)

    with transaction.atomic():
        now = timezone.now()
        locked = lock_product(organization=organization, product=product, now=now)
        subscription = locked.subscription
        if subscription is None:
            raise LicensingError("not_activated", product)
        if locked.period is None:
            raise LicensingError("renewal_pending", product)
        if usage == subscription.usage:
            raise LicensingError("usage_unchanged", product)

        old_usage, old_shortfall = subscription.usage, locked.shortfall
        subscription.usage = usage
        subscription.usage_changed_at = now
        subscription.save(update_fields=["usage", "usage_changed_at"])

        consumed = consume_shortfall(locked=locked, actor=actor, now=now, note="usage growth")
        period = locked.period
        if locked.shortfall > 0 and old_shortfall == 0:
            period.grace_ends_at = grace_end(now, organization.tzinfo)
            period.save(update_fields=["grace_ends_at"])

        record_event(
            organization=organization,
            action=Event.Action.USAGE_CHANGED,
            at=now,
            actor=actor,
            product=product,
            details={
                "old_usage": old_usage,
                "new_usage": usage,
                "consumed": consumed,
                "grace_ends_at": (
                    period.grace_ends_at.isoformat() if locked.shortfall > 0 else None
                ),
            },
        )
    return consumed
