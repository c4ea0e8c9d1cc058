"""Monitoring periods, the scheduler, reviews, reminders, closure and automatic detection.

Dates are worked by hand: calendar months as dateutil's relativedelta counts them
(31 January + 3 months = 30 April).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from hypothesis import given
from hypothesis import strategies as st

from cases import services as case_services
from cases.models import Case, CaseEvent, CaseStatus
from cases.selectors import CaseloadFilters, case_list_for_user
from followups import selectors as services_selectors
from followups import services
from followups.models import (
    CandidateStatus,
    FollowUpReview,
    FollowUpSettings,
    MonitoringBasis,
    MonitoringPeriod,
    ReoffendingCandidate,
    ReoffendingRecord,
    ReviewStatus,
)
from interventions.extensions import intervention_end_listeners
from interventions.models import Intervention
from notifications.models import Notification
from tests.case_factories import make_case
from tests.factories import World, make_user
from tests.followups_factories import accepted_case, in_monitoring, referral_naming_perpetrator

pytestmark = pytest.mark.django_db

TODAY = dt.date.today


def intervention_ended(*, intervention: Intervention, actor: object) -> None:
    """What the interventions app's ending service does after saving the end: tell its listeners."""
    for listener in intervention_end_listeners():
        listener(intervention, actor)  # type: ignore[arg-type]


def occurrence(**overrides: object) -> services.OccurrenceInput:
    values: dict[str, object] = {
        "occurred_on": TODAY() - dt.timedelta(days=20),
        "kind": "persistence",
        "victim": "same",
        "source": "police",
        "offence": "s2a_stalking",
        "crime_reference": "ch/777/26",
    }
    values.update(overrides)
    return services.OccurrenceInput(**values)  # type: ignore[arg-type]


# --- monitoring periods -----------------------------------------------------------------------------------------


def test_acceptance_opens_one_period_from_the_decision_date(world: World) -> None:
    case = accepted_case(world, decided_on=dt.date(2025, 1, 31))
    period = MonitoringPeriod.objects.get(case=case)
    assert (period.basis, period.starts_on, period.ended_on) == (MonitoringBasis.ACCEPTANCE, dt.date(2025, 1, 31), None)
    # The sweep and a repeated hook change nothing.
    assert services.monitoring_period_open_for_acceptance(case=case) == period
    services.followups_schedule(today=dt.date(2025, 2, 1))
    assert MonitoringPeriod.objects.filter(case=case).count() == 1


def test_a_case_not_accepted_is_not_monitored(world: World) -> None:
    case = make_case(world.triage_officer)
    services.followups_schedule(today=TODAY())
    assert not MonitoringPeriod.objects.filter(case=case).exists()


def _direct(world: World, case: Case, *, ended_on: dt.date, ending: str, status: str) -> Intervention:
    return Intervention.objects.create(
        case=case,
        type="perpetrator_direct_intervention",
        agency=world.health,
        status=status,
        ending=ending,
        started_on=ended_on - dt.timedelta(days=90) if ending != "cancelled" else None,
        ended_on=ended_on,
    )


def test_the_end_of_a_direct_intervention_opens_a_period_through_the_hook_or_the_sweep(world: World) -> None:
    case = in_monitoring(world, accepted_case(world, decided_on=dt.date(2025, 3, 1)))
    completed = _direct(world, case, ended_on=dt.date(2025, 9, 12), ending="completed", status="completed")
    intervention_ended(intervention=completed, actor=world.clinician)
    period = MonitoringPeriod.objects.get(case=case, basis=MonitoringBasis.INTERVENTION_END)
    assert (period.starts_on, period.intervention_id) == (dt.date(2025, 9, 12), completed.pk)
    assert CaseEvent.objects.filter(case=case, kind="follow_up", summary__contains="12 September 2025").exists()

    # Cancelled before it started: nothing to monitor from.
    cancelled = _direct(world, case, ended_on=dt.date(2025, 10, 1), ending="cancelled", status="cancelled")
    intervention_ended(intervention=cancelled, actor=world.clinician)
    # Dropped out, and the hook never called (an import): the nightly sweep opens it.
    dropped = _direct(world, case, ended_on=dt.date(2025, 11, 3), ending="dropped_out", status="dropped_out")
    services.followups_schedule(today=dt.date(2025, 11, 4))
    starts = sorted(
        MonitoringPeriod.objects.filter(case=case, basis=MonitoringBasis.INTERVENTION_END).values_list(
            "intervention_id", "starts_on"
        )
    )
    assert starts == [(completed.pk, dt.date(2025, 9, 12)), (dropped.pk, dt.date(2025, 11, 3))]


# --- the scheduler ------------------------------------------------------------------------------------------------


def test_reviews_at_each_checkpoint_reached_once_with_windows_and_owner(world: World) -> None:
    case = accepted_case(world, decided_on=dt.date(2025, 1, 31), worker=world.probation_practitioner)
    result = services.followups_schedule(today=dt.date(2025, 7, 30))
    assert result.reviews_created == 1
    review = FollowUpReview.objects.get(case=case)
    assert (review.checkpoint_months, review.window_starts_on, review.due_on) == (
        3,
        dt.date(2025, 1, 31),
        dt.date(2025, 4, 30),
    )
    assert (review.assigned_worker, review.assigned_agency) == (world.probation_practitioner, world.probation)
    assert review.status == ReviewStatus.OPEN
    assert Case.objects.get(pk=case.pk).next_due_on == dt.date(2025, 4, 30)

    assert services.followups_schedule(today=dt.date(2025, 7, 31)).reviews_created == 1
    assert services.followups_schedule(today=dt.date(2025, 7, 31)).reviews_created == 0
    six = FollowUpReview.objects.get(case=case, checkpoint_months=6)
    assert (six.window_starts_on, six.due_on) == (dt.date(2025, 4, 30), dt.date(2025, 7, 31))
    # A year and more later: 9 and 12 months, nothing twice.
    assert services.followups_schedule(today=dt.date(2026, 6, 1)).reviews_created == 2
    assert sorted(FollowUpReview.objects.filter(case=case).values_list("checkpoint_months", "due_on")) == [
        (3, dt.date(2025, 4, 30)),
        (6, dt.date(2025, 7, 31)),
        (9, dt.date(2025, 10, 31)),
        (12, dt.date(2026, 1, 31)),
    ]
    assert Case.objects.get(pk=case.pk).next_due_on == dt.date(2025, 4, 30)


def test_open_reviews_follow_the_cases_worker(world: World) -> None:
    case = accepted_case(world, decided_on=dt.date(2025, 1, 31), worker=world.probation_practitioner)
    services.followups_schedule(today=dt.date(2025, 8, 1))
    three, six = FollowUpReview.objects.filter(case=case).order_by("checkpoint_months")
    FollowUpReview.objects.filter(pk=three.pk).update(status=ReviewStatus.WITHDRAWN)

    def owners() -> list[tuple[int, int | None, int | None]]:
        return list(
            FollowUpReview.objects.filter(case=case)
            .order_by("checkpoint_months")
            .values_list("checkpoint_months", "assigned_worker", "assigned_agency")
        )

    case_services.case_assign_worker(actor=world.triage_officer, case=case, worker=world.advocate)
    # The open review moves to the new worker and her agency; the withdrawn one keeps its history.
    assert owners() == [
        (3, world.probation_practitioner.pk, world.probation.pk),
        (6, world.advocate.pk, world.advocacy.pk),
    ]
    mine = services_selectors.open_reviews_for_user(user=world.advocate, mine=True)
    assert [r.pk for r in mine.reviews] == [six.pk]
    assert not services_selectors.open_reviews_for_user(user=world.probation_practitioner, mine=True).reviews
    # A review the nightly batch wrote from the case as it was before the reassignment
    # committed still names the old worker; "my reviews" goes by the case, as reminders do.
    FollowUpReview.objects.filter(pk=six.pk).update(assigned_worker=world.probation_practitioner)
    assert [r.pk for r in services_selectors.open_reviews_for_user(user=world.advocate, mine=True).reviews] == [six.pk]
    # No worker: back to the agency that reviews unassigned cases (the police by default).
    case_services.case_assign_worker(actor=world.triage_officer, case=case, worker=None)
    assert owners()[1] == (6, None, world.police.pk)
    # With a review agency in the settings, unassigned reviews go there, as the scheduler sends them.
    services.followup_settings_update(actor=world.admin, checkpoints=[3, 6], review_agency=world.advocacy)
    case_services.case_assign_worker(actor=world.triage_officer, case=case, worker=world.advocate)
    case_services.case_assign_worker(actor=world.triage_officer, case=case, worker=None)
    assert owners()[1] == (6, None, world.advocacy.pk)


def test_partnership_checkpoints_and_review_agency(world: World, other_world: World) -> None:
    services.followup_settings_update(actor=world.admin, checkpoints=[2, 1, 2], review_agency=world.advocacy)
    assert FollowUpSettings.objects.get(partnership=world.partnership).checkpoints == [1, 2]
    here = accepted_case(world, decided_on=dt.date(2025, 5, 15))
    there = accepted_case(other_world, decided_on=dt.date(2025, 5, 15))
    services.followups_schedule(today=dt.date(2025, 7, 20))
    assert sorted(FollowUpReview.objects.filter(case=here).values_list("checkpoint_months", "assigned_agency")) == [
        (1, world.advocacy.pk),
        (2, world.advocacy.pk),
    ]
    # The other partnership keeps the defaults (3 months not reached yet) and its police.
    assert not FollowUpReview.objects.filter(case=there).exists()
    services.followups_schedule(today=dt.date(2025, 8, 15))
    review = FollowUpReview.objects.get(case=there)
    assert (review.checkpoint_months, review.assigned_agency, review.assigned_worker) == (3, other_world.police, None)


def test_settings_refuse_bad_checkpoints_and_other_roles(world: World, other_world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.followup_settings_update(actor=world.programme_manager, checkpoints=[0, 3])
    assert exc.value.message_dict == {"checkpoints": ["Each checkpoint is a whole number of months from 1 to 60"]}
    with pytest.raises(ValidationError) as exc:
        services.followup_settings_update(actor=world.admin, checkpoints=[3], review_agency=other_world.police)
    assert exc.value.message_dict == {"review_agency": ["Choose an agency of this partnership"]}
    with pytest.raises(Http404):
        services.followup_settings_update(actor=world.advocate, checkpoints=[3])


def test_a_closed_case_gets_no_new_reviews(world: World) -> None:
    case = in_monitoring(world, accepted_case(world, decided_on=TODAY() - dt.timedelta(days=40)))
    case_services.case_transition(
        actor=world.triage_officer, case=case, to_status="closed", discharge_reason="risk_managed"
    )
    services.followups_schedule(today=TODAY() + dt.timedelta(days=400))
    assert not FollowUpReview.objects.filter(case=case).exists()
    assert MonitoringPeriod.objects.get(case=case).ended_on == TODAY()


# --- the caseload's next-due date ------------------------------------------------------------------------------


def test_open_reviews_feed_the_caseload_due_and_overdue_filters(world: World) -> None:
    overdue = accepted_case(world, decided_on=TODAY() - dt.timedelta(days=120))
    due_today = accepted_case(world, decided_on=TODAY() - dt.timedelta(days=0))
    services.followups_schedule(today=TODAY())
    assert Case.objects.get(pk=due_today.pk).next_due_on is None  # no checkpoint reached yet

    def ids(due: str) -> set[int]:
        page = case_list_for_user(user=world.triage_officer, filters=CaseloadFilters(due=due))
        return {row.case.pk for row in page.rows}

    assert overdue.pk in ids("overdue") and overdue.pk in ids("due")
    review = FollowUpReview.objects.get(case=overdue)
    services.followup_review_complete(
        actor=world.triage_officer,
        review=review,
        data=services.ReviewInput(reoffended=False, sources_checked=["police"]),
    )
    assert Case.objects.get(pk=overdue.pk).next_due_on is None
    assert overdue.pk not in ids("due")


# --- completing a review ------------------------------------------------------------------------------------------


def _one_review(world: World) -> FollowUpReview:
    case = accepted_case(world, decided_on=TODAY() - dt.timedelta(days=100), worker=world.probation_practitioner)
    services.followups_schedule(today=TODAY())
    return FollowUpReview.objects.get(case=case)


def test_a_review_with_re_offending_records_each_occurrence_as_the_bundle_has_it(world: World) -> None:
    review = _one_review(world)
    data = services.ReviewInput(
        reoffended=True,
        occurrences=[
            occurrence(),
            occurrence(
                kind="recurrence",
                victim="new",
                source="victim",
                offence="other",
                crime_reference="",
                occurred_on=TODAY() - dt.timedelta(days=2),
            ),
        ],
        notes="Reported by the officer in the case.",
    )
    done = services.followup_review_complete(actor=world.probation_practitioner, review=review, data=data)
    assert (done.status, done.reoffended, done.completed_by) == ("completed", True, world.probation_practitioner)
    rows = list(
        ReoffendingRecord.objects.filter(case=review.case).values_list(
            "occurred_on", "kind", "victim", "source", "offence", "crime_reference", "review"
        )
    )
    assert rows == [
        (TODAY() - dt.timedelta(days=20), "persistence", "same", "police", "s2a_stalking", "CH/777/26", review.pk),
        (TODAY() - dt.timedelta(days=2), "recurrence", "new", "victim", "other", "", review.pk),
    ]
    event = CaseEvent.objects.filter(case=review.case, kind="follow_up").first()
    assert event is not None and event.summary == "3-month follow-up review: re-offending recorded (2 occurrences)"
    with pytest.raises(ValidationError) as exc:
        services.followup_review_complete(actor=world.probation_practitioner, review=review, data=data)
    assert exc.value.message_dict == {"reoffended": ["This review has already been completed or withdrawn"]}


def test_review_answers_are_validated_field_by_field(world: World) -> None:
    review = _one_review(world)
    start = review.period.starts_on
    cases = [
        (services.ReviewInput(reoffended=None), {"reoffended": ["Say whether there was any re-offending"]}),
        (services.ReviewInput(reoffended=False), {"sources_checked": ["Choose the sources you checked"]}),
        (services.ReviewInput(reoffended=True), {"occurrences": ["Record at least one occurrence of re-offending"]}),
        (
            services.ReviewInput(
                reoffended=True,
                occurrences=[occurrence(), occurrence(occurred_on=start - dt.timedelta(days=1), kind="x", victim="")],
            ),
            {
                "occurrence_1_occurred_on": [
                    f"The date must be on or after the start of monitoring ({start:%-d %B %Y})"
                ],
                "occurrence_1_kind": ["Choose persistence or recurrence"],
                "occurrence_1_victim": ["Choose the same victim or a new victim"],
            },
        ),
    ]
    for data, expected in cases:
        with pytest.raises(ValidationError) as exc:
            services.followup_review_complete(actor=world.triage_officer, review=review, data=data)
        assert exc.value.message_dict == expected
    with pytest.raises(ValidationError) as exc:
        services.followup_review_complete(
            actor=world.programme_manager, review=review, data=services.ReviewInput(reoffended=False)
        )
    assert exc.value.message_dict == {"reoffended": ["Your role cannot complete follow-up reviews"]}
    assert FollowUpReview.objects.get(pk=review.pk).status == ReviewStatus.OPEN


def test_outside_scope_a_review_is_404(world: World, other_world: World) -> None:
    review = _one_review(world)
    with pytest.raises(Http404):
        services.followup_review_complete(
            actor=other_world.triage_officer, review=review, data=services.ReviewInput(reoffended=False)
        )


# --- reminders and escalation -----------------------------------------------------------------------------------


def test_owners_are_reminded_on_the_due_day_and_weekly_and_managers_after_14_days(world: World) -> None:
    second_manager = make_user(world.probation, "programme_manager")
    case = accepted_case(world, decided_on=dt.date(2025, 1, 10), worker=world.advocate)
    services.followups_schedule(today=dt.date(2025, 4, 10))
    review = FollowUpReview.objects.get(case=case)

    def sent() -> list[tuple[int, str]]:
        return sorted(Notification.objects.values_list("recipient_id", "key"))

    assert services.followup_reminders_send(today=dt.date(2025, 4, 10)) == services.ReminderResult(1, 0)
    assert services.followup_reminders_send(today=dt.date(2025, 4, 10)) == services.ReminderResult(0, 0)
    note = Notification.objects.get()
    assert note.subject == f"Follow-up review due today on case {case.reference}"
    assert note.link == f"/cases/{case.pk}/monitoring/"
    assert "Hannah" not in note.body and "Darren" not in note.body
    # Days 1 to 6 after: the same weekly reminder, not sent again; day 7: the next one.
    assert services.followup_reminders_send(today=dt.date(2025, 4, 16)) == services.ReminderResult(0, 0)
    assert services.followup_reminders_send(today=dt.date(2025, 4, 17)) == services.ReminderResult(1, 0)
    # 14 days overdue is not yet "more than 14"; 15 is, once, to every programme manager.
    assert services.followup_reminders_send(today=dt.date(2025, 4, 24)).escalations == 0
    assert services.followup_reminders_send(today=dt.date(2025, 4, 25)) == services.ReminderResult(0, 2)
    assert services.followup_reminders_send(today=dt.date(2025, 4, 26)) == services.ReminderResult(0, 0)
    assert sent() == sorted(
        [
            (world.advocate.pk, f"followup-reminder:{review.pk}:2025-04-10"),
            (world.advocate.pk, f"followup-reminder:{review.pk}:2025-04-17"),
            (world.advocate.pk, f"followup-reminder:{review.pk}:2025-04-24"),
            (world.programme_manager.pk, f"followup-escalation:{review.pk}"),
            (second_manager.pk, f"followup-escalation:{review.pk}"),
        ]
    )
    assert FollowUpReview.objects.get(pk=review.pk).escalated_at is not None
    escalation = Notification.objects.get(recipient=world.programme_manager)
    assert escalation.subject == f"Follow-up review 15 days overdue on case {case.reference}"


def test_without_a_worker_the_cases_triage_officers_are_reminded(world: World) -> None:
    other_officer = make_user(world.police, "triage_officer")
    case = accepted_case(world, decided_on=dt.date(2025, 1, 10))
    services.followups_schedule(today=dt.date(2025, 4, 10))
    assert services.followup_reminders_send(today=dt.date(2025, 4, 11)).reminders == 2
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        world.triage_officer.pk,
        other_officer.pk,
    }
    assert Notification.objects.first().subject == f"Follow-up review overdue on case {case.reference}"  # type: ignore[union-attr]


# --- closure ------------------------------------------------------------------------------------------------------


def test_a_case_does_not_close_while_a_due_review_is_open_unless_overridden(world: World) -> None:
    case = in_monitoring(world, accepted_case(world, decided_on=TODAY() - dt.timedelta(days=100)))
    services.followups_schedule(today=TODAY())
    review = FollowUpReview.objects.get(case=case)
    with pytest.raises(ValidationError) as exc:
        case_services.case_transition(
            actor=world.triage_officer, case=case, to_status="closed", discharge_reason="risk_managed"
        )
    assert exc.value.message_dict == {
        "override_reason": [
            f"The 3-month follow-up review (due {review.due_on:%-d %B %Y}) is still open. "
            "Give a reason to close the case anyway."
        ]
    }
    closed = case_services.case_transition(
        actor=world.triage_officer,
        case=case,
        to_status="closed",
        discharge_reason="transferred",
        override_reason="Transferred to Merseyside; their unit takes over monitoring.",
    )
    assert closed.status == CaseStatus.CLOSED
    review.refresh_from_db()
    assert (review.status, review.withdrawn_reason) == (
        "withdrawn",
        "Transferred to Merseyside; their unit takes over monitoring.",
    )
    event = CaseEvent.objects.filter(case=case, kind="transition", to_status="closed").get()
    assert event.detail == (
        "Transferred to another area. Closed despite: The 3-month follow-up review "
        f"(due {review.due_on:%-d %B %Y}) is still open. Reason: Transferred to Merseyside; their unit takes over "
        "monitoring."
    )
    assert Case.objects.get(pk=case.pk).next_due_on is None


def test_a_review_not_yet_due_does_not_hold_closure(world: World) -> None:
    case = in_monitoring(world, accepted_case(world, decided_on=TODAY() - dt.timedelta(days=30)))
    services.followups_schedule(today=TODAY())
    closed = case_services.case_transition(
        actor=world.triage_officer, case=case, to_status="closed", discharge_reason="risk_managed"
    )
    assert closed.status == CaseStatus.CLOSED


# --- automatic detection ---------------------------------------------------------------------------------------


def _new_referral(world: World, earlier: Case, *, same_victim: bool, behaviour_started_on: dt.date) -> Case:
    """Probation refers the earlier case's perpetrator after a breach."""
    return referral_naming_perpetrator(
        earlier,
        actor=world.probation_practitioner,
        same_victim=same_victim,
        offence="breach_restraining_order",
        referral_reason="post_sentence",
        relationship="ex_intimate",
        behaviour_started_on=behaviour_started_on,
    )


def test_a_new_referral_of_a_known_perpetrator_raises_a_candidate_for_the_owner(world: World) -> None:
    # The earlier case's last known behaviour: its referral's date received (no last incident given).
    earlier = accepted_case(world, decided_on=TODAY() - dt.timedelta(days=60), worker=world.advocate)
    last_known = earlier.referral.received_on
    new = _new_referral(world, earlier, same_victim=True, behaviour_started_on=last_known + dt.timedelta(days=30))
    candidate = ReoffendingCandidate.objects.get(case=earlier)
    assert (candidate.new_case, candidate.kind, candidate.victim, candidate.source, candidate.offence) == (
        new,
        "persistence",
        "same",
        "probation",
        "breach_restraining_order",
    )
    assert (candidate.occurred_on, candidate.last_known_behaviour_on) == (
        last_known + dt.timedelta(days=30),
        last_known,
    )
    note = Notification.objects.get(key=services.reoffending_alert_key(earlier.pk, candidate.occurred_on))
    assert note.recipient == world.advocate
    assert note.subject == f"Possible re-offending on case {earlier.reference}"
    # The new case itself is not a candidate of anything.
    assert not ReoffendingCandidate.objects.filter(case=new).exists()


@pytest.mark.parametrize(
    ("same_victim", "started", "kind"),
    [
        # Last known behaviour 1 January 2025; six months later is 1 July 2025.
        (True, dt.date(2025, 6, 30), "persistence"),
        (True, dt.date(2025, 7, 1), "recurrence"),  # a break of six months or more
        # The break decides, not the victim: a new victim ten days on is persistence (towards
        # a new victim), and after a break of six months recurrence (towards a new victim).
        (False, dt.date(2025, 1, 11), "persistence"),
        (False, dt.date(2025, 7, 1), "recurrence"),
    ],
)
def test_persistence_or_recurrence(world: World, same_victim: bool, started: dt.date, kind: str) -> None:
    earlier = accepted_case(world, decided_on=dt.date(2025, 1, 5), received_on=dt.date(2025, 1, 1))
    _new_referral(world, earlier, same_victim=same_victim, behaviour_started_on=started)
    candidate = ReoffendingCandidate.objects.get(case=earlier)
    assert (candidate.kind, candidate.last_known_behaviour_on) == (kind, dt.date(2025, 1, 1))
    assert candidate.victim == ("same" if same_victim else "new")


def test_no_candidate_for_an_earlier_case_never_accepted(world: World) -> None:
    earlier = make_case(world.triage_officer, received_on=TODAY() - dt.timedelta(days=50))
    _new_referral(world, earlier, same_victim=True, behaviour_started_on=TODAY() - dt.timedelta(days=5))
    assert not ReoffendingCandidate.objects.exists()


def test_the_owner_confirms_or_rejects(world: World) -> None:
    earlier = accepted_case(world, decided_on=TODAY() - dt.timedelta(days=60), worker=world.advocate)
    _new_referral(world, earlier, same_victim=False, behaviour_started_on=TODAY() - dt.timedelta(days=3))
    candidate = ReoffendingCandidate.objects.get(case=earlier)
    with pytest.raises(ValidationError) as exc:
        services.reoffending_candidate_confirm(actor=world.clinician, candidate=candidate)
    assert exc.value.message_dict == {
        "decision": ["Only the case's assigned worker or a triage officer can decide this"]
    }
    record = services.reoffending_candidate_confirm(actor=world.advocate, candidate=candidate)
    # A new victim within six months of what the case knew: persistence, towards a new victim.
    assert (record.occurred_on, record.kind, record.victim, record.source, record.offence, record.candidate) == (
        TODAY() - dt.timedelta(days=3),
        "persistence",
        "new",
        "probation",
        "breach_restraining_order",
        candidate,
    )
    assert ReoffendingCandidate.objects.get(pk=candidate.pk).status == CandidateStatus.CONFIRMED
    with pytest.raises(ValidationError):
        services.reoffending_candidate_reject(actor=world.advocate, candidate=candidate, reason="duplicate")

    second = _new_referral(world, earlier, same_victim=False, behaviour_started_on=TODAY() - dt.timedelta(days=1))
    other = ReoffendingCandidate.objects.get(new_case=second)
    with pytest.raises(ValidationError) as exc:
        services.reoffending_candidate_reject(actor=world.triage_officer, candidate=other, reason=" ")
    assert exc.value.message_dict == {"reason": ["Say why this is not re-offending"]}
    services.reoffending_candidate_reject(
        actor=world.triage_officer, candidate=other, reason="The same incident as the confirmed one."
    )
    assert ReoffendingCandidate.objects.get(pk=other.pk).status == CandidateStatus.REJECTED
    assert ReoffendingRecord.objects.filter(case=earlier).count() == 1


# --- the rules as properties ----------------------------------------------------------------------------------


@given(
    last=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 1, 1)),
    gap=st.integers(min_value=-400, max_value=800),
)
def test_classification_rule(last: dt.date, gap: int) -> None:
    """The break decides the kind (the programme's definition), whoever the victim."""
    from dateutil.relativedelta import relativedelta

    new = last + dt.timedelta(days=gap)
    kind = services.classify(new_behaviour_on=new, last_known_on=last)
    assert kind == ("persistence" if new < last + relativedelta(months=6) else "recurrence")
    # Within 181 days always persistence; after 184 days (more than any six months) always recurrence.
    if gap < 181:
        assert kind == "persistence"
    if gap > 184:
        assert kind == "recurrence"


@given(due=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)), days=st.integers(0, 400))
def test_reminder_cycles_are_weekly_from_the_due_date(due: dt.date, days: int) -> None:
    today = due + dt.timedelta(days=days)
    cycle = services.reminder_cycle_date(due_on=due, today=today)
    assert cycle is not None and due <= cycle <= today
    assert (cycle - due).days % 7 == 0 and (today - cycle).days < 7
    assert services.reminder_cycle_date(due_on=today + dt.timedelta(days=1), today=today) is None


@pytest.mark.parametrize("assigned", [True, False], ids=["assigned-worker", "triage-officers"])
def test_one_alert_per_case_and_event_however_many_referrals_name_it(world: World, assigned: bool) -> None:
    """One incident referred by police, probation and police again: three candidates to decide,
    one alert per recipient, rewritten (and unread again) by each later referral."""
    from notifications.services import notification_mark_read

    second_officer = make_user(world.police, "triage_officer")
    earlier = accepted_case(
        world, decided_on=TODAY() - dt.timedelta(days=60), worker=world.advocate if assigned else None
    )
    recipients = [world.advocate] if assigned else [world.triage_officer, second_officer]
    incident = TODAY() - dt.timedelta(days=4)
    alerts = Notification.objects.filter(subject=f"Possible re-offending on case {earlier.reference}")

    referrers = [world.triage_officer, world.probation_practitioner, world.triage_officer]
    new_cases = [referral_naming_perpetrator(earlier, actor=referrers[0], behaviour_started_on=incident)]
    assert sorted(alerts.values_list("recipient_id", flat=True)) == sorted(u.pk for u in recipients)
    first_alert = alerts.get(recipient=recipients[0])
    assert first_alert.body.startswith("A new referral names the perpetrator")
    notification_mark_read(user=recipients[0], notification_id=first_alert.pk)

    new_cases += [referral_naming_perpetrator(earlier, actor=a, behaviour_started_on=incident) for a in referrers[1:]]
    # Each referral is still its own candidate to confirm or reject.
    assert ReoffendingCandidate.objects.filter(case=earlier).count() == 3
    assert sorted(alerts.values_list("recipient_id", flat=True)) == sorted(u.pk for u in recipients)
    refreshed = alerts.get(recipient=recipients[0])
    assert refreshed.pk == first_alert.pk
    assert refreshed.read_at is None, "a later referral of the event makes the alert unread again"
    assert refreshed.body.startswith("3 new referrals name the perpetrator")

    # Detection run again (a retried job, a person merge) adds nothing and rewrites nothing.
    for case in new_cases:
        services.reoffending_detect(new_case=case)
    assert alerts.count() == len(recipients)

    # Behaviour on another date is another event: its own alert.
    referral_naming_perpetrator(earlier, actor=world.probation_practitioner, behaviour_started_on=TODAY())
    assert alerts.filter(recipient=recipients[0]).count() == 2
