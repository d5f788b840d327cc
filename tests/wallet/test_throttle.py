import pytest
from django.test import RequestFactory

from wallet import throttle

pytestmark = pytest.mark.django_db


def request_from(user, address):
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    request.user = user
    return request


def fail(request, times):
    for _ in range(times):
        throttle.record_failure(request, "unknown key")


def test_user_throttled_after_ten_failures(make_user):
    user = make_user()
    fail(request_from(user, "127.0.0.10"), 9)

    assert throttle.is_throttled(request_from(user, "127.0.0.10")) is False

    fail(request_from(user, "127.0.0.10"), 1)

    assert throttle.is_throttled(request_from(user, "127.0.0.10")) is True


def test_user_throttled_from_any_address(make_user):
    user = make_user()
    fail(request_from(user, "127.0.0.10"), 10)

    assert throttle.is_throttled(request_from(user, "127.0.0.99")) is True


def test_address_throttled_for_every_user(make_user):
    fail(request_from(make_user(), "127.0.0.10"), 10)

    assert throttle.is_throttled(request_from(make_user(), "127.0.0.10")) is True
    assert throttle.is_throttled(request_from(make_user(), "127.0.0.11")) is False
