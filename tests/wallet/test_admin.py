import uuid
from http import HTTPStatus

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from history.models import Event
from wallet.issuing import issue_keys
from wallet.keys import generate_key, parse_key
from wallet.models import LedgerEntry, LicenseKey, WalletBalance
from wallet.services import redeem_key

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:wallet_licensekey_changelist"


# Own clients, so that a test can also use admin_client, which signs in the shared one.
@pytest.fixture
def ops_client(make_user):
    client = Client()
    user = make_user("ops@example.com")
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


@pytest.fixture
def viewing_staff_client(make_user):
    client = Client()
    user = make_user("support@example.com")
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_licensekey", "view_walletbalance", "view_ledgerentry"]
    ))
    client.force_login(user)
    return client


def key_of(text):
    return LicenseKey.objects.get(digest=parse_key(text).digest)


def listed_keys(response):
    return list(response.context["cl"].result_list)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# License keys ---------------------------------------------------------------


def test_key_list_shows_last_characters(ops_client, organization, admin_user, product, make_keys):
    first, second = make_keys(product, 5, count=2)
    redeem_key(organization=organization, key_text=first, actor=admin_user)

    response = ops_client.get(reverse(CHANGELIST))

    assert response.status_code == HTTPStatus.OK
    assert f"…{first[-4:]}" in response.text
    assert f"…{second[-4:]}" in response.text
    assert "Harbor Logistics" in response.text
    assert first not in response.text


@pytest.mark.parametrize("typed", [
    pytest.param(lambda key: key, id="as issued"),
    pytest.param(lambda key: key.lower().replace("-", " "), id="lower case with spaces"),
    pytest.param(lambda key: key.replace("-", "\n"), id="line breaks"),
])
def test_search_by_full_key_finds_it(ops_client, product, make_keys, typed):
    target, other = make_keys(product, 5, count=2)

    response = ops_client.get(reverse(CHANGELIST), {"q": typed(target)})

    assert listed_keys(response) == [key_of(target)]


def test_search_by_last_characters(ops_client, product, make_keys):
    target, other = make_keys(product, 5, count=2)

    response = ops_client.get(reverse(CHANGELIST), {"q": f"…{target[-4:].lower()}"})

    assert key_of(target) in listed_keys(response)
    assert (key_of(other) in listed_keys(response)) == (other[-4:] == target[-4:])


def test_search_by_order_reference(ops_client, product, make_keys):
    [target] = issue_keys(product=product, licenses=3, count=1, order_reference="PO-5521")
    make_keys(product, 3)

    response = ops_client.get(reverse(CHANGELIST), {"q": "PO-5521"})

    assert listed_keys(response) == [key_of(target)]


def test_search_by_unissued_key_finds_nothing(ops_client, product, make_keys):
    make_keys(product, 5, count=2)

    response = ops_client.get(reverse(CHANGELIST), {"q": generate_key()})

    assert listed_keys(response) == []


def test_search_with_typo_warns(ops_client, product, make_keys):
    [key] = make_keys(product, 5)
    typo = key[:-1] + ("0" if key[-1] != "0" else "1")

    response = ops_client.get(reverse(CHANGELIST), {"q": typo})

    assert listed_keys(response) == []
    assert any("contains a typo" in message for message in messages_of(response))


def revoke(client, keys):
    """Choose the action, then confirm it on the page that lists the keys."""
    return client.post(reverse(CHANGELIST), {
        "action": "revoke_selected",
        "_selected_action": [key.pk for key in keys],
        "confirmed": "yes",
    })


def test_revoke_asks_for_confirmation_first(ops_client, make_keys, product):
    [key] = make_keys(product, 3)
    stored = LicenseKey.objects.get()

    response = ops_client.post(reverse(CHANGELIST), {
        "action": "revoke_selected", "_selected_action": [stored.pk],
    })

    assert response.status_code == 200
    assert "Revoke license keys?" in response.content.decode()
    assert f"…{stored.last_characters}" in response.content.decode()
    stored.refresh_from_db()
    assert stored.revoked_at is None


def test_revoke_skips_redeemed_keys(ops_client, organization, admin_user, product, make_keys):
    redeemed, first, second = make_keys(product, 5, count=3)
    redeem_key(organization=organization, key_text=redeemed, actor=admin_user)

    response = revoke(ops_client, [key_of(redeemed), key_of(first), key_of(second)])

    assert response.status_code == HTTPStatus.FOUND
    assert key_of(redeemed).revoked_at is None
    assert key_of(first).revoked_at is not None
    assert key_of(second).revoked_at is not None
    assert messages_of(response) == [
        "Revoked 2 keys. 1 selected key was redeemed or revoked already and was left as it is."
    ]


def test_revoke_action_logs_each_key(ops_client, product, make_keys):
    keys = [key_of(text) for text in make_keys(product, 5, count=2)]

    revoke(ops_client, keys)

    logged = LogEntry.objects.filter(change_message="Revoked")
    assert sorted(int(entry.object_id) for entry in logged) == sorted(key.pk for key in keys)


def test_revoking_again_changes_nothing(ops_client, product, make_keys):
    [text] = make_keys(product, 5)
    revoke(ops_client, [key_of(text)])
    first_revoked_at = key_of(text).revoked_at

    response = revoke(ops_client, [key_of(text)])

    assert key_of(text).revoked_at == first_revoked_at
    assert messages_of(response)[-1] == (
        "Revoked 0 keys. 1 selected key was redeemed or revoked already and was left as it is."
    )


def test_revoked_key_cannot_be_redeemed(ops_client, admin_client, organization, product, make_keys):
    [text] = make_keys(product, 5)
    revoke(ops_client, [key_of(text)])

    response = admin_client.post(
        reverse("wallet:redeem", kwargs={"slug": organization.slug}),
        {"key": text, "submission_token": str(uuid.uuid4())},
    )

    assert response.context["form"].has_error("key", "unusable")


def test_viewing_staff_cannot_revoke(viewing_staff_client, product, make_keys):
    [text] = make_keys(product, 5)

    response = revoke(viewing_staff_client, [key_of(text)])

    assert key_of(text).revoked_at is None
    assert response.status_code == HTTPStatus.OK


def test_keys_are_read_only(ops_client, product, make_keys):
    [text] = make_keys(product, 5)
    key = key_of(text)

    add = ops_client.post(reverse("admin:wallet_licensekey_add"), {"licenses": "9"})
    change = ops_client.post(
        reverse("admin:wallet_licensekey_change", args=[key.pk]), {"licenses": "9"}
    )
    delete = ops_client.post(
        reverse("admin:wallet_licensekey_delete", args=[key.pk]), {"post": "yes"}
    )

    assert add.status_code == HTTPStatus.FORBIDDEN
    assert change.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert LicenseKey.objects.get().licenses == 5


def test_key_page_hides_digest(ops_client, product, make_keys):
    [text] = make_keys(product, 5)
    key = key_of(text)

    response = ops_client.get(reverse("admin:wallet_licensekey_change", args=[key.pk]))

    assert response.status_code == HTTPStatus.OK
    assert key.digest not in response.text
    assert '<input type="text"' not in response.text


# Issue keys -----------------------------------------------------------------


def test_changelist_links_to_issue_keys(ops_client):
    response = ops_client.get(reverse(CHANGELIST))

    assert reverse("admin:wallet_licensekey_issue") in response.text


def test_issue_view_shows_keys(ops_client, product):
    response = ops_client.post(reverse("admin:wallet_licensekey_issue"), {
        "product": product.pk, "licenses": "10", "count": "3", "order_reference": "PO-88",
    })

    assert response.status_code == HTTPStatus.OK
    texts = response.context["keys_text"].splitlines()
    assert len(texts) == 3
    for text in texts:
        assert text in response.text
        key = key_of(text)
        assert (key.licenses, key.order_reference, key.product) == (10, "PO-88", product)
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]


def test_issued_key_can_be_redeemed(ops_client, admin_user, organization, product):
    response = ops_client.post(reverse("admin:wallet_licensekey_issue"), {
        "product": product.pk, "licenses": "4", "count": "1", "order_reference": "",
    })
    [text] = response.context["keys_text"].splitlines()

    redemption = redeem_key(organization=organization, key_text=text, actor=admin_user)

    assert redemption.plan.licenses == 4


@pytest.mark.parametrize(("changes", "field"), [
    ({"licenses": "0"}, "licenses"),
    ({"count": "0"}, "count"),
    ({"count": "10001"}, "count"),
    ({"order_reference": "x" * 81}, "order_reference"),
    ({"product": ""}, "product"),
])
def test_issue_view_rejects_bad_input(ops_client, product, changes, field):
    data = {"product": product.pk, "licenses": "1", "count": "1", "order_reference": "", **changes}

    response = ops_client.post(reverse("admin:wallet_licensekey_issue"), data)

    assert response.status_code == HTTPStatus.OK
    assert field in response.context["form"].errors
    assert not LicenseKey.objects.exists()


def test_viewing_staff_cannot_issue_keys(viewing_staff_client, product):
    response = viewing_staff_client.post(reverse("admin:wallet_licensekey_issue"), {
        "product": product.pk, "licenses": "1", "count": "1",
    })

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not LicenseKey.objects.exists()


# Balances and the ledger ------------------------------------------------------


@pytest.mark.parametrize("model", ["walletbalance", "ledgerentry"])
def test_balances_and_ledger_are_listed(ops_client, organization, admin_user, product, make_keys, model):
    [text] = make_keys(product, 5)
    redeem_key(organization=organization, key_text=text, actor=admin_user)

    response = ops_client.get(reverse(f"admin:wallet_{model}_changelist"))

    assert response.status_code == HTTPStatus.OK
    assert "Harbor Logistics" in response.text


@pytest.mark.parametrize("model", [WalletBalance, LedgerEntry])
def test_balances_and_ledger_are_read_only(ops_client, organization, admin_user, product, make_keys, model):
    [text] = make_keys(product, 5)
    redeem_key(organization=organization, key_text=text, actor=admin_user)
    row = model.objects.get()
    name = model._meta.model_name

    add = ops_client.post(reverse(f"admin:wallet_{name}_add"), {})
    change = ops_client.post(reverse(f"admin:wallet_{name}_change", args=[row.pk]), {"licenses": "99"})
    delete = ops_client.post(reverse(f"admin:wallet_{name}_delete", args=[row.pk]), {"post": "yes"})

    assert add.status_code == HTTPStatus.FORBIDDEN
    assert change.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert WalletBalance.objects.get().licenses == 5
    assert LedgerEntry.objects.count() == 1


# Corrections ----------------------------------------------------------------


def correction(organization, product, change, reason="Support case 1182", token=None):
    return {
        "organization": organization.pk, "product": product.pk, "change": str(change),
        "reason": reason, "submission_token": str(token or uuid.uuid4()),
    }


def test_correction_goes_to_ledger_and_history(ops_client, organization, product):
    response = ops_client.post(
        reverse("admin:wallet_walletbalance_correct"), correction(organization, product, 3)
    )

    assert response.status_code == HTTPStatus.FOUND
    assert WalletBalance.objects.get().licenses == 3
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.change, entry.note) == ("correction", 3, "Support case 1182")
    assert Event.objects.get().action == Event.Action.WALLET_CORRECTED


def test_replayed_correction_applies_once(ops_client, organization, product):
    data = correction(organization, product, 3)

    ops_client.post(reverse("admin:wallet_walletbalance_correct"), data)
    ops_client.post(reverse("admin:wallet_walletbalance_correct"), data)

    assert WalletBalance.objects.get().licenses == 3
    assert LedgerEntry.objects.count() == 1


@pytest.mark.parametrize(("change", "reason", "code"), [
    (0, "Support case 1182", "zero"),
    (-1, "Support case 1182", "below_zero"),
    (2, "   ", "no_reason"),
])
def test_bad_correction_changes_nothing(ops_client, organization, product, change, reason, code):
    response = ops_client.post(
        reverse("admin:wallet_walletbalance_correct"), correction(organization, product, change, reason)
    )

    assert response.status_code == HTTPStatus.OK
    form = response.context["form"]
    assert form.has_error("reason" if code == "no_reason" else "change")
    assert not LedgerEntry.objects.exists()
    assert not Event.objects.exists()


def test_viewing_staff_cannot_correct(viewing_staff_client, organization, product):
    response = viewing_staff_client.post(
        reverse("admin:wallet_walletbalance_correct"), correction(organization, product, 3)
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not LedgerEntry.objects.exists()
