"""Partnership admin pages: staff, the information-sharing agreement and the access log."""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from agencies import selectors, services
from agencies.forms import (
    AccessLogSearchForm,
    AgreementForm,
    PartnershipSettingsForm,
    PersonNameSearchForm,
    StaffEditForm,
    StaffInviteForm,
)
from agencies.models import InformationSharingAgreement, RecordClass, User
from agencies.permissions import is_partnership_admin
from agencies.person_lookup import PersonFound, people_named
from agencies.staff import staff_member, staff_required
from audit.templatetags.access_log import record_type_label
from masip.forms import summary_errors
from masip.search import remembered_search
from masip.spreadsheet import formula_safe


def _admin(request: HttpRequest) -> User:
    """A partnership admin (the pages of this module are theirs only), or 404."""
    user = staff_member(request)
    if not is_partnership_admin(user):
        raise Http404
    return user


def _apply_errors(form: object, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)  # type: ignore[attr-defined]


@staff_required
def staff_list(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    search, redirect_after_post = remembered_search(request, "staff")
    if redirect_after_post is not None:
        return redirect_after_post
    page = selectors.staff_page_for_admin(actor=actor, search=search, page=request.GET.get("page"))
    return render(request, "agencies/staff_list.html", {"page": page, "search": search})


@staff_required
def staff_invite(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    assert actor.agency is not None
    form = StaffInviteForm(request.POST or None, partnership_id=actor.agency.partnership_id)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_invite(actor=actor, request=request, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {user.email}")
            return redirect("agencies:staff_list")
    return render(request, "agencies/staff_form.html", {"form": form, "title": "Invite a member of staff"})


@staff_required
def staff_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = _admin(request)
    assert actor.agency is not None
    member = (
        selectors.staff_get_for_admin(actor=actor, user_id=user_id)
        if request.method == "POST"  # the service logs the change
        else selectors.staff_read_for_admin(actor=actor, user_id=user_id)
    )
    initial = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "job_title": member.job_title,
        "agency": member.agency,
        "role": member.role,
        "is_active": member.is_active,
    }
    form = StaffEditForm(request.POST or None, initial=initial, partnership_id=actor.agency.partnership_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(actor=actor, user=member, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Saved changes to {member.email}")
            return redirect("agencies:staff_list")
    return render(
        request,
        "agencies/staff_form.html",
        {"form": form, "title": f"Change {member.get_full_name() or member.email}", "member": member},
    )


@staff_required
def agreement(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    assert actor.agency is not None
    partnership = actor.agency.partnership
    current = InformationSharingAgreement.objects.get(partnership=partnership)
    matrix = selectors.sharing_matrix(partnership_id=partnership.pk)
    initial: dict[str, object] = {f"class_{rc}": sorted(kinds) for rc, kinds in matrix.items()}
    initial.update(reference=current.reference, review_on=current.review_on)
    form = AgreementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.agreement_update(
            actor=actor,
            partnership=partnership,
            matrix=form.matrix(),
            reference=form.cleaned_data["reference"],
            review_on=form.cleaned_data["review_on"],
        )
        messages.success(request, "Information-sharing agreement saved")
        return redirect("agencies:agreement")
    return render(
        request,
        "agencies/agreement.html",
        {"form": form, "agreement": current, "record_classes": RecordClass},
    )


@staff_required
def partnership_settings(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    assert actor.agency is not None
    partnership = actor.agency.partnership
    initial = {"uses_tiers": "yes" if partnership.uses_tiers else "no"}
    form = PartnershipSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.partnership_settings_update(
            actor=actor, partnership=partnership, uses_tiers=form.cleaned_data["uses_tiers"] == "yes"
        )
        messages.success(request, "Partnership settings saved")
        return redirect("agencies:partnership_settings")
    return render(
        request,
        "agencies/partnership_settings.html",
        {"form": form, "partnership": partnership, "summary_errors": summary_errors(form)},
    )


def _access_log_search(request: HttpRequest) -> tuple[User, AccessLogSearchForm, dict[str, Any]]:
    actor = staff_member(request)
    if not is_partnership_admin(actor):
        raise Http404
    assert actor.agency is not None
    # Filters are ids and dates only, so they may live in the query string.
    form = AccessLogSearchForm(request.GET or None, partnership_id=actor.agency.partnership_id)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "user_id": data["user"].pk if data["user"] else None,
            "case_id": data["case"],
            "person_id": data["person"],
            "record_type": data["record_type"].strip(),
            "record_id": data["record_id"].strip(),
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    return actor, form, filters


@staff_required
def access_log(request: HttpRequest) -> HttpResponse:
    """The log, filtered by the query string; a POST finds people by name to filter by.

    The name search is posted so that a person's name never sits in a URL (browser history,
    server logs); each person found links to the log filtered by their id.
    """
    actor, form, filters = _access_log_search(request)
    name_form = PersonNameSearchForm(request.POST if request.method == "POST" else None)
    people: list[PersonFound] | None = None
    if name_form.is_bound and name_form.is_valid():
        # The finder (cases.reads) scopes the people to what the admin's agency may see, and logs them.
        people = people_named(actor=actor, name=name_form.cleaned_data["person_name"])
    # The selector logs the entries it returns.
    page = (
        selectors.access_log_page_for_admin(actor=actor, before=request.GET.get("before", ""), **filters)
        if not form.errors and not name_form.is_bound
        else None
    )
    query = {k: v for k, v in request.GET.items() if k != "before"}
    person_query = {k: v for k, v in query.items() if k not in ("person", "case", "record_type", "record_id")}
    return render(
        request,
        "agencies/access_log.html",
        {
            "form": form,
            "name_form": name_form,
            "summary_errors": summary_errors(form, name_form),
            "people": people,
            "person_query_prefix": f"{urlencode(person_query)}&" if person_query else "",
            "page": page,
            "query": urlencode(query),
            "query_prefix": f"{urlencode(query)}&" if query else "",
            "export_limit": selectors.EXPORT_LIMIT,
        },
    )


ACCESS_LOG_EXPORT_COLUMNS = ["When", "Who", "Agency", "Action", "Break-glass", "Record type", "Record ids", "Purpose"]


@staff_required
def access_log_export(request: HttpRequest) -> HttpResponse:
    """The filtered log as CSV, for the admin's own records or an investigation.

    The same filters as the page; a filter that does not parse answers the page with its
    errors rather than a file of everything. The export is itself in the log.
    """
    actor, form, filters = _access_log_search(request)
    if form.errors:
        return access_log(request)
    export = selectors.access_log_export_for_admin(actor=actor, **filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
    writer = csv.writer(response)
    writer.writerow(ACCESS_LOG_EXPORT_COLUMNS)
    for entry in export.entries:
        writer.writerow(
            formula_safe(value)
            for value in (
                entry.at.isoformat(),
                entry.user or "System",
                entry.agency.name if entry.agency else "",
                entry.get_action_display(),
                "yes" if entry.break_glass else "",
                record_type_label(entry.record_type),
                " ".join(entry.record_ids),
                entry.purpose,
            )
        )
    if export.truncated:
        writer.writerow([f"Only the newest {selectors.EXPORT_LIMIT:,} entries: narrow the filters for the rest."])
    return response
