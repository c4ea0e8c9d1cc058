"""Who may read and write risk assessments.

Reading follows the case: an assessment is visible to every agency the case is
shared with (cases.selectors.case_get_for_user), with items of a record class
(the SRP's clinical formulation and notes) shown only where the partnership's
information-sharing agreement allows. Writing needs a casework role; the SRP, whose
formulation is clinical, needs an agency that may see clinical records, so nobody
writes what they could not read back.
"""

from __future__ import annotations

from typing import Any

from agencies.models import RecordClass, Role, User
from cases import permissions as case_permissions

SRP_KEY = "srp"
ASSESSOR_ROLES = case_permissions.CASEWORK_ROLES


def can_view_clinical(user: User) -> bool:
    return case_permissions.may_see(user, RecordClass.CLINICAL)


def can_assess(user: Any, instrument_key: str) -> bool:
    if not case_permissions.is_staff_member(user) or user.role not in ASSESSOR_ROLES:
        return False
    return instrument_key != SRP_KEY or can_view_clinical(user)


def can_edit_draft(user: Any, assessment: Any) -> bool:
    """A draft is continued by the agency that started it (the meeting's note-taker, the clinician)."""
    return (
        assessment.is_draft and can_assess(user, assessment.instrument.key) and user.agency_id == assessment.agency_id
    )


def can_amend(user: Any, assessment: Any) -> bool:
    return (not assessment.is_draft) and assessment.is_current and can_assess(user, assessment.instrument.key)


def can_record_incident(user: Any) -> bool:
    return case_permissions.is_staff_member(user) and user.role in ASSESSOR_ROLES


def can_record_marac_referral(user: Any) -> bool:
    return case_permissions.is_staff_member(user) and user.role in ASSESSOR_ROLES


def can_change_settings(user: Any) -> bool:
    return case_permissions.is_staff_member(user) and user.role == Role.PARTNERSHIP_ADMIN


def can_manage_instruments(user: Any) -> bool:
    return case_permissions.is_staff_member(user) and user.role in {Role.PARTNERSHIP_ADMIN, Role.PROGRAMME_MANAGER}
