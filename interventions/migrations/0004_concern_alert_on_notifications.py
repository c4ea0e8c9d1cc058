"""The concern's alert moves onto the notifications app (its inbox alert and its one e-mail).

Each concern with a recipient is linked to its inbox alert (key ``interventions.concern:<id>``),
created where an older concern had none; the e-mail time moves from the concern to the
alert, so an e-mail already sent is not sent again and one still owed is sent by the
notifications sweep. No row is lost; backwards, the e-mail times move back.
"""

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


def _link(case_id: int, intervention_id: int) -> str:
    return f"/interventions/cases/{case_id}/{intervention_id}/"


def concern_alerts_onto_notifications(apps, schema_editor):  # type: ignore[no-untyped-def]
    SessionConcern = apps.get_model("interventions", "SessionConcern")
    Notification = apps.get_model("notifications", "Notification")
    concerns = SessionConcern.objects.filter(recipient__isnull=False).select_related(
        "recipient", "appointment__session", "intervention"
    )
    for concern in concerns.order_by("pk").iterator():
        recipient = concern.recipient
        # An e-mail still owed is sent by the sweep; none for a concern already acknowledged
        # (it was read in the service) or a recipient who cannot receive one.
        owed = concern.acknowledged_at is None and recipient.is_active and bool(recipient.email)
        email = concern.emailed_at is not None or owed
        key = f"interventions.concern:{concern.pk}"
        alert = Notification.objects.filter(recipient=recipient, key=key).first()
        if alert is None:
            alert = Notification.objects.create(
                recipient=recipient,
                key=key,
                subject=f"Concern raised at session {concern.appointment.session.number}: "
                f"case MASIP-{concern.intervention.case_id:06d}",
                body="A clinician raised a concern about behaviour or risk. Read it and acknowledge it "
                "on the intervention.",
                link=_link(concern.intervention.case_id, concern.intervention_id),
                email=email,
                emailed_at=concern.emailed_at,
                read_at=concern.acknowledged_at,
            )
            # Dated when the concern was raised, not today (auto_now_add set it on insert).
            Notification.objects.filter(pk=alert.pk).update(created_at=concern.created_at)
        else:
            Notification.objects.filter(pk=alert.pk).update(email=email, emailed_at=concern.emailed_at)
        SessionConcern.objects.filter(pk=concern.pk).update(notification=alert)


def concern_email_times_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    SessionConcern = apps.get_model("interventions", "SessionConcern")
    for concern in SessionConcern.objects.filter(notification__isnull=False).select_related("notification"):
        SessionConcern.objects.filter(pk=concern.pk).update(emailed_at=concern.notification.emailed_at)


class Migration(migrations.Migration):

    dependencies = [
        ('interventions', '0003_appointment_cancel_reason'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='sessionconcern',
            name='notification',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='notifications.notification'),
        ),
        migrations.AddField(
            model_name='sessionconcernevent',
            name='notification',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='notifications.notification'),
        ),
        migrations.RunPython(concern_alerts_onto_notifications, concern_email_times_back),
        pgtrigger.migrations.RemoveTrigger(
            model_name='sessionconcern',
            name='insert_insert',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='sessionconcern',
            name='update_update',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='sessionconcern',
            name='delete_delete',
        ),
        migrations.RemoveField(
            model_name='sessionconcern',
            name='emailed_at',
        ),
        migrations.RemoveField(
            model_name='sessionconcernevent',
            name='emailed_at',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='sessionconcern',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "interventions_sessionconcernevent" ("acknowledged_at", "acknowledged_by_id", "action_taken", "appointment_id", "created_at", "description", "id", "intervention_id", "notification_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "raised_by_id", "recipient_id", "victim_at_risk") VALUES (NEW."acknowledged_at", NEW."acknowledged_by_id", NEW."action_taken", NEW."appointment_id", NEW."created_at", NEW."description", NEW."id", NEW."intervention_id", NEW."notification_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."raised_by_id", NEW."recipient_id", NEW."victim_at_risk"); RETURN NULL;', hash='cc8a8a675e3d7910d4c4e04efe5cc4f25506dc96', operation='INSERT', pgid='pgtrigger_insert_insert_efa6c', table='interventions_sessionconcern', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='sessionconcern',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "interventions_sessionconcernevent" ("acknowledged_at", "acknowledged_by_id", "action_taken", "appointment_id", "created_at", "description", "id", "intervention_id", "notification_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "raised_by_id", "recipient_id", "victim_at_risk") VALUES (NEW."acknowledged_at", NEW."acknowledged_by_id", NEW."action_taken", NEW."appointment_id", NEW."created_at", NEW."description", NEW."id", NEW."intervention_id", NEW."notification_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."raised_by_id", NEW."recipient_id", NEW."victim_at_risk"); RETURN NULL;', hash='86bcad8113d017b383cf491a093a72b385af3f80', operation='UPDATE', pgid='pgtrigger_update_update_7f693', table='interventions_sessionconcern', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='sessionconcern',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "interventions_sessionconcernevent" ("acknowledged_at", "acknowledged_by_id", "action_taken", "appointment_id", "created_at", "description", "id", "intervention_id", "notification_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "raised_by_id", "recipient_id", "victim_at_risk") VALUES (OLD."acknowledged_at", OLD."acknowledged_by_id", OLD."action_taken", OLD."appointment_id", OLD."created_at", OLD."description", OLD."id", OLD."intervention_id", OLD."notification_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."raised_by_id", OLD."recipient_id", OLD."victim_at_risk"); RETURN NULL;', hash='200523982c081b4bf3eb17c4c10b6b1ecdc9e4b9', operation='DELETE', pgid='pgtrigger_delete_delete_6837f', table='interventions_sessionconcern', when='AFTER')),
        ),
    ]
