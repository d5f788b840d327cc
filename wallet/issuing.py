from django.db import transaction

from licensing.models import Product

from .keys import generate_key, parse_key
from .models import LicenseKey


def issue_keys(
    *, product: Product, licenses: int, count: int, order_reference: str = ""
) -> list[str]:
    """Create ``count`` new keys of ``licenses`` licenses each and return their text.

    The text exists only in the return value: the database stores digests.
    """
    if licenses < 1:
        raise ValueError(f"A key carries at least 1 license, not {licenses}.")
    if count < 1:
        raise ValueError(f"Issue at least 1 key, not {count}.")

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
    return texts
