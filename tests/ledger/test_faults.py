"""A failure half way through an operation leaves nothing behind."""

import pytest

from history.models import Event
from licensing.models import SubscriptionPeriod
from licensing.services import ActivationRequest, activate_products
from wallet import services
from wallet.models import LedgerEntry, LicenseKey, WalletBalance
from wallet.services import redeem_key

pytestmark = pytest.mark.django_db


class InjectedFault(Exception):
    pass


def test_fault_after_credit_rolls_back_redemption(
    organization, admin_user, product, make_keys, monkeypatch
):
    activate_products(
        organization=organization,
        requests=[ActivationRequest(product=product, usage=4, terms=product.current_terms())],
        actor=admin_user,
    )
    events_before = Event.objects.count()
    [key] = make_keys(product, 6)

    def fail(**kwargs):
        # By now the key is marked redeemed and its credit is in the ledger.
        assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REDEEMED).exists()
        raise InjectedFault

    monkeypatch.setattr(services, "consume_shortfall", fail)
    with pytest.raises(InjectedFault):
        redeem_key(organization=organization, key_text=key, actor=admin_user)

    assert LicenseKey.objects.get().redeemed_at is None
    assert LicenseKey.objects.get().redeemed_by is None
    assert not LedgerEntry.objects.exists()
    assert WalletBalance.objects.get(organization=organization).licenses == 0
    assert SubscriptionPeriod.objects.get().licensed_units == 0
    assert Event.objects.count() == events_before


def test_fault_before_event_rolls_back_activation(organization, admin_user, product, monkeypatch):
    from licensing import services as licensing_services

    def fail(**kwargs):
        raise InjectedFault

    monkeypatch.setattr(licensing_services, "record_event", fail)
    with pytest.raises(InjectedFault):
        activate_products(
            organization=organization,
            requests=[ActivationRequest(product=product, usage=4, terms=product.current_terms())],
            actor=admin_user,
        )

    assert not SubscriptionPeriod.objects.exists()
    assert not organization.subscriptions.exists()
    assert not organization.terms_acceptances.exists()
