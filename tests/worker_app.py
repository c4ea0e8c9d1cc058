"""The Celery app the suite's workers run: the project's own app, plus one thing only a test run needs.

Transactional tests flush the database between tests, and the flush recreates
auth_permission with new ids. The session's worker lives through many such tests, so it
must not carry a process cache of the old ids from one task to the next (production never
flushes auth_permission, so the project's app keeps its caches).
"""

from __future__ import annotations

from typing import Any

from celery.signals import task_prerun

from masip.celery import app
from tests.caches import clear_process_caches


@task_prerun.connect
def _forget_process_caches(**_: Any) -> None:
    clear_process_caches()


__all__ = ["app"]
