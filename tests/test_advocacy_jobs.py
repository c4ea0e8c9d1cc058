"""The advocacy beat jobs on a real Celery worker (real Redis, the test database), each run
twice to prove that nothing is sent twice (their schedule: tests/test_schedules.py)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from advocacy import services, tasks
from advocacy.models import KeyEvent, VictimNotice
from agencies.models import Role
from cases import services as case_services
from cases.permissions import view_case_permission_id
from notifications import tasks as notification_tasks
from notifications.models import Notification
from tests.case_factories import make_case
from tests.factories import World, make_user

WAIT_SECONDS = 60


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


def emailed_count(worker: Any, notification_id: int) -> int:
    return Path(worker.log_path).read_text().count(f"notification {notification_id} e-mailed")


# --- on the real worker -------------------------------------------------------------------------------------


@pytest.fixture
def fresh_permission_id() -> Iterator[None]:
    # A transactional test's flush re-creates permissions with new ids; the id is cached per process.
    view_case_permission_id.cache_clear()
    yield
    view_case_permission_id.cache_clear()


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_escalation_alerts_the_lead_once_and_every_alert_is_emailed_once(
    world: World, celery_worker_process: Any, fresh_permission_id: None
) -> None:
    case = make_case(world.triage_officer)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    lead = make_user(world.advocacy, Role.ADVOCATE, first_name="Lena", last_name="Lead")
    services.lead_add(actor=world.admin, agency=world.advocacy, user=lead)
    event = services.key_event_record(
        actor=world.triage_officer,
        case=case,
        data=services.KeyEventInput(kind="release_from_custody", occurs_on=timezone.localdate()),
    )
    # The advocate's alert was queued for e-mail on commit; the worker sends it.
    advocate_alert = Notification.objects.get(recipient=world.advocate)
    wait_until(lambda: Notification.objects.get(pk=advocate_alert.pk).emailed_at is not None, "the advocate's e-mail")
    notice = VictimNotice.objects.get(key_event=event)
    assert tasks.escalate_untold_key_events.delay().get(timeout=WAIT_SECONDS) == 0  # not overdue yet
    VictimNotice.objects.filter(pk=notice.pk).update(tell_by=timezone.now() - dt.timedelta(minutes=1))

    assert tasks.escalate_untold_key_events.delay().get(timeout=WAIT_SECONDS) == 1
    assert tasks.escalate_untold_key_events.delay().get(timeout=WAIT_SECONDS) == 0

    lead_alerts = list(Notification.objects.filter(recipient=lead))
    assert [a.key for a in lead_alerts] == [f"victim-notice:{notice.pk}:overdue"]
    assert lead_alerts[0].subject == f"Victim not yet told: case {case.reference}"
    wait_until(lambda: Notification.objects.get(pk=lead_alerts[0].pk).emailed_at is not None, "the lead's e-mail")
    notice.refresh_from_db()
    assert notice.escalated_at is not None
    # Nothing is pending, so the sweep sends nothing, twice.
    assert notification_tasks.send_pending_notification_emails.delay().get(timeout=WAIT_SECONDS) == 0
    assert notification_tasks.send_pending_notification_emails.delay().get(timeout=WAIT_SECONDS) == 0
    assert Notification.objects.count() == 2
    for notification in Notification.objects.all():
        assert emailed_count(celery_worker_process, notification.pk) == 1, notification.subject


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_safety_review_reminders_are_sent_once(
    world: World, celery_worker_process: Any, fresh_permission_id: None
) -> None:
    case = make_case(world.triage_officer)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    d = timezone.localdate()
    measure = services.safety_measure_add(
        actor=world.advocate,
        case=case,
        data=services.MeasureInput(kind="alarm", owner_agency=world.police, review_on=d + dt.timedelta(days=1)),
    )
    services.safety_plan_review(
        actor=world.advocate, case=case, reviewed_on=d, summary="Reviewed.", next_review_on=d + dt.timedelta(days=30)
    )
    assert tasks.send_safety_review_reminders.delay().get(timeout=WAIT_SECONDS) == 1
    assert tasks.send_safety_review_reminders.delay().get(timeout=WAIT_SECONDS) == 0
    reminders = list(Notification.objects.filter(recipient=world.advocate))
    assert [r.key for r in reminders] == [f"safety-measure:{measure.pk}:review:{d + dt.timedelta(days=1)}"]
    wait_until(lambda: Notification.objects.get(pk=reminders[0].pk).emailed_at is not None, "the reminder e-mail")
    assert emailed_count(celery_worker_process, reminders[0].pk) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_expired_orders_are_raised_once_and_the_lost_email_is_swept_once(
    world: World, celery_worker_process: Any, fresh_permission_id: None
) -> None:
    case = make_case(world.triage_officer)
    d = timezone.localdate()
    order = case_services.order_record(
        actor=world.triage_officer,
        case=case,
        kind="bail_conditions",
        made_on=d - dt.timedelta(days=40),
        expires_on=d - dt.timedelta(days=2),
    )
    assert tasks.raise_order_expiry_key_events.delay().get(timeout=WAIT_SECONDS) == 1
    assert tasks.raise_order_expiry_key_events.delay().get(timeout=WAIT_SECONDS) == 0
    assert list(KeyEvent.objects.filter(order=order).values_list("kind", flat=True).order_by("id")) == [
        "bail_change",
        "order_expired",
    ]
    # An alert whose e-mail task was lost (written without one): the sweep sends it, once.
    lost = Notification.objects.create(recipient=world.advocate, subject="Lost e-mail", email=True)
    Notification.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(minutes=30))
    assert notification_tasks.send_pending_notification_emails.delay().get(timeout=WAIT_SECONDS) == 1
    wait_until(lambda: Notification.objects.get(pk=lost.pk).emailed_at is not None, "the swept e-mail")
    assert notification_tasks.send_pending_notification_emails.delay().get(timeout=WAIT_SECONDS) == 0
    assert emailed_count(celery_worker_process, lost.pk) == 1
