"""Once wrote this app's beat schedule rows; the schedule now lives in masip/schedules.py,
written after every migrate (and test flush) by its post_migrate step. Kept, empty, because
later migrations depend on it and databases have it recorded as applied.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations: list[migrations.operations.base.Operation] = []
