"""Advocacy records built through the services, each carrying a marker string, so a test
can look for every field of the app on any page or answer and know where it came from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from advocacy import services
from advocacy.models import (
    AdvocateAssignment,
    ContactLogEntry,
    KeyEvent,
    MeasureKind,
    MeasureStatus,
    NeedsAssessment,
    NeedsDomain,
    SafetyMeasure,
    SafetyPlanReview,
    VictimFeedback,
    VictimNotice,
)
from agencies.models import Role, User
from cases import services as case_services
from cases.models import Case, CaseParty, PartyRole
from tests.case_factories import make_case
from tests.factories import World, make_user

HANDOVER_NOTE = "handover-marker-quince"
CONTACT_SUMMARY = "contact-marker-saffron"
SAFE_TIMES = "safetimes-marker-sorrel"
CODE_WORD = "codeword-marker-juniper"
SAFE_NOTES = "safenotes-marker-caraway"
NEEDS_NOTE = "needs-marker-chervil"
MEASURE_DETAILS = "measure-marker-lovage"
REVIEW_SUMMARY = "review-marker-borage"
KEY_EVENT_DETAILS = "keyevent-marker-fennel"
TOLD_NOTE = "told-marker-angelica"
FEEDBACK_COMMENTS = "feedback-marker-hyssop"
UNSAFE_REASON = "unsafe-marker-tarragon"

# Every free-text field of the app, as the tests fill them.
MARKERS = (
    HANDOVER_NOTE,
    CONTACT_SUMMARY,
    SAFE_TIMES,
    CODE_WORD,
    SAFE_NOTES,
    NEEDS_NOTE,
    MEASURE_DETAILS,
    REVIEW_SUMMARY,
    KEY_EVENT_DETAILS,
    TOLD_NOTE,
    FEEDBACK_COMMENTS,
    UNSAFE_REASON,
)


def victim_id(case: Case) -> int:
    return CaseParty.objects.get(case=case, role=PartyRole.VICTIM, is_primary=True).person_id


def contact_input(**overrides: object) -> services.ContactInput:
    values: dict[str, object] = {
        "occurred_at": timezone.now() - dt.timedelta(hours=1),
        "channel": "phone",
        "direction": "to_victim",
        "topics": ["emotional_support"],
        "summary": "Spoke at the agreed time.",
        "duration_minutes": 20,
        "next_contact_due": timezone.localdate() + dt.timedelta(days=7),
    }
    values.update(overrides)
    return services.ContactInput(**values)  # type: ignore[arg-type]


@dataclass
class AdvocacyCase:
    """A case with every kind of advocacy record on it, each field carrying its marker."""

    case: Case
    second_advocate: User
    assignment: AdvocateAssignment
    contact: ContactLogEntry
    needs: NeedsAssessment
    measure: SafetyMeasure
    review: SafetyPlanReview
    event: KeyEvent
    notice: VictimNotice
    told: VictimNotice
    feedback: VictimFeedback
    person_id: int


def full_advocacy_case(world: World) -> AdvocacyCase:
    case = make_case(world.triage_officer)
    person = victim_id(case)
    second = make_user(world.advocacy, Role.ADVOCATE, first_name="Bea", last_name="Second")
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    assignment = services.advocate_assign(actor=world.advocate, case=case, advocate=second, handover_note=HANDOVER_NOTE)
    services.advocate_assign(actor=second, case=case, advocate=world.advocate, handover_note="Back to the first.")
    contact = services.contact_record(actor=world.advocate, case=case, data=contact_input(summary=CONTACT_SUMMARY))
    services.safe_contact_update(
        actor=world.advocate,
        case=case,
        data=case_services.SafeContactInput(
            safe_times=SAFE_TIMES, channels=["phone"], no_voicemail=True, code_word=CODE_WORD, notes=SAFE_NOTES
        ),
    )
    services.contact_record(
        actor=world.advocate,
        case=case,
        data=contact_input(channel="text", summary="Texted to rearrange.", unsafe_method_reason=UNSAFE_REASON),
    )
    today = timezone.localdate()
    needs = services.needs_assess(
        actor=world.advocate,
        case=case,
        assessed_on=today,
        review_on=today + dt.timedelta(days=30),
        levels=dict.fromkeys(NeedsDomain.values, "medium"),
        domain_notes={"housing": NEEDS_NOTE},
    )
    measure = services.safety_measure_add(
        actor=world.advocate,
        case=case,
        data=services.MeasureInput(
            kind=MeasureKind.ALARM,
            owner_agency=world.police,
            details=MEASURE_DETAILS,
            status=MeasureStatus.PROPOSED,
            review_on=today + dt.timedelta(days=10),
        ),
    )
    review = services.safety_plan_review(
        actor=world.advocate,
        case=case,
        reviewed_on=today,
        summary=REVIEW_SUMMARY,
        next_review_on=today + dt.timedelta(days=28),
    )
    event = services.key_event_record(
        actor=world.triage_officer,
        case=case,
        data=services.KeyEventInput(kind="release_from_custody", occurs_on=today, details=KEY_EVENT_DETAILS),
    )
    notice = VictimNotice.objects.get(key_event=event)
    other = services.key_event_record(
        actor=world.probation_practitioner, case=case, data=services.KeyEventInput(kind="court_date", occurs_on=today)
    )
    told = services.victim_told(
        actor=world.advocate,
        notice=VictimNotice.objects.get(key_event=other),
        told_at=timezone.now(),
        method="phone",
        note=TOLD_NOTE,
    )
    for target in ("awaiting_triage", "accepted", "active"):
        case = case_services.case_transition(actor=world.triage_officer, case=case, to_status=target)
    case = case_services.case_transition(actor=world.triage_officer, case=case, to_status="monitoring")
    feedback = services.feedback_record(
        actor=world.advocate,
        case=case,
        data=services.FeedbackInput(
            collected_on=today,
            feels_safer=4,
            felt_informed=5,
            coping=3,
            overall_satisfaction=5,
            comments=FEEDBACK_COMMENTS,
        ),
    )
    return AdvocacyCase(
        case=case,
        second_advocate=second,
        assignment=assignment,
        contact=contact,
        needs=needs,
        measure=measure,
        review=review,
        event=event,
        notice=notice,
        told=told,
        feedback=feedback,
        person_id=person,
    )
