"""The fields the evaluation needed: mental-health services, probation, MAPPA and antisocial
lifestyle on the case (yes / no / not known); the two limbs of s.4A as offences (so the
offence columns take 40 characters); criminal-justice outcomes as the Home Office outcome types.

The outcomes' seven kinds map onto the published list: charged and summonsed are one type
(1); a caution (the service's perpetrators are adults) is an adult caution (3); no further
action for evidential difficulties is type 15 (suspect identified, the victim supports
action) and where the victim does not support it type 16; community resolution (8) and the
court's result keep their keys. The UPDATE goes through the history triggers, so each
outcome's history keeps the kind it had.
"""

import pghistory
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

MAPPING = {
    "charge": "charge_summons",
    "summons": "charge_summons",
    "caution": "adult_caution",
    "nfa_evidential": "evidential_victim_supports",
    "nfa_victim_does_not_support": "evidential_no_victim_support",
}
REVERSE = {
    "charge_summons": "charge",
    "adult_caution": "caution",
    "evidential_victim_supports": "nfa_evidential",
    "evidential_no_victim_support": "nfa_victim_does_not_support",
}
REASON = "Outcome recorded with the Home Office outcome types"


def to_home_office(apps, schema_editor):
    Outcome = apps.get_model("cases", "CriminalJusticeOutcome")
    with pghistory.context(reason=REASON):
        for old, new in MAPPING.items():
            for outcome in Outcome.objects.filter(kind=old):
                outcome.kind = new
                outcome.save(update_fields=["kind"])


def to_kinds(apps, schema_editor):
    Outcome = apps.get_model("cases", "CriminalJusticeOutcome")
    for new, old in REVERSE.items():
        Outcome.objects.filter(kind=new).update(kind=old)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_followups_move_to_followups_app'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='case',
            name='insert_insert',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='case',
            name='update_update',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='case',
            name='delete_delete',
        ),
        migrations.AddField(
            model_name='case',
            name='antisocial_lifestyle',
            field=models.BooleanField(blank=True, null=True, verbose_name='Antisocial lifestyle'),
        ),
        migrations.AddField(
            model_name='case',
            name='mappa',
            field=models.BooleanField(blank=True, null=True, verbose_name='Managed under MAPPA'),
        ),
        migrations.AddField(
            model_name='case',
            name='mental_health_services',
            field=models.BooleanField(blank=True, null=True, verbose_name='Known to mental-health services'),
        ),
        migrations.AddField(
            model_name='case',
            name='probation_involved',
            field=models.BooleanField(blank=True, null=True, verbose_name='Probation involved'),
        ),
        migrations.AddField(
            model_name='casehistory',
            name='antisocial_lifestyle',
            field=models.BooleanField(blank=True, null=True, verbose_name='Antisocial lifestyle'),
        ),
        migrations.AddField(
            model_name='casehistory',
            name='mappa',
            field=models.BooleanField(blank=True, null=True, verbose_name='Managed under MAPPA'),
        ),
        migrations.AddField(
            model_name='casehistory',
            name='mental_health_services',
            field=models.BooleanField(blank=True, null=True, verbose_name='Known to mental-health services'),
        ),
        migrations.AddField(
            model_name='casehistory',
            name='probation_involved',
            field=models.BooleanField(blank=True, null=True, verbose_name='Probation involved'),
        ),
        migrations.AlterField(
            model_name='criminaljusticeoutcome',
            name='kind',
            field=models.CharField(choices=[('charge_summons', 'Charged or summonsed'), ('youth_caution', 'Youth caution'), ('adult_caution', 'Adult caution'), ('taken_into_consideration', 'Taken into consideration'), ('offender_died', 'Offender died'), ('penalty_notice', 'Penalty notice for disorder'), ('cannabis_khat_warning', 'Cannabis or khat warning'), ('community_resolution', 'Community resolution'), ('not_public_interest_cps', 'Prosecution not in the public interest (CPS)'), ('not_public_interest_police', 'Formal action not in the public interest (police)'), ('below_criminal_age', 'Prosecution prevented: suspect below the age of criminal responsibility'), ('suspect_too_ill', 'Prosecution prevented: suspect too ill'), ('victim_witness_unavailable', 'Prosecution prevented: victim or key witness dead or too ill'), ('evidential_no_suspect_no_support', 'Evidential difficulties: suspect not identified, victim does not support action'), ('evidential_victim_supports', 'Evidential difficulties: suspect identified, victim supports action'), ('evidential_no_victim_support', 'Evidential difficulties: suspect identified, victim does not support action'), ('time_limit_expired', 'Prosecution time limit expired'), ('no_suspect_identified', 'Investigation complete: no suspect identified'), ('another_body', 'Further action by another body or agency'), ('further_investigation_not_pi', 'Further investigation to support formal action not in the public interest'), ('diversionary', 'Diversionary, educational or intervention activity'), ('court_result', 'Court result')], max_length=40),
        ),
        migrations.AlterField(
            model_name='criminaljusticeoutcome',
            name='offence',
            field=models.CharField(blank=True, choices=[('s2a_stalking', 'Stalking (Protection from Harassment Act 1997 s.2A)'), ('s4a_stalking', 'Stalking involving fear of violence or serious alarm or distress (s.4A)'), ('s4a_stalking_fear_of_violence', 'Stalking involving fear of violence (s.4A(1)(b)(i))'), ('s4a_stalking_serious_alarm_distress', 'Stalking involving serious alarm or distress (s.4A(1)(b)(ii))'), ('s2_harassment', 'Harassment (s.2)'), ('s4_harassment', 'Harassment putting people in fear of violence (s.4)'), ('breach_restraining_order', 'Breach of a restraining order'), ('breach_spo', 'Breach of a Stalking Protection Order'), ('malicious_communications', 'Malicious communications'), ('other', 'Other')], max_length=40),
        ),
        migrations.AlterField(
            model_name='criminaljusticeoutcomeevent',
            name='kind',
            field=models.CharField(choices=[('charge_summons', 'Charged or summonsed'), ('youth_caution', 'Youth caution'), ('adult_caution', 'Adult caution'), ('taken_into_consideration', 'Taken into consideration'), ('offender_died', 'Offender died'), ('penalty_notice', 'Penalty notice for disorder'), ('cannabis_khat_warning', 'Cannabis or khat warning'), ('community_resolution', 'Community resolution'), ('not_public_interest_cps', 'Prosecution not in the public interest (CPS)'), ('not_public_interest_police', 'Formal action not in the public interest (police)'), ('below_criminal_age', 'Prosecution prevented: suspect below the age of criminal responsibility'), ('suspect_too_ill', 'Prosecution prevented: suspect too ill'), ('victim_witness_unavailable', 'Prosecution prevented: victim or key witness dead or too ill'), ('evidential_no_suspect_no_support', 'Evidential difficulties: suspect not identified, victim does not support action'), ('evidential_victim_supports', 'Evidential difficulties: suspect identified, victim supports action'), ('evidential_no_victim_support', 'Evidential difficulties: suspect identified, victim does not support action'), ('time_limit_expired', 'Prosecution time limit expired'), ('no_suspect_identified', 'Investigation complete: no suspect identified'), ('another_body', 'Further action by another body or agency'), ('further_investigation_not_pi', 'Further investigation to support formal action not in the public interest'), ('diversionary', 'Diversionary, educational or intervention activity'), ('court_result', 'Court result')], max_length=40),
        ),
        migrations.AlterField(
            model_name='criminaljusticeoutcomeevent',
            name='offence',
            field=models.CharField(blank=True, choices=[('s2a_stalking', 'Stalking (Protection from Harassment Act 1997 s.2A)'), ('s4a_stalking', 'Stalking involving fear of violence or serious alarm or distress (s.4A)'), ('s4a_stalking_fear_of_violence', 'Stalking involving fear of violence (s.4A(1)(b)(i))'), ('s4a_stalking_serious_alarm_distress', 'Stalking involving serious alarm or distress (s.4A(1)(b)(ii))'), ('s2_harassment', 'Harassment (s.2)'), ('s4_harassment', 'Harassment putting people in fear of violence (s.4)'), ('breach_restraining_order', 'Breach of a restraining order'), ('breach_spo', 'Breach of a Stalking Protection Order'), ('malicious_communications', 'Malicious communications'), ('other', 'Other')], max_length=40),
        ),
        migrations.AlterField(
            model_name='referral',
            name='offence',
            field=models.CharField(choices=[('s2a_stalking', 'Stalking (Protection from Harassment Act 1997 s.2A)'), ('s4a_stalking', 'Stalking involving fear of violence or serious alarm or distress (s.4A)'), ('s4a_stalking_fear_of_violence', 'Stalking involving fear of violence (s.4A(1)(b)(i))'), ('s4a_stalking_serious_alarm_distress', 'Stalking involving serious alarm or distress (s.4A(1)(b)(ii))'), ('s2_harassment', 'Harassment (s.2)'), ('s4_harassment', 'Harassment putting people in fear of violence (s.4)'), ('breach_restraining_order', 'Breach of a restraining order'), ('breach_spo', 'Breach of a Stalking Protection Order'), ('malicious_communications', 'Malicious communications'), ('other', 'Other')], max_length=40),
        ),
        migrations.AlterField(
            model_name='referralevent',
            name='offence',
            field=models.CharField(choices=[('s2a_stalking', 'Stalking (Protection from Harassment Act 1997 s.2A)'), ('s4a_stalking', 'Stalking involving fear of violence or serious alarm or distress (s.4A)'), ('s4a_stalking_fear_of_violence', 'Stalking involving fear of violence (s.4A(1)(b)(i))'), ('s4a_stalking_serious_alarm_distress', 'Stalking involving serious alarm or distress (s.4A(1)(b)(ii))'), ('s2_harassment', 'Harassment (s.2)'), ('s4_harassment', 'Harassment putting people in fear of violence (s.4)'), ('breach_restraining_order', 'Breach of a restraining order'), ('breach_spo', 'Breach of a Stalking Protection Order'), ('malicious_communications', 'Malicious communications'), ('other', 'Other')], max_length=40),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='case',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "cases_casehistory" ("antisocial_lifestyle", "assigned_worker_id", "closed_on", "created_at", "current_risk", "decided_on", "decision", "decision_reason", "discharge_reason", "heard_at_clinic", "id", "is_restricted", "mappa", "mental_health_services", "next_due_on", "partnership_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "probation_involved", "received_on", "referral_id", "stalker_type", "status", "tier", "updated_at") VALUES (NEW."antisocial_lifestyle", NEW."assigned_worker_id", NEW."closed_on", NEW."created_at", NEW."current_risk", NEW."decided_on", NEW."decision", NEW."decision_reason", NEW."discharge_reason", NEW."heard_at_clinic", NEW."id", NEW."is_restricted", NEW."mappa", NEW."mental_health_services", NEW."next_due_on", NEW."partnership_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."probation_involved", NEW."received_on", NEW."referral_id", NEW."stalker_type", NEW."status", NEW."tier", NEW."updated_at"); RETURN NULL;', hash='13957be2a2da7881a3dd60df79da241d4718a434', operation='INSERT', pgid='pgtrigger_insert_insert_0b483', table='cases_case', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='case',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "cases_casehistory" ("antisocial_lifestyle", "assigned_worker_id", "closed_on", "created_at", "current_risk", "decided_on", "decision", "decision_reason", "discharge_reason", "heard_at_clinic", "id", "is_restricted", "mappa", "mental_health_services", "next_due_on", "partnership_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "probation_involved", "received_on", "referral_id", "stalker_type", "status", "tier", "updated_at") VALUES (NEW."antisocial_lifestyle", NEW."assigned_worker_id", NEW."closed_on", NEW."created_at", NEW."current_risk", NEW."decided_on", NEW."decision", NEW."decision_reason", NEW."discharge_reason", NEW."heard_at_clinic", NEW."id", NEW."is_restricted", NEW."mappa", NEW."mental_health_services", NEW."next_due_on", NEW."partnership_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."probation_involved", NEW."received_on", NEW."referral_id", NEW."stalker_type", NEW."status", NEW."tier", NEW."updated_at"); RETURN NULL;', hash='e3623b57cd03f0d3f3d0bde87e853f776995e9fc', operation='UPDATE', pgid='pgtrigger_update_update_f5146', table='cases_case', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='case',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "cases_casehistory" ("antisocial_lifestyle", "assigned_worker_id", "closed_on", "created_at", "current_risk", "decided_on", "decision", "decision_reason", "discharge_reason", "heard_at_clinic", "id", "is_restricted", "mappa", "mental_health_services", "next_due_on", "partnership_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "probation_involved", "received_on", "referral_id", "stalker_type", "status", "tier", "updated_at") VALUES (OLD."antisocial_lifestyle", OLD."assigned_worker_id", OLD."closed_on", OLD."created_at", OLD."current_risk", OLD."decided_on", OLD."decision", OLD."decision_reason", OLD."discharge_reason", OLD."heard_at_clinic", OLD."id", OLD."is_restricted", OLD."mappa", OLD."mental_health_services", OLD."next_due_on", OLD."partnership_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."probation_involved", OLD."received_on", OLD."referral_id", OLD."stalker_type", OLD."status", OLD."tier", OLD."updated_at"); RETURN NULL;', hash='4e03f3b86f3a8be54216ef69adb2910779329496', operation='DELETE', pgid='pgtrigger_delete_delete_8d49e', table='cases_case', when='AFTER')),
        ),
        migrations.RunPython(to_home_office, to_kinds),
    ]
