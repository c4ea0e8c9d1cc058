"""Monitoring and re-offending follow-ups, moved here from cases (cases 0007 renamed the
tables): the models' state only, then the history triggers again under the new table names,
the content types (and so the permissions) carried over. (The jobs' beat rows follow their
renamed tasks by masip/schedules.py.)
"""

import django.contrib.postgres.fields
import django.db.models.deletion
import followups.models
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


MOVED_MODELS = (
    "followupsettings",
    "followupsettingsevent",
    "monitoringperiod",
    "monitoringperiodevent",
    "followupreview",
    "followupreviewevent",
    "reoffendingcandidate",
    "reoffendingcandidateevent",
    "reoffendingrecord",
    "reoffendingrecordevent",
)


def move_content_types(apps, schema_editor, source="cases", target="followups"):
    """Keep the content types' ids (and so the permissions and anything pointing at them)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED_MODELS:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="followups", target="cases")



class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('agencies', '0001_initial'),
        ('cases', '0007_followups_move_to_followups_app'),
        ('pghistory', '0007_auto_20250421_0444'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='FollowUpReview',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('checkpoint_months', models.PositiveSmallIntegerField()),
                        ('window_starts_on', models.DateField()),
                        ('due_on', models.DateField()),
                        ('status', models.CharField(choices=[('open', 'Open'), ('completed', 'Completed'), ('withdrawn', 'Withdrawn (case closed)')], default='open', max_length=20)),
                        ('reoffended', models.BooleanField(blank=True, null=True)),
                        ('sources_checked', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('victim', 'Victim'), ('police', 'Police'), ('probation', 'Probation'), ('health', 'Health'), ('other', 'Other')], max_length=20), blank=True, default=list, size=None)),
                        ('notes', models.TextField(blank=True)),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('withdrawn_reason', models.TextField(blank=True)),
                        ('escalated_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('assigned_agency', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='agencies.agency')),
                        ('assigned_worker', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('case', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='followup_reviews', to='cases.case')),
                        ('completed_by', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['due_on', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='FollowUpSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('checkpoints', django.contrib.postgres.fields.ArrayField(base_field=models.PositiveSmallIntegerField(), default=followups.models.default_checkpoints, size=None)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('partnership', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='followup_settings', to='agencies.partnership')),
                        ('review_agency', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='agencies.agency')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'follow-up settings',
                        'verbose_name_plural': 'follow-up settings',
                    },
                ),
                migrations.CreateModel(
                    name='FollowUpSettingsEvent',
                    fields=[
                        ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                        ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                        ('pgh_label', models.TextField(help_text='The event label.')),
                        ('id', models.BigIntegerField()),
                        ('checkpoints', django.contrib.postgres.fields.ArrayField(base_field=models.PositiveSmallIntegerField(), default=followups.models.default_checkpoints, size=None)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('partnership', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='agencies.partnership')),
                        ('pgh_context', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context')),
                        ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='followups.followupsettings')),
                        ('review_agency', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='agencies.agency')),
                        ('updated_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'abstract': False,
                    },
                ),
                migrations.CreateModel(
                    name='MonitoringPeriod',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('basis', models.CharField(choices=[('acceptance', 'Acceptance by the partnership'), ('intervention_end', 'End of the direct health intervention')], max_length=20)),
                        ('starts_on', models.DateField()),
                        ('intervention_id', models.BigIntegerField(blank=True, null=True)),
                        ('ended_on', models.DateField(blank=True, null=True)),
                        ('end_reason', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='monitoring_periods', to='cases.case')),
                    ],
                    options={
                        'ordering': ['starts_on', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='FollowUpReviewEvent',
                    fields=[
                        ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                        ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                        ('pgh_label', models.TextField(help_text='The event label.')),
                        ('id', models.BigIntegerField()),
                        ('checkpoint_months', models.PositiveSmallIntegerField()),
                        ('window_starts_on', models.DateField()),
                        ('due_on', models.DateField()),
                        ('status', models.CharField(choices=[('open', 'Open'), ('completed', 'Completed'), ('withdrawn', 'Withdrawn (case closed)')], default='open', max_length=20)),
                        ('reoffended', models.BooleanField(blank=True, null=True)),
                        ('sources_checked', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('victim', 'Victim'), ('police', 'Police'), ('probation', 'Probation'), ('health', 'Health'), ('other', 'Other')], max_length=20), blank=True, default=list, size=None)),
                        ('notes', models.TextField(blank=True)),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('withdrawn_reason', models.TextField(blank=True)),
                        ('escalated_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('assigned_agency', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='agencies.agency')),
                        ('assigned_worker', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL)),
                        ('case', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='cases.case')),
                        ('completed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL)),
                        ('pgh_context', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context')),
                        ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='followups.followupreview')),
                        ('period', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='followups.monitoringperiod')),
                    ],
                    options={
                        'abstract': False,
                    },
                ),
                migrations.AddField(
                    model_name='followupreview',
                    name='period',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='reviews', to='followups.monitoringperiod'),
                ),
                migrations.CreateModel(
                    name='MonitoringPeriodEvent',
                    fields=[
                        ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                        ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                        ('pgh_label', models.TextField(help_text='The event label.')),
                        ('id', models.BigIntegerField()),
                        ('basis', models.CharField(choices=[('acceptance', 'Acceptance by the partnership'), ('intervention_end', 'End of the direct health intervention')], max_length=20)),
                        ('starts_on', models.DateField()),
                        ('intervention_id', models.BigIntegerField(blank=True, null=True)),
                        ('ended_on', models.DateField(blank=True, null=True)),
                        ('end_reason', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('case', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='cases.case')),
                        ('pgh_context', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context')),
                        ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='followups.monitoringperiod')),
                    ],
                    options={
                        'abstract': False,
                    },
                ),
                migrations.CreateModel(
                    name='ReoffendingCandidate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('occurred_on', models.DateField()),
                        ('kind', models.CharField(choices=[('persistence', 'Persistence (same victim, continuing)'), ('recurrence', 'Recurrence (after a break of six months or more)')], max_length=20)),
                        ('victim', models.CharField(choices=[('same', 'Same victim'), ('new', 'New victim')], max_length=10)),
                        ('source', models.CharField(choices=[('victim', 'Victim'), ('police', 'Police'), ('probation', 'Probation'), ('health', 'Health'), ('other', 'Other')], max_length=20)),
                        ('offence', models.CharField(choices=[('s2a_stalking', 'Stalking (Protection from Harassment Act 1997 s.2A)'), ('s4a_stalking', 'Stalking involving fear of violence or serious alarm or distress (s.4A)'), ('s2_harassment', 'Harassment (s.2)'), ('s4_harassment', 'Harassment putting people in fear of violence (s.4)'), ('breach_restraining_order', 'Breach of a restraining order'), ('breach_spo', 'Breach of a Stalking Protection Order'), ('malicious_communications', 'Malicious communications'), ('other', 'Other')], max_length=30)),
                        ('last_known_behaviour_on', models.DateField()),
                        ('status', models.CharField(choices=[('pending', 'Awaiting confirmation'), ('confirmed', 'Confirmed'), ('rejected', 'Rejected')], default='pending', max_length=20)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('decision_reason', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reoffending_candidates', to='cases.case')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('new_case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.case')),
                        ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.person')),
                    ],
                    options={
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ReoffendingCandidateEvent',
                    fields=[
                        ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                        ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                        ('pgh_label', models.TextField(help_text='The event label.')),
                        ('id', models.BigIntegerField()),
                        ('occurred_on', models.DateField()),
                        ('kind', models.CharField(choices=[('persistence', 'Persistence (same victim, continuing)'), ('recurrence', 'Recurrence (after a break of six months or more)')], max_length=20)),
                        ('victim', models.CharField(choices=[('same', 'Same victim'), ('new', 'New victim')], max_length=10)),
                        ('source', models.CharField(choices=[('victim', 'Victim'), ('police', 'Police'), ('probation', 'Probation'), ('health', 'Health'), ('other', 'Other')], max_length=20)),
                        ('offence', models.CharField(choices=[('s2a_stalking', 'Stalking (Protection from Harassment Act 1997 s.2A)'), ('s4a_stalking', 'Stalking involving fear of violence or serious alarm or distress (s.4A)'), ('s2_harassment', 'Harassment (s.2)'), ('s4_harassment', 'Harassment putting people in fear of violence (s.4)'), ('breach_restraining_order', 'Breach of a restraining order'), ('breach_spo', 'Breach of a Stalking Protection Order'), ('malicious_communications', 'Malicious communications'), ('other', 'Other')], max_length=30)),
                        ('last_known_behaviour_on', models.DateField()),
                        ('status', models.CharField(choices=[('pending', 'Awaiting confirmation'), ('confirmed', 'Confirmed'), ('rejected', 'Rejected')], default='pending', max_length=20)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('decision_reason', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('case', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='cases.case')),
                        ('decided_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL)),
                        ('new_case', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='cases.case')),
                        ('person', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='cases.person')),
                        ('pgh_context', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context')),
                        ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='followups.reoffendingcandidate')),
                    ],
                    options={
                        'abstract': False,
                    },
                ),
                migrations.CreateModel(
                    name='ReoffendingRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('occurred_on', models.DateField()),
                        ('kind', models.CharField(choices=[('persistence', 'Persistence (same victim, continuing)'), ('recurrence', 'Recurrence (after a break of six months or more)')], max_length=20)),
                        ('victim', models.CharField(choices=[('same', 'Same victim'), ('new', 'New victim')], max_length=10)),
                        ('source', models.CharField(choices=[('victim', 'Victim'), ('police', 'Police'), ('probation', 'Probation'), ('health', 'Health'), ('other', 'Other')], max_length=20)),
                        ('offence', models.CharField(choices=[('s2a_stalking', 'Stalking (Protection from Harassment Act 1997 s.2A)'), ('s4a_stalking', 'Stalking involving fear of violence or serious alarm or distress (s.4A)'), ('s2_harassment', 'Harassment (s.2)'), ('s4_harassment', 'Harassment putting people in fear of violence (s.4)'), ('breach_restraining_order', 'Breach of a restraining order'), ('breach_spo', 'Breach of a Stalking Protection Order'), ('malicious_communications', 'Malicious communications'), ('other', 'Other')], max_length=30)),
                        ('crime_reference', models.CharField(blank=True, max_length=40)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('candidate', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='record', to='followups.reoffendingcandidate')),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reoffending_records', to='cases.case')),
                        ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('review', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='occurrences', to='followups.followupreview')),
                    ],
                    options={
                        'ordering': ['occurred_on', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='ReoffendingRecordEvent',
                    fields=[
                        ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                        ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                        ('pgh_label', models.TextField(help_text='The event label.')),
                        ('id', models.BigIntegerField()),
                        ('occurred_on', models.DateField()),
                        ('kind', models.CharField(choices=[('persistence', 'Persistence (same victim, continuing)'), ('recurrence', 'Recurrence (after a break of six months or more)')], max_length=20)),
                        ('victim', models.CharField(choices=[('same', 'Same victim'), ('new', 'New victim')], max_length=10)),
                        ('source', models.CharField(choices=[('victim', 'Victim'), ('police', 'Police'), ('probation', 'Probation'), ('health', 'Health'), ('other', 'Other')], max_length=20)),
                        ('offence', models.CharField(choices=[('s2a_stalking', 'Stalking (Protection from Harassment Act 1997 s.2A)'), ('s4a_stalking', 'Stalking involving fear of violence or serious alarm or distress (s.4A)'), ('s2_harassment', 'Harassment (s.2)'), ('s4_harassment', 'Harassment putting people in fear of violence (s.4)'), ('breach_restraining_order', 'Breach of a restraining order'), ('breach_spo', 'Breach of a Stalking Protection Order'), ('malicious_communications', 'Malicious communications'), ('other', 'Other')], max_length=30)),
                        ('crime_reference', models.CharField(blank=True, max_length=40)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('candidate', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='followups.reoffendingcandidate')),
                        ('case', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='cases.case')),
                        ('pgh_context', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context')),
                        ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='followups.reoffendingrecord')),
                        ('recorded_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL)),
                        ('review', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='followups.followupreview')),
                    ],
                    options={
                        'abstract': False,
                    },
                ),
                migrations.AddConstraint(
                    model_name='followupsettings',
                    constraint=models.CheckConstraint(condition=models.Q(('checkpoints__len__gte', 1), ('checkpoints__len__lte', 12)), name='followup_checkpoints_1_to_12'),
                ),
                migrations.AddIndex(
                    model_name='monitoringperiod',
                    index=models.Index(fields=['case', 'starts_on'], name='monitoring_case'),
                ),
                migrations.AddConstraint(
                    model_name='monitoringperiod',
                    constraint=models.UniqueConstraint(condition=models.Q(('basis', 'acceptance')), fields=('case', 'starts_on'), name='monitoring_one_per_acceptance'),
                ),
                migrations.AddConstraint(
                    model_name='monitoringperiod',
                    constraint=models.UniqueConstraint(condition=models.Q(('intervention_id__isnull', False)), fields=('intervention_id',), name='monitoring_one_per_intervention'),
                ),
                migrations.AddConstraint(
                    model_name='monitoringperiod',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('basis', 'intervention_end'), ('intervention_id__isnull', False)), models.Q(('basis', 'acceptance'), ('intervention_id__isnull', True)), _connector='OR'), name='monitoring_intervention_basis'),
                ),
                migrations.AddConstraint(
                    model_name='monitoringperiod',
                    constraint=models.CheckConstraint(condition=models.Q(('ended_on__isnull', True), ('ended_on__gte', models.F('starts_on')), _connector='OR'), name='monitoring_ends_after_start'),
                ),
                migrations.AddIndex(
                    model_name='followupreview',
                    index=models.Index(condition=models.Q(('status', 'open')), fields=['due_on', 'id'], name='followup_review_open_due'),
                ),
                migrations.AddConstraint(
                    model_name='followupreview',
                    constraint=models.UniqueConstraint(fields=('case', 'period', 'checkpoint_months'), name='followup_review_unique_checkpoint'),
                ),
                migrations.AddConstraint(
                    model_name='followupreview',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'completed'), _negated=True), models.Q(('reoffended__isnull', False), ('completed_at__isnull', False)), _connector='OR'), name='followup_review_completed_has_answer'),
                ),
                migrations.AddConstraint(
                    model_name='followupreview',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('reoffended', False), _negated=True), ('sources_checked__len__gte', 1), _connector='OR'), name='followup_review_none_names_sources'),
                ),
                migrations.AddConstraint(
                    model_name='followupreview',
                    constraint=models.CheckConstraint(condition=models.Q(('window_starts_on__lte', models.F('due_on'))), name='followup_review_window'),
                ),
                migrations.AddIndex(
                    model_name='reoffendingcandidate',
                    index=models.Index(fields=['case', 'status'], name='reoffending_candidate_case'),
                ),
                migrations.AddConstraint(
                    model_name='reoffendingcandidate',
                    constraint=models.UniqueConstraint(fields=('case', 'new_case'), name='reoffending_candidate_once'),
                ),
                migrations.AddConstraint(
                    model_name='reoffendingcandidate',
                    constraint=models.CheckConstraint(condition=models.Q(('case', models.F('new_case')), _negated=True), name='reoffending_candidate_other_case'),
                ),
                migrations.AddIndex(
                    model_name='reoffendingrecord',
                    index=models.Index(fields=['case', 'occurred_on'], name='reoffending_case_occurred'),
                ),
            ],
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='followupsettings',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "followups_followupsettingsevent" ("checkpoints", "id", "partnership_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "review_agency_id", "updated_at", "updated_by_id") VALUES (NEW."checkpoints", NEW."id", NEW."partnership_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."review_agency_id", NEW."updated_at", NEW."updated_by_id"); RETURN NULL;', hash='0b2ee0b1646bc2c9993d54296cb9af6c148ff46e', operation='INSERT', pgid='pgtrigger_insert_insert_bd29e', table='followups_followupsettings', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='followupsettings',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "followups_followupsettingsevent" ("checkpoints", "id", "partnership_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "review_agency_id", "updated_at", "updated_by_id") VALUES (NEW."checkpoints", NEW."id", NEW."partnership_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."review_agency_id", NEW."updated_at", NEW."updated_by_id"); RETURN NULL;', hash='8d12c43a25483d7bcc8be87e53b04cbbb9ecd3ec', operation='UPDATE', pgid='pgtrigger_update_update_d810f', table='followups_followupsettings', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='followupsettings',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "followups_followupsettingsevent" ("checkpoints", "id", "partnership_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "review_agency_id", "updated_at", "updated_by_id") VALUES (OLD."checkpoints", OLD."id", OLD."partnership_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."review_agency_id", OLD."updated_at", OLD."updated_by_id"); RETURN NULL;', hash='12761b91bbf4ab1fa6064544b43c1226716d7397', operation='DELETE', pgid='pgtrigger_delete_delete_f4cc0', table='followups_followupsettings', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='monitoringperiod',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "followups_monitoringperiodevent" ("basis", "case_id", "created_at", "end_reason", "ended_on", "id", "intervention_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "starts_on") VALUES (NEW."basis", NEW."case_id", NEW."created_at", NEW."end_reason", NEW."ended_on", NEW."id", NEW."intervention_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."starts_on"); RETURN NULL;', hash='181966bfd82ec68a178184b13efaad72ec755294', operation='INSERT', pgid='pgtrigger_insert_insert_c13c4', table='followups_monitoringperiod', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='monitoringperiod',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "followups_monitoringperiodevent" ("basis", "case_id", "created_at", "end_reason", "ended_on", "id", "intervention_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "starts_on") VALUES (NEW."basis", NEW."case_id", NEW."created_at", NEW."end_reason", NEW."ended_on", NEW."id", NEW."intervention_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."starts_on"); RETURN NULL;', hash='b6434716263b62f8ffac14efc0d50e985810155d', operation='UPDATE', pgid='pgtrigger_update_update_8f519', table='followups_monitoringperiod', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='monitoringperiod',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "followups_monitoringperiodevent" ("basis", "case_id", "created_at", "end_reason", "ended_on", "id", "intervention_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "starts_on") VALUES (OLD."basis", OLD."case_id", OLD."created_at", OLD."end_reason", OLD."ended_on", OLD."id", OLD."intervention_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."starts_on"); RETURN NULL;', hash='b855654280b8175f968aac45fafd8a3397936591', operation='DELETE', pgid='pgtrigger_delete_delete_2eb0f', table='followups_monitoringperiod', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='followupreview',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "followups_followupreviewevent" ("assigned_agency_id", "assigned_worker_id", "case_id", "checkpoint_months", "completed_at", "completed_by_id", "created_at", "due_on", "escalated_at", "id", "notes", "period_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reoffended", "sources_checked", "status", "window_starts_on", "withdrawn_reason") VALUES (NEW."assigned_agency_id", NEW."assigned_worker_id", NEW."case_id", NEW."checkpoint_months", NEW."completed_at", NEW."completed_by_id", NEW."created_at", NEW."due_on", NEW."escalated_at", NEW."id", NEW."notes", NEW."period_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."reoffended", NEW."sources_checked", NEW."status", NEW."window_starts_on", NEW."withdrawn_reason"); RETURN NULL;', hash='63e21ec2b2982e87c0d32a0da5f8e06d1eb437b7', operation='UPDATE', pgid='pgtrigger_update_update_413c7', table='followups_followupreview', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='followupreview',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "followups_followupreviewevent" ("assigned_agency_id", "assigned_worker_id", "case_id", "checkpoint_months", "completed_at", "completed_by_id", "created_at", "due_on", "escalated_at", "id", "notes", "period_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reoffended", "sources_checked", "status", "window_starts_on", "withdrawn_reason") VALUES (OLD."assigned_agency_id", OLD."assigned_worker_id", OLD."case_id", OLD."checkpoint_months", OLD."completed_at", OLD."completed_by_id", OLD."created_at", OLD."due_on", OLD."escalated_at", OLD."id", OLD."notes", OLD."period_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."reoffended", OLD."sources_checked", OLD."status", OLD."window_starts_on", OLD."withdrawn_reason"); RETURN NULL;', hash='cbe657b4abd842d22262d0ead692d333a42e043e', operation='DELETE', pgid='pgtrigger_delete_delete_b6697', table='followups_followupreview', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='reoffendingcandidate',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "followups_reoffendingcandidateevent" ("case_id", "created_at", "decided_at", "decided_by_id", "decision_reason", "id", "kind", "last_known_behaviour_on", "new_case_id", "occurred_on", "offence", "person_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "source", "status", "victim") VALUES (NEW."case_id", NEW."created_at", NEW."decided_at", NEW."decided_by_id", NEW."decision_reason", NEW."id", NEW."kind", NEW."last_known_behaviour_on", NEW."new_case_id", NEW."occurred_on", NEW."offence", NEW."person_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."source", NEW."status", NEW."victim"); RETURN NULL;', hash='e45e27f83879636027ee7c27c68327ad491cc16a', operation='INSERT', pgid='pgtrigger_insert_insert_9237d', table='followups_reoffendingcandidate', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='reoffendingcandidate',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "followups_reoffendingcandidateevent" ("case_id", "created_at", "decided_at", "decided_by_id", "decision_reason", "id", "kind", "last_known_behaviour_on", "new_case_id", "occurred_on", "offence", "person_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "source", "status", "victim") VALUES (NEW."case_id", NEW."created_at", NEW."decided_at", NEW."decided_by_id", NEW."decision_reason", NEW."id", NEW."kind", NEW."last_known_behaviour_on", NEW."new_case_id", NEW."occurred_on", NEW."offence", NEW."person_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."source", NEW."status", NEW."victim"); RETURN NULL;', hash='2090f530af47fb2e6d5d0c172269d0a0dd933d74', operation='UPDATE', pgid='pgtrigger_update_update_d5a66', table='followups_reoffendingcandidate', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='reoffendingcandidate',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "followups_reoffendingcandidateevent" ("case_id", "created_at", "decided_at", "decided_by_id", "decision_reason", "id", "kind", "last_known_behaviour_on", "new_case_id", "occurred_on", "offence", "person_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "source", "status", "victim") VALUES (OLD."case_id", OLD."created_at", OLD."decided_at", OLD."decided_by_id", OLD."decision_reason", OLD."id", OLD."kind", OLD."last_known_behaviour_on", OLD."new_case_id", OLD."occurred_on", OLD."offence", OLD."person_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."source", OLD."status", OLD."victim"); RETURN NULL;', hash='302de1edef6ef4b7da203fce2ff16d2f8e2e856c', operation='DELETE', pgid='pgtrigger_delete_delete_7026c', table='followups_reoffendingcandidate', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='reoffendingrecord',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "followups_reoffendingrecordevent" ("candidate_id", "case_id", "created_at", "crime_reference", "id", "kind", "occurred_on", "offence", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "review_id", "source", "victim") VALUES (NEW."candidate_id", NEW."case_id", NEW."created_at", NEW."crime_reference", NEW."id", NEW."kind", NEW."occurred_on", NEW."offence", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."recorded_by_id", NEW."review_id", NEW."source", NEW."victim"); RETURN NULL;', hash='1add0caaa8246e738b711964e108c69ab60e73d2', operation='INSERT', pgid='pgtrigger_insert_insert_1fd4b', table='followups_reoffendingrecord', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='reoffendingrecord',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "followups_reoffendingrecordevent" ("candidate_id", "case_id", "created_at", "crime_reference", "id", "kind", "occurred_on", "offence", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "review_id", "source", "victim") VALUES (NEW."candidate_id", NEW."case_id", NEW."created_at", NEW."crime_reference", NEW."id", NEW."kind", NEW."occurred_on", NEW."offence", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."recorded_by_id", NEW."review_id", NEW."source", NEW."victim"); RETURN NULL;', hash='42bdeb41aaa55e620c0ee7da48873fc0bb42b707', operation='UPDATE', pgid='pgtrigger_update_update_56bd6', table='followups_reoffendingrecord', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='reoffendingrecord',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "followups_reoffendingrecordevent" ("candidate_id", "case_id", "created_at", "crime_reference", "id", "kind", "occurred_on", "offence", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "review_id", "source", "victim") VALUES (OLD."candidate_id", OLD."case_id", OLD."created_at", OLD."crime_reference", OLD."id", OLD."kind", OLD."occurred_on", OLD."offence", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."recorded_by_id", OLD."review_id", OLD."source", OLD."victim"); RETURN NULL;', hash='81f6aead6e7f9b78f04a3192183a34db7329dea1', operation='DELETE', pgid='pgtrigger_delete_delete_e7978', table='followups_reoffendingrecord', when='AFTER')),
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
