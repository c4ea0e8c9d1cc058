"""Every write of data protection: schedules, legal holds, the retention job, subject access.

Keyword-only, typed, atomic. Ids from the client are looked up inside the admin's own
partnership and answer 404 otherwise.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass
from functools import partial

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Count
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from advocacy.models import ContactLogEntry
from agencies.models import Partnership, Role, User
from audit.models import AccessAction
from audit.services import access_record
from cases.models import Case, CaseNote, CaseParty, Person
from cases.permissions import people_with_identity
from cases.selectors import case_queryset_for_user
from documents.models import Document
from interventions.models import ClinicalNote
from notifications.services import notify
from privacy import due, erasure, subject_access
from privacy.models import (
    BatchStatus,
    ItemOutcome,
    LegalHold,
    PrivacySettings,
    RecordKind,
    RequestStatus,
    RetentionAction,
    RetentionBatch,
    RetentionChunk,
    RetentionItem,
    RetentionSchedule,
    SubjectAccessRequest,
    Trigger,
)
from privacy.permissions import require_admin

# Records done in one transaction: small enough that a killed worker loses seconds of
# work, large enough that a 50,000-record batch is a few hundred transactions.
DEFAULT_CHUNK_SIZE = 200
# How long one run of the task works before queueing its continuation, well inside the
# task's soft limit (masip/jobs.py), so no chunk is ever cut off by the limit.
DEFAULT_SLICE_SECONDS = 15.0


def chunk_size() -> int:
    return int(getattr(settings, "PRIVACY_RETENTION_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))


# --- schedules and settings ----------------------------------------------------------------------------------


@transaction.atomic
def schedule_create(
    *, actor: User, record_kind: str, trigger: str, period_months: int, action: str, basis: str = ""
) -> RetentionSchedule:
    partnership_id = require_admin(actor)
    errors = due.schedule_errors(record_kind=record_kind, trigger=trigger, action=action)
    if period_months is None or period_months < 1 or period_months > 1200:
        errors["period_months"] = "Enter a period between 1 and 1200 months"
    if (
        not errors
        and RetentionSchedule.objects.filter(
            partnership_id=partnership_id, record_kind=record_kind, trigger=trigger, action=action, is_active=True
        ).exists()
    ):
        errors["record_kind"] = "There is already a schedule for this kind of record, trigger and action"
    if errors:
        raise ValidationError(errors)
    schedule = RetentionSchedule.objects.create(
        partnership_id=partnership_id,
        record_kind=record_kind,
        trigger=trigger,
        period_months=period_months,
        action=action,
        basis=basis.strip(),
        created_by=actor,
    )
    access_record(
        user=actor, action=AccessAction.CREATE, record_type="privacy.retentionschedule", record_ids=[schedule.pk]
    )
    return schedule


@transaction.atomic
def schedule_retire(*, actor: User, schedule_id: int) -> RetentionSchedule:
    partnership_id = require_admin(actor)
    schedule = (
        RetentionSchedule.objects.select_for_update().filter(pk=schedule_id, partnership_id=partnership_id).first()
    )
    if schedule is None:
        raise Http404
    if schedule.is_active:
        schedule.is_active = False
        schedule.save(update_fields=["is_active"])
        access_record(
            user=actor, action=AccessAction.CHANGE, record_type="privacy.retentionschedule", record_ids=[schedule.pk]
        )
    return schedule


def privacy_settings_for(partnership_id: int) -> PrivacySettings:
    settings_row, _ = PrivacySettings.objects.get_or_create(partnership_id=partnership_id)
    return settings_row


@transaction.atomic
def privacy_settings_update(*, actor: User, redact_staff_names: bool) -> PrivacySettings:
    partnership_id = require_admin(actor)
    row = privacy_settings_for(partnership_id)
    row.redact_staff_names = redact_staff_names
    row.updated_by = actor
    row.save(update_fields=["redact_staff_names", "updated_by"])
    return row


# --- legal holds ---------------------------------------------------------------------------------------------


def case_for_admin(*, actor: User, reference: str) -> Case | None:
    """A case of the admin's partnership by the number staff quote (MASIP-000123 or 123)."""
    partnership_id = require_admin(actor)
    digits = reference.strip().upper().removeprefix("MASIP-").lstrip("0")
    if not digits.isdigit():
        return None
    return Case.objects.filter(pk=int(digits), partnership_id=partnership_id).first()


@transaction.atomic
def legal_hold_set(*, actor: User, case_reference: str, reason: str) -> LegalHold:
    require_admin(actor)
    errors: dict[str, str] = {}
    case = case_for_admin(actor=actor, reference=case_reference)
    if case is None:
        errors["case_reference"] = "Enter the number of a case in your partnership, like MASIP-000123"
    if not reason.strip():
        errors["reason"] = "Enter why the case is held"
    if case is not None and LegalHold.objects.filter(case=case, lifted_at__isnull=True).exists():
        errors["case_reference"] = "This case is already under a legal hold"
    if errors:
        raise ValidationError(errors)
    assert case is not None
    Case.objects.select_for_update().filter(pk=case.pk).first()  # one hold at a time per case
    hold = LegalHold.objects.create(case=case, reason=reason.strip(), set_by=actor)
    access_record(user=actor, action=AccessAction.CREATE, record_type="privacy.legalhold", record_ids=[hold.pk])
    return hold


@transaction.atomic
def legal_hold_lift(*, actor: User, hold_id: int, reason: str) -> LegalHold:
    partnership_id = require_admin(actor)
    hold = (
        LegalHold.objects.select_for_update()
        .filter(pk=hold_id, case__partnership_id=partnership_id, lifted_at__isnull=True)
        .first()
    )
    if hold is None:
        raise Http404
    if not reason.strip():
        raise ValidationError({"lift_reason": "Enter why the hold is lifted"})
    hold.lifted_by = actor
    hold.lifted_at = timezone.now()
    hold.lift_reason = reason.strip()
    hold.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
    access_record(user=actor, action=AccessAction.CHANGE, record_type="privacy.legalhold", record_ids=[hold.pk])
    return hold


# --- the nightly listing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    batch_id: int
    items: int


def _insert_due(batch: RetentionBatch, schedule: RetentionSchedule, today: dt.date, first_chunk: int) -> int:
    select_sql, params = due.due_rows(schedule, today).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {RetentionItem._meta.db_table}
                (batch_id, schedule_id, record_kind, record_id, case_id, chunk, outcome)
            SELECT %s, %s, %s, due.rid, due.cid,
                   %s + (row_number() OVER (ORDER BY due.rid) - 1) / %s, %s
            FROM ({select_sql}) AS due
            ON CONFLICT (schedule_id, record_id) DO NOTHING
            """,  # noqa: S608 - the inner query is Django's own, with its parameters
            [batch.pk, schedule.pk, schedule.record_kind, first_chunk, chunk_size(), ItemOutcome.PENDING, *params],
        )
        return int(cursor.rowcount)


@transaction.atomic
def retention_list_partnership(*, partnership_id: int, today: dt.date) -> Listed | None:
    """List what is due in one partnership today into its batch awaiting approval.

    Idempotent: one batch per partnership and day, one item per schedule and record (a
    second run, or a second delivery of the job while the first runs, adds nothing)."""
    schedules = list(RetentionSchedule.objects.filter(partnership_id=partnership_id, is_active=True).order_by("pk"))
    if not schedules:
        return None
    batch, _ = RetentionBatch.objects.get_or_create(partnership_id=partnership_id, listed_on=today)
    batch = RetentionBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.AWAITING_APPROVAL:
        return Listed(batch.pk, 0)
    added = 0
    for schedule in schedules:
        last = RetentionItem.objects.filter(batch=batch).aggregate(m=models.Max("chunk"))["m"]
        added += _insert_due(batch, schedule, today, 0 if last is None else last + 1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {RetentionChunk._meta.db_table} (batch_id, number, item_count)
            SELECT batch_id, chunk, count(*) FROM {RetentionItem._meta.db_table}
            WHERE batch_id = %s GROUP BY batch_id, chunk
            ON CONFLICT (batch_id, number) DO NOTHING
            """,  # noqa: S608 - table names from the models
            [batch.pk],
        )
    total = RetentionItem.objects.filter(batch=batch).count()
    if total == 0:
        batch.delete()
        return None
    batch.item_count = total
    batch.save(update_fields=["item_count"])
    if added:
        link = reverse("privacy:batch", args=[batch.pk])
        admins = list(User.objects.filter(agency__partnership_id=partnership_id, role=Role.PARTNERSHIP_ADMIN))
        transaction.on_commit(partial(_tell_admins, admins, total, link, batch.pk))
    return Listed(batch.pk, added)


def _tell_admins(admins: list[User], total: int, link: str, batch_id: int) -> None:
    for admin in admins:
        notify(
            admin,
            "Retention batch awaiting approval",
            f"{total} records fall due under the partnership's retention schedules.",
            link,
            key=f"retention-batch-{batch_id}",
        )


def retention_list_due(*, today: dt.date) -> list[Listed]:
    """The nightly job: every partnership with a schedule, each in its own transaction."""
    partnership_ids = (
        RetentionSchedule.objects.filter(is_active=True).values_list("partnership_id", flat=True).distinct()
    )
    listed = []
    for partnership_id in sorted(set(partnership_ids)):
        result = retention_list_partnership(partnership_id=partnership_id, today=today)
        if result is not None:
            listed.append(result)
    return listed


# --- approval ------------------------------------------------------------------------------------------------


def _batch_for_update(actor: User, batch_id: int) -> RetentionBatch:
    partnership_id = require_admin(actor)
    batch = RetentionBatch.objects.select_for_update().filter(pk=batch_id, partnership_id=partnership_id).first()
    if batch is None:
        raise Http404
    return batch


@transaction.atomic
def retention_batch_approve(*, actor: User, batch_id: int) -> RetentionBatch:
    batch = _batch_for_update(actor, batch_id)
    if batch.status != BatchStatus.AWAITING_APPROVAL:
        raise ValidationError({"batch": "This batch has already been decided"})
    batch.status = BatchStatus.APPROVED
    batch.decided_by = actor
    batch.decided_at = timezone.now()
    batch.save(update_fields=["status", "decided_by", "decided_at"])
    access_record(user=actor, action=AccessAction.CHANGE, record_type="privacy.retentionbatch", record_ids=[batch.pk])
    from privacy.tasks import run_retention_batch

    transaction.on_commit(lambda: run_retention_batch.delay(batch.pk))
    return batch


@transaction.atomic
def retention_batch_reject(*, actor: User, batch_id: int) -> RetentionBatch:
    batch = _batch_for_update(actor, batch_id)
    if batch.status != BatchStatus.AWAITING_APPROVAL:
        raise ValidationError({"batch": "This batch has already been decided"})
    batch.status = BatchStatus.REJECTED
    batch.decided_by = actor
    batch.decided_at = timezone.now()
    batch.save(update_fields=["status", "decided_by", "decided_at"])
    access_record(user=actor, action=AccessAction.CHANGE, record_type="privacy.retentionbatch", record_ids=[batch.pk])
    return batch


# --- the run: chunk by chunk ---------------------------------------------------------------------------------

CONTENT_ONLY: dict[str, type[models.Model]] = {
    RecordKind.DOCUMENT: Document,
    RecordKind.CONTACT_LOG: ContactLogEntry,
    RecordKind.CLINICAL_NOTE: ClinicalNote,
}
# Rows that exist only to hold words: an erased case loses them outright.
CASE_CONTENT_ROWS: tuple[type[models.Model], ...] = (Document, ContactLogEntry, ClinicalNote, CaseNote)


def _pause_for_tests() -> None:
    pause = float(getattr(settings, "PRIVACY_TEST_CHUNK_PAUSE_SECONDS", 0) or 0)
    if pause:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(%s) /* privacy-test-slow-step */", [pause])


def _held_cases(case_ids: set[int]) -> set[int]:
    return set(LegalHold.objects.filter(case_id__in=case_ids, lifted_at__isnull=True).values_list("case_id", flat=True))


def _people_only_in(batch: RetentionBatch, case_ids: set[int]) -> set[int]:
    """Parties of these cases with no part in a case this batch is not anonymising or erasing."""
    batch_cases = RetentionItem.objects.filter(
        batch=batch,
        record_kind=RecordKind.CASE,
        schedule__action__in=[RetentionAction.ANONYMISE, RetentionAction.ERASE],
    ).values("record_id")
    people = set(CaseParty.objects.filter(case_id__in=case_ids).values_list("person_id", flat=True))
    elsewhere = set(
        CaseParty.objects.filter(person_id__in=people)
        .exclude(case_id__in=batch_cases)
        .values_list("person_id", flat=True)
    )
    return people - elsewhere


def _apply(
    batch: RetentionBatch, schedule: RetentionSchedule, items: list[RetentionItem]
) -> tuple[int, erasure.Erased]:
    """Do one schedule's action to its items of a chunk; answers how many were done."""
    result = erasure.Erased()
    kind, action = schedule.record_kind, schedule.action
    outcome: dict[int, str] = {}
    if kind == RecordKind.PERSON:
        held_people = set(
            CaseParty.objects.filter(
                person_id__in=[i.record_id for i in items],
                case_id__in=LegalHold.objects.filter(lifted_at__isnull=True).values("case_id"),
            ).values_list("person_id", flat=True)
        )
        for item in items:
            outcome[item.pk] = ItemOutcome.HELD if item.record_id in held_people else ItemOutcome.DONE
    else:
        held = _held_cases({i.case_id for i in items if i.case_id is not None})
        for item in items:
            outcome[item.pk] = ItemOutcome.HELD if item.case_id in held else ItemOutcome.DONE
    ids = {i.record_id for i in items if outcome[i.pk] == ItemOutcome.DONE}
    erase = action == RetentionAction.ERASE
    if ids and action != RetentionAction.REVIEW:
        if kind == RecordKind.CASE:
            present = set(Case.objects.filter(pk__in=ids).values_list("pk", flat=True))
            people = _people_only_in(batch, present)
            rows = erasure.case_rows(present)
            for model, person_owned in erasure.person_rows(people).items():
                rows.setdefault(model, set()).update(person_owned)
            erasure.overwrite(rows, with_json=erase, result=result)
            erasure.clear_person_facts(people, erase=erase)
            if erase:
                content = {m: rows[m] for m in CASE_CONTENT_ROWS if rows.get(m)}
                for model, model_ids in content.items():
                    erasure.delete_rows(model, model_ids, result=result)
                erasure.forget_history(content, result=result)
        elif kind == RecordKind.PERSON:
            present = set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True))
            erasure.overwrite(erasure.person_rows(present), with_json=erase, result=result)
            erasure.clear_person_facts(present, erase=erase)
        else:
            model = CONTENT_ONLY[kind]
            present = set(model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))
            rows = erasure.owned_rows({model: present})
            erasure.overwrite(rows, with_json=erase, result=result)
            if erase:
                erasure.delete_rows(model, present, result=result)
                erasure.forget_history(rows, result=result)
        for item in items:
            if outcome[item.pk] == ItemOutcome.DONE and item.record_id not in present:
                outcome[item.pk] = ItemOutcome.GONE
    by_outcome: dict[str, list[int]] = defaultdict(list)
    for pk, value in outcome.items():
        by_outcome[value].append(pk)
    for value, pks in by_outcome.items():
        RetentionItem.objects.filter(pk__in=pks).update(outcome=value)
    return len(by_outcome.get(ItemOutcome.DONE, [])), result


PAST_TENSE = {
    RetentionAction.REVIEW: "Reviewed",
    RetentionAction.ANONYMISE: "Anonymised",
    RetentionAction.ERASE: "Erased",
}


def retention_chunk_run(*, chunk_id: int) -> bool:
    """Do one chunk in one transaction, marking it done in the same transaction, and leave a
    tombstone in the access log per schedule. False when the chunk is already done or another
    worker holds it (a second delivery of the task skips it rather than doing it twice)."""
    with transaction.atomic():
        chunk = (
            RetentionChunk.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=chunk_id, done_at__isnull=True)
            .order_by()
            .first()
        )
        if chunk is None:
            return False
        batch = RetentionBatch.objects.select_related("decided_by").get(pk=chunk.batch_id)
        if batch.status != BatchStatus.APPROVED:
            return False
        items = list(
            RetentionItem.objects.filter(batch=batch, chunk=chunk.number, outcome=ItemOutcome.PENDING)
            .select_related("schedule")
            .order_by("pk")
        )
        by_schedule: dict[int, list[RetentionItem]] = defaultdict(list)
        for item in items:
            by_schedule[item.schedule_id].append(item)
        for group in by_schedule.values():
            schedule = group[0].schedule
            done, result = _apply(batch, schedule, group)
            _pause_for_tests()
            # The tombstone: what kind, how many, under which schedule, approved by whom.
            # No ids of the records, no content: the access log keeps it for good.
            access_record(
                user=batch.decided_by,
                action=AccessAction.CHANGE,
                record_type="privacy.retentionbatch",
                record_ids=[batch.pk],
                purpose=(
                    f"{PAST_TENSE[RetentionAction(schedule.action)]} {done} "
                    f"{RecordKind(schedule.record_kind).label.lower()} records under retention schedule "
                    f"{schedule.pk} ({schedule}), batch {batch.pk} chunk {chunk.number}, "
                    f"approved by user {batch.decided_by_id}; {result.rows} rows overwritten, "
                    f"{result.deleted} deleted, {result.history_rows} history rows and {result.files} files removed"
                ),
            )
        chunk.done_at = timezone.now()
        chunk.save(update_fields=["done_at"])
        return True


def retention_batch_run(*, batch_id: int, budget_seconds: float | None = None) -> int:
    """Run the batch's chunks not yet done, for up to ``budget_seconds``; answers how many
    remain. A killed run loses only its open chunk's transaction; the next run skips the
    chunks already marked done."""
    budget = (
        budget_seconds
        if budget_seconds is not None
        else getattr(settings, "PRIVACY_RETENTION_SLICE_SECONDS", DEFAULT_SLICE_SECONDS)
    )
    started = time.monotonic()
    pending = list(
        RetentionChunk.objects.filter(batch_id=batch_id, done_at__isnull=True, batch__status=BatchStatus.APPROVED)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    for index, chunk_id in enumerate(pending):
        retention_chunk_run(chunk_id=chunk_id)
        if time.monotonic() - started > budget and index + 1 < len(pending):
            break
    remaining = RetentionChunk.objects.filter(batch_id=batch_id, done_at__isnull=True).count()
    if remaining == 0:
        RetentionBatch.objects.filter(pk=batch_id, status=BatchStatus.APPROVED).update(
            status=BatchStatus.DONE, finished_at=timezone.now()
        )
    return remaining


def batch_outcomes(batch: RetentionBatch) -> dict[str, int]:
    return dict(
        RetentionItem.objects.filter(batch=batch)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )


# --- subject access requests ---------------------------------------------------------------------------------


def due_on_for(received_on: dt.date) -> dt.date:
    """One calendar month (UK GDPR art. 12(3)); relativedelta keeps 31 January -> 28/29 February."""
    return received_on + relativedelta(months=1)


@transaction.atomic
def sar_open(*, actor: User, person_id: int, received_on: dt.date, identity_checked: bool) -> SubjectAccessRequest:
    partnership_id = require_admin(actor)
    person = Person.objects.filter(pk=person_id, partnership_id=partnership_id, merged_into__isnull=True).first()
    # The id comes from the client: it must name someone the admin already sees (through a
    # case of theirs the admin may open, with her identity), as the person page asks.
    if (
        person is None
        or not CaseParty.objects.filter(
            person=person, case__in=case_queryset_for_user(user=actor).values("pk")
        ).exists()
        or person.pk not in people_with_identity(actor, [person.pk])
    ):
        raise Http404
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": "The date received must be today or in the past"})
    sar = SubjectAccessRequest.objects.create(
        partnership_id=partnership_id,
        person=person,
        received_on=received_on,
        due_on=due_on_for(received_on),
        identity_checked=identity_checked,
        opened_by=actor,
    )
    access_record(
        user=actor, action=AccessAction.CREATE, record_type="privacy.subjectaccessrequest", record_ids=[sar.pk]
    )
    return sar


def _sar_for_update(actor: User, sar_id: int) -> SubjectAccessRequest:
    partnership_id = require_admin(actor)
    sar = SubjectAccessRequest.objects.select_for_update().filter(pk=sar_id, partnership_id=partnership_id).first()
    if sar is None:
        raise Http404
    return sar


@transaction.atomic
def sar_set_identity_checked(*, actor: User, sar_id: int) -> SubjectAccessRequest:
    sar = _sar_for_update(actor, sar_id)
    sar.identity_checked = True
    sar.save(update_fields=["identity_checked"])
    access_record(
        user=actor, action=AccessAction.CHANGE, record_type="privacy.subjectaccessrequest", record_ids=[sar.pk]
    )
    return sar


@transaction.atomic
def sar_approve(*, actor: User, sar_id: int) -> SubjectAccessRequest:
    sar = _sar_for_update(actor, sar_id)
    if sar.status != RequestStatus.OPEN:
        raise ValidationError({"status": "This request has already been approved"})
    if not sar.identity_checked:
        raise ValidationError({"identity_checked": "Check the requester's identity before approving the disclosure"})
    withheld = subject_access.gather(sar, reader=actor, redact_staff=True)["withheld"]
    if withheld:
        raise ValidationError(
            {
                "status": "Part of what is held is kept from your agency, so you cannot approve this disclosure: "
                "an admin whose agency may see all of it must review and approve it"
            }
        )
    sar.status = RequestStatus.APPROVED
    sar.approved_by = actor
    sar.approved_at = timezone.now()
    sar.save(update_fields=["status", "approved_by", "approved_at"])
    access_record(
        user=actor, action=AccessAction.CHANGE, record_type="privacy.subjectaccessrequest", record_ids=[sar.pk]
    )
    return sar


@transaction.atomic
def sar_mark_disclosed(*, actor: User, sar_id: int, output: str) -> SubjectAccessRequest:
    """Log the disclosure (one row per file produced) and mark the request disclosed."""
    sar = _sar_for_update(actor, sar_id)
    if sar.status == RequestStatus.OPEN:
        raise Http404
    if sar.disclosed_at is None:
        sar.disclosed_at = timezone.now()
        sar.status = RequestStatus.DISCLOSED
        sar.save(update_fields=["disclosed_at", "status"])
    access_record(
        user=actor,
        action=AccessAction.DISCLOSE,
        record_type="cases.person",
        record_ids=[sar.person_id],
        purpose=f"Subject access request {sar.pk}: {output} disclosure to the data subject",
    )
    return sar


def partnerships_with_schedules() -> list[Partnership]:
    return list(Partnership.objects.filter(pk__in=RetentionSchedule.objects.values("partnership_id")))


__all__ = ["Trigger"]
