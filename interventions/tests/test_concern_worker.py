"""A concern raised at a session tells the probation practitioner exactly once: its alert's
e-mail task (the notifications app's), queued on commit, runs in a real Celery worker on real
Redis; a duplicate delivery sends nothing, and the sweep does not send it again."""

from __future__ import annotations

import time
from typing import Any

import pytest

from audit.models import AccessAction, AccessLog
from cases.permissions import view_case_permission_id
from interventions.models import SessionConcern
from interventions.tests.helpers import CONCERN_TEXT, accepted, attend, book, days_ago, old_case, plan
from notifications.models import Notification
from notifications.tasks import send_notification_email, send_pending_notification_emails
from tests.factories import World

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


def test_a_concern_emails_the_probation_practitioner_once(celery_worker_process: Any, world: World) -> None:
    # A transactional test flushes the tables, and the permissions are made again with new
    # ids: forget the id an earlier test cached (cases.permissions caches it per process).
    view_case_permission_id.cache_clear()
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    appointment = book(world, intervention, 1, days_ago(2))
    attend(world, appointment, concerns_raised=True, concern_description=CONCERN_TEXT)

    concern = SessionConcern.objects.get()
    # In the service at once: the concern and its alert exist as soon as the feedback is saved.
    assert concern.recipient_id == world.probation_practitioner.pk
    alert_id = concern.notification_id
    assert alert_id is not None
    # By e-mail from the queue: the worker claims the alert and sends.
    wait_for(lambda: Notification.objects.filter(pk=alert_id, emailed_at__isnull=False).exists())
    first_sent = Notification.objects.get(pk=alert_id).emailed_at

    # The same task delivered again (a retry, a redelivered message after a lost ack) sends
    # nothing, and the sweep finds nothing owed.
    assert send_notification_email.delay(alert_id).get(timeout=60) is False
    assert send_notification_email.delay(alert_id).get(timeout=60) is False
    assert send_pending_notification_emails.delay().get(timeout=60) == 0
    assert Notification.objects.get(pk=alert_id).emailed_at == first_sent
    # One e-mail went: the worker logs each disclosure with the claim, and there is exactly one.
    sent = AccessLog.objects.filter(
        record_type="notifications.notification", action=AccessAction.DISCLOSE, record_ids=[str(alert_id)]
    )
    assert sent.count() == 1
    assert sent.get().purpose == f"e-mail notification to staff member {world.probation_practitioner.pk}"
    assert SessionConcern.objects.count() == 1
    assert Notification.objects.filter(recipient=world.probation_practitioner).count() == 1
