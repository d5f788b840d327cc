"""The Members page: who may see and change what, role changes, removal and leaving."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from history.models import Event
from organizations import members
from organizations.members import MembershipError
from organizations.models import Invitation, Membership, Role

from .conftest import (
    invite_form,
    leave_form,
    link_in_last_email,
    members_url,
    membership_of,
    remove_form,
    revoke_form,
    role_form,
    token,
)

pytestmark = pytest.mark.django_db

LAST_ADMIN_MESSAGE = b"Make another member an admin first."


def role_url(organization, membership) -> str:
    return reverse("organizations:change_role", args=[organization.slug, membership.pk])


def remove_url(organization, membership) -> str:
    return reverse("organizations:remove_member", args=[organization.slug, membership.pk])


def leave_url(organization) -> str:
    return reverse("organizations:leave", args=[organization.slug])


def events(action: str):
    return Event.objects.filter(action=action)


@pytest.mark.parametrize("user_fixture", ["admin_user", "operator_user", "viewer_user"])
def test_every_member_sees_member_list(
    client, request, organization, admin_user, operator_user, viewer_user, user_fixture
):
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(members_url(organization))

    content = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    for email in ["admin@example.com", "operator@example.com", "viewer@example.com"]:
        assert f'data-member="{email}"' in content
    assert "Leave organization" in content
    assert 'aria-current="page">Members</a>' in content


def test_operator_and_viewer_see_no_admin_forms(client, organization, operator_user):
    client.force_login(operator_user)

    response = client.get(members_url(organization))

    assert b"Send invitation" not in response.content
    assert b"Change role" not in response.content
    assert response.context["is_admin"] is False


def test_admin_sees_admin_forms(admin_client, organization):
    response = admin_client.get(members_url(organization))

    assert b"Send invitation" in response.content
    assert b"Change role" in response.content
    assert b"Require two-factor sign-in" in response.content


def test_outsider_cannot_see_members(client, organization, outsider):
    client.force_login(outsider)

    response = client.get(members_url(organization))

    assert response.status_code == HTTPStatus.NOT_FOUND


def admin_actions(organization, admin_user, operator_user):
    """Each admin action as a URL and a valid form, against the operator or an invitation."""
    target = membership_of(operator_user, organization)
    invitation = Invitation.objects.create(
        organization=organization, email="new@example.com", role=Role.VIEWER,
        token_digest="0" * 64, invited_by=admin_user,
        created_at=target.created_at, expires_at=target.created_at,
    )
    slug = organization.slug
    return {
        "invite": (reverse("organizations:invite", args=[slug]), invite_form("x@example.com")),
        "role": (role_url(organization, target), role_form(target, Role.VIEWER)),
        "remove": (remove_url(organization, target), remove_form(target)),
        "revoke": (
            reverse("organizations:revoke_invitation", args=[slug, invitation.pk]),
            revoke_form(invitation),
        ),
        "require_mfa": (
            reverse("organizations:require_mfa", args=[slug]),
            {"mfa-require_mfa": "on", "mfa-submission_token": token()},
        ),
    }


ACTIONS = ["invite", "role", "remove", "revoke", "require_mfa"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("user_fixture", ["operator_user", "viewer_user"])
def test_operator_and_viewer_cannot_manage_members(
    client, request, organization, admin_user, operator_user, viewer_user, user_fixture, action
):
    url, form = admin_actions(organization, admin_user, operator_user)[action]
    client.force_login(request.getfixturevalue(user_fixture))
    events_before = Event.objects.count()

    response = client.post(url, form)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Event.objects.count() == events_before
    assert membership_of(operator_user, organization).role == Role.OPERATOR


@pytest.mark.parametrize("action", ACTIONS)
def test_outsider_cannot_manage_members(
    client, organization, admin_user, operator_user, outsider, action
):
    url, form = admin_actions(organization, admin_user, operator_user)[action]
    client.force_login(outsider)

    response = client.post(url, form)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert membership_of(operator_user, organization).role == Role.OPERATOR


@pytest.mark.parametrize("action", [a for a in ACTIONS if a != "remove"])
def test_member_changes_refuse_get(admin_client, organization, admin_user, operator_user, action):
    url, _form = admin_actions(organization, admin_user, operator_user)[action]

    response = admin_client.get(url)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_remove_asks_for_confirmation(admin_client, organization, admin_user, operator_user):
    url, _form = admin_actions(organization, admin_user, operator_user)["remove"]

    response = admin_client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert "Remove operator@example.com?" in response.content.decode()
    assert f'action="{url}"' in response.content.decode()
    assert membership_of(operator_user, organization).role == Role.OPERATOR


def test_leave_asks_for_confirmation(client, organization, admin_user, viewer_user):
    client.force_login(viewer_user)

    response = client.get(f"/orgs/{organization.slug}/members/leave/")

    assert response.status_code == HTTPStatus.OK
    assert f"Leave {organization.name}?" in response.content.decode()
    assert membership_of(viewer_user, organization).role == Role.VIEWER


def test_service_rejects_actor_who_is_not_admin(organization, operator_user, viewer_user):
    target = membership_of(viewer_user, organization)

    with pytest.raises(MembershipError) as raised:
        members.remove_member(organization=organization, member_id=target.pk, actor=operator_user)

    assert raised.value.code == "not_admin"
    assert Membership.objects.filter(pk=target.pk).exists()


@pytest.mark.parametrize(("old", "new"), [
    (Role.VIEWER, Role.OPERATOR),
    (Role.OPERATOR, Role.ADMIN),
    (Role.ADMIN, Role.VIEWER),
])
def test_admin_changes_role(admin_client, organization, make_user, make_member, old, new):
    target = make_member(make_user("member@example.com"), organization, old)

    response = admin_client.post(role_url(organization, target), role_form(target, new))

    assert response.status_code == HTTPStatus.FOUND
    target.refresh_from_db()
    assert target.role == new
    event = events(Event.Action.ROLE_CHANGED).get()
    assert event.details == {"email": "member@example.com", "old_role": old, "new_role": new}
    assert event.summary() == (
        f"Changed the role of member@example.com from {old.label} to {new.label}."
    )


def test_same_role_changes_nothing(admin_client, organization, operator_user):
    target = membership_of(operator_user, organization)

    admin_client.post(role_url(organization, target), role_form(target, Role.OPERATOR))

    assert not events(Event.Action.ROLE_CHANGED).exists()


def test_unknown_role_gets_field_error(admin_client, organization, operator_user):
    target = membership_of(operator_user, organization)

    response = admin_client.post(role_url(organization, target), role_form(target, "owner"))

    assert response.status_code == HTTPStatus.OK
    assert response.context["member_rows"]
    target.refresh_from_db()
    assert target.role == Role.OPERATOR


def test_member_of_other_organization_cannot_be_changed(
    admin_client, organization, outsider, other_organization
):
    target = membership_of(outsider, other_organization)

    response = admin_client.post(
        role_url(organization, target), role_form(target, Role.VIEWER), follow=True
    )

    assert b"This person is no longer a member" in response.content
    target.refresh_from_db()
    assert target.role == Role.ADMIN


def test_admin_removes_member(admin_client, organization, operator_user):
    target = membership_of(operator_user, organization)

    response = admin_client.post(remove_url(organization, target), remove_form(target))

    assert response.status_code == HTTPStatus.FOUND
    assert not Membership.objects.filter(pk=target.pk).exists()
    event = events(Event.Action.MEMBER_REMOVED).get()
    assert event.details == {"email": "operator@example.com", "role": Role.OPERATOR}
    assert event.actor_name == "admin@example.com"


def test_removed_member_loses_access(admin_client, client, organization, operator_user):
    target = membership_of(operator_user, organization)
    admin_client.post(remove_url(organization, target), remove_form(target))
    client.force_login(operator_user)

    response = client.get(members_url(organization))

    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("user_fixture", ["operator_user", "viewer_user"])
def test_member_leaves(client, request, organization, admin_user, user_fixture):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)

    response = client.post(leave_url(organization), leave_form())

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("organizations:select")
    assert not Membership.objects.filter(organization=organization, user=user).exists()
    event = events(Event.Action.MEMBER_LEFT).get()
    assert event.actor == user
    assert event.summary().startswith("Left the organization")


def test_admin_leaves_when_another_admin_remains(client, organization, admin_user, second_admin):
    client.force_login(admin_user)

    client.post(leave_url(organization), leave_form())

    assert not Membership.objects.filter(organization=organization, user=admin_user).exists()
    assert Membership.objects.filter(organization=organization, role=Role.ADMIN).count() == 1


def test_last_admin_cannot_leave(admin_client, organization, admin_user, operator_user):
    response = admin_client.post(leave_url(organization), leave_form())

    assert response.status_code == HTTPStatus.OK
    assert LAST_ADMIN_MESSAGE in response.content
    assert membership_of(admin_user, organization).role == Role.ADMIN
    assert not events(Event.Action.MEMBER_LEFT).exists()


def test_last_admin_cannot_be_removed(admin_client, organization, admin_user):
    target = membership_of(admin_user, organization)

    response = admin_client.post(remove_url(organization, target), remove_form(target))

    assert LAST_ADMIN_MESSAGE in response.content
    assert Membership.objects.filter(pk=target.pk).exists()
    assert not events(Event.Action.MEMBER_REMOVED).exists()


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.VIEWER])
def test_last_admin_cannot_be_demoted(admin_client, organization, admin_user, role):
    target = membership_of(admin_user, organization)

    response = admin_client.post(role_url(organization, target), role_form(target, role))

    assert LAST_ADMIN_MESSAGE in response.content
    form = next(row["role_form"] for row in response.context["member_rows"]
                if row["membership"].pk == target.pk)
    assert [error.code for error in form.errors.as_data()["role"]] == ["last_admin"]
    target.refresh_from_db()
    assert target.role == Role.ADMIN
    assert not events(Event.Action.ROLE_CHANGED).exists()


def test_admin_may_demote_self_when_another_admin_remains(
    admin_client, organization, admin_user, second_admin
):
    target = membership_of(admin_user, organization)

    admin_client.post(role_url(organization, target), role_form(target, Role.VIEWER))

    target.refresh_from_db()
    assert target.role == Role.VIEWER


@pytest.mark.parametrize("change", [
    lambda org, admin, membership: members.leave_organization(organization=org, user=admin),
    lambda org, admin, membership: members.remove_member(
        organization=org, member_id=membership.pk, actor=admin),
    lambda org, admin, membership: members.change_role(
        organization=org, member_id=membership.pk, role=Role.OPERATOR, actor=admin),
], ids=["leave", "remove", "demote"])
def test_service_keeps_last_admin(organization, admin_user, change):
    membership = membership_of(admin_user, organization)

    with pytest.raises(MembershipError) as raised:
        change(organization, admin_user, membership)

    assert raised.value.code == "last_admin"
    assert Membership.objects.filter(organization=organization, role=Role.ADMIN).count() == 1


def test_double_submit_of_removal_removes_once(admin_client, organization, operator_user):
    target = membership_of(operator_user, organization)
    form = remove_form(target)

    first = admin_client.post(remove_url(organization, target), form)
    second = admin_client.post(remove_url(organization, target), form)

    assert first.status_code == second.status_code == HTTPStatus.FOUND
    assert events(Event.Action.MEMBER_REMOVED).count() == 1


def test_reused_token_for_other_values_changes_nothing(admin_client, organization, operator_user):
    target = membership_of(operator_user, organization)
    first = role_form(target, Role.VIEWER)
    admin_client.post(role_url(organization, target), first)
    second = {**first, f"member-{target.pk}-role": Role.ADMIN}

    response = admin_client.post(role_url(organization, target), second)

    assert b"This form was already submitted with other values" in response.content
    target.refresh_from_db()
    assert target.role == Role.VIEWER


def test_missing_token_changes_nothing(admin_client, organization, operator_user):
    target = membership_of(operator_user, organization)

    response = admin_client.post(remove_url(organization, target), {})

    assert b"This form is incomplete or out of date" in response.content
    assert Membership.objects.filter(pk=target.pk).exists()


@pytest.mark.parametrize(("action", "details", "summary"), [
    (Event.Action.MEMBER_INVITED, {"email": "a@example.com", "role": "viewer"},
     "Invited a@example.com as Viewer."),
    (Event.Action.INVITATION_REVOKED, {"email": "a@example.com", "role": "admin"},
     "Revoked the invitation of a@example.com as Admin."),
    (Event.Action.MEMBER_JOINED, {"email": "a@example.com", "role": "operator"},
     "Joined as Operator, invited as a@example.com."),
    (Event.Action.MEMBER_REMOVED, {"email": "a@example.com", "role": "viewer"},
     "Removed a@example.com, who was Viewer, from the organization."),
    (Event.Action.MEMBER_LEFT, {"email": "a@example.com", "role": "admin"},
     "Left the organization, as Admin."),
    (Event.Action.MFA_REQUIREMENT_CHANGED, {"enabled": True},
     "Turned on the requirement of two-factor sign-in for every member."),
    (Event.Action.MFA_REQUIREMENT_CHANGED, {"enabled": False},
     "Turned off the requirement of two-factor sign-in."),
])
def test_membership_event_summary(action, details, summary):
    assert Event(action=action, details=details).summary() == summary


def test_each_change_writes_one_event(
    admin_client, organization, admin_user, viewer_user, make_user, give_authenticator_app,
):
    slug = organization.slug
    client = Client()
    admin_client.post(reverse("organizations:invite", args=[slug]),
                      invite_form("joiner@example.com"))
    joiner = make_user("joiner@example.com")
    client.force_login(joiner)
    client.post(link_in_last_email(), {"submission_token": token()})
    joined = membership_of(joiner, organization)
    admin_client.post(role_url(organization, joined), role_form(joined, Role.ADMIN))
    admin_client.post(reverse("organizations:invite", args=[slug]),
                      invite_form("other@example.com"))
    other = Invitation.objects.get(email="other@example.com")
    admin_client.post(reverse("organizations:revoke_invitation", args=[slug, other.pk]),
                      revoke_form(other))
    viewer = membership_of(viewer_user, organization)
    admin_client.post(remove_url(organization, viewer), remove_form(viewer))
    client.post(leave_url(organization), leave_form())
    give_authenticator_app(admin_user)
    admin_client.post(reverse("organizations:require_mfa", args=[slug]),
                      {"mfa-require_mfa": "on", "mfa-submission_token": token()})

    counts = {
        action: events(action).filter(organization=organization).count()
        for action in [
            Event.Action.MEMBER_INVITED, Event.Action.MEMBER_JOINED, Event.Action.ROLE_CHANGED,
            Event.Action.INVITATION_REVOKED, Event.Action.MEMBER_REMOVED,
            Event.Action.MEMBER_LEFT, Event.Action.MFA_REQUIREMENT_CHANGED,
        ]
    }
    assert counts == {
        Event.Action.MEMBER_INVITED: 2,
        Event.Action.MEMBER_JOINED: 1,
        Event.Action.ROLE_CHANGED: 1,
        Event.Action.INVITATION_REVOKED: 1,
        Event.Action.MEMBER_REMOVED: 1,
        Event.Action.MEMBER_LEFT: 1,
        Event.Action.MFA_REQUIREMENT_CHANGED: 1,
    }
    assert events(Event.Action.MEMBER_JOINED).get().actor == joiner
