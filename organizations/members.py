"""Members and invitations of an organization: every change of who belongs to it.

Each change runs in one transaction that first locks the organization's
row and then checks the acting admin's role and the number of admins.
The lock serializes the member changes of one organization, so two admins
acting at once see each other's result and cannot leave it without an admin.
"""

import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from history.models import Event
from history.services import actor_name_of, record_event

from .access import has_authenticator_app
from .models import Invitation, Membership, Organization, Role

logger = logging.getLogger(__name__)

INVITATION_VALIDITY = datetime.timedelta(days=7)


class MembershipError(Exception):
    """A member change that the rules reject; ``code`` keys the message shown."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    # The secret of the link, sent by email and never stored.
    secret: str


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def lock_organization(organization: Organization) -> Organization:
    """Lock the organization's row for the rest of the transaction and reload it.

    FOR NO KEY UPDATE conflicts with itself but not with the key-share lock
    that inserting a History event or a submission takes on the same row,
    so member changes queue behind each other without deadlocking on those.
    """
    return Organization.objects.select_for_update(no_key=True).get(pk=organization.pk)


def require_admin(organization: Organization, user) -> Membership:
    """Return the user's membership, read under the lock, or raise "not_admin".

    Read again after the lock because a concurrent change may have removed
    or demoted the user since the page checked the role.
    """
    membership = Membership.objects.filter(organization=organization, user=user).first()
    if membership is None or membership.role != Role.ADMIN:
        raise MembershipError("not_admin")
    return membership


def ensure_another_admin(membership: Membership) -> None:
    """Raise "last_admin" if ``membership`` is the organization's only admin.

    Callers hold the organization's lock, so the count cannot change
    before their own change commits.
    """
    if membership.role != Role.ADMIN:
        return

    admins = Membership.objects.filter(
        organization_id=membership.organization_id, role=Role.ADMIN
    ).count()
    if admins <= 1:
        raise MembershipError("last_admin")


def get_member(organization: Organization, member_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user")
        .filter(organization=organization, pk=member_id)
        .first()
    )
    if membership is None:
        raise MembershipError("not_member")
    return membership


def is_member_address(organization: Organization, email: str) -> bool:
    """Return whether a member's account has ``email``, in any letter case."""
    return Membership.objects.filter(
        Q(user__email__iexact=email)
        | Q(user__emailaddress__email__iexact=email, user__emailaddress__verified=True),
        organization=organization,
    ).exists()


def open_invitations(organization: Organization):
    return Invitation.objects.filter(
        organization=organization, accepted_at=None, revoked_at=None
    )


def invite_member(
    *, organization: Organization, email: str, role: str, actor
) -> SentInvitation:
    """Create an invitation of ``email`` with ``role`` and email its link."""
    email = email.strip()
    now = timezone.now()
    with transaction.atomic():
        organization = lock_organization(organization)
        require_admin(organization, actor)
        if is_member_address(organization, email):
            raise MembershipError("already_member")

        previous = open_invitations(organization).filter(email__iexact=email).first()
        if previous is not None and previous.expires_at > now:
            raise MembershipError("already_invited")
        if previous is not None:
            # An expired invitation is still open to the unique constraint:
            # revoke it so that the address can be invited again.
            previous.revoked_at = now
            previous.save(update_fields=["revoked_at"])

        secret = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            organization=organization, email=email, role=role,
            token_digest=digest_of(secret), invited_by=actor,
            created_at=now, expires_at=now + INVITATION_VALIDITY,
        )
        record_event(
            organization=organization, action=Event.Action.MEMBER_INVITED, at=now,
            actor=actor, details={"email": email, "role": role, "invitation_id": invitation.pk},
        )
        # Sent inside the transaction, so that a failed email leaves no
        # invitation behind and the admin gets the error and can retry.
        send_invitation_email(invitation, secret)

    logger.info("Invited to organization %s: invitation %s", organization.pk, invitation.pk)
    return SentInvitation(invitation=invitation, secret=secret)


def invitation_link(secret: str) -> str:
    return settings.SITE_URL + reverse("invitation", args=[secret])


def send_invitation_email(invitation: Invitation, secret: str) -> None:
    context = {
        "organization": invitation.organization,
        "invitation": invitation,
        "inviter": actor_name_of(invitation.invited_by),
        "role": invitation.get_role_display(),
        "link": invitation_link(secret),
    }
    with (
        timezone.override(invitation.organization.tzinfo),
        translation.override(settings.LANGUAGE_CODE),
    ):
        subject = render_to_string("organizations/email/invitation_subject.txt", context)
        body = render_to_string("organizations/email/invitation_message.txt", context)

    try:
        send_mail(" ".join(subject.split()), body, None, [invitation.email])
    except OSError as error:
        # smtplib's errors are OSErrors too.
        logger.error("Invitation %s could not be sent: %s", invitation.pk, error)
        raise MembershipError("email_failed") from error


def revoke_invitation(*, organization: Organization, invitation_id: int, actor) -> Invitation:
    now = timezone.now()
    with transaction.atomic():
        organization = lock_organization(organization)
        require_admin(organization, actor)
        invitation = open_invitations(organization).filter(pk=invitation_id).first()
        if invitation is None:
            raise MembershipError("not_invited")

        invitation.revoked_at = now
        invitation.save(update_fields=["revoked_at"])
        record_event(
            organization=organization, action=Event.Action.INVITATION_REVOKED, at=now,
            actor=actor,
            details={"email": invitation.email, "role": invitation.role,
                     "invitation_id": invitation.pk},
        )
    return invitation


def find_invitation(secret: str) -> Invitation:
    """Return the invitation of a link's secret, or raise "unknown"."""
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_digest=digest_of(secret))
        .first()
    )
    if invitation is None:
        raise MembershipError("unknown")
    return invitation


def check_usable(invitation: Invitation, *, now: datetime.datetime) -> None:
    """Raise "used", "expired" or "revoked" unless the invitation can be accepted."""
    if invitation.accepted_at is not None:
        raise MembershipError("used")
    if invitation.expires_at <= now:
        raise MembershipError("expired")
    if invitation.revoked_at is not None:
        raise MembershipError("revoked")


def check_address(invitation: Invitation, user) -> None:
    """Raise unless ``user`` signed in with the invited address, in any letter case.

    The address counts if it is verified in allauth, or if it is the
    account's address and allauth has no record of it at all (accounts
    made by createsuperuser). An address that allauth stores as unverified
    does not count, so no one joins with an address they only typed.
    """
    addresses = EmailAddress.objects.filter(user=user, email__iexact=invitation.email)
    if addresses.filter(verified=True).exists():
        return
    if addresses.exists():
        raise MembershipError("unverified_address")
    if user.email.lower() != invitation.email.lower():
        raise MembershipError("wrong_account")


def check_invitee(invitation: Invitation, user) -> None:
    """Raise unless ``user`` may accept: the invited address, not a member yet."""
    check_address(invitation, user)
    if Membership.objects.filter(organization_id=invitation.organization_id, user=user).exists():
        raise MembershipError("already_member")


def accept_invitation(*, secret: str, user) -> Membership:
    """Make ``user`` a member with the invited role, once per invitation."""
    now = timezone.now()
    with transaction.atomic():
        invitation = find_invitation(secret)
        organization = lock_organization(invitation.organization)
        # Read again under the lock: the invitation may have been revoked
        # or accepted while this request waited for it.
        invitation = Invitation.objects.select_related("invited_by").get(pk=invitation.pk)
        check_usable(invitation, now=now)
        check_invitee(invitation, user)

        membership = Membership.objects.create(
            organization=organization, user=user, role=invitation.role
        )
        invitation.accepted_at = now
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        record_event(
            organization=organization, action=Event.Action.MEMBER_JOINED, at=now, actor=user,
            details={"email": invitation.email, "role": invitation.role,
                     "invitation_id": invitation.pk},
        )

    logger.info("User %s joined organization %s by invitation %s",
                user.pk, organization.pk, invitation.pk)
    return membership


def change_role(
    *, organization: Organization, member_id: int, role: str, actor
) -> tuple[Membership, bool]:
    """Give a member another role; return the membership and whether it changed."""
    now = timezone.now()
    with transaction.atomic():
        organization = lock_organization(organization)
        require_admin(organization, actor)
        membership = get_member(organization, member_id)
        old_role = membership.role
        if old_role == role:
            return membership, False
        ensure_another_admin(membership)

        membership.role = role
        membership.save(update_fields=["role"])
        record_event(
            organization=organization, action=Event.Action.ROLE_CHANGED, at=now, actor=actor,
            details={"email": membership.user.email, "old_role": old_role, "new_role": role},
        )
    return membership, True


def remove_member(*, organization: Organization, member_id: int, actor) -> Membership:
    now = timezone.now()
    with transaction.atomic():
        organization = lock_organization(organization)
        require_admin(organization, actor)
        membership = get_member(organization, member_id)
        ensure_another_admin(membership)

        membership.delete()
        record_event(
            organization=organization, action=Event.Action.MEMBER_REMOVED, at=now, actor=actor,
            details={"email": membership.user.email, "role": membership.role},
        )

    logger.info("User %s removed user %s from organization %s",
                actor.pk, membership.user_id, organization.pk)
    return membership


def leave_organization(*, organization: Organization, user) -> Membership:
    now = timezone.now()
    with transaction.atomic():
        organization = lock_organization(organization)
        membership = Membership.objects.filter(organization=organization, user=user).first()
        if membership is None:
            raise MembershipError("not_member")
        ensure_another_admin(membership)

        membership.delete()
        record_event(
            organization=organization, action=Event.Action.MEMBER_LEFT, at=now, actor=user,
            details={"email": user.email, "role": membership.role},
        )

    logger.info("User %s left organization %s", user.pk, organization.pk)
    return membership


def set_require_mfa(*, organization: Organization, enabled: bool, actor) -> bool:
    """Turn the two-factor requirement on or off; return whether anything changed."""
    now = timezone.now()
    with transaction.atomic():
        organization = lock_organization(organization)
        require_admin(organization, actor)
        if organization.require_mfa == enabled:
            return False
        # An admin without it would be sent away from the organization at once.
        if enabled and not has_authenticator_app(actor):
            raise MembershipError("mfa_missing")

        organization.require_mfa = enabled
        organization.save(update_fields=["require_mfa"])
        record_event(
            organization=organization, action=Event.Action.MFA_REQUIREMENT_CHANGED, at=now,
            actor=actor, details={"enabled": enabled},
        )
    return True
