"""Organization-scoped access: every page under /orgs/<slug>/ goes through here.

Access is denied by default. A signed-in user who is not a member of the
organization gets 404, so a slug alone does not reveal that an organization
exists. Members whose role does not allow changes get 403 on write actions.
An organization that requires two-factor sign-in sends members without an
authenticator app to set one up before any of its pages.
"""

import functools
import logging
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Membership

logger = logging.getLogger(__name__)


def has_authenticator_app(user) -> bool:
    """Return whether the user has an authenticator app (TOTP) as a second factor."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def organization_view(*, change: bool = False) -> Callable:
    """Wrap a view that takes ``slug``: load the membership or deny access.

    The wrapped view receives ``request.organization`` and
    ``request.membership``, and renders times in the organization's zone.
    With ``change=True`` only members allowed to change things get through.
    """

    def decorator(view: Callable) -> Callable:
        @login_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            membership = (
                Membership.objects.select_related("organization")
                .filter(organization__slug=slug, user=request.user)
                .first()
            )
            if membership is None:
                logger.warning(
                    "Denied user %s access to organization slug %r: not a member",
                    request.user.pk, slug,
                )
                raise Http404("No organization matches the given query.")

            organization = membership.organization
            if organization.require_mfa and not has_authenticator_app(request.user):
                logger.info(
                    "Sent user %s to set up two-factor sign-in, required by organization %s",
                    request.user.pk, organization.pk,
                )
                messages.warning(request, _(
                    "%(name)s requires two-factor sign-in. Set up an authenticator app "
                    "for your account, then open %(name)s again."
                ) % {"name": organization.name})
                return redirect("mfa_activate_totp")

            if change and not membership.can_change:
                logger.warning(
                    "Denied user %s a change in organization %s: role %s",
                    request.user.pk, membership.organization_id, membership.role,
                )
                raise PermissionDenied

            request.organization = organization
            request.membership = membership
            timezone.activate(organization.tzinfo)
            try:
                return view(request, *args, **kwargs)
            finally:
                timezone.deactivate()

        # Read by the test that walks every route, so no page escapes the check.
        wrapper.organization_access = "change" if change else "read"
        return wrapper

    return decorator
