"""Celery tasks of victim advocacy: thin, idempotent, safe to run twice (acks_late).

The beat schedule (django-celery-beat, created by migration 0002):
- ``advocacy.escalate_untold_key_events`` every 15 minutes;
- ``advocacy.send_safety_review_reminders`` daily at 07:00;
- ``advocacy.raise_order_expiry_key_events`` daily at 06:30;
- ``advocacy.send_pending_notification_emails`` every 10 minutes.
"""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from advocacy import notifications, services
from masip import jobs


@shared_task(
    name="advocacy.send_notification_email",
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=jobs.RETRY_BACKOFF_MAX,
    max_retries=8,
)
def send_notification_email(notification_id: int) -> bool:
    return notifications.notification_email_send(notification_id=notification_id)


@shared_task(name="advocacy.send_pending_notification_emails", acks_late=True)
def send_pending_notification_emails() -> int:
    """Queue the e-mails whose task was lost (a worker died before it ran)."""
    pending = notifications.notifications_email_pending()
    for notification_id in pending:
        send_notification_email.delay(notification_id)
    return len(pending)


@shared_task(name="advocacy.escalate_untold_key_events", acks_late=True)
def escalate_untold_key_events() -> int:
    return services.key_event_notices_escalate()


@shared_task(name="advocacy.send_safety_review_reminders", acks_late=True)
def send_safety_review_reminders() -> int:
    return services.safety_review_reminders_send()


@shared_task(name="advocacy.raise_order_expiry_key_events", acks_late=True)
def raise_order_expiry_key_events() -> int:
    return services.order_expiry_key_events_raise()
