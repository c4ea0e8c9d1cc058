"""Notification, moved here from advocacy (advocacy 0003 renamed its tables): state only,
then the history triggers again under the new table names, the content types (and so the
permissions) carried over. (The e-mail sweep's beat row follows its renamed task by
masip/schedules.py.)
"""

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


MOVED_MODELS = ("notification", "notificationevent")


def move_content_types(apps, schema_editor, source="advocacy", target="notifications"):
    """Keep the content types' ids (and so the permissions and anything pointing at them)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED_MODELS:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="notifications", target="advocacy")



class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('advocacy', '0003_notification_moves_to_notifications_app'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('pghistory', '0007_auto_20250421_0444'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subject', models.CharField(max_length=200)),
                        ('body', models.TextField(blank=True)),
                        ('link', models.CharField(blank=True, max_length=500)),
                        ('key', models.CharField(blank=True, max_length=200)),
                        ('email', models.BooleanField(default=True)),
                        ('emailed_at', models.DateTimeField(blank=True, null=True)),
                        ('read_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='NotificationEvent',
                    fields=[
                        ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                        ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                        ('pgh_label', models.TextField(help_text='The event label.')),
                        ('id', models.BigIntegerField()),
                        ('subject', models.CharField(max_length=200)),
                        ('body', models.TextField(blank=True)),
                        ('link', models.CharField(blank=True, max_length=500)),
                        ('key', models.CharField(blank=True, max_length=200)),
                        ('email', models.BooleanField(default=True)),
                        ('emailed_at', models.DateTimeField(blank=True, null=True)),
                        ('read_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('pgh_context', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context')),
                        ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='notifications.notification')),
                        ('recipient', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'abstract': False,
                    },
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(fields=['recipient', '-created_at', '-id'], name='notification_inbox'),
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(condition=models.Q(('read_at__isnull', True)), fields=['recipient'], name='notification_unread'),
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(condition=models.Q(('email', True), ('emailed_at__isnull', True)), fields=['created_at'], name='notification_email_due'),
                ),
                migrations.AddConstraint(
                    model_name='notification',
                    constraint=models.UniqueConstraint(condition=models.Q(('key', ''), _negated=True), fields=('recipient', 'key'), name='notification_once_per_key'),
                ),
            ],
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='notification',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "notifications_notificationevent" ("body", "created_at", "email", "emailed_at", "id", "key", "link", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "read_at", "recipient_id", "subject") VALUES (NEW."body", NEW."created_at", NEW."email", NEW."emailed_at", NEW."id", NEW."key", NEW."link", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."read_at", NEW."recipient_id", NEW."subject"); RETURN NULL;', hash='c05779287d4c6837849e728c448f2b3a28dab1c9', operation='INSERT', pgid='pgtrigger_insert_insert_e1b01', table='notifications_notification', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='notification',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "notifications_notificationevent" ("body", "created_at", "email", "emailed_at", "id", "key", "link", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "read_at", "recipient_id", "subject") VALUES (NEW."body", NEW."created_at", NEW."email", NEW."emailed_at", NEW."id", NEW."key", NEW."link", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."read_at", NEW."recipient_id", NEW."subject"); RETURN NULL;', hash='20c111c90a90f163ad1418f13150ca00008c4076', operation='UPDATE', pgid='pgtrigger_update_update_a25db', table='notifications_notification', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='notification',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "notifications_notificationevent" ("body", "created_at", "email", "emailed_at", "id", "key", "link", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "read_at", "recipient_id", "subject") VALUES (OLD."body", OLD."created_at", OLD."email", OLD."emailed_at", OLD."id", OLD."key", OLD."link", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."read_at", OLD."recipient_id", OLD."subject"); RETURN NULL;', hash='86fb34d821ae183da46729de9227d8ee6f0473be', operation='DELETE', pgid='pgtrigger_delete_delete_f6b13', table='notifications_notification', when='AFTER')),
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
