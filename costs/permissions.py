"""Who may do what with costs (docs/costs.md, "Access")."""

from __future__ import annotations

from typing import Any

from agencies.models import RecordClass, Role
from agencies.permissions import can_see_programme_data
from agencies.selectors import user_may_see
from agencies.staff import is_staff_member


def can_see_cost_accounts(user: Any) -> bool:
    """Cost accounts, rates and programme figures: programme managers and partnership admins."""
    return can_see_programme_data(user)


def can_manage_costs(user: Any) -> bool:
    """Build accounts and scenarios, change rates, record FTEs: the same two roles."""
    return can_see_programme_data(user)


def may_see_victim_costs(user: Any) -> bool:
    """A victim's own costs (moving house, her anxiety) tell about her: class victim_identity."""
    return bool(is_staff_member(user) and user_may_see(user=user, record_class=RecordClass.VICTIM_IDENTITY))


def can_record_time(user: Any) -> bool:
    """Any casework role records time on what it may see; programme managers record no casework."""
    return bool(is_staff_member(user) and user.role != Role.PROGRAMME_MANAGER)
