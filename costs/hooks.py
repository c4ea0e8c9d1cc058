"""How costs plugs into the service: the header section, and the "Record time" links on
the activities' pages (masip.time_recording), so those apps never import this one."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from costs.activities import SOURCES


def time_link(user: Any, source: str, activity_id: int) -> str | None:
    from costs.permissions import can_record_time

    if (source != "case" and source not in SOURCES) or not can_record_time(user):
        return None
    return reverse("costs:time_entry", args=[source, activity_id])


def register() -> None:
    from costs import permissions
    from masip.navigation import register_section
    from masip.time_recording import register_time_link

    register_time_link(time_link)
    register_section(
        key="costs",
        title="Costs",
        url_name="costs:home",
        order=64,
        description="Cost accounts of cases, rates and unit costs, and the programme's costs per case and per FTE.",
        applies=permissions.can_see_cost_accounts,
    )
