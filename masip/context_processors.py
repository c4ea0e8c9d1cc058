from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from masip.navigation import group_sections, sections_for
from notifications.selectors import unread_count


def service(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    sections = sections_for(user) if user is not None and user.is_authenticated else []
    has_inbox = any(s.key == "notifications" for s in sections)

    # One COUNT on the partial index of unread rows, and only when a page draws the header
    # (a template calls it; an HTMX fragment or a JSON answer never does). Not cached: a
    # count read fresh is never stale after a rollback or a write that bypassed a cache.
    @cache
    def unread_notifications() -> int:
        return unread_count(user=user) if has_inbox and user is not None else 0

    return {
        "service_name": "MASIP case management",
        "nav_sections": sections,
        "nav_groups": group_sections(sections, request.path),
        "nav_has_inbox": has_inbox,
        "unread_notifications": unread_notifications,
    }


def replica_freshness(request: HttpRequest) -> dict[str, Any]:
    """On a page of figures read from the replica, how fresh they are (the layout shows it)."""
    from masip import replica

    if not (getattr(request, "replica_figures", False) and replica.configured()):
        return {}
    return {"replica_freshness": SimpleLazyObject(replica.freshness)}
