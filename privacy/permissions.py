"""Who may manage data protection: the partnership admin, for their own partnership only."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from agencies.models import User
from agencies.permissions import is_partnership_admin


def can_manage_data_protection(user: Any) -> bool:
    return is_partnership_admin(user)


def require_admin(user: User) -> int:
    """The admin's partnership id; 404 (never 403) for anyone else."""
    if not can_manage_data_protection(user) or user.agency is None:
        raise Http404
    return user.agency.partnership_id
