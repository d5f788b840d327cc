import datetime
from http import HTTPStatus

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wallet.services import correct_balance, redeem_key
from wallet.views import LEDGER_PAGE_SIZE

pytestmark = pytest.mark.django_db

# 13:00 in Stockholm, where the organization's times are shown.
NOON_UTC = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)


def wallet_url(organization, page=None):
    url = reverse("wallet:wallet", kwargs={"slug": organization.slug})
    return f"{url}?page={page}" if page else url


def ledger_rows(response):
    return list(response.context["page"].object_list)


@pytest.mark.parametrize(("role", "can_redeem"), [
    ("admin_user", True),
    ("operator_user", True),
    ("viewer_user", False),
])
def test_members_see_wallet(member_client, organization, role, can_redeem):
    response = member_client(role).get(wallet_url(organization))

    assert response.status_code == HTTPStatus.OK
    assert "Wallet of Harbor Logistics" in response.text
    assert (response.context["form"] is not None) == can_redeem
    assert ("Redeem license key</button>" in response.text) == can_redeem


def test_viewer_is_told_who_can_redeem(member_client, organization):
    response = member_client("viewer_user").get(wallet_url(organization))

    assert "Admins and operators of the organization" in response.text


def test_outsider_gets_not_found(member_client, organization):
    response = member_client("outsider").get(wallet_url(organization))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_anonymous_is_sent_to_sign_in(client, organization):
    response = client.get(wallet_url(organization))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


def test_redeem_form_is_labelled(admin_client, organization):
    response = admin_client.get(wallet_url(organization))

    assert '<label for="id_key">License key</label>' in response.text
    assert '<textarea name="key"' in response.text
    assert 'aria-describedby="id_key_helptext"' in response.text
    assert 'name="submission_token"' in response.text
    assert "check that Harbor Logistics is the correct organization" in response.text
    assert "Licenses cannot be moved" in response.text


def test_empty_wallet_says_so(admin_client, organization):
    response = admin_client.get(wallet_url(organization))

    assert "The Wallet is empty." in response.text
    assert "No licenses have moved yet." in response.text


def test_balance_shows_licenses_and_unit(admin_client, organization, admin_user, product, make_keys):
    [key] = make_keys(product, 12)
    redeem_key(organization=organization, key_text=key, actor=admin_user)

    response = admin_client.get(wallet_url(organization))

    [balance] = response.context["balances"]
    assert balance.licenses == 12
    assert '<th scope="row">Camera Recorder</th>' in response.text
    assert '<td class="number">12</td>' in response.text
    assert "one device" in response.text


def test_wallet_shows_only_own_organization(
    admin_client, organization, other_organization, outsider, product, make_keys
):
    [key] = make_keys(product, 7)
    redeem_key(organization=other_organization, key_text=key, actor=outsider)

    response = admin_client.get(wallet_url(organization))

    assert list(response.context["balances"]) == []
    assert ledger_rows(response) == []


def test_ledger_lists_redemption_and_consumption(
    admin_client, organization, admin_user, product, make_keys, activate
):
    with time_machine.travel(NOON_UTC, tick=False):
        activate(organization, product, 8, admin_user)
        [key] = make_keys(product, 10)
        redeem_key(organization=organization, key_text=key, actor=admin_user)

        response = admin_client.get(wallet_url(organization))

    consumed, redeemed = ledger_rows(response)
    assert (consumed.kind, consumed.change, consumed.balance_after) == ("consumed", -8, 2)
    assert (redeemed.kind, redeemed.change, redeemed.balance_after) == ("redeemed", 10, 10)
    text = response.text
    assert '<td class="number">+10</td>' in text
    assert '<td class="number">-8</td>' in text
    assert f'<code class="key">…{key[-4:]}</code>' in text
    assert "Key redeemed" in text
    assert "(subscription year 1)" in text
    assert "admin@example.com" in text


def test_ledger_times_are_in_organization_zone(admin_client, organization, admin_user, product, make_keys):
    with time_machine.travel(NOON_UTC, tick=False):
        [key] = make_keys(product, 3)
        redeem_key(organization=organization, key_text=key, actor=admin_user)

    response = admin_client.get(wallet_url(organization))

    assert "15 Jan 2026, 13:00 CET" in response.text


def test_ledger_shows_reason_of_correction(admin_client, organization, admin_user, product):
    correct_balance(organization=organization, product=product, change=4,
                    reason="Support case 1182", actor=admin_user)

    response = admin_client.get(wallet_url(organization))

    assert "Correction by staff:" in response.text
    assert "Support case 1182" in response.text


def add_entries(organization, product, actor, count):
    start = NOON_UTC
    for number in range(count):
        with time_machine.travel(start + datetime.timedelta(minutes=number), tick=False):
            correct_balance(organization=organization, product=product, change=1,
                            reason=f"entry {number + 1}", actor=actor)


def test_ledger_is_newest_first_in_pages(admin_client, organization, admin_user, product):
    add_entries(organization, product, admin_user, LEDGER_PAGE_SIZE + 1)

    first = admin_client.get(wallet_url(organization))
    second = admin_client.get(wallet_url(organization, page=2))

    first_rows, second_rows = ledger_rows(first), ledger_rows(second)
    assert len(first_rows) == LEDGER_PAGE_SIZE
    assert first_rows[0].note == f"entry {LEDGER_PAGE_SIZE + 1}"
    assert first_rows[-1].note == "entry 2"
    assert [row.note for row in second_rows] == ["entry 1"]


def test_ledger_links_to_other_pages(admin_client, organization, admin_user, product):
    add_entries(organization, product, admin_user, LEDGER_PAGE_SIZE + 1)

    response = admin_client.get(wallet_url(organization))

    assert f'href="{wallet_url(organization, page=2)}" rel="next"' in response.text
    assert f'href="{wallet_url(organization, page=1)}" aria-current="page"' in response.text


@pytest.mark.parametrize("page", ["0", "99", "last-but-one"])
def test_out_of_range_page_shows_a_page(admin_client, organization, admin_user, product, page):
    add_entries(organization, product, admin_user, 3)

    response = admin_client.get(wallet_url(organization, page=page))

    assert response.status_code == HTTPStatus.OK
    assert ledger_rows(response)


def test_ledger_needs_no_query_per_row(admin_client, organization, admin_user, product):
    add_entries(organization, product, admin_user, 2)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(wallet_url(organization))

    add_entries(organization, product, admin_user, 20)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(wallet_url(organization))

    assert len(many.captured_queries) == len(few.captured_queries)
