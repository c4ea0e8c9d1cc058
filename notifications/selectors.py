"""Every read of notifications: a member of staff's own inbox, and the e-mails overdue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from agencies.models import User
from agencies.staff import is_staff_member
from notifications.models import Notification

INBOX_PAGE_SIZE = 50
# A notification whose e-mail task has not run after this long is sent by the sweep job.
EMAIL_GRACE = dt.timedelta(minutes=5)


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
    unread = unread_queryset(user=user).count()
    return Inbox(notifications=rows[:limit], unread=unread, has_more=len(rows) > limit)


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise Http404
    return notification


def unread_count(*, user: User) -> int:
    """How many of the user's own notifications are unread: the header's count on every page.

    One COUNT read from the partial index ``notification_unread`` (rows still unread only)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def unread_queryset(*, user: Any) -> QuerySet[Notification]:
    """The user's unread notifications: the inbox's count, the home page's line and "mark all
    read" all take them from here."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True)
