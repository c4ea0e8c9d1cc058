"""Notification moves to the notifications app: its tables are renamed, not copied.

The rows stay where they are. The history triggers name their table, so they are dropped
here and installed again by notifications 0001 under the new names. The model leaves this
app's state only (SeparateDatabaseAndState): nothing is dropped.
"""

import pgtrigger.migrations
from django.db import migrations

HISTORY_TRIGGERS = ("insert_insert", "update_update", "delete_delete")


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0002_beat_schedule"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                *(pgtrigger.migrations.RemoveTrigger(model_name="notification", name=name) for name in HISTORY_TRIGGERS),
                migrations.AlterModelTable(name="notification", table="notifications_notification"),
                migrations.AlterModelTable(name="notificationevent", table="notifications_notificationevent"),
            ],
            state_operations=[
                migrations.DeleteModel(name="NotificationEvent"),
                migrations.DeleteModel(name="Notification"),
            ],
        ),
    ]
