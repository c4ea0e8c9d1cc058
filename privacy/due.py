"""What falls due under a schedule: one query per record kind and trigger.

Each answers rows of ``record_id`` and ``case_id`` (the case the record sits on, for the
legal-hold check at run time; none for a person), so the nightly job can list them with
one ``INSERT ... SELECT`` per schedule, however many there are.

A record on a case under a legal hold is never due; neither is a person with a part in
such a case.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db.models import Exists, F, Max, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.fields import BigIntegerField
from django.db.models.functions import Cast, Coalesce, TruncDate

from advocacy.models import ContactLogEntry
from cases.models import FINISHED_STATUSES, Case, CaseParty, Person
from documents.models import Document
from interventions.models import ClinicalNote
from privacy.models import LegalHold, RecordKind, RetentionAction, RetentionSchedule, Trigger

# Which triggers make sense for which kind of record (the service refuses the others).
TRIGGERS: dict[str, tuple[str, ...]] = {
    RecordKind.CASE: (Trigger.CASE_CLOSED, Trigger.LAST_CONTACT),
    RecordKind.PERSON: (Trigger.CASE_CLOSED, Trigger.LAST_CONTACT, Trigger.DATE_OF_BIRTH),
    RecordKind.DOCUMENT: (Trigger.CASE_CLOSED, Trigger.LAST_CONTACT, Trigger.DATE_OF_BIRTH),
    RecordKind.CONTACT_LOG: (Trigger.CASE_CLOSED, Trigger.LAST_CONTACT, Trigger.DATE_OF_BIRTH),
    RecordKind.CLINICAL_NOTE: (Trigger.CASE_CLOSED, Trigger.LAST_CONTACT),
    RecordKind.ACCESS_LOG: (Trigger.CASE_CLOSED,),
}
# The access log is append-only at the database (DPA 2018 s.62 logs must be kept): its
# schedule can only put it in front of a person; old months are detached to archive
# tables by audit.partitions, not erased row by row.
ACTIONS: dict[str, tuple[str, ...]] = {kind: tuple(RetentionAction.values) for kind in RecordKind.values}
ACTIONS[RecordKind.ACCESS_LOG] = (RetentionAction.REVIEW,)


def schedule_errors(*, record_kind: str, trigger: str, action: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if record_kind in TRIGGERS and trigger not in TRIGGERS[record_kind]:
        label = RecordKind(record_kind).label.lower()
        errors["trigger"] = f"A {label} cannot be kept from {Trigger(trigger).label.lower()}"
    if record_kind in ACTIONS and action not in ACTIONS[record_kind]:
        errors["action"] = "The access log can only be reviewed: it is append-only and kept by month"
    return errors


def cutoff(schedule: RetentionSchedule, today: dt.date) -> dt.date:
    return today - relativedelta(months=schedule.period_months)


def _held(case_path: str) -> Exists:
    return Exists(LegalHold.objects.filter(case_id=OuterRef(case_path), lifted_at__isnull=True))


def _cases_finished_before(partnership_id: int, day: dt.date) -> QuerySet[Case]:
    return (
        Case.objects.filter(partnership_id=partnership_id, status__in=FINISHED_STATUSES)
        .alias(ended=Coalesce(F("closed_on"), F("decided_on")))
        .filter(ended__lte=day)
    )


def _cases_last_contact_before(partnership_id: int, day: dt.date) -> QuerySet[Case]:
    last = ContactLogEntry.objects.filter(case_id=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    return (
        Case.objects.filter(partnership_id=partnership_id, status__in=FINISHED_STATUSES)
        .alias(last_contact=TruncDate(Subquery(last)))
        .filter(last_contact__lte=day)
    )


def _rows(qs: QuerySet, record: str, case: str | None) -> QuerySet:
    case_expr = Cast(F(case), BigIntegerField()) if case else Cast(Value(None), output_field=BigIntegerField())
    return qs.annotate(rid=Cast(F(record), BigIntegerField()), cid=case_expr).values("rid", "cid")


def due_rows(schedule: RetentionSchedule, today: dt.date) -> QuerySet:
    """The records due under ``schedule`` on ``today``, as (rid, cid) rows."""
    day = cutoff(schedule, today)
    p = schedule.partnership_id
    kind, trigger = schedule.record_kind, schedule.trigger
    if kind in (RecordKind.CASE, RecordKind.ACCESS_LOG):
        cases = _cases_finished_before(p, day) if trigger == Trigger.CASE_CLOSED else _cases_last_contact_before(p, day)
        return _rows(cases.filter(~_held("pk")), "pk", "pk")
    if kind == RecordKind.PERSON:
        people = Person.objects.filter(partnership_id=p, merged_into__isnull=True)
        held_party = CaseParty.objects.filter(
            person_id=OuterRef("pk"),
            case_id__in=LegalHold.objects.filter(lifted_at__isnull=True).values("case_id"),
        )
        open_part = CaseParty.objects.filter(person_id=OuterRef("pk")).exclude(case__status__in=FINISHED_STATUSES)
        people = people.filter(~Exists(held_party), ~Exists(open_part))
        if trigger == Trigger.DATE_OF_BIRTH:
            people = people.filter(date_of_birth__lte=day)
        elif trigger == Trigger.CASE_CLOSED:
            people = people.alias(
                last_ended=Max(Coalesce(F("case_parts__case__closed_on"), F("case_parts__case__decided_on")))
            ).filter(last_ended__lte=day)
        else:
            people = people.alias(last_contact=Max("advocacy_contacts__occurred_at")).filter(
                last_contact__date__lte=day
            )
        return _rows(people, "pk", None)
    models_by_kind: dict[str, type[Model]] = {
        RecordKind.DOCUMENT: Document,
        RecordKind.CONTACT_LOG: ContactLogEntry,
        RecordKind.CLINICAL_NOTE: ClinicalNote,
    }
    model = models_by_kind[kind]
    case_path = "intervention__case_id" if model is ClinicalNote else "case_id"
    records = model._default_manager.filter(**{f"{case_path.removesuffix('_id')}__partnership_id": p})
    if trigger == Trigger.CASE_CLOSED:
        records = records.filter(**{f"{case_path}__in": _cases_finished_before(p, day).values("pk")})
    elif trigger == Trigger.LAST_CONTACT:
        if model is ContactLogEntry:
            records = records.filter(occurred_at__date__lte=day, case__status__in=FINISHED_STATUSES)
        else:
            records = records.filter(**{f"{case_path}__in": _cases_last_contact_before(p, day).values("pk")})
    else:
        records = records.filter(person__date_of_birth__lte=day)
    return _rows(records.filter(~_held(case_path)), "pk", case_path)
