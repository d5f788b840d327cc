"""Two admins acting at once on PostgreSQL: the organization keeps one admin."""

import uuid

import pytest

from history.idempotency import run_once
from history.models import Event, Submission
from organizations import members
from organizations.members import MembershipError
from organizations.models import Membership, Role
# Imported, the fixture is registered for this module too.
from tests.ledger.conftest import postgresql_only, run_at_once  # noqa: F401

from .conftest import membership_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgresql_only"),
]


def admins(organization):
    return Membership.objects.filter(organization=organization, role=Role.ADMIN)


def test_two_admins_removing_each_other_leave_one(organization, admin_user, second_admin):
    first = membership_of(admin_user, organization)
    second = membership_of(second_admin, organization)

    outcomes = run_at_once([
        lambda: members.remove_member(
            organization=organization, member_id=second.pk, actor=admin_user),
        lambda: members.remove_member(
            organization=organization, member_id=first.pk, actor=second_admin),
    ])

    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], MembershipError)
    # The later one finds that its actor is no longer an admin.
    assert errors[0].code == "not_admin"
    assert admins(organization).count() == 1
    assert Event.objects.filter(action=Event.Action.MEMBER_REMOVED).count() == 1


def test_removals_through_submissions_leave_one_admin(organization, admin_user, second_admin):
    """Member changes made with submission tokens, as the pages make them."""
    first = membership_of(admin_user, organization)
    second = membership_of(second_admin, organization)

    def remove(target, actor):
        return run_once(
            token=uuid.uuid4(), organization=organization, user=actor,
            scope="remove_member", data={"member": target.pk},
            operation=lambda: {"email": members.remove_member(
                organization=organization, member_id=target.pk, actor=actor).user.email},
        )

    outcomes = run_at_once([lambda: remove(second, admin_user), lambda: remove(first, second_admin)])

    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert [error.code for error in errors] == ["not_admin"]
    assert admins(organization).count() == 1
    assert Submission.objects.count() == 1


def test_two_admins_demoting_themselves_leave_one(organization, admin_user, second_admin):
    first = membership_of(admin_user, organization)
    second = membership_of(second_admin, organization)

    outcomes = run_at_once([
        lambda: members.change_role(
            organization=organization, member_id=first.pk, role=Role.VIEWER, actor=admin_user),
        lambda: members.change_role(
            organization=organization, member_id=second.pk, role=Role.VIEWER,
            actor=second_admin),
    ])

    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], MembershipError)
    assert errors[0].code == "last_admin"
    assert admins(organization).count() == 1
    assert Event.objects.filter(action=Event.Action.ROLE_CHANGED).count() == 1


def test_two_admins_leaving_at_once_leave_one(organization, admin_user, second_admin):
    outcomes = run_at_once([
        lambda: members.leave_organization(organization=organization, user=admin_user),
        lambda: members.leave_organization(organization=organization, user=second_admin),
    ])

    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert [error.code for error in errors] == ["last_admin"]
    assert admins(organization).count() == 1


def test_invitation_accepted_twice_at_once_joins_once(organization, admin_user, make_user):
    sent = members.invite_member(
        organization=organization, email="new@example.com", role=Role.OPERATOR, actor=admin_user,
    )
    invitee = make_user("new@example.com")

    outcomes = run_at_once([
        lambda: members.accept_invitation(secret=sent.secret, user=invitee),
        lambda: members.accept_invitation(secret=sent.secret, user=invitee),
    ])

    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert [error.code for error in errors] == ["used"]
    assert Membership.objects.filter(organization=organization, user=invitee).count() == 1
    assert Event.objects.filter(action=Event.Action.MEMBER_JOINED).count() == 1
