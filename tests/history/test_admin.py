from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission

from history.models import Event, Submission

from .conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, make_user):
    user = make_user("root@example.com")
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


@pytest.fixture
def event(organization, admin_user, make_event):
    return make_event(organization, at=local(2026, 12, 4, 9, 0), actor=admin_user)


def test_admin_lists_events(superuser_client, event):
    response = superuser_client.get("/admin/history/event/")

    assert response.status_code == HTTPStatus.OK
    assert "admin@example.com" in response.content.decode()


def test_admin_searches_events_by_actor_name(superuser_client, event, organization, make_event):
    other = make_event(organization, at=local(2026, 12, 4, 10, 0))

    response = superuser_client.get("/admin/history/event/", {"q": "admin@"})
    listed = list(response.context["cl"].result_list)

    assert listed == [event]
    assert other not in listed


@pytest.mark.parametrize("parameter", ["action", "actor_kind", "organization__id__exact"])
def test_admin_filters_events(superuser_client, event, parameter):
    values = {
        "action": event.action,
        "actor_kind": event.actor_kind,
        "organization__id__exact": event.organization_id,
    }

    response = superuser_client.get("/admin/history/event/", {parameter: values[parameter]})

    assert list(response.context["cl"].result_list) == [event]


def test_admin_shows_event_read_only(superuser_client, event):
    response = superuser_client.get(f"/admin/history/event/{event.pk}/change/")

    assert response.status_code == HTTPStatus.OK
    assert response.context["has_change_permission"] is False
    assert "Started a 30-day trial" in response.content.decode()


def test_admin_cannot_change_event(superuser_client, event):
    response = superuser_client.post(
        f"/admin/history/event/{event.pk}/change/", {"actor_name": "Someone else"}
    )
    event.refresh_from_db()

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert event.actor_name == "admin@example.com"


def test_admin_cannot_delete_event(superuser_client, event):
    response = superuser_client.post(f"/admin/history/event/{event.pk}/delete/", {"post": "yes"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Event.objects.filter(pk=event.pk).exists()


def test_admin_offers_no_bulk_delete_of_events(superuser_client, event):
    response = superuser_client.get("/admin/history/event/")

    assert "delete_selected" not in response.context["cl"].model_admin.get_actions(
        response.wsgi_request
    )


def test_admin_cannot_add_event(superuser_client):
    response = superuser_client.get("/admin/history/event/add/")

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_staff_with_every_event_permission_still_cannot_delete(client, make_user, event):
    user = make_user("staff@example.com")
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="history"))
    client.force_login(user)

    response = client.post(f"/admin/history/event/{event.pk}/delete/", {"post": "yes"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Event.objects.filter(pk=event.pk).exists()


def test_admin_shows_submissions_read_only(superuser_client, organization, admin_user):
    submission = Submission.objects.create(
        token="1b4e28ba-2fa1-11d2-883f-0016d3cca427", organization=organization,
        user=admin_user, fingerprint="f" * 64, result={"ok": True},
    )

    change_page = superuser_client.get(f"/admin/history/submission/{submission.pk}/change/")
    deleted = superuser_client.post(
        f"/admin/history/submission/{submission.pk}/delete/", {"post": "yes"}
    )

    assert change_page.status_code == HTTPStatus.OK
    assert change_page.context["has_change_permission"] is False
    assert deleted.status_code == HTTPStatus.FORBIDDEN
    assert Submission.objects.filter(pk=submission.pk).exists()
