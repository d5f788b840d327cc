import datetime
import uuid
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from history.models import Event, Submission
from licensemgr.formatting import format_instant
from licensing.models import SubscriptionPeriod
from wallet.forms import RedeemForm
from wallet.keys import generate_key, parse_key
from wallet.models import LedgerEntry, LicenseKey, WalletBalance
from wallet.services import redeem_key

from .conftest import redeem_data

pytestmark = pytest.mark.django_db

MESSAGES = RedeemForm.error_messages
UNUSABLE = (
    "This license key cannot be redeemed: it is not valid or has already been used. "
    "Contact the seller who gave you the key."
)


def preview_url(organization):
    return reverse("wallet:redeem", kwargs={"slug": organization.slug})


def confirm_url(organization):
    return reverse("wallet:redeem_confirm", kwargs={"slug": organization.slug})


def wallet_url(organization):
    return reverse("wallet:wallet", kwargs={"slug": organization.slug})


def snapshot():
    """Everything a redemption could change."""
    return {
        "events": Event.objects.count(),
        "ledger": LedgerEntry.objects.count(),
        "balances": list(WalletBalance.objects.values_list("licenses", flat=True)),
        "redeemed": LicenseKey.objects.filter(redeemed_at__isnull=False).count(),
        "submissions": Submission.objects.count(),
    }


def key_errors(response):
    return response.context["form"].errors.get("key", [])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def outcome_text(response):
    start = response.text.index('data-testid="redeem-outcome"')
    return " ".join(response.text[start : response.text.index("</p>", start)].split())


def confirm(client, organization, response):
    """Submit the confirmation form of a preview page, as the browser would."""
    return client.post(confirm_url(organization), response.context["form"].initial)


# Access by role -------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [
    ("admin_user", HTTPStatus.OK),
    ("operator_user", HTTPStatus.OK),
    ("viewer_user", HTTPStatus.FORBIDDEN),
    ("outsider", HTTPStatus.NOT_FOUND),
])
def test_preview_by_role(member_client, organization, product, make_keys, role, status):
    [key] = make_keys(product, 5)

    response = member_client(role).post(preview_url(organization), redeem_data(key))

    assert response.status_code == status


@pytest.mark.parametrize(("role", "status"), [
    ("admin_user", HTTPStatus.FOUND),
    ("operator_user", HTTPStatus.FOUND),
    ("viewer_user", HTTPStatus.FORBIDDEN),
    ("outsider", HTTPStatus.NOT_FOUND),
])
def test_confirm_by_role(member_client, organization, product, make_keys, role, status):
    [key] = make_keys(product, 5)

    response = member_client(role).post(confirm_url(organization), redeem_data(key))

    assert response.status_code == status
    assert LicenseKey.objects.filter(redeemed_at__isnull=False).exists() == (status == HTTPStatus.FOUND)


@pytest.mark.parametrize("url", [preview_url, confirm_url])
def test_redeem_steps_reject_get(admin_client, organization, url):
    response = admin_client.get(url(organization))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# Errors ---------------------------------------------------------------------


TEMPLATE_KEY = generate_key()
TYPO_KEY = TEMPLATE_KEY[:-1] + ("0" if TEMPLATE_KEY[-1] != "0" else "1")


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("", "Enter a license key.", id="empty"),
    pytest.param(" - \n - ", "Enter a license key.", id="only dashes and spaces"),
    pytest.param("ABCDE-12345", (
        "This is not a license key: a key has 25 letters and digits, like "
        "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX. Check what you copied."
    ), id="too short"),
    pytest.param("x" * 500, MESSAGES["malformed"], id="far too long"),
    pytest.param(TEMPLATE_KEY + "-U", MESSAGES["malformed"], id="extra character"),
    pytest.param(TYPO_KEY, (
        "This key contains a typo. Compare it character by character with the key you received."
    ), id="typo"),
])
def test_preview_error_is_shown_next_to_key(admin_client, organization, product, text, message):
    before = snapshot()

    response = admin_client.post(preview_url(organization), redeem_data(text))

    assert response.status_code == HTTPStatus.OK
    assert key_errors(response) == [message]
    assert f'<ul class="errorlist" id="id_key_error">\n      <li>{message}</li>' in response.text
    assert "Wallet of Harbor Logistics" in response.text
    assert snapshot() == before


def test_error_keeps_entered_text_and_token(admin_client, organization):
    token = uuid.uuid4()

    response = admin_client.post(preview_url(organization), redeem_data("ABCDE", token))

    assert ">\nABCDE</textarea>" in response.text
    assert f'value="{token}"' in response.text


def usable_then(state, *, organization, other_organization, admin_user, outsider, product, make_keys):
    """Return the text of a key in ``state``, every one of which cannot be redeemed."""
    if state == "unknown":
        return generate_key()
    [key] = make_keys(product, 5)
    if state == "revoked":
        LicenseKey.objects.update(revoked_at=timezone.now())
    elif state == "redeemed here":
        redeem_key(organization=organization, key_text=key, actor=admin_user)
    elif state == "redeemed elsewhere":
        redeem_key(organization=other_organization, key_text=key, actor=outsider)
    elif state == "product unavailable":
        product.is_available = False
        product.save()
    return key


UNUSABLE_STATES = ["unknown", "revoked", "redeemed here", "redeemed elsewhere", "product unavailable"]


@pytest.mark.parametrize("state", UNUSABLE_STATES)
@pytest.mark.parametrize("step", ["preview", "confirm"])
def test_unusable_keys_get_one_message(
    admin_client, organization, other_organization, admin_user, outsider, product, make_keys, state, step
):
    key = usable_then(state, organization=organization, other_organization=other_organization,
                      admin_user=admin_user, outsider=outsider, product=product, make_keys=make_keys)
    before = snapshot()
    url = preview_url(organization) if step == "preview" else confirm_url(organization)

    response = admin_client.post(url, redeem_data(key))

    assert response.status_code == HTTPStatus.OK
    assert key_errors(response) == [UNUSABLE]
    assert snapshot() == before


def test_unusable_pages_do_not_differ(
    admin_client, organization, other_organization, admin_user, outsider, product, make_keys
):
    token = uuid.uuid4()
    pages = set()
    for state in UNUSABLE_STATES:
        key = usable_then(state, organization=organization, other_organization=other_organization,
                          admin_user=admin_user, outsider=outsider, product=product, make_keys=make_keys)
        response = admin_client.post(preview_url(organization), redeem_data(key, token))
        field = response.text[response.text.index('<div class="field'):]
        pages.add(field.split("</div>")[0].replace(key, "KEY"))

    assert len(pages) == 1


@pytest.mark.parametrize("text", ["", "ABCDE", TYPO_KEY])
def test_confirm_with_bad_key_changes_nothing(admin_client, organization, text):
    before = snapshot()

    response = admin_client.post(confirm_url(organization), redeem_data(text))

    assert response.status_code == HTTPStatus.OK
    assert len(key_errors(response)) == 1
    assert snapshot() == before


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_missing_token_asks_to_try_again(admin_client, organization, product, make_keys, token):
    [key] = make_keys(product, 5)
    before = snapshot()

    response = admin_client.post(confirm_url(organization), {"key": key, "submission_token": token})

    assert response.status_code == HTTPStatus.OK
    assert str(MESSAGES["expired"]) in response.text
    assert snapshot() == before


def test_many_failures_are_throttled(admin_client, organization, product, make_keys):
    for _ in range(10):
        admin_client.post(preview_url(organization), redeem_data(generate_key()))
    [key] = make_keys(product, 5)

    response = admin_client.post(preview_url(organization), redeem_data(key))

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert key_errors(response) == [MESSAGES["throttled"]]


# Preview --------------------------------------------------------------------


def test_preview_changes_nothing(admin_client, organization, product, make_keys):
    [key] = make_keys(product, 5)
    before = snapshot()

    response = admin_client.post(preview_url(organization), redeem_data(key))

    assert "into the Wallet of <strong>Harbor Logistics</strong>" in response.text
    assert "check that Harbor Logistics is the correct organization" in response.text
    assert f"…{key[-4:]}" in response.text
    assert snapshot() == before


def test_preview_carries_key_and_token_to_confirm(admin_client, organization, product, make_keys):
    [key] = make_keys(product, 5)
    token = uuid.uuid4()

    response = admin_client.post(preview_url(organization), redeem_data(key.lower().replace("-", " "), token))

    assert f'<input type="hidden" name="key" value="{key}"' in response.text
    assert f'<input type="hidden" name="submission_token" value="{token}"' in response.text
    assert f'action="{confirm_url(organization)}"' in response.text
    assert f'<a href="{wallet_url(organization)}">Cancel</a>' in response.text


def test_preview_of_full_cover(admin_client, organization, admin_user, product, make_keys, activate):
    activate(organization, product, 8, admin_user)
    [key] = make_keys(product, 10)

    response = admin_client.post(preview_url(organization), redeem_data(key))

    assert outcome_text(response).endswith(
        "10 licenses of Camera Recorder: Camera Recorder becomes licensed now with 8 of them, "
        "and your Wallet keeps the other 2. "
        "Afterwards your Wallet holds 2 licenses of Camera Recorder."
    )


def test_preview_of_exact_cover(admin_client, organization, admin_user, product, make_keys, activate):
    activate(organization, product, 8, admin_user)
    [key] = make_keys(product, 8)

    response = admin_client.post(preview_url(organization), redeem_data(key))

    text = outcome_text(response)
    assert "8 licenses of Camera Recorder: Camera Recorder becomes licensed now with all of them." in text
    assert "Afterwards your Wallet holds 0 licenses of Camera Recorder." in text


def test_preview_of_cover_with_wallet(admin_client, organization, admin_user, product, make_keys, activate):
    first, second = make_keys(product, 5, count=2)
    redeem_key(organization=organization, key_text=first, actor=admin_user)
    activate(organization, product, 8, admin_user)

    response = admin_client.post(preview_url(organization), redeem_data(second))

    text = outcome_text(response)
    assert (
        "5 licenses of Camera Recorder: Camera Recorder becomes licensed now with all of them "
        "and 3 more from your Wallet."
    ) in text
    assert "Afterwards your Wallet holds 2 licenses of Camera Recorder." in text


def test_confirm_of_cover_with_wallet(admin_client, organization, admin_user, product, make_keys, activate):
    first, second = make_keys(product, 5, count=2)
    redeem_key(organization=organization, key_text=first, actor=admin_user)
    activate(organization, product, 8, admin_user)

    response = admin_client.post(confirm_url(organization), redeem_data(second))

    assert messages_of(response) == [
        f"Redeemed license key …{second[-4:]} with 5 licenses of Camera Recorder. "
        "8 licenses were consumed: Camera Recorder is licensed now. "
        "Your Wallet now holds 2 licenses of Camera Recorder."
    ]


def test_preview_of_partial_cover(admin_client, organization, admin_user, product, make_keys, activate):
    subscription = activate(organization, product, 8, admin_user)
    [key] = make_keys(product, 5)
    grace_end = subscription.periods.get().grace_ends_at
    with timezone.override(organization.tzinfo):
        end = format_instant(grace_end)

    response = admin_client.post(preview_url(organization), redeem_data(key))

    text = outcome_text(response)
    assert "5 licenses of Camera Recorder go to your Wallet." in text
    assert "Camera Recorder needs 8 more licenses to be licensed: redeem at least 3 more before" in text
    assert f">{end}</time>." in text
    assert "none are consumed now" in text


def test_preview_counts_wallet_licenses(
    admin_client, organization, admin_user, product, make_keys, activate
):
    first, second = make_keys(product, 2, count=2)
    redeem_key(organization=organization, key_text=first, actor=admin_user)
    activate(organization, product, 8, admin_user)

    response = admin_client.post(preview_url(organization), redeem_data(second))

    assert "needs 8 more licenses to be licensed: redeem at least 4 more" in outcome_text(response)


def test_preview_after_grace_end_gives_no_deadline(
    admin_client, organization, admin_user, product, make_keys, activate
):
    activate(organization, product, 8, admin_user)
    [key] = make_keys(product, 5)

    with time_machine.travel(timezone.now() + datetime.timedelta(days=40)):
        admin_client.force_login(admin_user)
        response = admin_client.post(preview_url(organization), redeem_data(key))

    assert "redeem at least 3 more to license it." in outcome_text(response)


def test_preview_before_activation(admin_client, organization, product, make_keys):
    [key] = make_keys(product, 5)

    response = admin_client.post(preview_url(organization), redeem_data(key))

    text = outcome_text(response)
    assert "5 licenses of Camera Recorder go to your Wallet." in text
    assert "Camera Recorder is not activated: the licenses wait in the Wallet until you activate it." in text


def test_preview_when_licensed_already(admin_client, organization, admin_user, product, make_keys, activate):
    first, second = make_keys(product, 4, count=2)
    activate(organization, product, 4, admin_user)
    redeem_key(organization=organization, key_text=first, actor=admin_user)

    response = admin_client.post(preview_url(organization), redeem_data(second))

    assert "is licensed already: the licenses wait in the Wallet" in outcome_text(response)


# Confirm --------------------------------------------------------------------


def test_confirm_redeems_and_reports(admin_client, organization, admin_user, product, make_keys, activate):
    activate(organization, product, 8, admin_user)
    [key] = make_keys(product, 10)
    preview = admin_client.post(preview_url(organization), redeem_data(key))

    response = confirm(admin_client, organization, preview)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == wallet_url(organization)
    assert messages_of(response) == [
        f"Redeemed license key …{key[-4:]} with 10 licenses of Camera Recorder. "
        "8 licenses were consumed: Camera Recorder is licensed now. "
        "2 licenses went to your Wallet. "
        "Your Wallet now holds 2 licenses of Camera Recorder."
    ]
    assert WalletBalance.objects.get().licenses == 2
    assert SubscriptionPeriod.objects.get().licensed_units == 8
    event = Event.objects.get(action=Event.Action.KEY_REDEEMED)
    assert event.actor == admin_user


def test_confirm_of_partial_cover(
    admin_client, organization, admin_user, product, make_keys, activate
):
    subscription = activate(organization, product, 8, admin_user)
    [key] = make_keys(product, 5)
    with timezone.override(organization.tzinfo):
        end = format_instant(subscription.periods.get().grace_ends_at)
    preview = admin_client.post(preview_url(organization), redeem_data(key))

    response = confirm(admin_client, organization, preview)

    assert messages_of(response) == [
        f"Redeemed license key …{key[-4:]} with 5 licenses of Camera Recorder. "
        "5 licenses went to your Wallet. "
        "Your Wallet now holds 5 licenses of Camera Recorder. "
        f"Camera Recorder needs 8 more licenses to be licensed: redeem at least 3 more before {end}."
    ]
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CONSUMED).exists()


def test_success_message_is_shown_on_wallet(admin_client, organization, product, make_keys):
    [key] = make_keys(product, 1)
    preview = admin_client.post(preview_url(organization), redeem_data(key))

    response = admin_client.post(confirm_url(organization), preview.context["form"].initial, follow=True)

    assert "1 license of Camera Recorder." in response.text
    assert "1 license went to your Wallet." in response.text


def test_replayed_confirm_shows_same_result_once(admin_client, organization, admin_user, product, make_keys, activate):
    activate(organization, product, 8, admin_user)
    [key] = make_keys(product, 10)
    preview = admin_client.post(preview_url(organization), redeem_data(key))
    first = confirm(admin_client, organization, preview)
    first_messages = messages_of(first)
    admin_client.get(wallet_url(organization))
    after_first = snapshot()

    second = confirm(admin_client, organization, preview)

    assert second.status_code == HTTPStatus.FOUND
    assert messages_of(second) == first_messages
    assert snapshot() == after_first
    assert Event.objects.filter(action=Event.Action.KEY_REDEEMED).count() == 1


def test_stale_confirm_with_new_token_is_rejected(admin_client, organization, product, make_keys):
    [key] = make_keys(product, 5)
    admin_client.post(confirm_url(organization), redeem_data(key))
    before = snapshot()

    response = admin_client.post(confirm_url(organization), redeem_data(key))

    assert response.status_code == HTTPStatus.OK
    assert key_errors(response) == [UNUSABLE]
    assert snapshot() == before


def test_token_used_for_another_key_is_rejected(admin_client, organization, product, make_keys):
    first, second = make_keys(product, 5, count=2)
    token = uuid.uuid4()
    admin_client.post(confirm_url(organization), redeem_data(first, token))
    before = snapshot()

    response = admin_client.post(confirm_url(organization), redeem_data(second, token))

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].non_field_errors() == [MESSAGES["token_reused"]]
    assert snapshot() == before
    assert not LicenseKey.objects.get(digest=parse_key(second).digest).redeemed_at


def test_rejected_token_form_offers_new_token(admin_client, organization, product, make_keys):
    first, second = make_keys(product, 5, count=2)
    token = uuid.uuid4()
    admin_client.post(confirm_url(organization), redeem_data(first, token))

    response = admin_client.post(confirm_url(organization), redeem_data(second, token))
    form = response.context["form"]
    retry = admin_client.post(preview_url(organization), form.data)

    assert str(form.data["submission_token"]) != str(token)
    assert retry.status_code == HTTPStatus.OK
    assert "wallet/redeem_preview.html" in [template.name for template in retry.templates]
