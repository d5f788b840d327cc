import datetime
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from history.models import Event
from licensing.models import Milestone
from licensing.scheduled import process_due
from licensing.services import ActivationRequest, activate_products, start_trial
from licensing.status import Status, product_states
from organizations.models import Membership

from ..ledger.conftest import run_at_once

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=STOCKHOLM)


def activate(organization, product, actor, usage):
    activate_products(
        organization=organization,
        requests=[ActivationRequest(product=product, usage=usage, terms=product.current_terms())],
        actor=actor,
    )


def events(action):
    return Event.objects.filter(action=action)


@pytest.mark.django_db
def test_trial_end_recorded_once_at_its_instant(organization, admin_user, product):
    with time_machine.travel(local(2026, 6, 1, 12, 0), tick=False) as clock:
        trial = start_trial(organization=organization, product=product, actor=admin_user)
        clock.move_to(local(2026, 7, 4, 8, 0))
        first = process_due()
        second = process_due()

    event = events(Event.Action.TRIAL_ENDED).get()
    assert event.occurred_at == trial.ends_at
    assert event.actor_name == "System"
    assert first.ends == 1
    assert second.ends == 0


@pytest.mark.django_db
def test_trial_ended_by_activation_writes_no_end(organization, admin_user, product):
    with time_machine.travel(local(2026, 6, 1, 12, 0), tick=False) as clock:
        start_trial(organization=organization, product=product, actor=admin_user)
        clock.shift(datetime.timedelta(days=3))
        activate(organization, product, admin_user, usage=2)
        clock.shift(datetime.timedelta(days=40))
        process_due()

    assert not events(Event.Action.TRIAL_ENDED).exists()


@pytest.mark.django_db
def test_grace_end_recorded_when_still_short(organization, admin_user, product):
    with time_machine.travel(local(2026, 6, 1, 12, 0), tick=False) as clock:
        activate(organization, product, admin_user, usage=3)
        clock.move_to(local(2026, 7, 1, 11, 59, 59))
        before = product_states(organization, timezone.now())[0].status
        clock.move_to(local(2026, 7, 1, 12, 0))
        at_end = product_states(organization, timezone.now())[0].status
        process_due()

    event = events(Event.Action.GRACE_ENDED).get()
    assert before == Status.GRACE
    assert at_end == Status.UNLICENSED
    assert event.occurred_at == local(2026, 7, 1, 12, 0)
    assert event.details["shortfall"] == 3


@pytest.mark.django_db
def test_grace_end_at_midnight_is_grace_evening_before(organization, admin_user, product):
    with time_machine.travel(local(2026, 6, 1, 0, 0), tick=False) as clock:
        activate(organization, product, admin_user, usage=1)
        clock.move_to(local(2026, 6, 30, 23, 59, 59))
        evening = product_states(organization, timezone.now())[0]
        clock.move_to(local(2026, 7, 1, 0, 0))
        midnight = product_states(organization, timezone.now())[0]

    assert evening.ends_at == local(2026, 7, 1, 0, 0)
    assert evening.status == Status.GRACE
    assert midnight.status == Status.UNLICENSED


@pytest.mark.django_db
def test_grace_across_dst_keeps_wall_time(organization, admin_user, product):
    # Summer time starts in Stockholm on 29 March 2026.
    with time_machine.travel(local(2026, 3, 20, 9, 0), tick=False):
        activate(organization, product, admin_user, usage=1)
        [state] = product_states(organization, timezone.now())

    assert state.ends_at.astimezone(STOCKHOLM) == local(2026, 4, 19, 9, 0)
    assert state.ends_at - local(2026, 3, 20, 9, 0) == datetime.timedelta(days=30, hours=-1)


@pytest.mark.django_db
def test_trial_reminders_sent_once_each(
    organization, admin_user, make_product, django_capture_on_commit_callbacks
):
    product = make_product("long-trial", trial_days=60)
    with time_machine.travel(local(2026, 6, 1, 12, 0), tick=False) as clock:
        start_trial(organization=organization, product=product, actor=admin_user)
        for day in range(0, 62):
            clock.move_to(local(2026, 6, 1, 12, 0) + datetime.timedelta(days=day))
            with django_capture_on_commit_callbacks(execute=True):
                process_due()
                process_due()

    subjects = [message.subject for message in mail.outbox]
    assert len(subjects) == 3
    assert all("trial of Long Trial" in subject for subject in subjects)
    assert mail.outbox[0].to == ["admin@example.com"]
    assert sorted(Milestone.objects.filter(
        kind=Milestone.Kind.TRIAL_END_REMINDER
    ).values_list("days_before", flat=True)) == [1, 7, 30]
    assert events(Event.Action.REMINDER_SENT).count() == 3


@pytest.mark.django_db
def test_late_pass_sends_only_most_urgent(
    organization, admin_user, product, django_capture_on_commit_callbacks
):
    with time_machine.travel(local(2026, 6, 1, 12, 0), tick=False) as clock:
        start_trial(organization=organization, product=product, actor=admin_user)
        clock.move_to(local(2026, 6, 28, 12, 0))
        with django_capture_on_commit_callbacks(execute=True):
            process_due()

    assert len(mail.outbox) == 1
    assert "in 3 days." in mail.outbox[0].body


@pytest.mark.django_db
def test_member_who_turned_reminders_off_gets_none(
    organization, admin_user, product, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    client.post(f"/orgs/{organization.slug}/reminders/", {"enabled": "0"})
    with time_machine.travel(local(2026, 6, 1, 12, 0), tick=False) as clock:
        start_trial(organization=organization, product=product, actor=admin_user)
        clock.move_to(local(2026, 6, 28, 12, 0))
        with django_capture_on_commit_callbacks(execute=True):
            process_due()

    assert Membership.objects.get(user=admin_user).reminders_enabled is False
    assert mail.outbox == []
    assert events(Event.Action.REMINDERS_CHANGED).count() == 1
    assert not events(Event.Action.REMINDER_SENT).exists()


@pytest.mark.django_db
def test_uncovered_renewal_reminded(
    organization, admin_user, product, django_capture_on_commit_callbacks
):
    with time_machine.travel(local(2026, 1, 10, 9, 0), tick=False) as clock:
        activate(organization, product, admin_user, usage=2)
        clock.move_to(local(2027, 1, 5, 9, 0))
        with django_capture_on_commit_callbacks(execute=True):
            process_due()

    [message] = [m for m in mail.outbox if "renewal" in m.subject]
    assert "at least 2 more licenses" in message.body


@pytest.mark.django_db(transaction=True)
def test_parallel_passes_send_each_reminder_once(postgresql_only, organization, admin_user, product):
    with time_machine.travel(local(2026, 6, 1, 12, 0), tick=False) as clock:
        start_trial(organization=organization, product=product, actor=admin_user)
        clock.move_to(local(2026, 7, 2, 12, 0))
        outcomes = run_at_once([process_due] * 4)

    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert events(Event.Action.TRIAL_ENDED).count() == 1
    assert Milestone.objects.count() == 1


@pytest.mark.django_db
def test_trial_across_dst_ends_at_same_wall_time(organization, admin_user, product):
    # Summer time starts in Stockholm on 29 March 2026.
    with time_machine.travel(local(2026, 3, 20, 9, 0), tick=False):
        trial = start_trial(organization=organization, product=product, actor=admin_user)

    assert trial.ends_at.astimezone(STOCKHOLM) == local(2026, 4, 19, 9, 0)


@pytest.mark.django_db
def test_grace_reminder_counts_wallet(
    organization, admin_user, product, make_keys, django_capture_on_commit_callbacks
):
    from wallet.services import redeem_key

    with time_machine.travel(local(2026, 6, 1, 12, 0), tick=False) as clock:
        [key] = make_keys(product, 10)
        redeem_key(organization=organization, key_text=key, actor=admin_user)
        activate(organization, product, admin_user, usage=12)
        clock.move_to(local(2026, 6, 25, 12, 0))
        with django_capture_on_commit_callbacks(execute=True):
            process_due()

    [message] = [m for m in mail.outbox if "grace period" in m.subject]
    assert "at least 2 licenses" in message.body
