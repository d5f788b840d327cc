"""The writes of the licensing app: trials, activation and usage."""

import datetime

import pytest
from django.utils import timezone

from history.models import Event
from licensing.calendar import grace_end
from licensing.models import Subscription, SubscriptionPeriod, Terms, TermsAcceptance, Trial
from licensing.services import (
    ActivationRequest, LicensingError, activate_products, set_usage, start_trial,
)
from licensing.status import Status, product_states
from wallet.models import WalletBalance

from .conftest import START, STOCKHOLM, event_count

pytestmark = pytest.mark.django_db


def status_of(organization, product):
    [state] = product_states(organization, timezone.now(), only=product)
    return state


def wallet_of(organization, product) -> int:
    balance = WalletBalance.objects.filter(organization=organization, product=product).first()
    return balance.licenses if balance else 0


def period_of(subscription) -> SubscriptionPeriod:
    return subscription.periods.get(number=1)


def test_trial_runs_for_trial_length(organization, admin_user, make_product):
    product = make_product("long-trial", trial_days=60)

    trial = start_trial(organization=organization, product=product, actor=admin_user)

    assert trial.started_at == START
    assert trial.ends_at == START + datetime.timedelta(days=60)
    assert Event.objects.get().action == Event.Action.TRIAL_STARTED


def test_trial_only_once(organization, admin_user, product, clock):
    start_trial(organization=organization, product=product, actor=admin_user)
    clock.shift(datetime.timedelta(days=40))
    events_before = event_count()

    with pytest.raises(LicensingError) as raised:
        start_trial(organization=organization, product=product, actor=admin_user)

    assert raised.value.code == "trial_used"
    assert Trial.objects.count() == 1
    assert event_count() == events_before


def test_trial_per_organization(organization, other_organization, admin_user, product):
    start_trial(organization=organization, product=product, actor=admin_user)
    start_trial(organization=other_organization, product=product, actor=admin_user)

    assert Trial.objects.count() == 2


def test_trial_after_activation_rejected(organization, admin_user, product, activate):
    activate(organization, product, 2, admin_user)
    events_before = event_count()

    with pytest.raises(LicensingError) as raised:
        start_trial(organization=organization, product=product, actor=admin_user)

    assert raised.value.code == "already_activated"
    assert not Trial.objects.exists()
    assert event_count() == events_before


def test_trial_of_unavailable_product_rejected(organization, admin_user, product):
    product.is_available = False
    product.save()

    with pytest.raises(LicensingError) as raised:
        start_trial(organization=organization, product=product, actor=admin_user)

    assert raised.value.code == "unavailable"
    assert not Trial.objects.exists()
    assert event_count() == 0


def test_activation_ends_running_trial(organization, admin_user, product, activate, clock):
    trial = start_trial(organization=organization, product=product, actor=admin_user)
    clock.shift(datetime.timedelta(days=3))

    activate(organization, product, 2, admin_user)

    trial.refresh_from_db()
    assert trial.ends_at == START + datetime.timedelta(days=3)
    assert status_of(organization, product).status == Status.GRACE


def test_activation_records_terms_acceptance(organization, admin_user, product, activate):
    subscription = activate(organization, product, 2, admin_user)

    acceptance = TermsAcceptance.objects.get()
    assert acceptance.subscription == subscription
    assert acceptance.terms == product.current_terms()
    assert acceptance.accepted_by == admin_user
    assert acceptance.accepted_by_name == "admin@example.com"
    assert acceptance.accepted_at == START


def test_activation_without_wallet_starts_grace(organization, admin_user, product, activate):
    subscription = activate(organization, product, 3, admin_user)

    period = period_of(subscription)
    assert period.licensed_units == 0
    assert period.grace_ends_at == grace_end(START, STOCKHOLM)
    assert status_of(organization, product).status == Status.GRACE


def test_activation_with_wallet_licenses_at_once(
    organization, admin_user, product, activate, fill_wallet
):
    fill_wallet(organization, product, 5, admin_user)

    subscription = activate(organization, product, 3, admin_user)

    period = period_of(subscription)
    assert period.licensed_units == 3
    assert period.grace_ends_at is None
    assert wallet_of(organization, product) == 2
    assert status_of(organization, product).status == Status.LICENSED


def test_activation_short_wallet_consumes_nothing(
    organization, admin_user, product, activate, fill_wallet
):
    fill_wallet(organization, product, 2, admin_user)

    subscription = activate(organization, product, 3, admin_user)

    assert period_of(subscription).licensed_units == 0
    assert wallet_of(organization, product) == 2
    assert status_of(organization, product).status == Status.GRACE


def test_activation_writes_one_event(organization, admin_user, product, activate):
    activate(organization, product, 3, admin_user)

    event = Event.objects.get()
    assert event.action == Event.Action.ACTIVATED
    assert event.details["terms_version"] == "1.0"
    assert event.details["usage"] == 3


def test_activation_with_outdated_terms_changes_nothing(organization, admin_user, product):
    read = product.current_terms()
    Terms.objects.create(
        product=product, version="2.0", text="New terms.",
        published_at=read.published_at + datetime.timedelta(hours=1),
    )

    with pytest.raises(LicensingError) as raised:
        activate_products(
            organization=organization,
            requests=[ActivationRequest(product=product, usage=2, terms=read)],
            actor=admin_user,
        )

    assert raised.value.code == "terms_changed"
    assert not Subscription.objects.exists()
    assert event_count() == 0


def test_activation_twice_rejected(organization, admin_user, product, activate):
    activate(organization, product, 3, admin_user)
    events_before = event_count()

    with pytest.raises(LicensingError) as raised:
        activate(organization, product, 5, admin_user)

    assert raised.value.code == "already_activated"
    assert Subscription.objects.get().usage == 3
    assert event_count() == events_before


def test_activation_all_or_none(
    organization, admin_user, product, make_product, activate
):
    other = make_product("door-station")
    activate(organization, other, 1, admin_user)
    events_before = event_count()

    with pytest.raises(LicensingError):
        activate_products(
            organization=organization,
            requests=[
                ActivationRequest(product=product, usage=2, terms=product.current_terms()),
                ActivationRequest(product=other, usage=2, terms=other.current_terms()),
            ],
            actor=admin_user,
        )

    assert not Subscription.objects.filter(product=product).exists()
    assert event_count() == events_before


def test_activation_needs_usage(organization, admin_user, product, activate):
    with pytest.raises(LicensingError) as raised:
        activate(organization, product, 0, admin_user)

    assert raised.value.code == "usage_too_low"
    assert not Subscription.objects.exists()


def test_usage_growth_consumed_from_wallet(
    organization, admin_user, product, activate, fill_wallet
):
    fill_wallet(organization, product, 5, admin_user)
    subscription = activate(organization, product, 3, admin_user)

    consumed = set_usage(organization=organization, product=product, usage=5, actor=admin_user)

    assert consumed == 2
    assert period_of(subscription).licensed_units == 5
    assert wallet_of(organization, product) == 0
    assert status_of(organization, product).status == Status.LICENSED


def test_usage_growth_past_wallet_starts_grace(
    organization, admin_user, product, activate, fill_wallet, clock
):
    fill_wallet(organization, product, 3, admin_user)
    subscription = activate(organization, product, 3, admin_user)
    clock.shift(datetime.timedelta(days=10))

    consumed = set_usage(organization=organization, product=product, usage=5, actor=admin_user)

    state = status_of(organization, product)
    assert consumed == 0
    assert period_of(subscription).licensed_units == 3
    assert state.status == Status.GRACE
    assert state.ends_at == grace_end(timezone.now(), STOCKHOLM)


def test_usage_growth_keeps_grace_end(organization, admin_user, product, activate, clock):
    activate(organization, product, 3, admin_user)
    clock.shift(datetime.timedelta(days=10))

    set_usage(organization=organization, product=product, usage=5, actor=admin_user)

    state = status_of(organization, product)
    assert state.status == Status.GRACE
    assert state.ends_at == grace_end(START, STOCKHOLM)
    assert state.shortfall == 5


def test_lower_usage_refunds_nothing(organization, admin_user, product, activate, fill_wallet):
    fill_wallet(organization, product, 5, admin_user)
    subscription = activate(organization, product, 5, admin_user)

    consumed = set_usage(organization=organization, product=product, usage=2, actor=admin_user)

    assert consumed == 0
    assert period_of(subscription).licensed_units == 5
    assert wallet_of(organization, product) == 0
    assert status_of(organization, product).status == Status.LICENSED


def test_lower_usage_can_end_shortfall(organization, admin_user, product, activate, fill_wallet):
    fill_wallet(organization, product, 2, admin_user)
    activate(organization, product, 3, admin_user)

    consumed = set_usage(organization=organization, product=product, usage=2, actor=admin_user)

    assert consumed == 2
    assert status_of(organization, product).status == Status.LICENSED


def test_usage_change_writes_one_event(organization, admin_user, product, activate):
    activate(organization, product, 3, admin_user)
    events_before = event_count()

    set_usage(organization=organization, product=product, usage=4, actor=admin_user)

    assert event_count() == events_before + 1
    event = Event.objects.filter(action=Event.Action.USAGE_CHANGED).get()
    assert event.details["old_usage"] == 3
    assert event.details["new_usage"] == 4


@pytest.mark.parametrize(("activated", "usage", "code"), [
    (False, 3, "not_activated"),
    (True, 3, "usage_unchanged"),
    (True, -1, "usage_too_low"),
])
def test_usage_change_rejected(organization, admin_user, product, activate, activated, usage, code):
    if activated:
        activate(organization, product, 3, admin_user)
    events_before = event_count()

    with pytest.raises(LicensingError) as raised:
        set_usage(organization=organization, product=product, usage=usage, actor=admin_user)

    assert raised.value.code == code
    assert event_count() == events_before
