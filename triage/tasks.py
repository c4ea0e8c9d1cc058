"""Celery tasks of the triage app: thin, idempotent, safe to run twice (acks_late).

The beat schedule (masip/schedules.py):
- ``triage.send_action_reminders`` daily at 07:30 (Europe/London).
"""

from __future__ import annotations

from celery import shared_task

from triage import services


@shared_task(name="triage.send_action_reminders", acks_late=True)
def send_action_reminders() -> int:
    """Remind owners of actions due today or overdue; a second run on the same day sends nothing."""
    return services.action_reminders_send()
