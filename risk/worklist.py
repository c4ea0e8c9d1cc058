"""Risk's work line (masip.worklist): risk reviews due on the cases assigned to me."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.selectors import case_queryset_for_user
from masip.worklist import WorkLine, WorkRow
from risk import permissions
from risk.models import Assessment


def review_rows(user: Any) -> list[WorkRow]:
    mine = case_queryset_for_user(user=user).filter(assigned_worker_id=user.pk).values("pk")
    due = list(
        Assessment.objects.filter(is_current=True, review_due_on__lte=timezone.localdate(), case_id__in=mine)
        .select_related("instrument")
        .order_by("review_due_on", "id")
    )
    refs = {c.pk: c.reference for c in Case.objects.filter(pk__in={a.case_id for a in due}).only("pk")}
    return [
        WorkRow(
            a.case_id,
            refs[a.case_id],
            f"Review the risk assessment ({a.instrument.name})",
            a.review_due_on,
            reverse("risk:case_risk", args=[a.case_id]),
        )
        for a in due
    ]


def lines(user: Any) -> list[WorkLine]:
    if not permissions.case_permissions.is_staff_member(user) or user.role not in permissions.ASSESSOR_ROLES:
        return []
    rows = review_rows(user)
    today = timezone.localdate()
    return [
        WorkLine(
            "risk_reviews",
            "Risk reviews due",
            len(rows),
            overdue=any(r.when is not None and r.when < today for r in rows),
            rows=lambda: review_rows(user),
        )
    ]
