"""Victim advocacy services: the single point of contact, the versioned contact log, needs,
safety plans, key events and their alerts, the jobs' idempotency, feedback, notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advocacy import services
from advocacy.models import (
    AdvocacyLead,
    AdvocacySettings,
    AdvocateAssignment,
    ContactLogVersion,
    KeyEvent,
    MeasureStatus,
    SafetyMeasure,
    VictimNotice,
)
from advocacy.selectors import feedback_summary_for_user
from agencies.models import Role
from cases import services as case_services
from cases.models import Case, CaseParty, PartyRole, Person
from notifications import selectors as notification_selectors
from notifications import services as notification_services
from notifications.models import Notification
from tests.advocacy_factories import contact_input, victim_id
from tests.case_factories import VICTIM_ADDRESS, VICTIM_CODE_WORD, VICTIM_PHONE, make_case
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db

ALL_DOMAINS = (
    "safety",
    "health_wellbeing",
    "housing",
    "finance",
    "children",
    "justice",
    "work_education",
    "social_support",
)


def today() -> dt.date:
    return timezone.localdate()


def assigned_case(world: World) -> Case:
    case = make_case(world.triage_officer)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    return case


def release(world: World, case: Case, **extra: Any) -> KeyEvent:
    return services.key_event_record(
        actor=world.triage_officer,
        case=case,
        data=services.KeyEventInput(kind="release_from_custody", occurs_on=today(), **extra),
    )


def make_lead(world: World) -> Any:
    lead = make_user(world.advocacy, Role.ADVOCATE, first_name="Lena", last_name="Lead")
    services.lead_add(actor=world.admin, agency=world.advocacy, user=lead)
    return lead


# --- the single point of contact ----------------------------------------------------------------------------


def test_a_victim_has_at_most_one_current_advocate_and_handovers_keep_history(world: World) -> None:
    case = assigned_case(world)
    second = make_user(world.advocacy, Role.ADVOCATE)
    with pytest.raises(ValidationError) as missing_note:
        services.advocate_assign(actor=world.advocate, case=case, advocate=second)
    assert "handover_note" in missing_note.value.message_dict
    services.advocate_assign(actor=world.advocate, case=case, advocate=second, handover_note="Court on Friday.")
    rows = list(AdvocateAssignment.objects.filter(case=case).order_by("started_at", "id"))
    assert [(r.advocate, r.ended_at is None) for r in rows] == [(world.advocate, False), (second, True)]
    assert rows[1].handover_note == "Court on Friday." and rows[0].ended_by == world.advocate
    with pytest.raises(ValidationError):
        services.advocate_assign(actor=second, case=case, advocate=second, handover_note="again")
    # The database refuses a second current advocate even if a service forgot to end the first.
    with pytest.raises(IntegrityError), transaction.atomic():
        AdvocateAssignment.objects.create(
            case=case,
            person_id=victim_id(case),
            advocate=world.advocate,
            agency=world.advocacy,
            started_at=timezone.now(),
            assigned_by=world.advocate,
        )


def test_only_an_advocate_who_can_see_the_case_can_be_assigned(world: World, other_world: World) -> None:
    case = make_case(world.triage_officer)
    for candidate in (world.probation_practitioner, world.clinician, other_world.advocate, world.triage_officer):
        with pytest.raises(ValidationError) as refused:
            services.advocate_assign(actor=world.triage_officer, case=case, advocate=candidate)
        assert "advocate" in refused.value.message_dict
    with pytest.raises(Http404):
        services.advocate_assign(actor=world.probation_practitioner, case=case, advocate=world.advocate)


def test_ending_support_leaves_no_current_advocate(world: World) -> None:
    case = assigned_case(world)
    with pytest.raises(ValidationError):
        services.advocate_end(actor=world.advocate, case=case, note="")
    ended = services.advocate_end(actor=world.advocate, case=case, note="Victim moved away.")
    assert ended.ended_at is not None and ended.end_note == "Victim moved away."
    assert services.current_assignment(case_id=case.pk, person_id=victim_id(case)) is None


def test_a_handover_takes_untold_key_events_to_the_new_advocate_who_is_told(world: World) -> None:
    case = assigned_case(world)
    event = release(world, case)
    second = make_user(world.advocacy, Role.ADVOCATE)
    services.advocate_assign(actor=world.advocate, case=case, advocate=second, handover_note="Release today.")
    notice = VictimNotice.objects.get(key_event=event)
    assert notice.advocate == second
    alert = Notification.objects.get(recipient=second)
    assert "1 key event(s) still need telling" in alert.body


# --- the contact log ----------------------------------------------------------------------------------------


def test_an_edit_keeps_the_earlier_version(world: World) -> None:
    case = assigned_case(world)
    entry = services.contact_record(actor=world.advocate, case=case, data=contact_input(summary="First reading."))
    with pytest.raises(ValidationError) as no_reason:
        services.contact_update(actor=world.advocate, entry=entry, data=contact_input(summary="Second."), reason="")
    assert "reason" in no_reason.value.message_dict
    changed = services.contact_update(
        actor=world.advocate,
        entry=entry,
        data=contact_input(summary="Second reading.", channel="video", occurred_at=entry.occurred_at),
        reason="Wrong channel recorded.",
    )
    assert (changed.version, changed.summary, changed.channel) == (2, "Second reading.", "video")
    versions = list(ContactLogVersion.objects.filter(entry=entry).order_by("number"))
    assert [(v.number, v.summary, v.channel, v.edit_reason) for v in versions] == [
        (1, "First reading.", "phone", ""),
        (2, "Second reading.", "video", "Wrong channel recorded."),
    ]
    with pytest.raises(ValidationError) as unchanged:
        services.contact_update(
            actor=world.advocate,
            entry=changed,
            data=contact_input(
                summary="Second reading.",
                channel="video",
                occurred_at=entry.occurred_at,
                next_contact_due=changed.next_contact_due,
            ),
            reason="No change",
        )
    assert unchanged.value.message_dict == {"reason": ["Nothing was changed"]}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"occurred_at": timezone.now() + dt.timedelta(days=1)}, "occurred_at"),
        ({"topics": []}, "topics"),
        ({"topics": ["gardening"]}, "topics"),
        ({"summary": "  "}, "summary"),
        ({"duration_minutes": 5000}, "duration_minutes"),
        ({"channel": "pigeon"}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"next_contact_due": dt.date(2020, 1, 1)}, "next_contact_due"),
    ],
)
def test_contact_validation(world: World, overrides: dict[str, Any], field: str) -> None:
    case = assigned_case(world)
    with pytest.raises(ValidationError) as refused:
        services.contact_record(actor=world.advocate, case=case, data=contact_input(**overrides))
    assert field in refused.value.message_dict


def test_the_contact_log_is_the_advocacy_services(world: World) -> None:
    case = assigned_case(world)
    for actor in (world.triage_officer, world.probation_practitioner, world.clinician):
        with pytest.raises(Http404):
            services.contact_record(actor=actor, case=case, data=contact_input())


# --- the caseload's next-due date ---------------------------------------------------------------------------


def test_next_due_is_the_earliest_of_contact_needs_plan_measure_and_telling(world: World) -> None:
    case = assigned_case(world)
    d = today()
    services.contact_record(actor=world.advocate, case=case, data=contact_input(next_contact_due=d + dt.timedelta(9)))
    case.refresh_from_db()
    assert case.next_due_on == d + dt.timedelta(9)
    services.needs_assess(
        actor=world.advocate,
        case=case,
        assessed_on=d,
        review_on=d + dt.timedelta(8),
        levels=dict.fromkeys(ALL_DOMAINS, "low"),
    )
    services.safety_plan_review(
        actor=world.advocate, case=case, reviewed_on=d, summary="ok", next_review_on=d + dt.timedelta(7)
    )
    measure = services.safety_measure_add(
        actor=world.advocate,
        case=case,
        data=services.MeasureInput(kind="alarm", owner_agency=world.police, review_on=d + dt.timedelta(6)),
    )
    case.refresh_from_db()
    assert case.next_due_on == d + dt.timedelta(6)
    # A declined measure is not due for review; the plan's date is next.
    services.safety_measure_update(actor=world.advocate, measure=measure, status=MeasureStatus.DECLINED)
    case.refresh_from_db()
    assert case.next_due_on == d + dt.timedelta(7)
    # A later contact without a next date supersedes the earlier one's.
    services.contact_record(actor=world.advocate, case=case, data=contact_input(next_contact_due=None))
    event = release(world, case)
    case.refresh_from_db()
    notice = VictimNotice.objects.get(key_event=event)
    # Told within 24 hours: due tomorrow.
    assert case.next_due_on == timezone.localdate(notice.tell_by) == d + dt.timedelta(1)
    services.victim_told(actor=world.advocate, notice=notice, told_at=timezone.now(), method="phone")
    case.refresh_from_db()
    assert case.next_due_on == d + dt.timedelta(7)


# --- needs --------------------------------------------------------------------------------------------------


def test_a_needs_assessment_needs_every_domain_and_a_review_date(world: World) -> None:
    case = assigned_case(world)
    partial = dict.fromkeys(ALL_DOMAINS[:-1], "high")
    with pytest.raises(ValidationError) as refused:
        services.needs_assess(actor=world.advocate, case=case, assessed_on=today(), review_on=None, levels=partial)
    assert {"review_on", "level_social_support"} <= set(refused.value.message_dict)
    assessment = services.needs_assess(
        actor=world.advocate,
        case=case,
        assessed_on=today(),
        review_on=today() + dt.timedelta(days=28),
        levels={**partial, "social_support": "none"},
    )
    assert sorted(assessment.items.values_list("domain", "level")) == sorted(
        [*((d, "high") for d in ALL_DOMAINS[:-1]), ("social_support", "none")]
    )


# --- safety plans -------------------------------------------------------------------------------------------


def test_measures_follow_the_status_table_with_their_dates(world: World) -> None:
    case = assigned_case(world)
    measure = services.safety_measure_add(
        actor=world.triage_officer,
        case=case,
        data=services.MeasureInput(kind="cctv", owner_agency=world.police, proposed_on=today() - dt.timedelta(days=3)),
    )
    with pytest.raises(ValidationError) as early:
        services.safety_measure_update(
            actor=world.advocate, measure=measure, status="in_place", on=today() - dt.timedelta(days=4)
        )
    assert early.value.message_dict == {"on": ["The date cannot be before the measure was proposed"]}
    with pytest.raises(ValidationError) as refused:
        services.safety_measure_update(actor=world.advocate, measure=measure, status=MeasureStatus.ENDED)
    assert refused.value.message_dict == {"status": ["A measure that is proposed cannot become ended"]}
    day = today() - dt.timedelta(days=1)
    measure = services.safety_measure_update(actor=world.advocate, measure=measure, status="in_place", on=day)
    assert (measure.status, measure.in_place_on) == ("in_place", day)
    measure = services.safety_measure_update(actor=world.advocate, measure=measure, status="ended")
    assert (measure.status, measure.ended_on) == ("ended", today())
    with pytest.raises(Http404):
        services.safety_measure_update(actor=world.probation_practitioner, measure=measure, status="proposed")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(st.sampled_from(MeasureStatus.values), min_size=1, max_size=6))
def test_any_sequence_of_status_changes_obeys_the_table(world: World, moves: list[str]) -> None:
    case = make_case(world.triage_officer, crime_reference="")
    measure = services.safety_measure_add(
        actor=world.advocate, case=case, data=services.MeasureInput(kind="alarm", owner_agency=world.advocacy)
    )
    state = "proposed"
    for move in moves:
        allowed = move in services.MEASURE_TRANSITIONS[state]
        try:
            measure = services.safety_measure_update(actor=world.advocate, measure=measure, status=move)
        except ValidationError:
            assert not allowed and move != state
        else:
            assert allowed or move == state
            state = move
        stored = SafetyMeasure.objects.get(pk=measure.pk)
        assert stored.status == state
        assert (stored.in_place_on is not None) or state != "in_place"
        assert (stored.ended_on is not None) or state != "ended"


# --- key events ---------------------------------------------------------------------------------------------


def test_a_recorded_key_event_alerts_the_advocate_at_once_without_naming_anyone(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    case = assigned_case(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = release(world, case, details="Released on licence.")
    notice = VictimNotice.objects.get(key_event=event)
    assert notice.advocate == world.advocate and notice.agency == world.advocacy
    assert notice.tell_by == event.recorded_at + dt.timedelta(hours=24)
    alert = Notification.objects.get(recipient=world.advocate)
    assert alert.subject == f"Key event on case {case.reference}: release from custody"
    assert alert.link == f"/advocacy/cases/{case.pk}/key-events/notices/{notice.pk}/"
    for secret in ("Hannah", "Mills", "Darren", "Cole", VICTIM_ADDRESS, VICTIM_PHONE, VICTIM_CODE_WORD):
        assert secret not in alert.subject + alert.body
    # The e-mail goes on commit, as a Celery task.
    assert len(callbacks) == 1


def test_every_victim_of_the_case_gets_a_notice(world: World) -> None:
    case = assigned_case(world)
    second_victim = Person.objects.create(partnership=world.partnership, given_name="Sam", family_name="Vale")
    CaseParty.objects.create(case=case, person=second_victim, role=PartyRole.SECONDARY_VICTIM)
    event = release(world, case)
    notices = {n.person_id: n for n in VictimNotice.objects.filter(key_event=event)}
    assert set(notices) == {victim_id(case), second_victim.pk}
    assert notices[victim_id(case)].advocate == world.advocate
    assert notices[second_victim.pk].advocate is None and notices[second_victim.pk].agency == world.advocacy


def test_with_no_advocate_the_leads_are_alerted_at_once(world: World) -> None:
    case = make_case(world.triage_officer)
    lead = make_lead(world)
    event = release(world, case)
    alert = Notification.objects.get(recipient=lead)
    assert alert.subject == f"No advocate to tell the victim: case {case.reference}"
    assert alert.key == f"victim-notice:{VictimNotice.objects.get(key_event=event).pk}:unallocated"


def test_the_deadline_to_tell_is_the_partnerships_setting(world: World) -> None:
    services.settings_update(actor=world.admin, tell_victim_within_hours=4, review_reminder_days=1)
    event = release(world, assigned_case(world))
    assert VictimNotice.objects.get(key_event=event).tell_by == event.recorded_at + dt.timedelta(hours=4)
    with pytest.raises(ValidationError):
        services.settings_update(actor=world.admin, tell_victim_within_hours=0, review_reminder_days=1)
    with pytest.raises(Http404):
        services.settings_update(actor=world.advocate, tell_victim_within_hours=5, review_reminder_days=1)


def test_orders_and_breaches_in_the_cases_app_raise_key_events_once(world: World) -> None:
    case = assigned_case(world)
    order = case_services.order_record(
        actor=world.triage_officer,
        case=case,
        kind="restraining_order",
        made_on=today() - dt.timedelta(days=2),
        expires_on=today() + dt.timedelta(days=700),
    )
    bail = case_services.order_record(
        actor=world.probation_practitioner, case=case, kind="bail_conditions", made_on=today()
    )
    order.case = case
    breach = case_services.breach_record(actor=world.triage_officer, order=order, occurred_on=today())
    events = list(KeyEvent.objects.filter(case=case).order_by("id").values_list("kind", "source", "order", "breach"))
    assert events == [
        ("order_made", "order", order.pk, None),
        ("bail_change", "order", bail.pk, None),
        ("order_breached", "breach", order.pk, breach.pk),
    ]
    assert Notification.objects.filter(recipient=world.advocate).count() == 3
    # Told twice (a retried call), the listener raises nothing new.
    from cases.extensions import OrderEvent

    services.on_order_event(OrderEvent(kind="order_made", order=order, actor=world.triage_officer))
    services.on_order_event(OrderEvent(kind="order_breached", order=order, actor=world.triage_officer, breach=breach))
    assert KeyEvent.objects.filter(case=case).count() == 3


def test_expired_orders_raise_a_key_event_once_when_recent_and_open(world: World) -> None:
    d = today()
    case = assigned_case(world)
    recent = case_services.order_record(
        actor=world.triage_officer,
        case=case,
        kind="bail_conditions",
        made_on=d - dt.timedelta(days=30),
        expires_on=d - dt.timedelta(days=1),
    )
    case_services.order_record(
        actor=world.triage_officer,
        case=case,
        kind="bail_conditions",
        made_on=d - dt.timedelta(days=90),
        expires_on=d - dt.timedelta(days=20),
    )
    case_services.order_record(
        actor=world.triage_officer,
        case=case,
        kind="restraining_order",
        made_on=d - dt.timedelta(days=3),
        expires_on=d,
    )
    assert services.order_expiry_key_events_raise(today=d) == 1
    assert services.order_expiry_key_events_raise(today=d) == 0
    expired = KeyEvent.objects.get(kind="order_expired")
    assert (expired.order_id, expired.occurs_on, expired.source, expired.recorded_by) == (
        recent.pk,
        d - dt.timedelta(days=1),
        "order_expiry",
        None,
    )


def test_telling_the_victim_is_recorded_once_and_not_in_the_future(world: World) -> None:
    case = assigned_case(world)
    notice = VictimNotice.objects.get(key_event=release(world, case))
    with pytest.raises(ValidationError) as future:
        services.victim_told(
            actor=world.advocate, notice=notice, told_at=timezone.now() + dt.timedelta(hours=2), method="phone"
        )
    assert "told_at" in future.value.message_dict
    with pytest.raises(Http404):
        services.victim_told(actor=world.triage_officer, notice=notice, told_at=timezone.now(), method="phone")
    told = services.victim_told(
        actor=world.advocate, notice=notice, told_at=timezone.now(), method="in_person", note="At the office."
    )
    assert (told.told_method, told.told_by, told.told_note) == ("in_person", world.advocate, "At the office.")
    with pytest.raises(ValidationError):
        services.victim_told(actor=world.advocate, notice=notice, told_at=timezone.now(), method="phone")


# --- the escalation job (service level; the worker test is in test_advocacy_jobs.py) ------------------------


def test_escalation_alerts_the_lead_once_for_an_overdue_notice(world: World) -> None:
    case = assigned_case(world)
    lead = make_lead(world)
    notice = VictimNotice.objects.get(key_event=release(world, case))
    told_notice = VictimNotice.objects.get(key_event=release(world, case))
    services.victim_told(actor=world.advocate, notice=told_notice, told_at=timezone.now(), method="phone")
    assert services.key_event_notices_escalate() == 0  # nothing is overdue yet
    later = notice.tell_by + dt.timedelta(minutes=1)
    assert services.key_event_notices_escalate(now=later) == 1
    assert services.key_event_notices_escalate(now=later) == 0
    alerts = Notification.objects.filter(recipient=lead, key__endswith=":overdue")
    assert [a.key for a in alerts] == [f"victim-notice:{notice.pk}:overdue"]
    assert "rests with the advocate" in alerts[0].body
    notice.refresh_from_db()
    assert notice.escalated_at == later


def test_with_no_lead_the_partnership_admins_who_may_see_it_are_alerted(world: World) -> None:
    case = assigned_case(world)
    probation_admin = make_user(world.probation, Role.PARTNERSHIP_ADMIN)
    notice = VictimNotice.objects.get(key_event=release(world, case))
    services.key_event_notices_escalate(now=notice.tell_by + dt.timedelta(minutes=1))
    assert Notification.objects.filter(recipient=world.admin, key__endswith=":overdue").count() == 1
    # An admin whose agency may not see victim location is not sent a victim's business.
    assert not Notification.objects.filter(recipient=probation_admin).exists()


# --- safety-plan review reminders ---------------------------------------------------------------------------


def test_review_reminders_are_sent_once_per_review_date(world: World) -> None:
    d = today()
    case = assigned_case(world)
    measure = services.safety_measure_add(
        actor=world.advocate,
        case=case,
        data=services.MeasureInput(kind="alarm", owner_agency=world.police, review_on=d + dt.timedelta(days=2)),
    )
    services.safety_measure_add(
        actor=world.advocate,
        case=case,
        data=services.MeasureInput(kind="cctv", owner_agency=world.police, review_on=d + dt.timedelta(days=9)),
    )
    services.safety_plan_review(
        actor=world.advocate, case=case, reviewed_on=d, summary="ok", next_review_on=d + dt.timedelta(days=3)
    )
    # Default: three days ahead. The plan (3 days) and the alarm (2 days); not the CCTV (9 days).
    assert services.safety_review_reminders_send(today=d) == 2
    assert services.safety_review_reminders_send(today=d) == 0
    keys = sorted(Notification.objects.filter(recipient=world.advocate).values_list("key", flat=True))
    plan = measure.plan
    assert keys == sorted(
        [
            f"safety-measure:{measure.pk}:review:{d + dt.timedelta(days=2)}",
            f"safety-plan:{plan.pk}:review:{d + dt.timedelta(days=3)}",
        ]
    )
    # A new review date re-arms the reminder.
    services.safety_measure_update(actor=world.advocate, measure=measure, review_on=d + dt.timedelta(days=1))
    assert services.safety_review_reminders_send(today=d) == 1
    # A partnership that asks for a week's notice gets the CCTV one too.
    AdvocacySettings.objects.create(partnership=world.partnership, review_reminder_days=10)
    assert services.safety_review_reminders_send(today=d) == 1


# --- feedback -----------------------------------------------------------------------------------------------


def test_feedback_is_recorded_at_closure_and_summarised_for_reporting(world: World) -> None:
    case = assigned_case(world)
    answers = services.FeedbackInput(collected_on=today(), feels_safer=5, felt_informed=2, overall_satisfaction=4)
    with pytest.raises(ValidationError) as not_yet:
        services.feedback_record(actor=world.advocate, case=case, data=answers)
    assert "collected_on" in not_yet.value.message_dict
    services.advocate_end(actor=world.advocate, case=case, note="Support complete.")
    services.feedback_record(actor=world.advocate, case=case, data=answers)
    other = make_case(world.triage_officer, victim_name=("Rae", "Holt"), crime_reference="")
    for target in ("awaiting_triage", "accepted", "active", "monitoring"):
        other = case_services.case_transition(actor=world.triage_officer, case=other, to_status=target)
    with pytest.raises(ValidationError) as both:
        services.feedback_record(
            actor=world.advocate, case=other, data=services.FeedbackInput(collected_on=today(), declined=True, coping=2)
        )
    assert "declined" in both.value.message_dict
    services.feedback_record(
        actor=world.advocate, case=other, data=services.FeedbackInput(collected_on=today(), declined=True)
    )
    summary = feedback_summary_for_user(user=world.programme_manager)
    assert (summary.collected, summary.declined) == (2, 1)
    by_question = {q.question: q for q in summary.questions}
    assert [c for _, _, c in by_question["feels_safer"].counts] == [0, 0, 0, 0, 1]
    assert (by_question["felt_informed"].answered, by_question["felt_informed"].positive) == (1, 0)
    assert by_question["coping"].answered == 0 and by_question["coping"].positive_percent is None
    assert by_question["overall_satisfaction"].positive_percent == 100.0
    with pytest.raises(Http404):
        feedback_summary_for_user(user=world.probation_practitioner)


# --- notifications ------------------------------------------------------------------------------------------


def test_notify_is_idempotent_by_key_and_emails_once(world: World) -> None:
    user = world.probation_practitioner
    first = notification_services.notify(
        user, "Review due on case MASIP-000001", "Due tomorrow.", "/cases/1/", key="k1"
    )
    assert first is not None
    assert notification_services.notify(user, "again", key="k1") is None
    assert Notification.objects.filter(recipient=user).count() == 1
    assert notification_services.notification_email_send(notification_id=first.pk) is True
    assert notification_services.notification_email_send(notification_id=first.pk) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email] and mail.outbox[0].subject == "Review due on case MASIP-000001"
    assert "/cases/1/" in mail.outbox[0].body
    user.is_active = False
    user.save()
    assert notification_services.notify(user, "To nobody") is None


def test_a_user_reads_only_their_own_notifications(world: World) -> None:
    mine = notification_services.notify(world.advocate, "Mine")
    theirs = notification_services.notify(world.triage_officer, "Theirs")
    assert mine is not None and theirs is not None
    inbox = notification_selectors.inbox_for_user(user=world.advocate)
    assert [n.subject for n in inbox.notifications] == ["Mine"] and inbox.unread == 1
    with pytest.raises(Http404):
        notification_services.notification_mark_read(user=world.advocate, notification_id=theirs.pk)
    notification_services.notification_mark_read(user=world.advocate, notification_id=mine.pk)
    assert notification_selectors.inbox_for_user(user=world.advocate).unread == 0


def test_leads_are_members_of_the_advocacy_agency(world: World) -> None:
    with pytest.raises(ValidationError):
        services.lead_add(actor=world.admin, agency=world.advocacy, user=world.triage_officer)
    with pytest.raises(ValidationError):
        services.lead_add(actor=world.admin, agency=world.police, user=world.triage_officer)
    lead = services.lead_add(actor=world.admin, agency=world.advocacy, user=world.advocate)
    with pytest.raises(ValidationError):
        services.lead_add(actor=world.admin, agency=world.advocacy, user=world.advocate)
    services.lead_remove(actor=world.admin, lead_id=lead.pk)
    assert not AdvocacyLead.objects.exists()


def test_who_had_the_contact_is_a_colleague_of_the_advocacy_service(world: World) -> None:
    case = assigned_case(world)
    colleague = make_user(world.advocacy, Role.ADVOCATE)
    entry = services.contact_record(actor=world.advocate, case=case, data=contact_input(staff_member=colleague))
    assert (entry.staff_member, entry.created_by) == (colleague, world.advocate)
    with pytest.raises(ValidationError) as refused:
        services.contact_record(actor=world.advocate, case=case, data=contact_input(staff_member=world.triage_officer))
    assert "staff_member" in refused.value.message_dict


def test_a_broker_outage_leaves_the_alert_for_the_sweep(
    world: World, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    from notifications import tasks

    def broker_down(*args: Any) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.send_notification_email, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        alert = notification_services.notify(world.advocate, "Key event on case MASIP-000001: charge")
    assert alert is not None and Notification.objects.get(pk=alert.pk).emailed_at is None
    assert f"notification {alert.pk} e-mail not queued" in caplog.text
    later = timezone.now() + notification_selectors.EMAIL_GRACE + dt.timedelta(seconds=1)
    assert notification_selectors.notifications_email_pending(now=later) == [alert.pk]
