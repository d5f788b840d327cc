import datetime
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from history.models import Event
from licensing.models import SubscriptionPeriod
from licensing.scheduled import process_due
from licensing.services import ActivationRequest, activate_products
from licensing.status import Status, product_states
from wallet.audit import find_violations
from wallet.models import WalletBalance
from wallet.services import redeem_key

from ..ledger.conftest import run_at_once

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=STOCKHOLM)


def activate(organization, product, actor, usage):
    return activate_products(
        organization=organization,
        requests=[ActivationRequest(product=product, usage=usage, terms=product.current_terms())],
        actor=actor,
    )[0]


def wallet_of(organization, product) -> int:
    return WalletBalance.objects.get(organization=organization, product=product).licenses


@pytest.mark.django_db
def test_leap_day_activation_renews_on_anniversaries(organization, admin_user, product):
    with time_machine.travel(local(2024, 2, 29, 10, 30), tick=False) as clock:
        subscription = activate(organization, product, admin_user, usage=1)
        clock.move_to(local(2028, 3, 1, 12, 0))
        process_due()

    starts = [
        period.starts_at.astimezone(STOCKHOLM)
        for period in SubscriptionPeriod.objects.filter(subscription=subscription)
    ]
    assert starts == [
        local(2024, 2, 29, 10, 30),
        local(2025, 2, 28, 10, 30),
        local(2026, 2, 28, 10, 30),
        local(2027, 2, 28, 10, 30),
        local(2028, 2, 29, 10, 30),
    ]


@pytest.mark.django_db
def test_periods_follow_without_gap_or_overlap(organization, admin_user, product):
    with time_machine.travel(local(2024, 2, 29, 10, 30), tick=False) as clock:
        subscription = activate(organization, product, admin_user, usage=1)
        clock.move_to(local(2029, 1, 1))
        process_due()

    periods = list(SubscriptionPeriod.objects.filter(subscription=subscription))
    for earlier, later in zip(periods, periods[1:]):
        assert earlier.ends_at == later.starts_at


@pytest.mark.django_db
def test_renewal_takes_usage_from_wallet(organization, admin_user, product, make_keys):
    with time_machine.travel(local(2026, 1, 15, 9, 0), tick=False) as clock:
        [key] = make_keys(product, 10)
        redeem_key(organization=organization, key_text=key, actor=admin_user)
        activate(organization, product, admin_user, usage=4)
        clock.move_to(local(2027, 1, 15, 9, 0, 1))
        report = process_due()
        [state] = product_states(organization, timezone.now())

    renewal = SubscriptionPeriod.objects.get(number=2)
    assert report.renewals == 1
    assert renewal.licensed_units == 4
    assert renewal.grace_ends_at is None
    assert wallet_of(organization, product) == 2
    assert state.status == Status.LICENSED
    assert find_violations() == []


@pytest.mark.django_db
def test_uncovered_renewal_starts_grace_at_anniversary(organization, admin_user, product, make_keys):
    with time_machine.travel(local(2026, 1, 15, 9, 0), tick=False) as clock:
        [key] = make_keys(product, 5)
        redeem_key(organization=organization, key_text=key, actor=admin_user)
        activate(organization, product, admin_user, usage=4)
        clock.move_to(local(2027, 1, 18, 9, 0))
        process_due()
        in_grace = product_states(organization, timezone.now())[0]
        clock.move_to(local(2027, 2, 14, 9, 0))
        unlicensed = product_states(organization, timezone.now())[0]

    renewal = SubscriptionPeriod.objects.get(number=2)
    assert renewal.licensed_units == 0
    assert renewal.starts_at == local(2027, 1, 15, 9, 0)
    assert renewal.grace_ends_at == local(2027, 2, 14, 9, 0)
    assert wallet_of(organization, product) == 1
    assert in_grace.status == Status.GRACE
    assert unlicensed.status == Status.UNLICENSED


@pytest.mark.django_db
def test_late_pass_is_effective_at_anniversary(organization, admin_user, product, make_keys):
    with time_machine.travel(local(2026, 3, 1, 8, 0), tick=False) as clock:
        [key] = make_keys(product, 6)
        redeem_key(organization=organization, key_text=key, actor=admin_user)
        activate(organization, product, admin_user, usage=3)
        clock.move_to(local(2027, 3, 4, 8, 0))
        process_due()
        second = process_due()

    event = Event.objects.get(action=Event.Action.RENEWED)
    assert event.occurred_at == local(2027, 3, 1, 8, 0)
    assert event.actor_name == "System"
    assert second.renewals == 0
    assert Event.objects.filter(action=Event.Action.RENEWED).count() == 1
    assert find_violations() == []


@pytest.mark.django_db
def test_redeem_after_missed_renewal_renews_first(organization, admin_user, product, make_keys):
    with time_machine.travel(local(2026, 5, 1, 8, 0), tick=False) as clock:
        activate(organization, product, admin_user, usage=3)
        [key] = make_keys(product, 3)
        redeem_key(organization=organization, key_text=key, actor=admin_user)
        clock.move_to(local(2027, 5, 2, 8, 0))
        [key] = make_keys(product, 3)
        redeem_key(organization=organization, key_text=key, actor=admin_user)
        [state] = product_states(organization, timezone.now())

    assert SubscriptionPeriod.objects.get(number=2).licensed_units == 3
    assert state.status == Status.LICENSED
    assert find_violations() == []


@pytest.mark.django_db
def test_process_due_command_reports_renewals(organization, admin_user, product, capsys):
    with time_machine.travel(local(2026, 1, 1, 0, 0), tick=False) as clock:
        activate(organization, product, admin_user, usage=1)
        clock.move_to(local(2027, 1, 1, 0, 0))
        call_command("process_due")

    assert "Renewals written: 1" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_renew_once(postgresql_only, organization, admin_user, product, make_keys):
    [key] = make_keys(product, 10)
    redeem_key(organization=organization, key_text=key, actor=admin_user)
    with time_machine.travel(local(2026, 1, 15, 9, 0), tick=False) as clock:
        activate(organization, product, admin_user, usage=4)
        clock.move_to(local(2027, 1, 16, 9, 0))
        reports = run_at_once([process_due, process_due, process_due])

    assert not [r for r in reports if isinstance(r, Exception)]
    assert sum(r.renewals for r in reports) == 1
    assert Event.objects.filter(action=Event.Action.RENEWED).count() == 1
    assert wallet_of(organization, product) == 2
    assert find_violations() == []
