"""The caseload's work lines: my cases past or at their next due date (masip.worklist)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from cases import permissions
from cases.selectors import case_queryset_for_user
from masip.worklist import WorkLine


def lines(user: Any) -> list[WorkLine]:
    if not permissions.is_staff_member(user):
        return []
    today = timezone.localdate()
    mine = case_queryset_for_user(user=user).filter(assigned_worker_id=user.pk)
    overdue = mine.filter(next_due_on__lt=today).count()
    due = mine.filter(next_due_on__lte=today).count()
    caseload = reverse("cases:caseload")
    return [
        WorkLine("cases_overdue", "My cases overdue", overdue, url=f"{caseload}?mine=1&due=overdue", overdue=True),
        WorkLine("cases_due", "My cases due today or earlier", due, url=f"{caseload}?mine=1&due=due"),
    ]
