"""The inbox's work line (masip.worklist): unread notifications, for every member of staff.

Counted on the home page, not in every page's header: one query there rather than one on
every page.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from masip.worklist import WorkLine
from notifications.selectors import unread_queryset


def lines(user: Any) -> list[WorkLine]:
    if not getattr(user, "is_authenticated", False) or getattr(user, "agency_id", None) is None:
        return []
    unread = unread_queryset(user=user).count()
    return [WorkLine("notifications", "Unread notifications", unread, url=reverse("notifications:inbox"))]
