import pytest
from django.db import DatabaseError, connection, transaction

from history.models import AppendOnlyError, Event

from .conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(organization, admin_user, make_event):
    return make_event(organization, at=local(2026, 12, 4, 9, 0), actor=admin_user)


def test_saving_changed_event_raises(event):
    event.actor_name = "Someone else"

    with pytest.raises(AppendOnlyError):
        event.save()


def test_deleting_event_raises(event):
    with pytest.raises(AppendOnlyError):
        event.delete()

    assert Event.objects.filter(pk=event.pk).exists()


def test_queryset_update_raises(event):
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(actor_name="Someone else")


def test_queryset_delete_raises(event):
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).delete()

    assert Event.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("statement", [
    "UPDATE history_event SET actor_name = 'Someone else' WHERE id = %s",
    "DELETE FROM history_event WHERE id = %s",
])
def test_database_rejects_raw_sql_change(event, statement):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")

    # The savepoint keeps the test's transaction usable after the rejection.
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])

    event.refresh_from_db()
    assert event.actor_name == "admin@example.com"


def test_deleting_user_keeps_their_events(organization, make_user, make_member, make_event):
    user = make_user("leaving@example.com")
    user.first_name, user.last_name = "Lee", "Leaving"
    user.save()
    make_member(user, organization)
    event = make_event(organization, at=local(2026, 12, 4, 9, 0), actor=user)
    user_id = user.pk

    user.delete()
    event.refresh_from_db()

    assert event.actor_name == "Lee Leaving <leaving@example.com>"
    assert event.actor_id == user_id


def test_history_page_shows_deleted_users_name(
    admin_client, organization, make_user, make_member, make_event
):
    user = make_user("leaving@example.com")
    make_member(user, organization)
    make_event(organization, at=local(2026, 12, 4, 9, 0), actor=user)
    user.delete()

    response = admin_client.get(f"/orgs/{organization.slug}/history/")

    assert "leaving@example.com" in response.content.decode()
