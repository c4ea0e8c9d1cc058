"""Plugging the data bundle and the evaluation tables into the header navigation and Celery.

Called from ``reporting.apps.ReportingConfig.ready``.
"""

from __future__ import annotations


def register() -> None:
    from agencies.permissions import can_see_programme_data
    from masip.navigation import register_section
    from reporting.bundle import services
    from reporting.bundle import tasks as bundle_tasks  # noqa: F401 (registers the import job with the worker)

    register_section(
        key="evaluation",
        title="Evaluation",
        url_name="reporting:evaluation",
        order=72,
        description="The evaluation tables: referrals, decisions, re-offending by time, interventions and "
        "re-offending with chi-square tests, tiers and risk, with charts.",
        applies=can_see_programme_data,
    )
    register_section(
        key="data_bundle",
        title="Data bundle",
        url_name="reporting:bundle",
        order=85,
        description="Import a partnership data bundle, or export the partnership's data (full or pseudonymised).",
        applies=lambda user: services.may_export(user, pseudonymise=True),
    )
