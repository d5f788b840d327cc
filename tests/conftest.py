"""Fixtures shared by every test: a fixed cast of users and a small catalog.

The cast: ``admin_user``, ``operator_user`` and ``viewer_user`` belong to
``organization`` with those roles; ``outsider`` belongs to
``other_organization`` only.
"""

import datetime
import itertools

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from licensing.models import Product, Terms
from organizations.models import Membership, Organization, Role
from wallet.issuing import issue_keys

PASSWORD = "correct-horse-battery-staple"

_sequence = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    # Rate limits live in the cache; one test's attempts must not limit the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db):
    def make(email: str | None = None, *, password: str = PASSWORD, verified: bool = True):
        email = email or f"user{next(_sequence)}@example.com"
        user = get_user_model().objects.create_user(
            username=email.lower(), email=email.lower(), password=password
        )
        EmailAddress.objects.create(user=user, email=email.lower(), verified=verified, primary=True)
        return user

    return make


@pytest.fixture
def make_organization(db):
    def make(name: str | None = None, *, time_zone: str = "Europe/Stockholm", country: str = "SE"):
        number = next(_sequence)
        name = name or f"Organization {number}"
        return Organization.objects.create(
            name=name, slug=f"org-{number}", country=country, time_zone=time_zone
        )

    return make


@pytest.fixture
def make_member(db):
    def make(user, organization, role: str = Role.ADMIN) -> Membership:
        return Membership.objects.create(user=user, organization=organization, role=role)

    return make


@pytest.fixture
def make_product(db):
    def make(code: str | None = None, *, trial_days: int = 30, unit: str = "device",
             terms_version: str = "1.0") -> Product:
        code = code or f"product-{next(_sequence)}"
        product = Product.objects.create(
            code=code, name=code.replace("-", " ").title(), unit=unit, unit_plural=f"{unit}s",
            trial_days=trial_days, description=f"What {code} does.",
        )
        Terms.objects.create(
            product=product, version=terms_version, text=f"Terms of {code}.",
            published_at=timezone.now() - datetime.timedelta(days=1),
        )
        return product

    return make


@pytest.fixture
def make_keys(db):
    def make(product: Product, licenses: int, count: int = 1) -> list[str]:
        return issue_keys(product=product, licenses=licenses, count=count)

    return make


@pytest.fixture
def organization(make_organization):
    return make_organization("Harbor Logistics")


@pytest.fixture
def other_organization(make_organization):
    return make_organization("Northwind Schools", time_zone="America/Chicago", country="US")


@pytest.fixture
def admin_user(make_user, make_member, organization):
    user = make_user("admin@example.com")
    make_member(user, organization, Role.ADMIN)
    return user


@pytest.fixture
def operator_user(make_user, make_member, organization):
    user = make_user("operator@example.com")
    make_member(user, organization, Role.OPERATOR)
    return user


@pytest.fixture
def viewer_user(make_user, make_member, organization):
    user = make_user("viewer@example.com")
    make_member(user, organization, Role.VIEWER)
    return user


@pytest.fixture
def outsider(make_user, make_member, other_organization):
    user = make_user("outsider@example.com")
    make_member(user, other_organization, Role.ADMIN)
    return user


@pytest.fixture
def product(make_product):
    return make_product("camera-recorder")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client
