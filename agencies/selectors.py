"""Reads about partnerships, agencies and staff, scoped to the person asking."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

from agencies.models import Agency, AgencyKind, RecordClass, SharingRule, User
from agencies.permissions import is_partnership_admin
from audit.models import AccessAction
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
