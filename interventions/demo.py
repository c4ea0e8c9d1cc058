"""Demo interventions for the Demo Partnership, built through the services.

On the demo cases of cases/demo.py: a referral waiting for the clinic's decision, one
declined, a direct intervention under way (a missed session booked again, a concern for
probation, a session waiting for feedback, one rescheduled), one completed with its
end-of-service report, one where the perpetrator dropped out; and the other types (risk
assessment, signposting, target hardening, safeguarding). Dates are relative to today.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from agencies.demo import DEMO_SLUG
from agencies.models import AgencyKind, Partnership
from cases.demo import DemoStaff
from cases.models import Case, CaseStatus
from cases.selectors import case_shared_agencies
from interventions import services
from interventions.models import (
    Appointment,
    Attendance,
    Intervention,
    InterventionReferral,
    NotHappenedReason,
    TherapyPlan,
    TherapySession,
)

OUTCOMES = [
    "Stops all contact with the victim, direct and online",
    "Recognises and manages the urge to check on her",
    "Has stable housing and a daily routine",
]
RISK = (
    "Convicted of s.4A stalking; restraining order in force. Fixated on reconciliation; breached the order "
    "once by messages from a new account. Lives alone, recently lost his job."
)


def _when(days_ago: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _refer(staff: DemoStaff, case: Case, days_ago: int, outcomes: list[str] | None = None) -> InterventionReferral:
    health = next(a for a in case_shared_agencies(case=case) if a.kind == AgencyKind.HEALTH)
    return services.referral_submit(
        actor=staff.probation,
        case=case,
        data=services.ReferralInput(
            health_agency_id=health.pk,
            risk_information=RISK,
            desired_outcomes=outcomes or OUTCOMES,
            accessibility_needs="Dyslexic: prefers to talk things through rather than written work.",
            referred_on=timezone.localdate() - dt.timedelta(days=days_ago),
        ),
    )


def _plan(staff: DemoStaff, intervention: Intervention, approved_days_ago: int, sessions: int = 12) -> TherapyPlan:
    referral = InterventionReferral.objects.get(intervention=intervention)
    plan = services.plan_save(
        actor=staff.clinician,
        intervention=intervention,
        data=services.PlanInput(
            modalities=["cbt", "dbt_elements", "occupational_therapy"],
            planned_sessions=sessions,
            frequency="weekly",
            desired_outcomes=list(referral.desired_outcomes),
            criminogenic_needs=["housing", "employment", "mental_health"],
        ),
        approve=True,
    )
    # Approved when the course began, not when the demo was loaded.
    approved_at = _when(approved_days_ago, hour=16)
    TherapyPlan.objects.filter(pk=plan.pk).update(
        approved_at=approved_at,
        review_on=approved_at.date() + dt.timedelta(days=sessions * 7 // 2),
    )
    return plan


def _session(intervention: Intervention, number: int) -> TherapySession:
    return TherapySession.objects.select_related("intervention__case").get(intervention=intervention, number=number)


def _book(staff: DemoStaff, intervention: Intervention, number: int, starts_at: dt.datetime) -> Appointment:
    return services.appointment_book(
        actor=staff.clinician,
        session=_session(intervention, number),
        data=services.AppointmentInput(starts_at=starts_at, duration_minutes=60, method="in_person"),
    )


def _feedback(staff: DemoStaff, appointment: Appointment, **kw: object) -> Appointment:
    data = services.FeedbackInput(attendance=Attendance.ATTENDED, happened=True)
    for name, value in kw.items():
        setattr(data, name, value)
    fresh = Appointment.objects.select_related("session__intervention__case").get(pk=appointment.pk)
    return services.appointment_feedback_record(actor=staff.clinician, appointment=fresh, data=data)


SUMMARIES = [
    "Introductions, goals and the limits of confidentiality. Agreed to attend weekly.",
    "Mapped the pattern of contact: what he tells himself before he messages her.",
    "Practised delaying the urge to check her social media; set a daily routine.",
    "Worked on what the restraining order means and the consequences of a breach.",
    "Looked at the job search and housing options with the occupational therapist.",
    "Reviewed the thought records; fewer urges this week.",
    "Role-played seeing her by chance in town and walking away.",
    "Talked through his anger at the court; accepted the order stands.",
    "Relapse-prevention plan drafted: warning signs and who to call.",
    "Reviewed progress against the plan's outcomes.",
    "Relapse-prevention plan finalised and shared with probation.",
    "Ending session: what has changed and what support continues.",
]
CLINICAL = [
    "SRP: rejected type; risk of persistence high, recurrence moderate. Low mood, poor sleep; PHQ-9 16.",
    "Ruminative cycle clear; shame when reminded of the break-up precedes contact.",
    "Responding to DBT distress-tolerance skills. Sleep improving.",
    "Some grievance thinking about the court; monitor.",
]


def _ongoing(staff: DemoStaff, case: Case) -> Intervention:
    referral = _refer(staff, case, days_ago=60)
    intervention = services.referral_accept(
        actor=staff.clinician, referral=referral, on=referral.referred_on + dt.timedelta(days=3)
    )
    _plan(staff, intervention, approved_days_ago=50)
    first = _book(staff, intervention, 1, _when(42))
    _feedback(staff, first, summary=SUMMARIES[0], clinical_notes=CLINICAL[0])
    _feedback(staff, _book(staff, intervention, 2, _when(35)), summary=SUMMARIES[1], clinical_notes=CLINICAL[1])
    missed = _book(staff, intervention, 3, _when(28))
    _feedback(
        staff,
        missed,
        attendance=Attendance.DID_NOT_ATTEND,
        happened=False,
        not_happened_reason=NotHappenedReason.UNACCEPTABLE,
        summary="Did not attend and did not answer the phone. Probation told.",
    )
    _feedback(staff, _book(staff, intervention, 3, _when(26, hour=14)), summary=SUMMARIES[2])
    _feedback(
        staff,
        _book(staff, intervention, 4, _when(21)),
        attendance=Attendance.LATE,
        summary=SUMMARIES[3],
        clinical_notes=CLINICAL[3],
        concerns_raised=True,
        concern_description=(
            "Said he had walked past the victim's workplace 'to see if she was all right'. Reminded of the "
            "order's exclusion zone; please consider a warning."
        ),
    )
    _feedback(staff, _book(staff, intervention, 5, _when(14)), summary=SUMMARIES[4])
    _book(staff, intervention, 6, _when(2, hour=11))  # needs feedback
    upcoming = _book(staff, intervention, 7, _when(-5))
    services.appointment_reschedule(
        actor=staff.clinician,
        appointment=Appointment.objects.select_related("session__intervention__case").get(pk=upcoming.pk),
        data=services.AppointmentInput(starts_at=_when(-6, hour=15), duration_minutes=60, method="video"),
        reason="He starts a warehouse job that morning; moved to the afternoon by video.",
    )
    services.clinical_note_add(
        actor=staff.clinician,
        intervention=Intervention.objects.select_related("case").get(pk=intervention.pk),
        text="Team formulation meeting: continue CBT with DBT skills; review medication with the GP.",
    )
    return intervention


def _completed(staff: DemoStaff, case: Case) -> Intervention:
    referral = _refer(staff, case, days_ago=150)
    intervention = services.referral_accept(
        actor=staff.clinician, referral=referral, on=referral.referred_on + dt.timedelta(days=2)
    )
    _plan(staff, intervention, approved_days_ago=140)
    for number in range(1, 13):
        appointment = _book(staff, intervention, number, _when(133 - 7 * (number - 1)))
        _feedback(staff, appointment, summary=SUMMARIES[number - 1])
    return services.intervention_end(
        actor=staff.clinician,
        intervention=Intervention.objects.select_related("case").get(pk=intervention.pk),
        data=services.EndingInput(
            ending="completed",
            ended_on=timezone.localdate() - dt.timedelta(days=50),
            report_summary=(
                "Completed all twelve sessions. No further contact with the victim reported during the course. "
                "Relapse-prevention plan shared with probation; GP continues medication review."
            ),
            ratings=[
                services.RatingInput(rating="achieved", comments="No contact reported by the victim or police."),
                services.RatingInput(rating="partly", comments="Uses the skills, still checks online when low."),
                services.RatingInput(rating="achieved", comments="Tenancy signed; working four days a week."),
            ],
        ),
    )


def _dropped_out(staff: DemoStaff, case: Case) -> Intervention:
    referral = _refer(staff, case, days_ago=110, outcomes=OUTCOMES[:2])
    intervention = services.referral_accept(actor=staff.clinician, referral=referral, on=referral.referred_on)
    _plan(staff, intervention, approved_days_ago=100)
    for number in range(1, 5):
        _feedback(
            staff, _book(staff, intervention, number, _when(95 - 7 * (number - 1))), summary=SUMMARIES[number - 1]
        )
    for offset, number in enumerate((5, 5)):
        _feedback(
            staff,
            _book(staff, intervention, number, _when(67 - 7 * offset)),
            attendance=Attendance.DID_NOT_ATTEND,
            happened=False,
            not_happened_reason=NotHappenedReason.UNACCEPTABLE,
            summary="Did not attend; no contact since.",
        )
    return services.intervention_end(
        actor=staff.clinician,
        intervention=Intervention.objects.select_related("case").get(pk=intervention.pk),
        data=services.EndingInput(
            ending="dropped_out",
            ended_on=timezone.localdate() - dt.timedelta(days=55),
            reason="Stopped attending after session 4 and did not respond to letters or calls.",
            report_summary="Engaged well for four sessions, then disengaged. Risk unchanged; probation informed.",
            ratings=[
                services.RatingInput(rating="not_achieved", comments="Police report one further message."),
                services.RatingInput(rating="partly", comments="Could describe the urge; not yet manage it."),
            ],
        ),
    )


def _demo_cases(partnership: Partnership) -> list[Case]:
    """Cases still under way, shared with the clinic, received long enough ago; oldest first."""
    found = []
    for case in Case.objects.filter(
        partnership=partnership, status__in=[CaseStatus.ACTIVE, CaseStatus.MONITORING]
    ).order_by("received_on", "pk"):
        if any(a.kind == AgencyKind.HEALTH for a in case_shared_agencies(case=case)):
            found.append(case)
    return found


@transaction.atomic
def load_demo_data() -> int:
    """Create the demo interventions once. Returns how many interventions and referrals were made."""
    partnership = Partnership.objects.filter(slug=DEMO_SLUG).first()
    if partnership is None or InterventionReferral.objects.filter(case__partnership=partnership).exists():
        return 0
    cases = _demo_cases(partnership)
    if len(cases) < 6:
        return 0
    staff = DemoStaff.of(partnership)
    completed_case, dropped_case, ongoing_case, declined_case, awaiting_case, victim_case = cases[:6]
    made = 0
    _completed(staff, completed_case)
    _dropped_out(staff, dropped_case)
    _ongoing(staff, ongoing_case)
    made += 3
    declined = _refer(staff, declined_case, days_ago=20, outcomes=["Stops contacting the victim"])
    services.referral_decline(
        actor=staff.clinician,
        referral=declined,
        reason="Does not consent to treatment and denies the behaviour; we can offer a consultation to probation.",
        on=declined.referred_on + dt.timedelta(days=4),
    )
    _refer(staff, awaiting_case, days_ago=3)
    made += 2
    for case, days_ago in ((completed_case, 160), (ongoing_case, 65)):
        assessment = services.intervention_record(
            actor=staff.clinician,
            case=case,
            intervention_type="comprehensive_risk_assessment",
            started_on=timezone.localdate() - dt.timedelta(days=days_ago),
            details="SRP completed with the team: rejected type, risk of persistence high. Formulation shared.",
        )
        services.intervention_end(
            actor=staff.clinician,
            intervention=Intervention.objects.select_related("case").get(pk=assessment.pk),
            data=services.EndingInput(
                ending="completed", ended_on=timezone.localdate() - dt.timedelta(days=days_ago - 5)
            ),
        )
        made += 1
    services.intervention_record(
        actor=staff.clinician,
        case=declined_case,
        intervention_type="perpetrator_third_party_consultation",
        started_on=timezone.localdate() - dt.timedelta(days=10),
        details="Advice to the probation practitioner on managing the risk without treatment.",
    )
    services.intervention_record(
        actor=staff.clinician,
        case=dropped_case,
        intervention_type="perpetrator_health_signposting",
        started_on=timezone.localdate() - dt.timedelta(days=50),
        details="Signposted to the community drug and alcohol service and his GP.",
    )
    services.intervention_record(
        actor=staff.triage,
        case=victim_case,
        intervention_type="victim_target_hardening",
        started_on=timezone.localdate() - dt.timedelta(days=30),
        details="Monitored alarm and video doorbell fitted; locks changed.",
    )
    services.intervention_record(
        actor=staff.advocate,
        case=awaiting_case,
        intervention_type="victim_safeguarding",
        details="Referral to children's services planned: the couple's son is used to pass messages.",
    )
    made += 4
    return made
