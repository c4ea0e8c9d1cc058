"""Triage's work line (masip.worklist): my open meeting actions, listed on "My actions"."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from cases import permissions as case_permissions
from triage.models import ActionStatus
from triage.selectors import action_queryset_for_user


def lines(user: Any) -> list[Any]:
    from masip.worklist import WorkLine

    if not case_permissions.is_staff_member(user):
        return []
    mine = action_queryset_for_user(user=user).filter(owner=user, status=ActionStatus.OPEN)
    overdue = mine.filter(due_on__lt=timezone.localdate()).exists()
    return [
        WorkLine("my_actions", "My meeting actions", mine.count(), url=reverse("triage:my_actions"), overdue=overdue)
    ]
