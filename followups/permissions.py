"""Who may do what with monitoring, follow-up reviews and re-offending."""

from __future__ import annotations

from typing import Any

from agencies.models import Role
from cases import permissions as case_permissions
from cases.models import Case

# Casework roles complete reviews and record re-offending; a programme manager oversees.
REVIEW_ROLES = frozenset(
    {Role.TRIAGE_OFFICER, Role.ADVOCATE, Role.CLINICIAN, Role.PROBATION_PRACTITIONER, Role.PARTNERSHIP_ADMIN}
)
SETTINGS_ROLES = frozenset({Role.PARTNERSHIP_ADMIN, Role.PROGRAMME_MANAGER})


def can_view_monitoring(user: Any, case: Case) -> bool:
    """Whether the case's sub-navigation shows Monitoring. It is built only for a case the
    page's selector has already let this user see, and every monitoring page and endpoint
    goes through ``case_get_for_user`` itself, so checking the case's sharing again here
    would cost two queries on every case page and decide nothing."""
    return case_permissions.is_staff_member(user) and user.agency.partnership_id == case.partnership_id


def can_complete_review(user: Any) -> bool:
    return case_permissions.is_staff_member(user) and user.role in REVIEW_ROLES


def can_record_reoffending(user: Any) -> bool:
    return can_complete_review(user)


def can_decide_candidate(user: Any, case: Case) -> bool:
    """The case's owner: its assigned worker, or a triage officer (or admin) on the case."""
    if not case_permissions.is_staff_member(user):
        return False
    return user.pk == case.assigned_worker_id or user.role in case_permissions.TRIAGE_ROLES


def can_manage_settings(user: Any) -> bool:
    return case_permissions.is_staff_member(user) and user.role in SETTINGS_ROLES
