from http import HTTPStatus

import pytest

from history.models import Event
from organizations.models import Membership, Organization, Reseller, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, make_user):
    user = make_user("ops@example.com")
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


def organization_form(organization, **changes) -> dict:
    data = {
        "name": organization.name,
        "country": str(organization.country),
        "time_zone": organization.time_zone,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "0",
    }
    data.update(changes)
    return data


def change_url(organization) -> str:
    return f"/admin/organizations/organization/{organization.pk}/change/"


def test_admin_searches_organizations(staff_client, organization, other_organization):
    response = staff_client.get("/admin/organizations/organization/", {"q": "harbor"})

    assert list(response.context["cl"].result_list) == [organization]


def test_admin_finds_organization_by_member_email(
    staff_client, organization, other_organization, outsider
):
    response = staff_client.get("/admin/organizations/organization/", {"q": "outsider@"})

    assert list(response.context["cl"].result_list) == [other_organization]


def test_admin_shows_memberships_inline(staff_client, organization, admin_user, viewer_user):
    response = staff_client.get(change_url(organization))
    html = response.content.decode()

    assert response.status_code == HTTPStatus.OK
    assert "admin@example.com" in html
    assert "viewer@example.com" in html


def test_admin_correction_records_event(staff_client, organization):
    response = staff_client.post(
        change_url(organization), organization_form(organization, time_zone="Europe/Helsinki")
    )
    organization.refresh_from_db()
    event = Event.objects.get(organization=organization)

    assert response.status_code == HTTPStatus.FOUND
    assert organization.time_zone == "Europe/Helsinki"
    assert event.action == Event.Action.ORGANIZATION_CHANGED
    assert event.actor_name == "ops@example.com"
    assert event.summary() == (
        "Changed the time zone from “Europe/Stockholm” to “Europe/Helsinki”."
    )


def test_admin_save_without_change_records_nothing(staff_client, organization):
    staff_client.post(change_url(organization), organization_form(organization))

    assert Event.objects.filter(organization=organization).count() == 0


def test_admin_rejects_unknown_time_zone(staff_client, organization):
    response = staff_client.post(
        change_url(organization), organization_form(organization, time_zone="Mars/Olympus")
    )
    organization.refresh_from_db()

    assert response.status_code == HTTPStatus.OK
    assert organization.time_zone == "Europe/Stockholm"
    assert Event.objects.count() == 0


def test_admin_cannot_change_memberships(staff_client, organization, viewer_user):
    membership = Membership.objects.get(user=viewer_user)

    response = staff_client.post(
        f"/admin/organizations/membership/{membership.pk}/change/", {"role": Role.ADMIN}
    )
    membership.refresh_from_db()

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert membership.role == Role.VIEWER


@pytest.mark.parametrize("path", [
    "/admin/organizations/organization/add/",
    "/admin/organizations/membership/add/",
])
def test_admin_cannot_add_organizations_or_members(staff_client, path):
    response = staff_client.get(path)

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_admin_cannot_delete_organization(staff_client, organization):
    response = staff_client.post(
        f"/admin/organizations/organization/{organization.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_admin_lists_resellers_by_country(staff_client):
    Reseller.objects.create(name="Prairie Systems", kind=Reseller.Kind.RESELLER, country="US")
    sweden = Reseller.objects.create(name="Nordic Secure", kind=Reseller.Kind.RESELLER,
                                     country="SE")

    response = staff_client.get("/admin/organizations/reseller/", {"country": "SE"})

    assert list(response.context["cl"].result_list) == [sweden]


def test_admin_adds_reseller(staff_client):
    response = staff_client.post("/admin/organizations/reseller/add/", {
        "name": "Nordic Secure", "kind": Reseller.Kind.RESELLER, "country": "SE",
        "city": "Malmö", "website": "nordic.example", "email": "", "phone": "",
    })
    reseller = Reseller.objects.get()

    assert response.status_code == HTTPStatus.FOUND
    assert reseller.name == "Nordic Secure"
    assert reseller.website == "https://nordic.example"
