"""The daily action reminders: due and overdue actions, by e-mail and in-app, once per action per day."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from cases import services as case_services
from notifications.models import Notification
from tests.factories import World
from tests.triage_factories import make_meeting, on_agenda, waiting_case
from triage import services
from triage.models import Action

TODAY = timezone.localdate


def _actions(world: World) -> dict[str, Action]:
    item = on_agenda(
        world, make_meeting(world.triage_officer, day=TODAY() - dt.timedelta(days=10)), waiting_case(world)
    )

    def make(owner: Any, description: str, due: dt.date) -> Action:
        return services.action_create(
            actor=world.triage_officer,
            item=item,
            data=services.ActionInput(owner_id=owner.pk, description=description, due_on=due),
        )

    return {
        "overdue": make(world.advocate, "Call Hannah Mills about the safety plan", TODAY() - dt.timedelta(days=3)),
        "today": make(world.probation_practitioner, "Check licence conditions", TODAY()),
        "later": make(world.advocate, "Review the plan", TODAY() + dt.timedelta(days=1)),
    }


@pytest.mark.django_db
def test_reminders_go_once_a_day_to_the_owners_of_due_and_overdue_actions(world: World) -> None:
    actions = _actions(world)
    done = actions["today"]
    assert services.action_reminders_send(today=TODAY()) == 2
    assert services.action_reminders_send(today=TODAY()) == 0  # a second run the same day sends nothing

    # Reminders only: agreeing an action also alerts its owner at once (key "action-assigned:").
    sent = {n.key: n for n in Notification.objects.filter(key__startswith="action-reminder:")}
    assert set(sent) == {
        services.action_reminder_key(actions["overdue"].pk, TODAY()),
        services.action_reminder_key(done.pk, TODAY()),
    }
    overdue = sent[services.action_reminder_key(actions["overdue"].pk, TODAY())]
    case_ref = f"MASIP-{actions['overdue'].case_id:06d}"
    assert overdue.recipient == world.advocate
    assert overdue.subject == f"Action overdue by 3 days on case {case_ref}"
    assert overdue.link == f"/triage/actions/{actions['overdue'].pk}/"
    # The e-mail leaves the system: no name, no description of the action.
    for text in (overdue.subject, overdue.body):
        assert "Hannah" not in text and "Mills" not in text and "safety plan" not in text
    assert sent[services.action_reminder_key(done.pk, TODAY())].subject == f"Action due today on case {case_ref}"

    # The next day the overdue ones are reminded again; a finished action is not.
    services.action_complete(actor=world.probation_practitioner, action=done)
    tomorrow = TODAY() + dt.timedelta(days=1)
    assert services.action_reminders_send(today=tomorrow) == 2  # the overdue one and the one now due
    assert Notification.objects.filter(key__endswith=tomorrow.isoformat()).count() == 2
    assert not Notification.objects.filter(key=services.action_reminder_key(done.pk, tomorrow)).exists()


@pytest.mark.django_db
def test_no_reminder_to_an_owner_whose_agency_no_longer_sees_the_case(world: World) -> None:
    actions = _actions(world)
    case = actions["today"].case
    case_services.case_share_remove(
        actor=world.triage_officer, case=case, agency=world.probation, reason="Licence ended; no longer involved"
    )
    assert services.action_reminders_send(today=TODAY()) == 1  # the advocate's overdue action only
    reminders = Notification.objects.filter(key__startswith="action-reminder:")
    assert not reminders.filter(recipient=world.probation_practitioner).exists()
    # Access back: the reminder goes (once) the same day.
    case_services.case_share_add(actor=world.triage_officer, case=case, agency=world.probation, reason="Re-engaged")
    assert services.action_reminders_send(today=TODAY()) == 1
    assert reminders.filter(recipient=world.probation_practitioner).count() == 1


@pytest.mark.django_db
def test_a_rescheduled_action_is_not_reminded_twice_on_the_same_day(world: World) -> None:
    action = _actions(world)["overdue"]
    services.action_reminders_send(today=TODAY())
    services.action_reschedule(actor=world.advocate, action=action, due_on=TODAY())
    services.action_reminders_send(today=TODAY())
    assert (
        Notification.objects.filter(recipient=world.advocate, key__startswith=f"action-reminder:{action.pk}:").count()
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_the_job_on_a_real_worker_run_twice_sends_one_email(world: World, celery_worker_process: Any) -> None:
    from triage.tasks import send_action_reminders

    item = on_agenda(world, make_meeting(world.triage_officer, day=TODAY() - dt.timedelta(days=5)), waiting_case(world))
    action = services.action_create(
        actor=world.triage_officer,
        item=item,
        data=services.ActionInput(
            owner_id=world.advocate.pk, description="Call", due_on=TODAY() - dt.timedelta(days=1)
        ),
    )

    first = send_action_reminders.delay().get(timeout=60)
    second = send_action_reminders.delay().get(timeout=60)
    assert (first, second) == (1, 0)

    notifications = list(Notification.objects.filter(recipient=world.advocate, key__startswith="action-reminder:"))
    assert len(notifications) == 1
    notification = notifications[0]
    assert notification.key == services.action_reminder_key(action.pk, TODAY())
    # The e-mail goes from the worker too (advocacy.tasks.send_notification_email): wait for it.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        notification.refresh_from_db()
        if notification.emailed_at is not None:
            break
        time.sleep(0.5)
    assert notification.emailed_at is not None
    # Exactly one e-mail for it, as the worker logged it.
    time.sleep(1)
    log = Path(celery_worker_process.log_path).read_text()
    assert len(re.findall(rf"notification {notification.pk} e-mailed", log)) == 1
    action.refresh_from_db()
    assert action.last_reminded_on == TODAY()
