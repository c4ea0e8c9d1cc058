"""Plugging the data bundle into the header navigation and Celery.

Called from ``exchange.apps.ExchangeConfig.ready``.
"""

from __future__ import annotations


def register() -> None:
    from exchange import services
    from exchange import tasks as bundle_tasks  # noqa: F401 (registers the import job with the worker)
    from masip.navigation import register_section

    register_section(
        key="data_bundle",
        title="Data bundle",
        url_name="exchange:bundle",
        order=85,
        description="Import a partnership data bundle, or export the partnership's data (full or pseudonymised).",
        applies=lambda user: services.may_export(user, pseudonymise=True),
    )
