from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from masip.navigation import group_sections, sections_for


def service(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    sections = sections_for(user) if user is not None and user.is_authenticated else []
    return {
        "service_name": "MASIP case management",
        "nav_sections": sections,
        "nav_groups": group_sections(sections, request.path),
    }


def replica_freshness(request: HttpRequest) -> dict[str, Any]:
    """On a page of figures read from the replica, how fresh they are (the layout shows it)."""
    from masip import replica

    if not (getattr(request, "replica_figures", False) and replica.configured()):
        return {}
    return {"replica_freshness": SimpleLazyObject(replica.freshness)}
