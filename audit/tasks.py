"""Celery tasks of the audit app: thin, idempotent, safe to run twice (acks_late).

The beat schedule (masip/schedules.py):
- ``audit.maintain_access_log_partitions`` daily at 01:10 (Europe/London).
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from audit import services


@shared_task(name="audit.maintain_access_log_partitions", acks_late=True)
def maintain_access_log_partitions() -> dict[str, list[str]]:
    """This month's and the next three months' partitions; months past the online period detached."""
    done = services.access_log_partitions_maintain(
        # The partitions are UTC months: the job works out "this month" the same way.
        today=timezone.now().astimezone(dt.UTC).date(),
        online_months=settings.MASIP_ACCESS_LOG_ONLINE_MONTHS,
    )
    return {"created": done.created, "detached": done.detached}
