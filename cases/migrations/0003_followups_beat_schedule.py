"""The follow-up jobs' schedules, kept by django-celery-beat in the database.

Idempotent (update_or_create by name), so running it again leaves one row per job.
"""

from django.db import migrations

SCHEDULES = [
    # (periodic task name, task, crontab minute, hour, description)
    (
        "Schedule due follow-up reviews",
        "cases.followups.schedule_due_followups",
        "15",
        "2",
        "Open monitoring periods and create a follow-up review at each checkpoint reached.",
    ),
    (
        "Follow-up review reminders",
        "cases.followups.send_followup_reminders",
        "0",
        "7",
        "Remind owners of due and overdue follow-up reviews; escalate those overdue by more than 14 days.",
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
        ("cases", "0002_followups"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
