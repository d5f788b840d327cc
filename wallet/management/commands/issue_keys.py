from django.core.management.base import BaseCommand, CommandError

from licensing.models import Product
from wallet.issuing import MAX_KEYS_PER_BATCH, MAX_LICENSES_PER_KEY, issue_keys
from wallet.models import LicenseKey


class Command(BaseCommand):
    help = (
        "Issue new license keys of one product and print them, one per line. "
        "Only their digests are stored, so the printed keys are the only copy. "
        "Standard output carries nothing but the keys; the summary goes to "
        "standard error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--product", required=True, help="Code of the product the keys license."
        )
        parser.add_argument(
            "--licenses", required=True, type=int, help="Licenses per key, at least 1."
        )
        parser.add_argument(
            "--count", required=True, type=int,
            help=f"Number of keys to issue, from 1 to {MAX_KEYS_PER_BATCH}.",
        )
        parser.add_argument("--order", default="", help="Order reference stored with each key.")

    def handle(self, *args, **options):
        product = self.find_product(options["product"])
        licenses, count, order = options["licenses"], options["count"], options["order"]
        if not 1 <= licenses <= MAX_LICENSES_PER_KEY:
            raise CommandError(
                f"--licenses must be from 1 to {MAX_LICENSES_PER_KEY}, not {licenses}."
            )
        if not 1 <= count <= MAX_KEYS_PER_BATCH:
            raise CommandError(
                f"--count must be from 1 to {MAX_KEYS_PER_BATCH}, not {count}. "
                "Issue a larger order in several batches."
            )
        max_order = LicenseKey._meta.get_field("order_reference").max_length
        if len(order) > max_order:
            raise CommandError(
                f"--order has at most {max_order} characters, not {len(order)}."
            )
        if not product.is_available:
            self.stderr.write(
                f"Warning: {product.code} is unavailable, so these keys cannot be "
                "redeemed until it is made available again."
            )

        keys = issue_keys(
            product=product, licenses=licenses, count=count, order_reference=order
        )
        for key in keys:
            self.stdout.write(key)
        self.stderr.write(
            f"Issued {count} key(s) of {licenses} license(s) of {product.code}"
            + (f" for order {order}." if order else ".")
        )

    def find_product(self, code: str) -> Product:
        product = Product.objects.filter(code=code).first()
        if product is None:
            known = ", ".join(Product.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"Unknown product {code!r}. Known product codes: {known}.")
        return product
