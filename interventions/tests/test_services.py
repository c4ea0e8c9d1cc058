"""The services of a direct intervention and the other types: every rule, with hand-worked values."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from audit.models import AccessLog
from cases import services as case_services
from cases.models import Case
from interventions import selectors, services
from interventions.models import (
    Appointment,
    Attendance,
    ClinicalNote,
    Ending,
    EndOfServiceReport,
    Intervention,
    InterventionStatus,
    PlanStatus,
    ReferralStatus,
    SessionConcern,
    TherapyPlan,
    TherapySession,
)
from interventions.rules import SessionTag
from interventions.tests.helpers import (
    CLINICAL_TEXT,
    OUTCOMES,
    SUMMARY_TEXT,
    accepted,
    attend,
    book,
    days_ago,
    deliver,
    did_not_attend,
    fresh,
    old_case,
    plan,
    refer,
    session,
)
from tests.factories import World

pytestmark = pytest.mark.django_db


def errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def in_days(n: int, hour: int = 10) -> dt.datetime:
    return days_ago(-n, hour)


# --- referral ---------------------------------------------------------------------------------------------


def test_probation_refers_and_is_the_one_told_about_concerns(world: World) -> None:
    case = old_case(world)
    referral = refer(world, case, interpreter_required=True, interpreter_language="Polish")
    assert referral.status == ReferralStatus.SUBMITTED
    assert referral.health_agency == world.health
    assert referral.referring_agency == world.probation
    assert referral.probation_practitioner == world.probation_practitioner
    assert referral.desired_outcomes == OUTCOMES
    assert referral.interpreter_language == "Polish"
    log = AccessLog.objects.filter(user=world.probation_practitioner, record_type="interventions.referral").get()
    assert log.action == "create" and log.record_ids == [str(referral.pk)]


def test_police_refer_naming_a_probation_practitioner(world: World) -> None:
    case = old_case(world)
    referral = services.referral_submit(
        actor=world.triage_officer,
        case=case,
        data=services.ReferralInput(
            health_agency_id=world.health.pk,
            risk_information="Risk to the victim is high.",
            desired_outcomes=["No further contact"],
            probation_practitioner_id=world.probation_practitioner.pk,
        ),
    )
    assert referral.referring_agency == world.police
    assert referral.probation_practitioner == world.probation_practitioner
    assert referral.referred_on == timezone.localdate()


@pytest.mark.parametrize("role", ["advocate", "clinician"])
def test_only_probation_and_police_refer(world: World, role: str) -> None:
    case = old_case(world)
    with pytest.raises(ValidationError) as exc:
        services.referral_submit(
            actor=getattr(world, role),
            case=case,
            data=services.ReferralInput(health_agency_id=world.health.pk, risk_information="x", desired_outcomes=["y"]),
        )
    assert errors(exc) == {"health_agency": ["Only probation and police refer for direct intervention"]}


def test_referral_outside_scope_is_404(world: World, other_world: World) -> None:
    case = old_case(world)
    with pytest.raises(Http404):
        refer(other_world, case)


def test_referral_checks_its_fields(world: World) -> None:
    case = old_case(world)
    with pytest.raises(ValidationError) as exc:
        services.referral_submit(
            actor=world.probation_practitioner,
            case=case,
            data=services.ReferralInput(
                health_agency_id=world.police.pk,
                risk_information="  ",
                desired_outcomes=["", "  "],
                interpreter_required=True,
                referred_on=timezone.localdate() + dt.timedelta(days=1),
                probation_practitioner_id=world.advocate.pk,
            ),
        )
    assert errors(exc) == {
        "health_agency": [
            "Choose a health agency this case is shared with; a triage officer can share the case with one"
        ],
        "risk_information": ["Give the risk information the clinicians need"],
        "desired_outcomes": ["Enter at least one desired outcome"],
        "interpreter_language": ["Say which language the interpreter is needed for"],
        "referred_on": ["The referral date cannot be in the future"],
        "probation_practitioner": ["Choose a probation practitioner who can see this case"],
    }


def test_health_agency_must_share_the_case(world: World) -> None:
    case = old_case(world)
    case_services.case_share_remove(actor=world.triage_officer, case=case, agency=world.health, reason="Victim only")
    with pytest.raises(ValidationError) as exc:
        refer(world, case)
    assert list(errors(exc)) == ["health_agency"]


def test_one_referral_awaiting_at_a_time_and_none_while_an_intervention_runs(world: World) -> None:
    case = old_case(world)
    referral = refer(world, case)
    with pytest.raises(ValidationError) as exc:
        refer(world, case)
    assert errors(exc) == {"health_agency": ["This case already has a referral awaiting health's decision"]}
    services.referral_accept(actor=world.clinician, referral=referral)
    with pytest.raises(ValidationError) as exc:
        refer(world, case)
    assert errors(exc) == {"health_agency": ["This case already has a direct intervention under way"]}


def test_health_accepts_and_the_intervention_is_planned(world: World) -> None:
    case = old_case(world)
    referral = refer(world, case)
    intervention = services.referral_accept(actor=world.clinician, referral=referral)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.intervention == intervention
    assert referral.decided_by == world.clinician and referral.decided_on == timezone.localdate()
    assert intervention.type == "perpetrator_direct_intervention"
    assert intervention.agency == world.health
    assert intervention.status == InterventionStatus.PLANNED
    assert intervention.started_on is None and intervention.sessions_planned is None


@pytest.mark.parametrize("role", ["probation_practitioner", "triage_officer", "advocate"])
def test_only_health_decides(world: World, role: str) -> None:
    referral = refer(world, old_case(world))
    with pytest.raises(ValidationError) as exc:
        services.referral_accept(actor=getattr(world, role), referral=referral)
    assert errors(exc) == {"decision": ["Only a clinician of the health agency the referral was sent to can decide it"]}


def test_decline_needs_a_reason_and_is_final(world: World) -> None:
    referral = refer(world, old_case(world))
    with pytest.raises(ValidationError) as exc:
        services.referral_decline(actor=world.clinician, referral=referral, reason=" ")
    assert errors(exc) == {"reason": ["Give the reason for declining the referral"]}
    services.referral_decline(actor=world.clinician, referral=referral, reason="Not consenting to treatment")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED and referral.decision_reason == "Not consenting to treatment"
    assert not Intervention.objects.exists()
    with pytest.raises(ValidationError) as exc:
        services.referral_accept(actor=world.clinician, referral=referral)
    assert errors(exc) == {"decision": ["This referral has already been declined"]}


def test_referrer_withdraws_before_the_decision(world: World) -> None:
    referral = refer(world, old_case(world))
    with pytest.raises(ValidationError):
        services.referral_withdraw(actor=world.triage_officer, referral=referral, reason="Moved")
    services.referral_withdraw(actor=world.probation_practitioner, referral=referral, reason="Recalled to custody")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN


# --- the plan --------------------------------------------------------------------------------------------------


def test_approving_the_plan_creates_its_sessions(world: World) -> None:
    intervention = accepted(world, old_case(world))
    approved = plan(world, intervention)
    assert approved.status == PlanStatus.APPROVED and approved.version == 1
    assert approved.planned_sessions == 12
    # Half-way through 12 weekly sessions: six weeks.
    assert approved.review_on == timezone.localdate() + dt.timedelta(days=42)
    numbers = list(TherapySession.objects.filter(intervention=intervention).values_list("number", flat=True))
    assert numbers == list(range(1, 13))
    assert fresh(intervention).sessions_planned == 12
    assert fresh(intervention).sessions_attended == 0


def test_a_draft_waits_for_approval(world: World) -> None:
    intervention = accepted(world, old_case(world))
    draft = services.plan_save(
        actor=world.clinician,
        intervention=intervention,
        data=services.PlanInput(
            modalities=["interpersonal"], planned_sessions=12, frequency="fortnightly", desired_outcomes=["A"]
        ),
    )
    assert draft.status == PlanStatus.DRAFT
    assert not TherapySession.objects.filter(intervention=intervention).exists()
    assert fresh(intervention).sessions_planned is None
    approved = services.plan_approve(actor=world.clinician, plan=draft)
    # Fortnightly, 12 sessions: review after 12 weeks.
    assert approved.review_on == timezone.localdate() + dt.timedelta(days=84)
    assert TherapySession.objects.filter(intervention=intervention).count() == 12
    with pytest.raises(ValidationError) as exc:
        services.plan_approve(actor=world.clinician, plan=approved)
    assert errors(exc) == {"plan": ["Only a draft plan can be approved"]}


def test_plan_checks_its_fields(world: World) -> None:
    intervention = accepted(world, old_case(world))
    with pytest.raises(ValidationError) as exc:
        plan(world, intervention, modalities=["other"], frequency="daily", desired_outcomes=[], sessions=0)
    assert errors(exc) == {
        "other_modality": ["Describe the other modality"],
        "frequency": ["Choose how often sessions are held"],
        "planned_sessions": ["A plan has at least one session"],
        "desired_outcomes": ["Enter at least one desired outcome"],
    }


def test_extending_needs_a_reason_and_adds_sessions(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    with pytest.raises(ValidationError) as exc:
        plan(world, intervention, sessions=16)
    assert errors(exc) == {"change_reason": ["Give the reason for changing the approved plan"]}
    second = plan(world, intervention, sessions=16, change_reason="Extended by agreement at the review")
    assert second.version == 2
    assert TherapyPlan.objects.get(intervention=intervention, version=1).status == PlanStatus.SUPERSEDED
    assert TherapySession.objects.filter(intervention=intervention).count() == 16
    assert fresh(intervention).sessions_planned == 16


def test_a_new_plan_never_has_fewer_sessions_than_delivered(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    deliver(world, intervention, [1, 2, 3])
    with pytest.raises(ValidationError) as exc:
        plan(world, intervention, sessions=2, change_reason="Shorter")
    assert errors(exc) == {"planned_sessions": ["3 sessions have already been delivered: the plan cannot have fewer"]}
    shorter = plan(world, intervention, sessions=3, change_reason="Ending by agreement after three")
    assert shorter.planned_sessions == 3
    assert list(TherapySession.objects.filter(intervention=intervention).values_list("number", flat=True)) == [1, 2, 3]


def test_a_shorter_plan_keeps_sessions_with_appointments(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    deliver(world, intervention, [1])
    book(world, intervention, 6, in_days(3))
    with pytest.raises(ValidationError) as exc:
        plan(world, intervention, sessions=4, change_reason="Shorter")
    assert errors(exc) == {
        "planned_sessions": ["Session 6 already has an appointment recorded: the plan must keep at least 6 sessions"]
    }


# --- appointments and feedback ----------------------------------------------------------------------------


def test_no_booking_before_a_plan(world: World) -> None:
    intervention = accepted(world, old_case(world))
    TherapySession.objects.create(intervention=intervention, number=1)
    with pytest.raises(ValidationError) as exc:
        book(world, intervention, 1, in_days(2))
    assert errors(exc) == {"starts_at": ["Approve a therapy plan before booking sessions"]}


def test_attendance_only_after_the_session_time(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    appointment = book(world, intervention, 1, timezone.now() + dt.timedelta(minutes=30))
    with pytest.raises(ValidationError) as exc:
        attend(world, appointment)
    (message,) = errors(exc)["attendance"]
    assert message.startswith("Attendance can be recorded only after the session's start time (")
    appointment.refresh_from_db()
    assert appointment.feedback_at is None and not ClinicalNote.objects.exists()


def test_feedback_counts_the_session_and_starts_the_intervention(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    appointment = book(world, intervention, 1, days_ago(20, hour=14))
    recorded = attend(world, appointment)
    assert recorded.happened is True and recorded.attendance == Attendance.ATTENDED
    assert recorded.summary == SUMMARY_TEXT
    note = ClinicalNote.objects.get()
    assert note.text == CLINICAL_TEXT and note.appointment == recorded and note.author == world.clinician
    updated = fresh(intervention)
    assert updated.status == InterventionStatus.ONGOING
    assert updated.started_on == timezone.localdate() - dt.timedelta(days=20)
    assert (updated.sessions_planned, updated.sessions_attended) == (12, 1)
    with pytest.raises(ValidationError) as exc:
        attend(world, appointment)
    assert errors(exc) == {"attendance": ["Feedback for this appointment has already been recorded"]}


def test_feedback_rules(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    appointment = book(world, intervention, 1, days_ago(3))
    cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
        (
            {"attendance": Attendance.DID_NOT_ATTEND, "happened": True},
            {"happened": ["A session the person did not attend did not happen"]},
        ),
        (
            {"happened": False, "not_happened_reason": ""},
            {"not_happened_reason": ["Say why the session did not happen"]},
        ),
        (
            {"attendance": Attendance.DID_NOT_ATTEND, "happened": False, "not_happened_reason": "logistics"},
            {
                "not_happened_reason": [
                    "When the person did not attend, say whether the absence was acceptable or unacceptable"
                ]
            },
        ),
        ({"summary": ""}, {"summary": ["Summarise the session for probation"]}),
        (
            {"concerns_raised": True, "concern_description": ""},
            {"concern_description": ["Describe the behaviour or concern for the probation practitioner"]},
        ),
        ({"attendance": "maybe"}, {"attendance": ["Say whether the person attended"]}),
    ]
    for overrides, expected in cases:
        with pytest.raises(ValidationError) as exc:
            attend(world, appointment, **overrides)
        assert errors(exc) == expected, overrides


def test_only_the_delivering_clinicians_record_feedback(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    appointment = book(world, intervention, 1, days_ago(3))
    appointment = Appointment.objects.select_related("session__intervention__case").get(pk=appointment.pk)
    for user in (world.probation_practitioner, world.triage_officer, world.advocate):
        with pytest.raises(ValidationError) as exc:
            services.appointment_feedback_record(
                actor=user,
                appointment=appointment,
                data=services.FeedbackInput(attendance="attended", happened=True, summary="x"),
            )
        assert errors(exc) == {"attendance": ["Only the clinicians delivering this intervention can do this"]}


def test_did_not_attend_then_booked_again(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    first = book(world, intervention, 1, days_ago(14))
    did_not_attend(world, first)
    row = selectors.session_detail_for_user(
        user=world.clinician, case_id=intervention.case_id, intervention_id=intervention.pk, number=1
    ).row
    assert row.tag == SessionTag.DID_NOT_ATTEND and row.can_book
    assert fresh(intervention).status == InterventionStatus.PLANNED
    again = book(world, intervention, 1, days_ago(7))
    attend(world, again)
    row = selectors.session_detail_for_user(
        user=world.clinician, case_id=intervention.case_id, intervention_id=intervention.pk, number=1
    ).row
    assert row.tag == SessionTag.COMPLETED
    assert [a.tag for a in row.appointments] == [SessionTag.DID_NOT_ATTEND, SessionTag.COMPLETED]
    assert fresh(intervention).sessions_attended == 1
    with pytest.raises(ValidationError) as exc:
        book(world, intervention, 1, in_days(3))
    assert errors(exc) == {"starts_at": ["Session 1 has already been delivered"]}


def test_rescheduling_keeps_the_old_appointment_with_its_reason(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    original = book(world, intervention, 2, in_days(2))
    with pytest.raises(ValidationError) as exc:
        book(world, intervention, 2, in_days(3))
    assert errors(exc) == {"starts_at": ["Session 2 already has an appointment: reschedule it instead"]}
    original = Appointment.objects.select_related("session__intervention__case").get(pk=original.pk)
    with pytest.raises(ValidationError) as exc:
        services.appointment_reschedule(
            actor=world.clinician, appointment=original, data=services.AppointmentInput(starts_at=in_days(4)), reason=""
        )
    assert errors(exc) == {"reason": ["Give the reason for rescheduling"]}
    new = services.appointment_reschedule(
        actor=world.clinician,
        appointment=original,
        data=services.AppointmentInput(starts_at=in_days(4, hour=15), method="video", duration_minutes=50),
        reason="Clinician on leave",
    )
    original.refresh_from_db()
    assert original.rescheduled_at is not None and original.reschedule_reason == "Clinician on leave"
    assert new.replaces == original and new.method == "video" and new.duration_minutes == 50
    row = selectors.session_detail_for_user(
        user=world.clinician, case_id=intervention.case_id, intervention_id=intervention.pk, number=2
    ).row
    assert row.tag == SessionTag.RESCHEDULED
    assert [a.tag for a in row.appointments] == [SessionTag.RESCHEDULED, SessionTag.RESCHEDULED]


def test_a_past_appointment_is_fed_back_not_rescheduled(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    past = book(world, intervention, 1, days_ago(1))
    past = Appointment.objects.select_related("session__intervention__case").get(pk=past.pk)
    with pytest.raises(ValidationError) as exc:
        services.appointment_reschedule(
            actor=world.clinician, appointment=past, data=services.AppointmentInput(starts_at=in_days(4)), reason="x"
        )
    assert errors(exc) == {"starts_at": ["This appointment's time has passed: record whether it happened instead"]}


def test_booking_checks_the_time_and_method(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    with pytest.raises(ValidationError) as exc:
        services.appointment_book(
            actor=world.clinician,
            session=session(intervention, 1),
            data=services.AppointmentInput(starts_at=days_ago(85), duration_minutes=2, method="carrier_pigeon"),
        )
    referred = (timezone.localdate() - dt.timedelta(days=80)).strftime("%-d %B %Y")
    assert errors(exc) == {
        "method": ["Choose how the session is held"],
        "duration_minutes": ["A session lasts between 5 minutes and 8 hours"],
        "starts_at": [f"A session cannot be before the referral ({referred})"],
    }


def test_clinical_notes_only_by_agencies_that_may_see_them(world: World) -> None:
    intervention = accepted(world, old_case(world))
    note = services.clinical_note_add(actor=world.clinician, intervention=fresh(intervention), text="Formulation.")
    assert note.author == world.clinician
    with pytest.raises(ValidationError):
        services.clinical_note_add(actor=world.probation_practitioner, intervention=fresh(intervention), text="x")


# --- concerns ----------------------------------------------------------------------------------------------


def test_a_concern_tells_the_probation_practitioner_once(world: World, django_capture_on_commit_callbacks: Any) -> None:
    from notifications.models import Notification
    from notifications.services import notification_email_send

    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    appointment = book(world, intervention, 1, days_ago(2))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attend(world, appointment, concerns_raised=True, concern_description="Said he drove past her workplace.")
    concern = SessionConcern.objects.select_related("notification").get()
    assert concern.recipient == world.probation_practitioner
    assert concern.raised_by == world.clinician
    assert concern.acknowledged_at is None
    # The alert is the notifications app's: in her inbox, its e-mail owed, one task queued on commit.
    alert = concern.notification
    assert alert is not None
    assert (alert.recipient, alert.key, alert.email, alert.emailed_at) == (
        world.probation_practitioner,
        services.concern_alert_key(concern.pk),
        True,
        None,
    )
    assert len(callbacks) == 1

    # The e-mail, sent twice as a retried or duplicated task would: one e-mail.
    assert notification_email_send(notification_id=alert.pk) is True
    assert notification_email_send(notification_id=alert.pk) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.probation_practitioner.email]
    assert Case.objects.get(pk=intervention.case_id).reference in message.subject
    assert f"/interventions/cases/{intervention.case_id}/{intervention.pk}/" in message.body
    for secret in (CLINICAL_TEXT, SUMMARY_TEXT, "workplace", "Hannah", "Larkspur"):
        assert secret not in f"{message.subject} {message.body}"
    concern.refresh_from_db()
    assert concern.notification is not None and concern.notification.emailed_at is not None

    # One alert only, to her alone, without the concern's words.
    assert Notification.objects.get(recipient=world.probation_practitioner).pk == alert.pk
    assert "workplace" not in alert.subject + alert.body
    assert Notification.objects.exclude(recipient=world.probation_practitioner).count() == 0

    # The in-app notice is the concern, listed for the practitioner until acknowledged.
    inbox = selectors.interventions_inbox_for_user(user=world.probation_practitioner)
    assert [c.pk for c in inbox.concerns_for_me] == [concern.pk]
    with pytest.raises(ValidationError):
        services.concern_acknowledge(actor=world.advocate, concern=concern)
    services.concern_acknowledge(actor=world.probation_practitioner, concern=concern)
    assert selectors.interventions_inbox_for_user(user=world.probation_practitioner).concerns_for_me == []


def test_no_concern_no_task(world: World, django_capture_on_commit_callbacks: Any) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    appointment = book(world, intervention, 1, days_ago(2))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attend(world, appointment)
    assert callbacks == [] and not SessionConcern.objects.exists()


# --- ending ---------------------------------------------------------------------------------------------------


def end(world: World, intervention: Intervention, **kw: Any) -> Intervention:
    return services.intervention_end(
        actor=world.clinician, intervention=fresh(intervention), data=services.EndingInput(**kw)
    )


def ratings(*values: str) -> list[services.RatingInput]:
    return [services.RatingInput(rating=v, comments=f"Comment {i}") for i, v in enumerate(values, start=1)]


def test_completed_after_every_session_with_the_report(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention, sessions=3)
    deliver(world, intervention, [1, 2, 3], first_days_ago=30)
    ended = end(
        world, intervention, ending="completed", ratings=ratings("achieved", "partly"), report_summary="Progress made"
    )
    assert ended.status == InterventionStatus.COMPLETED and ended.ending == Ending.COMPLETED
    assert ended.ended_on == timezone.localdate()
    assert (ended.sessions_planned, ended.sessions_attended) == (3, 3)
    report = EndOfServiceReport.objects.get(intervention=intervention)
    assert report.summary == "Progress made"
    assert list(report.ratings.values_list("position", "outcome", "rating", "comments")) == [
        (1, OUTCOMES[0], "achieved", "Comment 1"),
        (2, OUTCOMES[1], "partly", "Comment 2"),
    ]
    assert selectors.direct_intervention_end_dates([intervention.case_id]) == {
        intervention.case_id: timezone.localdate()
    }


def test_completed_early_only_by_agreement_with_a_reason(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    deliver(world, intervention, [1, 2])
    with pytest.raises(ValidationError) as exc:
        end(world, intervention, ending="completed", ratings=ratings("achieved", "achieved"))
    assert errors(exc)["ending"] == [
        "Only 2 of 12 planned sessions were delivered: completed needs every session, or an agreement to end here"
    ]
    with pytest.raises(ValidationError) as exc:
        end(world, intervention, ending="completed", by_agreement=True, ratings=ratings("achieved", "achieved"))
    assert errors(exc) == {"reason": ["Say why the intervention ended"]}
    ended = end(
        world,
        intervention,
        ending="completed",
        by_agreement=True,
        reason="Goals met early",
        ratings=ratings("achieved", "achieved"),
    )
    assert ended.ended_by_agreement and ended.status == InterventionStatus.COMPLETED


def test_dropped_out_cancels_what_is_still_booked(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    deliver(world, intervention, [1], first_days_ago=20)
    future = book(world, intervention, 2, in_days(5))
    with pytest.raises(ValidationError) as exc:
        end(world, intervention, ending="dropped_out", reason="Stopped coming", ratings=ratings("not_achieved"))
    assert errors(exc) == {"ratings": ["Rate every desired outcome of the plan"]}
    ended = end(
        world, intervention, ending="dropped_out", reason="Stopped coming", ratings=ratings("not_achieved", "partly")
    )
    assert ended.status == InterventionStatus.DROPPED_OUT
    future.refresh_from_db()
    assert future.cancelled_at is not None
    with pytest.raises(ValidationError) as exc:
        book(world, intervention, 3, in_days(6))
    assert errors(exc) == {"starts_at": ["This intervention has ended"]}


def test_ended_early_is_exported_as_cancelled_after_starting(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    deliver(world, intervention, [1, 2, 3, 4])
    ended = end(
        world, intervention, ending="ended_early", reason="Recalled to custody", ratings=ratings("partly", "partly")
    )
    assert (ended.status, ended.ending, ended.sessions_attended) == ("cancelled", "ended_early", 4)
    row = selectors.interventions_for_export(partnership_id=world.partnership.pk).get()
    assert (row.type, row.status, row.sessions_planned, row.sessions_attended) == (
        "perpetrator_direct_intervention",
        "cancelled",
        12,
        4,
    )
    assert row.started_on == timezone.localdate() - dt.timedelta(days=60)


def test_cancelled_when_nothing_was_delivered_and_no_report(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    with pytest.raises(ValidationError) as exc:
        end(world, intervention, ending="dropped_out", reason="x")
    assert errors(exc) == {"ending": ["No sessions were delivered, so the intervention can only be cancelled"]}
    ended = end(world, intervention, ending="cancelled", reason="Declined to engage")
    assert ended.status == InterventionStatus.CANCELLED and ended.started_on is None
    assert not EndOfServiceReport.objects.exists()
    # A cancelled intervention never started: nothing to monitor from.
    assert selectors.direct_intervention_end_dates([intervention.case_id]) == {}


def test_a_session_waiting_for_feedback_blocks_the_ending(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    deliver(world, intervention, [1])
    book(world, intervention, 2, days_ago(1))
    with pytest.raises(ValidationError) as exc:
        end(world, intervention, ending="dropped_out", reason="x", ratings=ratings("partly", "partly"))
    assert errors(exc) == {"ending": ["Record what happened at session 2 before ending the intervention"]}


def test_end_date_not_before_the_last_session_nor_in_future(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention, sessions=1)
    deliver(world, intervention, [1], first_days_ago=10)
    with pytest.raises(ValidationError) as exc:
        end(
            world,
            intervention,
            ending="completed",
            ended_on=timezone.localdate() - dt.timedelta(days=11),
            ratings=ratings("achieved", "achieved"),
        )
    last = (timezone.localdate() - dt.timedelta(days=10)).strftime("%-d %B %Y")
    assert errors(exc) == {"ended_on": [f"The end date cannot be before the last delivered session ({last})"]}
    with pytest.raises(ValidationError) as exc:
        end(
            world,
            intervention,
            ending="completed",
            ended_on=timezone.localdate() + dt.timedelta(days=1),
            ratings=ratings("achieved", "achieved"),
        )
    assert list(errors(exc)) == ["ended_on"]


def test_end_dates_for_monitoring(world: World) -> None:
    completed_case, dropped_case, open_case = old_case(world), old_case(world), old_case(world)
    for case in (completed_case, dropped_case):
        intervention = accepted(world, case)
        plan(world, intervention, sessions=2)
        deliver(world, intervention, [1, 2] if case is completed_case else [1], first_days_ago=30)
    completed = Intervention.objects.get(case=completed_case)
    end(
        world,
        completed,
        ending="completed",
        ended_on=timezone.localdate() - dt.timedelta(days=5),
        ratings=ratings("achieved", "achieved"),
    )
    dropped = Intervention.objects.get(case=dropped_case)
    end(world, dropped, ending="dropped_out", reason="Stopped", ratings=ratings("not_achieved", "not_achieved"))
    accepted(world, open_case)
    ids = [completed_case.pk, dropped_case.pk, open_case.pk]
    assert selectors.direct_intervention_end_dates(ids) == {
        completed_case.pk: timezone.localdate() - dt.timedelta(days=5),
        dropped_case.pk: timezone.localdate(),
    }
    assert selectors.direct_intervention_end_dates(ids, completed_only=True) == {
        completed_case.pk: timezone.localdate() - dt.timedelta(days=5)
    }
    endings = selectors.direct_intervention_endings(ids)
    assert endings[dropped_case.pk].ending == "dropped_out" and endings[dropped_case.pk].sessions_attended == 1


# --- the caseload's due date -------------------------------------------------------------------------------------


def test_next_due_follows_sessions_and_plan_review(world: World) -> None:
    case = old_case(world)
    intervention = accepted(world, case)
    plan(world, intervention, review_on=timezone.localdate() + dt.timedelta(days=30))
    case.refresh_from_db()
    assert case.next_due_on == timezone.localdate() + dt.timedelta(days=30)
    appointment = book(world, intervention, 1, in_days(7))
    case.refresh_from_db()
    assert case.next_due_on == timezone.localdate() + dt.timedelta(days=7)
    past = book(world, intervention, 2, days_ago(2))
    case.refresh_from_db()
    assert case.next_due_on == timezone.localdate() - dt.timedelta(days=2)  # overdue feedback
    attend(world, past)
    case.refresh_from_db()
    assert case.next_due_on == timezone.localdate() + dt.timedelta(days=7)
    assert selectors.intervention_due_dates([case.pk]) == {case.pk: timezone.localdate() + dt.timedelta(days=7)}
    services.plan_review_record(
        actor=world.clinician, intervention=fresh(intervention), summary="On track", next_review_on=None
    )
    del appointment
    deliver(world, intervention, [3], first_days_ago=1)
    ended = end(world, intervention, ending="dropped_out", reason="Stopped", ratings=ratings("partly", "partly"))
    assert ended.status == InterventionStatus.DROPPED_OUT
    case.refresh_from_db()
    assert case.next_due_on is None


# --- other types ------------------------------------------------------------------------------------------------


def test_other_types_are_recorded_by_the_agencies_that_deliver_them(world: World) -> None:
    case = old_case(world)
    hardening = services.intervention_record(
        actor=world.triage_officer,
        case=case,
        intervention_type="victim_target_hardening",
        started_on=timezone.localdate() - dt.timedelta(days=2),
        details="Alarm fitted; CCTV doorbell.",
    )
    assert hardening.agency == world.police and hardening.status == InterventionStatus.ONGOING
    assessment = services.intervention_record(
        actor=world.clinician, case=case, intervention_type="comprehensive_risk_assessment"
    )
    assert assessment.status == InterventionStatus.PLANNED
    with pytest.raises(ValidationError) as exc:
        services.intervention_record(
            actor=world.triage_officer, case=case, intervention_type="comprehensive_risk_assessment"
        )
    assert errors(exc) == {"type": ["Your agency does not deliver this type of intervention"]}
    with pytest.raises(ValidationError) as exc:
        services.intervention_record(
            actor=world.probation_practitioner, case=case, intervention_type="perpetrator_direct_intervention"
        )
    assert errors(exc) == {"type": ["A direct intervention starts with a referral to health"]}
    started = services.intervention_start(actor=world.clinician, intervention=fresh(assessment))
    assert started.status == InterventionStatus.ONGOING and started.started_on == timezone.localdate()
    ended = services.intervention_end(
        actor=world.clinician, intervention=fresh(assessment), data=services.EndingInput(ending="completed")
    )
    assert (ended.status, ended.ended_on) == ("completed", timezone.localdate())
    with pytest.raises(ValidationError) as exc:
        services.intervention_end(
            actor=world.triage_officer, intervention=fresh(hardening), data=services.EndingInput(ending="ended_early")
        )
    assert errors(exc)["ending"] == ["Choose completed, cancelled or dropped out"]
