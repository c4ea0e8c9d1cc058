"""Session security: the idle timeout, the MFA requirement for staff, no caching of answers."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

_LAST_SEEN = "masip_last_seen"

request_logger = logging.getLogger("masip.request")
# A proxy's request id is kept only when it is a plain token: it is written to every log line.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """A request id on every log line and in the answer; one log line and the metrics per request.

    The line names the URL pattern and the view, not the path: a log is no place even for a
    case id (masip/logging.py).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from masip import metrics
        from masip.logging import request_id

        given = request.headers.get("X-Request-ID", "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            view = (match.view_name if match else "") or "unmatched"
            user = getattr(request, "user", None)
            request_logger.info(
                "request",
                extra={
                    "method": request.method,
                    "route": match.route if match else "",
                    "view": view,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
            metrics.request_observe(
                view=view, method=request.method or "", status=response.status_code, seconds=seconds
            )
            response["X-Request-ID"] = rid
            return response
        finally:
            request_id.reset(token)


class IdleTimeoutMiddleware:
    """Sign out a member of staff after 30 minutes without a request.

    The session cookie's age alone is not enough: a stolen cookie replayed later
    must find the session ended on the server, whatever the browser kept.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(_LAST_SEEN)
            if last_seen is not None and now - float(last_seen) > settings.MASIP_IDLE_TIMEOUT_SECONDS:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Your session timed out. Sign in again."}, status=401)
                messages.info(request, "You were signed out after 30 minutes without activity.")
                login_url = reverse(settings.LOGIN_URL)
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = login_url
                    return response
                return HttpResponseRedirect(login_url)
            # Written (and so the session saved, its server-side expiry moved on) at most once a
            # minute: saving it on every request was three statements and a row version per
            # request. The timeout is therefore 29 to 30 minutes after the last request.
            if last_seen is None or now - float(last_seen) >= settings.MASIP_ACTIVITY_RECORD_SECONDS:
                request.session[_LAST_SEEN] = now
        return self.get_response(request)


# Paths a signed-in user without an authenticator may still reach: setting one up,
# signing out, and the assets those pages need.
_MFA_EXEMPT_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/healthz", "/livez", "/readyz", "/metrics")


class RequireMFAMiddleware:
    """When MASIP_REQUIRE_MFA is on, staff must set up TOTP before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.MASIP_REQUIRE_MFA
            and request.user.is_authenticated
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
        ):
            from allauth.mfa.utils import is_mfa_enabled

            if not is_mfa_enabled(request.user):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": "Set up two-factor authentication before using the service."},
                        status=403,
                    )
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class StaffLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's login-required default, answering API calls with JSON 401, not a redirect."""

    def handle_no_permission(  # type: ignore[override]  # a JSON answer for the API, not a redirect
        self, request: HttpRequest, view_func: Callable[..., HttpResponseBase]
    ) -> HttpResponseBase:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
        return super().handle_no_permission(request, view_func)


# Static files are public and fingerprinted; the load balancer's health check carries nothing.
_CACHEABLE_PREFIXES = (settings.STATIC_URL, "/healthz")


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every answer but static files and the health check.

    Pages and API answers carry victims' details; a browser's disk cache or back button on a
    shared office machine, or a proxy between, must keep none of them after sign-out. Every
    answer rather than only signed-in ones: the rule then cannot miss the answer to the
    request that signs a user out or times a session out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(_CACHEABLE_PREFIXES):
            add_never_cache_headers(response)
        return response
