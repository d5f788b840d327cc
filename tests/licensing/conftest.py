"""Fixtures of the licensing tests: a stopped clock and the actions a member takes.

Every test starts at 09:00 on 4 December 2026 in Stockholm, the zone of
``organization``, and the clock is stopped until a test moves it.
"""

import datetime
import uuid
import zoneinfo

import pytest
import time_machine
from django.contrib.messages import get_messages

from history.models import Event
from licensing.services import ActivationRequest, activate_products
from wallet.services import redeem_key

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
START = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=STOCKHOLM)


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=STOCKHOLM)


def token() -> str:
    return str(uuid.uuid4())


def event_count() -> int:
    return Event.objects.count()


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def activate():
    """Activate a product with a usage through the service, and return the subscription."""

    def activate_product(organization, product, usage, actor):
        return activate_products(
            organization=organization,
            requests=[ActivationRequest(
                product=product, usage=usage, terms=product.current_terms()
            )],
            actor=actor,
        )[0]

    return activate_product


@pytest.fixture
def fill_wallet(make_keys):
    """Redeem a key with ``licenses`` licenses of a product into the organization's Wallet."""

    def fill(organization, product, licenses, actor):
        [key] = make_keys(product, licenses)
        return redeem_key(organization=organization, key_text=key, actor=actor)

    return fill


@pytest.fixture
def member_client(client, request):
    """A client signed in as the user fixture of that name, e.g. ``"viewer_user"``."""

    def sign_in(fixture_name: str):
        client.force_login(request.getfixturevalue(fixture_name))
        return client

    return sign_in
