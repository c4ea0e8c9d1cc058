"""Celery tasks of victim advocacy: thin, idempotent, safe to run twice (acks_late).

The beat schedule (masip/schedules.py):
- ``advocacy.escalate_untold_key_events`` every 15 minutes;
- ``advocacy.send_safety_review_reminders`` daily at 07:00;
- ``advocacy.raise_order_expiry_key_events`` daily at 06:30.
"""

from __future__ import annotations

from celery import shared_task

from advocacy import services


@shared_task(name="advocacy.escalate_untold_key_events", acks_late=True)
def escalate_untold_key_events() -> int:
    return services.key_event_notices_escalate()


@shared_task(name="advocacy.send_safety_review_reminders", acks_late=True)
def send_safety_review_reminders() -> int:
    return services.safety_review_reminders_send()


@shared_task(name="advocacy.raise_order_expiry_key_events", acks_late=True)
def raise_order_expiry_key_events() -> int:
    return services.order_expiry_key_events_raise()
