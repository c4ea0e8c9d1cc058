"""Reads about partnerships, agencies and staff, scoped to the person asking."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from agencies.models import Agency, AgencyKind, Partnership, RecordClass, SharingRule, User
from agencies.permissions import is_partnership_admin
from audit.models import AccessAction, AccessLog
from audit.record_types import record_type_names
from audit.services import access_record


def record_classes_for_agency_kind(*, partnership_id: int, agency_kind: str) -> frozenset[str]:
    return frozenset(
        SharingRule.objects.filter(agreement__partnership_id=partnership_id, agency_kind=agency_kind).values_list(
            "record_class", flat=True
        )
    )


def record_classes_for_user(*, user: User) -> frozenset[str]:
    """The record classes the user's agency may see under its partnership's agreement.

    Memoised on the user object: a page asks this many times, the answer costs one query.
    """
    cached: frozenset[str] | None = getattr(user, "_masip_record_classes", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or user.agency is None:
        classes: frozenset[str] = frozenset()
    else:
        classes = record_classes_for_agency_kind(
            partnership_id=user.agency.partnership_id, agency_kind=user.agency.kind
        )
    user._masip_record_classes = classes  # type: ignore[attr-defined]
    return classes


def user_may_see(*, user: User, record_class: RecordClass | str) -> bool:
    return str(record_class) in record_classes_for_user(user=user)


def sharing_matrix(*, partnership_id: int) -> dict[str, set[str]]:
    """record_class -> agency kinds allowed, for the agreement page."""
    matrix: dict[str, set[str]] = {rc: set() for rc in RecordClass.values}
    for record_class, kind in SharingRule.objects.filter(agreement__partnership_id=partnership_id).values_list(
        "record_class", "agency_kind"
    ):
        matrix[record_class].add(kind)
    return matrix


def staff_list_for_admin(*, actor: User, search: str = "") -> QuerySet[User]:
    if not is_partnership_admin(actor):
        raise Http404
    assert actor.agency is not None
    qs = User.objects.filter(agency__partnership_id=actor.agency.partnership_id).select_related("agency")
    if search:
        from django.db.models import Q

        qs = qs.filter(Q(email__icontains=search) | Q(first_name__icontains=search) | Q(last_name__icontains=search))
    return qs.order_by("last_name", "first_name", "email")


def staff_get_for_admin(*, actor: User, user_id: int) -> User:
    """One member of staff, or 404 when outside the admin's partnership."""
    try:
        return staff_list_for_admin(actor=actor).get(pk=user_id)
    except User.DoesNotExist:
        raise Http404 from None


def staff_page_for_admin(*, actor: User, search: str = "", page: str | None = None) -> Page[User]:
    """The staff list page (50 a page), logged as a view or a search of the people shown."""
    shown = Paginator(staff_list_for_admin(actor=actor, search=search), 50).get_page(page)
    access_record(
        user=actor,
        action=AccessAction.SEARCH if search else AccessAction.VIEW,
        record_type="agencies.user",
        record_ids=[u.pk for u in shown],
    )
    return shown


def staff_all_for_admin(*, actor: User) -> list[User]:
    """Every member of staff of the admin's partnership (the API's list), logged."""
    staff = list(staff_list_for_admin(actor=actor))
    access_record(user=actor, action=AccessAction.VIEW, record_type="agencies.user", record_ids=[u.pk for u in staff])
    return staff


def staff_read_for_admin(*, actor: User, user_id: int) -> User:
    """One member of staff to show (the edit form, the API), logged."""
    member = staff_get_for_admin(actor=actor, user_id=user_id)
    access_record(user=actor, action=AccessAction.VIEW, record_type="agencies.user", record_ids=[member.pk])
    return member


def agencies_of_partnership(*, partnership_id: int) -> QuerySet[Agency]:
    return Agency.objects.filter(partnership_id=partnership_id).order_by("name")


AGENCY_KIND_ORDER = [k.value for k in AgencyKind]


# --- the access log: searched by partnership admins, their own partnership only ----------------------------


def access_log_search_for_admin(
    *,
    actor: User,
    user_id: int | None = None,
    case_id: int | None = None,
    person_id: int | None = None,
    record_type: str = "",
    record_id: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AccessLog]:
    if not is_partnership_admin(actor):
        raise Http404
    assert actor.agency is not None
    qs = AccessLog.objects.filter(partnership_id=actor.agency.partnership_id).select_related("user", "agency")
    if user_id:
        qs = qs.filter(user_id=user_id)
    # A case or a person is searched as its record type and id: the rows that name it.
    # Ids are matched within the admin's partnership only, so an id of another
    # partnership's case finds nothing rather than confirming that it exists.
    if case_id:
        record_type, record_id = "cases.case", str(case_id)
    elif person_id:
        record_type, record_id = "cases.person", str(person_id)
    if record_type:
        qs = qs.filter(record_type__in=record_type_names(record_type))
    # Whole local days, as datetime bounds so the (partnership, at) index serves them.
    tz = timezone.get_current_timezone()
    bounds = {}
    if date_from:
        bounds["at__gte"] = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    if date_to:
        bounds["at__lt"] = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    qs = qs.filter(**bounds)
    if record_id:
        qs = qs.filter(pk__in=_rows_naming(record_id, bounds))
    return qs.order_by("-at", "-id")


def _rows_naming(record_id: str, bounds: dict[str, dt.datetime]) -> list[int]:
    """The ids of the log's rows that name this record (within the dates), found by the GIN
    index on record_ids alone, in a query of their own.

    PostgreSQL cannot estimate how many rows name one id (its statistics do not reach one
    case among a million) and assumes 0.5% of the rows: asked in the page's own query, it
    walks the (partnership, at) index newest first and filters, which read 1.5 million rows
    (3.5 to 28 s) to find the 7 naming a case in a month of 30 million. Asked alone, it has
    no order to keep and takes the GIN index: a record's looks, however many, are read
    directly. The page's query then takes them by id.

    The same wrong estimate (150,000 rows of a 30-million-row month, for about a hundred)
    makes the query look costly enough to compile with JIT and to start parallel workers:
    half a second of compiling for a scan of under a millisecond. Both are off for this
    query alone (set for the transaction, then put back)."""
    query = AccessLog.objects.filter(record_ids__contains=[record_id], **bounds).order_by().values_list("pk", flat=True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')")
        jit, workers = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"
        )
        try:
            return list(query)
        finally:
            cursor.execute(
                "SELECT set_config('jit', %s, true), set_config('max_parallel_workers_per_gather', %s, true)",
                [jit, workers],
            )


# --- keyset pages ------------------------------------------------------------------------------------------------
#
# The log is the largest table of the service (every look at a case adds a row), so its
# page never counts the matches: a COUNT(*) over millions of rows on every page would cost
# more than the page. "Older entries" carries the last row's (time, id) as an opaque cursor.


@dataclass
class AccessLogPage:
    entries: list[AccessLog]
    older: str  # cursor of the next, older page; "" when this is the last
    is_first: bool


def _encode(entry: AccessLog) -> str:
    raw = f"{entry.at.isoformat()}|{entry.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, int] | None:
    """The (time, id) a cursor names; None for anything this module did not write."""
    try:
        at, pk = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        when = dt.datetime.fromisoformat(at)
        return (when, int(pk)) if when.tzinfo is not None else None
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


def access_log_page_for_admin(
    *, actor: User, before: str = "", page_size: int = 100, **filters: object
) -> AccessLogPage:
    """One page of the admin's search, newest first, starting after the cursor ``before``."""
    qs = access_log_search_for_admin(actor=actor, **filters)  # type: ignore[arg-type]
    position = _decode(before) if before else None
    if position is not None:
        at, pk = position
        qs = qs.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
    rows = list(qs[: page_size + 1])
    entries = rows[:page_size]
    if entries:
        # The log's purposes are typed by staff (a break-glass reason can name a person), so
        # reading it is a look at personal data like any other: the rows shown are logged.
        access_record(
            user=actor,
            action=AccessAction.VIEW,
            record_type="audit.accesslog",
            record_ids=[entry.pk for entry in entries],
            purpose="access log",
        )
    return AccessLogPage(
        entries=entries,
        older=_encode(entries[-1]) if len(rows) > page_size else "",
        is_first=position is None,
    )


# An export is for a filtered question ("who looked at this case in March"), not a copy of
# the whole log: past this many rows the admin is asked to narrow the filters.
EXPORT_LIMIT = 50_000


@dataclass
class AccessLogExport:
    entries: list[AccessLog]
    truncated: bool


def access_log_export_for_admin(*, actor: User, **filters: object) -> AccessLogExport:
    """The admin's filtered search for a CSV, newest first, itself logged as an export."""
    qs = access_log_search_for_admin(actor=actor, **filters)  # type: ignore[arg-type]
    rows = list(qs[: EXPORT_LIMIT + 1])
    entries = rows[:EXPORT_LIMIT]
    access_record(
        user=actor,
        action=AccessAction.EXPORT,
        record_type="audit.accesslog",
        record_ids=[entry.pk for entry in entries],
        purpose="access log export",
    )
    return AccessLogExport(entries=entries, truncated=len(rows) > EXPORT_LIMIT)


def partnership_uses_tiers(*, partnership_id: int) -> bool:
    """Whether the partnership gives cases a tier (a partnership setting)."""
    return bool(Partnership.objects.filter(pk=partnership_id).values_list("uses_tiers", flat=True).first())
