"""Celery finds the cases app's tasks here (autodiscovery); they live in cases/followups/tasks.py."""

from cases.followups.tasks import (
    schedule_due_followups,
    schedule_followups_batch,
    send_followup_reminders,
    send_followup_reminders_batch,
)

__all__ = [
    "schedule_due_followups",
    "schedule_followups_batch",
    "send_followup_reminders",
    "send_followup_reminders_batch",
]
