"""Random sequences of operations checked against a plain model of the rules.

Each example gets a new organization with two products and a clock of its
own. After every step the database must agree with the model, and
check_ledger must find nothing.
"""

import datetime
import itertools
import zoneinfo
from dataclasses import dataclass, field

import pytest
import time_machine
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from django.contrib.auth import get_user_model
from django.utils import timezone

from history.models import Event
from licensing.calendar import add_days, anniversary, grace_end
from licensing.models import Product, Subscription, Terms
from licensing.periods import current_period
from licensing.scheduled import process_due
from licensing.services import (
    ActivationRequest, LicensingError, activate_products, set_usage, start_trial,
)
from licensing.status import Status, product_states
from organizations.models import Organization
from wallet.audit import find_violations
from wallet.issuing import issue_keys
from wallet.models import WalletBalance
from wallet.services import redeem_key

TZ_NAME = "Europe/Stockholm"
TZ = zoneinfo.ZoneInfo(TZ_NAME)
START = datetime.datetime(2026, 3, 20, 9, 0, tzinfo=TZ)
_numbers = itertools.count(1)


@dataclass
class ProductModel:
    trial_ends_at: datetime.datetime | None = None
    activated_at: datetime.datetime | None = None
    periods: int = 0
    usage: int = 0
    licensed: int = 0
    wallet: int = 0
    grace_ends_at: datetime.datetime | None = None
    trial_ended_by_activation: bool = False
    trial_end_recorded: bool = False
    # (licensed units, grace end) of each period before the current one.
    past_periods: list = field(default_factory=list)
    grace_ends_recorded: set = field(default_factory=set)

    @property
    def shortfall(self) -> int:
        return max(0, self.usage - self.licensed)

    def period_end(self) -> datetime.datetime:
        return anniversary(self.activated_at, self.periods, TZ)

    def consume_shortfall(self) -> None:
        if 0 < self.shortfall <= self.wallet:
            self.wallet -= self.shortfall
            self.licensed = self.usage

    def renew_through(self, now) -> int:
        renewals = 0
        while self.activated_at is not None and self.period_end() <= now:
            start = self.period_end()
            self.past_periods.append((self.licensed, self.grace_ends_at))
            self.periods += 1
            self.licensed = 0
            self.grace_ends_at = None
            self.consume_shortfall()
            if self.shortfall:
                self.grace_ends_at = grace_end(start, TZ)
            renewals += 1
        return renewals

    def record_ends(self, now) -> int:
        """Count the end events that a scheduled pass writes now."""
        events = 0
        trial_over = self.trial_ends_at is not None and self.trial_ends_at <= now
        if trial_over and not self.trial_end_recorded:
            self.trial_end_recorded = True
            events += 0 if self.trial_ended_by_activation else 1
        periods = [*self.past_periods, (self.licensed, self.grace_ends_at)]
        for licensed, grace_ends_at in periods:
            if grace_ends_at is None or grace_ends_at > now:
                continue
            if grace_ends_at in self.grace_ends_recorded:
                continue
            self.grace_ends_recorded.add(grace_ends_at)
            events += 1 if self.usage > licensed else 0
        return events


class LicensingMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        number = next(_numbers)
        self.traveller = time_machine.travel(START, tick=False)
        self.clock = self.traveller.start()
        self.organization = Organization.objects.create(
            name=f"Model {number}", slug=f"model-{number}", country="SE", time_zone=TZ_NAME
        )
        self.actor = get_user_model().objects.create_user(
            username=f"model{number}@example.com", email=f"model{number}@example.com"
        )
        self.products = []
        for index in range(2):
            product = Product.objects.create(
                code=f"model-{number}-{index}", name=f"Model product {index}", unit="device",
                unit_plural="devices", trial_days=30,
            )
            Terms.objects.create(product=product, version="1", text="Terms.", published_at=START)
            self.products.append(product)
        self.model = {product.pk: ProductModel() for product in self.products}
        self.events = 0

    def teardown(self):
        self.traveller.stop()

    products_index = st.integers(min_value=0, max_value=1)

    def now(self) -> datetime.datetime:
        return timezone.now()

    @rule(index=products_index)
    def start_a_trial(self, index):
        product, state = self.products[index], self.model[self.products[index].pk]
        if state.trial_ends_at is not None or state.activated_at is not None:
            with pytest.raises(LicensingError):
                start_trial(organization=self.organization, product=product, actor=self.actor)
            return
        start_trial(organization=self.organization, product=product, actor=self.actor)
        state.trial_ends_at = add_days(self.now(), 30, TZ)
        self.events += 1

    @rule(index=products_index, usage=st.integers(min_value=1, max_value=12))
    def activate(self, index, usage):
        product, state = self.products[index], self.model[self.products[index].pk]
        request = ActivationRequest(product=product, usage=usage, terms=product.current_terms())
        if state.activated_at is not None:
            with pytest.raises(LicensingError):
                activate_products(organization=self.organization, requests=[request], actor=self.actor)
            return
        activate_products(organization=self.organization, requests=[request], actor=self.actor)
        now = self.now()
        state.activated_at, state.periods, state.usage = now, 1, usage
        if state.trial_ends_at and state.trial_ends_at > now:
            state.trial_ends_at = now
            state.trial_ended_by_activation = True
        state.consume_shortfall()
        if state.shortfall:
            state.grace_ends_at = grace_end(now, TZ)
        self.events += 1

    @rule(index=products_index, usage=st.integers(min_value=0, max_value=12))
    def change_usage(self, index, usage):
        product, state = self.products[index], self.model[self.products[index].pk]
        if state.activated_at is None:
            with pytest.raises(LicensingError):
                set_usage(organization=self.organization, product=product, usage=usage, actor=self.actor)
            return
        if usage == state.usage:
            # The rejected change rolls back the renewals it wrote first.
            with pytest.raises(LicensingError):
                set_usage(organization=self.organization, product=product, usage=usage, actor=self.actor)
            return
        self.events += state.renew_through(self.now())
        set_usage(organization=self.organization, product=product, usage=usage, actor=self.actor)
        old_shortfall = state.shortfall
        state.usage = usage
        state.consume_shortfall()
        if state.shortfall and not old_shortfall:
            state.grace_ends_at = grace_end(self.now(), TZ)
        self.events += 1

    @rule(index=products_index, licenses=st.integers(min_value=1, max_value=15))
    def redeem(self, index, licenses):
        product, state = self.products[index], self.model[self.products[index].pk]
        [key] = issue_keys(product=product, licenses=licenses, count=1)
        redeem_key(organization=self.organization, key_text=key, actor=self.actor)
        self.events += state.renew_through(self.now())
        state.wallet += licenses
        state.consume_shortfall()
        self.events += 1

    @rule(days=st.integers(min_value=1, max_value=200), hours=st.integers(min_value=0, max_value=23))
    def move_clock(self, days, hours):
        self.clock.shift(datetime.timedelta(days=days, hours=hours))

    @rule()
    def run_renewal_pass(self):
        process_due()
        for state in self.model.values():
            self.events += state.renew_through(self.now())
            self.events += state.record_ends(self.now())

    @invariant()
    def database_matches_model(self):
        now = self.now()
        balances = dict(
            WalletBalance.objects.filter(organization=self.organization)
            .values_list("product_id", "licenses")
        )
        for product in self.products:
            state = self.model[product.pk]
            assert balances.get(product.pk, 0) == state.wallet
            subscription = Subscription.objects.filter(
                organization=self.organization, product=product
            ).first()
            assert (subscription is None) == (state.activated_at is None)
            if subscription is None:
                continue
            assert subscription.usage == state.usage
            assert subscription.periods.count() == state.periods
            if state.period_end() > now:
                assert current_period(subscription, now).licensed_units == state.licensed

    @invariant()
    def status_matches_model(self):
        now = self.now()
        for computed in product_states(self.organization, now):
            state = self.model[computed.product.pk]
            if state.activated_at is None:
                expected = Status.TRIAL if state.trial_ends_at > now else Status.TRIAL_ENDED
            elif state.period_end() <= now:
                continue  # A renewal is pending; the renewal tests cover this case.
            elif state.shortfall == 0:
                expected = Status.LICENSED
            elif state.grace_ends_at > now:
                expected = Status.GRACE
            else:
                expected = Status.UNLICENSED
            assert computed.status == expected

    @invariant()
    def every_change_has_one_event(self):
        assert Event.objects.filter(organization=self.organization).count() == self.events

    @invariant()
    def ledger_is_consistent(self):
        assert find_violations() == []


@pytest.mark.django_db
def test_operations_match_model():
    run_state_machine_as_test(
        LicensingMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
