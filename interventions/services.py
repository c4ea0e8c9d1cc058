"""Every write about interventions. One transaction per call; access checked inside.

Case scope is cases' rule (``can_view_case``): outside it, Http404. What a user's
agency or role may not do is a ValidationError naming the field, like bad input,
so pages and the API show it where it belongs. Dates that staff may record after the
fact (a referral made last week, a session held yesterday) are accepted up to today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min, Q
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, AgencyKind, Role, User
from audit.models import AccessAction
from audit.services import access_record
from cases import permissions as case_permissions
from cases.models import Case
from cases.services import next_due_changed, next_due_scope
from interventions import permissions, rules
from interventions.extensions import intervention_end_listeners
from interventions.models import (
    DIRECT,
    FREQUENCY_DAYS,
    MAX_PLANNED_SESSIONS,
    Appointment,
    Attendance,
    ClinicalNote,
    CriminogenicNeed,
    Ending,
    EndOfServiceReport,
    Frequency,
    Intervention,
    InterventionReferral,
    InterventionStatus,
    InterventionType,
    Method,
    Modality,
    NotHappenedReason,
    OutcomeRating,
    PlanReview,
    PlanStatus,
    Rating,
    ReferralStatus,
    SessionConcern,
    TherapyPlan,
    TherapySession,
)
from masip.concurrency import check_version, version_of
from notifications.models import Notification
from notifications.services import notification_settled, notify

MAX_OUTCOMES = 10
OUTCOME_LENGTH = 300


def _today() -> dt.date:
    return timezone.localdate()


def _clean_outcomes(values: Sequence[str], field_name: str) -> list[str]:
    outcomes = [v.strip() for v in values if v and v.strip()]
    if not outcomes:
        raise ValidationError({field_name: "Enter at least one desired outcome"})
    if len(outcomes) > MAX_OUTCOMES:
        raise ValidationError({field_name: f"Enter at most {MAX_OUTCOMES} desired outcomes"})
    if any(len(v) > OUTCOME_LENGTH for v in outcomes):
        raise ValidationError({field_name: f"Each desired outcome has at most {OUTCOME_LENGTH} characters"})
    return outcomes


def _log(actor: User, action: AccessAction, record_type: str, ids: Sequence[int], purpose: str = "") -> None:
    access_record(user=actor, action=action, record_type=record_type, record_ids=list(ids), purpose=purpose)


# --- referral for direct intervention -------------------------------------------------------------


@dataclass
class ReferralInput:
    health_agency_id: int | None
    risk_information: str
    desired_outcomes: list[str]
    accessibility_needs: str = ""
    interpreter_required: bool = False
    interpreter_language: str = ""
    additional_information: str = ""
    probation_practitioner_id: int | None = None
    referred_on: dt.date | None = None


def health_agencies_for_case(*, case: Case) -> list[Agency]:
    """The partnership's health agencies this case is shared with: where a referral can go."""
    from cases.selectors import case_shared_agencies

    return [a for a in case_shared_agencies(case=case) if a.kind == AgencyKind.HEALTH]


def probation_practitioners_for_case(*, case: Case) -> list[User]:
    """Active probation practitioners of the partnership who can see the case."""
    candidates = User.objects.filter(
        agency__partnership_id=case.partnership_id,
        agency__kind=AgencyKind.PROBATION,
        role=Role.PROBATION_PRACTITIONER,
        is_active=True,
    ).select_related("agency")
    return [u for u in candidates.order_by("last_name", "first_name") if case_permissions.can_view_case(u, case)]


@transaction.atomic
def referral_submit(*, actor: User, case: Case, data: ReferralInput) -> InterventionReferral:
    """Probation or police refer the perpetrator to the partnership's health agency."""
    case_permissions.require_case(actor, case)
    if not permissions.can_refer(actor):
        raise ValidationError({"health_agency": "Only probation and police refer for direct intervention"})
    assert actor.agency is not None
    errors: dict[str, str] = {}
    health = next((a for a in health_agencies_for_case(case=case) if a.pk == data.health_agency_id), None)
    if health is None:
        errors["health_agency"] = (
            "Choose a health agency this case is shared with; a triage officer can share the case with one"
        )
    if not data.risk_information.strip():
        errors["risk_information"] = "Give the risk information the clinicians need"
    try:
        outcomes = _clean_outcomes(data.desired_outcomes, "desired_outcomes")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        outcomes = []
    if data.interpreter_required and not data.interpreter_language.strip():
        errors["interpreter_language"] = "Say which language the interpreter is needed for"
    referred_on = data.referred_on or _today()
    if referred_on > _today():
        errors["referred_on"] = "The referral date cannot be in the future"
    elif referred_on < case.received_on:
        errors["referred_on"] = "The referral date cannot be before the case was received"
    practitioner = None
    if data.probation_practitioner_id is not None:
        practitioner = next(
            (u for u in probation_practitioners_for_case(case=case) if u.pk == data.probation_practitioner_id), None
        )
        if practitioner is None:
            errors["probation_practitioner"] = "Choose a probation practitioner who can see this case"
    elif actor.role == Role.PROBATION_PRACTITIONER:
        practitioner = actor
    if errors:
        raise ValidationError(errors)
    if InterventionReferral.objects.filter(case=case, status=ReferralStatus.SUBMITTED).exists():
        raise ValidationError({"health_agency": "This case already has a referral awaiting health's decision"})
    if Intervention.objects.filter(case=case, type=DIRECT, status__in=_open()).exists():
        raise ValidationError({"health_agency": "This case already has a direct intervention under way"})
    assert health is not None
    referral = InterventionReferral.objects.create(
        case=case,
        referred_by=actor,
        referring_agency=actor.agency,
        referred_on=referred_on,
        health_agency=health,
        probation_practitioner=practitioner,
        risk_information=data.risk_information.strip(),
        desired_outcomes=outcomes,
        accessibility_needs=data.accessibility_needs.strip(),
        interpreter_required=data.interpreter_required,
        interpreter_language=data.interpreter_language.strip() if data.interpreter_required else "",
        additional_information=data.additional_information.strip(),
    )
    _log(actor, AccessAction.CREATE, "interventions.referral", [referral.pk])
    return referral


def _open() -> tuple[InterventionStatus, ...]:
    return (InterventionStatus.PLANNED, InterventionStatus.ONGOING)


def _lock_referral(referral: InterventionReferral) -> InterventionReferral:
    return InterventionReferral.objects.select_for_update().get(pk=referral.pk)


@transaction.atomic
def referral_accept(*, actor: User, referral: InterventionReferral, on: dt.date | None = None) -> Intervention:
    """Health accepts: the direct intervention exists from now, planned until a session is held."""
    case_permissions.require_case(actor, referral.case)
    locked = _lock_referral(referral)
    if not permissions.can_decide_referral(actor, locked):
        raise ValidationError({"decision": _not_deciding(actor, locked)})
    day = on or _today()
    if day > _today() or day < locked.referred_on:
        raise ValidationError({"decision": "The decision date must be between the referral date and today"})
    if Intervention.objects.filter(case_id=locked.case_id, type=DIRECT, status__in=_open()).exists():
        raise ValidationError({"decision": "This case already has a direct intervention under way"})
    intervention = Intervention.objects.create(
        case_id=locked.case_id,
        type=DIRECT,
        agency_id=locked.health_agency_id,
        status=InterventionStatus.PLANNED,
        recorded_by=actor,
    )
    locked.status = ReferralStatus.ACCEPTED
    locked.decided_by = actor
    locked.decided_on = day
    locked.intervention = intervention
    locked.save(update_fields=["status", "decided_by", "decided_on", "intervention"])
    _log(actor, AccessAction.CHANGE, "interventions.referral", [locked.pk], "accepted")
    return intervention


def _not_deciding(actor: User, referral: InterventionReferral) -> str:
    if referral.status != ReferralStatus.SUBMITTED:
        return f"This referral has already been {referral.get_status_display().lower()}"
    return "Only a clinician of the health agency the referral was sent to can decide it"


@transaction.atomic
def referral_decline(
    *, actor: User, referral: InterventionReferral, reason: str, on: dt.date | None = None
) -> InterventionReferral:
    case_permissions.require_case(actor, referral.case)
    locked = _lock_referral(referral)
    if not permissions.can_decide_referral(actor, locked):
        raise ValidationError({"decision": _not_deciding(actor, locked)})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for declining the referral"})
    day = on or _today()
    if day > _today() or day < locked.referred_on:
        raise ValidationError({"decision": "The decision date must be between the referral date and today"})
    locked.status = ReferralStatus.DECLINED
    locked.decided_by = actor
    locked.decided_on = day
    locked.decision_reason = reason.strip()
    locked.save(update_fields=["status", "decided_by", "decided_on", "decision_reason"])
    _log(actor, AccessAction.CHANGE, "interventions.referral", [locked.pk], "declined")
    return locked


@transaction.atomic
def referral_withdraw(*, actor: User, referral: InterventionReferral, reason: str) -> InterventionReferral:
    case_permissions.require_case(actor, referral.case)
    locked = _lock_referral(referral)
    if not permissions.can_withdraw_referral(actor, locked):
        if locked.status != ReferralStatus.SUBMITTED:
            raise ValidationError({"reason": "Health has already decided this referral"})
        raise ValidationError({"reason": "Only the referring agency can withdraw the referral"})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for withdrawing the referral"})
    locked.status = ReferralStatus.WITHDRAWN
    locked.decided_by = actor
    locked.decided_on = _today()
    locked.decision_reason = reason.strip()
    locked.save(update_fields=["status", "decided_by", "decided_on", "decision_reason"])
    _log(actor, AccessAction.CHANGE, "interventions.referral", [locked.pk], "withdrawn")
    return locked


# --- the intervention's numbers ---------------------------------------------------------------------


def _lock_intervention(intervention: Intervention) -> Intervention:
    return Intervention.objects.select_for_update(of=("self",)).select_related("case").get(pk=intervention.pk)


def _require_deliverer(actor: User, intervention: Intervention, field_name: str) -> None:
    case_permissions.require_case(actor, intervention.case)
    if not permissions.can_deliver(actor, intervention):
        raise ValidationError({field_name: "Only the clinicians delivering this intervention can do this"})


def _require_open(intervention: Intervention, field_name: str) -> None:
    if not intervention.is_open:
        raise ValidationError({field_name: "This intervention has ended"})


def _approved_plan(intervention: Intervention) -> TherapyPlan | None:
    return TherapyPlan.objects.filter(intervention=intervention, status=PlanStatus.APPROVED).first()


def _delivered_appointments(intervention: Intervention) -> list[Appointment]:
    return list(Appointment.objects.filter(session__intervention=intervention, happened=True))


def _refresh_numbers(intervention: Intervention) -> None:
    """Recount planned and attended sessions and the start date from the rows themselves.

    A recount, not an increment: the numbers the export and the evaluation read can
    never drift from the sessions.
    """
    plan = _approved_plan(intervention)
    delivered = Appointment.objects.filter(session__intervention=intervention, happened=True).aggregate(
        first=Min("starts_at")
    )
    attended = Appointment.objects.filter(session__intervention=intervention, happened=True).count()
    intervention.sessions_planned = plan.planned_sessions if plan else None
    intervention.sessions_attended = attended if plan else None
    first = delivered["first"]
    intervention.started_on = timezone.localtime(first).date() if first else None
    if intervention.status == InterventionStatus.PLANNED and attended:
        intervention.status = InterventionStatus.ONGOING
    elif intervention.status == InterventionStatus.ONGOING and not attended:
        intervention.status = InterventionStatus.PLANNED
    intervention.save(update_fields=["sessions_planned", "sessions_attended", "started_on", "status", "updated_at"])


def _refresh_due(intervention: Intervention) -> None:
    """The case's next-due date moves with its sessions and plan reviews (selectors.intervention_due_dates)."""
    next_due_changed(case_ids=[intervention.case_id])


# --- therapy plans -------------------------------------------------------------------------------------


@dataclass
class PlanInput:
    modalities: list[str]
    planned_sessions: int
    frequency: str
    desired_outcomes: list[str]
    criminogenic_needs: list[str] = field(default_factory=list)
    other_modality: str = ""
    review_on: dt.date | None = None
    change_reason: str = ""


def _highest_booked(intervention: Intervention) -> int:
    return Appointment.objects.filter(session__intervention=intervention).aggregate(n=Max("session__number"))["n"] or 0


def _validate_plan(intervention: Intervention, data: PlanInput, *, revision: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.modalities:
        errors["modalities"] = "Choose at least one modality"
    elif any(m not in Modality.values for m in data.modalities):
        errors["modalities"] = "Choose modalities from the list"
    if Modality.OTHER in data.modalities and not data.other_modality.strip():
        errors["other_modality"] = "Describe the other modality"
    if data.frequency not in Frequency.values:
        errors["frequency"] = "Choose how often sessions are held"
    if any(n not in CriminogenicNeed.values for n in data.criminogenic_needs):
        errors["criminogenic_needs"] = "Choose needs from the list"
    sessions_error = rules.plan_sessions_error(
        planned=data.planned_sessions,
        delivered=len(_delivered_appointments(intervention)),
        highest_booked=_highest_booked(intervention),
        maximum=MAX_PLANNED_SESSIONS,
    )
    if sessions_error:
        errors["planned_sessions"] = sessions_error
    try:
        _clean_outcomes(data.desired_outcomes, "desired_outcomes")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if data.review_on is not None and data.review_on < _today():
        errors["review_on"] = "The review date cannot be in the past"
    if revision and not data.change_reason.strip():
        errors["change_reason"] = "Give the reason for changing the approved plan"
    return errors


# The version of an intervention's therapy plan before it has one.
NO_PLAN_VERSION = "none"


def therapy_plan_version(latest: TherapyPlan | None) -> str:
    """The version of the plan an editor works from: its latest row (the draft, else the approved plan)."""
    return version_of(latest) if latest is not None else NO_PLAN_VERSION


@transaction.atomic
@next_due_scope()
def plan_save(
    *,
    actor: User,
    intervention: Intervention,
    data: PlanInput,
    approve: bool = False,
    expected_version: str | None = None,
) -> TherapyPlan:
    """Write the plan's draft (a new version once a plan is approved), and approve it if asked.

    Changing an approved plan, to extend it or otherwise, makes a new version and
    needs a reason; it can never have fewer sessions than were delivered.
    ``expected_version`` is ``therapy_plan_version`` of the plan the editor started
    from: if anyone saved or approved a plan since, nothing is written (``EditConflict``).
    """
    _require_deliverer(actor, intervention, "planned_sessions")
    locked = _lock_intervention(intervention)
    # The intervention's row lock serialises every plan write, so this read is current.
    newest = TherapyPlan.objects.filter(intervention=locked).order_by("-version").first()
    check_version(therapy_plan_version(newest), expected_version)
    if not locked.is_direct:
        raise ValidationError({"planned_sessions": "Only a direct intervention has a therapy plan"})
    _require_open(locked, "planned_sessions")
    current = _approved_plan(locked)
    errors = _validate_plan(locked, data, revision=current is not None)
    if errors:
        raise ValidationError(errors)
    values = {
        "modalities": list(dict.fromkeys(data.modalities)),
        "other_modality": data.other_modality.strip() if Modality.OTHER in data.modalities else "",
        "planned_sessions": data.planned_sessions,
        "frequency": data.frequency,
        "desired_outcomes": _clean_outcomes(data.desired_outcomes, "desired_outcomes"),
        "criminogenic_needs": list(dict.fromkeys(data.criminogenic_needs)),
        "review_on": data.review_on,
        "change_reason": data.change_reason.strip() if current is not None else "",
    }
    draft = TherapyPlan.objects.select_for_update().filter(intervention=locked, status=PlanStatus.DRAFT).first()
    if draft is None:
        latest = TherapyPlan.objects.filter(intervention=locked).aggregate(v=Max("version"))["v"] or 0
        draft = TherapyPlan.objects.create(intervention=locked, version=latest + 1, created_by=actor, **values)
    else:
        for name, value in values.items():
            setattr(draft, name, value)
        draft.save()
    _log(actor, AccessAction.CHANGE, "interventions.plan", [draft.pk])
    if approve:
        return _approve(actor, locked, draft)
    return draft


@transaction.atomic
@next_due_scope()
def plan_approve(*, actor: User, plan: TherapyPlan) -> TherapyPlan:
    intervention = plan.intervention
    _require_deliverer(actor, intervention, "plan")
    locked = _lock_intervention(intervention)
    _require_open(locked, "plan")
    draft = TherapyPlan.objects.select_for_update().get(pk=plan.pk)
    if draft.status != PlanStatus.DRAFT:
        raise ValidationError({"plan": "Only a draft plan can be approved"})
    # The sessions may have moved on since the draft was written: check it again.
    data = PlanInput(
        modalities=list(draft.modalities),
        planned_sessions=draft.planned_sessions,
        frequency=draft.frequency,
        desired_outcomes=list(draft.desired_outcomes),
        criminogenic_needs=list(draft.criminogenic_needs),
        other_modality=draft.other_modality,
        review_on=draft.review_on,
        change_reason=draft.change_reason,
    )
    errors = _validate_plan(locked, data, revision=draft.version > 1)
    if errors:
        raise ValidationError(errors)
    return _approve(actor, locked, draft)


def _approve(actor: User, intervention: Intervention, draft: TherapyPlan) -> TherapyPlan:
    TherapyPlan.objects.filter(intervention=intervention, status=PlanStatus.APPROVED).update(
        status=PlanStatus.SUPERSEDED
    )
    now = timezone.now()
    draft.status = PlanStatus.APPROVED
    draft.approved_by = actor
    draft.approved_at = now
    if draft.review_on is None:
        # Half-way through the course by default: 6 weeks for 12 weekly sessions.
        days = max(7, draft.planned_sessions * FREQUENCY_DAYS[Frequency(draft.frequency)] // 2)
        draft.review_on = timezone.localdate(now) + dt.timedelta(days=days)
    draft.save()
    existing = set(TherapySession.objects.filter(intervention=intervention).values_list("number", flat=True))
    TherapySession.objects.bulk_create(
        [
            TherapySession(intervention=intervention, number=n)
            for n in range(1, draft.planned_sessions + 1)
            if n not in existing
        ]
    )
    # Sessions beyond a shortened plan go; the rules allowed it only if none was booked.
    TherapySession.objects.filter(intervention=intervention, number__gt=draft.planned_sessions).delete()
    _refresh_numbers(intervention)
    _refresh_due(intervention)
    _log(actor, AccessAction.CHANGE, "interventions.plan", [draft.pk], "approved")
    return draft


@transaction.atomic
@next_due_scope()
def plan_review_record(
    *,
    actor: User,
    intervention: Intervention,
    summary: str,
    next_review_on: dt.date | None,
    reviewed_on: dt.date | None = None,
) -> PlanReview:
    """The plan was reviewed: what was decided, and when it is next due (none: no more reviews)."""
    _require_deliverer(actor, intervention, "summary")
    locked = _lock_intervention(intervention)
    _require_open(locked, "summary")
    plan = _approved_plan(locked)
    if plan is None:
        raise ValidationError({"summary": "There is no approved plan to review"})
    errors: dict[str, str] = {}
    if not summary.strip():
        errors["summary"] = "Say what the review found and decided"
    day = reviewed_on or _today()
    if day > _today():
        errors["reviewed_on"] = "The review date cannot be in the future"
    if next_review_on is not None and next_review_on <= day:
        errors["next_review_on"] = "The next review must be after this one"
    if errors:
        raise ValidationError(errors)
    review = PlanReview.objects.create(
        plan=plan, reviewed_on=day, reviewed_by=actor, summary=summary.strip(), next_review_on=next_review_on
    )
    plan.review_on = next_review_on
    plan.save(update_fields=["review_on"])
    _refresh_due(locked)
    _log(actor, AccessAction.CREATE, "interventions.plan_review", [review.pk])
    return review


# --- appointments ------------------------------------------------------------------------------------------


@dataclass
class AppointmentInput:
    starts_at: dt.datetime
    duration_minutes: int = 60
    method: str = Method.IN_PERSON


def _validate_appointment(intervention: Intervention, data: AppointmentInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.method not in Method.values:
        errors["method"] = "Choose how the session is held"
    if not 5 <= data.duration_minutes <= 480:
        errors["duration_minutes"] = "A session lasts between 5 minutes and 8 hours"
    referral = InterventionReferral.objects.filter(intervention=intervention).only("referred_on").first()
    earliest = referral.referred_on if referral else intervention.created_at.date()
    if timezone.localtime(data.starts_at).date() < earliest:
        errors["starts_at"] = f"A session cannot be before the referral ({earliest:%-d %B %Y})"
    if data.starts_at > timezone.now() + dt.timedelta(days=366):
        errors["starts_at"] = "Book sessions at most a year ahead"
    return errors


def _require_plan(intervention: Intervention, field_name: str) -> TherapyPlan:
    plan = _approved_plan(intervention)
    if plan is None:
        raise ValidationError({field_name: "Approve a therapy plan before booking sessions"})
    return plan


@transaction.atomic
@next_due_scope()
def appointment_book(*, actor: User, session: TherapySession, data: AppointmentInput) -> Appointment:
    """Book a time for a session (again, after one that did not happen). Past times are
    allowed so that a session held before it was entered can be recorded."""
    intervention = session.intervention
    _require_deliverer(actor, intervention, "starts_at")
    locked = _lock_intervention(intervention)
    _require_open(locked, "starts_at")
    _require_plan(locked, "starts_at")
    appointments = list(Appointment.objects.select_for_update().filter(session=session))
    if any(a.happened for a in appointments):
        raise ValidationError({"starts_at": f"Session {session.number} has already been delivered"})
    if any(a.is_open for a in appointments):
        raise ValidationError(
            {"starts_at": f"Session {session.number} already has an appointment: reschedule it instead"}
        )
    errors = _validate_appointment(locked, data)
    if errors:
        raise ValidationError(errors)
    appointment = Appointment.objects.create(
        session=session,
        starts_at=data.starts_at,
        duration_minutes=data.duration_minutes,
        method=data.method,
        booked_by=actor,
    )
    _refresh_due(locked)
    _log(actor, AccessAction.CREATE, "interventions.appointment", [appointment.pk])
    return appointment


@transaction.atomic
@next_due_scope()
def appointment_reschedule(
    *, actor: User, appointment: Appointment, data: AppointmentInput, reason: str
) -> Appointment:
    """Move an appointment that has not happened yet. The old one stays, with the reason."""
    intervention = appointment.session.intervention
    _require_deliverer(actor, intervention, "starts_at")
    locked = _lock_intervention(intervention)
    _require_open(locked, "starts_at")
    old = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not old.is_open:
        raise ValidationError({"starts_at": "Only an appointment still to be held can be rescheduled"})
    if old.starts_at <= timezone.now():
        raise ValidationError({"starts_at": "This appointment's time has passed: record whether it happened instead"})
    errors = _validate_appointment(locked, data)
    if not reason.strip():
        errors["reason"] = "Give the reason for rescheduling"
    if errors:
        raise ValidationError(errors)
    old.rescheduled_at = timezone.now()
    old.reschedule_reason = reason.strip()
    old.save(update_fields=["rescheduled_at", "reschedule_reason"])
    new = Appointment.objects.create(
        session_id=old.session_id,
        starts_at=data.starts_at,
        duration_minutes=data.duration_minutes,
        method=data.method,
        booked_by=actor,
        replaces=old,
    )
    _refresh_due(locked)
    _log(actor, AccessAction.CHANGE, "interventions.appointment", [old.pk, new.pk], "rescheduled")
    return new


@transaction.atomic
@next_due_scope()
def appointment_cancel(*, actor: User, appointment: Appointment, reason: str) -> Appointment:
    """Cancel one appointment still to come. It stays, with the reason; its session is free to
    be booked again (the course keeps its length: the plan, not the diary, says how many)."""
    intervention = appointment.session.intervention
    _require_deliverer(actor, intervention, "reason")
    locked = _lock_intervention(intervention)
    _require_open(locked, "reason")
    current = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not current.is_open:
        raise ValidationError({"reason": "Only an appointment still to be held can be cancelled"})
    if current.starts_at <= timezone.now():
        raise ValidationError({"reason": "This appointment's time has passed: record whether it happened instead"})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for cancelling"})
    current.cancelled_at = timezone.now()
    current.cancel_reason = reason.strip()
    current.save(update_fields=["cancelled_at", "cancel_reason"])
    _refresh_due(locked)
    _log(actor, AccessAction.CHANGE, "interventions.appointment", [current.pk], "cancelled")
    return current


# --- a course of sessions booked at once -------------------------------------------------------------------

MAX_SKIPPED_DATES = 52


@dataclass
class CourseInput:
    """A course: ``sessions`` appointments from ``first_date`` at ``start_time``, every week or
    every other week. A date in ``skip_dates`` (a holiday, a court date) is passed over and the
    course runs one interval longer, so the number of sessions stays as asked."""

    first_date: dt.date
    start_time: dt.time
    frequency: str
    sessions: int
    skip_dates: list[dt.date] = field(default_factory=list)
    duration_minutes: int = 60
    method: str = Method.IN_PERSON


@dataclass(frozen=True)
class CourseSlot:
    number: int
    starts_at: dt.datetime
    duration_minutes: int
    method: str


def _free_sessions(intervention: Intervention) -> list[TherapySession]:
    """The plan's sessions, in order, with nothing delivered and nothing booked still to come."""
    taken = Appointment.objects.filter(session__intervention=intervention).filter(
        Q(happened=True) | Q(feedback_at__isnull=True, rescheduled_at__isnull=True, cancelled_at__isnull=True)
    )
    return list(
        TherapySession.objects.filter(intervention=intervention)
        .exclude(pk__in=taken.values("session_id"))
        .select_related("intervention")
        .order_by("number")
    )


def _course_slots(intervention: Intervention, data: CourseInput) -> list[CourseSlot]:
    """Every error at once, or the dated sessions of the course."""
    errors: dict[str, str] = {}
    if data.frequency not in Frequency.values:
        errors["frequency"] = "Choose how often the sessions are held"
    if data.method not in Method.values:
        errors["method"] = "Choose how the session is held"
    if not 5 <= data.duration_minutes <= 480:
        errors["duration_minutes"] = "A session lasts between 5 minutes and 8 hours"
    if len(data.skip_dates) > MAX_SKIPPED_DATES:
        errors["skip_dates"] = f"Give at most {MAX_SKIPPED_DATES} dates to skip"
    today = _today()
    first = dt.datetime.combine(data.first_date, data.start_time, tzinfo=ZoneInfo(settings.TIME_ZONE))
    if data.first_date < today or (data.first_date == today and first <= timezone.now()):
        errors["first_date"] = "A course starts in the future: record a past session on its own"
    elif data.first_date > today + dt.timedelta(days=366):
        errors["first_date"] = "Book sessions at most a year ahead"
    free = _free_sessions(intervention)
    if not 1 <= data.sessions <= MAX_PLANNED_SESSIONS:
        errors["sessions"] = f"Book between 1 and {MAX_PLANNED_SESSIONS} sessions"
    elif not free:
        errors["sessions"] = "Every session of the plan is booked or delivered already"
    elif data.sessions > len(free):
        errors["sessions"] = (
            f"Only {len(free)} session{'s' if len(free) != 1 else ''} of the plan "
            f"{'are' if len(free) != 1 else 'is'} still to book"
        )
    if errors:
        raise ValidationError(errors)
    step = dt.timedelta(days=FREQUENCY_DAYS[Frequency(data.frequency)])
    skip = set(data.skip_dates)
    dates: list[dt.date] = []
    day = data.first_date
    while len(dates) < data.sessions:
        if day not in skip:
            dates.append(day)
        day += step
    slots = [
        CourseSlot(
            number=session.number,
            starts_at=dt.datetime.combine(day, data.start_time, tzinfo=ZoneInfo(settings.TIME_ZONE)),
            duration_minutes=data.duration_minutes,
            method=data.method,
        )
        for session, day in zip(free, dates, strict=False)
    ]
    # The first session is in the future and within a year; the last one bounds the rest.
    last = _validate_appointment(intervention, AppointmentInput(starts_at=slots[-1].starts_at, method=data.method))
    if "starts_at" in last:
        raise ValidationError(
            {"sessions": f"The last session would be on {slots[-1].starts_at:%-d %B %Y}: {last['starts_at']}"}
        )
    return slots


def course_preview(*, actor: User, intervention: Intervention, data: CourseInput) -> list[CourseSlot]:
    """The course as it would be booked, checked by the same rules, without saving anything."""
    _require_deliverer(actor, intervention, "first_date")
    _require_open(intervention, "first_date")
    _require_plan(intervention, "first_date")
    return _course_slots(intervention, data)


@transaction.atomic
@next_due_scope()
def course_book(*, actor: User, intervention: Intervention, data: CourseInput) -> list[Appointment]:
    """Book the course: every appointment or none."""
    _require_deliverer(actor, intervention, "first_date")
    locked = _lock_intervention(intervention)
    _require_open(locked, "first_date")
    _require_plan(locked, "first_date")
    slots = _course_slots(locked, data)
    sessions = {s.number: s for s in TherapySession.objects.filter(intervention=locked)}
    appointments = Appointment.objects.bulk_create(
        Appointment(
            session=sessions[slot.number],
            starts_at=slot.starts_at,
            duration_minutes=slot.duration_minutes,
            method=slot.method,
            booked_by=actor,
        )
        for slot in slots
    )
    _refresh_due(locked)
    _log(actor, AccessAction.CREATE, "interventions.appointment", [a.pk for a in appointments], "course booked")
    return appointments


@dataclass
class FeedbackInput:
    attendance: str
    happened: bool | None
    not_happened_reason: str = ""
    summary: str = ""
    concerns_raised: bool = False
    concern_description: str = ""
    clinical_notes: str = ""
    concern_victim_at_risk: bool = False


def _validate_feedback(data: FeedbackInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.attendance not in Attendance.values:
        errors["attendance"] = "Say whether the person attended"
    if data.happened is None:
        errors["happened"] = "Say whether the session happened"
    elif data.attendance == Attendance.DID_NOT_ATTEND and data.happened:
        errors["happened"] = "A session the person did not attend did not happen"
    if data.happened is False:
        if data.not_happened_reason not in NotHappenedReason.values:
            errors["not_happened_reason"] = "Say why the session did not happen"
        elif data.attendance == Attendance.DID_NOT_ATTEND and data.not_happened_reason == NotHappenedReason.LOGISTICS:
            errors["not_happened_reason"] = (
                "When the person did not attend, say whether the absence was acceptable or unacceptable"
            )
    if data.happened and not data.summary.strip():
        errors["summary"] = "Summarise the session for probation"
    if data.concerns_raised and not data.concern_description.strip():
        errors["concern_description"] = "Describe the behaviour or concern for the probation practitioner"
    return errors


def concern_recipient(intervention: Intervention) -> User | None:
    """The probation practitioner named on the referral, or else the person who referred."""
    referral = (
        InterventionReferral.objects.filter(intervention=intervention)
        .select_related("probation_practitioner", "referred_by")
        .first()
    )
    if referral is None:
        return None
    for candidate in (referral.probation_practitioner, referral.referred_by):
        if candidate is not None and candidate.is_active:
            return candidate
    return None


@transaction.atomic
@next_due_scope()
def appointment_feedback_record(*, actor: User, appointment: Appointment, data: FeedbackInput) -> Appointment:
    """After the session's time: attendance, whether it happened, the summary for probation,
    clinical notes (class clinical) and any concern, which tells the probation practitioner
    at once: a row they see in the service now, and one e-mail from the queue."""
    intervention = appointment.session.intervention
    _require_deliverer(actor, intervention, "attendance")
    locked = _lock_intervention(intervention)
    _require_open(locked, "attendance")
    current = Appointment.objects.select_for_update(of=("self",)).select_related("session").get(pk=appointment.pk)
    if not current.is_open:
        if current.feedback_at is not None:
            raise ValidationError({"attendance": "Feedback for this appointment has already been recorded"})
        raise ValidationError({"attendance": "This appointment was rescheduled or cancelled"})
    now = timezone.now()
    if current.starts_at > now:
        raise ValidationError(
            {
                "attendance": "Attendance can be recorded only after the session's start time "
                f"({timezone.localtime(current.starts_at):%-d %B %Y at %H:%M})"
            }
        )
    errors = _validate_feedback(data)
    if data.clinical_notes.strip() and not permissions.may_see_clinical(actor):
        errors["clinical_notes"] = "Your agency may not record clinical notes under the sharing agreement"
    if errors:
        raise ValidationError(errors)
    current.feedback_at = now
    current.feedback_by = actor
    current.attendance = data.attendance
    current.happened = bool(data.happened)
    current.not_happened_reason = "" if data.happened else data.not_happened_reason
    current.summary = data.summary.strip()
    current.concerns_raised = data.concerns_raised
    current.save()
    if data.clinical_notes.strip():
        ClinicalNote.objects.create(
            intervention=locked, appointment=current, author=actor, text=data.clinical_notes.strip()
        )
    if data.concerns_raised:
        concern = SessionConcern.objects.create(
            appointment=current,
            intervention=locked,
            raised_by=actor,
            description=data.concern_description.strip(),
            recipient=concern_recipient(locked),
            victim_at_risk=data.concern_victim_at_risk,
        )
        if concern.victim_at_risk:
            # Her advocate can act on it (the safety plan, telling her); the alert names the case only.
            from advocacy.services import victim_risk_alert

            victim_risk_alert(
                case=locked.case,
                subject=f"A concern about the victim's safety: case {locked.case.reference}",
                body="A clinician raised a concern at a treatment session that may put the victim at risk, and "
                "told the probation practitioner. Review her safety plan, and speak to probation.",
                key=f"interventions.concern-victim:{concern.pk}",
            )
        if concern.recipient is not None:
            concern.notification = _concern_alert(concern, locked)
            concern.save(update_fields=["notification"])
    _refresh_numbers(locked)
    _refresh_due(locked)
    _log(actor, AccessAction.CHANGE, "interventions.appointment", [current.pk], "feedback")
    return current


@transaction.atomic
def clinical_note_add(
    *, actor: User, intervention: Intervention, text: str, appointment: Appointment | None = None
) -> ClinicalNote:
    _require_deliverer(actor, intervention, "text")
    if not permissions.may_see_clinical(actor):
        raise ValidationError({"text": "Your agency may not record clinical notes under the sharing agreement"})
    if not text.strip():
        raise ValidationError({"text": "Enter the clinical note"})
    if appointment is not None and appointment.session.intervention_id != intervention.pk:
        raise ValidationError({"appointment": "Choose an appointment of this intervention"})
    note = ClinicalNote.objects.create(
        intervention=intervention, appointment=appointment, author=actor, text=text.strip()
    )
    _log(actor, AccessAction.CREATE, "interventions.clinical_note", [note.pk])
    return note


# --- concerns --------------------------------------------------------------------------------------------------


def concern_alert_key(concern_id: int) -> str:
    return f"interventions.concern:{concern_id}"


def _concern_alert(concern: SessionConcern, intervention: Intervention) -> Notification | None:
    """Tell the probation practitioner through the project's notifications: the inbox alert and
    its one e-mail (notifications' task, idempotent by key; the sweep sends one whose task was
    lost). Like every alert it names only the case reference, the session number and the
    clinician's agency, never what was said: the e-mail leaves the system."""
    recipient = concern.recipient
    assert recipient is not None
    case = intervention.case
    agency = concern.raised_by.agency
    key = concern_alert_key(concern.pk)
    sent = notify(
        recipient,
        f"Concern raised at session {concern.appointment.session.number}: case {case.reference}",
        f"A clinician{f' at {agency.name}' if agency else ''} raised a concern about behaviour or risk at "
        f"session {concern.appointment.session.number} of the direct intervention on case {case.reference}. "
        "Read it and acknowledge it on the intervention.",
        reverse("interventions:intervention_detail", args=[case.pk, intervention.pk]),
        key=key,
    )
    # None: an inactive recipient gets nothing; or the alert was already written under this key.
    return sent or Notification.objects.filter(recipient=recipient, key=key).first()


@transaction.atomic
def concern_acknowledge(*, actor: User, concern: SessionConcern, action_taken: str = "") -> SessionConcern:
    """The concern was read; ``action_taken`` records what was done about it. Acknowledged,
    it no longer counts as open (the inbox, the home page, the case's banner)."""
    case_permissions.require_case(actor, concern.intervention.case)
    locked = SessionConcern.objects.select_for_update(of=("self",)).select_related("recipient").get(pk=concern.pk)
    if locked.acknowledged_at is not None:
        raise ValidationError({"concern": "This concern has already been acknowledged"})
    if not permissions.can_acknowledge_concern(actor, locked):
        raise ValidationError({"concern": "Only the probation practitioner told, or their agency, can acknowledge it"})
    if len(action_taken) > 5000:
        raise ValidationError({"action_taken": "Keep it to 5,000 characters or fewer"})
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = actor
    locked.action_taken = action_taken.strip()
    locked.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
    # Acknowledged, the recipient's alert has nothing left to ask: read with it, or not at all.
    notification_settled(notification_id=locked.notification_id)
    _log(actor, AccessAction.CHANGE, "interventions.concern", [locked.pk], "acknowledged")
    return locked


# --- ending ---------------------------------------------------------------------------------------------------------


@dataclass
class RatingInput:
    rating: str
    comments: str = ""


@dataclass
class EndingInput:
    ending: str
    ended_on: dt.date | None = None
    by_agreement: bool = False
    reason: str = ""
    report_summary: str = ""
    ratings: list[RatingInput] = field(default_factory=list)


@transaction.atomic
@next_due_scope()
def intervention_end(*, actor: User, intervention: Intervention, data: EndingInput) -> Intervention:
    """End an intervention. A direct intervention's ending follows interventions.rules:
    completed (every planned session delivered, or by agreement), ended early or dropped out
    (some delivered), cancelled (none); after any delivered session, an end-of-service
    report rates each desired outcome of the plan."""
    _require_deliverer(actor, intervention, "ending")
    locked = _lock_intervention(intervention)
    _require_open(locked, "ending")
    today = _today()
    ended_on = data.ended_on or today
    errors: dict[str, str] = {}
    if ended_on > today:
        errors["ended_on"] = "The end date cannot be in the future"
    if locked.is_direct:
        errors.update(_check_direct_ending(locked, data, ended_on))
    else:
        if data.ending not in (Ending.COMPLETED, Ending.CANCELLED, Ending.DROPPED_OUT):
            errors["ending"] = "Choose completed, cancelled or dropped out"
        if locked.started_on and ended_on < locked.started_on:
            errors["ended_on"] = "The end date cannot be before the start"
    needs_reason = data.ending != Ending.COMPLETED or (locked.is_direct and data.by_agreement)
    if needs_reason and not data.reason.strip():
        errors["reason"] = "Say why the intervention ended"
    if errors:
        raise ValidationError(errors)
    delivered = len(_delivered_appointments(locked)) if locked.is_direct else 0
    if locked.is_direct:
        now = timezone.now()
        Appointment.objects.filter(
            session__intervention=locked,
            feedback_at__isnull=True,
            rescheduled_at__isnull=True,
            cancelled_at__isnull=True,
        ).update(cancelled_at=now)
        if rules.needs_end_of_service_report(ending=data.ending, delivered=delivered):
            plan = _approved_plan(locked)
            assert plan is not None
            report = EndOfServiceReport.objects.create(
                intervention=locked, written_by=actor, summary=data.report_summary.strip()
            )
            OutcomeRating.objects.bulk_create(
                [
                    OutcomeRating(
                        report=report, position=i, outcome=outcome, rating=r.rating, comments=r.comments.strip()
                    )
                    for i, (outcome, r) in enumerate(zip(plan.desired_outcomes, data.ratings, strict=True), start=1)
                ]
            )
        _refresh_numbers(locked)
    elif locked.started_on is None and data.ending != Ending.CANCELLED:
        locked.started_on = ended_on
    locked.status = rules.STATUS_FOR_ENDING[Ending(data.ending)]
    locked.ending = data.ending
    locked.ended_on = ended_on
    locked.ended_by_agreement = bool(locked.is_direct and data.ending == Ending.COMPLETED and data.by_agreement)
    locked.ending_reason = data.reason.strip()
    locked.save()
    _tell_listeners_of_the_end(locked, actor)
    _refresh_due(locked)
    _log(actor, AccessAction.CHANGE, "interventions.intervention", [locked.pk], f"ended: {data.ending}")
    return locked


def _tell_listeners_of_the_end(intervention: Intervention, actor: User) -> None:
    """Post-intervention monitoring starts from the end (interventions.extensions'
    intervention-end listeners), in this transaction."""
    for listener in intervention_end_listeners():
        listener(intervention, actor)


def _check_direct_ending(intervention: Intervention, data: EndingInput, ended_on: dt.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    delivered = _delivered_appointments(intervention)
    plan = _approved_plan(intervention)
    planned = plan.planned_sessions if plan else 0
    waiting = (
        Appointment.objects.filter(
            session__intervention=intervention,
            feedback_at__isnull=True,
            rescheduled_at__isnull=True,
            cancelled_at__isnull=True,
            starts_at__lte=timezone.now(),
        )
        .select_related("session")
        .order_by("session__number")
        .first()
    )
    if waiting is not None:
        errors["ending"] = f"Record what happened at session {waiting.session.number} before ending the intervention"
        return errors
    problem = rules.ending_error(
        ending=data.ending, delivered=len(delivered), planned=planned, by_agreement=data.by_agreement
    )
    if problem:
        errors["ending"] = problem
        return errors
    if delivered:
        last = max(timezone.localtime(a.starts_at).date() for a in delivered)
        if ended_on < last:
            errors["ended_on"] = f"The end date cannot be before the last delivered session ({last:%-d %B %Y})"
    if rules.needs_end_of_service_report(ending=data.ending, delivered=len(delivered)):
        assert plan is not None
        if len(data.ratings) != len(plan.desired_outcomes):
            errors["ratings"] = "Rate every desired outcome of the plan"
        else:
            for index, rating in enumerate(data.ratings, start=1):
                if rating.rating not in Rating.values:
                    errors[f"rating_{index}"] = f"Rate desired outcome {index}"
    return errors


# --- other intervention types --------------------------------------------------------------------------------------


@transaction.atomic
def intervention_record(
    *,
    actor: User,
    case: Case,
    intervention_type: str,
    started_on: dt.date | None = None,
    details: str = "",
) -> Intervention:
    """Record an intervention of another type, delivered by the actor's own agency.

    Planned without a start date, ongoing with one. The direct intervention is made only
    by health accepting a referral.
    """
    case_permissions.require_case(actor, case)
    if intervention_type == DIRECT:
        raise ValidationError({"type": "A direct intervention starts with a referral to health"})
    if intervention_type not in InterventionType.values:
        raise ValidationError({"type": "Choose the type of intervention"})
    if not permissions.can_record(actor, intervention_type):
        raise ValidationError({"type": "Your agency does not deliver this type of intervention"})
    errors: dict[str, str] = {}
    if started_on is not None and started_on > _today():
        errors["started_on"] = "The start date cannot be in the future; leave it empty while planned"
    if started_on is not None and started_on < case.received_on:
        errors["started_on"] = "The start date cannot be before the case was received"
    if details.strip() and not permissions.may_see_details(actor, intervention_type):
        errors["details"] = "Your agency may not record this class of information under the sharing agreement"
    if errors:
        raise ValidationError(errors)
    assert actor.agency is not None
    intervention = Intervention.objects.create(
        case=case,
        type=intervention_type,
        agency=actor.agency,
        status=InterventionStatus.ONGOING if started_on else InterventionStatus.PLANNED,
        started_on=started_on,
        details=details.strip(),
        recorded_by=actor,
    )
    _log(actor, AccessAction.CREATE, "interventions.intervention", [intervention.pk])
    return intervention


@transaction.atomic
def intervention_start(*, actor: User, intervention: Intervention, started_on: dt.date | None = None) -> Intervention:
    """A planned intervention of another type has started. (A direct one starts with its first session.)"""
    _require_deliverer(actor, intervention, "started_on")
    locked = _lock_intervention(intervention)
    if locked.is_direct:
        raise ValidationError({"started_on": "A direct intervention starts when its first session is held"})
    if locked.status != InterventionStatus.PLANNED:
        raise ValidationError({"started_on": "Only a planned intervention can start"})
    day = started_on or _today()
    if day > _today():
        raise ValidationError({"started_on": "The start date cannot be in the future"})
    if day < locked.case.received_on:
        raise ValidationError({"started_on": "The start date cannot be before the case was received"})
    locked.status = InterventionStatus.ONGOING
    locked.started_on = day
    locked.save(update_fields=["status", "started_on", "updated_at"])
    _log(actor, AccessAction.CHANGE, "interventions.intervention", [locked.pk], "started")
    return locked
