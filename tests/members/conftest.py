"""Fixtures and helpers for the Members page, invitations and the two-factor rule."""

import re
import uuid

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.urls import reverse

from organizations import members
from organizations.models import Role

LINK_PATTERN = re.compile(r"http://testserver(/invitations/[^/\s]+/)")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def second_admin(make_user, make_member, organization):
    user = make_user("second-admin@example.com")
    make_member(user, organization, Role.ADMIN)
    return user


@pytest.fixture
def give_authenticator_app():
    def give(user):
        TOTP.activate(user, generate_totp_secret())

    return give


def token() -> str:
    return str(uuid.uuid4())


def members_url(organization) -> str:
    return reverse("organizations:members", args=[organization.slug])


def membership_of(user, organization):
    return user.memberships.get(organization=organization)


def invite_form(email: str, role: str = Role.OPERATOR) -> dict:
    return {"email": email, "role": role, "submission_token": token()}


def role_form(membership, role: str) -> dict:
    return {
        f"member-{membership.pk}-role": role,
        f"member-{membership.pk}-submission_token": token(),
    }


def remove_form(membership) -> dict:
    return {f"remove-{membership.pk}-submission_token": token()}


def revoke_form(invitation) -> dict:
    return {f"invitation-{invitation.pk}-submission_token": token()}


def leave_form() -> dict:
    return {"leave-submission_token": token()}


def link_in_last_email() -> str:
    """Return the path of the invitation link in the last email sent."""
    match = LINK_PATTERN.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def invite(organization, admin, email: str, role: str = Role.OPERATOR) -> str:
    """Invite through the service and return the link's path."""
    sent = members.invite_member(organization=organization, email=email, role=role, actor=admin)
    return reverse("invitation", args=[sent.secret])
