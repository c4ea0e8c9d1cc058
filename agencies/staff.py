"""The one gate every page and endpoint of personal data stands behind: a member of staff.

A member of staff is a signed-in user with an agency (and so a partnership and a role).
Anyone else (a superuser without an agency, a user whose agency was removed) is answered
404 like every other refusal, so the answer never confirms that a page holds anything.

Pages use ``@staff_required`` and read the user with ``staff_member(request)``; the API's
default permission class is ``StaffOnly`` (settings ``REST_FRAMEWORK``), so an endpoint
needs no decorator of its own. Which cases and records the member may then see is the
business of each app's read functions (scope, shape, log), never of this gate.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.http import Http404, HttpRequest
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from agencies.models import User

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])


def is_staff_member(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "agency_id", None))


def staff_member(request: HttpRequest) -> User:
    """The signed-in member of staff, or 404."""
    user = request.user
    if not is_staff_member(user):
        raise Http404
    assert isinstance(user, User)
    return user


def staff_required(view: ViewFunc) -> ViewFunc:
    """Page decorator: 404 for anyone who is not a member of staff.

    Signing in is already required everywhere (``StaffLoginRequiredMiddleware``); this
    adds the agency, without which no rule of the access model can be asked.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        staff_member(request)
        return view(request, *args, **kwargs)

    return cast(ViewFunc, wrapper)


class StaffOnly(BasePermission):
    """The API's default permission: 401 signed out, 404 for a user who is not staff."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return False  # DRF answers 401 (the authentication class names a scheme)
        if not is_staff_member(user):
            raise NotFound
        return True


def api_staff_member(request: Any) -> User:
    """The member of staff behind an API request (after ``StaffOnly`` let it through)."""
    user = request.user
    if not is_staff_member(user):
        raise NotFound
    assert isinstance(user, User)
    return user
