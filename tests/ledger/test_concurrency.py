"""Concurrent requests against real PostgreSQL transactions and row locks."""

import uuid

import pytest

from history.idempotency import run_once
from history.models import Event
from licensing.models import Subscription
from licensing.services import ActivationRequest, LicensingError, activate_products
from wallet.audit import find_violations
from wallet.models import LedgerEntry, LicenseKey, WalletBalance
from wallet.services import CorrectionError, RedeemError, correct_balance, redeem_key

from .conftest import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgresql_only"),
]


def redemption_events():
    return Event.objects.filter(action=Event.Action.KEY_REDEEMED)


def test_same_key_by_two_organizations_credits_once(
    organization, other_organization, admin_user, outsider, product, make_keys
):
    [key] = make_keys(product, 7)

    outcomes = run_at_once([
        lambda: redeem_key(organization=organization, key_text=key, actor=admin_user),
        lambda: redeem_key(organization=other_organization, key_text=key, actor=outsider),
    ])

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], RedeemError)
    assert errors[0].code == "unusable"
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REDEEMED).count() == 1
    assert sum(WalletBalance.objects.values_list("licenses", flat=True)) == 7
    assert redemption_events().count() == 1
    assert find_violations() == []


def test_same_key_in_two_tabs_credits_once(organization, admin_user, product, make_keys):
    [key] = make_keys(product, 4)

    outcomes = run_at_once([
        lambda: redeem_key(organization=organization, key_text=key, actor=admin_user),
        lambda: redeem_key(organization=organization, key_text=key.lower(), actor=admin_user),
    ])

    assert sum(isinstance(o, RedeemError) for o in outcomes) == 1
    assert WalletBalance.objects.get(organization=organization).licenses == 4
    assert redemption_events().count() == 1
    assert find_violations() == []


def test_fifty_keys_at_once_sum_exactly(organization, admin_user, product, make_keys):
    keys = make_keys(product, 3, count=50)

    outcomes = run_at_once([
        lambda key=key: redeem_key(organization=organization, key_text=key, actor=admin_user)
        for key in keys
    ])

    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert WalletBalance.objects.get(organization=organization).licenses == 150
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REDEEMED).count() == 50
    assert LicenseKey.objects.filter(redeemed_by=organization).count() == 50
    assert redemption_events().count() == 50
    assert find_violations() == []


def test_wallet_of_three_serves_three_of_five(organization, admin_user, product, make_keys):
    [key] = make_keys(product, 3)
    redeem_key(organization=organization, key_text=key, actor=admin_user)

    outcomes = run_at_once([
        lambda: correct_balance(
            organization=organization, product=product, change=-1,
            reason="license moved to a replacement device", actor=admin_user,
        )
        for _ in range(5)
    ])

    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert len(failures) == 2
    assert all(isinstance(f, CorrectionError) and f.code == "below_zero" for f in failures)
    assert WalletBalance.objects.get(organization=organization).licenses == 0
    assert Event.objects.filter(action=Event.Action.WALLET_CORRECTED).count() == 3
    assert find_violations() == []


def test_same_activation_ten_times_activates_once(organization, admin_user, product):
    token = uuid.uuid4()
    terms = product.current_terms()

    def finish():
        return run_once(
            token=token, organization=organization, user=admin_user, scope="activate",
            data={"products": [product.code], "usage": [5], "terms": [terms.pk]},
            operation=lambda: {"subscriptions": [
                s.pk for s in activate_products(
                    organization=organization,
                    requests=[ActivationRequest(product=product, usage=5, terms=terms)],
                    actor=admin_user,
                )
            ]},
        )

    outcomes = run_at_once([finish] * 10)

    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert sum(ran for _, ran in outcomes) == 1
    assert len({tuple(result["subscriptions"]) for result, _ in outcomes}) == 1
    assert Subscription.objects.count() == 1
    assert Event.objects.filter(action=Event.Action.ACTIVATED).count() == 1
    assert find_violations() == []


def test_ten_activations_with_own_tokens_activate_once(
    organization, admin_user, operator_user, product
):
    terms = product.current_terms()
    request = ActivationRequest(product=product, usage=2, terms=terms)

    outcomes = run_at_once([
        lambda actor=actor: activate_products(
            organization=organization, requests=[request], actor=actor
        )
        for actor in [admin_user, operator_user] * 5
    ])

    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert len(failures) == 9
    assert all(isinstance(f, LicensingError) and f.code == "already_activated" for f in failures)
    assert Subscription.objects.count() == 1
    assert Event.objects.filter(action=Event.Action.ACTIVATED).count() == 1
    assert find_violations() == []
