"""Scheduled work: one idempotent pass over everything that fell due.

Any number of workers may run the pass at once. Renewals are handled per
subscription under the consumption service's locks, skipping a wallet
that another transaction holds. Ends and reminders are recorded as a
``Milestone`` whose unique constraint lets exactly one worker insert it,
in the same transaction as its History event. A late pass does each thing
once, effective at its own instant.
"""

import datetime
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _, ngettext

from history.models import Event
from history.services import record_event
from licensemgr.db import retry_on_conflict
from licensemgr.formatting import format_instant
from organizations.models import Membership, Role
from wallet.models import WalletBalance
from wallet.services import lock_product

from .calendar import add_days
from .models import Milestone, Product, Subscription, SubscriptionPeriod, Trial

logger = logging.getLogger(__name__)

REMINDER_DAYS = (30, 7, 1)


@dataclass
class PassReport:
    renewals: int = 0
    skipped: int = 0
    errors: int = 0
    ends: int = 0
    reminders: int = 0


def process_due() -> PassReport:
    """Make one pass: renewals, trial and grace ends, then reminders."""
    now = timezone.now()
    report = PassReport()
    renew_due(now, report)
    record_trial_ends(now, report)
    record_grace_ends(now, report)
    send_reminders(now, report)
    return report


def renew_due(now: datetime.datetime, report: PassReport) -> None:
    due = (
        Subscription.objects.annotate(last_end=Max("periods__ends_at"))
        .filter(last_end__lte=now)
        .values_list("pk", flat=True)
    )
    for subscription_id in due:
        try:
            renewals = renew_subscription(subscription_id=subscription_id, now=now)
        except Exception:
            # One broken subscription must not stop the others' renewals.
            logger.exception("Renewal of subscription %s failed", subscription_id)
            report.errors += 1
            continue
        if renewals is None:
            report.skipped += 1
        else:
            report.renewals += renewals


@retry_on_conflict
def renew_subscription(*, subscription_id: int, now) -> int | None:
    """Write the renewals of one subscription due by ``now``; None if another worker has it."""
    with transaction.atomic():
        subscription = Subscription.objects.select_related("organization", "product").get(
            pk=subscription_id
        )
        locked = lock_product(
            organization=subscription.organization, product=subscription.product, now=now,
            skip_locked=True,
        )
        return None if locked is None else locked.renewals


def _handled(kind: str, due_field: str, *, organization: str = "organization",
             product: str = "product") -> Exists:
    """Match rows whose milestone of ``kind`` at ``due_field`` already exists."""
    return Exists(Milestone.objects.filter(
        organization=OuterRef(organization), product=OuterRef(product), kind=kind,
        due_at=OuterRef(due_field), days_before=0,
    ))


def handle_once(
    *, organization, product: Product, kind: str, due_at: datetime.datetime,
    days_before: int = 0, effect: Callable[[Milestone], None], report: PassReport,
) -> bool:
    """Insert the milestone and run its effect in one transaction, unless it exists.

    Returns whether this call handled it.
    """
    try:
        with transaction.atomic():
            milestone = Milestone.objects.create(
                organization=organization, product=product, kind=kind, due_at=due_at,
                days_before=days_before, handled_at=timezone.now(),
            )
            effect(milestone)
    except IntegrityError:
        # Another worker inserted the same milestone first.
        report.skipped += 1
        return False
    except Exception:
        logger.exception(
            "%s of product %s in organization %s failed", kind, product.pk, organization.pk
        )
        report.errors += 1
        return False
    return True


def record_trial_ends(now: datetime.datetime, report: PassReport) -> None:
    trials = (
        Trial.objects.filter(ends_at__lte=now)
        .filter(~_handled(Milestone.Kind.TRIAL_ENDED, "ends_at"))
        .select_related("organization", "product")
    )
    activated = set(
        Subscription.objects.filter(
            organization__in={t.organization_id for t in trials}
        ).values_list("organization_id", "product_id", "activated_at")
    )
    activated_at = {(org, product): at for org, product, at in activated}
    for trial in trials:
        activation = activated_at.get((trial.organization_id, trial.product_id))
        ended_by_activation = activation is not None and activation <= trial.ends_at

        def effect(milestone, trial=trial, ended_by_activation=ended_by_activation):
            if ended_by_activation:
                return  # Activation ended it and wrote its own event.
            record_event(
                organization=trial.organization, action=Event.Action.TRIAL_ENDED,
                at=trial.ends_at, actor_kind=Event.ActorKind.SYSTEM, product=trial.product,
                details={"ends_at": trial.ends_at.isoformat()},
            )
            logger.info(
                "Trial of %s in organization %s ended at %s",
                trial.product.code, trial.organization_id, trial.ends_at.isoformat(),
            )

        if handle_once(
            organization=trial.organization, product=trial.product,
            kind=Milestone.Kind.TRIAL_ENDED, due_at=trial.ends_at, effect=effect, report=report,
        ) and not ended_by_activation:
            report.ends += 1


def record_grace_ends(now: datetime.datetime, report: PassReport) -> None:
    periods = (
        SubscriptionPeriod.objects.filter(grace_ends_at__lte=now)
        .filter(~_handled(
            Milestone.Kind.GRACE_ENDED, "grace_ends_at",
            organization="subscription__organization", product="subscription__product",
        ))
        .select_related("subscription__organization", "subscription__product")
    )
    for period in periods:
        subscription = period.subscription
        shortfall = max(0, subscription.usage - period.licensed_units)

        def effect(milestone, period=period, subscription=subscription, shortfall=shortfall):
            if shortfall == 0:
                return  # Licensed in time: nothing ended.
            record_event(
                organization=subscription.organization, action=Event.Action.GRACE_ENDED,
                at=period.grace_ends_at, actor_kind=Event.ActorKind.SYSTEM,
                product=subscription.product,
                details={"shortfall": shortfall, "period_number": period.number},
            )
            logger.info(
                "Grace period of %s in organization %s ended at %s, %s licenses short",
                subscription.product.code, subscription.organization_id,
                period.grace_ends_at.isoformat(), shortfall,
            )

        if handle_once(
            organization=subscription.organization, product=subscription.product,
            kind=Milestone.Kind.GRACE_ENDED, due_at=period.grace_ends_at, effect=effect,
            report=report,
        ) and shortfall:
            report.ends += 1



@dataclass(frozen=True)
class UpcomingEnd:
    organization: object
    product: Product
    kind: str
    ends_at: datetime.datetime
    licenses_needed: int = 0


def upcoming_ends(now: datetime.datetime) -> list[UpcomingEnd]:
    """List the ends within the longest reminder span that a reminder can still help with."""
    horizon = now + datetime.timedelta(days=max(REMINDER_DAYS) + 1)
    ends = []

    activated = set(Subscription.objects.values_list("organization_id", "product_id"))
    for trial in Trial.objects.filter(ends_at__gt=now, ends_at__lte=horizon).select_related(
        "organization", "product"
    ):
        if (trial.organization_id, trial.product_id) not in activated:
            ends.append(UpcomingEnd(trial.organization, trial.product,
                                    Milestone.Kind.TRIAL_END_REMINDER, trial.ends_at))

    current = SubscriptionPeriod.objects.filter(
        Q(ends_at__lte=horizon) | Q(grace_ends_at__lte=horizon),
        starts_at__lte=now, ends_at__gt=now,
    ).select_related(
        "subscription__organization", "subscription__product"
    )
    wallets = {
        (b.organization_id, b.product_id): b.licenses for b in WalletBalance.objects.all()
    }
    for period in current:
        subscription = period.subscription
        organization, product = subscription.organization, subscription.product
        shortfall = max(0, subscription.usage - period.licensed_units)
        wallet = wallets.get((organization.pk, product.pk), 0)
        if shortfall and period.grace_ends_at and now < period.grace_ends_at <= horizon:
            ends.append(UpcomingEnd(organization, product, Milestone.Kind.GRACE_END_REMINDER,
                                    period.grace_ends_at, max(0, shortfall - wallet)))
        # Wallet licenses go to the current shortfall first.
        left_for_renewal = max(0, wallet - shortfall)
        if period.ends_at <= horizon and left_for_renewal < subscription.usage:
            ends.append(UpcomingEnd(organization, product, Milestone.Kind.RENEWAL_REMINDER,
                                    period.ends_at, subscription.usage - left_for_renewal))
    return ends


def reminder_days_due(end: UpcomingEnd, now: datetime.datetime) -> int | None:
    """Return the most urgent reminder span that has begun, or None.

    Spans are calendar days in the organization's zone. When a pass runs
    late and several spans have begun, only the most urgent is sent.
    """
    tz = end.organization.tzinfo
    begun = [days for days in REMINDER_DAYS if add_days(end.ends_at, -days, tz) <= now]
    return min(begun) if begun else None


def send_reminders(now: datetime.datetime, report: PassReport) -> None:
    for end in upcoming_ends(now):
        days = reminder_days_due(end, now)
        if days is None:
            continue
        if Milestone.objects.filter(
            organization=end.organization, product=end.product, kind=end.kind,
            due_at=end.ends_at, days_before=days,
        ).exists():
            continue
        if handle_once(
            organization=end.organization, product=end.product, kind=end.kind,
            due_at=end.ends_at, days_before=days,
            effect=lambda milestone, end=end, days=days: _send_reminder(milestone, end, days),
            report=report,
        ):
            report.reminders += 1


def _send_reminder(milestone: Milestone, end: UpcomingEnd, days: int) -> None:
    recipients = list(
        Membership.objects.filter(
            organization=end.organization, role=Role.ADMIN, reminders_enabled=True,
            user__is_active=True,
        ).exclude(user__email="").values_list("user__email", flat=True)
    )
    milestone.recipients = len(recipients)
    milestone.save(update_fields=["recipients"])
    if not recipients:
        return

    with timezone.override(end.organization.tzinfo), translation.override(settings.LANGUAGE_CODE):
        subject, body = _reminder_text(end, days)
    record_event(
        organization=end.organization, action=Event.Action.REMINDER_SENT,
        at=timezone.now(), actor_kind=Event.ActorKind.SYSTEM, product=end.product,
        details={"recipients": len(recipients), "subject": subject, "days_before": days},
    )

    def send():
        # Sent after the commit, so a rolled-back pass sends nothing; a
        # failure here loses this one email rather than sending it twice.
        try:
            send_mail(subject, body, None, recipients)
        except Exception:
            logger.exception("Reminder %s could not be sent", milestone.pk)

    transaction.on_commit(send)
    logger.info(
        "Reminder %s (%s, %s days before) queued for %s admins of organization %s",
        milestone.pk, end.kind, days, len(recipients), end.organization.pk,
    )


def _reminder_text(end: UpcomingEnd, days: int) -> tuple[str, str]:
    names = {"product": end.product.name, "organization": end.organization.name}
    when = format_instant(end.ends_at)
    # A started day counts as a whole one, as on the Overview.
    days_left = max(1, math.ceil((end.ends_at - timezone.now()).total_seconds() / 86400))
    overview = settings.SITE_URL + reverse("licensing:overview", args=[end.organization.slug])
    if end.kind == Milestone.Kind.TRIAL_END_REMINDER:
        subject = _("The trial of %(product)s at %(organization)s ends soon") % names
        action = _("Activate %(product)s before then to keep using it.") % names
    elif end.kind == Milestone.Kind.GRACE_END_REMINDER:
        subject = _("The grace period of %(product)s at %(organization)s ends soon") % names
        action = _(
            "Redeem a license key with at least %(count)s licenses of %(product)s before then, "
            "or it becomes unlicensed."
        ) % {**names, "count": end.licenses_needed}
    else:
        subject = _("The Wallet cannot cover the renewal of %(product)s at %(organization)s") % names
        action = _(
            "Redeem a license key with at least %(count)s more licenses of %(product)s before "
            "then, or a 30-day grace period starts at the renewal."
        ) % {**names, "count": end.licenses_needed}
    body = "\n\n".join([
        ngettext(
            "It ends on %(when)s, in %(days)s day.",
            "It ends on %(when)s, in %(days)s days.",
            days_left,
        ) % {"when": when, "days": days_left},
        action,
        _("Overview: %(url)s") % {"url": overview},
        _("You receive this email as an admin of %(organization)s. Turn reminders off on the "
          "Select organization page.") % names,
    ])
    return subject, body
