"""The user manual, walked in Chromium: from sign-in to a licensed product in History."""

import re

import pytest
from playwright.sync_api import expect

from organizations.models import Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(make_user, make_member, organization, other_organization, make_product, make_keys):
    """An admin of two organizations, a product to try, and a key for it."""
    admin = make_user("walker@example.com")
    make_member(admin, organization, Role.ADMIN)
    make_member(admin, other_organization, Role.ADMIN)
    product = make_product("door-station", unit="door")
    [key] = make_keys(product, 10)
    return {"admin": admin, "organization": organization, "product": product, "key": key}


def status_row(page, product):
    """The product's row in the Overview's License status table."""
    table = page.get_by_role("region", name="License status")
    return table.get_by_role("row").filter(has_text=product.name)


def test_manual_from_trial_to_licensed(live_server, page, scene):
    organization, product = scene["organization"], scene["product"]

    # Sign in and select the organization.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("Walker@Example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Select organization")).to_be_visible()
    page.get_by_role("link", name=organization.name).click()
    expect(page.get_by_test_id("selected-organization")).to_have_text(organization.name)

    # Start a trial from the product's page.
    page.get_by_role("navigation", name="Organization pages").get_by_role("link", name="Products").click()
    page.get_by_role("link", name=product.name).first.click()
    page.get_by_role("button", name=re.compile("Start trial")).click()
    page.get_by_role("link", name="Overview").first.click()
    row = status_row(page, product)
    expect(row).to_contain_text("Trial")
    expect(row).to_contain_text(re.compile(r"\b30\b"))
    expect(row).to_contain_text(re.compile(r"Activate before \d+ \w+ \d{4}, \d\d:\d\d CET"))

    # Activate: select, accept the terms, review the summary, finish.
    page.get_by_role("link", name="Activate").click()
    page.get_by_role("checkbox", name=product.name).check()
    page.get_by_role("spinbutton", name=f"Units of {product.name} in use").fill("8")
    page.get_by_role("button", name="Next").click()
    page.get_by_label(re.compile("I accept the terms")).check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("main")).to_contain_text(organization.name)
    page.get_by_role("button", name="Finish").click()
    row = status_row(page, product)
    expect(row).to_contain_text("Grace period")
    expect(row).to_contain_text("8 more licenses needed")

    # Redeem a key on the Wallet page.
    page.get_by_role("navigation", name="Organization pages").get_by_role("link", name="Wallet").click()
    page.get_by_role("textbox", name="License key").fill(scene["key"].lower().replace("-", " "))
    page.get_by_role("button", name="Redeem license key").click()
    preview = page.get_by_role("main")
    expect(preview).to_contain_text(organization.name)
    expect(preview).to_contain_text(
        f"10 licenses of {product.name}: {product.name} becomes licensed now with 8 of them, "
        "and your Wallet keeps the other 2."
    )
    page.get_by_role("button", name="Confirm and redeem").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"8 licenses were consumed: {product.name} is licensed now."
    )

    # The Overview shows the product licensed, and History shows who did what.
    page.get_by_role("navigation", name="Organization pages").get_by_role("link", name="Overview").click()
    row = status_row(page, product)
    expect(row).to_contain_text("Licensed")
    page.get_by_role("navigation", name="Organization pages").get_by_role("link", name="History").click()
    history = page.get_by_role("main")
    for action in ("Trial started", "Activated", "License key redeemed"):
        expect(history).to_contain_text(action)
    expect(history).to_contain_text("walker@example.com")
