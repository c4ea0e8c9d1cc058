"""Thin Celery tasks: ids in, a service call. Idempotent and safe to retry."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from interventions import services
from masip import jobs


@shared_task(
    name="interventions.concern_email_send",
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=jobs.RETRY_BACKOFF_MAX,
    max_retries=10,
)
def concern_email_send(concern_id: int) -> str:
    """E-mail the probation practitioner about a concern raised at a session, once."""
    return services.concern_email_send(concern_id=concern_id)
