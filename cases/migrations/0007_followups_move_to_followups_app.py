"""Monitoring and re-offending follow-ups move to the top-level followups app.

The tables are renamed, not copied: every row and every history row stays. The history
triggers name their tables, so they are dropped here and installed again by followups 0001
under the new names; the models leave this app's state only (SeparateDatabaseAndState).
"""

import pgtrigger.migrations
from django.db import migrations

MOVED_TABLES = {
    "followupsettings": "followups_followupsettings",
    "followupsettingsevent": "followups_followupsettingsevent",
    "monitoringperiod": "followups_monitoringperiod",
    "monitoringperiodevent": "followups_monitoringperiodevent",
    "followupreview": "followups_followupreview",
    "followupreviewevent": "followups_followupreviewevent",
    "reoffendingcandidate": "followups_reoffendingcandidate",
    "reoffendingcandidateevent": "followups_reoffendingcandidateevent",
    "reoffendingrecord": "followups_reoffendingrecord",
    "reoffendingrecordevent": "followups_reoffendingrecordevent",
}
HISTORY_TRIGGERS = {
    "followupsettings": ("insert_insert", "update_update", "delete_delete"),
    "monitoringperiod": ("insert_insert", "update_update", "delete_delete"),
    # Reviews are inserted in bulk by the scheduler; only their changes are history.
    "followupreview": ("update_update", "delete_delete"),
    "reoffendingcandidate": ("insert_insert", "update_update", "delete_delete"),
    "reoffendingrecord": ("insert_insert", "update_update", "delete_delete"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_intake_link_use"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                *(
                    pgtrigger.migrations.RemoveTrigger(model_name=model, name=name)
                    for model, names in HISTORY_TRIGGERS.items()
                    for name in names
                ),
                *(migrations.AlterModelTable(name=model, table=table) for model, table in MOVED_TABLES.items()),
            ],
            state_operations=[
                migrations.RemoveField(
                    model_name='followupreviewevent',
                    name='pgh_obj',
                ),
                migrations.RemoveField(
                    model_name='reoffendingrecordevent',
                    name='review',
                ),
                migrations.RemoveField(
                    model_name='reoffendingrecord',
                    name='review',
                ),
                migrations.RemoveField(
                    model_name='followupreviewevent',
                    name='assigned_agency',
                ),
                migrations.RemoveField(
                    model_name='followupreviewevent',
                    name='assigned_worker',
                ),
                migrations.RemoveField(
                    model_name='followupreviewevent',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='followupreviewevent',
                    name='completed_by',
                ),
                migrations.RemoveField(
                    model_name='followupreviewevent',
                    name='period',
                ),
                migrations.RemoveField(
                    model_name='followupreviewevent',
                    name='pgh_context',
                ),
                migrations.RemoveField(
                    model_name='followupsettings',
                    name='partnership',
                ),
                migrations.RemoveField(
                    model_name='followupsettings',
                    name='review_agency',
                ),
                migrations.RemoveField(
                    model_name='followupsettings',
                    name='updated_by',
                ),
                migrations.RemoveField(
                    model_name='followupsettingsevent',
                    name='pgh_obj',
                ),
                migrations.RemoveField(
                    model_name='followupsettingsevent',
                    name='partnership',
                ),
                migrations.RemoveField(
                    model_name='followupsettingsevent',
                    name='pgh_context',
                ),
                migrations.RemoveField(
                    model_name='followupsettingsevent',
                    name='review_agency',
                ),
                migrations.RemoveField(
                    model_name='followupsettingsevent',
                    name='updated_by',
                ),
                migrations.RemoveField(
                    model_name='monitoringperiod',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='monitoringperiodevent',
                    name='pgh_obj',
                ),
                migrations.RemoveField(
                    model_name='monitoringperiodevent',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='monitoringperiodevent',
                    name='pgh_context',
                ),
                migrations.RemoveField(
                    model_name='reoffendingcandidate',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='reoffendingcandidate',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='reoffendingcandidate',
                    name='new_case',
                ),
                migrations.RemoveField(
                    model_name='reoffendingcandidate',
                    name='person',
                ),
                migrations.RemoveField(
                    model_name='reoffendingcandidateevent',
                    name='pgh_obj',
                ),
                migrations.RemoveField(
                    model_name='reoffendingrecordevent',
                    name='candidate',
                ),
                migrations.RemoveField(
                    model_name='reoffendingrecord',
                    name='candidate',
                ),
                migrations.RemoveField(
                    model_name='reoffendingcandidateevent',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='reoffendingcandidateevent',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='reoffendingcandidateevent',
                    name='new_case',
                ),
                migrations.RemoveField(
                    model_name='reoffendingcandidateevent',
                    name='person',
                ),
                migrations.RemoveField(
                    model_name='reoffendingcandidateevent',
                    name='pgh_context',
                ),
                migrations.RemoveField(
                    model_name='reoffendingrecord',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='reoffendingrecord',
                    name='recorded_by',
                ),
                migrations.RemoveField(
                    model_name='reoffendingrecordevent',
                    name='pgh_obj',
                ),
                migrations.RemoveField(
                    model_name='reoffendingrecordevent',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='reoffendingrecordevent',
                    name='pgh_context',
                ),
                migrations.RemoveField(
                    model_name='reoffendingrecordevent',
                    name='recorded_by',
                ),
                migrations.DeleteModel(
                    name='FollowUpReview',
                ),
                migrations.DeleteModel(
                    name='FollowUpReviewEvent',
                ),
                migrations.DeleteModel(
                    name='FollowUpSettings',
                ),
                migrations.DeleteModel(
                    name='FollowUpSettingsEvent',
                ),
                migrations.DeleteModel(
                    name='MonitoringPeriod',
                ),
                migrations.DeleteModel(
                    name='MonitoringPeriodEvent',
                ),
                migrations.DeleteModel(
                    name='ReoffendingCandidate',
                ),
                migrations.DeleteModel(
                    name='ReoffendingCandidateEvent',
                ),
                migrations.DeleteModel(
                    name='ReoffendingRecord',
                ),
                migrations.DeleteModel(
                    name='ReoffendingRecordEvent',
                ),
            ],
        ),
    ]
