from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from agencies.models import User
from agencies.permissions import is_partnership_admin
from audit.forms import AccessLogSearchForm
from audit.models import AccessAction
from audit.selectors import access_log_page_for_admin
from audit.services import access_record


def access_log(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not is_partnership_admin(actor):
        raise Http404
    assert isinstance(actor, User) and actor.agency is not None
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
    page = (
        access_log_page_for_admin(actor=actor, before=request.GET.get("before", ""), **filters)
        if not form.errors
        else None
    )
    if page is not None and page.entries:
        # The log's purposes are typed by staff (a break-glass reason can name a person), so
        # reading it is a look at personal data like any other: the rows shown are logged.
        access_record(
            user=actor,
            action=AccessAction.VIEW,
            record_type="audit.accesslog",
            record_ids=[entry.pk for entry in page.entries],
            purpose="access log",
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
