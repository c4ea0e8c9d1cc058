"""Who may use the returns, the dashboard and the data-quality report.

Programme data (figures about the whole partnership) is for the roles
``agencies.permissions.can_see_programme_data`` allows: programme managers and
partnership admins, of their own partnership only. Everyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from agencies.permissions import can_see_programme_data

__all__ = ["can_edit_definitions", "can_record_training", "can_see_programme_data"]


def can_edit_definitions(user: Any) -> bool:
    return can_see_programme_data(user)


def can_record_training(user: Any) -> bool:
    return can_see_programme_data(user)
