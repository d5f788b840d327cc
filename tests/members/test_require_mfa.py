"""An organization's requirement of two-factor sign-in for its members."""

from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.messages import get_messages
from django.urls import reverse

from history.models import Event
from organizations.models import Membership

from .conftest import members_url, token

pytestmark = pytest.mark.django_db


def require_mfa_url(organization) -> str:
    return reverse("organizations:require_mfa", args=[organization.slug])


def require_mfa_form(enabled: bool) -> dict:
    form = {"mfa-submission_token": token()}
    if enabled:
        form["mfa-require_mfa"] = "on"
    return form


@pytest.fixture
def requiring_organization(organization):
    organization.require_mfa = True
    organization.save(update_fields=["require_mfa"])
    return organization


def test_member_without_totp_is_redirected(
    client, requiring_organization, viewer_user
):
    client.force_login(viewer_user)

    response = client.get(members_url(requiring_organization))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("mfa_activate_totp")
    [message] = get_messages(response.wsgi_request)
    assert f"{requiring_organization.name} requires two-factor sign-in" in str(message)


def test_change_without_totp_is_not_made(
    client, requiring_organization, operator_user
):
    client.force_login(operator_user)

    response = client.post(
        reverse("organizations:reminders", args=[requiring_organization.slug]), {"enabled": "0"}
    )

    assert response["Location"] == reverse("mfa_activate_totp")
    assert Membership.objects.get(user=operator_user).reminders_enabled is True


def test_member_with_totp_gets_through(
    client, requiring_organization, viewer_user, give_authenticator_app
):
    give_authenticator_app(viewer_user)
    client.force_login(viewer_user)

    response = client.get(members_url(requiring_organization))

    assert response.status_code == HTTPStatus.OK
    assert b"must sign in with two-factor authentication" in response.content


def test_recovery_codes_alone_do_not_count(client, requiring_organization, viewer_user):
    Authenticator.objects.create(
        user=viewer_user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"}
    )
    client.force_login(viewer_user)

    response = client.get(members_url(requiring_organization))

    assert response["Location"] == reverse("mfa_activate_totp")


def test_organization_without_requirement_lets_everyone_in(client, organization, viewer_user):
    client.force_login(viewer_user)

    response = client.get(members_url(organization))

    assert response.status_code == HTTPStatus.OK


def test_outsider_still_gets_not_found(client, requiring_organization, outsider):
    client.force_login(outsider)

    response = client.get(members_url(requiring_organization))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_admin_without_totp_cannot_turn_on(admin_client, organization):
    response = admin_client.post(require_mfa_url(organization), require_mfa_form(True))

    assert response.status_code == HTTPStatus.OK
    assert b"Set up two-factor sign-in for your own account first" in response.content
    errors = response.context["mfa_form"].errors.as_data()["require_mfa"]
    assert [error.code for error in errors] == ["mfa_missing"]
    organization.refresh_from_db()
    assert organization.require_mfa is False
    assert not Event.objects.filter(action=Event.Action.MFA_REQUIREMENT_CHANGED).exists()


def test_admin_with_totp_turns_it_on(
    admin_client, organization, admin_user, give_authenticator_app
):
    give_authenticator_app(admin_user)

    response = admin_client.post(require_mfa_url(organization), require_mfa_form(True))

    assert response.status_code == HTTPStatus.FOUND
    organization.refresh_from_db()
    assert organization.require_mfa is True
    event = Event.objects.get(action=Event.Action.MFA_REQUIREMENT_CHANGED)
    assert event.details == {"enabled": True}
    assert event.actor == admin_user


def test_admin_turns_it_off(admin_client, requiring_organization, admin_user,
                            give_authenticator_app):
    give_authenticator_app(admin_user)

    admin_client.post(require_mfa_url(requiring_organization), require_mfa_form(False))

    requiring_organization.refresh_from_db()
    assert requiring_organization.require_mfa is False
    event = Event.objects.get(action=Event.Action.MFA_REQUIREMENT_CHANGED)
    assert event.details == {"enabled": False}


def test_unchanged_setting_writes_no_event(admin_client, organization):
    admin_client.post(require_mfa_url(organization), require_mfa_form(False))

    assert not Event.objects.filter(action=Event.Action.MFA_REQUIREMENT_CHANGED).exists()
