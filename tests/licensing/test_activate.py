"""The Activate steps: select software and usage, accept terms, review, Finish."""

import datetime
from http import HTTPStatus

import pytest
from django.urls import reverse

from history.models import Event
from licensing.models import Product, Subscription, Terms, TermsAcceptance, Trial
from licensing.services import start_trial

from .conftest import START, event_count, messages_of, token

pytestmark = pytest.mark.django_db

def url(organization, name):
    return reverse(f"licensing:{name}", kwargs={"slug": organization.slug})


def selection(usages: dict, submission_token: str | None = None) -> dict:
    """Return the first step's data: each product with its usage."""
    data = {
        "products": [product.code for product in usages],
        "submission_token": submission_token or token(),
    }
    data.update({f"usage_{product.code}": str(usage) for product, usage in usages.items()})
    return data


def accepted(data: dict, *products, accept: bool = True) -> dict:
    """Add the terms step's data: the current terms of each product, accepted."""
    data = dict(data)
    for product in products:
        data[f"terms_{product.code}"] = str(product.current_terms().pk)
        if accept:
            data[f"accept_{product.code}"] = "on"
    return data


def publish_terms(product, version="2.0") -> Terms:
    return Terms.objects.create(
        product=product, version=version, text=f"Terms of {product.code}, version {version}.",
        published_at=product.current_terms().published_at + datetime.timedelta(hours=1),
    )


@pytest.fixture
def admin(member_client):
    return member_client("admin_user")


@pytest.fixture
def door(make_product):
    return make_product("door-station")


# Step 1: select the software and state the usage


def test_select_lists_only_activatable_products(
    admin, organization, admin_user, product, door, make_product, activate
):
    activate(organization, door, 1, admin_user)
    Product.objects.filter(pk=make_product("old-product").pk).update(is_available=False)
    Product.objects.create(code="no-terms", name="No Terms", unit="device", unit_plural="devices")

    response = admin.get(url(organization, "activate"))

    assert [row.product for row in response.context["form"].rows()] == [product]


def test_select_marks_first_step(admin, organization, product):
    response = admin.get(url(organization, "activate"))

    assert '<li aria-current="step">1. Select software</li>' in response.text
    assert 'name="products" value="camera-recorder"' in response.text
    assert (
        '<label for="id_usage_camera-recorder">Units of Camera Recorder in use</label>'
        in response.text
    )


def test_select_when_all_activated(admin, organization, admin_user, product, activate):
    activate(organization, product, 1, admin_user)

    response = admin.get(url(organization, "activate"))

    assert "All available software is activated in this organization already." in response.text


def test_nothing_selected_rejected(admin, organization, product):
    response = admin.post(url(organization, "activate_terms"), {"submission_token": token()})

    assert response.context["step"] == "select"
    assert response.context["form"].has_error("products", "nothing_selected")
    assert "Select at least one product to activate." in response.text


@pytest.mark.parametrize(("usage", "code", "message"), [
    ("", "usage_missing",
     "Enter how many units of Camera Recorder are in use, a whole number of 1 or more."),
    ("many", "usage_invalid",
     "Enter the usage of Camera Recorder as a whole number of 1 or more, such as 12."),
    ("2.5", "usage_invalid",
     "Enter the usage of Camera Recorder as a whole number of 1 or more, such as 12."),
    ("-2", "usage_invalid",
     "Enter the usage of Camera Recorder as a whole number of 1 or more, such as 12."),
    ("0", "usage_too_low",
     "Activation needs a usage of at least 1 unit of Camera Recorder."),
    ("1000001", "usage_too_high",
     "Enter a usage of Camera Recorder of at most 1000000 units."),
    pytest.param(
        "9" * 5000, "usage_too_high",
        "Enter a usage of Camera Recorder of at most 1000000 units.",
        id="5000 nines",
    ),
    pytest.param(
        "0" * 5000, "usage_too_low",
        "Activation needs a usage of at least 1 unit of Camera Recorder.",
        id="5000 zeros",
    ),
])
def test_invalid_usage_rejected(admin, organization, product, usage, code, message):
    response = admin.post(url(organization, "activate_terms"), selection({product: usage}))

    assert response.context["step"] == "select"
    assert response.context["form"].has_error("usage_camera-recorder", code)
    assert message in response.text


def test_usage_with_leading_zeros_accepted(admin, organization, product):
    response = admin.post(url(organization, "activate_terms"), selection({product: "007"}))

    assert response.context["step"] == "terms"
    assert response.context["choices"][0].usage == 7


def test_usage_of_unselected_product_ignored(admin, organization, product, door):
    data = selection({product: 2})
    data["usage_door-station"] = "many"

    response = admin.post(url(organization, "activate_terms"), data)

    assert response.context["step"] == "terms"


def test_unknown_product_rejected(admin, organization, product):
    data = selection({product: 2})
    data["products"] = ["camera-recorder", "no-such-product"]

    response = admin.post(url(organization, "activate_terms"), data)

    assert response.context["step"] == "select"
    assert response.context["form"].has_error("products", "unavailable")
    assert "The product “no-such-product” cannot be activated" in response.text


# Step 2: accept the terms


def test_terms_step_shows_terms_of_selection(admin, organization, product, door):
    response = admin.post(url(organization, "activate_terms"), selection({product: 2}))

    terms = product.current_terms()
    assert response.context["step"] == "terms"
    assert '<li aria-current="step">2. Accept terms</li>' in response.text
    assert "Terms of camera-recorder." in response.text
    assert "I accept the terms and conditions of Camera Recorder, version 1.0" in response.text
    assert f'name="terms_camera-recorder" value="{terms.pk}"' in response.text
    assert "Terms of door-station." not in response.text


def test_terms_step_carries_selection(admin, organization, product):
    data = selection({product: 7})

    response = admin.post(url(organization, "activate_terms"), data)

    assert '<input type="hidden" name="products" value="camera-recorder">' in response.text
    assert '<input type="hidden" name="usage_camera-recorder" value="7">' in response.text
    assert f'name="submission_token" value="{data["submission_token"]}"' in response.text


def test_terms_back_shows_selection(admin, organization, product, door):
    response = admin.post(url(organization, "activate"), selection({product: 7}))

    form = response.context["form"]
    assert response.context["step"] == "select"
    assert form["products"].value() == ["camera-recorder"]
    assert form["usage_camera-recorder"].value() == "7"
    assert not form.errors


def test_terms_step_has_back_to_selection(admin, organization, product):
    response = admin.post(url(organization, "activate_terms"), selection({product: 2}))

    back_url = url(organization, "activate")
    assert f'<form id="activate-back" method="post" action="{back_url}">' in response.text
    assert (
        '<button type="submit" form="activate-back" class="secondary">Back</button>'
        in response.text
    )


def test_missing_acceptance_rejected(admin, organization, product, door):
    data = accepted(selection({product: 2, door: 1}), product, door)
    del data["accept_door-station"]

    response = admin.post(url(organization, "activate_summary"), data)

    form = response.context["form"]
    assert response.context["step"] == "terms"
    assert form.has_error("accept_door-station", "not_accepted")
    assert not form.has_error("accept_camera-recorder")
    assert "Accept the terms and conditions of Door Station to activate it" in response.text


def test_terms_changed_while_reviewing(admin, organization, product):
    data = accepted(selection({product: 2}), product)
    new_terms = publish_terms(product)

    response = admin.post(url(organization, "activate_summary"), data)

    form = response.context["form"]
    assert response.context["step"] == "terms"
    assert form.has_error("accept_camera-recorder", "terms_changed")
    assert (
        "The terms of Camera Recorder changed while you were reviewing them. Read and "
        "accept the new version." in response.text
    )
    assert "Terms of camera-recorder, version 2.0." in response.text
    assert f'name="terms_camera-recorder" value="{new_terms.pk}"' in response.text
    assert form["accept_camera-recorder"].value() is False


# Step 3: the summary


def test_summary_names_organization_and_warns(admin, organization, product):
    data = accepted(selection({product: 3}), product)

    response = admin.post(url(organization, "activate_summary"), data)

    assert response.context["step"] == "summary"
    assert '<li aria-current="step">3. Review and finish</li>' in response.text
    assert "You are activating software for <strong>Harbor Logistics</strong>." in response.text
    assert "Licenses cannot be moved between organizations." in response.text


def test_summary_of_grace(admin, organization, product):
    data = accepted(selection({product: 3}), product)

    response = admin.post(url(organization, "activate_summary"), data)

    [preview] = response.context["previews"]
    assert preview.usage == 3
    assert preview.terms.version == "1.0"
    assert preview.wallet == 0
    assert "the 30-day grace period starts. It ends on 3 Jan 2027, 09:00 CET." in response.text


def test_summary_of_licensing_at_once(admin, organization, admin_user, product, fill_wallet):
    fill_wallet(organization, product, 5, admin_user)
    data = accepted(selection({product: 3}), product)

    response = admin.post(url(organization, "activate_summary"), data)

    [preview] = response.context["previews"]
    assert preview.wallet == 5
    assert preview.licensed_at_once
    assert "Consumes 3 licenses from the Wallet: licensed at once." in response.text


def test_summary_says_trial_ends(admin, organization, admin_user, product):
    start_trial(organization=organization, product=product, actor=admin_user)
    data = accepted(selection({product: 3}), product)

    response = admin.post(url(organization, "activate_summary"), data)

    assert "The running trial ends." in response.text


def test_summary_carries_every_choice(admin, organization, product):
    data = accepted(selection({product: 3}), product)

    response = admin.post(url(organization, "activate_summary"), data)

    finish = response.text[response.text.index(f'action="{url(organization, "activate_finish")}"'):]
    assert '<input type="hidden" name="products" value="camera-recorder">' in finish
    assert '<input type="hidden" name="usage_camera-recorder" value="3">' in finish
    assert f'name="terms_camera-recorder" value="{product.current_terms().pk}"' in finish
    assert '<input type="hidden" name="accept_camera-recorder" value="on">' in finish
    assert f'name="submission_token" value="{data["submission_token"]}"' in finish


def test_summary_back_keeps_acceptance(admin, organization, product):
    data = accepted(selection({product: 3}), product)
    summary = admin.post(url(organization, "activate_summary"), data)
    back_url = url(organization, "activate_terms")
    assert f'<form id="activate-back" method="post" action="{back_url}">' in summary.text

    response = admin.post(url(organization, "activate_terms"), data)

    assert response.context["step"] == "terms"
    assert response.context["form"]["accept_camera-recorder"].value() is True


def test_summary_after_activation_elsewhere(admin, organization, admin_user, product, activate):
    data = accepted(selection({product: 3}), product)
    activate(organization, product, 1, admin_user)

    response = admin.post(url(organization, "activate_summary"), data)

    assert response.context["step"] == "select"
    assert response.context["form"].has_error("products", "already_activated")


# Finish


def test_finish_activates_and_redirects(admin, organization, product):
    data = accepted(selection({product: 3}), product)

    response = admin.post(url(organization, "activate_finish"), data)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == url(organization, "overview")
    assert messages_of(response) == [
        (
            "Activated Camera Recorder. Its 30-day grace period ends on 3 Jan 2027, 09:00 CET: "
            "redeem license keys with 3 licenses before then."
        )
    ]
    subscription = Subscription.objects.get()
    assert subscription.organization == organization
    assert subscription.usage == 3
    assert TermsAcceptance.objects.get().terms == product.current_terms()
    assert Event.objects.get().action == Event.Action.ACTIVATED


def test_finish_counts_wallet_in_licenses_to_redeem(
    admin, organization, admin_user, product, fill_wallet
):
    fill_wallet(organization, product, 10, admin_user)
    data = accepted(selection({product: 12}), product)

    response = admin.post(url(organization, "activate_finish"), data)

    assert messages_of(response) == [
        (
            "Activated Camera Recorder. Its 30-day grace period ends on 3 Jan 2027, 09:00 CET: "
            "redeem license keys with 2 licenses before then."
        )
    ]


def test_finish_licenses_from_wallet(admin, organization, admin_user, product, fill_wallet):
    fill_wallet(organization, product, 5, admin_user)
    data = accepted(selection({product: 3}), product)

    response = admin.post(url(organization, "activate_finish"), data)

    assert messages_of(response) == [
        (
            "Activated Camera Recorder: 3 licenses were consumed from the Wallet, so Camera "
            "Recorder is licensed."
        )
    ]


def test_finish_activates_several(admin, organization, product, door):
    data = accepted(selection({product: 3, door: 1}), product, door)

    admin.post(url(organization, "activate_finish"), data)

    assert Subscription.objects.count() == 2
    assert Event.objects.filter(action=Event.Action.ACTIVATED).count() == 2


def test_finish_ends_trial(admin, organization, admin_user, product, clock):
    trial = start_trial(organization=organization, product=product, actor=admin_user)
    clock.shift(datetime.timedelta(days=2))

    admin.post(url(organization, "activate_finish"), accepted(selection({product: 3}), product))

    trial.refresh_from_db()
    assert trial.ends_at == START + datetime.timedelta(days=2)


def test_finish_replay_activates_once(admin, organization, product):
    data = accepted(selection({product: 3}), product)
    first = admin.post(url(organization, "activate_finish"), data, follow=True)
    events_after_first = event_count()

    replay = admin.post(url(organization, "activate_finish"), data)

    assert replay.status_code == HTTPStatus.FOUND
    assert replay["Location"] == url(organization, "overview")
    assert messages_of(replay) == [str(message) for message in first.context["messages"]]
    assert Subscription.objects.count() == 1
    assert event_count() == events_after_first


def test_finish_after_activation_elsewhere(admin, organization, admin_user, product, activate):
    data = accepted(selection({product: 3}), product)
    activate(organization, product, 1, admin_user)
    events_before = event_count()

    response = admin.post(url(organization, "activate_finish"), data)

    assert response.status_code == HTTPStatus.OK
    assert response.context["step"] == "select"
    assert (
        "Camera Recorder is activated already in this organization, so it was taken out "
        "of your selection." in response.text
    )
    assert Subscription.objects.get().usage == 1
    assert event_count() == events_before


def test_finish_after_terms_changed(admin, organization, product):
    data = accepted(selection({product: 3}), product)
    publish_terms(product)

    response = admin.post(url(organization, "activate_finish"), data)

    assert response.context["step"] == "terms"
    assert "The terms of Camera Recorder changed while you were reviewing them." in response.text
    assert not Subscription.objects.exists()
    assert event_count() == 0


def test_finish_without_acceptance_rejected(admin, organization, product):
    data = accepted(selection({product: 3}), product, accept=False)

    response = admin.post(url(organization, "activate_finish"), data)

    assert response.context["step"] == "terms"
    assert response.context["form"].has_error("accept_camera-recorder", "not_accepted")
    assert not Subscription.objects.exists()
    assert event_count() == 0


def test_finish_without_selection_rejected(admin, organization, product):
    response = admin.post(url(organization, "activate_finish"), {"submission_token": token()})

    assert response.context["step"] == "select"
    assert "Select at least one product to activate." in response.text
    assert event_count() == 0


@pytest.mark.parametrize("submission_token", [None, "not-a-token"])
def test_finish_without_valid_token_rejected(admin, organization, product, submission_token):
    data = accepted(selection({product: 3}), product)
    if submission_token is None:
        del data["submission_token"]
    else:
        data["submission_token"] = submission_token

    response = admin.post(url(organization, "activate_finish"), data)

    form = response.context["form"]
    assert response.context["step"] == "select"
    assert "This form is incomplete or out of date, so nothing was activated." in response.text
    assert form.data["submission_token"] not in {None, "not-a-token"}
    assert not Subscription.objects.exists()
    assert event_count() == 0


def test_finish_token_of_other_activation_rejected(admin, organization, product, door):
    submission_token = token()
    admin.post(
        url(organization, "activate_finish"),
        accepted(selection({door: 1}, submission_token), door),
        follow=True,
    )
    events_before = event_count()

    response = admin.post(
        url(organization, "activate_finish"),
        accepted(selection({product: 3}, submission_token), product),
    )

    assert response.context["step"] == "summary"
    assert "This form was already used for another activation" in response.text
    assert response.context["form"].data["submission_token"] != submission_token
    assert not Subscription.objects.filter(product=product).exists()
    assert event_count() == events_before


def test_finish_in_other_organization_not_shared(
    member_client, organization, other_organization, product
):
    member_client("admin_user").post(
        url(organization, "activate_finish"), accepted(selection({product: 3}), product)
    )

    assert not Subscription.objects.filter(organization=other_organization).exists()
    assert not Trial.objects.exists()
