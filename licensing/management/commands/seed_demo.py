"""Create demo data: a demo admin, two organizations, products in every status.

The demo's past is written through the same services as real use, with the
clock set back for each step, so that History, the ledger and the statuses
agree with each other. Running it again keeps the data, gives the demo
accounts new passwords and replaces the unredeemed demo keys, because
stored keys are digests and cannot be printed twice.
"""

import contextlib
import datetime
import secrets
from unittest import mock

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from licensing.models import Product, Terms
from licensing.services import ActivationRequest, activate_products, set_usage, start_trial
from organizations.models import Organization, Reseller
from organizations.services import create_organization
from wallet.issuing import issue_keys
from wallet.models import LicenseKey
from wallet.services import redeem_key

DEMO_ADMIN = "admin@demo.example"
DEMO_OPS = "ops@demo.example"
DEMO_ORDER = "demo"

PRODUCTS = [
    ("vantage-recorder", "Vantage Recorder", "camera", "cameras", 30,
     "Records and plays back video from every camera of a site."),
    ("perimeter-analytics", "Perimeter Analytics", "channel", "channels", 30,
     "Detects people and vehicles crossing a fence line, per video channel."),
    ("door-access", "Door Access Manager", "door", "doors", 60,
     "Controls badges, schedules and door events for each door."),
    ("fleet-bodycam", "Fleet Body Camera Manager", "device", "devices", 30,
     "Assigns, charges and offloads body-worn cameras."),
]

RESELLERS = [
    ("Nordic Secure Systems AB", "integrator", "SE", "Gothenburg", "sales@nordicsecure.example"),
    ("Baltic Video Partners", "reseller", "SE", "Stockholm", "hello@balticvideo.example"),
    ("Prairie Integration LLC", "integrator", "US", "Chicago", "quotes@prairie.example"),
    ("Lakeshore Security Supply", "reseller", "US", "Milwaukee", "orders@lakeshore.example"),
    ("Rheinland Sicherheitstechnik GmbH", "integrator", "DE", "Cologne", "info@rheinland.example"),
]


@contextlib.contextmanager
def clock_at(instant: datetime.datetime):
    """Run services as if it were ``instant``; they all read ``timezone.now``."""
    with mock.patch.object(timezone, "now", return_value=instant):
        yield


class Command(BaseCommand):
    help = "Create demo accounts, organizations, products, trials, subscriptions and keys."

    def handle(self, *args, **options):
        with transaction.atomic():
            admin_password = self.reset_account(DEMO_ADMIN, staff=False)
            ops_password = self.reset_account(DEMO_OPS, staff=True)
            products = self.ensure_products()
            self.ensure_resellers()
            if not Organization.objects.filter(memberships__user__email=DEMO_ADMIN).exists():
                self.build_history(products)
            keys = self.replace_demo_keys(products)

        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"  Organization admin: {DEMO_ADMIN}  password: {admin_password}")
        self.stdout.write(f"  Ops staff (/admin/): {DEMO_OPS}  password: {ops_password}")
        self.stdout.write("  Unredeemed license keys (redeem them on the Wallet page):")
        for product, licenses, text in keys:
            self.stdout.write(f"    {text}  {licenses} licenses of {product.name}")

    def reset_account(self, email: str, *, staff: bool) -> str:
        password = secrets.token_urlsafe(9)
        user, _ = get_user_model().objects.get_or_create(
            username=email, defaults={"email": email}
        )
        user.email = email
        user.is_staff = user.is_superuser = staff
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return password

    def ensure_products(self) -> dict[str, Product]:
        published = timezone.now() - datetime.timedelta(days=400)
        products = {}
        for code, name, unit, unit_plural, trial_days, description in PRODUCTS:
            product, created = Product.objects.get_or_create(code=code, defaults={
                "name": name, "unit": unit, "unit_plural": unit_plural,
                "trial_days": trial_days, "description": description,
            })
            if created:
                Terms.objects.create(
                    product=product, version="1.0", published_at=published,
                    text=f"Terms and conditions of {name}, version 1.0.\n\n"
                         "1. One license covers one unit for one subscription year.\n"
                         "2. Licenses are bound to the organization that redeems them.",
                )
            products[code] = product
        return products

    def ensure_resellers(self) -> None:
        for name, kind, country, city, email in RESELLERS:
            Reseller.objects.get_or_create(
                name=name, defaults={"kind": kind, "country": country, "city": city, "email": email}
            )

    def build_history(self, products: dict[str, Product]) -> None:
        admin = get_user_model().objects.get(email=DEMO_ADMIN)
        now = timezone.now()
        days_ago = lambda days: now - datetime.timedelta(days=days)  # noqa: E731

        with clock_at(days_ago(120)):
            harbor = create_organization(
                name="Harbor Logistics", country="SE", time_zone="Europe/Stockholm", creator=admin
            )
            northwind = create_organization(
                name="Northwind Schools", country="US", time_zone="America/Chicago", creator=admin
            )

        # Harbor Logistics: one product in each status.
        self.trial_then_activate(harbor, products["vantage-recorder"], admin, 110, 100, usage=12)
        self.redeem_new_key(harbor, products["vantage-recorder"], 17, admin, 99)
        self.trial_then_activate(harbor, products["perimeter-analytics"], admin, 30, 10, usage=4)
        with clock_at(days_ago(5)):
            start_trial(organization=harbor, product=products["door-access"], actor=admin)
        with clock_at(days_ago(45)):
            start_trial(organization=harbor, product=products["fleet-bodycam"], actor=admin)

        # Northwind Schools: a lapsed grace period and a running trial.
        self.trial_then_activate(northwind, products["vantage-recorder"], admin, 60, 45, usage=20)
        self.redeem_new_key(northwind, products["vantage-recorder"], 8, admin, 40)
        with clock_at(days_ago(3)):
            start_trial(organization=northwind, product=products["door-access"], actor=admin)
        with clock_at(days_ago(1)):
            set_usage(
                organization=harbor, product=products["vantage-recorder"], usage=14, actor=admin
            )

    def trial_then_activate(self, organization, product, actor, trial_days_ago, activated_days_ago, *, usage):
        now = timezone.now()
        with clock_at(now - datetime.timedelta(days=trial_days_ago)):
            start_trial(organization=organization, product=product, actor=actor)
        with clock_at(now - datetime.timedelta(days=activated_days_ago)):
            activate_products(
                organization=organization,
                requests=[ActivationRequest(product=product, usage=usage, terms=product.current_terms())],
                actor=actor,
            )

    def redeem_new_key(self, organization, product, licenses, actor, days_ago):
        with clock_at(timezone.now() - datetime.timedelta(days=days_ago)):
            [text] = issue_keys(
                product=product, licenses=licenses, count=1, order_reference="demo-sold"
            )
            redeem_key(organization=organization, key_text=text, actor=actor)

    def replace_demo_keys(self, products: dict[str, Product]) -> list[tuple[Product, int, str]]:
        LicenseKey.objects.filter(
            order_reference=DEMO_ORDER, redeemed_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        demo_keys = [
            (products["perimeter-analytics"], 4),
            (products["perimeter-analytics"], 10),
            (products["vantage-recorder"], 12),
            (products["door-access"], 25),
        ]
        return [
            (product, licenses, issue_keys(
                product=product, licenses=licenses, count=1, order_reference=DEMO_ORDER
            )[0])
            for product, licenses in demo_keys
        ]
