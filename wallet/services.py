"""The consumption service: the only code that moves licenses.

Every operation runs in one transaction and locks rows in one fixed order:
license key, then wallet balance, then subscription, then its periods.
Two operations on the same wallet therefore queue behind each other
instead of deadlocking, and each sees the balance the other committed.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from history.models import Event
from licensemgr.db import retry_on_conflict
from history.services import record_event
from licensing.models import Product, Subscription, SubscriptionPeriod
from licensing.calendar import anniversary, grace_end
from licensing.periods import current_period
from organizations.models import Organization

from .keys import KeyFormatError, ParsedKey, parse_key
from .models import LedgerEntry, LicenseKey, WalletBalance

logger = logging.getLogger(__name__)


class RedeemError(Exception):
    """A key that cannot be redeemed; ``code`` is a key of the form's messages.

    ``empty``, ``malformed`` and ``typo`` describe the text. ``unusable``
    covers unknown, revoked and already redeemed keys alike, so the message
    does not reveal whether a key exists or who redeemed it.
    """

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class RedemptionPlan:
    """The outcome of redeeming a key now: the licenses it consumes and stores."""

    product: Product
    licenses: int
    consume: int
    store: int
    shortfall: int
    wallet_after: int
    grace_ends_at: datetime.datetime | None
    activated: bool

    @property
    def from_wallet(self) -> int:
        """Licenses consumed with the key's that were in the wallet before."""
        return max(0, self.consume - self.licenses)

    @property
    def still_needed(self) -> int:
        """Licenses still missing to license the product after this key."""
        return self.shortfall if self.consume == 0 else 0


@dataclass(frozen=True)
class Redemption:
    plan: RedemptionPlan
    key: LicenseKey
    event: Event


@dataclass
class LockedProduct:
    balance: WalletBalance
    subscription: Subscription | None
    period: SubscriptionPeriod | None
    renewals: int = 0

    @property
    def shortfall(self) -> int:
        if self.subscription is None or self.period is None:
            return 0
        return max(0, self.subscription.usage - self.period.licensed_units)


def lock_product(
    *, organization: Organization, product: Product, now: datetime.datetime,
    skip_locked: bool = False,
) -> LockedProduct | None:
    """Lock the wallet balance, then the subscription and its current period.

    Must run inside a transaction, after any license key lock. The balance
    row is created on first use; ``ignore_conflicts`` makes two first uses
    at once meet on the unique constraint instead of failing. With
    ``skip_locked``, returns None instead of waiting when another
    transaction holds the balance.
    """
    WalletBalance.objects.bulk_create(
        [WalletBalance(organization=organization, product=product, licenses=0)],
        ignore_conflicts=True,
    )
    balance = (
        WalletBalance.objects.select_for_update(skip_locked=skip_locked)
        .filter(organization=organization, product=product)
        .first()
    )
    if balance is None:
        return None
    subscription = (
        Subscription.objects.select_for_update()
        .filter(organization=organization, product=product)
        .first()
    )
    locked = LockedProduct(balance=balance, subscription=subscription, period=None)
    if subscription is not None:
        # Renewals due by now come first, so that no operation acts on a
        # year that has ended.
        locked.renewals = renew_through(locked=locked, organization=organization, now=now)
        locked.period = current_period(subscription, now, lock=True)
    return locked


def renew_through(*, locked: LockedProduct, organization: Organization, now: datetime.datetime) -> int:
    """Write each renewal due by ``now``, effective at its anniversary.

    A renewal takes as many licenses as the usage from the wallet, or none
    when the wallet cannot cover them all; then a 30-day grace period
    starts at the anniversary. Anniversaries count from the activation, so
    a late pass writes the same periods as a punctual one. Returns the
    number of renewals written.
    """
    subscription = locked.subscription
    last = subscription.periods.select_for_update().order_by("-number").first()
    tz = organization.tzinfo
    renewals = 0
    while last.ends_at <= now:
        start = last.ends_at
        period = SubscriptionPeriod.objects.create(
            subscription=subscription,
            number=last.number + 1,
            starts_at=start,
            ends_at=anniversary(subscription.activated_at, last.number + 1, tz),
        )
        locked.period = period
        consumed = consume_shortfall(locked=locked, actor=None, now=start, note="renewal")
        if locked.shortfall > 0:
            period.grace_ends_at = grace_end(start, tz)
            period.save(update_fields=["grace_ends_at"])

        record_event(
            organization=organization,
            action=Event.Action.RENEWED,
            at=start,
            actor_kind=Event.ActorKind.SYSTEM,
            product=subscription.product,
            details={
                "period_number": period.number,
                "usage": subscription.usage,
                "consumed": consumed,
                "starts_at": period.starts_at.isoformat(),
                "ends_at": period.ends_at.isoformat(),
                "grace_ends_at": period.grace_ends_at.isoformat() if period.grace_ends_at else None,
            },
        )
        logger.info(
            "Renewed subscription %s for period %s: usage %s, %s consumed",
            subscription.pk, period.number, subscription.usage, consumed,
        )
        last = period
        renewals += 1
    return renewals


def consume_shortfall(
    *, locked: LockedProduct, actor, now: datetime.datetime, note: str = ""
) -> int:
    """Consume whatever closes the shortfall, if the wallet can close it whole.

    A partial cover consumes nothing: a product cannot be licensed until
    enough licenses are redeemed. Returns the number of licenses consumed.
    """
    needed = locked.shortfall
    if needed == 0 or locked.balance.licenses < needed:
        return 0

    balance = locked.balance
    balance.licenses -= needed
    balance.save(update_fields=["licenses"])
    LedgerEntry.objects.create(
        organization_id=balance.organization_id,
        product_id=balance.product_id,
        kind=LedgerEntry.Kind.CONSUMED,
        change=-needed,
        balance_after=balance.licenses,
        created_at=now,
        actor=actor,
        period=locked.period,
        note=note,
    )
    period = locked.period
    period.licensed_units += needed
    period.save(update_fields=["licensed_units"])
    return needed


def plan_redemption(*, organization: Organization, key_text: str) -> RedemptionPlan:
    """Say what redeeming the key would do now, changing nothing."""
    parsed = _parse(key_text)
    key = _find_usable_key(parsed, organization=organization, lock=False)
    now = timezone.now()
    balance = (
        WalletBalance.objects.filter(organization=organization, product=key.product)
        .values_list("licenses", flat=True)
        .first()
    ) or 0
    subscription = Subscription.objects.filter(
        organization=organization, product=key.product
    ).first()
    period = current_period(subscription, now) if subscription else None
    locked = LockedProduct(
        balance=WalletBalance(licenses=balance + key.licenses),
        subscription=subscription,
        period=period,
    )
    return _plan(key, locked)


@retry_on_conflict
def redeem_key(*, organization: Organization, key_text: str, actor) -> Redemption:
    """Credit all of a key's licenses to the wallet, then close the shortfall.

    Raises ``RedeemError`` and changes nothing when the key cannot be used.
    """
    parsed = _parse(key_text)
    with transaction.atomic():
        now = timezone.now()
        key = _find_usable_key(parsed, organization=organization, lock=True)
        locked = lock_product(organization=organization, product=key.product, now=now)

        key.redeemed_at = now
        key.redeemed_by = organization
        key.save(update_fields=["redeemed_at", "redeemed_by"])

        balance = locked.balance
        balance.licenses += key.licenses
        balance.save(update_fields=["licenses"])
        LedgerEntry.objects.create(
            organization=organization,
            product=key.product,
            kind=LedgerEntry.Kind.REDEEMED,
            change=key.licenses,
            balance_after=balance.licenses,
            created_at=now,
            actor=actor,
            license_key=key,
        )
        plan = _plan(key, locked)
        consumed = consume_shortfall(locked=locked, actor=actor, now=now)
        assert consumed == plan.consume, "the plan and the consumption disagree"

        event = record_event(
            organization=organization,
            action=Event.Action.KEY_REDEEMED,
            at=now,
            actor=actor,
            product=key.product,
            details={
                "key_end": key.last_characters,
                "licenses": key.licenses,
                "consumed": plan.consume,
                "stored": plan.store,
                "still_needed": plan.still_needed,
            },
        )

    logger.info(
        "Organization %s redeemed key %s: %s licenses of %s, %s consumed",
        organization.pk, key.pk, key.licenses, key.product.code, plan.consume,
    )
    return Redemption(plan=plan, key=key, event=event)


def _plan(key: LicenseKey, locked: LockedProduct) -> RedemptionPlan:
    # ``locked.balance`` already includes the key's licenses here.
    shortfall = locked.shortfall
    consume = shortfall if 0 < shortfall <= locked.balance.licenses else 0
    return RedemptionPlan(
        product=key.product,
        licenses=key.licenses,
        consume=consume,
        # With licenses already in the wallet, the consumption can exceed
        # what the key carries, and then none of the key's licenses stay.
        store=max(0, key.licenses - consume),
        shortfall=shortfall,
        wallet_after=locked.balance.licenses - consume,
        grace_ends_at=locked.period.grace_ends_at if locked.period else None,
        activated=locked.subscription is not None,
    )


def _parse(key_text: str) -> ParsedKey:
    try:
        return parse_key(key_text)
    except KeyFormatError as error:
        raise RedeemError(error.code) from None


def _find_usable_key(parsed: ParsedKey, *, organization: Organization, lock: bool) -> LicenseKey:
    keys = LicenseKey.objects.select_related("product")
    if lock:
        keys = keys.select_for_update(of=("self",))
    key = keys.filter(digest=parsed.digest).first()

    reason = None
    if key is None:
        reason = "unknown"
    elif key.revoked_at is not None:
        reason = "revoked"
    elif key.redeemed_at is not None:
        reason = "already redeemed here" if key.redeemed_by_id == organization.pk else "redeemed elsewhere"
    elif not key.product.is_available:
        reason = "product unavailable"
    if reason:
        # The page shows one message for all of these; the log keeps the reason.
        logger.info(
            "Rejected key ending %s for organization %s: %s",
            parsed.last_characters, organization.pk, reason,
        )
        raise RedeemError("unusable")
    return key


# The most licenses one correction may add or remove, as many as one key carries.
MAX_CORRECTION = 100_000


class CorrectionError(Exception):
    """A correction that would break the wallet's rules; ``code`` keys its message."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@retry_on_conflict
def correct_balance(
    *, organization: Organization, product: Product, change: int, reason: str, actor
) -> LedgerEntry:
    """Add or remove licenses by hand, as ops staff do after a support case.

    The reason is kept in the ledger and in History. A correction never
    takes a wallet below zero and never touches consumed licenses. Added
    licenses close the product's shortfall as a redeemed key's do.
    """
    reason = reason.strip()
    if change == 0:
        raise CorrectionError("zero")
    if abs(change) > MAX_CORRECTION:
        raise CorrectionError("too_large")
    if not reason:
        raise CorrectionError("no_reason")

    with transaction.atomic():
        now = timezone.now()
        locked = lock_product(organization=organization, product=product, now=now)
        balance = locked.balance
        if balance.licenses + change < 0:
            raise CorrectionError("below_zero")

        balance.licenses += change
        balance.save(update_fields=["licenses"])
        entry = LedgerEntry.objects.create(
            organization=organization,
            product=product,
            kind=LedgerEntry.Kind.CORRECTION,
            change=change,
            balance_after=balance.licenses,
            created_at=now,
            actor=actor,
            note=reason[:200],
        )
        consumed = 0
        if change > 0:
            consumed = consume_shortfall(locked=locked, actor=actor, now=now, note="correction")
        record_event(
            organization=organization,
            action=Event.Action.WALLET_CORRECTED,
            at=now,
            actor=actor,
            product=product,
            details={
                "change": change,
                "reason": reason[:200],
                "balance_after": balance.licenses,
                "consumed": consumed,
            },
        )

    logger.info(
        "Corrected wallet of organization %s, product %s by %+d",
        organization.pk, product.code, change,
    )
    return entry
