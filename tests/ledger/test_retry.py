"""Retries of transactions that PostgreSQL aborted on a conflict."""

import pytest
from django.db import OperationalError

from licensemgr.db import ATTEMPTS, DatabaseBusy, retry_on_conflict

# Retries happen only outside a transaction, so these tests run without one.
pytestmark = pytest.mark.django_db(transaction=True)


class Conflict(Exception):
    """Stands in for psycopg's error, which carries the SQLSTATE code."""

    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def failing(sqlstate, failures):
    calls = []

    @retry_on_conflict
    def operation():
        calls.append(1)
        if len(calls) <= failures:
            raise OperationalError("conflict") from Conflict(sqlstate)
        return "done"

    return operation, calls


@pytest.mark.parametrize("sqlstate", ["40001", "40P01", "55P03"])
def test_conflict_is_retried_until_it_clears(sqlstate):
    operation, calls = failing(sqlstate, failures=ATTEMPTS - 1)

    assert operation() == "done"
    assert len(calls) == ATTEMPTS


def test_lasting_conflict_reports_busy():
    operation, calls = failing("40P01", failures=ATTEMPTS)

    with pytest.raises(DatabaseBusy):
        operation()

    assert len(calls) == ATTEMPTS


def test_other_errors_are_not_retried():
    operation, calls = failing("08006", failures=1)

    with pytest.raises(OperationalError):
        operation()

    assert len(calls) == 1


def test_busy_page_says_nothing_changed(client, admin_user, organization, product, monkeypatch):
    from licensing import views

    def busy(**kwargs):
        raise DatabaseBusy("start_trial")

    monkeypatch.setattr(views.services, "start_trial", busy)
    client.force_login(admin_user)

    response = client.post(
        f"/orgs/{organization.slug}/products/{product.code}/trial/",
        {"submission_token": "6f1c9a52-8d1e-4c39-9a43-0c5d8f0f7b11"},
    )

    assert response.status_code == 503
    assert "Nothing was changed" in response.content.decode()
