"""Victim advocacy's work lines (masip.worklist): for each victim an advocate supports, key
events not yet told, contacts overdue, and needs and safety-plan reviews due."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from advocacy import permissions
from advocacy.models import (
    AdvocateAssignment,
    ContactLogEntry,
    NeedsAssessment,
    SafetyPlan,
    VictimNotice,
)
from advocacy.permissions import Area
from cases.models import Case
from cases.selectors import case_queryset_for_user
from masip.worklist import WorkLine, WorkRow


def _mine(user: Any) -> Any:
    """The current assignments of this advocate, on cases the user may see."""
    visible = case_queryset_for_user(user=user).values("pk")
    return AdvocateAssignment.objects.filter(advocate=user, ended_at__isnull=True, case_id__in=visible)


def _references(case_ids: set[int]) -> dict[int, str]:
    return {c.pk: c.reference for c in Case.objects.filter(pk__in=case_ids).only("pk")}


def untold_rows(user: Any) -> list[WorkRow]:
    visible = case_queryset_for_user(user=user).values("pk")
    notices = list(
        VictimNotice.objects.filter(advocate=user, told_at__isnull=True, key_event__case_id__in=visible)
        .select_related("key_event")
        .order_by("tell_by", "id")
    )
    refs = _references({n.key_event.case_id for n in notices})
    return [
        WorkRow(
            case_id=n.key_event.case_id,
            reference=refs[n.key_event.case_id],
            what=f"Tell the victim: {n.key_event.get_kind_display()}",
            when=timezone.localdate(n.tell_by),
            url=reverse("advocacy:notice_told", args=[n.key_event.case_id, n.pk]),
        )
        for n in notices
    ]


def _latest(model: Any, order: tuple[str, ...], column: str) -> Subquery:
    return Subquery(
        model.objects.filter(case_id=OuterRef("case_id"), person_id=OuterRef("person_id"))
        .order_by(*order)
        .values(column)[:1]
    )


def contact_rows(user: Any) -> list[WorkRow]:
    today = timezone.localdate()
    due = (
        _mine(user)
        .annotate(next_due=_latest(ContactLogEntry, ("-occurred_at", "-id"), "next_contact_due"))
        .filter(next_due__lt=today)
        .order_by("next_due", "id")
    )
    rows = list(due.values_list("case_id", "next_due"))
    refs = _references({case_id for case_id, _ in rows})
    return [
        WorkRow(case_id, refs[case_id], "Contact the victim", when, reverse("advocacy:contact_log", args=[case_id]))
        for case_id, when in rows
    ]


def needs_rows(user: Any) -> list[WorkRow]:
    today = timezone.localdate()
    due = (
        _mine(user)
        .annotate(review_on=_latest(NeedsAssessment, ("-assessed_on", "-id"), "review_on"))
        .filter(review_on__lte=today)
        .order_by("review_on", "id")
    )
    rows = list(due.values_list("case_id", "review_on"))
    refs = _references({case_id for case_id, _ in rows})
    return [
        WorkRow(case_id, refs[case_id], "Review the needs assessment", when, reverse("advocacy:needs", args=[case_id]))
        for case_id, when in rows
    ]


def plan_rows(user: Any) -> list[WorkRow]:
    today = timezone.localdate()
    mine = _mine(user).filter(case_id=OuterRef("case_id"), person_id=OuterRef("person_id"))
    plans = list(SafetyPlan.objects.filter(Exists(mine), review_on__lte=today).order_by("review_on", "id"))
    refs = _references({p.case_id for p in plans})
    return [
        WorkRow(
            p.case_id,
            refs[p.case_id],
            "Review the safety plan",
            p.review_on,
            reverse("advocacy:safety_plan", args=[p.case_id]),
        )
        for p in plans
    ]


def lines(user: Any) -> list[WorkLine]:
    if not permissions.can_work(user, Area.CONTACT):
        return []
    found = [
        ("untold", "Key events not yet told", untold_rows),
        ("contacts_overdue", "Contacts overdue", contact_rows),
    ]
    if permissions.can_work(user, Area.NEEDS):
        found.append(("needs_reviews", "Needs reviews due", needs_rows))
    if permissions.may_see_area(user, Area.SAFETY_PLAN):
        found.append(("safety_plan_reviews", "Safety plan reviews due", plan_rows))
    result = []
    today = timezone.localdate()
    for key, label, source in found:
        rows = source(user)
        result.append(
            WorkLine(
                key,
                label,
                len(rows),
                overdue=any(r.when is not None and r.when < today for r in rows),
                rows=partial(source, user),
            )
        )
    return result
