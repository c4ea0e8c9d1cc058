"""Building direct interventions through the services, so test data obeys the same rules."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cases.models import Case
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
from tests.case_factories import make_case
from tests.factories import World

OUTCOMES = ["Stops contacting the victim by any means", "Understands what drives the fixation"]
RISK_TEXT = "Breached a restraining order twice; fixated on reconciliation."
CLINICAL_TEXT = "Formulation: rejected stalker; ruminative anger; prescribed sertraline 50mg."
SUMMARY_TEXT = "Covered the cycle of rumination and contact; engaged well."


def days_ago(n: int, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=n)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def old_case(world: World, days: int = 90) -> Case:
    """A case received ``days`` ago, so sessions can be recorded in the past."""
    return make_case(world.triage_officer, received_on=timezone.localdate() - dt.timedelta(days=days))


def refer(world: World, case: Case, *, days_ago_: int = 80, **overrides: object) -> InterventionReferral:
    data = services.ReferralInput(
        health_agency_id=world.health.pk,
        risk_information=RISK_TEXT,
        desired_outcomes=list(OUTCOMES),
        referred_on=timezone.localdate() - dt.timedelta(days=days_ago_),
    )
    for name, value in overrides.items():
        setattr(data, name, value)
    return services.referral_submit(actor=world.probation_practitioner, case=case, data=data)


def accepted(world: World, case: Case) -> Intervention:
    referral = refer(world, case)
    return services.referral_accept(actor=world.clinician, referral=referral, on=referral.referred_on)


def plan(world: World, intervention: Intervention, sessions: int = 12, **overrides: object) -> TherapyPlan:
    data = services.PlanInput(
        modalities=["cbt", "dbt_elements"],
        planned_sessions=sessions,
        frequency="weekly",
        desired_outcomes=list(OUTCOMES),
        criminogenic_needs=["housing"],
    )
    for name, value in overrides.items():
        setattr(data, name, value)
    return services.plan_save(actor=world.clinician, intervention=intervention, data=data, approve=True)


def session(intervention: Intervention, number: int) -> TherapySession:
    return TherapySession.objects.select_related("intervention__case").get(intervention=intervention, number=number)


def book(world: World, intervention: Intervention, number: int, starts_at: dt.datetime) -> Appointment:
    return services.appointment_book(
        actor=world.clinician,
        session=session(intervention, number),
        data=services.AppointmentInput(starts_at=starts_at, duration_minutes=60, method="in_person"),
    )


def attend(world: World, appointment: Appointment, **overrides: object) -> Appointment:
    data = services.FeedbackInput(
        attendance=Attendance.ATTENDED, happened=True, summary=SUMMARY_TEXT, clinical_notes=CLINICAL_TEXT
    )
    for name, value in overrides.items():
        setattr(data, name, value)
    return services.appointment_feedback_record(
        actor=world.clinician,
        appointment=Appointment.objects.select_related("session__intervention__case").get(pk=appointment.pk),
        data=data,
    )


def did_not_attend(world: World, appointment: Appointment) -> Appointment:
    return attend(
        world,
        appointment,
        attendance=Attendance.DID_NOT_ATTEND,
        happened=False,
        not_happened_reason=NotHappenedReason.UNACCEPTABLE,
        summary="Did not attend and did not answer the phone.",
        clinical_notes="",
    )


def deliver(world: World, intervention: Intervention, numbers: range | list[int], first_days_ago: int = 60) -> None:
    """Hold sessions ``numbers``, a week apart, starting ``first_days_ago`` days ago."""
    for offset, number in enumerate(numbers):
        appointment = book(world, intervention, number, days_ago(first_days_ago - 7 * offset))
        attend(world, appointment)


def fresh(intervention: Intervention) -> Intervention:
    return Intervention.objects.select_related("case", "agency").get(pk=intervention.pk)


CONCERN_TEXT = "Said he had driven past her workplace twice this week."
GENERAL_CLINICAL_TEXT = "SRP formulation reviewed with the team: risk of persistence high."
ASSESSMENT_DETAILS = "Comprehensive assessment: obsessive rumination, depressive episode."
HARDENING_DETAILS = "Monitored alarm and a video doorbell fitted at the victim's home."


def full_intervention(world: World) -> tuple[Case, Intervention]:
    """A case with an accepted referral, an approved 12-session plan, session 1 held (clinical
    notes and a concern), session 2 not attended, session 3 held, session 4 booked ahead; a
    general clinical note; a risk assessment (clinical details) and target hardening (safety plan)."""
    case = old_case(world)
    intervention = accepted(world, case)
    plan(world, intervention)
    first = book(world, intervention, 1, days_ago(40))
    attend(world, first, concerns_raised=True, concern_description=CONCERN_TEXT)
    did_not_attend(world, book(world, intervention, 2, days_ago(33)))
    attend(world, book(world, intervention, 3, days_ago(26)), summary="Worked on alternatives to contact.")
    book(world, intervention, 4, days_ago(-5))
    services.clinical_note_add(actor=world.clinician, intervention=fresh(intervention), text=GENERAL_CLINICAL_TEXT)
    services.intervention_record(
        actor=world.clinician,
        case=case,
        intervention_type="comprehensive_risk_assessment",
        started_on=timezone.localdate() - dt.timedelta(days=70),
        details=ASSESSMENT_DETAILS,
    )
    services.intervention_record(
        actor=world.triage_officer,
        case=case,
        intervention_type="victim_target_hardening",
        started_on=timezone.localdate() - dt.timedelta(days=70),
        details=HARDENING_DETAILS,
    )
    return case, fresh(intervention)
