"""A concern raised at a session tells the probation practitioner exactly once: the e-mail task,
queued on commit, runs in a real Celery worker on real Redis; a duplicate delivery sends nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from audit.models import AccessAction, AccessLog
from cases.permissions import view_case_permission_id
from interventions.models import SessionConcern
from interventions.tasks import concern_email_send
from interventions.tests.helpers import CONCERN_TEXT, accepted, attend, book, days_ago, old_case, plan
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
    # In the service at once: the row exists as soon as the feedback is saved.
    assert concern.recipient_id == world.probation_practitioner.pk
    # By e-mail from the queue: the worker claims the concern and sends.
    wait_for(lambda: SessionConcern.objects.filter(pk=concern.pk, emailed_at__isnull=False).exists())
    concern.refresh_from_db()
    first_sent = concern.emailed_at

    # The same task delivered again (a retry, a redelivered message after a lost ack) sends nothing.
    assert concern_email_send.delay(concern.pk).get(timeout=60) == "already_sent"
    assert concern_email_send.delay(concern.pk).get(timeout=60) == "already_sent"
    concern.refresh_from_db()
    assert concern.emailed_at == first_sent
    # One e-mail went: the worker logs each disclosure, and there is exactly one.
    sent = AccessLog.objects.filter(
        record_type="interventions.concern", action=AccessAction.DISCLOSE, record_ids=[str(concern.pk)]
    )
    assert sent.count() == 1
    assert sent.get().purpose == f"e-mail notification to staff member {world.probation_practitioner.pk}"
    assert SessionConcern.objects.count() == 1
