"""The Django admin, held to the rules of the rest of the service.

- Sign-in is allauth's (MFA, lockout, rate limits counted in Redis): the admin's own
  password form is never shown, and a session that has not passed MFA where MFA applies
  does not reach the admin.
- Every record the admin shows, on a list, change, delete or history page, is written to
  the access log, as any page of the service does.
- The admin is mounted only where ``MASIP_ADMIN_ENABLED`` is on (off in production unless
  set): see ``masip/urls.py``.

What is left out of the admin altogether, and why, is in ``docs/access-model.md``
("Platform safeguards").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


def passed_mfa(request: HttpRequest) -> bool:
    """Whether this session signed in with a second factor wherever one applies.

    A user with an authenticator must have used it in this session (allauth records each
    step of a sign-in); a user without one passes only while MFA is not required.
    """
    from allauth.account.authentication import get_authentication_records
    from allauth.mfa.utils import is_mfa_enabled

    user = request.user
    if is_mfa_enabled(user):
        records = get_authentication_records(request, user)
        return any(record.get("method") == "mfa" for record in records)
    return not settings.MASIP_REQUIRE_MFA


class StaffAdminSite(admin.AdminSite):
    site_header = "MASIP administration"
    site_title = "MASIP administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and passed_mfa(request)

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Send sign-in to allauth; the admin's own form would skip MFA and the rate limits."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = ""
        next_url = next_url or reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return HttpResponseRedirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
        if not (user.is_active and user.is_staff):
            raise Http404  # as everywhere: a page outside the user's scope does not exist
        if not passed_mfa(request):
            # Signed in with a password alone (before enrolling, or by another route): the
            # second factor first. Without an authenticator, the MFA middleware sends them
            # to enrol one before they reach this page.
            return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
        return HttpResponseRedirect(next_url)

    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        checked = super().admin_view(view, cacheable)

        @wraps(checked)
        def logged(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = checked(request, *args, **kwargs)
            _log_records_shown(request, response)
            return response

        return cast(_View, logged)


def _log_records_shown(request: HttpRequest, response: Any) -> None:
    """One access-log row for the records an admin page is about to show."""
    from audit.models import AccessAction
    from audit.services import access_record

    context = getattr(response, "context_data", None) or {}
    shown: list[Model] = []
    changelist = context.get("cl")
    if changelist is not None:
        shown = list(changelist.result_list)
    else:
        # change_view names its object "original"; delete and history views "object".
        single = context.get("original") or context.get("object")
        if isinstance(single, Model):
            shown = [single]
    if not shown:
        return
    access_record(
        user=request.user,
        action=AccessAction.VIEW,
        record_type=shown[0]._meta.label_lower,
        record_ids=[obj.pk for obj in shown],
        purpose="admin",
    )


class StaffAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``StaffAdminSite`` as ``admin.site``."""

    default_site = "masip.admin_site.StaffAdminSite"
