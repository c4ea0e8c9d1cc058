"""Who may see and run meetings, and who may do what with actions.

A meeting belongs to one partnership: its staff see the meeting itself (date, chair,
attendance), but a case on its agenda only when they can see that case
(cases.selectors.case_get_for_user), and each piece of what was said only when the
sharing agreement lets their agency see its record class. Outside that the answer is 404.

Triage officers and partnership admins run meetings; clinicians may also run clinics.
Recording a triage decision moves the case along the lifecycle table, whose own roles
(cases.permissions.TRANSITIONS) have the last word.
"""

from __future__ import annotations

from typing import Any

from agencies.models import Role
from cases import permissions as case_permissions
from cases.models import Relationship
from triage.models import Action, ActionStatus, Meeting, MeetingKind

CLINIC_ROLES = case_permissions.TRIAGE_ROLES | {Role.CLINICIAN}
# Who brings information to a meeting: every casework role (not programme managers,
# who read the minutes but do not hold cases).
CONTRIBUTOR_ROLES = case_permissions.CASEWORK_ROLES


# Domestic abuse as the Domestic Abuse Act 2021 (s.2) has it: between people personally
# connected, that is partners and ex-partners, and relatives. Only such a declined case is
# watched "in case the victim ended the relationship".
DOMESTIC_RELATIONSHIPS = frozenset({Relationship.EX_INTIMATE, Relationship.FAMILY})


def can_watch(user: Any) -> bool:
    """Put a declined case on the watch list, move its review date, end the watch: triage roles,
    who declined it and who run the triage meeting it comes back to."""
    return case_permissions.is_staff_member(user) and user.role in case_permissions.TRIAGE_ROLES


def in_partnership(user: Any, meeting: Meeting) -> bool:
    return case_permissions.is_staff_member(user) and user.agency.partnership_id == meeting.partnership_id


def can_schedule(user: Any, kind: str | None = None) -> bool:
    """Schedule a meeting of ``kind`` (any kind when None)."""
    if not case_permissions.is_staff_member(user):
        return False
    if kind == MeetingKind.TRIAGE:
        return user.role in case_permissions.TRIAGE_ROLES
    return user.role in CLINIC_ROLES


def can_manage(user: Any, meeting: Meeting) -> bool:
    """Agenda, attendance, decisions and actions of this meeting."""
    return in_partnership(user, meeting) and can_schedule(user, meeting.kind)


def can_contribute(user: Any, meeting: Meeting) -> bool:
    """Record what one's agency brings about a case on the agenda."""
    return in_partnership(user, meeting) and (user.role in CONTRIBUTOR_ROLES or can_manage(user, meeting))


def can_update_action(user: Any, action: Action) -> bool:
    """Complete, cancel or reschedule an action: its owner, the owner's agency, or whoever runs meetings.

    The caller has already checked that the user can see the action's case.
    """
    if not case_permissions.is_staff_member(user) or action.status != ActionStatus.OPEN:
        return False
    return (
        action.owner_id == user.pk
        or action.owner_agency_id == user.agency_id
        or user.role in case_permissions.TRIAGE_ROLES
    )
