"""Reads of the data-protection pages: scoped to the admin's partnership (404 outside),
and logged where they show personal data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from agencies.models import User
from audit.models import AccessAction
from audit.services import access_record
from cases.permissions import people_with_identity
from privacy import subject_access
from privacy.models import (
    ItemOutcome,
    LegalHold,
    PrivacySettings,
    RequestStatus,
    RetentionBatch,
    RetentionChunk,
    RetentionItem,
    RetentionSchedule,
    SubjectAccessRequest,
)
from privacy.permissions import require_admin


def schedules_for_admin(*, actor: User) -> list[RetentionSchedule]:
    partnership_id = require_admin(actor)
    return list(RetentionSchedule.objects.filter(partnership_id=partnership_id, is_active=True))


def batches_for_admin(*, actor: User) -> list[RetentionBatch]:
    partnership_id = require_admin(actor)
    return list(
        RetentionBatch.objects.filter(partnership_id=partnership_id)
        .annotate(chunks_done=Count("chunks", filter=Q(chunks__done_at__isnull=False)), chunk_total=Count("chunks"))
        .select_related("decided_by")[:100]
    )


@dataclass(frozen=True)
class BatchLine:
    schedule: RetentionSchedule
    counts: dict[str, int]
    total: int


@dataclass(frozen=True)
class BatchPage:
    batch: RetentionBatch
    lines: list[BatchLine]
    chunks_done: int
    chunk_total: int


def batch_for_admin(*, actor: User, batch_id: int) -> BatchPage:
    """A batch by schedule, with counts only: the page names no record."""
    partnership_id = require_admin(actor)
    batch = (
        RetentionBatch.objects.filter(pk=batch_id, partnership_id=partnership_id).select_related("decided_by").first()
    )
    if batch is None:
        raise Http404
    counts: dict[int, dict[str, int]] = {}
    for schedule_id, outcome, n in (
        RetentionItem.objects.filter(batch=batch).values_list("schedule_id", "outcome").annotate(n=Count("id"))
    ):
        counts.setdefault(schedule_id, {})[outcome] = n
    schedules = RetentionSchedule.objects.in_bulk(list(counts))
    lines = [
        BatchLine(schedules[sid], {ItemOutcome(k).label: v for k, v in c.items()}, sum(c.values()))
        for sid, c in sorted(counts.items())
    ]
    chunks = RetentionChunk.objects.filter(batch=batch)
    return BatchPage(batch, lines, chunks.filter(done_at__isnull=False).count(), chunks.count())


def holds_for_admin(*, actor: User) -> list[LegalHold]:
    partnership_id = require_admin(actor)
    holds = list(
        LegalHold.objects.filter(case__partnership_id=partnership_id)
        .select_related("case", "set_by", "lifted_by")
        .order_by("lifted_at", "-set_at")[:200]
    )
    if holds:
        access_record(
            user=actor, action=AccessAction.VIEW, record_type="privacy.legalhold", record_ids=[h.pk for h in holds]
        )
    return holds


def hold_for_admin(*, actor: User, hold_id: int) -> LegalHold:
    partnership_id = require_admin(actor)
    hold = (
        LegalHold.objects.filter(pk=hold_id, case__partnership_id=partnership_id, lifted_at__isnull=True)
        .select_related("case")
        .first()
    )
    if hold is None:
        raise Http404
    access_record(user=actor, action=AccessAction.VIEW, record_type="privacy.legalhold", record_ids=[hold.pk])
    return hold


def requests_for_admin(*, actor: User, include_closed: bool = False) -> list[SubjectAccessRequest]:
    partnership_id = require_admin(actor)
    requests = SubjectAccessRequest.objects.filter(partnership_id=partnership_id).select_related("person")
    if not include_closed:
        requests = requests.exclude(status=RequestStatus.DISCLOSED)
    found = list(requests.order_by("due_on", "id")[:500])
    today = timezone.localdate()
    named = people_with_identity(actor, [s.person_id for s in found])
    for sar in found:
        sar.name_shown = sar.person_id in named  # type: ignore[attr-defined]
        sar.is_overdue = sar.status != RequestStatus.DISCLOSED and sar.due_on < today  # type: ignore[attr-defined]
    if found:
        access_record(
            user=actor,
            action=AccessAction.VIEW,
            record_type="cases.person",
            record_ids=sorted({s.person_id for s in found}),
            purpose="Subject access requests list",
        )
    return found


def request_for_admin(*, actor: User, sar_id: int) -> SubjectAccessRequest:
    partnership_id = require_admin(actor)
    sar = SubjectAccessRequest.objects.filter(pk=sar_id, partnership_id=partnership_id).select_related("person").first()
    if sar is None:
        raise Http404
    return sar


def disclosure_for_admin(*, actor: User, sar_id: int) -> tuple[SubjectAccessRequest, dict[str, Any]]:
    """Everything held about the request's person, redacted, for the admin to review."""
    sar = request_for_admin(actor=actor, sar_id=sar_id)
    data = subject_access.gather(sar, reader=actor, redact_staff=redact_staff_names(sar.partnership_id))
    access_record(
        user=actor,
        action=AccessAction.VIEW,
        record_type="cases.person",
        record_ids=[sar.person_id],
        purpose=f"Subject access request {sar.pk}: review",
    )
    return sar, data


def disclosure_file(*, actor: User, sar_id: int, output: str) -> tuple[SubjectAccessRequest, bytes]:
    """The approved disclosure as a file (PDF or JSON). Logged as a disclosure by the
    service the page calls with it (privacy.services.sar_mark_disclosed), in one transaction."""
    sar = request_for_admin(actor=actor, sar_id=sar_id)
    if sar.status == RequestStatus.OPEN:
        raise Http404
    data = subject_access.gather(sar, reader=actor, redact_staff=redact_staff_names(sar.partnership_id))
    if data["withheld"]:
        # Approved by an admin who may see all of it; this reader may not, so not for them.
        raise Http404
    return sar, subject_access.as_pdf(data) if output == "pdf" else subject_access.as_json(data)


def redact_staff_names(partnership_id: int) -> bool:
    """Redacted unless the partnership has said staff may be named."""
    value = (
        PrivacySettings.objects.filter(partnership_id=partnership_id)
        .values_list("redact_staff_names", flat=True)
        .first()
    )
    return True if value is None else bool(value)
