"""The Overview: one row per product tried or activated, with what is needed next."""

import datetime
import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from licensing.services import start_trial

pytestmark = pytest.mark.django_db


def overview_url(organization):
    return reverse("licensing:overview", kwargs={"slug": organization.slug})


def row_of(response, product) -> str:
    """Return the HTML of the product's table row."""
    text = response.text
    start = text.index(f'<tr data-product="{product.code}">')
    return text[start:text.index("</tr>", start)]


def test_organization_home_redirects_to_overview(member_client, organization):
    response = member_client("viewer_user").get(
        reverse("licensing:organization_home", kwargs={"slug": organization.slug})
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == overview_url(organization)


@pytest.mark.parametrize("role", ["admin_user", "operator_user", "viewer_user"])
def test_members_see_overview(member_client, organization, role):
    response = member_client(role).get(overview_url(organization))

    assert response.status_code == HTTPStatus.OK
    assert "<h1>Overview of Harbor Logistics</h1>" in response.text


def test_overview_links_where_to_buy(member_client, organization):
    response = member_client("viewer_user").get(overview_url(organization))

    assert f'href="{reverse("where_to_buy")}">Where to buy licenses</a>' in response.text


def test_empty_overview_points_to_products(member_client, organization, product):
    response = member_client("admin_user").get(overview_url(organization))

    products_url = reverse("licensing:products", kwargs={"slug": organization.slug})
    assert "No software is on trial or activated in this organization yet." in response.text
    assert f'<a href="{products_url}">Products</a>' in response.text
    assert "click Activate" in response.text


@pytest.mark.parametrize(("role", "shown"), [
    ("admin_user", True),
    ("operator_user", True),
    ("viewer_user", False),
])
def test_activate_button_by_role(member_client, organization, product, role, shown):
    response = member_client(role).get(overview_url(organization))

    activate_url = reverse("licensing:activate", kwargs={"slug": organization.slug})
    assert (f'href="{activate_url}">Activate</a>' in response.text) == shown


def test_activate_button_hidden_when_all_activated(
    member_client, organization, admin_user, product, activate
):
    activate(organization, product, 1, admin_user)

    response = member_client("admin_user").get(overview_url(organization))

    assert response.context["can_activate"] is False
    assert ">Activate</a>" not in response.text


def test_trial_row(member_client, organization, admin_user, product):
    start_trial(organization=organization, product=product, actor=admin_user)

    row = row_of(member_client("viewer_user").get(overview_url(organization)), product)

    product_url = reverse(
        "licensing:product", kwargs={"slug": organization.slug, "code": product.code}
    )
    assert f'<a href="{product_url}">Camera Recorder</a>' in row
    assert '<span class="status status-trial">Trial</span>' in row
    assert '<td class="number">30</td>' in row
    assert "3 Jan 2027, 09:00 CET</time>" in row
    assert "Activate before 3 Jan 2027, 09:00 CET to keep using it" in row


def test_trial_ended_row(member_client, organization, admin_user, product, clock):
    start_trial(organization=organization, product=product, actor=admin_user)
    clock.shift(datetime.timedelta(days=31))

    row = row_of(member_client("viewer_user").get(overview_url(organization)), product)

    assert '<span class="status status-trial_ended">Trial ended</span>' in row
    assert "Activate to license it" in row


def test_grace_row(member_client, organization, admin_user, product, activate, fill_wallet):
    fill_wallet(organization, product, 1, admin_user)
    activate(organization, product, 3, admin_user)

    row = row_of(member_client("viewer_user").get(overview_url(organization)), product)

    assert '<span class="status status-grace">Grace period</span>' in row
    # The Wallet's 1 license counts: 2 more close the shortfall of 3.
    assert "2 more licenses needed by 3 Jan 2027, 09:00 CET" in row
    # Days left, usage, licensed units and the Wallet, in that order.
    assert re.findall(r'<td class="number">([^<]*)</td>', row) == ["30", "3", "0", "1"]


def test_grace_row_of_one_license(member_client, organization, admin_user, product, activate):
    activate(organization, product, 1, admin_user)

    row = row_of(member_client("viewer_user").get(overview_url(organization)), product)

    assert "1 more license needed by 3 Jan 2027, 09:00 CET" in row


def test_unlicensed_row(member_client, organization, admin_user, product, activate, clock):
    activate(organization, product, 3, admin_user)
    clock.shift(datetime.timedelta(days=31))

    row = row_of(member_client("viewer_user").get(overview_url(organization)), product)

    assert '<span class="status status-unlicensed">Unlicensed</span>' in row
    assert "3 more licenses needed; the grace period ended on 3 Jan 2027, 09:00 CET" in row


def test_licensed_row(member_client, organization, admin_user, product, activate, fill_wallet):
    fill_wallet(organization, product, 3, admin_user)
    activate(organization, product, 3, admin_user)

    row = row_of(member_client("viewer_user").get(overview_url(organization)), product)

    assert '<span class="status status-licensed">Licensed</span>' in row
    assert "Nothing needed until the renewal on 4 Dec 2027, 09:00 CET" in row
    assert "4 Dec 2027, 09:00 CET</time>" in row


def test_rows_show_organization_zone(member_client, other_organization, outsider, product):
    start_trial(organization=other_organization, product=product, actor=outsider)

    row = row_of(member_client("outsider").get(overview_url(other_organization)), product)

    # 09:00 in Stockholm is 02:00 in Chicago.
    assert "3 Jan 2027, 02:00 CST</time>" in row


def test_rows_only_of_own_organization(
    member_client, organization, other_organization, outsider, product
):
    start_trial(organization=other_organization, product=product, actor=outsider)

    response = member_client("admin_user").get(overview_url(organization))

    assert response.context["states"] == []


def test_overview_queries_independent_of_rows(
    member_client, organization, admin_user, make_product, activate, fill_wallet,
    django_assert_max_num_queries,
):
    client = member_client("admin_user")
    # One trial and one subscription, so that every query of the page runs.
    start_trial(organization=organization, product=make_product("on-trial"), actor=admin_user)
    activate(organization, make_product("activated"), 1, admin_user)
    with CaptureQueriesContext(connection) as two_rows:
        client.get(overview_url(organization))

    for number in range(6):
        product = make_product(f"more-product-{number}")
        if number % 3 == 0:
            start_trial(organization=organization, product=product, actor=admin_user)
        elif number % 3 == 1:
            fill_wallet(organization, product, 2, admin_user)
            activate(organization, product, 2, admin_user)
        else:
            activate(organization, product, 4, admin_user)

    with django_assert_max_num_queries(len(two_rows)):
        response = client.get(overview_url(organization))
    assert len(response.context["states"]) == 8
