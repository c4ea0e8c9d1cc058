from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from agencies.permissions import is_partnership_admin
from agencies.staff import staff_member, staff_required
from audit.forms import AccessLogSearchForm
from audit.selectors import access_log_page_for_admin


@staff_required
def access_log(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    if not is_partnership_admin(actor):
        raise Http404
    assert actor.agency is not None
    # Filters are ids and dates only, so they may live in the query string.
    form = AccessLogSearchForm(request.GET or None, partnership_id=actor.agency.partnership_id)
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "user_id": data["user"].pk if data["user"] else None,
            "record_type": data["record_type"].strip(),
            "record_id": data["record_id"].strip(),
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
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
        },
    )
