"""In-app notifications for staff, with an e-mail copy: the project's general alert facility.

Any app may use it::

    from advocacy.notifications import notify

    notify(user, "Risk review due on case MASIP-000012", "The review is due on 3 June.", "/risk/cases/12/")

- ``notify(user, subject, body, link="", *, key="", email=True) -> Notification | None``
  puts the alert in the user's inbox (the "Notifications" page) and, with ``email``,
  queues an e-mail copy once the transaction commits. ``key`` makes it idempotent:
  a second call with the same recipient and key returns None and sends nothing,
  which is what a Celery job that may run twice needs. Inactive users get nothing.
- The subject and body must not name a person or give personal details: the e-mail
  leaves the system. Name the case by its reference; the link leads to a page that
  checks access itself.
- E-mails go out through ``advocacy.tasks.send_notification_email`` (idempotent: a
  notification is e-mailed once); ``advocacy.tasks.send_pending_notification_emails``
  (a beat job) sends any whose task was lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from advocacy.models import Notification
from agencies.models import User
from cases.permissions import is_staff_member

logger = logging.getLogger(__name__)

INBOX_PAGE_SIZE = 50
# A notification whose e-mail task has not run after this long is sent by the sweep job.
EMAIL_GRACE = dt.timedelta(minutes=5)


def notify(
    user: User, subject: str, body: str = "", link: str = "", *, key: str = "", email: bool = True
) -> Notification | None:
    """Alert one member of staff in the app (and by e-mail). None when nothing new was sent."""
    if not user.is_active:
        return None
    with transaction.atomic():
        if key and Notification.objects.filter(recipient=user, key=key).exists():
            return None
        try:
            # A savepoint: a concurrent run of the same job loses the race on the unique key
            # without spoiling the caller's transaction.
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=user, subject=subject[:200], body=body, link=link[:500], key=key[:200], email=email
                )
        except IntegrityError:
            if key:
                return None
            raise
    if email and user.email:
        notification_id = notification.pk
        transaction.on_commit(lambda: _queue_email(notification_id))
    return notification


def _queue_email(notification_id: int) -> None:
    """Hand the e-mail to Celery. If the broker is down the alert is still in the inbox, and
    the sweep job (send_pending_notification_emails) sends the e-mail once it is back."""
    from advocacy.tasks import send_notification_email

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
    # Ids only in logs.
    logger.info("notification %s e-mailed", notification_id)
    return True


def notifications_email_pending(*, now: dt.datetime | None = None) -> list[int]:
    """Ids of notifications whose e-mail is overdue (its task was lost or failed for good)."""
    cutoff = (now or timezone.now()) - EMAIL_GRACE
    return list(
        Notification.objects.filter(email=True, emailed_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )


# --- the inbox ------------------------------------------------------------------------------------------------


@dataclass
class Inbox:
    notifications: list[Notification]
    unread: int
    has_more: bool


def inbox_for_user(*, user: User, limit: int = INBOX_PAGE_SIZE) -> Inbox:
    """The user's own notifications, newest first. Nobody reads another's inbox."""
    if not is_staff_member(user):
        raise Http404
    rows = list(Notification.objects.filter(recipient=user).order_by("-created_at", "-id")[: limit + 1])
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return Inbox(notifications=rows[:limit], unread=unread, has_more=len(rows) > limit)


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise Http404
    return notification


def unread_queryset(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    notification = notification_get_for_user(user=user, notification_id=notification_id)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    if not is_staff_member(user):
        raise Http404
    return unread_queryset(user=user).update(read_at=timezone.now())
