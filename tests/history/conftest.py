import datetime
import zoneinfo

import pytest
from django.db import transaction

from history.models import Event
from history.services import record_event

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def local(*args) -> datetime.datetime:
    """Return an instant given as wall-clock time in Stockholm, the organization's zone."""
    return datetime.datetime(*args, tzinfo=STOCKHOLM)


@pytest.fixture
def make_event(db):
    """Write one History event as a service would, at the given instant."""

    def make(organization, *, at: datetime.datetime, action: str = Event.Action.TRIAL_STARTED,
             actor=None, actor_kind: str | None = None, product=None,
             details: dict | None = None) -> Event:
        if actor_kind is None:
            actor_kind = Event.ActorKind.PERSON if actor else Event.ActorKind.SYSTEM
        with transaction.atomic():
            return record_event(
                organization=organization, action=action, at=at, actor=actor,
                actor_kind=actor_kind, product=product,
                details=details if details is not None else {"trial_days": 30},
            )

    return make


@pytest.fixture
def member_client(client, request):
    """A client signed in as the user fixture of the given name."""

    def sign_in(fixture_name: str):
        client.force_login(request.getfixturevalue(fixture_name))
        return client

    return sign_in
