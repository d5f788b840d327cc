import uuid

import pytest

from history.idempotency import TokenReused, run_once
from history.models import Submission

pytestmark = pytest.mark.django_db


def counting_operation(calls: list):
    def operation():
        calls.append(1)
        return {"call": len(calls)}

    return operation


def test_replay_returns_first_result(organization, admin_user):
    token, calls = uuid.uuid4(), []
    arguments = dict(token=token, organization=organization, user=admin_user, scope="demo",
                     data={"value": 1}, operation=counting_operation(calls))

    first = run_once(**arguments)
    second = run_once(**arguments)

    assert first == ({"call": 1}, True)
    assert second == ({"call": 1}, False)
    assert len(calls) == 1


@pytest.mark.parametrize("change", ["data", "scope", "user", "organization"])
def test_token_with_other_input_is_rejected(
    organization, other_organization, admin_user, outsider, change
):
    token, calls = uuid.uuid4(), []
    arguments = dict(token=token, organization=organization, user=admin_user, scope="demo",
                     data={"value": 1}, operation=counting_operation(calls))
    run_once(**arguments)
    replaced = {
        "data": {"data": {"value": 2}},
        "scope": {"scope": "other"},
        "user": {"user": outsider},
        "organization": {"organization": other_organization},
    }[change]

    with pytest.raises(TokenReused):
        run_once(**{**arguments, **replaced})

    assert len(calls) == 1


def test_failed_operation_leaves_token_unused(organization, admin_user):
    token = uuid.uuid4()

    def fail():
        raise ValueError("invalid input")

    with pytest.raises(ValueError):
        run_once(token=token, organization=organization, user=admin_user, scope="demo",
                 data={}, operation=fail)
    result, ran = run_once(token=token, organization=organization, user=admin_user,
                           scope="demo", data={}, operation=lambda: {"ok": True})

    assert ran is True
    assert result == {"ok": True}
    assert Submission.objects.filter(token=token).count() == 1
