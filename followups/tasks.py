"""The follow-up jobs: thin, idempotent, safe to retry and to lose a worker mid-batch.

The beat schedule (masip/schedules.py):
- ``followups.schedule_due_followups`` daily at 02:15;
- ``followups.send_followup_reminders`` daily at 07:00.

Each job fixes "today" once and queues one task per batch. A batch is one transaction
guarded by unique constraints (reviews) and notification keys (reminders): if a worker
is killed in the middle of it, the transaction rolls back and the unacknowledged task
(``acks_late``) is delivered again, to do the whole batch once more.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

from followups import services
from masip import jobs

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError, DatabaseError),
    "retry_backoff": True,
    "retry_backoff_max": jobs.RETRY_BACKOFF_MAX,
    "max_retries": 10,
}


def _day(today: str | None) -> dt.date:
    return dt.date.fromisoformat(today) if today else timezone.localdate()


@shared_task(name="followups.schedule_due_followups", **RETRY)
def schedule_due_followups(today: str | None = None) -> list[str]:
    """Queue one batch per range of case ids; answers the batch tasks' ids."""
    day = _day(today).isoformat()
    return [schedule_followups_batch.delay(first, last, day).id for first, last in services.followups_schedule_ranges()]


@shared_task(name="followups.schedule_followups_batch", **RETRY)
def schedule_followups_batch(first_case_id: int, last_case_id: int, today: str) -> int:
    result = services.followups_schedule_batch(
        first_case_id=first_case_id, last_case_id=last_case_id, today=dt.date.fromisoformat(today)
    )
    return result.reviews_created


@shared_task(name="followups.send_followup_reminders", **RETRY)
def send_followup_reminders(today: str | None = None) -> list[str]:
    day = _day(today)
    return [
        send_followup_reminders_batch.delay(first, last, day.isoformat()).id
        for first, last in services.followup_reminder_ranges(today=day)
    ]


@shared_task(name="followups.send_followup_reminders_batch", **RETRY)
def send_followup_reminders_batch(first_review_id: int, last_review_id: int, today: str) -> list[int]:
    result = services.followup_reminders_send_batch(
        first_review_id=first_review_id, last_review_id=last_review_id, today=dt.date.fromisoformat(today)
    )
    return [result.reminders, result.escalations]
