"""Sign-in limits, the second factor and the production headers."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_failed_sign_ins_are_limited_per_address(client, make_user):
    make_user("target@example.com")

    for _ in range(5):
        sign_in(client, "target@example.com", "wrong-password")
    response = sign_in(client, "target@example.com", PASSWORD)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_totp_user_needs_code_to_sign_in(client, make_user):
    user = make_user("careful@example.com")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)

    response = sign_in(client, "careful@example.com", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session

    code = format_hotp_value(hotp_value(secret, int(time.time() // 30)))
    response = client.post("/accounts/2fa/authenticate/", {"code": code})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_totp_code_keeps_user_out(client, make_user):
    user = make_user("careful@example.com")
    TOTP.activate(user, generate_totp_secret())
    sign_in(client, "careful@example.com", PASSWORD)

    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_pages_send_content_security_policy(client):
    response = client.get("/accounts/login/")

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
