"""Every write of victim advocacy. One transaction per call; access checked inside.

Outside the actor's scope (the case, or an area the sharing agreement withholds)
the answer is Http404, as for a page; bad input is ValidationError({field: message}).
Alerts go through notifications.services.notify, whose e-mails are queued on commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from advocacy import guardrails, permissions
from advocacy.models import (
    OUTCOME_SCALE_MAX,
    AdvocacyLead,
    AdvocacySettings,
    AdvocateAssignment,
    ContactLogEntry,
    ContactLogVersion,
    ContactTopic,
    Direction,
    KeyEvent,
    KeyEventKind,
    KeyEventSource,
    MeasureKind,
    MeasureStatus,
    NeedLevel,
    NeedsAssessment,
    NeedsAssessmentItem,
    NeedsDomain,
    OutcomeStage,
    SafetyMeasure,
    SafetyPlan,
    SafetyPlanReview,
    VictimFeedback,
    VictimNotice,
    VictimOutcome,
)
from advocacy.permissions import Area
from agencies.models import Agency, AgencyKind, Role, User
from audit.models import AccessAction
from audit.services import access_record
from cases.extensions import OrderEvent
from cases.models import (
    FINISHED_STATUSES,
    Case,
    CaseGroupObjectPermission,
    CaseParty,
    CaseStatus,
    ContactChannel,
    Order,
    OrderKind,
    PartyRole,
    SafeContactPreference,
)
from cases.permissions import VIEW_CASE, can_view_case, may_see_person_location, require_case
from cases.services import SafeContactInput, next_due_changed, next_due_scope, safe_contact_set
from masip.concurrency import check_version, version_of
from notifications.services import notify

logger = logging.getLogger(__name__)

VICTIM_ROLES = (PartyRole.VICTIM, PartyRole.SECONDARY_VICTIM)
# A clock a few minutes fast on a phone or laptop must not make "now" the future.
CLOCK_SLACK = dt.timedelta(minutes=10)
# Key events recorded by hand: a date beyond this either way is almost certainly a typo.
KEY_EVENT_DATE_RANGE = dt.timedelta(days=2 * 366)
# Expired orders are raised as key events when the expiry is this recent (a job that
# was down catches up; an order that ran out years ago is not news).
ORDER_EXPIRY_LOOKBACK = dt.timedelta(days=14)

# The measures' legal moves; anything else is refused with the reason.
MEASURE_TRANSITIONS: dict[str, frozenset[str]] = {
    MeasureStatus.PROPOSED: frozenset({MeasureStatus.IN_PLACE, MeasureStatus.DECLINED}),
    MeasureStatus.IN_PLACE: frozenset({MeasureStatus.ENDED}),
    MeasureStatus.DECLINED: frozenset({MeasureStatus.PROPOSED}),
    MeasureStatus.ENDED: frozenset({MeasureStatus.PROPOSED}),
}


# --- shared checks ------------------------------------------------------------------------------------------


def _require(allowed: bool) -> None:
    if not allowed:
        raise Http404


def _now() -> dt.datetime:
    return timezone.now()


def _victim_part(case: Case, person_id: int | None) -> CaseParty:
    """The victim (or secondary victim) of this case; the only victim when none is named."""
    parts = list(CaseParty.objects.filter(case=case, role__in=VICTIM_ROLES).order_by("-is_primary", "id"))
    if person_id is None:
        if len(parts) == 1:
            return parts[0]
        raise ValidationError({"victim": "Choose the victim"})
    for part in parts:
        if part.person_id == person_id:
            return part
    raise ValidationError({"victim": "Choose a victim of this case"})


def settings_for(*, partnership_id: int) -> AdvocacySettings:
    """The partnership's settings, or the defaults (unsaved) when it has none."""
    found = AdvocacySettings.objects.filter(partnership_id=partnership_id).first()
    return found or AdvocacySettings(partnership_id=partnership_id)


def current_assignment(*, case_id: int, person_id: int, lock: bool = False) -> AdvocateAssignment | None:
    qs = AdvocateAssignment.objects.filter(case_id=case_id, person_id=person_id, ended_at__isnull=True)
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.select_related("advocate", "agency").first()


def shared_advocacy_agencies(*, case: Case) -> list[Agency]:
    """The advocacy agencies the case is shared with: who answers for a victim with no advocate."""
    # By codename, not the process-wide cached permission id: this runs in Celery workers too.
    return list(
        Agency.objects.filter(
            kind=AgencyKind.ADVOCACY,
            group__in=CaseGroupObjectPermission.objects.filter(
                content_object=case, permission__codename=VIEW_CASE, permission__content_type__app_label="cases"
            ).values("group_id"),
        ).order_by("name")
    )


def _refresh_due(case: Case) -> None:
    next_due_changed(case_ids=[case.pk])


def _name(user: User) -> str:
    return user.get_full_name() or user.email


# --- the single point of contact ----------------------------------------------------------------------------


def _notice_link(notice: VictimNotice) -> str:
    return reverse("advocacy:notice_told", args=[notice.key_event.case_id, notice.pk])


@transaction.atomic
def advocate_assign(
    *, actor: User, case: Case, advocate: User, person_id: int | None = None, handover_note: str = ""
) -> AdvocateAssignment:
    """Make ``advocate`` the victim's advocate on the case; a handover when someone else was."""
    require_case(actor, case)
    _require(permissions.can_assign_advocate(actor))
    part = _victim_part(case, person_id)
    if not permissions.can_be_advocate(advocate, case):
        raise ValidationError({"advocate": "Choose an advocate of an advocacy agency this case is shared with"})
    previous = current_assignment(case_id=case.pk, person_id=part.person_id, lock=True)
    if previous is not None and previous.advocate_id == advocate.pk:
        raise ValidationError({"advocate": f"{_name(advocate)} is already this victim's advocate"})
    if previous is not None and not handover_note.strip():
        raise ValidationError({"handover_note": "Write a handover note for the new advocate"})
    now = _now()
    if previous is not None:
        previous.ended_at, previous.ended_by = now, actor
        previous.end_note = "Handed over"
        previous.save(update_fields=["ended_at", "ended_by", "end_note"])
    assert advocate.agency is not None
    try:
        with transaction.atomic():
            assignment = AdvocateAssignment.objects.create(
                case=case,
                person_id=part.person_id,
                advocate=advocate,
                agency=advocate.agency,
                started_at=now,
                assigned_by=actor,
                handover_note=handover_note.strip(),
            )
    except IntegrityError:
        raise ValidationError({"advocate": "Someone else has just changed this victim's advocate; try again"}) from None
    # Whatever the victim has not yet been told goes with her to the new advocate.
    untold = list(
        VictimNotice.objects.select_for_update(of=("self",))
        .filter(key_event__case=case, person_id=part.person_id, told_at__isnull=True)
        .select_related("key_event")
    )
    for notice in untold:
        notice.advocate, notice.agency = advocate, advocate.agency
        notice.save(update_fields=["advocate", "agency"])
    if advocate.pk != actor.pk:
        body = f"{_name(actor)} made you the victim's advocate on case {case.reference}."
        if previous is not None:
            body += " Read the handover note on the case's advocacy page."
        if untold:
            body += f" {len(untold)} key event(s) still need telling to the victim."
        notify(
            advocate,
            f"You are the advocate on case {case.reference}",
            body,
            reverse("advocacy:case_advocacy", args=[case.pk]),
            key=f"advocate-assignment:{assignment.pk}",
        )
    access_record(
        user=actor, action=AccessAction.CREATE, record_type="advocacy.advocateassignment", record_ids=[assignment.pk]
    )
    return assignment


@transaction.atomic
def advocate_end(*, actor: User, case: Case, person_id: int | None = None, note: str = "") -> AdvocateAssignment:
    """End the victim's advocacy support on this case (no successor)."""
    require_case(actor, case)
    _require(permissions.can_assign_advocate(actor))
    part = _victim_part(case, person_id)
    current = current_assignment(case_id=case.pk, person_id=part.person_id, lock=True)
    if current is None:
        raise ValidationError({"victim": "This victim has no current advocate"})
    if not note.strip():
        raise ValidationError({"note": "Say why advocacy support is ending"})
    current.ended_at, current.ended_by, current.end_note = _now(), actor, note.strip()
    current.save(update_fields=["ended_at", "ended_by", "end_note"])
    access_record(
        user=actor, action=AccessAction.CHANGE, record_type="advocacy.advocateassignment", record_ids=[current.pk]
    )
    return current


# --- the contact log ----------------------------------------------------------------------------------------


@dataclass
class ContactInput:
    occurred_at: dt.datetime
    channel: str
    direction: str
    topics: list[str]
    summary: str
    duration_minutes: int | None = None
    next_contact_due: dt.date | None = None
    staff_member: User | None = None
    # The safe-contact guardrails (advocacy.guardrails): why an unsafe way was used, and
    # that personal details found in the summary are safe to share.
    unsafe_method_reason: str = ""
    personal_details_confirmed: bool = False


def _validate_contact(
    actor: User,
    case: Case,
    data: ContactInput,
    *,
    person_id: int,
    safe: list[str] | None,
    known: ContactLogEntry | None = None,
) -> dict[str, str]:
    errors: dict[str, str] = guardrails.check_contact(
        safe=safe,
        ways_shown=lambda: may_see_person_location(actor, person_id),
        channel=data.channel,
        unsafe_method_reason=data.unsafe_method_reason,
        text=data.summary,
        text_field="summary",
        text_name="summary",
        personal_details_confirmed=data.personal_details_confirmed,
        known_channel=known.channel if known else None,
        known_text=known.summary if known else None,
    )
    if data.occurred_at > _now() + CLOCK_SLACK:
        errors["occurred_at"] = "The contact cannot be in the future"
    if data.channel not in ContactChannel.values:
        errors["channel"] = "Choose how the contact was made"
    if data.direction not in Direction.values:
        errors["direction"] = "Choose whether the contact was to or from the victim"
    topics = list(dict.fromkeys(data.topics))
    if not topics:
        errors["topics"] = "Choose at least one topic"
    elif any(t not in ContactTopic.values for t in topics):
        errors["topics"] = "Choose topics from the list"
    if data.duration_minutes is not None and not 0 <= data.duration_minutes <= 24 * 60:
        errors["duration_minutes"] = "Enter the duration in minutes, up to 1440"
    if not data.summary.strip():
        errors["summary"] = "Enter a summary of the contact"
    if data.next_contact_due is not None and data.next_contact_due < timezone.localdate(data.occurred_at):
        errors["next_contact_due"] = "The next contact must be due on or after the day of this contact"
    staff = data.staff_member
    if (
        staff is not None
        and staff.pk != actor.pk
        and not (staff.is_active and permissions.is_advocacy_staff(staff) and can_view_case(staff, case))
    ):
        errors["staff_member"] = "Choose a member of advocacy staff who can see this case"
    return errors


def _contact_values(actor: User, data: ContactInput, safe: list[str] | None) -> dict[str, Any]:
    unsafe = guardrails.is_unsafe(data.channel, safe)
    return {
        "unsafe_method_reason": data.unsafe_method_reason.strip() if unsafe else "",
        "occurred_at": data.occurred_at,
        "channel": data.channel,
        "direction": data.direction,
        "duration_minutes": data.duration_minutes,
        "staff_member": data.staff_member or actor,
        "topics": list(dict.fromkeys(data.topics)),
        "summary": data.summary.strip(),
        "next_contact_due": data.next_contact_due,
    }


@transaction.atomic
@next_due_scope()
def contact_record(*, actor: User, case: Case, data: ContactInput, person_id: int | None = None) -> ContactLogEntry:
    require_case(actor, case)
    _require(permissions.can_work(actor, Area.CONTACT))
    part = _victim_part(case, person_id)
    # Her agreed ways, read once for the check and the stored values alike.
    safe = guardrails.safe_channels(part.person_id)
    errors = _validate_contact(actor, case, data, person_id=part.person_id, safe=safe)
    if errors:
        raise ValidationError(errors)
    return _contact_create(actor, case, part.person_id, _contact_values(actor, data, safe))


def _contact_create(actor: User, case: Case, person_id: int, values: dict[str, Any]) -> ContactLogEntry:
    entry = ContactLogEntry.objects.create(case=case, person_id=person_id, created_by=actor, **values)
    ContactLogVersion.objects.create(entry=entry, number=1, recorded_by=actor, **values)
    _refresh_due(case)
    access_record(user=actor, action=AccessAction.CREATE, record_type="advocacy.contactlogentry", record_ids=[entry.pk])
    _log_override(entry)
    return entry


def _log_override(entry: ContactLogEntry) -> None:
    if entry.unsafe_method_reason:
        # Ids only: the reason itself may hold personal data and is on the contact.
        logger.warning(
            "Contact %s on case %s made by a way the victim has not agreed is safe (%s), with a reason",
            entry.pk,
            entry.case_id,
            entry.channel,
        )


@transaction.atomic
@next_due_scope()
def contact_update(*, actor: User, entry: ContactLogEntry, data: ContactInput, reason: str) -> ContactLogEntry:
    """Correct a contact: the earlier reading stays as a version, with who changed it and why."""
    case = entry.case
    require_case(actor, case)
    _require(permissions.can_work(actor, Area.CONTACT))
    safe = guardrails.safe_channels(entry.person_id)
    errors = _validate_contact(actor, case, data, person_id=entry.person_id, safe=safe, known=entry)
    if not reason.strip():
        errors["reason"] = "Say why the contact record is being changed"
    if errors:
        raise ValidationError(errors)
    locked = ContactLogEntry.objects.select_for_update().get(pk=entry.pk)
    if not data.unsafe_method_reason.strip() and data.channel == locked.channel:
        data.unsafe_method_reason = locked.unsafe_method_reason
    values = _contact_values(actor, data, safe)
    if data.staff_member is None:
        values["staff_member"] = locked.staff_member
    if all(getattr(locked, name) == value for name, value in values.items()):
        raise ValidationError({"reason": "Nothing was changed"})
    locked.version += 1
    for name, value in values.items():
        setattr(locked, name, value)
    locked.save()
    ContactLogVersion.objects.create(
        entry=locked, number=locked.version, recorded_by=actor, edit_reason=reason.strip(), **values
    )
    _refresh_due(case)
    access_record(user=actor, action=AccessAction.CHANGE, record_type="advocacy.contactlogentry", record_ids=[entry.pk])
    if locked.channel != entry.channel:
        _log_override(locked)
    return locked


# --- safe-contact preferences (cases.SafeContactPreference) -------------------------------------------------


@transaction.atomic
def safe_contact_update(
    *, actor: User, case: Case, data: SafeContactInput, person_id: int | None = None
) -> SafeContactPreference:
    """A victim of this case's safe-contact preferences, through the one writer of them.

    This scopes the case and the victim (one of its victims, chosen or the only one);
    ``cases.services.safe_contact_set`` then asks the per-person location rule, validates
    and writes, so the person page and the advocacy pages accept and refuse alike.
    """
    require_case(actor, case)
    part = _victim_part(case, person_id)
    return safe_contact_set(actor=actor, person_id=part.person_id, data=data)


# --- needs assessment ---------------------------------------------------------------------------------------


@transaction.atomic
@next_due_scope()
def needs_assess(
    *,
    actor: User,
    case: Case,
    assessed_on: dt.date,
    review_on: dt.date | None,
    levels: Mapping[str, str],
    domain_notes: Mapping[str, str] | None = None,
    notes: str = "",
    person_id: int | None = None,
) -> NeedsAssessment:
    """A needs assessment: a level in every domain, and the date to review it."""
    require_case(actor, case)
    _require(permissions.can_work(actor, Area.NEEDS))
    part = _victim_part(case, person_id)
    errors: dict[str, str] = {}
    if assessed_on > timezone.localdate():
        errors["assessed_on"] = "The assessment date cannot be in the future"
    if review_on is None:
        errors["review_on"] = "Enter the review date"
    elif review_on < assessed_on:
        errors["review_on"] = "The review date must be on or after the assessment date"
    for domain in NeedsDomain:
        if levels.get(domain.value) not in NeedLevel.values:
            errors[f"level_{domain.value}"] = f"Choose the level of need for {domain.label.lower()}"
    unknown = set(levels) - set(NeedsDomain.values)
    if unknown:
        errors["levels"] = "Unknown needs domain"
    if errors:
        raise ValidationError(errors)
    assert review_on is not None
    assessment = NeedsAssessment.objects.create(
        case=case,
        person_id=part.person_id,
        assessed_on=assessed_on,
        review_on=review_on,
        notes=notes.strip(),
        assessed_by=actor,
    )
    NeedsAssessmentItem.objects.bulk_create(
        NeedsAssessmentItem(
            assessment=assessment,
            domain=domain.value,
            level=levels[domain.value],
            notes=(domain_notes or {}).get(domain.value, "").strip(),
        )
        for domain in NeedsDomain
    )
    _refresh_due(case)
    access_record(
        user=actor, action=AccessAction.CREATE, record_type="advocacy.needsassessment", record_ids=[assessment.pk]
    )
    return assessment


# --- the victim's outcomes ----------------------------------------------------------------------------------

# Recorded by the advocate; "imported" is the bundle's.
RECORDED_STAGES = (OutcomeStage.INTAKE, OutcomeStage.REVIEW, OutcomeStage.CLOSURE)
# A month has at most this many days; more incidents than a few a day is a typo.
MAX_INCIDENTS_A_MONTH = 500


@dataclass
class OutcomeInput:
    recorded_on: dt.date | None
    stage: str
    feels_safe: int | None = None
    wellbeing: int | None = None
    incidents_last_month: int | None = None


def _outcome_errors(data: OutcomeInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.recorded_on is None:
        errors["recorded_on"] = "Enter the date she was asked"
    elif data.recorded_on > timezone.localdate():
        errors["recorded_on"] = "The date she was asked cannot be in the future"
    if data.stage not in RECORDED_STAGES:
        errors["stage"] = "Choose when she was asked: at intake, at a needs review or at closure"
    for name, label in (("feels_safe", "How safe she feels"), ("wellbeing", "Wellbeing")):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= OUTCOME_SCALE_MAX:
            errors[name] = f"{label} must be a whole number from 0 to {OUTCOME_SCALE_MAX}"
    incidents = data.incidents_last_month
    if incidents is not None and not 0 <= incidents <= MAX_INCIDENTS_A_MONTH:
        errors["incidents_last_month"] = (
            f"Incidents in the last month must be a number from 0 to {MAX_INCIDENTS_A_MONTH}"
        )
    if data.feels_safe is None and data.wellbeing is None and incidents is None and not errors:
        errors["feels_safe"] = "Enter at least one of her answers"
    return errors


@transaction.atomic
def victim_outcome_record(
    *, actor: User, case: Case, data: OutcomeInput, person_id: int | None = None
) -> VictimOutcome:
    """How the victim is doing, in her own words, at intake, at a needs review or at closure.

    Any measure may be left out (she may not want to put a number on it); at least one is
    given. At a needs review the row is tied to her latest needs assessment on or before
    the date, so the two read together.
    """
    require_case(actor, case)
    _require(permissions.can_work(actor, Area.OUTCOMES))
    part = _victim_part(case, person_id)
    errors = _outcome_errors(data)
    if errors:
        raise ValidationError(errors)
    assert data.recorded_on is not None
    review = None
    if data.stage == OutcomeStage.REVIEW:
        review = (
            NeedsAssessment.objects.filter(case=case, person_id=part.person_id, assessed_on__lte=data.recorded_on)
            .order_by("-assessed_on", "-id")
            .first()
        )
    outcome = VictimOutcome.objects.create(
        case=case,
        person_id=part.person_id,
        recorded_on=data.recorded_on,
        stage=data.stage,
        feels_safe=data.feels_safe,
        wellbeing=data.wellbeing,
        incidents_last_month=data.incidents_last_month,
        needs_assessment=review,
        recorded_by=actor,
    )
    access_record(user=actor, action=AccessAction.CREATE, record_type="advocacy.victimoutcome", record_ids=[outcome.pk])
    return outcome


# --- safety plans -------------------------------------------------------------------------------------------


def _plan_for(actor: User, case: Case, person_id: int) -> SafetyPlan:
    plan, _ = SafetyPlan.objects.get_or_create(case=case, person_id=person_id, defaults={"created_by": actor})
    return plan


def _owner_errors(actor: User, case: Case, owner_agency: Agency | None, owner: User | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if owner_agency is None or owner_agency.partnership_id != case.partnership_id:
        errors["owner_agency"] = "Choose the agency that owns this measure"
    elif owner is not None and owner.agency_id != owner_agency.pk:
        errors["owner"] = "The owner must work for the owning agency"
    return errors


@dataclass
class MeasureInput:
    kind: str
    owner_agency: Agency | None
    details: str = ""
    owner: User | None = None
    status: str = MeasureStatus.PROPOSED
    proposed_on: dt.date | None = None
    in_place_on: dt.date | None = None
    review_on: dt.date | None = None


@transaction.atomic
@next_due_scope()
def safety_measure_add(*, actor: User, case: Case, data: MeasureInput, person_id: int | None = None) -> SafetyMeasure:
    """Add a measure from the catalogue to the victim's safety plan (made on first use)."""
    require_case(actor, case)
    _require(permissions.can_edit_safety_plan(actor))
    part = _victim_part(case, person_id)
    today = timezone.localdate()
    errors = _owner_errors(actor, case, data.owner_agency, data.owner)
    if data.kind not in MeasureKind.values:
        errors["kind"] = "Choose a measure from the catalogue"
    if data.status not in (MeasureStatus.PROPOSED, MeasureStatus.IN_PLACE):
        errors["status"] = "A new measure is proposed or already in place"
    proposed_on = data.proposed_on or today
    if proposed_on > today:
        errors["proposed_on"] = "The date proposed cannot be in the future"
    in_place_on = data.in_place_on
    if data.status == MeasureStatus.IN_PLACE:
        in_place_on = in_place_on or today
        if in_place_on > today:
            errors["in_place_on"] = "The date it was put in place cannot be in the future"
        elif in_place_on < proposed_on:
            proposed_on = in_place_on
    else:
        in_place_on = None
    if data.review_on is not None and data.review_on < proposed_on:
        errors["review_on"] = "The review date must be on or after the date proposed"
    if errors:
        raise ValidationError(errors)
    assert data.owner_agency is not None
    plan = _plan_for(actor, case, part.person_id)
    measure = SafetyMeasure.objects.create(
        plan=plan,
        kind=data.kind,
        details=data.details.strip(),
        owner_agency=data.owner_agency,
        owner=data.owner,
        status=data.status,
        proposed_on=proposed_on,
        in_place_on=in_place_on,
        review_on=data.review_on,
        created_by=actor,
    )
    _refresh_due(case)
    access_record(user=actor, action=AccessAction.CREATE, record_type="advocacy.safetymeasure", record_ids=[measure.pk])
    return measure


@transaction.atomic
@next_due_scope()
def safety_measure_update(
    *,
    actor: User,
    measure: SafetyMeasure,
    status: str | None = None,
    on: dt.date | None = None,
    details: str | None = None,
    owner_agency: Agency | None = None,
    owner: User | None = None,
    review_on: dt.date | None = None,
    clear_review: bool = False,
    expected_version: str | None = None,
) -> SafetyMeasure:
    """Change a measure's status along the table (with the date it happened), details, owner or review date.

    What is not given keeps its value in the row as locked here; ``expected_version`` is the
    measure as the editor saw it (``masip.concurrency``): changed since, nothing is written.
    """
    case = measure.plan.case
    require_case(actor, case)
    _require(permissions.can_edit_safety_plan(actor))
    locked = SafetyMeasure.objects.select_for_update().get(pk=measure.pk)
    check_version(version_of(locked), expected_version)
    today = timezone.localdate()
    day = on or today
    errors: dict[str, str] = {}
    if status is not None and status != locked.status:
        if status not in MEASURE_TRANSITIONS.get(locked.status, frozenset()):
            current = MeasureStatus(locked.status).label.lower()
            target = MeasureStatus(status).label.lower() if status in MeasureStatus.values else repr(status)
            errors["status"] = f"A measure that is {current} cannot become {target}"
        elif day > today:
            errors["on"] = "The date cannot be in the future"
        elif day < locked.proposed_on:
            errors["on"] = "The date cannot be before the measure was proposed"
    if owner_agency is not None:
        errors.update(_owner_errors(actor, case, owner_agency, owner))
    if review_on is not None and review_on < locked.proposed_on:
        errors["review_on"] = "The review date must be on or after the date proposed"
    if errors:
        raise ValidationError(errors)
    if status is not None and status != locked.status:
        locked.status = status
        if status == MeasureStatus.IN_PLACE:
            locked.in_place_on = day
        elif status == MeasureStatus.DECLINED:
            locked.declined_on = day
        elif status == MeasureStatus.ENDED:
            locked.ended_on = day
        elif status == MeasureStatus.PROPOSED:
            locked.proposed_on, locked.in_place_on, locked.declined_on, locked.ended_on = day, None, None, None
    if details is not None:
        locked.details = details.strip()
    if owner_agency is not None:
        locked.owner_agency, locked.owner = owner_agency, owner
    if clear_review:
        locked.review_on = None
    elif review_on is not None:
        locked.review_on = review_on
    locked.save()
    _refresh_due(case)
    access_record(user=actor, action=AccessAction.CHANGE, record_type="advocacy.safetymeasure", record_ids=[locked.pk])
    return locked


@transaction.atomic
@next_due_scope()
def safety_plan_review(
    *,
    actor: User,
    case: Case,
    reviewed_on: dt.date,
    summary: str,
    next_review_on: dt.date | None,
    person_id: int | None = None,
) -> SafetyPlanReview:
    """Record a review of the whole plan; its next review date becomes the plan's."""
    require_case(actor, case)
    _require(permissions.can_edit_safety_plan(actor))
    part = _victim_part(case, person_id)
    errors: dict[str, str] = {}
    if reviewed_on > timezone.localdate():
        errors["reviewed_on"] = "The review date cannot be in the future"
    if not summary.strip():
        errors["summary"] = "Summarise the review"
    if next_review_on is not None and next_review_on <= reviewed_on:
        errors["next_review_on"] = "The next review must be after this one"
    if errors:
        raise ValidationError(errors)
    plan = _plan_for(actor, case, part.person_id)
    review = SafetyPlanReview.objects.create(
        plan=plan, reviewed_on=reviewed_on, summary=summary.strip(), next_review_on=next_review_on, reviewed_by=actor
    )
    plan.review_on = next_review_on
    plan.save(update_fields=["review_on", "updated_at"])
    _refresh_due(case)
    access_record(
        user=actor, action=AccessAction.CREATE, record_type="advocacy.safetyplanreview", record_ids=[review.pk]
    )
    return review


# --- key events and telling the victim ----------------------------------------------------------------------


def _validate_key_event(kind: str, occurs_on: dt.date | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind not in KeyEventKind.values:
        errors["kind"] = "Choose the kind of event"
    today = timezone.localdate()
    if occurs_on is None:
        errors["occurs_on"] = "Enter the date of the event"
    elif not today - KEY_EVENT_DATE_RANGE <= occurs_on <= today + KEY_EVENT_DATE_RANGE:
        errors["occurs_on"] = "Enter a date within two years of today"
    return errors


def _raise_key_event(
    *,
    case: Case,
    kind: str,
    occurs_on: dt.date,
    details: str,
    source: str,
    actor: User | None,
    order: Order | None = None,
    breach: Any = None,
) -> KeyEvent | None:
    """Create the key event, a notice per victim, and alert each advocate (or the leads) at once.

    None when this order or breach has already raised this event (the unique
    constraints make the listeners and the expiry job idempotent).
    """
    try:
        with transaction.atomic():
            event = KeyEvent.objects.create(
                case=case,
                kind=kind,
                occurs_on=occurs_on,
                details=details.strip(),
                source=source,
                order=order,
                breach=breach,
                recorded_by=actor,
                recorded_agency=actor.agency if actor is not None else None,
            )
    except IntegrityError:
        if order is None and breach is None:
            raise
        return None
    hours = settings_for(partnership_id=case.partnership_id).tell_victim_within_hours
    tell_by = event.recorded_at + dt.timedelta(hours=hours)
    victims = CaseParty.objects.filter(case=case, role__in=VICTIM_ROLES).order_by("-is_primary", "id")
    fallback_agencies: list[Agency] | None = None
    for part in victims:
        assignment = current_assignment(case_id=case.pk, person_id=part.person_id)
        agency: Agency | None = assignment.agency if assignment else None
        if agency is None:
            if fallback_agencies is None:
                fallback_agencies = shared_advocacy_agencies(case=case)
            agency = fallback_agencies[0] if len(fallback_agencies) == 1 else None
        notice = VictimNotice.objects.create(
            key_event=event,
            person_id=part.person_id,
            advocate=assignment.advocate if assignment else None,
            agency=agency,
            tell_by=tell_by,
        )
        _alert_new_notice(notice, event, case)
    _refresh_due(case)
    return event


def _key_event_text(event: KeyEvent, case: Case, tell_by: dt.datetime) -> tuple[str, str]:
    label = KeyEventKind(event.kind).label
    by = event.recorded_agency.name if event.recorded_agency is not None else "the case's orders"
    subject = f"Key event on case {case.reference}: {label.lower()}"
    body = (
        f"{label} on {event.occurs_on:%-d %B %Y}, recorded by {by}. Tell the victim by "
        f"{timezone.localtime(tell_by):%-d %B %Y at %H:%M} and record when and how they were told."
    )
    return subject, body


def _leads_of(agencies: Iterable[Agency]) -> list[User]:
    return [
        lead.user
        for lead in AdvocacyLead.objects.filter(agency__in=list(agencies), user__is_active=True)
        .select_related("user", "user__agency")
        .order_by("user_id")
    ]


def _notice_agencies(notice: VictimNotice, case: Case) -> list[Agency]:
    return [notice.agency] if notice.agency is not None else shared_advocacy_agencies(case=case)


def _alert_new_notice(notice: VictimNotice, event: KeyEvent, case: Case) -> None:
    subject, body = _key_event_text(event, case, notice.tell_by)
    link = _notice_link(notice)
    if notice.advocate is not None:
        notify(notice.advocate, subject, body, link, key=f"victim-notice:{notice.pk}:raised")
        return
    # Nobody holds the victim: the advocacy agency's leads must allocate someone now.
    for lead in _leads_of(_notice_agencies(notice, case)):
        notify(
            lead,
            f"No advocate to tell the victim: case {case.reference}",
            f"{body} The victim has no advocate on this case: allocate one.",
            link,
            key=f"victim-notice:{notice.pk}:unallocated",
        )


@dataclass
class KeyEventInput:
    kind: str
    occurs_on: dt.date | None
    details: str = ""


@transaction.atomic
@next_due_scope()
def key_event_record(*, actor: User, case: Case, data: KeyEventInput) -> KeyEvent:
    """Police or probation record a key event; each victim's advocate is alerted at once."""
    require_case(actor, case)
    _require(permissions.can_record_key_event(actor))
    errors = _validate_key_event(data.kind, data.occurs_on)
    if errors:
        raise ValidationError(errors)
    assert data.occurs_on is not None
    event = _raise_key_event(
        case=case,
        kind=data.kind,
        occurs_on=data.occurs_on,
        details=data.details,
        source=KeyEventSource.RECORDED,
        actor=actor,
    )
    assert event is not None
    access_record(user=actor, action=AccessAction.CREATE, record_type="advocacy.keyevent", record_ids=[event.pk])
    return event


def _order_event_kind(order: Order, made: bool) -> str:
    if not made:
        return KeyEventKind.ORDER_BREACHED
    return KeyEventKind.BAIL_CHANGE if order.kind == OrderKind.BAIL_CONDITIONS else KeyEventKind.ORDER_MADE


def on_order_event(event: OrderEvent) -> None:
    """cases.extensions order listener: an order or a breach recorded on a case is a key event.

    Runs inside cases.services.order_record / breach_record's transaction.
    """
    order: Order = event.order
    case = order.case
    if event.kind == "order_made":
        expires = f"; expires {order.expires_on:%-d %B %Y}" if order.expires_on else ""
        _raise_key_event(
            case=case,
            kind=_order_event_kind(order, made=True),
            occurs_on=order.made_on,
            details=f"{order.get_kind_display()} made{expires}.",
            source=KeyEventSource.ORDER,
            actor=event.actor,
            order=order,
        )
    elif event.kind == "order_breached":
        breach = event.breach
        _raise_key_event(
            case=case,
            kind=KeyEventKind.ORDER_BREACHED,
            occurs_on=breach.occurred_on,
            details=f"Breach of the {order.get_kind_display().lower()}.",
            source=KeyEventSource.BREACH,
            actor=event.actor,
            order=order,
            breach=breach,
        )


def order_expiry_key_events_raise(*, today: dt.date | None = None) -> int:
    """Raise an 'order expired' key event for each order that ran out recently on an open case. Idempotent."""
    day = today or timezone.localdate()
    raised = 0
    due = (
        Order.objects.filter(expires_on__lt=day, expires_on__gte=day - ORDER_EXPIRY_LOOKBACK)
        .exclude(case__status__in=FINISHED_STATUSES)
        .exclude(
            pk__in=KeyEvent.objects.filter(kind=KeyEventKind.ORDER_EXPIRED, order__isnull=False).values("order_id")
        )
        .select_related("case")
        .order_by("pk")
    )
    for order in due:
        with transaction.atomic():
            event = _raise_key_event(
                case=order.case,
                kind=KeyEventKind.ORDER_EXPIRED,
                occurs_on=order.expires_on,  # type: ignore[arg-type]
                details=f"{order.get_kind_display()} made {order.made_on:%-d %B %Y} has expired.",
                source=KeyEventSource.ORDER_EXPIRY,
                actor=None,
                order=order,
            )
        raised += event is not None
    return raised


@transaction.atomic
@next_due_scope()
def victim_told(
    *,
    actor: User,
    notice: VictimNotice,
    told_at: dt.datetime,
    method: str,
    note: str = "",
    unsafe_method_reason: str = "",
    personal_details_confirmed: bool = False,
) -> VictimNotice:
    """The advocate records when and how the victim was told of the key event.

    Telling her is a contact with her, so the same step logs it in the contact log
    (to the victim, "criminal justice update") through the same safe-contact guardrails.
    """
    case = notice.key_event.case
    require_case(actor, case)
    _require(permissions.can_mark_told(actor) and permissions.can_work(actor, Area.CONTACT))
    errors: dict[str, str] = {}
    if method not in ContactChannel.values:
        errors["method"] = "Choose how the victim was told"
    if told_at > _now() + CLOCK_SLACK:
        errors["told_at"] = "The time the victim was told cannot be in the future"
    safe = guardrails.safe_channels(notice.person_id)
    if method in ContactChannel.values:
        found = guardrails.check_contact(
            safe=safe,
            ways_shown=lambda: may_see_person_location(actor, notice.person_id),
            channel=method,
            unsafe_method_reason=unsafe_method_reason,
            text=note,
            text_field="note",
            text_name="note",
            personal_details_confirmed=personal_details_confirmed,
        )
        errors.update(found)
    if errors:
        raise ValidationError(errors)
    event = notice.key_event
    summary = note.strip() or f"Told of the key event: {event.get_kind_display()} ({event.occurs_on:%-d %B %Y})."
    contact = _contact_create(
        actor,
        case,
        notice.person_id,
        _contact_values(
            actor,
            ContactInput(
                occurred_at=told_at,
                channel=method,
                direction=Direction.TO_VICTIM,
                topics=[ContactTopic.CRIMINAL_JUSTICE_UPDATE],
                summary=summary,
                unsafe_method_reason=unsafe_method_reason,
            ),
            safe,
        ),
    )
    updated = VictimNotice.objects.filter(pk=notice.pk, told_at__isnull=True).update(
        told_at=told_at, told_method=method, told_note=note.strip(), told_by=actor, told_contact=contact
    )
    if not updated:
        # The contact above is rolled back with the rest.
        raise ValidationError({"told_at": "This has already been recorded as told"})
    _refresh_due(case)
    access_record(user=actor, action=AccessAction.CHANGE, record_type="advocacy.victimnotice", record_ids=[notice.pk])
    return VictimNotice.objects.select_related("key_event", "told_contact").get(pk=notice.pk)


def victim_risk_alert(*, case: Case, subject: str, body: str, key: str) -> int:
    """Another service judged something may put a victim of this case at risk: alert each
    victim's current advocate (her agency's leads when she has none). Subject and body name
    the case by reference only; ``key`` keeps a retry from alerting twice. Returns how many
    were alerted."""
    link = reverse("advocacy:safety_plan", args=[case.pk])
    recipients: dict[int, User] = {}
    for part in CaseParty.objects.filter(case=case, role__in=VICTIM_ROLES):
        current = current_assignment(case_id=case.pk, person_id=part.person_id)
        if current is not None:
            recipients[current.advocate_id] = current.advocate
    if not recipients:
        for lead in _leads_of(shared_advocacy_agencies(case=case)):
            recipients[lead.pk] = lead
    sent = 0
    for user in recipients.values():
        if user.is_active and notify(user, subject, body, link, key=key) is not None:
            sent += 1
    return sent


def _escalation_recipients(notice: VictimNotice, case: Case) -> list[User]:
    leads = _leads_of(_notice_agencies(notice, case))
    if leads:
        return leads
    # No lead recorded: the partnership admins who may see this area answer for it.
    admins = User.objects.filter(
        agency__partnership_id=case.partnership_id, role=Role.PARTNERSHIP_ADMIN, is_active=True
    ).select_related("agency")
    return [admin for admin in admins if permissions.may_see_area(admin, Area.KEY_EVENT)]


def key_event_notices_escalate(*, now: dt.datetime | None = None) -> int:
    """Alert the advocacy lead for each victim not told of a key event in time. Idempotent.

    Each notice is claimed by a conditional UPDATE (escalated_at still empty) before
    anyone is alerted, and each alert carries a key, so a second run, or two workers
    at once, alert nobody twice.
    """
    moment = now or _now()
    escalated = 0
    overdue = list(
        VictimNotice.objects.filter(told_at__isnull=True, escalated_at__isnull=True, tell_by__lte=moment)
        .order_by("tell_by", "pk")
        .values_list("pk", flat=True)[:1000]
    )
    for notice_id in overdue:
        with transaction.atomic():
            claimed = VictimNotice.objects.filter(pk=notice_id, told_at__isnull=True, escalated_at__isnull=True).update(
                escalated_at=moment
            )
            if not claimed:
                continue
            notice = VictimNotice.objects.select_related(
                "key_event__case", "key_event__recorded_agency", "advocate", "agency"
            ).get(pk=notice_id)
            case = notice.key_event.case
            label = KeyEventKind(notice.key_event.kind).label.lower()
            who = f"the advocate ({_name(notice.advocate)})" if notice.advocate else "no advocate"
            for recipient in _escalation_recipients(notice, case):
                notify(
                    recipient,
                    f"Victim not yet told: case {case.reference}",
                    f"The victim has not been recorded as told of a {label} on case {case.reference}; it was due "
                    f"by {timezone.localtime(notice.tell_by):%-d %B %Y at %H:%M}. It rests with {who}.",
                    _notice_link(notice),
                    key=f"victim-notice:{notice.pk}:overdue",
                )
            escalated += 1
    if escalated:
        logger.info("escalated %s key-event notices", escalated)
    return escalated


# --- safety-plan review reminders ---------------------------------------------------------------------------


def _review_recipients(case: Case, person_id: int) -> list[User]:
    assignment = current_assignment(case_id=case.pk, person_id=person_id)
    if assignment is not None:
        return [assignment.advocate]
    return _leads_of(shared_advocacy_agencies(case=case))


def safety_review_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind the advocate of each safety-plan and measure review coming up. Idempotent.

    A reminder is sent once per review date: the plan or measure is claimed with a
    conditional UPDATE of ``review_reminded_for`` before the alert, whose key is the
    same, so running the job twice reminds nobody twice; moving the date re-arms it.
    """
    day = today or timezone.localdate()
    reminded = 0
    horizons = {
        row.partnership_id: row.review_reminder_days
        for row in AdvocacySettings.objects.all().only("partnership_id", "review_reminder_days")
    }
    widest = max([AdvocacySettings.DEFAULT_REVIEW_REMINDER_DAYS, *horizons.values()])
    open_cases = ~Q(case__status__in=FINISHED_STATUSES)

    def within(partnership_id: int, review_on: dt.date) -> bool:
        days = horizons.get(partnership_id, AdvocacySettings.DEFAULT_REVIEW_REMINDER_DAYS)
        return review_on <= day + dt.timedelta(days=days)

    plans = (
        SafetyPlan.objects.filter(open_cases, review_on__isnull=False, review_on__lte=day + dt.timedelta(days=widest))
        .exclude(review_reminded_for=F("review_on"))
        .select_related("case")
        .order_by("pk")
    )
    for plan in plans:
        assert plan.review_on is not None
        if not within(plan.case.partnership_id, plan.review_on):
            continue
        with transaction.atomic():
            claimed = (
                SafetyPlan.objects.filter(pk=plan.pk, review_on=plan.review_on)
                .exclude(review_reminded_for=plan.review_on)
                .update(review_reminded_for=plan.review_on)
            )
            if not claimed:
                continue
            for recipient in _review_recipients(plan.case, plan.person_id):
                notify(
                    recipient,
                    f"Safety plan review due: case {plan.case.reference}",
                    f"The victim's safety plan on case {plan.case.reference} is due for review on "
                    f"{plan.review_on:%-d %B %Y}.",
                    reverse("advocacy:safety_plan", args=[plan.case_id]),
                    key=f"safety-plan:{plan.pk}:review:{plan.review_on.isoformat()}",
                )
            reminded += 1
    measures = (
        SafetyMeasure.objects.filter(
            status__in=[MeasureStatus.PROPOSED, MeasureStatus.IN_PLACE],
            review_on__isnull=False,
            review_on__lte=day + dt.timedelta(days=widest),
            plan__in=SafetyPlan.objects.filter(open_cases),
        )
        .exclude(review_reminded_for=F("review_on"))
        .select_related("plan__case")
        .order_by("pk")
    )
    for measure in measures:
        assert measure.review_on is not None
        case = measure.plan.case
        if not within(case.partnership_id, measure.review_on):
            continue
        with transaction.atomic():
            claimed = (
                SafetyMeasure.objects.filter(pk=measure.pk, review_on=measure.review_on)
                .exclude(review_reminded_for=measure.review_on)
                .update(review_reminded_for=measure.review_on)
            )
            if not claimed:
                continue
            for recipient in _review_recipients(case, measure.plan.person_id):
                notify(
                    recipient,
                    f"Safety measure review due: case {case.reference}",
                    f"A safety-plan measure ({measure.get_kind_display().lower()}) on case {case.reference} is due "
                    f"for review on {measure.review_on:%-d %B %Y}.",
                    reverse("advocacy:safety_plan", args=[case.pk]),
                    key=f"safety-measure:{measure.pk}:review:{measure.review_on.isoformat()}",
                )
            reminded += 1
    if reminded:
        logger.info("sent %s safety review reminders", reminded)
    return reminded


# --- feedback at closure ------------------------------------------------------------------------------------


@dataclass
class FeedbackInput:
    collected_on: dt.date
    declined: bool = False
    feels_safer: int | None = None
    felt_informed: int | None = None
    coping: int | None = None
    overall_satisfaction: int | None = None
    comments: str = ""


FEEDBACK_ANSWERS = ("feels_safer", "felt_informed", "coping", "overall_satisfaction")


def feedback_open(case: Case, person_id: int) -> bool:
    """Feedback is collected at closure: the case is in monitoring or closed, or the victim's support has ended."""
    if case.status in (CaseStatus.MONITORING, CaseStatus.CLOSED):
        return True
    ended = AdvocateAssignment.objects.filter(case=case, person_id=person_id, ended_at__isnull=False).exists()
    return ended and current_assignment(case_id=case.pk, person_id=person_id) is None


@transaction.atomic
def feedback_record(*, actor: User, case: Case, data: FeedbackInput, person_id: int | None = None) -> VictimFeedback:
    """Record (or correct) the victim's closing questionnaire."""
    require_case(actor, case)
    _require(permissions.can_work(actor, Area.FEEDBACK))
    part = _victim_part(case, person_id)
    errors: dict[str, str] = {}
    if not feedback_open(case, part.person_id):
        errors["collected_on"] = (
            "Feedback is recorded at closure: when the case moves to monitoring or closes, or the victim's "
            "advocacy support ends"
        )
    if data.collected_on > timezone.localdate():
        errors["collected_on"] = "The date cannot be in the future"
    answers = {name: getattr(data, name) for name in FEEDBACK_ANSWERS}
    for name, value in answers.items():
        if value is not None and not 1 <= value <= 5:
            errors[name] = "Choose an answer from the scale"
    if data.declined and any(v is not None for v in answers.values()):
        errors["declined"] = "A victim who declined the questionnaire has no answers; clear them or untick declined"
    if not data.declined and all(v is None for v in answers.values()):
        errors["feels_safer"] = "Answer at least one question, or record that the victim declined"
    if errors:
        raise ValidationError(errors)
    feedback, created = VictimFeedback.objects.update_or_create(
        case=case,
        person_id=part.person_id,
        defaults={
            "collected_on": data.collected_on,
            "declined": data.declined,
            "comments": data.comments.strip(),
            "recorded_by": actor,
            **answers,
        },
    )
    access_record(
        user=actor,
        action=AccessAction.CREATE if created else AccessAction.CHANGE,
        record_type="advocacy.victimfeedback",
        record_ids=[feedback.pk],
    )
    return feedback


# --- settings and leads -------------------------------------------------------------------------------------


@transaction.atomic
def settings_update(*, actor: User, tell_victim_within_hours: int, review_reminder_days: int) -> AdvocacySettings:
    _require(permissions.can_manage_settings(actor))
    assert actor.agency is not None
    errors: dict[str, str] = {}
    if not 1 <= tell_victim_within_hours <= 168:
        errors["tell_victim_within_hours"] = "Enter a number of hours from 1 to 168"
    if not 0 <= review_reminder_days <= 60:
        errors["review_reminder_days"] = "Enter a number of days from 0 to 60"
    if errors:
        raise ValidationError(errors)
    row, _ = AdvocacySettings.objects.update_or_create(
        partnership_id=actor.agency.partnership_id,
        defaults={
            "tell_victim_within_hours": tell_victim_within_hours,
            "review_reminder_days": review_reminder_days,
            "updated_by": actor,
        },
    )
    access_record(user=actor, action=AccessAction.CHANGE, record_type="advocacy.advocacysettings", record_ids=[row.pk])
    return row


@transaction.atomic
def lead_add(*, actor: User, agency: Agency, user: User) -> AdvocacyLead:
    _require(permissions.can_manage_settings(actor))
    assert actor.agency is not None
    if agency.partnership_id != actor.agency.partnership_id or agency.kind != AgencyKind.ADVOCACY:
        raise ValidationError({"agency": "Choose an advocacy agency of your partnership"})
    if not permissions.can_be_lead(user, agency):
        raise ValidationError({"user": "Choose an active member of that agency's staff"})
    lead, created = AdvocacyLead.objects.get_or_create(agency=agency, user=user, defaults={"created_by": actor})
    if not created:
        raise ValidationError({"user": f"{_name(user)} is already a lead of {agency.name}"})
    access_record(user=actor, action=AccessAction.CREATE, record_type="advocacy.advocacylead", record_ids=[lead.pk])
    return lead


@transaction.atomic
def lead_remove(*, actor: User, lead_id: int) -> None:
    _require(permissions.can_manage_settings(actor))
    assert actor.agency is not None
    deleted, _ = AdvocacyLead.objects.filter(pk=lead_id, agency__partnership_id=actor.agency.partnership_id).delete()
    if not deleted:
        raise Http404
    # The log has no "delete": the lead's row is gone, so this is the change that took it away.
    access_record(
        user=actor,
        action=AccessAction.CHANGE,
        record_type="advocacy.advocacylead",
        record_ids=[lead_id],
        purpose="Lead removed",
    )


# --- the caseload's next-due date ---------------------------------------------------------------------------


def due_dates(case_ids: Sequence[int]) -> dict[int, dt.date]:
    """cases.extensions due source: the earliest of the victim's next contact, needs review,
    safety-plan and measure reviews, and the deadline to tell the victim of a key event."""
    ids = list(case_ids)
    if not ids:
        return {}
    open_ids = list(Case.objects.filter(pk__in=ids).exclude(status__in=FINISHED_STATUSES).values_list("pk", flat=True))
    earliest: dict[int, dt.date] = {}

    def add(case_id: int, day: dt.date | None) -> None:
        if day is not None and (case_id not in earliest or day < earliest[case_id]):
            earliest[case_id] = day

    # The latest contact with each victim says when the next is due.
    latest_contacts = (
        ContactLogEntry.objects.filter(case_id__in=open_ids)
        .order_by("case_id", "person_id", "-occurred_at", "-id")
        .distinct("case_id", "person_id")
        .values_list("case_id", "next_contact_due")
    )
    for case_id, day in latest_contacts:
        add(case_id, day)
    latest_needs = (
        NeedsAssessment.objects.filter(case_id__in=open_ids)
        .order_by("case_id", "person_id", "-assessed_on", "-id")
        .distinct("case_id", "person_id")
        .values_list("case_id", "review_on")
    )
    for case_id, day in latest_needs:
        add(case_id, day)
    for case_id, day in SafetyPlan.objects.filter(case_id__in=open_ids, review_on__isnull=False).values_list(
        "case_id", "review_on"
    ):
        add(case_id, day)
    for case_id, day in SafetyMeasure.objects.filter(
        plan__case_id__in=open_ids,
        status__in=[MeasureStatus.PROPOSED, MeasureStatus.IN_PLACE],
        review_on__isnull=False,
    ).values_list("plan__case_id", "review_on"):
        add(case_id, day)
    for case_id, moment in VictimNotice.objects.filter(
        key_event__case_id__in=open_ids, told_at__isnull=True
    ).values_list("key_event__case_id", "tell_by"):
        add(case_id, timezone.localdate(moment))
    return earliest


# --- person merges ---------------------------------------------------------------------------------------------


def on_person_merged(survivor: Any, merged: Any, actor: User) -> None:
    """cases.extensions person-merge listener: the victim's advocacy record follows her identity.

    Advocacy rows name the person, and the case shows them through the survivor's case
    part, so rows left on the merged record would vanish from her case. They all move, in
    the merge's transaction. Where both records hold the one thing a victim may have once
    per case (a current advocate, a safety plan, her feedback, a notice of the same key
    event) nothing is chosen silently: the merge is refused with the case named, so that
    the advocate first ends one assignment or merges the two plans by hand.
    """
    clashes: list[str] = []
    checks: list[tuple[str, Any, list[str], Q]] = [
        ("a current advocate", AdvocateAssignment, ["case_id"], Q(ended_at__isnull=True)),
        ("a safety plan", SafetyPlan, ["case_id"], Q()),
        ("victim feedback", VictimFeedback, ["case_id"], Q()),
        ("a notice of the same key event", VictimNotice, ["key_event__case_id", "key_event_id"], Q()),
    ]
    for label, model, keys, condition in checks:
        held = set(model.objects.filter(condition, person=survivor).values_list(*keys))
        both = sorted({row for row in model.objects.filter(condition, person=merged).values_list(*keys) if row in held})
        if both:
            references = ", ".join(sorted({f"MASIP-{row[0]:06d}" for row in both}))
            clashes.append(f"both records have {label} on case {references}")
    if clashes:
        raise ValidationError(
            {
                "merged": "These records cannot be merged yet: "
                + "; ".join(clashes)
                + ". Resolve that on the case first."
            }
        )
    moved = 0
    for model in (AdvocateAssignment, ContactLogEntry, NeedsAssessment, SafetyPlan, VictimNotice, VictimFeedback):
        moved += model.objects.filter(person=merged).update(person=survivor)
    if moved:
        access_record(
            user=actor,
            action=AccessAction.CHANGE,
            record_type="advocacy.person_records",
            record_ids=[survivor.pk, merged.pk],
            purpose=f"person merge: {moved} advocacy records moved to the surviving record",
        )
