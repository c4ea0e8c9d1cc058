"""Who may see and do what in victim advocacy.

Every record here is about an identified victim, so every area needs class
``victim_identity`` and, on top, its own class:

- the advocate, the contact log, key events and telling the victim: ``victim_location``
  (they are the routes to the victim: who reaches her, how and when);
- needs assessment, safety plan, feedback: ``safety_plan`` (her circumstances, her
  protections and how safe she feels);
- her outcomes (how safe she feels and her wellbeing from 0 to 10, incidents in the last
  month): records of class ``victim_identity``, shown beside her needs, so the area asks
  ``safety_plan`` too, as the needs area does.

Safe-contact preferences (her code word, safe times and ways) are her location, and
belong to the person, not to this app: they are read and written under the one
per-person rule of the case page (``cases.permissions.may_see_person_location``), a
victim's location withheld wherever she is a victim in a case the reader may not see.
The agreement decides, whatever the agency's kind; there is no separate advocacy rule
for who may *change* them either, because the one writer
(``cases.services.safe_contact_set``) asks the same predicate, and a second rule here
would let the person page and these pages disagree again. ``Area.SAFE_CONTACT`` below
only says whether the agreement grants the class at all (the per-person answer comes
from the selectors).

Under the default agreement that is police and advocacy; probation (victim identity
only) and health (neither) see nothing of this app. The one thing probation does
here is record a key event (release, bail, court date ...), a write that shows it
nothing back.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from agencies.models import AgencyKind, RecordClass, Role, User
from agencies.permissions import is_partnership_admin
from cases.permissions import TRIAGE_ROLES, can_view_case, is_staff_member, may_see


class Area(StrEnum):
    ASSIGNMENT = "assignment"
    CONTACT = "contact"
    SAFE_CONTACT = "safe_contact"
    KEY_EVENT = "key_event"
    NEEDS = "needs"
    SAFETY_PLAN = "safety_plan"
    FEEDBACK = "feedback"
    OUTCOMES = "outcomes"


AREA_CLASS: dict[Area, RecordClass] = {
    Area.ASSIGNMENT: RecordClass.VICTIM_LOCATION,
    Area.CONTACT: RecordClass.VICTIM_LOCATION,
    Area.SAFE_CONTACT: RecordClass.VICTIM_LOCATION,
    Area.KEY_EVENT: RecordClass.VICTIM_LOCATION,
    Area.NEEDS: RecordClass.SAFETY_PLAN,
    Area.SAFETY_PLAN: RecordClass.SAFETY_PLAN,
    Area.FEEDBACK: RecordClass.SAFETY_PLAN,
    # How safe she feels, her wellbeing and incidents: victim_identity records, read with the
    # needs assessment they go with, so the area also asks what the needs area asks.
    Area.OUTCOMES: RecordClass.SAFETY_PLAN,
}

SAFETY_PLAN_EDITOR_KINDS = frozenset({AgencyKind.ADVOCACY, AgencyKind.POLICE})
KEY_EVENT_RECORDER_KINDS = frozenset({AgencyKind.POLICE, AgencyKind.PROBATION})


def _kind(user: Any) -> str:
    return str(user.agency.kind) if is_staff_member(user) and user.agency is not None else ""


def may_see_area(user: Any, area: Area) -> bool:
    """The sharing agreement's answer for one area.

    Safe contact asks the location class alone, as the case page does: the victim's
    name beside it is shaped per person (``cases.permissions.people_classes``).
    """
    if not is_staff_member(user):
        return False
    if area == Area.SAFE_CONTACT:
        return may_see(user, RecordClass.VICTIM_LOCATION)
    return may_see(user, RecordClass.VICTIM_IDENTITY) and may_see(user, AREA_CLASS[area])


def may_see_any_area(user: Any) -> bool:
    return any(may_see_area(user, area) for area in Area)


def is_advocacy_staff(user: Any) -> bool:
    return _kind(user) == AgencyKind.ADVOCACY


def can_work(user: Any, area: Area) -> bool:
    """The advocate's own records (contacts, needs, feedback, telling the victim) are written by advocacy staff."""
    return is_advocacy_staff(user) and may_see_area(user, area)


def can_assign_advocate(user: Any) -> bool:
    """The advocacy service allocates its advocates; triage officers and admins may too."""
    return may_see_area(user, Area.ASSIGNMENT) and (is_advocacy_staff(user) or user.role in TRIAGE_ROLES)


def can_edit_safety_plan(user: Any) -> bool:
    """Police own measures too (alarms, target hardening), so police and advocacy both edit the plan."""
    return may_see_area(user, Area.SAFETY_PLAN) and _kind(user) in SAFETY_PLAN_EDITOR_KINDS


def can_record_key_event(user: Any) -> bool:
    return _kind(user) in KEY_EVENT_RECORDER_KINDS


def can_mark_told(user: Any) -> bool:
    return can_work(user, Area.KEY_EVENT)


def can_manage_settings(user: Any) -> bool:
    return is_partnership_admin(user)


def can_see_feedback_summary(user: Any) -> bool:
    """Counts only, no person: still limited to the agencies that may see the answers."""
    return (
        is_staff_member(user)
        and user.role in {Role.PROGRAMME_MANAGER, Role.PARTNERSHIP_ADMIN, Role.ADVOCATE, Role.TRIAGE_OFFICER}
        and may_see_area(user, Area.FEEDBACK)
    )


def can_be_advocate(user: User, case: Any) -> bool:
    """An active advocate of an advocacy agency who can see the case and the victim's location."""
    return bool(
        user.is_active
        and user.role == Role.ADVOCATE
        and is_advocacy_staff(user)
        and may_see_area(user, Area.ASSIGNMENT)
        and can_view_case(user, case)
    )


def can_be_lead(user: User, agency: Any) -> bool:
    return bool(user.is_active and user.agency_id == agency.pk and agency.kind == AgencyKind.ADVOCACY)
