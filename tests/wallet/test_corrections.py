import pytest

from history.models import Event
from licensing.services import ActivationRequest, activate_products
from licensing.status import Status, product_states
from wallet.audit import find_violations
from wallet.services import CorrectionError, correct_balance

pytestmark = pytest.mark.django_db


def test_added_licenses_close_the_shortfall(organization, admin_user, product):
    activate_products(
        organization=organization,
        requests=[ActivationRequest(product=product, usage=5, terms=product.current_terms())],
        actor=admin_user,
    )

    correct_balance(organization=organization, product=product, change=7,
                    reason="licenses lost in an outage", actor=admin_user)

    [state] = product_states(organization, Event.objects.latest("occurred_at").occurred_at)
    assert state.status == Status.LICENSED
    assert state.wallet == 2
    assert Event.objects.get(action=Event.Action.WALLET_CORRECTED).details["consumed"] == 5
    assert find_violations() == []


@pytest.mark.parametrize("change", [100_001, -100_001, 99_999_999_999])
def test_oversized_correction_is_rejected(organization, admin_user, product, change):
    with pytest.raises(CorrectionError) as raised:
        correct_balance(organization=organization, product=product, change=change,
                        reason="typo", actor=admin_user)

    assert raised.value.code == "too_large"
    assert not Event.objects.filter(action=Event.Action.WALLET_CORRECTED).exists()
