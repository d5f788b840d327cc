import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from licensing.models import Product

from .keys import generate_key, parse_key
from .models import LicenseKey

logger = logging.getLogger(__name__)

# A batch is created in one transaction and printed or shown at once, so
# larger orders are issued in several batches.
# Far above any real order; a wallet would need over 20,000 keys this
# large to reach the database's integer limit of 2,147,483,647.
MAX_LICENSES_PER_KEY = 100_000
MAX_KEYS_PER_BATCH = 10_000


def issue_keys(
    *, product: Product, licenses: int, count: int, order_reference: str = ""
) -> list[str]:
    """Create ``count`` new keys of ``licenses`` licenses each and return their text.

    The text exists only in the return value: the database stores digests.
    """
    if licenses < 1:
        raise ValueError(f"A key carries at least 1 license, not {licenses}.")
    if licenses > MAX_LICENSES_PER_KEY:
        raise ValueError(
            f"A key carries at most {MAX_LICENSES_PER_KEY} licenses, not {licenses}."
        )
    if count < 1:
        raise ValueError(f"Issue at least 1 key, not {count}.")
    if count > MAX_KEYS_PER_BATCH:
        raise ValueError(f"Issue at most {MAX_KEYS_PER_BATCH} keys at once, not {count}.")
    max_reference = LicenseKey._meta.get_field("order_reference").max_length
    if len(order_reference) > max_reference:
        raise ValueError(
            f"An order reference has at most {max_reference} characters, "
            f"not {len(order_reference)}."
        )

    texts = [generate_key() for _ in range(count)]
    with transaction.atomic():
        LicenseKey.objects.bulk_create([
            LicenseKey(
                digest=parsed.digest,
                last_characters=parsed.last_characters,
                product=product,
                licenses=licenses,
                order_reference=order_reference,
            )
            for parsed in (parse_key(text) for text in texts)
        ])
    logger.info(
        "Issued %s keys of %s licenses of %s for order %r",
        count, licenses, product.code, order_reference,
    )
    return texts


def revoke_keys(*, key_ids: Iterable[int]) -> list[LicenseKey]:
    """Revoke the keys among ``key_ids`` that are neither redeemed nor revoked.

    Returns the keys revoked now. A redeemed key stays as it is, because its
    licenses are already in a wallet. The rows are locked first, as
    redemption locks them, so a key ends up redeemed or revoked, never both.
    """
    with transaction.atomic():
        keys = list(
            LicenseKey.objects.select_for_update(of=("self",))
            .select_related("product")
            .filter(pk__in=list(key_ids))
            .filter(redeemed_at__isnull=True, revoked_at__isnull=True)
            .order_by("pk")
        )
        now = timezone.now()
        revoked_ids = [key.pk for key in keys]
        LicenseKey.objects.filter(pk__in=revoked_ids).update(revoked_at=now)
        for key in keys:
            key.revoked_at = now

    logger.info("Revoked %s license keys: %s", len(keys), revoked_ids)
    return keys
