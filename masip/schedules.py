"""Every periodic job of the service, in one place, and the step that writes them down.

Celery beat reads its schedule from the database (django-celery-beat's ``PeriodicTask``
rows), so the rows are written after every ``migrate`` by ``schedules_install`` (a
``post_migrate`` receiver, masip/apps.py). It is idempotent: one row per job, found by its
name, with the task and times below. Because ``post_migrate`` also follows the flush of a
transactional test, a flushed test database gets its schedule back like a migrated one.

A job an operator has paused (``enabled`` off in the admin) stays paused: only a new row
starts enabled. The times are the code's: a changed time here reaches every database at its
next migrate. Times are Europe/London wall-clock times (the partnership's working day).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps as global_apps

TIMEZONE = "Europe/London"


@dataclass(frozen=True)
class Schedule:
    name: str  # the PeriodicTask's name, its identity
    task: str  # the Celery task's registered name
    minute: str
    hour: str
    description: str


SCHEDULES: tuple[Schedule, ...] = (
    Schedule(
        "Send pending notification e-mails",
        "notifications.send_pending_notification_emails",
        "*/10",
        "*",
        "E-mail any notification whose e-mail task was lost.",
    ),
    Schedule(
        "Escalate victims not told of key events",
        "advocacy.escalate_untold_key_events",
        "*/15",
        "*",
        "Alert the advocacy lead when a victim has not been told of a key event in time.",
    ),
    Schedule(
        "Key events for expired orders",
        "advocacy.raise_order_expiry_key_events",
        "30",
        "6",
        "Raise an 'order expired' key event for orders that have just run out.",
    ),
    Schedule(
        "Safety-plan review reminders",
        "advocacy.send_safety_review_reminders",
        "0",
        "7",
        "Remind advocates of safety-plan and measure reviews coming up.",
    ),
    Schedule(
        "Meeting action reminders",
        "triage.send_action_reminders",
        "30",
        "7",
        "Remind owners of triage and clinic actions due today or overdue, once a day.",
    ),
    Schedule(
        "Schedule due follow-up reviews",
        "followups.schedule_due_followups",
        "15",
        "2",
        "Open monitoring periods and create a follow-up review at each checkpoint reached.",
    ),
    Schedule(
        "Follow-up review reminders",
        "followups.send_followup_reminders",
        "0",
        "7",
        "Remind owners of due and overdue follow-up reviews; escalate those overdue by more than 14 days.",
    ),
    Schedule(
        "Access log partitions",
        "audit.maintain_access_log_partitions",
        "10",
        "1",
        "Make the access log's partitions for this month and the next three; "
        "detach months older than the online period into archive tables.",
    ),
    Schedule(
        "List records due under retention schedules",
        "privacy.list_due_retention",
        "40",
        "1",
        "List what falls due under each partnership's retention schedules into a batch awaiting an admin's approval.",
    ),
)


def schedules_install(*, periodic_task: Any, crontab_schedule: Any, using: str = "default") -> int:
    """Write every job's row; answers how many rows were created. Models are passed in so
    that the ``post_migrate`` receiver can hand over the migrated state's models."""
    created = 0
    for schedule in SCHEDULES:
        crontab, _ = crontab_schedule.objects.using(using).get_or_create(
            minute=schedule.minute,
            hour=schedule.hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=TIMEZONE,
        )
        _, was_created = periodic_task.objects.using(using).update_or_create(
            name=schedule.name,
            defaults={
                "task": schedule.task,
                "crontab": crontab,
                "interval": None,
                "description": schedule.description,
            },
            create_defaults={
                "task": schedule.task,
                "crontab": crontab,
                "interval": None,
                "description": schedule.description,
                "enabled": True,
            },
        )
        created += was_created
    return created


def install_after_migrate(sender: Any, *, apps: Any = global_apps, using: str = "default", **kwargs: Any) -> None:
    """The ``post_migrate`` receiver: runs once per migrate, for django-celery-beat's app.
    ``migrate`` passes the migrated state's models; ``flush`` passes none (the current ones)."""
    if sender.label != "django_celery_beat":
        return
    try:
        periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
        crontab_schedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    except LookupError:  # migrated back to before django-celery-beat's tables
        return
    schedules_install(periodic_task=periodic_task, crontab_schedule=crontab_schedule, using=using)
