import pytest

pytestmark = pytest.mark.django_db

VENDOR_APP = {
    "provider_id": "vendor",
    "name": "Vendor account",
    "client_id": "license-manager",
    "secret": "",
    "settings": {"server_url": "https://id.vendor.invalid"},
}


def test_sign_in_page_offers_no_sso_by_default(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "Vendor account" not in response.content.decode()


def test_sign_in_page_offers_configured_sso(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [VENDOR_APP]}}

    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "Vendor account" in response.content.decode()
    assert "/accounts/oidc/vendor/login/" in response.content.decode()
