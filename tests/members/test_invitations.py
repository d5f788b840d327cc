"""Inviting by email and joining through the invitation link."""

import datetime
from http import HTTPStatus

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from history.models import Event
from organizations import members
from organizations.models import Invitation, Membership, Role

from tests.conftest import PASSWORD

from .conftest import (
    invite,
    invite_form,
    link_in_last_email,
    members_url,
    revoke_form,
    token,
)

pytestmark = pytest.mark.django_db


def invite_url(organization) -> str:
    return reverse("organizations:invite", args=[organization.slug])


def join(client, link: str):
    return client.post(link, {"submission_token": token()})


def test_invitation_email_carries_absolute_link(admin_client, organization):
    response = admin_client.post(invite_url(organization), invite_form("new@example.com"))

    assert response.status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    assert organization.name in mail.outbox[0].subject
    assert "Operator" in mail.outbox[0].body
    assert link_in_last_email().startswith("/invitations/")


def test_invitation_stores_only_digest_of_secret(admin_client, organization):
    admin_client.post(invite_url(organization), invite_form("new@example.com"))

    secret = link_in_last_email().split("/")[2]
    invitation = Invitation.objects.get()
    assert invitation.token_digest == members.digest_of(secret)
    assert secret not in invitation.token_digest


def test_invitation_expires_seven_days_after_sending(admin_client, organization, admin_user):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        admin_client.post(invite_url(organization), invite_form("new@example.com"))

    invitation = Invitation.objects.get()
    assert invitation.expires_at == datetime.datetime(2026, 3, 9, 9, 0, tzinfo=datetime.UTC)
    assert invitation.invited_by == admin_user
    assert invitation.role == Role.OPERATOR


def test_accepting_in_other_letter_case_joins_with_role(
    admin_client, client, organization, make_user
):
    admin_client.post(invite_url(organization), invite_form("New.Person@Example.com"))
    link = link_in_last_email()
    invitee = make_user("new.person@example.com")
    client.force_login(invitee)

    response = join(client, link)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("licensing:overview", args=[organization.slug])
    membership = Membership.objects.get(organization=organization, user=invitee)
    assert membership.role == Role.OPERATOR
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == invitee
    assert invitation.accepted_at is not None


def test_invitation_page_offers_join_button(client, organization, admin_user, make_user):
    link = invite(organization, admin_user, "new@example.com")
    client.force_login(make_user("NEW@example.com"))

    response = client.get(link)

    assert response.status_code == HTTPStatus.OK
    assert f"Join {organization.name}".encode() in response.content
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def test_verified_secondary_address_may_accept(client, organization, admin_user, make_user):
    link = invite(organization, admin_user, "Work@Example.com")
    invitee = make_user("home@example.com")
    EmailAddress.objects.create(user=invitee, email="work@example.com", verified=True)
    client.force_login(invitee)

    join(client, link)

    assert Membership.objects.filter(organization=organization, user=invitee).exists()


def test_unverified_address_cannot_accept(client, organization, admin_user, make_user):
    link = invite(organization, admin_user, "new@example.com")
    invitee = make_user("new@example.com", verified=False)
    client.force_login(invitee)

    response = join(client, link)

    assert b"Confirm that new@example.com is your address" in response.content
    assert not Membership.objects.filter(organization=organization, user=invitee).exists()


def test_anonymous_page_links_sign_in_and_up(client, organization, admin_user):
    link = invite(organization, admin_user, "new@example.com")

    response = client.get(link)

    content = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert f'{reverse("account_login")}?next={link.replace("/", "%2F")}' in content
    assert f'{reverse("account_signup")}?next={link.replace("/", "%2F")}' in content
    assert "new@example.com" in content


def test_signing_in_from_invitation_returns_to_it(client, organization, admin_user, make_user):
    link = invite(organization, admin_user, "new@example.com")
    make_user("new@example.com")
    login_url = client.get(link).context["login_url"]

    response = client.post(login_url, {"login": "New@Example.com", "password": PASSWORD})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == link


def test_anonymous_join_is_sent_to_sign_in(client, organization, admin_user):
    link = invite(organization, admin_user, "new@example.com")

    response = join(client, link)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))
    assert Invitation.objects.get().accepted_at is None


def test_wrong_account_is_told_which_address(client, organization, admin_user, make_user):
    link = invite(organization, admin_user, "new@example.com")
    someone_else = make_user("someone@example.com")
    client.force_login(someone_else)

    response = join(client, link)

    content = response.content.decode()
    assert "This invitation is for new@example.com" in content
    assert "signed in as someone@example.com" in content
    assert not Membership.objects.filter(organization=organization, user=someone_else).exists()
    assert Invitation.objects.get().accepted_at is None


def test_expired_link_changes_nothing(client, organization, admin_user, make_user):
    link = invite(organization, admin_user, "new@example.com")
    invitee = make_user("new@example.com")
    client.force_login(invitee)

    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, seconds=1)):
        response = join(client, link)

    assert response.status_code == HTTPStatus.GONE
    assert b"This invitation expired on" in response.content
    assert not Membership.objects.filter(organization=organization, user=invitee).exists()


def test_link_works_until_just_before_expiry(client, organization, admin_user, make_user):
    link = invite(organization, admin_user, "new@example.com")
    client.force_login(make_user("new@example.com"))

    with time_machine.travel(timezone.now() + datetime.timedelta(days=6, hours=23)):
        join(client, link)

    assert Membership.objects.filter(organization=organization, user__email="new@example.com").exists()


def test_revoked_link_changes_nothing(admin_client, client, organization, admin_user, make_user):
    link = invite(organization, admin_user, "new@example.com")
    invitation = Invitation.objects.get()
    admin_client.post(
        reverse("organizations:revoke_invitation", args=[organization.slug, invitation.pk]),
        revoke_form(invitation),
    )
    invitee = make_user("new@example.com")
    client.force_login(invitee)

    response = join(client, link)

    assert response.status_code == HTTPStatus.GONE
    assert b"This invitation was revoked" in response.content
    assert not Membership.objects.filter(organization=organization, user=invitee).exists()


def test_used_link_cannot_be_used_again(client, organization, admin_user, make_user):
    link = invite(organization, admin_user, "new@example.com")
    invitee = make_user("new@example.com")
    client.force_login(invitee)
    join(client, link)
    Membership.objects.filter(organization=organization, user=invitee).delete()

    response = join(client, link)

    assert response.status_code == HTTPStatus.GONE
    assert b"You have joined" in response.content
    assert not Membership.objects.filter(organization=organization, user=invitee).exists()


def test_used_link_tells_another_account_it_was_used(client, organization, admin_user, make_user):
    link = invite(organization, admin_user, "new@example.com")
    members.accept_invitation(secret=link.split("/")[2], user=make_user("new@example.com"))
    client.force_login(make_user("late@example.com"))

    response = client.get(link)

    assert response.status_code == HTTPStatus.GONE
    assert b"This invitation has been used already" in response.content


def test_unknown_link_is_not_found(client, admin_user):
    client.force_login(admin_user)

    response = join(client, "/invitations/no-such-secret/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"This invitation link is not valid" in response.content
    assert not Event.objects.filter(action=Event.Action.MEMBER_JOINED).exists()


def test_double_submit_of_join_joins_once(client, organization, admin_user, make_user):
    link = invite(organization, admin_user, "new@example.com")
    client.force_login(make_user("new@example.com"))
    form = {"submission_token": token()}

    first = client.post(link, form)
    second = client.post(link, form)

    assert first["Location"] == second["Location"]
    assert Event.objects.filter(action=Event.Action.MEMBER_JOINED).count() == 1


def test_existing_member_cannot_accept_again(client, organization, admin_user, make_user,
                                             make_member):
    link = invite(organization, admin_user, "new@example.com")
    invitee = make_user("new@example.com")
    make_member(invitee, organization, Role.VIEWER)
    client.force_login(invitee)

    response = join(client, link)

    assert b"You are a member of" in response.content
    assert Membership.objects.get(organization=organization, user=invitee).role == Role.VIEWER
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize("address", ["operator@example.com", "OPERATOR@Example.COM"])
def test_inviting_a_member_is_rejected(admin_client, organization, operator_user, address):
    response = admin_client.post(invite_url(organization), invite_form(address))

    assert response.status_code == HTTPStatus.OK
    assert "already_member" in [e.code for e in response.context["invite_form"].errors.as_data()["email"]]
    assert b"This address belongs to a member already" in response.content
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_inviting_member_alias_is_rejected(
    admin_client, organization, operator_user
):
    EmailAddress.objects.create(user=operator_user, email="alias@example.com", verified=True)

    response = admin_client.post(invite_url(organization), invite_form("Alias@example.com"))

    assert b"This address belongs to a member already" in response.content
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("address", ["new@example.com", "New@Example.com"])
def test_duplicate_invitation_is_rejected(admin_client, organization, admin_user, address):
    invite(organization, admin_user, "new@example.com")

    response = admin_client.post(invite_url(organization), invite_form(address, Role.ADMIN))

    assert b"This address has a pending invitation already" in response.content
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1
    assert Event.objects.filter(action=Event.Action.MEMBER_INVITED).count() == 1


def test_expired_invitation_can_be_sent_again(admin_client, organization, admin_user):
    invite(organization, admin_user, "new@example.com")

    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        response = admin_client.post(invite_url(organization), invite_form("new@example.com"))

    assert response.status_code == HTTPStatus.FOUND
    assert Invitation.objects.count() == 2
    assert len(mail.outbox) == 2


def test_same_address_may_be_invited_by_two_organizations(
    organization, other_organization, admin_user, outsider
):
    invite(organization, admin_user, "new@example.com")
    invite(other_organization, outsider, "new@example.com")

    assert Invitation.objects.count() == 2


def test_invalid_address_gets_field_error(admin_client, organization):
    response = admin_client.post(invite_url(organization), invite_form("not-an-address"))

    assert response.status_code == HTTPStatus.OK
    assert response.context["invite_form"].errors["email"]
    assert not Invitation.objects.exists()


def test_failed_email_leaves_no_invitation(admin_client, organization, settings):
    settings.EMAIL_BACKEND = "tests.members.failing_mail.FailingBackend"

    response = admin_client.post(invite_url(organization), invite_form("new@example.com"))

    assert b"The invitation email could not be sent" in response.content
    assert not Invitation.objects.exists()
    assert not Event.objects.filter(action=Event.Action.MEMBER_INVITED).exists()


def test_double_submit_of_invitation_sends_once(admin_client, organization):
    form = invite_form("new@example.com")

    first = admin_client.post(invite_url(organization), form)
    second = admin_client.post(invite_url(organization), form)

    assert first.status_code == second.status_code == HTTPStatus.FOUND
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_pending_invitation_is_listed_in_organization_zone(
    client, organization, admin_user, viewer_user
):
    with time_machine.travel(datetime.datetime(2026, 1, 10, 12, 0, tzinfo=datetime.UTC)):
        invite(organization, admin_user, "new@example.com", Role.VIEWER)
        client.force_login(viewer_user)
        response = client.get(members_url(organization))

    content = response.content.decode()
    assert "new@example.com" in content
    assert "admin@example.com" in content
    # Stockholm is one hour ahead of UTC in January.
    assert "17 Jan 2026, 13:00 CET" in content


def test_revoking_removes_invitation_from_list(admin_client, organization, admin_user):
    invite(organization, admin_user, "new@example.com")
    invitation = Invitation.objects.get()

    response = admin_client.post(
        reverse("organizations:revoke_invitation", args=[organization.slug, invitation.pk]),
        revoke_form(invitation), follow=True,
    )

    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert b"No invitations are pending" in response.content


def test_revoking_a_used_invitation_changes_nothing(admin_client, organization, admin_user,
                                                    make_user):
    link = invite(organization, admin_user, "new@example.com")
    members.accept_invitation(secret=link.split("/")[2], user=make_user("new@example.com"))
    invitation = Invitation.objects.get()

    response = admin_client.post(
        reverse("organizations:revoke_invitation", args=[organization.slug, invitation.pk]),
        revoke_form(invitation), follow=True,
    )

    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert b"This invitation is no longer pending" in response.content
    assert not Event.objects.filter(action=Event.Action.INVITATION_REVOKED).exists()
