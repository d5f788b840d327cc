import pytest

from history.models import Event
from licensing.models import Subscription
from licensing.services import ActivationRequest, activate_products, set_usage
from licensing.status import Status, product_states
from wallet.issuing import MAX_KEYS_PER_BATCH, issue_keys, revoke_keys
from wallet.keys import parse_key
from wallet.models import LedgerEntry, LicenseKey, WalletBalance
from wallet.services import RedeemError, plan_redemption, redeem_key

pytestmark = pytest.mark.django_db


def activate(organization, product, usage, actor):
    return activate_products(
        organization=organization,
        requests=[ActivationRequest(product=product, usage=usage, terms=product.current_terms())],
        actor=actor,
    )[0]


def balance_of(organization, product):
    return WalletBalance.objects.get(organization=organization, product=product).licenses


def test_redeem_closes_shortfall_and_stores_rest(organization, admin_user, product, make_keys):
    activate(organization, product, 8, admin_user)
    [key] = make_keys(product, 10)

    redemption = redeem_key(organization=organization, key_text=key, actor=admin_user)

    assert redemption.plan.consume == 8
    assert redemption.plan.store == 2
    assert balance_of(organization, product) == 2
    [state] = product_states(organization, redemption.event.occurred_at)
    assert state.status == Status.LICENSED


def test_partial_cover_consumes_nothing(organization, admin_user, product, make_keys):
    activate(organization, product, 8, admin_user)
    [key] = make_keys(product, 5)

    plan = plan_redemption(organization=organization, key_text=key)
    redemption = redeem_key(organization=organization, key_text=key, actor=admin_user)

    assert plan.consume == 0
    assert plan.still_needed == 8
    assert redemption.plan.store == 5
    assert balance_of(organization, product) == 5
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CONSUMED).exists()


def test_redeeming_twice_credits_once(organization, other_organization, admin_user, product, make_keys):
    [key] = make_keys(product, 3)
    redeem_key(organization=organization, key_text=key, actor=admin_user)

    for target in (organization, other_organization):
        with pytest.raises(RedeemError) as error:
            redeem_key(organization=target, key_text=key, actor=admin_user)
        assert error.value.code == "unusable"

    assert balance_of(organization, product) == 3
    assert Event.objects.filter(action=Event.Action.KEY_REDEEMED).count() == 1


def test_activation_with_enough_in_wallet_licenses_at_once(organization, admin_user, product, make_keys):
    [key] = make_keys(product, 10)
    redeem_key(organization=organization, key_text=key, actor=admin_user)

    subscription = activate(organization, product, 6, admin_user)

    period = subscription.periods.get()
    assert period.licensed_units == 6
    assert period.grace_ends_at is None
    assert balance_of(organization, product) == 4


def test_usage_growth_starts_grace_then_key_covers(organization, admin_user, product, make_keys):
    [key] = make_keys(product, 4)
    redeem_key(organization=organization, key_text=key, actor=admin_user)
    activate(organization, product, 4, admin_user)

    set_usage(organization=organization, product=product, usage=7, actor=admin_user)
    subscription = Subscription.objects.get()
    period = subscription.periods.get()
    assert period.licensed_units == 4
    assert period.grace_ends_at is not None

    [key] = make_keys(product, 3)
    redeem_key(organization=organization, key_text=key, actor=admin_user)
    period.refresh_from_db()
    assert period.licensed_units == 7
    assert balance_of(organization, product) == 0


def test_cover_with_wallet_stores_none_of_key(organization, admin_user, product, make_keys):
    first, second = make_keys(product, 5, count=2)
    redeem_key(organization=organization, key_text=first, actor=admin_user)
    activate(organization, product, 8, admin_user)

    redemption = redeem_key(organization=organization, key_text=second, actor=admin_user)

    assert redemption.plan.consume == 8
    assert redemption.plan.store == 0
    assert redemption.plan.from_wallet == 3
    assert redemption.plan.wallet_after == 2
    assert redemption.event.details["stored"] == 0
    assert balance_of(organization, product) == 2


@pytest.mark.parametrize(("activated", "expected"), [(True, True), (False, False)])
def test_plan_tells_whether_product_is_activated(
    organization, admin_user, product, make_keys, activated, expected
):
    first, second = make_keys(product, 4, count=2)
    redeem_key(organization=organization, key_text=first, actor=admin_user)
    if activated:
        activate(organization, product, 4, admin_user)

    plan = plan_redemption(organization=organization, key_text=second)

    assert plan.activated is expected
    assert plan.consume == 0
    assert plan.store == 4


def test_issuing_rejects_oversized_batch(product):
    with pytest.raises(ValueError, match="at most 10000 keys"):
        issue_keys(product=product, licenses=1, count=MAX_KEYS_PER_BATCH + 1)

    assert not LicenseKey.objects.exists()


def test_revoking_skips_redeemed_keys(organization, admin_user, product, make_keys):
    redeemed, unused, revoked = make_keys(product, 2, count=3)
    redeem_key(organization=organization, key_text=redeemed, actor=admin_user)
    revoke_keys(key_ids=[key_of(revoked).pk])

    newly_revoked = revoke_keys(key_ids=LicenseKey.objects.values_list("pk", flat=True))

    assert [key.pk for key in newly_revoked] == [key_of(unused).pk]
    assert key_of(redeemed).revoked_at is None
    with pytest.raises(RedeemError):
        redeem_key(organization=organization, key_text=unused, actor=admin_user)


def key_of(text):
    return LicenseKey.objects.get(digest=parse_key(text).digest)
