"""Sign-up, sign-in, sign-out and password reset, by email address."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-41"


def sign_up(client, email):
    return client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def test_sign_up_sends_confirmation_email(client):
    response = sign_up(client, "New.Person@Example.com")

    assert response.status_code == 302
    assert get_user_model().objects.filter(email__iexact="new.person@example.com").count() == 1
    assert len(mail.outbox) == 1
    assert "new.person@example.com" in [address.lower() for address in mail.outbox[0].to]


def test_confirming_email_signs_in(client):
    sign_up(client, "confirm@example.com")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)

    client.post(link.split("testserver", 1)[-1])
    response = client.get("/orgs/")

    assert EmailAddress.objects.get(email="confirm@example.com").verified is True
    assert response.status_code == 200
    assert "Select organization" in response.content.decode()


@pytest.mark.parametrize("variant", ["taken@example.com", "TAKEN@example.com", "Taken@Example.COM"])
def test_sign_up_with_taken_address_any_case(client, make_user, variant):
    # The page does not reveal that the address is taken. The owner gets an email instead.
    make_user("taken@example.com")

    response = sign_up(client, variant)

    assert response.status_code == 302
    assert get_user_model().objects.count() == 1
    assert len(mail.outbox) == 1
    assert "already" in mail.outbox[0].body.lower()


@pytest.mark.parametrize("typed", ["member@example.com", "MEMBER@EXAMPLE.COM", "Member@Example.com"])
def test_sign_in_ignores_letter_case(client, make_user, typed):
    make_user("member@example.com")

    response = client.post("/accounts/login/", {"login": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/orgs/"


def test_sign_in_with_wrong_password_fails(client, make_user):
    make_user("member@example.com")

    response = client.post("/accounts/login/", {"login": "member@example.com", "password": "wrong"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_sign_out_ends_session(client, make_user):
    user = make_user()
    client.force_login(user)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client, make_user):
    make_user("forgetful@example.com")

    client.post("/accounts/password/reset/", {"email": "Forgetful@Example.com"})
    [message] = mail.outbox
    link = re.search(r"https?://testserver(\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert client.post(
        "/accounts/login/", {"login": "forgetful@example.com", "password": NEW_PASSWORD}
    ).status_code == 302


def test_pages_of_organizations_need_sign_in(client):
    response = client.get("/orgs/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
