"""Who gets which licensing page: members by role, and people of other organizations."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from licensing.models import Subscription, Trial

from .conftest import event_count, token

pytestmark = pytest.mark.django_db

PAGES = ["organization_home", "overview", "products", "product", "activate"]
WRITES = ["start_trial", "change_usage", "activate_terms", "activate_summary", "activate_finish"]


def url(organization, name):
    kwargs = {"slug": organization.slug}
    if name in {"product", "start_trial", "change_usage"}:
        kwargs["code"] = "camera-recorder"
    return reverse(f"licensing:{name}", kwargs=kwargs)


def write_data(product) -> dict:
    """Data that every write accepts, so that only the role decides the outcome."""
    return {
        "usage": "3",
        "products": [product.code],
        f"usage_{product.code}": "3",
        f"terms_{product.code}": str(product.current_terms().pk),
        f"accept_{product.code}": "on",
        "submission_token": token(),
    }


@pytest.mark.parametrize(("name", "role", "status"), [
    *[(name, "admin_user", HTTPStatus.OK) for name in PAGES[1:]],
    *[(name, "operator_user", HTTPStatus.OK) for name in PAGES[1:]],
    *[(name, "viewer_user", HTTPStatus.OK) for name in PAGES[1:4]],
    ("activate", "viewer_user", HTTPStatus.FORBIDDEN),
    *[("organization_home", role, HTTPStatus.FOUND)
      for role in ["admin_user", "operator_user", "viewer_user"]],
    *[(name, "outsider", HTTPStatus.NOT_FOUND) for name in PAGES],
])
def test_page_access(member_client, organization, product, name, role, status):
    response = member_client(role).get(url(organization, name))

    assert response.status_code == status


@pytest.mark.parametrize(("role", "status"), [
    ("viewer_user", HTTPStatus.FORBIDDEN),
    ("outsider", HTTPStatus.NOT_FOUND),
])
@pytest.mark.parametrize("name", WRITES)
def test_write_denied(
    member_client, organization, admin_user, product, activate, name, role, status
):
    if name == "change_usage":
        activate(organization, product, 2, admin_user)
    events_before = event_count()
    subscriptions_before = Subscription.objects.count()

    response = member_client(role).post(url(organization, name), write_data(product))

    assert response.status_code == status
    assert event_count() == events_before
    assert Subscription.objects.count() == subscriptions_before
    assert not Trial.objects.exists()


@pytest.mark.parametrize("name", WRITES)
def test_writes_need_post(member_client, organization, product, name):
    response = member_client("admin_user").get(url(organization, name))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize("name", PAGES + WRITES)
def test_anonymous_sent_to_sign_in(client, organization, product, name):
    response = client.get(url(organization, name))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))
