"""Who may do what with interventions. Selectors, services, pages and the API ask these.

Case scope comes first and always from cases (``case_get_for_user`` / ``can_view_case``):
these predicates only narrow what a user who can see the case may do or read.
Clinical notes are record class ``clinical``: the partnership's sharing agreement
decides who reads them (health only, by default), through ``cases.permissions.may_see``.
"""

from __future__ import annotations

from typing import Any

from agencies.models import AgencyKind, RecordClass, Role
from cases.permissions import is_staff_member, may_see
from interventions.models import (
    DIRECT,
    Intervention,
    InterventionReferral,
    InterventionType,
    ReferralStatus,
    SessionConcern,
)

# The agencies that refer for direct intervention, and the roles in them that may.
REFERRING_KINDS = frozenset({AgencyKind.POLICE, AgencyKind.PROBATION})
REFERRING_ROLES = frozenset({Role.PROBATION_PRACTITIONER, Role.TRIAGE_OFFICER, Role.PARTNERSHIP_ADMIN})

# Which agency kinds deliver (and so record) each type. The direct intervention is
# created only by health accepting a referral.
DELIVERING_KINDS: dict[str, frozenset[str]] = {
    InterventionType.COMPREHENSIVE_RISK_ASSESSMENT: frozenset({AgencyKind.HEALTH}),
    InterventionType.PERPETRATOR_DIRECT_INTERVENTION: frozenset({AgencyKind.HEALTH}),
    InterventionType.PERPETRATOR_HEALTH_SIGNPOSTING: frozenset({AgencyKind.HEALTH}),
    InterventionType.PERPETRATOR_THIRD_PARTY_CONSULTATION: frozenset({AgencyKind.HEALTH}),
    InterventionType.VICTIM_DIRECT_INTERVENTION: frozenset({AgencyKind.ADVOCACY}),
    InterventionType.VICTIM_TARGET_HARDENING: frozenset({AgencyKind.POLICE, AgencyKind.ADVOCACY}),
    InterventionType.VICTIM_THIRD_PARTY_CONSULTATION: frozenset({AgencyKind.ADVOCACY, AgencyKind.POLICE}),
    InterventionType.VICTIM_SAFEGUARDING: frozenset({AgencyKind.ADVOCACY, AgencyKind.POLICE}),
}
RECORDING_ROLES = frozenset(
    {Role.TRIAGE_OFFICER, Role.ADVOCATE, Role.CLINICIAN, Role.PROBATION_PRACTITIONER, Role.PARTNERSHIP_ADMIN}
)

# The record class of an intervention's free-text details, by type. A risk assessment's
# formulation and where a perpetrator is signposted for his health are clinical; what
# was put in place for a victim (alarms, cameras, a workplace plan) is safety planning.
DETAILS_CLASS: dict[str, str] = {
    InterventionType.COMPREHENSIVE_RISK_ASSESSMENT: RecordClass.CLINICAL,
    InterventionType.PERPETRATOR_DIRECT_INTERVENTION: "",
    InterventionType.PERPETRATOR_HEALTH_SIGNPOSTING: RecordClass.CLINICAL,
    InterventionType.PERPETRATOR_THIRD_PARTY_CONSULTATION: "",
    InterventionType.VICTIM_DIRECT_INTERVENTION: RecordClass.SAFETY_PLAN,
    InterventionType.VICTIM_TARGET_HARDENING: RecordClass.SAFETY_PLAN,
    InterventionType.VICTIM_THIRD_PARTY_CONSULTATION: RecordClass.SAFETY_PLAN,
    InterventionType.VICTIM_SAFEGUARDING: RecordClass.SAFETY_PLAN,
}


def _kind(user: Any) -> str:
    return str(user.agency.kind) if is_staff_member(user) and user.agency is not None else ""


def is_health_clinician(user: Any) -> bool:
    return _kind(user) == AgencyKind.HEALTH and user.role == Role.CLINICIAN


def can_refer(user: Any) -> bool:
    """Probation and police refer a perpetrator for direct intervention."""
    return _kind(user) in REFERRING_KINDS and user.role in REFERRING_ROLES


def can_decide_referral(user: Any, referral: InterventionReferral) -> bool:
    """A clinician of the health agency the referral was sent to accepts or declines it."""
    return (
        is_health_clinician(user)
        and user.agency_id == referral.health_agency_id
        and referral.status == ReferralStatus.SUBMITTED
    )


def can_withdraw_referral(user: Any, referral: InterventionReferral) -> bool:
    """The referring agency may withdraw a referral that health has not decided yet."""
    return (
        can_refer(user)
        and user.agency_id == referral.referring_agency_id
        and referral.status == ReferralStatus.SUBMITTED
    )


def can_deliver(user: Any, intervention: Intervention) -> bool:
    """Plans, appointments, feedback, clinical notes and the ending: the delivering clinicians."""
    if intervention.is_direct:
        return is_health_clinician(user) and user.agency_id == intervention.agency_id
    return is_staff_member(user) and user.agency_id == intervention.agency_id and user.role in RECORDING_ROLES


def can_record(user: Any, intervention_type: str) -> bool:
    """Record an intervention of a type other than direct intervention, delivered by one's own agency."""
    if intervention_type == DIRECT or intervention_type not in DELIVERING_KINDS:
        return False
    return _kind(user) in DELIVERING_KINDS[intervention_type] and user.role in RECORDING_ROLES


def recordable_types(user: Any) -> list[InterventionType]:
    return [t for t in InterventionType if can_record(user, t)]


def may_see_clinical(user: Any) -> bool:
    return is_staff_member(user) and may_see(user, RecordClass.CLINICAL)


def may_write_clinical(user: Any) -> bool:
    """Record clinical notes: only an agency the agreement lets read them (the services ask too)."""
    return may_see_clinical(user)


def may_see_risk_information(user: Any) -> bool:
    return is_staff_member(user) and may_see(user, RecordClass.CRIMINAL_HISTORY)


def may_see_details(user: Any, intervention_type: str) -> bool:
    record_class = DETAILS_CLASS.get(intervention_type, "")
    return not record_class or (is_staff_member(user) and may_see(user, record_class))


def can_acknowledge_concern(user: Any, concern: SessionConcern) -> bool:
    """The practitioner told, or a colleague of the same agency covering for them."""
    if not is_staff_member(user) or concern.acknowledged_at is not None:
        return False
    if concern.recipient_id == user.pk:
        return True
    recipient = concern.recipient
    return recipient is not None and recipient.agency_id == user.agency_id and user.role in REFERRING_ROLES
