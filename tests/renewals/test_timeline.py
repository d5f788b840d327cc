import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from licensing.models import Subscription
from licensing.services import ActivationRequest, activate_products, start_trial
from licensing.status import Status
from licensing.timeline import place, segments_for
from wallet.models import LedgerEntry
from wallet.services import redeem_key

pytestmark = pytest.mark.django_db
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=STOCKHOLM)


def segments_now(organization, product, wallet=0):
    subscription = Subscription.objects.filter(organization=organization, product=product).first()
    periods = list(subscription.periods.order_by("number")) if subscription else []
    consumed = {}
    for entry in LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CONSUMED).order_by("created_at"):
        consumed.setdefault(entry.period_id, []).append(entry.created_at)
    return segments_for(
        trial=organization.trials.filter(product=product).first(),
        subscription=subscription, periods=periods, consumed_at=consumed, wallet=wallet,
        now=timezone.now(), tz=STOCKHOLM,
    )


def shape(segments):
    return [(s.status, s.starts_at.astimezone(STOCKHOLM), s.forecast) for s in segments]


def test_trial_grace_then_licensed_timeline(organization, admin_user, product, make_keys):
    with time_machine.travel(local(2026, 3, 1, 10, 0), tick=False) as clock:
        start_trial(organization=organization, product=product, actor=admin_user)
        clock.move_to(local(2026, 3, 11, 10, 0))
        activate_products(
            organization=organization,
            requests=[ActivationRequest(product=product, usage=2, terms=product.current_terms())],
            actor=admin_user,
        )
        clock.move_to(local(2026, 3, 21, 10, 0))
        [key] = make_keys(product, 2)
        redeem_key(organization=organization, key_text=key, actor=admin_user)
        clock.move_to(local(2026, 6, 1, 10, 0))
        segments = segments_now(organization, product)

    assert shape(segments) == [
        (Status.TRIAL, local(2026, 3, 1, 10, 0), False),
        (Status.GRACE, local(2026, 3, 11, 10, 0), False),
        (Status.LICENSED, local(2026, 3, 21, 10, 0), False),
        (Status.GRACE, local(2027, 3, 11, 10, 0), True),
        (Status.UNLICENSED, local(2027, 4, 10, 10, 0), True),
    ]


def test_lapsed_grace_shows_unlicensed(organization, admin_user, product):
    with time_machine.travel(local(2026, 3, 11, 10, 0), tick=False) as clock:
        activate_products(
            organization=organization,
            requests=[ActivationRequest(product=product, usage=2, terms=product.current_terms())],
            actor=admin_user,
        )
        clock.move_to(local(2026, 6, 1, 10, 0))
        segments = segments_now(organization, product, wallet=5)

    assert shape(segments) == [
        (Status.GRACE, local(2026, 3, 11, 10, 0), False),
        (Status.UNLICENSED, local(2026, 4, 10, 10, 0), False),
        (Status.LICENSED, local(2027, 3, 11, 10, 0), True),
    ]


def test_place_keeps_bars_inside_window(organization, admin_user, product):
    with time_machine.travel(local(2020, 1, 1, 0, 0), tick=False) as clock:
        start_trial(organization=organization, product=product, actor=admin_user)
        clock.move_to(local(2026, 6, 1, 10, 0))
        bars, now_x = place(segments_now(organization, product), timezone.now())

    assert [bar.segment.status for bar in bars] == [Status.TRIAL_ENDED]
    assert bars[0].x == 0
    assert 0 < now_x < 100
    assert bars[0].x + bars[0].width == pytest.approx(100)


def test_later_usage_growth_keeps_period_licensed(organization, admin_user, product, make_keys):
    from licensing.services import set_usage

    with time_machine.travel(local(2026, 3, 11, 10, 0), tick=False) as clock:
        activate_products(
            organization=organization,
            requests=[ActivationRequest(product=product, usage=2, terms=product.current_terms())],
            actor=admin_user,
        )
        clock.move_to(local(2026, 3, 12, 10, 0))
        [key] = make_keys(product, 5)
        redeem_key(organization=organization, key_text=key, actor=admin_user)
        clock.move_to(local(2026, 5, 1, 10, 0))
        set_usage(organization=organization, product=product, usage=3, actor=admin_user)
        clock.move_to(local(2026, 6, 1, 10, 0))
        segments = segments_now(organization, product, wallet=2)

    assert shape(segments)[:2] == [
        (Status.GRACE, local(2026, 3, 11, 10, 0), False),
        (Status.LICENSED, local(2026, 3, 12, 10, 0), False),
    ]


def test_overview_shows_forecast_and_timeline(client, organization, admin_user, product):
    activate_products(
        organization=organization,
        requests=[ActivationRequest(product=product, usage=3, terms=product.current_terms())],
        actor=admin_user,
    )
    client.force_login(admin_user)

    page = client.get(f"/orgs/{organization.slug}/overview/").content.decode()

    assert "Renewal forecast" in page
    assert "Redeem 3 more licenses before the renewal" in page
    assert "<svg" in page
    assert 'class="span span-grace"' in page


def test_forecast_leaves_wallet_to_current_shortfall(client, organization, admin_user, product, make_keys):
    [key] = make_keys(product, 10)
    redeem_key(organization=organization, key_text=key, actor=admin_user)
    activate_products(
        organization=organization,
        requests=[ActivationRequest(product=product, usage=12, terms=product.current_terms())],
        actor=admin_user,
    )
    client.force_login(admin_user)

    page = client.get(f"/orgs/{organization.slug}/overview/").content.decode()

    # The 10 in the Wallet close the current shortfall once 2 more are redeemed,
    # so the renewal still needs all 12.
    assert "2 more licenses needed by" in page
    assert "Redeem 12 more licenses before the renewal" in page


def test_timeline_forecast_leaves_wallet_to_current_shortfall(
    organization, admin_user, product, make_keys
):
    with time_machine.travel(local(2026, 3, 11, 10, 0), tick=False):
        [key] = make_keys(product, 10)
        redeem_key(organization=organization, key_text=key, actor=admin_user)
        activate_products(
            organization=organization,
            requests=[ActivationRequest(product=product, usage=12, terms=product.current_terms())],
            actor=admin_user,
        )
        segments = segments_now(organization, product, wallet=10)

    assert shape(segments)[-2:] == [
        (Status.GRACE, local(2027, 3, 11, 10, 0), True),
        (Status.UNLICENSED, local(2027, 4, 10, 10, 0), True),
    ]
