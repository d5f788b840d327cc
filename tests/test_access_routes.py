"""Every route of an organization, tried by people who must not get through.

The routes come from the URL configuration itself, so a page added later
is checked without anyone remembering to add it here.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from history.models import Event

pytestmark = pytest.mark.django_db

ORGANIZATION_PREFIX = "orgs/<slug:slug>/"
# Values for the other parameters a route may take.
SAMPLE_VALUES = {"code": "camera-recorder", "pk": "1", "member_id": "1", "invitation_id": "1"}


def walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.callback


def organization_routes():
    routes = []
    for route, view in walk(get_resolver().url_patterns):
        if route.startswith(ORGANIZATION_PREFIX):
            routes.append((route, view))
    return routes


def path_of(route: str, slug: str) -> str:
    path = "/" + route.replace("<slug:slug>", slug)
    for name, value in SAMPLE_VALUES.items():
        for converter in ("slug", "int", "str", "uuid", ""):
            placeholder = f"<{converter}:{name}>" if converter else f"<{name}>"
            path = path.replace(placeholder, value)
    assert "<" not in path, f"add a sample value for the parameter in {route}"
    return path


ROUTES = organization_routes()
WRITE_ROUTES = [
    (route, view) for route, view in ROUTES
    if getattr(view, "organization_access", None) == "change"
]


def test_routes_were_found():
    assert len(ROUTES) >= 8
    assert WRITE_ROUTES


@pytest.mark.parametrize(("route", "view"), ROUTES, ids=[route for route, _ in ROUTES])
def test_every_organization_route_checks_membership(route, view):
    assert getattr(view, "organization_access", None) in {"read", "change"}, (
        f"{route} does not go through organizations.access.organization_view"
    )


@pytest.mark.parametrize(("route", "view"), ROUTES, ids=[route for route, _ in ROUTES])
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_not_found(client, outsider, organization, product, route, view, method):
    client.force_login(outsider)
    events_before = Event.objects.count()

    response = getattr(client, method)(path_of(route, organization.slug))

    assert response.status_code == 404
    assert Event.objects.count() == events_before


@pytest.mark.parametrize(("route", "view"), ROUTES, ids=[route for route, _ in ROUTES])
def test_anonymous_is_sent_to_sign_in(client, organization, product, route, view):
    response = client.get(path_of(route, organization.slug))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(("route", "view"), WRITE_ROUTES, ids=[route for route, _ in WRITE_ROUTES])
def test_viewer_cannot_change(client, viewer_user, organization, product, route, view):
    client.force_login(viewer_user)
    events_before = Event.objects.count()

    response = client.post(path_of(route, organization.slug), {"usage": "5", "key": "x"})

    assert response.status_code == 403
    assert Event.objects.count() == events_before


@pytest.mark.parametrize(("route", "view"), ROUTES, ids=[route for route, _ in ROUTES])
def test_unknown_organization_is_not_found(client, admin_user, product, route, view):
    client.force_login(admin_user)

    response = client.get(path_of(route, "no-such-organization"))

    assert response.status_code == 404
