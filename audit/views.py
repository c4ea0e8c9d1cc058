from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from agencies.permissions import is_partnership_admin
from agencies.staff import staff_member, staff_required
from audit.forms import AccessLogSearchForm
from audit.selectors import EXPORT_LIMIT, access_log_export_for_admin, access_log_page_for_admin
from audit.templatetags.access_log import record_type_label
from masip.spreadsheet import formula_safe


def _search(request: HttpRequest) -> tuple[Any, AccessLogSearchForm, dict[str, Any]]:
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
            "record_type": data["record_type"].strip(),
            "record_id": data["record_id"].strip(),
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    return actor, form, filters


@staff_required
def access_log(request: HttpRequest) -> HttpResponse:
    actor, form, filters = _search(request)
    # The selector logs the entries it returns.
    page = (
        access_log_page_for_admin(actor=actor, before=request.GET.get("before", ""), **filters)
        if not form.errors
        else None
    )
    query = {k: v for k, v in request.GET.items() if k != "before"}
    return render(
        request,
        "audit/access_log.html",
        {
            "form": form,
            "page": page,
            "query": urlencode(query),
            "query_prefix": f"{urlencode(query)}&" if query else "",
            "export_limit": EXPORT_LIMIT,
        },
    )


EXPORT_COLUMNS = ["When", "Who", "Agency", "Action", "Break-glass", "Record type", "Record ids", "Purpose"]


@staff_required
def access_log_export(request: HttpRequest) -> HttpResponse:
    """The filtered log as CSV, for the admin's own records or an investigation.

    The same filters as the page; a filter that does not parse answers the page with its
    errors rather than a file of everything. The export is itself in the log.
    """
    actor, form, filters = _search(request)
    if form.errors:
        return access_log(request)
    export = access_log_export_for_admin(actor=actor, **filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
    writer = csv.writer(response)
    writer.writerow(EXPORT_COLUMNS)
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
        writer.writerow([f"Only the newest {EXPORT_LIMIT:,} entries: narrow the filters for the rest."])
    return response
