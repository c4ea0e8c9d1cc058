"""How the returns plug into the service: header sections, and the worker's task."""

from __future__ import annotations


def register() -> None:
    from masip.navigation import register_section
    from reporting.returns import (
        permissions,
        tasks,  # noqa: F401 - registers the task with the worker
    )

    register_section(
        key="programme_dashboard",
        title="Dashboard",
        url_name="reporting:dashboard",
        order=60,
        description="The partnership's caseload now, referrals, decisions, contacts and sessions by month, "
        "and follow-ups due.",
        applies=permissions.can_see_programme_data,
    )
    register_section(
        key="quarterly_returns",
        title="Quarterly returns",
        url_name="reporting:returns",
        order=61,
        description="Preview, generate and download the Home Office quarterly return, and change what it counts.",
        applies=permissions.can_see_programme_data,
    )
    register_section(
        key="data_quality",
        title="Data quality",
        url_name="reporting:data_quality",
        order=62,
        description="For each stage, the share of cases missing what it needs, with links to the cases.",
        applies=permissions.can_see_programme_data,
    )
    register_section(
        key="training_events",
        title="Training",
        url_name="reporting:training_list",
        order=63,
        description="Training and consultancy sessions delivered to other professionals, for the returns.",
        applies=permissions.can_record_training,
    )
