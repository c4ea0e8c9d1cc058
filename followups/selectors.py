"""Every read about monitoring and re-offending that a person sees, scoped to that person.

Scope is the case's: ``cases.selectors.case_get_for_user`` for one case (404 outside it)
and the caseload's visibility rule (one correlated EXISTS) for lists across cases.
Re-offending records and reviews are case information, shared with every agency the case
is shared with; they name no victim (only "same" or "new").

The reads a page or an endpoint shows write the access-log row for the case they show, so
pages and the API log alike and no view writes the log; ``review_get_for_user`` and
``candidate_get_for_user`` only scope (writes call them before a service, which logs).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from agencies.models import User
from audit.models import AccessAction
from audit.services import access_record
from cases import permissions as case_permissions
from cases.models import Case
from cases.selectors import case_get_for_user
from followups import permissions
from followups.models import (
    DEFAULT_CHECKPOINTS,
    CandidateStatus,
    FollowUpReview,
    MonitoringPeriod,
    ReoffendingCandidate,
    ReoffendingRecord,
    ReoffendingSource,
    ReviewStatus,
)
from followups.services import followup_settings_for

PAGE_SIZE = 25


def _log(user: User, case_ids: list[int], purpose: str) -> None:
    access_record(user=user, action=AccessAction.VIEW, record_type="cases.case", record_ids=case_ids, purpose=purpose)


# --- one case's monitoring ------------------------------------------------------------------------------------------


@dataclass
class CheckpointView:
    months: int
    due_on: dt.date
    window_starts_on: dt.date
    # upcoming | due | overdue | completed | withdrawn | not_reached (the period ended first)
    state: str
    review: FollowUpReview | None = None
    occurrences: list[ReoffendingRecord] = field(default_factory=list)

    @property
    def sources_checked_labels(self) -> list[str]:
        if self.review is None:
            return []
        return [str(ReoffendingSource(s).label) for s in self.review.sources_checked]

    @property
    def state_label(self) -> str:
        return {
            "upcoming": "Upcoming",
            "due": "Due",
            "overdue": "Overdue",
            "completed": "Completed",
            "withdrawn": "Withdrawn",
            "not_reached": "Not reached",
        }[self.state]


@dataclass
class PeriodView:
    period: MonitoringPeriod
    checkpoints: list[CheckpointView]
    ends_on: dt.date


@dataclass
class MonitoringView:
    case: Case
    periods: list[PeriodView]
    open_reviews: list[FollowUpReview]
    records: list[ReoffendingRecord]
    candidates: list[ReoffendingCandidate]
    checkpoints: tuple[int, ...]
    can_complete: bool
    can_record: bool
    can_decide: bool
    today: dt.date

    @property
    def pending_candidates(self) -> list[ReoffendingCandidate]:
        return [c for c in self.candidates if c.status == CandidateStatus.PENDING]

    @property
    def decided_candidates(self) -> list[ReoffendingCandidate]:
        return [c for c in self.candidates if c.status != CandidateStatus.PENDING]


def _review_state(review: FollowUpReview, today: dt.date) -> str:
    if review.status == ReviewStatus.COMPLETED:
        return "completed"
    if review.status == ReviewStatus.WITHDRAWN:
        return "withdrawn"
    return "due" if review.due_on >= today else "overdue"


def _period_view(
    period: MonitoringPeriod,
    checkpoints: tuple[int, ...],
    reviews: dict[tuple[int, int], FollowUpReview],
    occurrences: dict[int, list[ReoffendingRecord]],
    today: dt.date,
) -> PeriodView:
    """The period's checkpoints: the current settings' ones, plus any reviewed under older settings."""
    months = sorted(set(checkpoints) | {m for (pid, m) in reviews if pid == period.pk})
    views = []
    previous = 0
    for m in months:
        due_on = period.starts_on + relativedelta(months=m)
        review = reviews.get((period.pk, m))
        if review is not None:
            state = _review_state(review, today)
            window = review.window_starts_on
        else:
            window = period.starts_on + relativedelta(months=previous)
            if period.ended_on is not None and period.ended_on < due_on:
                state = "not_reached"
            elif due_on > today:
                state = "upcoming"
            else:
                # Reached but not made yet: the daily job makes it tonight.
                state = "due" if due_on == today else "overdue"
        views.append(
            CheckpointView(
                months=m,
                due_on=due_on,
                window_starts_on=window,
                state=state,
                review=review,
                occurrences=occurrences.get(review.pk, []) if review is not None else [],
            )
        )
        previous = m
    last = max(months) if months else 0
    return PeriodView(period=period, checkpoints=views, ends_on=period.starts_on + relativedelta(months=last))


def monitoring_for_user(*, user: User, case_id: int) -> MonitoringView:
    """The case's monitoring timeline, open reviews, re-offending and candidates; 404 outside scope."""
    case = case_get_for_user(user=user, case_id=case_id)
    today = timezone.localdate()
    checkpoints = followup_settings_for(partnership_id=case.partnership_id).checkpoints
    periods = list(MonitoringPeriod.objects.filter(case=case).order_by("starts_on", "id"))
    reviews = list(
        FollowUpReview.objects.filter(case=case)
        .select_related("assigned_agency", "assigned_worker", "completed_by")
        .order_by("due_on", "id")
    )
    records = list(
        ReoffendingRecord.objects.filter(case=case).select_related("recorded_by").order_by("occurred_on", "id")
    )
    candidates = list(
        ReoffendingCandidate.objects.filter(case=case)
        .select_related("new_case", "decided_by")
        .order_by("-created_at", "-id")
    )
    _attach_case(case, reviews, records, candidates)
    _mark_new_cases(user, candidates)
    by_review: dict[int, list[ReoffendingRecord]] = {}
    for record in records:
        if record.review_id is not None:
            by_review.setdefault(record.review_id, []).append(record)
    keyed = {(r.period_id, r.checkpoint_months): r for r in reviews}
    _log(user, [case.pk], "monitoring")
    return MonitoringView(
        case=case,
        periods=[_period_view(p, checkpoints, keyed, by_review, today) for p in periods],
        open_reviews=[r for r in reviews if r.status == ReviewStatus.OPEN],
        records=records,
        candidates=candidates,
        checkpoints=checkpoints,
        can_complete=permissions.can_complete_review(user),
        can_record=permissions.can_record_reoffending(user),
        can_decide=permissions.can_decide_candidate(user, case),
        today=today,
    )


def review_get_for_user(*, user: User, case_id: int, review_id: int) -> FollowUpReview:
    case = case_get_for_user(user=user, case_id=case_id)
    review = (
        FollowUpReview.objects.filter(case=case, pk=review_id)
        .select_related("period", "assigned_agency", "assigned_worker", "completed_by")
        .first()
    )
    if review is None:
        raise Http404
    review.case = case
    return review


def review_page_for_user(*, user: User, case_id: int, review_id: int) -> FollowUpReview:
    """The "complete a follow-up review" page."""
    review = review_get_for_user(user=user, case_id=case_id, review_id=review_id)
    _log(user, [review.case.pk], "follow-up review")
    return review


def candidate_get_for_user(*, user: User, case_id: int, candidate_id: int) -> ReoffendingCandidate:
    case = case_get_for_user(user=user, case_id=case_id)
    candidate = (
        ReoffendingCandidate.objects.filter(case=case, pk=candidate_id).select_related("new_case", "decided_by").first()
    )
    if candidate is None:
        raise Http404
    candidate.case = case
    _mark_new_cases(user, [candidate])
    return candidate


def candidate_page_for_user(*, user: User, case_id: int, candidate_id: int) -> ReoffendingCandidate:
    """The "possible re-offending" page, where the case's owner confirms or rejects it."""
    candidate = candidate_get_for_user(user=user, case_id=case_id, candidate_id=candidate_id)
    _log(user, [candidate.case.pk], "possible re-offending")
    return candidate


def reoffending_form_for_user(*, user: User, case_id: int) -> Case:
    """The "record re-offending" page: the case it is recorded on."""
    case = case_get_for_user(user=user, case_id=case_id)
    _log(user, [case.pk], "record re-offending")
    return case


def _mark_new_cases(user: User, candidates: list[ReoffendingCandidate]) -> None:
    """Set ``new_case_visible`` on each candidate: whether the user may see the new case.

    Seeing the earlier case is what lets a user read its candidates; the new case may be
    restricted, or not shared with the user's agency. Its reference is then not shown
    (pages, API): the suggestion's own date, kind, victim and offence are what the owner
    judges, and the new case's agencies hold the rest.
    """
    visible = case_permissions.viewable_pairs([(user, c.new_case) for c in candidates])
    for candidate in candidates:
        candidate.new_case_visible = (user.pk, candidate.new_case_id) in visible


def _attach_case(case: Case, *rows_of_case: list[Any]) -> None:
    """The rows' case is the one already fetched (with its referral): the outputs read
    ``case.reference`` and ``case.referral.ref``, which would otherwise cost queries per row."""
    for rows in rows_of_case:
        for row in rows:
            row.case = case


def reviews_for_case(*, user: User, case_id: int) -> list[FollowUpReview]:
    case = case_get_for_user(user=user, case_id=case_id)
    reviews = list(
        FollowUpReview.objects.filter(case=case)
        .select_related("assigned_agency", "assigned_worker", "completed_by")
        .prefetch_related("occurrences")
        .order_by("due_on", "id")
    )
    _attach_case(case, reviews)
    _log(user, [case.pk], "follow-up reviews")
    return reviews


def records_for_case(*, user: User, case_id: int) -> list[ReoffendingRecord]:
    case = case_get_for_user(user=user, case_id=case_id)
    records = list(ReoffendingRecord.objects.filter(case=case).order_by("occurred_on", "id"))
    _attach_case(case, records)
    _log(user, [case.pk], "re-offending")
    return records


def candidates_for_case(*, user: User, case_id: int) -> list[ReoffendingCandidate]:
    case = case_get_for_user(user=user, case_id=case_id)
    candidates = list(
        ReoffendingCandidate.objects.filter(case=case).select_related("new_case", "decided_by").order_by("-created_at")
    )
    _mark_new_cases(user, candidates)
    _log(user, [case.pk], "possible re-offending")
    return candidates


# --- the summary card on the case overview ----------------------------------------------------------------------


def case_card_for_user(user: Any, case: Case) -> dict[str, Any] | None:
    """The monitoring card (cases.extensions): the next checkpoint, open reviews, re-offending.

    Two queries: the open periods (with the partnership's settings), and one aggregate.
    The case page has already checked that the user may see the case.
    """
    if not case_permissions.is_staff_member(user) or user.agency.partnership_id != case.partnership_id:
        return None
    today = timezone.localdate()
    periods = list(
        MonitoringPeriod.objects.filter(case_id=case.pk, ended_on__isnull=True)
        .select_related("case__partnership__followup_settings")
        .order_by("starts_on")
    )
    checkpoints: tuple[int, ...] = DEFAULT_CHECKPOINTS
    if periods:
        found = getattr(periods[0].case.partnership, "followup_settings", None)
        checkpoints = tuple(found.checkpoints) if found is not None else DEFAULT_CHECKPOINTS
    upcoming = sorted(
        (p.starts_on + relativedelta(months=m), m)
        for p in periods
        for m in checkpoints
        if p.starts_on + relativedelta(months=m) > today
    )
    open_review = Q(followup_reviews__status=ReviewStatus.OPEN)
    stats = Case.objects.filter(pk=case.pk).aggregate(
        due=Count("followup_reviews", filter=open_review & Q(followup_reviews__due_on=today), distinct=True),
        overdue=Count("followup_reviews", filter=open_review & Q(followup_reviews__due_on__lt=today), distinct=True),
        total=Count("reoffending_records", distinct=True),
        persistence=Count("reoffending_records", filter=Q(reoffending_records__kind="persistence"), distinct=True),
        recurrence=Count("reoffending_records", filter=Q(reoffending_records__kind="recurrence"), distinct=True),
        pending=Count(
            "reoffending_candidates",
            filter=Q(reoffending_candidates__status=CandidateStatus.PENDING),
            distinct=True,
        ),
    )
    return {
        "case": case,
        "monitored": bool(periods),
        "next_checkpoint": upcoming[0] if upcoming else None,
        "due": stats["due"],
        "overdue": stats["overdue"],
        "reoffending": {k: stats[k] for k in ("total", "persistence", "recurrence")},
        "pending_candidates": stats["pending"],
    }


# --- reviews across the user's cases (API) -----------------------------------------------------------------------


@dataclass
class ReviewPage:
    reviews: list[FollowUpReview]
    next_cursor: str | None


def _encode(review: FollowUpReview) -> str:
    payload = json.dumps([review.due_on.isoformat(), review.pk]).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.date, int] | None:
    try:
        due, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return dt.date.fromisoformat(due), int(pk)
    except (ValueError, TypeError, RecursionError):  # a hand-made cursor of nested arrays: RecursionError
        return None


def open_reviews_for_user(
    *, user: User, due: str = "", mine: bool = False, cursor: str = "", page_size: int = PAGE_SIZE
) -> ReviewPage:
    """Open reviews on the cases the user can see, earliest due first, keyset-paged.

    Walks the partial index of open reviews by due date and keeps those whose case passes
    the caseload's visibility rule (a correlated EXISTS per row), so a page costs a few
    index probes whatever the partnership's size. ``due``: "due" (due today or earlier) or
    "overdue" (before today).
    """
    if not case_permissions.is_staff_member(user):
        raise Http404
    today = timezone.localdate()
    visible = Case.objects.filter(case_permissions.case_visibility_q(user)).filter(pk=OuterRef("case_id"))
    qs = FollowUpReview.objects.filter(status=ReviewStatus.OPEN).filter(Exists(visible))
    if due == "due":
        qs = qs.filter(due_on__lte=today)
    elif due == "overdue":
        qs = qs.filter(due_on__lt=today)
    if mine:
        # The case's worker now, as the reminders have it: a review scheduled in the same
        # moment as a reassignment may still name the worker before.
        qs = qs.filter(case__assigned_worker=user)
    decoded = _decode(cursor) if cursor else None
    if decoded is not None:
        due_on, pk = decoded
        qs = qs.filter(Q(due_on__gt=due_on) | Q(due_on=due_on, pk__gt=pk))
    rows = list(
        qs.select_related("case__referral", "assigned_agency", "assigned_worker", "completed_by")
        .prefetch_related("occurrences")
        .order_by("due_on", "id")[: page_size + 1]
    )
    more = len(rows) > page_size
    rows = rows[:page_size]
    _log(user, sorted({r.case_id for r in rows}), "follow-up reviews")
    return ReviewPage(reviews=rows, next_cursor=_encode(rows[-1]) if more and rows else None)
