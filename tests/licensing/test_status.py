"""The status rules of ``state_of``, on facts built in memory."""

import datetime

import pytest

from licensing.calendar import anniversary, grace_end
from licensing.models import Product, Subscription, SubscriptionPeriod, Trial
from licensing.status import Status, state_of

from .conftest import STOCKHOLM, local

pytestmark = pytest.mark.django_db

PRODUCT = Product(code="camera-recorder", name="Camera Recorder", unit="device")
ACTIVATED_AT = local(2026, 1, 10, 9, 0)
YEAR_END = anniversary(ACTIVATED_AT, 1, STOCKHOLM)
GRACE_END = grace_end(ACTIVATED_AT, STOCKHOLM)
SECOND = datetime.timedelta(seconds=1)


def trial(ends_at):
    return Trial(started_at=ends_at - datetime.timedelta(days=30), ends_at=ends_at)


def subscription(usage):
    return Subscription(activated_at=ACTIVATED_AT, usage=usage, usage_changed_at=ACTIVATED_AT)


def first_period(licensed, grace_ends_at=None):
    return SubscriptionPeriod(
        number=1, starts_at=ACTIVATED_AT, ends_at=YEAR_END,
        licensed_units=licensed, grace_ends_at=grace_ends_at,
    )


def state(now, *, trial=None, subscription=None, periods=(), wallet=0):
    return state_of(
        product=PRODUCT, now=now, tz=STOCKHOLM, trial=trial, subscription=subscription,
        periods=list(periods), wallet=wallet,
    )


@pytest.mark.parametrize(("facts", "now", "status"), [
    pytest.param(
        {"trial": trial(local(2026, 2, 1, 9, 0))}, local(2026, 1, 20, 9, 0), Status.TRIAL,
        id="trial running",
    ),
    pytest.param(
        {"trial": trial(local(2026, 2, 1, 9, 0))}, local(2026, 2, 1, 9, 0), Status.TRIAL_ENDED,
        id="trial ended",
    ),
    pytest.param(
        {"subscription": subscription(3), "periods": [first_period(0, GRACE_END)]},
        ACTIVATED_AT, Status.GRACE,
        id="grace",
    ),
    pytest.param(
        {"subscription": subscription(3), "periods": [first_period(3)]},
        ACTIVATED_AT, Status.LICENSED,
        id="licensed",
    ),
    pytest.param(
        {"subscription": subscription(2), "periods": [first_period(5)]},
        ACTIVATED_AT, Status.LICENSED,
        id="licensed above usage",
    ),
    pytest.param(
        {"subscription": subscription(0), "periods": [first_period(0)]},
        ACTIVATED_AT, Status.LICENSED,
        id="no units in use",
    ),
    pytest.param(
        {"subscription": subscription(3), "periods": [first_period(0, GRACE_END)]},
        GRACE_END + datetime.timedelta(days=1), Status.UNLICENSED,
        id="unlicensed",
    ),
    pytest.param(
        {"subscription": subscription(3), "periods": [first_period(3, GRACE_END)]},
        GRACE_END + datetime.timedelta(days=1), Status.LICENSED,
        id="licensed after grace",
    ),
    pytest.param(
        {
            "trial": trial(local(2026, 2, 1, 9, 0)),
            "subscription": subscription(3),
            "periods": [first_period(3)],
        },
        ACTIVATED_AT, Status.LICENSED,
        id="activated during trial",
    ),
])
def test_status_of_facts(facts, now, status):
    assert state(now, **facts).status == status


def test_grace_one_second_before_its_end():
    facts = {"subscription": subscription(3), "periods": [first_period(0, GRACE_END)]}

    assert state(GRACE_END - SECOND, **facts).status == Status.GRACE


def test_unlicensed_at_grace_end():
    facts = {"subscription": subscription(3), "periods": [first_period(0, GRACE_END)]}

    assert state(GRACE_END, **facts).status == Status.UNLICENSED


def test_trial_ended_at_its_end():
    ends_at = local(2026, 2, 1, 9, 0)

    assert state(ends_at - SECOND, trial=trial(ends_at)).status == Status.TRIAL
    assert state(ends_at, trial=trial(ends_at)).status == Status.TRIAL_ENDED


def test_pending_renewal_starts_grace_at_anniversary():
    # The year ended, and no renewal is written yet: the new year holds no
    # licenses and its grace period runs from the anniversary.
    now = YEAR_END + datetime.timedelta(days=2)

    result = state(now, subscription=subscription(3), periods=[first_period(3)], wallet=5)

    assert result.status == Status.GRACE
    assert result.licensed_units == 0
    assert result.ends_at == grace_end(YEAR_END, STOCKHOLM)
    assert result.next_renewal_at == anniversary(ACTIVATED_AT, 2, STOCKHOLM)


def test_pending_renewal_unlicensed_after_its_grace():
    now = grace_end(YEAR_END, STOCKHOLM)

    result = state(now, subscription=subscription(3), periods=[first_period(3)])

    assert result.status == Status.UNLICENSED


def test_pending_renewal_without_usage_licensed():
    now = YEAR_END + datetime.timedelta(days=2)

    result = state(now, subscription=subscription(0), periods=[first_period(3)])

    assert result.status == Status.LICENSED


def test_trial_state_ends_at_trial_end():
    ends_at = local(2026, 2, 1, 9, 0)

    result = state(local(2026, 1, 20, 9, 0), trial=trial(ends_at))

    assert result.ends_at == ends_at
    assert result.usage is None
    assert result.next_renewal_at is None


def test_licensed_state_has_no_end():
    result = state(ACTIVATED_AT, subscription=subscription(3), periods=[first_period(3)])

    assert result.ends_at is None
    assert result.days_left is None
    assert result.next_renewal_at == YEAR_END


def test_grace_state_counts_shortfall_and_wallet():
    result = state(
        ACTIVATED_AT, subscription=subscription(5), periods=[first_period(2, GRACE_END)], wallet=1,
    )

    assert result.shortfall == 3
    assert result.wallet == 1
    assert result.ends_at == GRACE_END


@pytest.mark.parametrize(("before_end", "days"), [
    (datetime.timedelta(days=30), 30),
    (datetime.timedelta(days=29, hours=1), 30),
    (datetime.timedelta(hours=1), 1),
    (SECOND, 1),
])
def test_days_left_counts_started_days(before_end, days):
    facts = {"subscription": subscription(3), "periods": [first_period(0, GRACE_END)]}

    assert state(GRACE_END - before_end, **facts).days_left == days


def test_state_needs_trial_or_subscription():
    with pytest.raises(ValueError, match="camera-recorder"):
        state(ACTIVATED_AT)
