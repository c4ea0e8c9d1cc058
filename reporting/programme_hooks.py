"""Plugging the evaluation tables into the header navigation.

Called from ``reporting.apps.ReportingConfig.ready``.
"""

from __future__ import annotations


def register() -> None:
    from agencies.permissions import can_see_programme_data
    from masip.navigation import register_section

    register_section(
        key="evaluation",
        title="Evaluation",
        url_name="reporting:evaluation",
        order=72,
        description="The evaluation tables: referrals, decisions, re-offending by time, interventions and "
        "re-offending with chi-square tests, tiers and risk, with charts.",
        applies=can_see_programme_data,
    )
