import uuid
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from history.models import Event
from organizations.access import organization_view
from organizations.models import Membership, Organization, Reseller, Role

pytestmark = pytest.mark.django_db


def create_data(**changes) -> dict:
    """Form data as the page sends it: each showing of the form has its own token."""
    return {"name": "Harbor Logistics", "country": "SE", "time_zone": "Europe/Stockholm",
            "submission_token": str(uuid.uuid4()), **changes}


def test_select_lists_only_own_organizations_with_role(
    client, make_user, make_member, make_organization
):
    user = make_user()
    harbor = make_organization("Harbor Logistics")
    northwind = make_organization("Northwind Schools")
    make_organization("Someone Else's Company")
    make_member(user, harbor, Role.OPERATOR)
    make_member(user, northwind, Role.VIEWER)
    client.force_login(user)

    response = client.get("/orgs/")
    html = response.content.decode()

    assert response.status_code == HTTPStatus.OK
    assert [m.organization for m in response.context["memberships"]] == [harbor, northwind]
    assert [m.get_role_display() for m in response.context["memberships"]] == [
        "Operator", "Viewer",
    ]
    assert "Someone Else&#x27;s Company" not in html
    assert "Someone Else's Company" not in html


def test_select_without_organizations_offers_to_create(client, make_user):
    client.force_login(make_user())

    response = client.get("/orgs/")

    assert "You are not a member of any organization yet." in response.content.decode()


def test_select_requires_sign_in(client):
    response = client.get("/orgs/")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")


def test_create_organization_makes_creator_admin(client, make_user):
    user = make_user()
    client.force_login(user)

    response = client.post("/orgs/new/", create_data())
    organization = Organization.objects.get()

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/orgs/{organization.slug}/overview/"
    assert organization.slug == "harbor-logistics"
    assert organization.time_zone == "Europe/Stockholm"
    assert Membership.objects.get(organization=organization).user == user
    assert Membership.objects.get(organization=organization).role == Role.ADMIN


def test_create_organization_records_event(client, make_user):
    user = make_user("founder@example.com")
    client.force_login(user)

    client.post("/orgs/new/", create_data())
    event = Event.objects.get()

    assert event.action == Event.Action.ORGANIZATION_CREATED
    assert event.actor == user
    assert event.actor_name == "founder@example.com"
    assert event.organization.name == "Harbor Logistics"
    assert event.summary() == "Created the organization Harbor Logistics."


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": ""}, "name"),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    ({"time_zone": ""}, "time_zone"),
    ({"country": "XX"}, "country"),
])
def test_create_organization_rejects_invalid_input(client, make_user, changes, field):
    client.force_login(make_user())

    response = client.post("/orgs/new/", create_data(**changes))

    assert response.status_code == HTTPStatus.OK
    assert field in response.context["form"].errors
    assert Organization.objects.count() == 0
    assert Event.objects.count() == 0


def test_same_name_gets_distinct_slugs(client, make_user):
    client.force_login(make_user())

    for _ in range(3):
        client.post("/orgs/new/", create_data())

    slugs = list(Organization.objects.order_by("pk").values_list("slug", flat=True))
    assert slugs == ["harbor-logistics", "harbor-logistics-2", "harbor-logistics-3"]


def test_name_without_letters_gets_a_slug(client, make_user):
    client.force_login(make_user())

    client.post("/orgs/new/", create_data(name="!!!"))

    assert Organization.objects.get().slug == "organization"


def test_create_organization_requires_sign_in(client):
    response = client.post("/orgs/new/", create_data())

    assert response.status_code == HTTPStatus.FOUND
    assert Organization.objects.count() == 0


@pytest.fixture
def resellers(db):
    return [
        Reseller.objects.create(name="Nordic Secure", kind=Reseller.Kind.RESELLER, country="SE",
                                city="Malmö", email="sales@nordic.example"),
        Reseller.objects.create(name="Baltic Integrators", kind=Reseller.Kind.INTEGRATOR,
                                country="SE", city="Stockholm"),
        Reseller.objects.create(name="Prairie Systems", kind=Reseller.Kind.RESELLER,
                                country="US", city="Chicago"),
    ]


def test_where_to_buy_lists_resellers_of_country(client, resellers):
    response = client.get("/where-to-buy/", {"country": "SE"})
    listed = [reseller.name for reseller in response.context["resellers"]]

    assert response.status_code == HTTPStatus.OK
    assert listed == ["Baltic Integrators", "Nordic Secure"]
    assert "Prairie Systems" not in response.content.decode()


def test_where_to_buy_offers_only_countries_with_resellers(client, resellers):
    response = client.get("/where-to-buy/")

    assert response.context["countries"] == [("SE", "Sweden"), ("US", "United States of America")]
    assert list(response.context["resellers"]) == []


def test_where_to_buy_accepts_lower_case_code(client, resellers):
    response = client.get("/where-to-buy/", {"country": "us"})

    assert [reseller.name for reseller in response.context["resellers"]] == ["Prairie Systems"]


@pytest.mark.parametrize("code", ["ZZ", "SWEDEN", "<script>", "S"])
def test_where_to_buy_ignores_unknown_country(client, resellers, code):
    response = client.get("/where-to-buy/", {"country": code})

    assert response.status_code == HTTPStatus.OK
    assert response.context["country"] == ""
    assert list(response.context["resellers"]) == []


def test_where_to_buy_country_without_resellers_says_so(client, resellers):
    response = client.get("/where-to-buy/", {"country": "NO"})

    assert response.status_code == HTTPStatus.OK
    assert "No reseller is listed in this country yet." in response.content.decode()


def test_where_to_buy_is_public(client):
    response = client.get("/where-to-buy/")

    assert response.status_code == HTTPStatus.OK


def test_home_sends_signed_in_user_to_organizations(client, make_user):
    client.force_login(make_user())

    response = client.get("/")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/orgs/"


def test_home_welcomes_anonymous_visitor(client):
    response = client.get("/")

    assert response.status_code == HTTPStatus.OK
    assert "Sign in" in response.content.decode()


@organization_view()
def read_page(request):
    return HttpResponse(f"{request.organization.slug} {timezone.get_current_timezone_name()}")


@organization_view(change=True)
def change_page(request):
    return HttpResponse(f"changed {request.organization.slug} as {request.membership.role}")


def call(view, user, organization):
    request = RequestFactory().post("/")
    request.user = user
    return view(request, slug=organization.slug)


@pytest.mark.parametrize("view", [read_page, change_page])
def test_organization_view_hides_organization_from_outsider(outsider, organization, view):
    with pytest.raises(Http404):
        call(view, outsider, organization)


def test_organization_view_rejects_viewer_change(viewer_user, organization):
    with pytest.raises(PermissionDenied):
        call(change_page, viewer_user, organization)


@pytest.mark.parametrize(("role", "fixture"), [
    (Role.ADMIN, "admin_user"), (Role.OPERATOR, "operator_user"),
])
def test_organization_view_lets_admin_and_operator_change(request, organization, role, fixture):
    response = call(change_page, request.getfixturevalue(fixture), organization)

    assert response.content.decode() == f"changed {organization.slug} as {role}"


def test_organization_view_lets_viewer_read_in_organization_zone(viewer_user, organization):
    response = call(read_page, viewer_user, organization)

    assert response.content.decode() == f"{organization.slug} Europe/Stockholm"
    assert timezone.get_current_timezone_name() == "UTC"


def test_viewer_gets_forbidden_on_change_route(client, viewer_user, organization):
    client.force_login(viewer_user)

    response = client.post(f"/orgs/{organization.slug}/wallet/redeem/", {"key": "x"})

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_double_submit_creates_one_organization(client, make_user):
    client.force_login(make_user())
    data = create_data()

    first = client.post("/orgs/new/", data)
    second = client.post("/orgs/new/", data)

    assert Organization.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert Event.objects.filter(action=Event.Action.ORGANIZATION_CREATED).count() == 1


def test_token_reused_for_other_name_is_rejected(client, make_user):
    client.force_login(make_user())
    data = create_data()
    client.post("/orgs/new/", data)

    response = client.post("/orgs/new/", {**data, "name": "Other Name"})

    assert response.status_code == HTTPStatus.OK
    assert "already submitted" in response.content.decode()
    assert Organization.objects.count() == 1


def test_name_new_gets_a_free_slug(client, make_user):
    client.force_login(make_user())

    client.post("/orgs/new/", create_data(name="New"))

    assert Organization.objects.get().slug == "new-organization"
