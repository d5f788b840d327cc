"""The Members page, its admin actions, leaving, and the invitation link's page."""

import functools
import logging
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from history.idempotency import TokenReused, run_once

from . import members
from .access import has_authenticator_app, organization_view
from .forms import ConfirmForm, InviteForm, JoinForm, MemberChangeForm, RequireMfaForm, RoleForm
from .members import MembershipError
from .models import Invitation, Membership, Role

logger = logging.getLogger(__name__)


def admin_only(view: Callable) -> Callable:
    """Let only the organization's admins through; wrap inside organization_view."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.membership.role != Role.ADMIN:
            logger.warning(
                "Denied user %s a member change in organization %s: role %s",
                request.user.pk, request.organization.pk, request.membership.role,
            )
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@organization_view()
@require_GET
def members_page(request: HttpRequest) -> HttpResponse:
    return render_members(request)


@organization_view(change=True)
@admin_only
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        return render_members(request, {"invite": form})

    email, role = form.cleaned_data["email"], form.cleaned_data["role"]
    try:
        result = submit(
            request, form, scope="invite", data={"email": email.lower(), "role": role},
            operation=lambda: invited_result(members.invite_member(
                organization=request.organization, email=email, role=role, actor=request.user,
            )),
        )
    except MembershipError as error:
        return reject(request, error, "invite", form)

    messages.success(request, _(
        "Sent an invitation to %(email)s as %(role)s. The link works for 7 days."
    ) % {"email": result["email"], "role": Role(result["role"]).label})
    return redirect_to_members(request)


@organization_view(change=True)
@admin_only
@require_POST
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    form = ConfirmForm(request.POST, prefix=f"invitation-{invitation_id}")
    if not form.is_valid():
        return render_members(request, {f"revoke-{invitation_id}": form})

    try:
        result = submit(
            request, form, scope="revoke_invitation", data={"invitation": invitation_id},
            operation=lambda: {"email": members.revoke_invitation(
                organization=request.organization, invitation_id=invitation_id,
                actor=request.user,
            ).email},
        )
    except MembershipError as error:
        return reject(request, error, f"revoke-{invitation_id}", form)

    messages.success(request, _("Revoked the invitation of %(email)s: its link no longer works.")
                     % {"email": result["email"]})
    return redirect_to_members(request)


@organization_view(change=True)
@admin_only
@require_POST
def change_role(request: HttpRequest, member_id: int) -> HttpResponse:
    form = RoleForm(request.POST, prefix=f"member-{member_id}")
    if not form.is_valid():
        return render_members(request, {f"role-{member_id}": form})

    role = form.cleaned_data["role"]
    try:
        result = submit(
            request, form, scope="change_role", data={"member": member_id, "role": role},
            operation=lambda: role_result(*members.change_role(
                organization=request.organization, member_id=member_id, role=role,
                actor=request.user,
            )),
        )
    except MembershipError as error:
        return reject(request, error, f"role-{member_id}", form)

    values = {"email": result["email"], "role": Role(result["role"]).label}
    if result["changed"]:
        messages.success(request, _("%(email)s is %(role)s now.") % values)
    else:
        messages.info(request, _("%(email)s is %(role)s already; nothing changed.") % values)
    return redirect_to_members(request)


@organization_view(change=True)
@admin_only
@require_http_methods(["GET", "POST"])
def remove_member(request: HttpRequest, member_id: int) -> HttpResponse:
    if request.method == "GET":
        membership = get_object_or_404(
            Membership.objects.select_related("user"),
            organization=request.organization, pk=member_id,
        )
        return render(request, "organizations/confirm.html", {
            "title": _("Remove %(email)s?") % {"email": membership.user.email},
            "explanation": _(
                "%(email)s will no longer see %(organization)s. An admin can invite them again."
            ) % {"email": membership.user.email, "organization": request.organization.name},
            "action": request.path,
            "button": _("Remove %(email)s") % {"email": membership.user.email},
            "form": ConfirmForm(prefix=f"remove-{member_id}"),
        })

    form = ConfirmForm(request.POST, prefix=f"remove-{member_id}")
    if not form.is_valid():
        return render_members(request, {f"remove-{member_id}": form})

    try:
        result = submit(
            request, form, scope="remove_member", data={"member": member_id},
            operation=lambda: {"email": members.remove_member(
                organization=request.organization, member_id=member_id, actor=request.user,
            ).user.email},
        )
    except MembershipError as error:
        return reject(request, error, f"remove-{member_id}", form)

    messages.success(request, _("Removed %(email)s from %(organization)s.") % {
        "email": result["email"], "organization": request.organization.name,
    })
    if not Membership.objects.filter(organization=request.organization, user=request.user).exists():
        return redirect("organizations:select")
    return redirect_to_members(request)


# Every member may leave, viewers included, so only membership is required.
@organization_view()
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "organizations/confirm.html", {
            "title": _("Leave %(organization)s?") % {"organization": request.organization.name},
            "explanation": _(
                "After you leave, you no longer see %(organization)s. An admin can invite "
                "you again."
            ) % {"organization": request.organization.name},
            "action": request.path,
            "button": _("Leave %(organization)s") % {"organization": request.organization.name},
            "form": ConfirmForm(prefix="leave"),
        })

    form = ConfirmForm(request.POST, prefix="leave")
    if not form.is_valid():
        return render_members(request, {"leave": form})

    try:
        submit(
            request, form, scope="leave", data={},
            operation=lambda: {"role": members.leave_organization(
                organization=request.organization, user=request.user,
            ).role},
        )
    except MembershipError as error:
        return reject(request, error, "leave", form)

    messages.success(request, _("You left %(organization)s.") % {
        "organization": request.organization.name,
    })
    return redirect("organizations:select")


@organization_view(change=True)
@admin_only
@require_POST
def require_mfa(request: HttpRequest) -> HttpResponse:
    form = RequireMfaForm(request.POST, prefix="mfa")
    if not form.is_valid():
        return render_members(request, {"mfa": form})

    enabled = form.cleaned_data["require_mfa"]
    try:
        result = submit(
            request, form, scope="require_mfa", data={"enabled": enabled},
            operation=lambda: {"enabled": enabled, "changed": members.set_require_mfa(
                organization=request.organization, enabled=enabled, actor=request.user,
            )},
        )
    except MembershipError as error:
        return reject(request, error, "mfa", form)

    if result["enabled"]:
        messages.success(request, _(
            "Two-factor sign-in is required now: members without an authenticator app "
            "are sent to set one up."
        ))
    else:
        messages.success(request, _("Two-factor sign-in is no longer required."))
    return redirect_to_members(request)


def submit(request: HttpRequest, form: Form, *, scope: str, data: dict,
           operation: Callable[[], dict]) -> dict:
    """Run ``operation`` once per submission token; raise MembershipError on a misuse."""
    try:
        result, ran = run_once(
            token=form.cleaned_data["submission_token"],
            organization=request.organization,
            user=request.user,
            scope=scope,
            data=data,
            operation=operation,
        )
    except TokenReused as error:
        raise MembershipError("token_reused") from error

    if not ran:
        logger.info("Showed the stored result of a repeated %s in organization %s",
                    scope, request.organization.pk)
    return result


def reject(request: HttpRequest, error: MembershipError, key: str,
           form: MemberChangeForm) -> HttpResponse:
    """Respond to a rejected change with 403, a message for a stale page, or the form's error."""
    logger.info("Rejected %s in organization %s by user %s: %s",
                key, request.organization.pk, request.user.pk, error.code)
    if error.code == "not_admin":
        raise PermissionDenied
    if error.code == "not_member":
        messages.error(request, _("This person is no longer a member. The list below is current."))
        return redirect_to_members(request)
    if error.code == "not_invited":
        messages.error(request, _(
            "This invitation is no longer pending: it was accepted, revoked or has expired. "
            "The list below is current."
        ))
        return redirect_to_members(request)

    form.reject(error.code)
    return render_members(request, {key: form})


def redirect_to_members(request: HttpRequest) -> HttpResponse:
    return redirect("organizations:members", slug=request.organization.slug)


def invited_result(sent: members.SentInvitation) -> dict:
    return {"email": sent.invitation.email, "role": sent.invitation.role}


def role_result(membership: Membership, changed: bool) -> dict:
    return {"email": membership.user.email, "role": membership.role, "changed": changed}


def render_members(request: HttpRequest, bound: dict[str, Form] | None = None) -> HttpResponse:
    """Render the Members page, with the submitted forms in ``bound`` and their errors."""
    bound = bound or {}
    organization = request.organization
    is_admin = request.membership.role == Role.ADMIN
    memberships = (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__email", "pk")
    )
    invitations = (
        members.open_invitations(organization)
        .filter(expires_at__gt=timezone.now())
        .select_related("invited_by")
        .order_by("email", "pk")
    )
    member_rows = [
        {
            "membership": membership,
            "role_form": role_form_of(membership, bound.get(f"role-{membership.pk}")),
            "remove_form": bound.get(f"remove-{membership.pk}")
            or ConfirmForm(prefix=f"remove-{membership.pk}"),
        }
        for membership in memberships
    ]
    invitation_rows = [
        {
            "invitation": invitation,
            "revoke_form": bound.get(f"revoke-{invitation.pk}")
            or ConfirmForm(prefix=f"invitation-{invitation.pk}"),
        }
        for invitation in invitations
    ]
    return render(request, "organizations/members.html", {
        "is_admin": is_admin,
        "member_rows": member_rows,
        "invitation_rows": invitation_rows,
        "invite_form": bound.get("invite") or InviteForm(),
        "mfa_form": bound.get("mfa") or RequireMfaForm(
            prefix="mfa", initial={"require_mfa": organization.require_mfa}
        ),
        "has_authenticator_app": is_admin and has_authenticator_app(request.user),
        "leave_form": bound.get("leave") or ConfirmForm(prefix="leave"),
    })


def role_form_of(membership: Membership, bound: RoleForm | None) -> RoleForm:
    form = bound or RoleForm(prefix=f"member-{membership.pk}", initial={"role": membership.role})
    # The column header is the visible label; each row's select names its member.
    form.fields["role"].widget.attrs["aria-label"] = _("Role of %(email)s") % {
        "email": membership.user.email,
    }
    return form


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, secret: str) -> HttpResponse:
    """Show an invitation link's page; its Join button makes the signed-in person a member."""
    try:
        invitation = members.find_invitation(secret)
    except MembershipError:
        logger.info("Opened an unknown invitation link")
        return render(request, "organizations/invitation.html", {"problem": "unknown"},
                      status=404)

    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        return render_invitation(request, invitation)

    if request.method == "POST":
        return join(request, invitation, secret)
    return render_invitation(request, invitation)


def join(request: HttpRequest, invitation: Invitation, secret: str) -> HttpResponse:
    form = JoinForm(request.POST)
    if not form.is_valid():
        return render_invitation(request, invitation)

    try:
        result, _ran = run_once(
            token=form.cleaned_data["submission_token"],
            organization=invitation.organization,
            user=request.user,
            scope="join",
            data={"invitation": invitation.pk},
            operation=lambda: {"role": members.accept_invitation(
                secret=secret, user=request.user
            ).role},
        )
    except TokenReused:
        return render_invitation(request, invitation)
    except MembershipError as error:
        logger.info("Rejected invitation %s for user %s: %s",
                    invitation.pk, request.user.pk, error.code)
        invitation.refresh_from_db()
        return render_invitation(request, invitation)

    organization = invitation.organization
    messages.success(request, _("You joined %(organization)s as %(role)s.") % {
        "organization": organization.name, "role": Role(result["role"]).label,
    })
    return redirect("licensing:overview", slug=organization.slug)


def invitation_problem(request: HttpRequest, invitation: Invitation) -> str | None:
    """Return the code of what keeps the signed-in person from joining, if anything."""
    try:
        members.check_usable(invitation, now=timezone.now())
        if request.user.is_authenticated:
            members.check_invitee(invitation, request.user)
    except MembershipError as error:
        return error.code
    return None


def render_invitation(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    problem = invitation_problem(request, invitation)
    back = urlencode({"next": request.path})
    context = {
        "invitation": invitation,
        "problem": problem,
        "joined": (
            problem == "used"
            and request.user.is_authenticated
            and invitation.accepted_by_id == request.user.pk
        ),
        "form": JoinForm(),
        "login_url": f"{reverse('account_login')}?{back}",
        "signup_url": f"{reverse('account_signup')}?{back}",
    }
    status = 410 if problem in {"used", "expired", "revoked"} else 200
    with timezone.override(invitation.organization.tzinfo):
        return render(request, "organizations/invitation.html", context, status=status)
