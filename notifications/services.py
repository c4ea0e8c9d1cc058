"""Every write of notifications: sending an alert, e-mailing it once, marking it read."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from agencies.models import User
from agencies.staff import is_staff_member
from audit.models import AccessAction
from audit.services import access_record
from notifications.models import Notification
from notifications.selectors import notification_get_for_user, unread_queryset

logger = logging.getLogger(__name__)


def notify(
    user: User,
    subject: str,
    body: str = "",
    link: str = "",
    *,
    key: str = "",
    email: bool = True,
    refresh: bool = False,
) -> Notification | None:
    """Alert one member of staff in the app (and by e-mail). None when nothing new was sent.

    ``key`` makes the alert idempotent: one per recipient and key. With ``refresh``, a later
    call with the same key rewrites that alert (subject, body, link) and marks it unread again
    rather than adding a second one: several triggers of one event (three agencies referring
    the same incident) make one alert that says so. A refresh sends no second e-mail.
    """
    if not user.is_active:
        return None
    fields = {"subject": subject[:200], "body": body, "link": link[:500]}
    with transaction.atomic():
        if key and _existing_alert(user, key, fields if refresh else None):
            return None
        try:
            # A savepoint: a concurrent run of the same job loses the race on the unique key
            # without spoiling the caller's transaction.
            with transaction.atomic():
                notification = Notification.objects.create(recipient=user, key=key[:200], email=email, **fields)
        except IntegrityError:
            if key:
                _existing_alert(user, key, fields if refresh else None)
                return None
            raise
    if email and user.email:
        notification_id = notification.pk
        transaction.on_commit(lambda: _queue_email(notification_id))
    return notification


def _existing_alert(user: User, key: str, refresh_with: dict[str, str] | None) -> bool:
    """Whether the user already has the alert with this key; rewritten (and unread again) when
    ``refresh_with`` is given. One UPDATE: it finds, locks and rewrites the row at once."""
    alerts = Notification.objects.filter(recipient=user, key=key[:200])
    if refresh_with is None:
        return alerts.exists()
    return alerts.update(read_at=None, **refresh_with) > 0


def _queue_email(notification_id: int) -> None:
    """Hand the e-mail to Celery. If the broker is down the alert is still in the inbox, and
    the sweep job (send_pending_notification_emails) sends the e-mail once it is back."""
    from notifications.tasks import send_notification_email

    try:
        send_notification_email.delay(notification_id)
    except Exception:  # the write has committed; a broker outage must not fail the request
        logger.warning("notification %s e-mail not queued; the sweep will send it", notification_id, exc_info=True)


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one notification, once. True when this call sent it.

    The row is locked while the mail goes, and marked sent in the same transaction:
    two workers never both send it, and a failed send leaves it for the retry.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id, email=True, emailed_at__isnull=True)
            .first()
        )
        if notification is None or not notification.recipient.email or not notification.recipient.is_active:
            return False
        link = f"{settings.MASIP_BASE_URL}{notification.link}" if notification.link.startswith("/") else ""
        body = notification.body
        if link:
            body = f"{body}\n\nOpen it in MASIP case management: {link}"
        body += "\n\nThis message names no one on purpose. Sign in to see the details."
        send_mail(notification.subject, body.strip(), None, [notification.recipient.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        # The e-mail leaves the system: a disclosure, logged with the claim (one row per e-mail).
        access_record(
            user=None,
            action=AccessAction.DISCLOSE,
            record_type="notifications.notification",
            record_ids=[notification.pk],
            purpose=f"e-mail notification to staff member {notification.recipient_id}",
        )
    # Ids only in logs.
    logger.info("notification %s e-mailed", notification_id)
    return True


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    notification = notification_get_for_user(user=user, notification_id=notification_id)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notification_settled(*, notification_id: int | None) -> None:
    """Mark an alert read because what it asked for has been done, by its recipient or by a
    colleague on their behalf (a concern acknowledged): it no longer waits in the inbox. Runs
    in the caller's transaction, so the alert and the record that settles it change together."""
    if notification_id is not None:
        Notification.objects.filter(pk=notification_id, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    if not is_staff_member(user):
        raise Http404
    return unread_queryset(user=user).update(read_at=timezone.now())
