import csv
import datetime
import io
from http import HTTPStatus

import pytest
import time_machine
from django.http import StreamingHttpResponse

from history.models import Event
from history.views import neutralize_formula

from .conftest import local

pytestmark = pytest.mark.django_db

HEADER = [
    "time", "time zone", "actor", "actor kind", "action", "product code", "product name",
    "description",
]


def export_url(organization) -> str:
    return f"/orgs/{organization.slug}/history/export.csv"


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def redemption(organization, admin_user, product, make_event):
    return make_event(
        organization, at=datetime.datetime(2026, 12, 4, 12, 30, tzinfo=datetime.UTC),
        actor=admin_user, product=product, action=Event.Action.KEY_REDEEMED,
        details={"key_end": "7QX2", "licenses": 5, "consumed": 5},
    )


def test_export_streams_csv(admin_client, organization, redemption):
    response = admin_client.get(export_url(organization))

    assert response.status_code == HTTPStatus.OK
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_export_row_has_every_column(admin_client, organization, redemption):
    rows = read_csv(admin_client.get(export_url(organization)))

    assert rows[0] == HEADER
    assert rows[1] == [
        "2026-12-04T13:30:00+01:00",
        "Europe/Stockholm",
        "admin@example.com",
        "Person",
        "License key redeemed",
        "camera-recorder",
        "Camera Recorder",
        "Redeemed license key …7QX2 with 5 licenses of Camera Recorder. 5 licenses consumed.",
    ]


def test_export_names_scheduler_as_system(admin_client, organization, make_event):
    make_event(organization, at=local(2026, 12, 4, 9, 0), action=Event.Action.TRIAL_ENDED,
               details={"product_name": "Camera Recorder"})

    rows = read_csv(admin_client.get(export_url(organization)))

    assert rows[1][2:4] == ["System", "System"]


def test_export_shows_grace_end_in_organization_zone(
    admin_client, organization, admin_user, product, make_event
):
    make_event(
        organization, at=local(2026, 12, 4, 9, 0), actor=admin_user, product=product,
        action=Event.Action.ACTIVATED,
        details={"terms_version": "1.0", "usage": 2,
                 "grace_ends_at": "2027-01-03T08:00:00+00:00"},
    )

    rows = read_csv(admin_client.get(export_url(organization)))

    assert rows[1][7].endswith("Grace period until 3 Jan 2027, 09:00 CET.")


def test_export_time_has_summer_offset(admin_client, organization, make_event):
    make_event(organization, at=datetime.datetime(2026, 7, 1, 10, 0, tzinfo=datetime.UTC))

    rows = read_csv(admin_client.get(export_url(organization)))

    assert rows[1][0] == "2026-07-01T12:00:00+02:00"


def test_export_contains_every_page(admin_client, organization, make_event):
    for minute in range(120):
        make_event(organization, at=local(2026, 12, 1, 9, 0) + datetime.timedelta(minutes=minute))

    rows = read_csv(admin_client.get(export_url(organization)))

    assert len(rows) == 1 + 120
    assert rows[1][0] == "2026-12-01T10:59:00+01:00"
    assert rows[-1][0] == "2026-12-01T09:00:00+01:00"


def test_export_applies_filters(
    admin_client, organization, redemption, operator_user, make_event
):
    make_event(organization, at=local(2026, 12, 5, 9, 0), actor=operator_user)
    make_event(organization, at=local(2026, 12, 3, 9, 0), actor=operator_user)

    response = admin_client.get(export_url(organization), {
        "member": operator_user.pk, "from_date": "2026-12-04", "to_date": "2026-12-06",
    })
    rows = read_csv(response)

    assert [row[0] for row in rows[1:]] == ["2026-12-05T09:00:00+01:00"]


def test_export_ignores_cursor(admin_client, organization, redemption):
    rows = read_csv(admin_client.get(export_url(organization), {"cursor": "1_1"}))

    assert len(rows) == 2


def test_export_with_invalid_filter_shows_error(admin_client, organization, redemption):
    response = admin_client.get(
        export_url(organization), {"from_date": "2026-12-05", "to_date": "2026-12-04"}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].has_error("from_date", "from_after_to")


def test_export_of_empty_history_has_header_only(admin_client, organization):
    rows = read_csv(admin_client.get(export_url(organization)))

    assert rows == [HEADER]


@time_machine.travel(datetime.datetime(2026, 12, 4, 23, 30, tzinfo=datetime.UTC), tick=False)
def test_export_filename_has_slug_and_local_date(admin_client, organization):
    # 23:30 UTC on 4 December is already 5 December in Stockholm.
    response = admin_client.get(export_url(organization))

    assert response["Content-Disposition"] == (
        f'attachment; filename="history-{organization.slug}-2026-12-05.csv"'
    )


@pytest.mark.parametrize("name", [
    "=HYPERLINK(\"http://example.com\")",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
])
def test_export_neutralizes_formulas(client, organization, make_user, make_member, make_event,
                                     name):
    user = make_user()
    user.first_name = name
    user.save()
    make_member(user, organization)
    make_event(organization, at=local(2026, 12, 4, 9, 0), actor=user)
    client.force_login(user)

    rows = read_csv(client.get(export_url(organization)))

    assert rows[1][2] == f"'{name} <{user.email}>"


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@A1", "'@A1"),
    ("\t=1", "'\t=1"),
    ("Camera = Recorder", "Camera = Recorder"),
    ("2026-12-04T13:30:00+01:00", "2026-12-04T13:30:00+01:00"),
    ("", ""),
])
def test_neutralize_formula(value, expected):
    assert neutralize_formula(value) == expected


@pytest.mark.parametrize("role", ["admin_user", "operator_user", "viewer_user"])
def test_every_member_role_exports(member_client, organization, redemption, role):
    response = member_client(role).get(export_url(organization))

    assert response.status_code == HTTPStatus.OK
    assert len(read_csv(response)) == 2


def test_outsider_cannot_export(client, outsider, organization, redemption):
    client.force_login(outsider)

    response = client.get(export_url(organization))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_anonymous_export_is_sent_to_sign_in(client, organization):
    response = client.get(export_url(organization))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")
