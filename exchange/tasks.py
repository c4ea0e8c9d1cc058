"""The upload's import job: thin, idempotent (a finished job is not run again; an import of
the same bundle twice adds nothing), and safe to lose a worker part way (one transaction,
``acks_late``: the task is delivered again and the import runs from the start). A
delivery while another worker still runs the job, or while another import (of any
partnership) is writing, waits its turn (``services.BUSY``) outside the task."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from exchange import services
from masip import jobs

# How often a second delivery of a job that another worker is still running looks again
# (inside the visibility timeout: a retry waits in the worker, unacknowledged).
RECHECK_SECONDS = 20


@shared_task(
    bind=True,
    name="exchange.import_bundle_job",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=jobs.RETRY_BACKOFF_MAX,
    max_retries=5,
)
def import_bundle_job(self: Any, job_id: str) -> str:
    outcome = services.bundle_import_run(job_id=job_id)
    if outcome == services.BUSY:
        # Bounded by the import's own hard limit: by then the running one (this job in another
        # worker, or another job writing) has finished or died.
        checks = jobs.JOBS[self.name].hard // RECHECK_SECONDS + 2
        raise self.retry(countdown=RECHECK_SECONDS, max_retries=checks + 5)
    return outcome
