"""The service's own pages for refusals and errors (400, 403, 404, 500).

Django calls these as ``handler400`` ... ``handler500`` (masip/urls.py) when DEBUG is off.
With DEBUG on, Django shows its technical pages instead; the demo runs with DEBUG on and
is shown to the people who will use the service, so ``ServiceErrorPagesMiddleware``
answers with the same pages there too, unless MASIP_SERVICE_ERROR_PAGES is turned off
(a developer who wants Django's yellow pages back). The traceback still goes to the log.

A 404 never says whether a record exists: a case outside the user's scope and a case
that was never recorded get the same page (docs/access-model.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger("django.request")
security_logger = logging.getLogger("django.security")

_API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(_API_PREFIX)


def _page(request: HttpRequest | None, template_name: str, status: int) -> HttpResponse:
    # The request gives the page its header (the user's navigation) where it can be had;
    # the 400 and 500 pages render without it, as Django's own do: a failing database or
    # a malformed request must not stop the error page itself from rendering.
    html = loader.get_template(template_name).render({"service_name": "MASIP case management"}, request)
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "The request could not be understood."}, status=400)
    return _page(None, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return _page(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Not wrapped in requires_csrf_token as Django's own 404 view is: its check reads the body
    # of an unsafe request, and a malformed multipart body sent to an address that does not
    # exist then raised inside the error handler (a 500). Nothing is protected on a missing page.
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return _page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Sorry, there is a problem with the service. Try again later."}, status=500)
    return _page(None, "500.html", 500)


class ServiceErrorPagesMiddleware:
    """With DEBUG on, answer with the service's error pages rather than Django's technical ones.

    Does nothing with DEBUG off: Django's handlers (above) already answer then. It sits
    after the authentication middleware (the page shows the signed-in user's header) and
    before allauth's, whose process_exception turns "sign in again" into a redirect: process
    exceptions run innermost first, so allauth's gets the exception before this one does.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _active(self) -> bool:
        return bool(settings.DEBUG and getattr(settings, "MASIP_SERVICE_ERROR_PAGES", True))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # An address that matches no URL pattern never reaches a view, so process_exception
        # does not see its Http404: Django has already made its technical page by now.
        if self._active() and response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            page = page_not_found(request)
            # The inner middleware's headers (the CSP with this request's nonce, which the
            # page uses too) were set on the technical page: keep them on this one.
            for header, value in response.items():
                if header.lower() not in {"content-type", "content-length"}:
                    page[header] = value
            return page
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self._active():
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return permission_denied(request, exception)
        if isinstance(exception, SuspiciousOperation):
            security_logger.error("%s: %s", type(exception).__name__, request.path)
            return bad_request(request, exception)
        if isinstance(exception, BadRequest):
            return bad_request(request, exception)
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return server_error(request)
