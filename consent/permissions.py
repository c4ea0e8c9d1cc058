"""Who may see and record a victim's consent.

Consent is about the victim as a person: it shows who she is and what she agreed to, so it
is ``victim_identity``, asked per person (``cases.permissions.people_classes``): a reader
sees the consent of the victims whose identity the agreement shows them, on a case they may
open. Casework roles record it; a break-glass look reads, it does not record.
"""

from __future__ import annotations

from typing import Any

from agencies.models import RecordClass
from cases.models import Case
from cases.permissions import CASEWORK_ROLES, can_view_case, is_staff_member, may_see


def may_see_consent(user: Any) -> bool:
    return is_staff_member(user) and may_see(user, RecordClass.VICTIM_IDENTITY)


def may_record_consent_somewhere(user: Any) -> bool:
    """The role and agreement part of ``can_record_consent``, before any case is asked."""
    return may_see_consent(user) and user.role in CASEWORK_ROLES


def can_record_consent(user: Any, case: Case) -> bool:
    return may_record_consent_somewhere(user) and can_view_case(user, case, break_glass=False)
