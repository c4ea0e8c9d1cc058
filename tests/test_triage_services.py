"""Triage services: decisions drive the case's transitions, in one transaction; the agenda; actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from agencies.models import RecordClass
from cases import services as case_services
from cases.models import Case, CaseEvent, CaseStatus, Decision, EventKind
from tests.case_factories import make_case
from tests.factories import World
from tests.triage_factories import accept, make_meeting, on_agenda, waiting_case
from triage import selectors, services
from triage.models import (
    Action,
    ActionStatus,
    AgendaItem,
    AgendaSource,
    Hearing,
    MeetingDecision,
    MeetingKind,
    MeetingStatus,
    Outcome,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def snapshot(case: Case) -> tuple[object, ...]:
    case.refresh_from_db()
    return (case.status, case.decision, case.decided_on, case.decision_reason, case.tier, case.heard_at_clinic,
            case.stalker_type, case.next_due_on)  # fmt: skip


# --- decisions drive the case's transitions --------------------------------------------------------------------


def test_accepting_moves_an_awaiting_case_to_accepted_with_its_tier(world: World) -> None:
    case = waiting_case(world)
    meeting = make_meeting(world.triage_officer, day=TODAY() - dt.timedelta(days=1))
    item = on_agenda(world, meeting, case)

    decision = services.decision_record(
        actor=world.triage_officer,
        item=item,
        data=services.DecisionInput(
            outcome=Outcome.ACCEPTED, tier=3, stalking_consensus="yes", meets_legal_threshold=True, added_value=True
        ),
    )

    case.refresh_from_db()
    assert (case.status, case.decision, case.tier) == (CaseStatus.ACCEPTED, Decision.ACCEPTED, 3)
    # Decided on the meeting's day, not the day the minutes were typed.
    assert case.decided_on == TODAY() - dt.timedelta(days=1)
    assert (decision.status_before, decision.status_after) == ("awaiting_triage", "accepted")
    summaries = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("summary", flat=True))
    assert "Awaiting triage → Accepted" in summaries
    assert any(s.endswith(": Tier 3") and s.startswith("Triage meeting of") for s in summaries)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.IN_PROGRESS  # the first decision starts the meeting


def test_a_referred_case_is_put_forward_and_accepted_in_the_same_decision(world: World) -> None:
    case = make_case(world.triage_officer)
    assert case.status == CaseStatus.REFERRED
    item = on_agenda(world, make_meeting(world.triage_officer), case)

    accept(world, item, tier=2)

    case.refresh_from_db()
    assert (case.status, case.tier) == (CaseStatus.ACCEPTED, 2)
    moves = list(
        CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION)
        .exclude(to_status="")
        .order_by("id")
        .values_list("from_status", "to_status")
    )
    assert moves == [("referred", "awaiting_triage"), ("awaiting_triage", "accepted")]


def test_declining_as_not_stalking_records_the_reason_on_the_case(world: World) -> None:
    case = waiting_case(world)
    item = on_agenda(world, make_meeting(world.triage_officer), case)

    services.decision_record(
        actor=world.triage_officer,
        item=item,
        data=services.DecisionInput(
            outcome=Outcome.DECLINED,
            decline_reason="not_stalking",
            stalking_consensus="no",
            reason="A single incident between neighbours.",
        ),
    )

    case.refresh_from_db()
    assert (case.status, case.decision) == (CaseStatus.DECLINED, Decision.NOT_STALKING)
    assert case.decision_reason == "A single incident between neighbours."
    assert case.tier is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (services.DecisionInput(outcome=Outcome.ACCEPTED), "tier"),
        (services.DecisionInput(outcome=Outcome.DECLINED, reason="x"), "decline_reason"),
        (services.DecisionInput(outcome=Outcome.DECLINED, decline_reason="not_stalking"), "reason"),
        (services.DecisionInput(outcome=Outcome.DECLINED, decline_reason="not_stalking", reason="x", tier=2), "tier"),
        (services.DecisionInput(outcome=Outcome.REVIEWED, tier=2), "outcome"),
        (services.DecisionInput(outcome=Outcome.ACCEPTED, tier=5), "tier"),
        (services.DecisionInput(outcome=Outcome.ACCEPTED, tier=2, sash_level="extreme"), "sash_level"),
        (services.DecisionInput(outcome=Outcome.DEFERRED, tier=2), "tier"),
    ],
)
def test_an_invalid_decision_is_refused_and_changes_nothing(
    world: World, data: services.DecisionInput, field: str
) -> None:
    case = waiting_case(world)
    item = on_agenda(world, make_meeting(world.triage_officer), case)
    before = snapshot(case)
    with pytest.raises(ValidationError) as exc:
        services.decision_record(actor=world.triage_officer, item=item, data=data)
    assert field in exc.value.message_dict
    assert snapshot(case) == before
    assert not MeetingDecision.objects.exists()


def test_a_failure_after_the_transition_leaves_the_case_as_it_was(world: World, other_world: World) -> None:
    """The transition and the tier are written before the actions; an invalid action undoes them all."""
    case = waiting_case(world)
    item = on_agenda(world, make_meeting(world.triage_officer), case)
    before = snapshot(case)
    events_before = CaseEvent.objects.filter(case=case).count()

    with pytest.raises(ValidationError) as exc:
        services.decision_record(
            actor=world.triage_officer,
            item=item,
            data=services.DecisionInput(outcome=Outcome.ACCEPTED, tier=3, sash_level="high"),
            actions=[
                services.ActionInput(owner_id=world.advocate.pk, description="Call the victim", due_on=TODAY()),
                # Someone of another partnership: found invalid only after the case has moved.
                services.ActionInput(owner_id=other_world.advocate.pk, description="Visit", due_on=TODAY()),
            ],
        )

    assert "actions_1_owner" in exc.value.message_dict
    assert snapshot(case) == before
    assert case.status == CaseStatus.AWAITING_TRIAGE and case.tier is None
    assert CaseEvent.objects.filter(case=case).count() == events_before
    assert not MeetingDecision.objects.exists() and not Action.objects.exists()
    from risk.selectors import current_sash_levels

    assert current_sash_levels(partnership_id=case.partnership_id, case_ids=[case.pk]) == {case.pk: "not_completed"}


def test_a_failure_in_the_risk_app_rolls_back_the_transition(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from risk import services as risk_services

    def broken(**kwargs: object) -> None:
        raise ValidationError({"level": "The SASH version in use has no level of concern"})

    monkeypatch.setattr(risk_services, "sash_record", broken)
    case = make_case(world.triage_officer)  # referred: two transitions happen before the SASH
    item = on_agenda(world, make_meeting(world.triage_officer), case)
    before = snapshot(case)
    with pytest.raises(ValidationError):
        accept(world, item, tier=2, sash_level="high")
    assert snapshot(case) == before
    assert case.status == CaseStatus.REFERRED


def test_the_sash_level_is_recorded_through_the_risk_app(world: World) -> None:
    from risk.selectors import current_sash_levels

    case = waiting_case(world)
    item = on_agenda(world, make_meeting(world.triage_officer), case)
    accept(world, item, tier=1, sash_level="moderate_high")
    assert current_sash_levels(partnership_id=case.partnership_id, case_ids=[case.pk]) == {case.pk: "moderate_high"}


def test_a_decision_with_actions_sets_the_cases_next_due_date(world: World) -> None:
    case = waiting_case(world)
    item = on_agenda(world, make_meeting(world.triage_officer), case)
    services.decision_record(
        actor=world.triage_officer,
        item=item,
        data=services.DecisionInput(outcome=Outcome.ACCEPTED, tier=2),
        actions=[
            services.ActionInput(owner_id=world.advocate.pk, description="Call", due_on=TODAY() + dt.timedelta(days=9)),
            services.ActionInput(
                owner_id=world.probation_practitioner.pk, description="Check", due_on=TODAY() + dt.timedelta(days=4)
            ),
        ],
    )
    case.refresh_from_db()
    assert case.next_due_on == TODAY() + dt.timedelta(days=4)
    first = Action.objects.get(owner=world.probation_practitioner)
    assert first.owner_agency == world.probation
    services.action_complete(actor=world.probation_practitioner, action=first, note="No licence conditions.")
    case.refresh_from_db()
    assert case.next_due_on == TODAY() + dt.timedelta(days=9)


def test_a_clinic_hearing_marks_the_case_heard_at_clinic_and_records_the_stalker_type(world: World) -> None:
    case = waiting_case(world)
    accept(world, on_agenda(world, make_meeting(world.triage_officer), case), tier=2, refer_to_clinic=True)
    clinic = make_meeting(world.clinician, kind=MeetingKind.CLINIC)
    item = services.agenda_add(actor=world.clinician, meeting=clinic, case_id=case.pk)
    assert item.source == AgendaSource.REFERRED_TO_CLINIC
    assert item.hearing == Hearing.FULL

    services.decision_record(
        actor=world.clinician,
        item=item,
        data=services.DecisionInput(outcome=Outcome.REVIEWED, stalker_type="rejected", tier=1),
    )

    case.refresh_from_db()
    assert (case.status, case.heard_at_clinic, case.stalker_type, case.tier) == ("accepted", True, "rejected", 1)
    latest = CaseEvent.objects.filter(case=case).order_by("-id").first()
    assert latest is not None
    assert latest.summary.startswith("Stalking clinic of")
    assert "Tier 1 (was tier 2)" in latest.summary and "Heard at the stalking clinic" in latest.summary


def test_deferring_puts_a_referred_case_forward_and_decides_nothing(world: World) -> None:
    case = make_case(world.triage_officer)
    item = on_agenda(world, make_meeting(world.triage_officer), case)
    services.decision_record(
        actor=world.triage_officer, item=item, data=services.DecisionInput(outcome=Outcome.DEFERRED)
    )
    case.refresh_from_db()
    assert (case.status, case.decision, case.tier) == (CaseStatus.AWAITING_TRIAGE, Decision.PENDING, None)


def test_a_case_is_decided_once_per_agenda_item(world: World) -> None:
    item = on_agenda(world, make_meeting(world.triage_officer), waiting_case(world))
    accept(world, item)
    with pytest.raises(ValidationError) as exc:
        accept(world, item, tier=3)
    assert "already" in exc.value.message_dict["outcome"][0]


def test_a_meeting_that_has_not_happened_cannot_decide(world: World) -> None:
    meeting = make_meeting(world.triage_officer, day=TODAY() + dt.timedelta(days=2))
    item = on_agenda(world, meeting, waiting_case(world))
    with pytest.raises(ValidationError) as exc:
        accept(world, item)
    assert "not happened yet" in exc.value.message_dict["outcome"][0]


def test_a_concluded_meeting_is_read_only(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    item = on_agenda(world, meeting, waiting_case(world))
    services.meeting_conclude(actor=world.triage_officer, meeting=meeting)
    item.meeting.refresh_from_db()
    with pytest.raises(ValidationError):
        accept(world, item)
    with pytest.raises(ValidationError):
        services.information_share_record(actor=world.advocate, item=item, text="Late news")


@pytest.mark.parametrize("role", ["advocate", "clinician", "probation_practitioner", "programme_manager"])
def test_only_those_who_run_triage_meetings_record_their_decisions(world: World, role: str) -> None:
    item = on_agenda(world, make_meeting(world.triage_officer), waiting_case(world))
    with pytest.raises(PermissionDenied):
        services.decision_record(
            actor=getattr(world, role), item=item, data=services.DecisionInput(outcome=Outcome.ACCEPTED, tier=2)
        )


def test_a_case_outside_the_actors_scope_is_404_for_every_write(world: World, other_world: World) -> None:
    item = on_agenda(world, make_meeting(world.triage_officer), waiting_case(world))
    stranger = other_world.triage_officer
    with pytest.raises(Http404):
        services.decision_record(actor=stranger, item=item, data=services.DecisionInput(outcome="accepted", tier=2))
    with pytest.raises(Http404):
        services.information_share_record(actor=stranger, item=item, text="x")
    with pytest.raises(Http404):
        services.agenda_add(actor=stranger, meeting=item.meeting, case_id=item.case_id)
    own_meeting = make_meeting(stranger)
    with pytest.raises(Http404):  # a case of another partnership cannot go on one's own agenda either
        services.agenda_add(actor=stranger, meeting=own_meeting, case_id=item.case_id)


# --- case_record_triage_outcome ------------------------------------------------------------------------------------


def test_recording_a_triage_outcome_validates_and_writes_one_timeline_entry(world: World) -> None:
    case = waiting_case(world)
    with pytest.raises(ValidationError) as exc:
        case_services.case_record_triage_outcome(actor=world.triage_officer, case=case, tier=0)
    assert "tier" in exc.value.message_dict
    with pytest.raises(ValidationError):
        case_services.case_record_triage_outcome(actor=world.advocate, case=case, tier=2)
    before = CaseEvent.objects.filter(case=case).count()
    case_services.case_record_triage_outcome(actor=world.triage_officer, case=case, tier=4, stalker_type="predatory")
    case_services.case_record_triage_outcome(actor=world.triage_officer, case=case, tier=4)  # no change: no entry
    case.refresh_from_db()
    assert (case.tier, case.stalker_type) == (4, "predatory")
    assert list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", "summary"))[before:] == [
        (EventKind.MEETING, "Tier 4; Stalker type: predatory")
    ]


# --- the agenda ------------------------------------------------------------------------------------------------------


def test_a_triage_agenda_proposes_the_cases_awaiting_triage_the_user_can_see(world: World) -> None:
    first = waiting_case(world, received_on=TODAY() - dt.timedelta(days=10))
    second = waiting_case(world, received_on=TODAY() - dt.timedelta(days=5))
    make_case(world.triage_officer)  # still referred: not proposed
    not_ours = waiting_case(world)
    case_services.case_grant_user(actor=world.triage_officer, case=not_ours, user=world.admin, reason="Restricted")
    Case.objects.filter(pk=not_ours.pk).update(is_restricted=True)  # the triage officer can no longer see it
    meeting = make_meeting(world.triage_officer)

    proposals = selectors.agenda_proposals_for_user(user=world.triage_officer, meeting=meeting)
    assert [p.case.pk for p in proposals] == [first.pk, second.pk]
    assert {p.source for p in proposals} == {AgendaSource.AWAITING_TRIAGE}

    services.agenda_add_proposed(actor=world.triage_officer, meeting=meeting, case_ids=[second.pk])
    assert [p.case.pk for p in selectors.agenda_proposals_for_user(user=world.triage_officer, meeting=meeting)] == [
        first.pk
    ]


def test_a_clinic_agenda_proposes_high_risk_cases_and_clinic_referrals_until_heard(world: World) -> None:
    high = waiting_case(world)
    Case.objects.filter(pk=high.pk).update(current_risk="high")
    referred = waiting_case(world)
    accept(world, on_agenda(world, make_meeting(world.triage_officer), referred), refer_to_clinic=True)
    waiting_case(world)  # neither: not proposed
    clinic = make_meeting(world.clinician, kind=MeetingKind.CLINIC)

    proposals = {p.case.pk: p.source for p in selectors.agenda_proposals_for_user(user=world.clinician, meeting=clinic)}
    assert proposals == {high.pk: AgendaSource.HIGH_RISK, referred.pk: AgendaSource.REFERRED_TO_CLINIC}

    item = services.agenda_add(actor=world.clinician, meeting=clinic, case_id=referred.pk)
    services.decision_record(actor=world.clinician, item=item, data=services.DecisionInput(outcome=Outcome.REVIEWED))
    next_clinic = make_meeting(world.clinician, kind=MeetingKind.CLINIC, day=TODAY() + dt.timedelta(days=7))
    assert [p.case.pk for p in selectors.agenda_proposals_for_user(user=world.clinician, meeting=next_clinic)] == [
        high.pk
    ]


def test_confirmed_reoffending_in_monitoring_brings_the_case_back_to_clinic(world: World) -> None:
    from followups.models import ReoffendingRecord

    case = waiting_case(world)
    Case.objects.filter(pk=case.pk).update(status="monitoring")
    clinic = make_meeting(world.clinician, kind=MeetingKind.CLINIC)

    def proposed(meeting: Any) -> dict[int, str]:
        return {p.case.pk: p.source for p in selectors.agenda_proposals_for_user(user=world.clinician, meeting=meeting)}

    assert case.pk not in proposed(clinic)  # monitoring, nothing found
    record = {"occurred_on": TODAY(), "kind": "persistence", "victim": "same", "source": "police", "offence": "other"}
    ReoffendingRecord.objects.create(case=case, **record)
    assert proposed(clinic) == {case.pk: AgendaSource.REOFFENDING}
    # A closed case is not in monitoring: not proposed, whatever was recorded.
    Case.objects.filter(pk=case.pk).update(status="closed")
    assert case.pk not in proposed(clinic)
    Case.objects.filter(pk=case.pk).update(status="monitoring")
    # Heard at clinic: no longer proposed, until re-offending is confirmed again.
    item = services.agenda_add(actor=world.clinician, meeting=clinic, case_id=case.pk)
    services.decision_record(actor=world.clinician, item=item, data=services.DecisionInput(outcome=Outcome.REVIEWED))
    next_clinic = make_meeting(world.clinician, kind=MeetingKind.CLINIC, day=TODAY() + dt.timedelta(days=7))
    assert case.pk not in proposed(next_clinic)
    ReoffendingRecord.objects.create(case=case, **record)
    assert proposed(next_clinic) == {case.pk: AgendaSource.REOFFENDING}


def test_the_agenda_reorders_and_renumbers(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    a, b, c = (on_agenda(world, meeting, waiting_case(world)) for _ in range(3))

    def order() -> list[int]:
        return list(AgendaItem.objects.filter(meeting=meeting).order_by("position").values_list("pk", flat=True))

    services.agenda_move(actor=world.triage_officer, meeting=meeting, item_id=c.pk, direction="up")
    assert order() == [a.pk, c.pk, b.pk]
    services.agenda_reorder(actor=world.triage_officer, meeting=meeting, item_ids=[b.pk, a.pk, c.pk])
    assert order() == [b.pk, a.pk, c.pk]
    with pytest.raises(ValidationError):
        services.agenda_reorder(actor=world.triage_officer, meeting=meeting, item_ids=[b.pk, a.pk])
    services.agenda_remove(actor=world.triage_officer, meeting=meeting, item_id=a.pk)
    assert list(AgendaItem.objects.filter(meeting=meeting).order_by("position").values_list("position", flat=True)) == [
        1,
        2,
    ]
    services.agenda_set_hearing(actor=world.triage_officer, meeting=meeting, item_id=b.pk, hearing=Hearing.FULL)
    assert AgendaItem.objects.get(pk=b.pk).hearing == Hearing.FULL


def test_a_case_with_something_recorded_stays_on_the_agenda(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    item = on_agenda(world, meeting, waiting_case(world))
    services.information_share_record(actor=world.probation_practitioner, item=item, text="Not known to probation.")
    with pytest.raises(ValidationError):
        services.agenda_remove(actor=world.triage_officer, meeting=meeting, item_id=item.pk)


def test_a_case_goes_on_an_agenda_once_and_a_closed_case_not_at_all(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    case = waiting_case(world)
    on_agenda(world, meeting, case)
    with pytest.raises(ValidationError):
        on_agenda(world, meeting, case)
    declined = waiting_case(world)
    case_services.case_transition(
        actor=world.triage_officer, case=declined, to_status="declined", decision="not_stalking", reason="No"
    )
    with pytest.raises(ValidationError) as exc:
        on_agenda(world, meeting, declined)
    assert "nothing to decide" in exc.value.message_dict["case"][0]


# --- what each agency brings -----------------------------------------------------------------------------------------


def test_a_health_entry_is_hidden_from_a_police_reader(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    item = on_agenda(world, meeting, waiting_case(world))
    services.information_share_record(actor=world.triage_officer, item=item, text="Arrested twice this year.")
    services.information_share_record(
        actor=world.clinician, item=item, text="Under the crisis team since March.", record_class=RecordClass.CLINICAL
    )

    def texts(user: object) -> list[str]:
        detail = selectors.meeting_detail_for_user(user=user, meeting_id=meeting.pk)  # type: ignore[arg-type]
        return [share.text for share in detail.items[0].shares]

    assert texts(world.triage_officer) == ["Arrested twice this year."]
    assert texts(world.advocate) == ["Arrested twice this year."]
    assert texts(world.clinician) == ["Arrested twice this year.", "Under the crisis team since March."]


def test_nobody_writes_or_attributes_a_class_of_record_their_agency_may_not_see(world: World) -> None:
    item = on_agenda(world, make_meeting(world.triage_officer), waiting_case(world))
    with pytest.raises(ValidationError) as exc:
        services.information_share_record(
            actor=world.triage_officer, item=item, text="x", record_class=RecordClass.CLINICAL
        )
    assert "record_class" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # police may see victim location; probation may not
        services.information_share_record(
            actor=world.triage_officer,
            item=item,
            text="x",
            record_class=RecordClass.VICTIM_LOCATION,
            agency_id=world.probation.pk,
        )
    assert "record_class" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # only whoever runs the meeting speaks for another agency
        services.information_share_record(actor=world.advocate, item=item, text="x", agency_id=world.police.pk)
    assert "agency" in exc.value.message_dict
    share = services.information_share_record(
        actor=world.triage_officer, item=item, text="Probation says: on licence.", agency_id=world.probation.pk
    )
    assert share.agency == world.probation and share.recorded_by == world.triage_officer


# --- actions ---------------------------------------------------------------------------------------------------------


def test_an_action_owner_must_see_the_case_and_its_record_class(world: World) -> None:
    case = waiting_case(world)
    item = on_agenda(world, make_meeting(world.triage_officer), case)
    case_services.case_share_remove(actor=world.triage_officer, case=case, agency=world.health, reason="Not needed")
    with pytest.raises(ValidationError) as exc:
        services.action_create(
            actor=world.triage_officer,
            item=item,
            data=services.ActionInput(owner_id=world.clinician.pk, description="Assess", due_on=TODAY()),
        )
    assert "cannot see this case" in exc.value.message_dict["owner"][0]
    with pytest.raises(ValidationError) as exc:
        services.action_create(
            actor=world.triage_officer,
            item=item,
            data=services.ActionInput(
                owner_id=world.probation_practitioner.pk,
                description="Visit the victim's new address",
                due_on=TODAY(),
                record_class=RecordClass.VICTIM_LOCATION,
            ),
        )
    assert "record_class" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.action_create(
            actor=world.triage_officer,
            item=item,
            data=services.ActionInput(
                owner_id=world.advocate.pk, owner_agency_id=world.police.pk, description="Call", due_on=TODAY()
            ),
        )
    assert "owner" in exc.value.message_dict


def test_actions_are_completed_cancelled_and_rescheduled_by_their_owners_side(world: World) -> None:
    item = on_agenda(world, make_meeting(world.triage_officer), waiting_case(world))
    action = services.action_create(
        actor=world.triage_officer,
        item=item,
        data=services.ActionInput(owner_id=world.advocate.pk, description="Call the victim", due_on=TODAY()),
    )
    with pytest.raises(PermissionDenied):
        services.action_complete(actor=world.probation_practitioner, action=action)
    moved = services.action_reschedule(actor=world.advocate, action=action, due_on=TODAY() + dt.timedelta(days=3))
    assert moved.due_on == TODAY() + dt.timedelta(days=3)
    with pytest.raises(ValidationError):
        services.action_cancel(actor=world.advocate, action=action, reason="  ")
    done = services.action_complete(actor=world.advocate, action=action, note="Spoke to her.")
    assert (done.status, done.completed_by, done.completion_note) == (
        ActionStatus.DONE,
        world.advocate,
        "Spoke to her.",
    )
    with pytest.raises(ValidationError):
        services.action_cancel(actor=world.triage_officer, action=action, reason="Again")


def test_the_action_lists_show_mine_and_my_agencys_open_actions_overdue_first(world: World) -> None:
    from agencies.models import Role
    from tests.factories import make_user

    colleague = make_user(world.advocacy, Role.ADVOCATE)
    meeting = make_meeting(world.triage_officer, day=TODAY() - dt.timedelta(days=7))
    item = on_agenda(world, meeting, waiting_case(world))
    mine_late = services.action_create(
        actor=world.triage_officer,
        item=item,
        data=services.ActionInput(
            owner_id=world.advocate.pk, description="Late", due_on=TODAY() - dt.timedelta(days=2)
        ),
    )
    mine_later = services.action_create(
        actor=world.triage_officer,
        item=item,
        data=services.ActionInput(
            owner_id=world.advocate.pk, description="Later", due_on=TODAY() + dt.timedelta(days=2)
        ),
    )
    theirs = services.action_create(
        actor=world.triage_officer,
        item=item,
        data=services.ActionInput(owner_id=colleague.pk, description="Theirs", due_on=TODAY()),
    )
    mine = selectors.action_list_for_user(user=world.advocate, scope=selectors.ActionScope.MINE)
    assert [(r.action.pk, r.overdue, r.due_today) for r in mine.rows] == [
        (mine_late.pk, True, False),
        (mine_later.pk, False, False),
    ]
    agency = selectors.action_list_for_user(user=world.advocate, scope=selectors.ActionScope.AGENCY)
    assert [r.action.pk for r in agency.rows] == [mine_late.pk, theirs.pk, mine_later.pk]
    assert selectors.action_list_for_user(user=world.probation_practitioner, scope="agency").rows == []


def _hidden_from_the_triage_officer(world: World) -> Case:
    """A case on the agenda that only the partnership admin may see (restricted, a personal grant)."""
    case = waiting_case(world)
    case_services.case_grant_user(actor=world.triage_officer, case=case, user=world.admin, reason="Restricted")
    Case.objects.filter(pk=case.pk).update(is_restricted=True)
    return case


def test_the_agenda_order_needs_and_moves_only_the_items_the_manager_can_see(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    first = on_agenda(world, meeting, waiting_case(world))
    second = on_agenda(world, meeting, waiting_case(world))
    hidden_case = _hidden_from_the_triage_officer(world)
    hidden = services.agenda_add(actor=world.admin, meeting=meeting, case_id=hidden_case.pk)

    def order() -> list[int]:
        return list(AgendaItem.objects.filter(meeting=meeting).order_by("position").values_list("pk", flat=True))

    # An item of a case the manager cannot see is not theirs to move: 404, and nothing moves.
    with pytest.raises(Http404):
        services.agenda_move(actor=world.triage_officer, meeting=meeting, item_id=hidden.pk, direction="up")
    assert order() == [first.pk, second.pk, hidden.pk]
    # Naming the hidden item is refused like any wrong list, so the order confirms no id ...
    with pytest.raises(ValidationError):
        services.agenda_reorder(actor=world.triage_officer, meeting=meeting, item_ids=[second.pk, hidden.pk, first.pk])
    assert order() == [first.pk, second.pk, hidden.pk]
    # ... and the items the manager can see are reordered around it, which keeps its place.
    services.agenda_reorder(actor=world.triage_officer, meeting=meeting, item_ids=[second.pk, first.pk])
    assert order() == [second.pk, first.pk, hidden.pk]
    services.agenda_move(actor=world.triage_officer, meeting=meeting, item_id=second.pk, direction="down")
    assert order() == [first.pk, second.pk, hidden.pk]
