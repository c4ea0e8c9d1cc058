"""The advocacy jobs' schedules, kept by django-celery-beat in the database.

Idempotent (update_or_create by task name), so re-running it, or a schedule
edited in the admin and migrated again, leaves one row per job.
"""

from django.db import migrations

SCHEDULES = [
    # (periodic task name, task, crontab minute, hour, description)
    (
        "Escalate victims not told of key events",
        "advocacy.escalate_untold_key_events",
        "*/15",
        "*",
        "Alert the advocacy lead when a victim has not been told of a key event in time.",
    ),
    (
        "Safety-plan review reminders",
        "advocacy.send_safety_review_reminders",
        "0",
        "7",
        "Remind advocates of safety-plan and measure reviews coming up.",
    ),
    (
        "Key events for expired orders",
        "advocacy.raise_order_expiry_key_events",
        "30",
        "6",
        "Raise an 'order expired' key event for orders that have just run out.",
    ),
    (
        "Send pending notification e-mails",
        "advocacy.send_pending_notification_emails",
        "*/10",
        "*",
        "E-mail any notification whose e-mail task was lost.",
    ),
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour, description in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/London"
        )
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={"task": task, "crontab": crontab, "interval": None, "enabled": True, "description": description},
        )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task__in=[task for _, task, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
