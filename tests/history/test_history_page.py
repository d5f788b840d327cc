import datetime
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from history.models import Event
from history.views import PAGE_SIZE

from .conftest import local

pytestmark = pytest.mark.django_db


def history_url(organization) -> str:
    return f"/orgs/{organization.slug}/history/"


def shown_ids(response) -> list[int]:
    return [event.pk for event in response.context["events"]]


def older_link_query(response) -> dict:
    """Return the query of the "Older events" link, built as the template builds it."""
    cursor = response.context["older_cursor"]
    assert cursor, "the page has no older events link"
    filters = response.context["filters"]
    return parse_qs(f"{filters}&cursor={cursor}" if filters else f"cursor={cursor}")


@pytest.fixture
def scene(make_event, make_product, organization, admin_user, operator_user):
    """Events of two products by two members over three days of December 2026."""
    recorder = make_product("camera-recorder")
    archive = make_product("video-archive")
    events = {
        "trial": make_event(organization, at=local(2026, 12, 1, 9, 0), actor=admin_user,
                            product=recorder),
        "activated": make_event(
            organization, at=local(2026, 12, 2, 10, 0), actor=operator_user, product=archive,
            action=Event.Action.ACTIVATED,
            details={"terms_version": "1.0", "usage": 3, "consumed": 0},
        ),
        "usage": make_event(
            organization, at=local(2026, 12, 3, 11, 0), actor=admin_user, product=archive,
            action=Event.Action.USAGE_CHANGED, details={"old_usage": 3, "new_usage": 5},
        ),
        "trial_ended": make_event(organization, at=local(2026, 12, 3, 12, 0), product=recorder,
                                  action=Event.Action.TRIAL_ENDED, details={}),
    }
    return {"events": events, "recorder": recorder, "archive": archive}


def test_history_lists_newest_first(admin_client, organization, scene):
    events = scene["events"]

    response = admin_client.get(history_url(organization))

    assert response.status_code == HTTPStatus.OK
    assert shown_ids(response) == [
        events["trial_ended"].pk, events["usage"].pk, events["activated"].pk, events["trial"].pk,
    ]


def test_history_shows_times_in_organization_zone(admin_client, organization, make_event):
    # 12:00 UTC is 13:00 in Stockholm in winter.
    make_event(organization, at=datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC))

    response = admin_client.get(history_url(organization))

    assert "4 Dec 2026, 13:00 CET" in response.content.decode()


def test_history_row_shows_who_action_product_and_summary(admin_client, organization, scene):
    response = admin_client.get(history_url(organization))
    html = response.content.decode()

    assert "operator@example.com" in html
    assert "Activated, terms accepted" in html
    assert "Video Archive" in html
    assert "Changed the usage of Video Archive from 3 to 5." in html


def test_history_names_scheduler_as_system(admin_client, organization, scene):
    response = admin_client.get(history_url(organization))
    rows = {event.pk: event for event in response.context["events"]}

    assert rows[scene["events"]["trial_ended"].pk].who == "System"


def test_history_hides_other_organizations_events(
    admin_client, organization, other_organization, make_event
):
    make_event(other_organization, at=local(2026, 12, 1, 9, 0))

    response = admin_client.get(history_url(organization))

    assert shown_ids(response) == []


@pytest.mark.parametrize(("query", "expected"), [
    ({"action": "activated"}, ["activated"]),
    ({"action": "trial_started"}, ["trial"]),
    ({"product": "camera-recorder"}, ["trial_ended", "trial"]),
    ({"product": "video-archive"}, ["usage", "activated"]),
    ({"member": "admin"}, ["usage", "trial"]),
    ({"member": "operator"}, ["activated"]),
    ({"from_date": "2026-12-02"}, ["trial_ended", "usage", "activated"]),
    ({"to_date": "2026-12-02"}, ["activated", "trial"]),
    ({"from_date": "2026-12-02", "to_date": "2026-12-02"}, ["activated"]),
])
def test_history_filter_alone(
    admin_client, organization, scene, admin_user, operator_user, query, expected
):
    members = {"admin": admin_user.pk, "operator": operator_user.pk}
    if "member" in query:
        query = {"member": members[query["member"]]}

    response = admin_client.get(history_url(organization), query)

    assert response.context["form"].errors == {}
    assert shown_ids(response) == [scene["events"][name].pk for name in expected]


@pytest.mark.parametrize(("query", "expected"), [
    ({"product": "video-archive", "member": "admin"}, ["usage"]),
    ({"product": "camera-recorder", "action": "trial_ended"}, ["trial_ended"]),
    ({"product": "video-archive", "from_date": "2026-12-03", "to_date": "2026-12-03"}, ["usage"]),
    ({"member": "admin", "action": "activated"}, []),
    ({"action": "trial_started", "from_date": "2026-12-02"}, []),
])
def test_history_filters_combined(
    admin_client, organization, scene, admin_user, operator_user, query, expected
):
    members = {"admin": admin_user.pk, "operator": operator_user.pk}
    if "member" in query:
        query = {**query, "member": members[query["member"]]}

    response = admin_client.get(history_url(organization), query)

    assert response.context["form"].errors == {}
    assert shown_ids(response) == [scene["events"][name].pk for name in expected]


def test_product_filter_offers_only_products_in_history(
    admin_client, organization, scene, make_product, other_organization, make_event
):
    unused = make_product("door-sensor")
    make_event(other_organization, at=local(2026, 12, 1, 9, 0), product=unused)

    response = admin_client.get(history_url(organization))
    offered = list(response.context["form"].fields["product"].queryset)

    assert offered == [scene["recorder"], scene["archive"]]


def test_member_filter_offers_only_members(
    admin_client, organization, admin_user, operator_user, viewer_user, outsider
):
    response = admin_client.get(history_url(organization))
    offered = list(response.context["form"].fields["member"].queryset)

    assert offered == [admin_user, operator_user, viewer_user]
    assert "outsider@example.com" not in response.content.decode()


@pytest.mark.parametrize(("occurred_at", "included"), [
    (local(2026, 12, 2, 23, 59, 59, 999999), False),
    (local(2026, 12, 3, 0, 0), True),
    (local(2026, 12, 4, 23, 59), True),
    (local(2026, 12, 4, 23, 59, 59, 999999), True),
    (local(2026, 12, 5, 0, 0), False),
])
def test_date_range_is_whole_days_in_organization_zone(
    admin_client, organization, make_event, occurred_at, included
):
    event = make_event(organization, at=occurred_at)

    response = admin_client.get(
        history_url(organization), {"from_date": "2026-12-03", "to_date": "2026-12-04"}
    )

    assert (event.pk in shown_ids(response)) is included


def test_date_range_follows_each_organizations_zone(
    client, other_organization, outsider, make_event
):
    # 05:30 UTC on 5 December is still 4 December in Chicago.
    event = make_event(
        other_organization, at=datetime.datetime(2026, 12, 5, 5, 30, tzinfo=datetime.UTC)
    )
    client.force_login(outsider)

    response = client.get(history_url(other_organization), {"to_date": "2026-12-04"})

    assert shown_ids(response) == [event.pk]


def test_date_range_across_skipped_midnight(
    client, make_organization, make_user, make_member, make_event
):
    # Santiago moved its clocks from 00:00 to 01:00 on 8 September 2024.
    santiago = make_organization(time_zone="America/Santiago", country="CL")
    user = make_user()
    make_member(user, santiago)
    before = make_event(santiago, at=datetime.datetime(2024, 9, 8, 3, 59, tzinfo=datetime.UTC))
    first = make_event(santiago, at=datetime.datetime(2024, 9, 8, 4, 0, tzinfo=datetime.UTC))
    client.force_login(user)

    response = client.get(history_url(santiago), {"from_date": "2024-09-08"})

    assert shown_ids(response) == [first.pk]
    assert before.pk not in shown_ids(response)


def test_from_after_to_is_an_error_on_from(admin_client, organization, scene):
    response = admin_client.get(
        history_url(organization), {"from_date": "2026-12-03", "to_date": "2026-12-02"}
    )
    form = response.context["form"]

    assert response.status_code == HTTPStatus.OK
    assert form.has_error("from_date", "from_after_to")
    assert "is after the “To” date 2026-12-02" in response.content.decode()
    assert shown_ids(response) == []


@pytest.mark.parametrize(("field", "value"), [
    ("from_date", "yesterday"),
    ("to_date", "2026-02-30"),
    ("action", "deleted_everything"),
    ("product", "no-such-product"),
    ("member", "999999"),
])
def test_invalid_filter_is_an_error_on_its_field(admin_client, organization, scene, field, value):
    response = admin_client.get(history_url(organization), {field: value})

    assert response.status_code == HTTPStatus.OK
    assert field in response.context["form"].errors
    assert shown_ids(response) == []


def test_invalid_date_says_expected_format(admin_client, organization):
    response = admin_client.get(history_url(organization), {"to_date": "4 December"})

    assert "Enter a valid date as YYYY-MM-DD" in response.content.decode()


def test_empty_history_says_nothing_happened(admin_client, organization):
    response = admin_client.get(history_url(organization))

    assert "Nothing has happened yet" in response.content.decode()


def test_filter_without_match_says_so(admin_client, organization, scene):
    response = admin_client.get(history_url(organization), {"action": "key_redeemed"})
    html = response.content.decode()

    assert "No events match these filters" in html
    assert "Nothing has happened yet" not in html


@pytest.fixture
def many_events(organization, make_event):
    """Events in pairs and triples at one instant, so pages end inside a tie."""
    events = []
    start = local(2026, 12, 1, 9, 0)
    for index in range(2 * PAGE_SIZE + 20):
        at = start + datetime.timedelta(seconds=index // 3)
        events.append(make_event(organization, at=at))
    return events


def test_pages_show_every_event_once(admin_client, organization, many_events):
    seen = []
    query = {}
    for _page in range(10):
        response = admin_client.get(history_url(organization), query)
        seen.extend(shown_ids(response))
        if not response.context["older_cursor"]:
            break
        query = older_link_query(response)

    expected = [event.pk for event in sorted(
        many_events, key=lambda event: (event.occurred_at, event.pk), reverse=True
    )]
    assert seen == expected


def test_first_page_has_page_size_events(admin_client, organization, many_events):
    response = admin_client.get(history_url(organization))

    assert len(shown_ids(response)) == PAGE_SIZE
    assert response.context["older_cursor"]


def test_older_link_carries_filters(admin_client, organization, many_events):
    response = admin_client.get(history_url(organization), {"action": "trial_started"})
    html = response.content.decode()

    assert f"?action=trial_started&amp;cursor={response.context['older_cursor']}" in html


def test_older_page_links_back_to_newest(admin_client, organization, many_events):
    first = admin_client.get(history_url(organization), {"action": "trial_started"})

    older = admin_client.get(history_url(organization), older_link_query(first))
    newest_link = f'href="{history_url(organization)}?action=trial_started" rel="first"'

    assert newest_link in older.content.decode()


def test_last_page_has_no_older_link(admin_client, organization, many_events):
    query = {}
    for _page in range(3):
        response = admin_client.get(history_url(organization), query)
        if response.context["older_cursor"]:
            query = older_link_query(response)

    assert len(shown_ids(response)) == 20
    assert response.context["older_cursor"] is None
    assert "Older events</a>" not in response.content.decode()


@pytest.mark.parametrize("cursor", [
    "nonsense",
    "123",
    "_5",
    "1798761600000000_",
    "1798761600000000_-3",
    "1798761600000000_0",
    "1798761600000000_99999999999999999999999",
    "999999999999999999999999999_5",
    "1_2_3",
    "1798761600000000_5\x00",
])
def test_invalid_cursor_starts_from_newest(admin_client, organization, many_events, cursor):
    newest = max(many_events, key=lambda event: (event.occurred_at, event.pk))

    response = admin_client.get(history_url(organization), {"cursor": cursor})

    assert response.status_code == HTTPStatus.OK
    assert shown_ids(response)[0] == newest.pk


def test_cursor_past_oldest_event_says_no_older(admin_client, organization, scene):
    response = admin_client.get(history_url(organization), {"cursor": "1_1"})

    assert shown_ids(response) == []
    assert "There are no older events." in response.content.decode()


def test_history_queries_do_not_grow_with_rows(
    admin_client, organization, make_event, make_product, admin_user
):
    product = make_product()
    make_event(organization, at=local(2026, 12, 1, 9, 0), actor=admin_user, product=product)
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(history_url(organization))

    for minute in range(1, 30):
        make_event(organization, at=local(2026, 12, 1, 9, minute), actor=admin_user,
                   product=product)
    with CaptureQueriesContext(connection) as thirty_rows:
        admin_client.get(history_url(organization))

    assert len(thirty_rows) == len(one_row)


@pytest.mark.parametrize("role", ["admin_user", "operator_user", "viewer_user"])
def test_every_member_role_reads_history(member_client, organization, scene, role):
    response = member_client(role).get(history_url(organization))

    assert response.status_code == HTTPStatus.OK
    assert len(shown_ids(response)) == 4


def test_outsider_gets_not_found(client, outsider, organization, scene):
    client.force_login(outsider)

    response = client.get(history_url(organization))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_anonymous_is_sent_to_sign_in(client, organization):
    response = client.get(history_url(organization))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("from_date", "0001-01-01", "Pick a date on or after 1 Jan 2000."),
        ("to_date", "9999-12-31", "Pick a date on or before 31 Dec 2999."),
    ],
)
def test_out_of_range_dates_are_errors(client, admin_user, organization, field, value, message):
    client.force_login(admin_user)

    page = client.get(f"/orgs/{organization.slug}/history/", {field: value})
    export = client.get(f"/orgs/{organization.slug}/history/export.csv", {field: value})

    assert page.status_code == 200
    assert message in page.content.decode()
    assert export.status_code == 400
