"""Organization-scoped access: every page under /orgs/<slug>/ goes through here.

Access is denied by default. A signed-in user who is not a member of the
organization gets 404, so a slug alone does not reveal that an organization
exists. Members whose role does not allow changes get 403 on write actions.
"""

import functools
import logging
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from .models import Membership

logger = logging.getLogger(__name__)


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

            if change and not membership.can_change:
                logger.warning(
                    "Denied user %s a change in organization %s: role %s",
                    request.user.pk, membership.organization_id, membership.role,
                )
                raise PermissionDenied

            request.organization = membership.organization
            request.membership = membership
            timezone.activate(membership.organization.tzinfo)
            try:
                return view(request, *args, **kwargs)
            finally:
                timezone.deactivate()

        # Read by the test that walks every route, so no page escapes the check.
        wrapper.organization_access = "change" if change else "read"
        return wrapper

    return decorator
