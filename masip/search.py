"""Search terms travel in a POST body and live in the session, never in a URL.

Names and identifiers typed into a search box are personal data; in a query
string they would land in server logs, browser history and Referer headers.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect

MAX_LENGTH = 100


def remembered_search(request: HttpRequest, key: str) -> tuple[str, HttpResponseRedirect | None]:
    """Return the current search for ``key``; on POST, store it and redirect (PRG)."""
    session_key = f"search:{key}"
    if request.method == "POST" and ("q" in request.POST or "clear" in request.POST):
        term = "" if "clear" in request.POST else request.POST.get("q", "").strip()[:MAX_LENGTH]
        if term:
            request.session[session_key] = term
        else:
            request.session.pop(session_key, None)
        return term, HttpResponseRedirect(request.path)
    return str(request.session.get(session_key, "")), None
