"""The inbox page, under /notifications/: each member of staff sees only their own alerts."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from agencies.staff import staff_member, staff_required
from notifications import selectors, services


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    inbox = selectors.inbox_for_user(user=actor)
    # The header's count is the inbox's own, read once: it stands in for the context
    # processor's ``unread_notifications`` (the view's context wins over a processor's).
    return render(request, "notifications/inbox.html", {"inbox": inbox, "unread_notifications": inbox.unread})


def _safe_link(request: HttpRequest, link: str) -> str:
    # A notification's link is written by the app, but it is followed only within this host.
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return link
    return reverse("notifications:inbox")


@staff_required
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    actor = staff_member(request)
    notification = services.notification_mark_read(user=actor, notification_id=notification_id)
    return HttpResponseRedirect(_safe_link(request, notification.link))


@staff_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    actor = staff_member(request)
    services.notification_mark_read(user=actor, notification_id=notification_id)
    return redirect("notifications:inbox")


@staff_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    count = services.notifications_mark_all_read(user=actor)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read")
    return redirect("notifications:inbox")
