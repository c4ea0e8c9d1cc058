"""Predicates about staff and agencies. Pages, APIs and services all ask these."""

from __future__ import annotations

from typing import Any

from agencies.models import Role, User


def is_partnership_admin(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.agency_id is not None and user.role == Role.PARTNERSHIP_ADMIN
    )


def can_manage_user(actor: User, target: User) -> bool:
    """A partnership admin manages the staff of their own partnership, nobody else's."""
    if not is_partnership_admin(actor) or target.agency_id is None:
        return False
    assert actor.agency is not None and target.agency is not None
    return actor.agency.partnership_id == target.agency.partnership_id


def can_see_programme_data(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.agency_id is not None
        and user.role in {Role.PROGRAMME_MANAGER, Role.PARTNERSHIP_ADMIN}
    )
