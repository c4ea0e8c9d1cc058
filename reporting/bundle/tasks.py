"""The upload's import job: thin, idempotent (a finished job is not run again; an import of
the same bundle twice adds nothing), and safe to lose a worker part way (one transaction,
``acks_late``: the task is delivered again and the import runs from the start)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from reporting.bundle import services


@shared_task(
    name="reporting.bundle.import_bundle_job",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def import_bundle_job(job_id: str) -> str:
    return services.bundle_import_run(job_id=job_id)
