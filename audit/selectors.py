"""Searching the access log: partnership admins, their own partnership only."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from agencies.models import User
from agencies.permissions import is_partnership_admin
from audit.models import AccessLog


def access_log_search_for_admin(
    *,
    actor: User,
    user_id: int | None = None,
    record_type: str = "",
    record_id: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AccessLog]:
    if not is_partnership_admin(actor):
        raise Http404
    assert actor.agency is not None
    qs = AccessLog.objects.filter(partnership_id=actor.agency.partnership_id).select_related(
        "user", "agency"
    )
    if user_id:
        qs = qs.filter(user_id=user_id)
    if record_type:
        qs = qs.filter(record_type=record_type)
    if record_id:
        # GIN index on record_ids: "which looks touched this record".
        qs = qs.filter(record_ids__contains=[record_id])
    # Whole local days, as datetime bounds so the (partnership, at) index serves them.
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        next_day = date_to + dt.timedelta(days=1)
        qs = qs.filter(at__lt=dt.datetime.combine(next_day, dt.time.min, tzinfo=tz))
    return qs.order_by("-at", "-id")
