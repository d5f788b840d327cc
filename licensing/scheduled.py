"""Scheduled work: one idempotent pass over everything that fell due.

Any number of workers may run the pass at once. Each subscription is
handled in its own transaction under the consumption service's locks, and
a worker skips a wallet that another transaction holds, so nothing is done
twice and a late pass does each thing once, effective at its own instant.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from licensemgr.db import retry_on_conflict
from wallet.services import lock_product

from .models import Subscription

logger = logging.getLogger(__name__)


@dataclass
class PassReport:
    renewals: int = 0
    skipped: int = 0
    errors: int = 0


def process_due() -> PassReport:
    now = timezone.now()
    report = PassReport()
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
    return report


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
