"""Celery tasks of notifications: thin, idempotent, safe to run twice (acks_late).

``send_pending_notification_emails`` runs every 10 minutes (the beat schedule, masip/schedules.py).
"""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from masip import jobs
from notifications import selectors, services


@shared_task(
    name="notifications.send_notification_email",
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=jobs.RETRY_BACKOFF_MAX,
    max_retries=8,
)
def send_notification_email(notification_id: int) -> bool:
    return services.notification_email_send(notification_id=notification_id)


@shared_task(name="notifications.send_pending_notification_emails", acks_late=True)
def send_pending_notification_emails() -> int:
    """Queue the e-mails whose task was lost (a worker died before it ran)."""
    pending = selectors.notifications_email_pending()
    for notification_id in pending:
        send_notification_email.delay(notification_id)
    return len(pending)
