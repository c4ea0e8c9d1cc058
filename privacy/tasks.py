"""The retention jobs: thin, idempotent, safe to retry and to lose a worker mid-batch.

- ``privacy.list_due_retention`` (nightly, masip/schedules.py) lists what falls due into
  each partnership's batch awaiting approval. A second delivery while the first runs adds
  nothing (one batch per partnership and day, one item per schedule and record).
- ``privacy.run_retention_batch`` runs an approved batch's chunks for a slice of time and
  queues its own continuation. Each chunk is one transaction that marks itself done; a
  killed worker's chunk rolls back, and the redelivered task skips the chunks done.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

from masip import jobs
from privacy import services

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError, DatabaseError),
    "retry_backoff": True,
    "retry_backoff_max": jobs.RETRY_BACKOFF_MAX,
    "max_retries": 10,
}


@shared_task(name="privacy.list_due_retention", **RETRY)
def list_due_retention(today: str | None = None) -> list[int]:
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return [listed.batch_id for listed in services.retention_list_due(today=day)]


@shared_task(name="privacy.run_retention_batch", **RETRY)
def run_retention_batch(batch_id: int) -> int:
    remaining = services.retention_batch_run(batch_id=batch_id)
    if remaining:
        # A second after: if another delivery holds the last chunks, this does not spin.
        run_retention_batch.apply_async(args=[batch_id], countdown=1)
    return remaining
