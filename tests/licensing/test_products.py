"""The Products page and a product's page, with Start trial and Change usage."""

import datetime
from http import HTTPStatus

import pytest
from django.urls import reverse

from licensing.models import Product, Subscription, Trial
from licensing.services import start_trial

from .conftest import START, event_count, messages_of, token

pytestmark = pytest.mark.django_db


def products_url(organization):
    return reverse("licensing:products", kwargs={"slug": organization.slug})


def product_url(organization, product, name="product"):
    return reverse(f"licensing:{name}", kwargs={"slug": organization.slug, "code": product.code})


@pytest.mark.parametrize("role", ["admin_user", "operator_user", "viewer_user"])
def test_members_see_products(member_client, organization, product, role):
    response = member_client(role).get(products_url(organization))

    assert response.status_code == HTTPStatus.OK
    assert f'<a href="{product_url(organization, product)}">Camera Recorder</a>' in response.text


def test_products_lists_only_available(member_client, organization, product, make_product):
    Product.objects.filter(pk=make_product("old-product").pk).update(is_available=False)

    response = member_client("viewer_user").get(products_url(organization))

    assert [product for product, _state in response.context["rows"]] == [product]


def test_products_shows_trial_length_and_status(
    member_client, organization, admin_user, product, make_product
):
    make_product("door-station", trial_days=14)
    start_trial(organization=organization, product=product, actor=admin_user)

    response = member_client("viewer_user").get(products_url(organization))

    assert "14 days" in response.text
    assert '<span class="status status-trial">Trial</span>' in response.text
    assert "Not tried" in response.text


@pytest.mark.parametrize("role", ["admin_user", "operator_user", "viewer_user"])
def test_members_see_product_page(member_client, organization, product, role):
    response = member_client(role).get(product_url(organization, product))

    assert response.status_code == HTTPStatus.OK
    assert "<h1>Camera Recorder</h1>" in response.text
    assert "What camera-recorder does." in response.text
    assert "<dd>device</dd>" in response.text
    assert "<dd>30 days</dd>" in response.text
    assert "Version 1.0" in response.text


def test_unknown_product_not_found(member_client, organization):
    response = member_client("admin_user").get(
        reverse("licensing:product", kwargs={"slug": organization.slug, "code": "no-such-product"})
    )

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_unavailable_product_not_found(member_client, organization, product):
    product.is_available = False
    product.save()

    response = member_client("admin_user").get(product_url(organization, product))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_unavailable_product_stays_visible_once_activated(
    member_client, organization, admin_user, product, activate
):
    activate(organization, product, 2, admin_user)
    product.is_available = False
    product.save()

    response = member_client("admin_user").get(product_url(organization, product))

    assert response.status_code == HTTPStatus.OK
    assert "it cannot be tried or activated any more" in response.text
    assert response.context["usage_form"] is not None


@pytest.mark.parametrize(("role", "shown"), [
    ("admin_user", True),
    ("operator_user", True),
    ("viewer_user", False),
])
def test_start_trial_button_by_role(member_client, organization, product, role, shown):
    response = member_client(role).get(product_url(organization, product))

    assert ("Start trial</button>" in response.text) == shown


def test_start_trial_button_hidden_after_trial(member_client, organization, admin_user, product):
    start_trial(organization=organization, product=product, actor=admin_user)

    response = member_client("admin_user").get(product_url(organization, product))

    assert response.context["trial_form"] is None
    assert "Activate before 3 Jan 2027, 09:00 CET to keep using it" in response.text


def test_usage_form_only_when_activated(member_client, organization, admin_user, product, activate):
    client = member_client("admin_user")
    before = client.get(product_url(organization, product))
    activate(organization, product, 2, admin_user)

    after = client.get(product_url(organization, product))

    assert before.context["usage_form"] is None
    assert after.context["usage_form"]["usage"].value() == 2
    assert "Change usage</button>" in after.text


def test_viewer_sees_usage_without_form(member_client, organization, admin_user, product, activate):
    activate(organization, product, 2, admin_user)

    response = member_client("viewer_user").get(product_url(organization, product))

    assert response.context["usage_form"] is None
    assert "Admins and operators of the organization" in response.text


# Start trial


def post_trial(client, organization, product, submission_token=None, *, follow=False):
    return client.post(
        product_url(organization, product, "start_trial"),
        {"submission_token": submission_token or token()},
        follow=follow,
    )


@pytest.mark.parametrize("role", ["admin_user", "operator_user"])
def test_start_trial(member_client, organization, product, role):
    response = post_trial(member_client(role), organization, product)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == product_url(organization, product)
    assert messages_of(response) == [
        "Started the 30-day trial of Camera Recorder. It ends on 3 Jan 2027, 09:00 CET."
    ]
    assert Trial.objects.filter(organization=organization, product=product).exists()
    assert event_count() == 1


def test_start_trial_replay_starts_once(member_client, organization, product):
    client = member_client("admin_user")
    submission_token = token()
    post_trial(client, organization, product, submission_token, follow=True)

    response = post_trial(client, organization, product, submission_token)

    assert messages_of(response) == [
        "Started the 30-day trial of Camera Recorder. It ends on 3 Jan 2027, 09:00 CET."
    ]
    assert Trial.objects.count() == 1
    assert event_count() == 1


def test_second_trial_rejected(member_client, organization, admin_user, product, clock):
    start_trial(organization=organization, product=product, actor=admin_user)
    clock.shift(datetime.timedelta(days=40))
    events_before = event_count()

    response = post_trial(member_client("admin_user"), organization, product)

    assert messages_of(response) == [
        (
            "This organization already used its trial of Camera Recorder: each organization "
            "gets one trial of each product. Activate Camera Recorder to keep using it."
        )
    ]
    assert Trial.objects.get().started_at == START
    assert event_count() == events_before


def test_trial_of_activated_product_rejected(
    member_client, organization, admin_user, product, activate
):
    activate(organization, product, 2, admin_user)
    events_before = event_count()

    response = post_trial(member_client("admin_user"), organization, product)

    assert messages_of(response) == [
        "Camera Recorder is activated already in this organization, so it needs no trial."
    ]
    assert not Trial.objects.exists()
    assert event_count() == events_before


def test_start_trial_without_token_rejected(member_client, organization, product):
    response = member_client("admin_user").post(product_url(organization, product, "start_trial"))

    assert messages_of(response) == [
        "This form is incomplete or out of date, so no trial started. Click Start trial again."
    ]
    assert not Trial.objects.exists()
    assert event_count() == 0


def test_trial_token_reuse_rejected(member_client, organization, product, make_product):
    client = member_client("admin_user")
    submission_token = token()
    post_trial(client, organization, make_product("door-station"), submission_token, follow=True)

    response = post_trial(client, organization, product, submission_token)

    assert "This form was already used for another request" in messages_of(response)[0]
    assert not Trial.objects.filter(product=product).exists()
    assert event_count() == 1


def test_trial_unknown_product_not_found(member_client, organization):
    response = member_client("admin_user").post(
        reverse("licensing:start_trial", kwargs={"slug": organization.slug, "code": "no-such"}),
        {"submission_token": token()},
    )

    assert response.status_code == HTTPStatus.NOT_FOUND


# Change usage


def post_usage(client, organization, product, usage, submission_token=None, *, follow=False):
    return client.post(
        product_url(organization, product, "change_usage"),
        {"usage": usage, "submission_token": submission_token or token()},
        follow=follow,
    )


@pytest.fixture
def activated(organization, admin_user, product, activate):
    """``product`` activated with a usage of 3 and no licenses: in its grace period."""
    return activate(organization, product, 3, admin_user)


@pytest.fixture
def licensed(organization, admin_user, product, activate, fill_wallet):
    """``product`` activated with a usage of 3 and licensed, with 2 licenses left in the Wallet."""
    fill_wallet(organization, product, 5, admin_user)
    return activate(organization, product, 3, admin_user)


def test_usage_growth_consumes_from_wallet(member_client, organization, product, licensed):
    response = post_usage(member_client("operator_user"), organization, product, 5)

    assert response.status_code == HTTPStatus.FOUND
    assert messages_of(response) == [
        (
            "The usage of Camera Recorder is now 5 devices, up from 3. 2 licenses were "
            "consumed from the Wallet, so Camera Recorder is licensed."
        )
    ]
    licensed.refresh_from_db()
    assert licensed.usage == 5


def test_usage_growth_past_wallet_starts_grace(
    member_client, organization, product, licensed, clock
):
    clock.shift(datetime.timedelta(days=1))

    response = post_usage(member_client("admin_user"), organization, product, 6)

    assert messages_of(response) == [
        (
            "The usage of Camera Recorder is now 6 devices, up from 3. The Wallet cannot "
            "cover the new usage, so a 30-day grace period started. Redeem 1 more license "
            "before it ends on 4 Jan 2027, 09:00 CET."
        )
    ]


def test_usage_growth_in_grace(member_client, organization, product, activated, clock):
    clock.shift(datetime.timedelta(days=1))

    response = post_usage(member_client("admin_user"), organization, product, 4)

    assert messages_of(response) == [
        (
            "The usage of Camera Recorder is now 4 devices, up from 3. Redeem 4 more "
            "licenses of Camera Recorder by 3 Jan 2027, 09:00 CET, when its grace period ends."
        )
    ]


def test_usage_growth_when_unlicensed(member_client, organization, product, activated, clock):
    clock.shift(datetime.timedelta(days=31))

    response = post_usage(member_client("admin_user"), organization, product, 4)

    assert messages_of(response) == [
        (
            "The usage of Camera Recorder is now 4 devices, up from 3. Camera Recorder stays "
            "unlicensed until 4 more licenses of it are redeemed."
        )
    ]


def test_lower_usage_needs_nothing(member_client, organization, product, licensed):
    response = post_usage(member_client("admin_user"), organization, product, 1)

    assert messages_of(response) == [
        (
            "The usage of Camera Recorder is now 1 device, down from 3. Nothing else to do: "
            "lower usage refunds no consumed licenses."
        )
    ]


def test_usage_growth_within_licensed_units(
    member_client, organization, admin_user, product, licensed
):
    client = member_client("admin_user")
    post_usage(client, organization, product, 1, follow=True)

    response = post_usage(client, organization, product, 2)

    assert messages_of(response) == [
        (
            "The usage of Camera Recorder is now 2 devices, up from 1. Nothing else to do: "
            "the 3 licensed units cover it."
        )
    ]


def test_usage_replay_changes_once(member_client, organization, product, licensed):
    client = member_client("admin_user")
    submission_token = token()
    first = post_usage(client, organization, product, 5, submission_token, follow=True)
    events_after_first = event_count()

    replay = post_usage(client, organization, product, 5, submission_token, follow=True)

    first_messages = [str(message) for message in first.context["messages"]]
    assert [str(message) for message in replay.context["messages"]] == first_messages
    assert "2 licenses were consumed from the Wallet" in replay.text
    assert event_count() == events_after_first


def test_usage_token_of_other_request_rejected(member_client, organization, product, licensed):
    client = member_client("admin_user")
    submission_token = token()
    post_usage(client, organization, product, 5, submission_token, follow=True)
    events_before = event_count()

    response = post_usage(client, organization, product, 6, submission_token)

    assert "This form was already used to set another usage" in response.text
    assert response.context["usage_form"]["submission_token"].value() != submission_token
    licensed.refresh_from_db()
    assert licensed.usage == 5
    assert event_count() == events_before


def test_unchanged_usage_rejected(member_client, organization, product, licensed):
    events_before = event_count()

    response = post_usage(member_client("admin_user"), organization, product, 3)

    assert response.status_code == HTTPStatus.OK
    assert response.context["usage_form"].has_error("usage", "usage_unchanged")
    assert (
        "The usage of Camera Recorder is 3 already. Enter the new number of units in use."
        in response.text
    )
    assert event_count() == events_before


def test_usage_of_product_not_activated_rejected(member_client, organization, product):
    response = post_usage(member_client("admin_user"), organization, product, 3)

    assert response.status_code == HTTPStatus.FOUND
    assert messages_of(response) == [
        (
            "Camera Recorder is not activated in this organization, so it has no usage to "
            "change. Activate it first."
        )
    ]
    assert not Subscription.objects.exists()
    assert event_count() == 0


@pytest.mark.parametrize(("usage", "code", "message"), [
    ("", "required", "Enter the number of units in use as a whole number, such as 12."),
    ("many", "invalid", "Enter the number of units in use as a whole number, such as 12."),
    ("2.5", "invalid", "Enter the number of units in use as a whole number, such as 12."),
    ("-1", "min_value", "The usage cannot be negative. Enter 0 if no units are in use."),
    ("1000001", "max_value", "Enter a usage of at most 1000000 units."),
    pytest.param(
        "9" * 5000, "invalid",
        "Enter the number of units in use as a whole number, such as 12.",
        id="5000 nines",
    ),
])
def test_invalid_usage_rejected(
    member_client, organization, product, licensed, usage, code, message
):
    events_before = event_count()

    response = post_usage(member_client("admin_user"), organization, product, usage)

    assert response.context["usage_form"].has_error("usage", code)
    assert message in response.text
    licensed.refresh_from_db()
    assert licensed.usage == 3
    assert event_count() == events_before


def test_usage_without_token_rejected(member_client, organization, product, licensed):
    response = member_client("admin_user").post(
        product_url(organization, product, "change_usage"), {"usage": "5"}
    )

    assert "This form is incomplete or out of date, so the usage did not change." in response.text
    assert response.context["usage_form"]["submission_token"].value()
    licensed.refresh_from_db()
    assert licensed.usage == 3
