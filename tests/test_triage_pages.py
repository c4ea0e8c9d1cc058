"""The meeting pages: scope (404 outside it), record classes, htmx and no-JavaScript paths, minutes, actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import RecordClass, User
from audit.models import AccessAction, AccessLog
from cases import services as case_services
from cases.models import Case, CaseStatus
from tests.factories import World
from tests.triage_factories import accept, make_meeting, on_agenda, waiting_case
from triage import services
from triage.models import Action, ActionStatus, AgendaItem, Attendance, Meeting, MeetingDecision, MeetingStatus

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
CLINICAL = "Seen by the crisis team twice since March"
HTMX = {"HX-Request": "true"}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def meeting_with_entries(world: World) -> tuple[Meeting, AgendaItem]:
    meeting = make_meeting(world.triage_officer)
    item = on_agenda(world, meeting, waiting_case(world))
    services.information_share_record(actor=world.triage_officer, item=item, text="Arrested on 3 March.")
    services.information_share_record(
        actor=world.clinician, item=item, text=CLINICAL, record_class=RecordClass.CLINICAL
    )
    return meeting, item


def url(name: str, *args: Any) -> str:
    return reverse(f"triage:{name}", args=args)


# --- the list and scheduling ---------------------------------------------------------------------------------------


def test_the_meetings_list_and_the_header_links(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    html = client_for(world.advocate).get(url("meetings")).content.decode()
    assert url("meeting_detail", meeting.pk) in html
    for name in ("meetings", "my_actions", "agency_actions"):
        assert f'href="{url(name)}"' in html
    assert url("meeting_new") not in html  # an advocate does not schedule meetings


def test_staff_of_another_partnership_get_404_on_every_meeting_page(
    world: World, other_world: World, meeting_with_entries: tuple[Meeting, AgendaItem]
) -> None:
    meeting, item = meeting_with_entries
    client = client_for(other_world.admin)
    for page in (
        url("meeting_detail", meeting.pk),
        url("meeting_run", meeting.pk),
        url("minutes", meeting.pk),
        url("minutes_pdf", meeting.pk),
        url("meeting_edit", meeting.pk),
        url("case_meetings", item.case_id),
    ):
        assert client.get(page).status_code == 404, page
    for post in (
        url("decision_add", meeting.pk, item.pk),
        url("share_add", meeting.pk, item.pk),
        url("action_add", meeting.pk, item.pk),
        url("agenda_add", meeting.pk),
        url("agenda_item_remove", meeting.pk, item.pk),
        url("meeting_conclude", meeting.pk),
    ):
        assert client.post(post, {}).status_code == 404, post


def test_scheduling_a_meeting_without_javascript(world: World) -> None:
    client = client_for(world.triage_officer)
    day = TODAY() + dt.timedelta(days=3)
    form = {
        "kind": "triage",
        "day_day": str(day.day),
        "day_month": str(day.month),
        "day_year": str(day.year),
        "time": "25:00",
        "chair": str(world.triage_officer.pk),
        "location": "Room 4",
    }
    response = client.post(url("meeting_new"), form)
    assert response.status_code == 200 and "Enter a real time" in response.content.decode()
    response = client.post(url("meeting_new"), {**form, "time": "10:15"})
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == url("meeting_detail", meeting.pk)
    assert timezone.localtime(meeting.starts_at).replace(tzinfo=None) == dt.datetime.combine(day, dt.time(10, 15))
    assert meeting.chair == world.triage_officer and meeting.location == "Room 4"
    # An advocate cannot schedule; a clinician only a clinic.
    assert client_for(world.advocate).get(url("meeting_new")).status_code == 404
    response = client_for(world.clinician).post(url("meeting_new"), {**form, "time": "10:15"})
    assert "Choose the kind of meeting from the list" in response.content.decode()


# --- the agenda builder --------------------------------------------------------------------------------------------


def test_the_builder_adds_proposals_and_a_case_by_reference_with_and_without_htmx(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    first, second = waiting_case(world), waiting_case(world)
    third = waiting_case(world)
    client = client_for(world.triage_officer)

    page = client.get(url("meeting_detail", meeting.pk)).content.decode()
    for case in (first, second, third):
        assert case.reference in page

    # Without JavaScript: a redirect back to the builder.
    response = client.post(
        url("agenda_add", meeting.pk), {"proposals-cases": [str(first.pk), str(second.pk)], "proposals-hearing": "full"}
    )
    assert response.status_code == 302 and response["Location"] == url("meeting_detail", meeting.pk)
    assert list(AgendaItem.objects.filter(meeting=meeting).order_by("position").values_list("case_id", "hearing")) == [
        (first.pk, "full"),
        (second.pk, "full"),
    ]
    # With htmx: the agenda fragment, not a page.
    response = client.post(url("agenda_add", meeting.pk), {"reference-reference": third.reference}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f"Case {third.reference} added to the agenda" in body
    assert AgendaItem.objects.get(meeting=meeting, case=third).hearing == "brief"  # a triage meeting's default
    # Errors come back in the fragment against the field.
    body = client.post(
        url("agenda_add", meeting.pk), {"reference-reference": third.reference}, headers=HTMX
    ).content.decode()
    assert "is already on this agenda" in body and "govuk-error-summary" in body
    body = client.post(
        url("agenda_add", meeting.pk), {"reference-reference": "MASIP-999999"}, headers=HTMX
    ).content.decode()
    assert "There is no case with this reference that you can see" in body
    body = client.post(url("agenda_add", meeting.pk), {"proposals-hearing": "full"}, headers=HTMX).content.decode()
    assert "Choose at least one case to add" in body or "no cases to propose" in body


def test_the_builder_reorders_changes_the_hearing_and_removes(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    a, b = on_agenda(world, meeting, waiting_case(world)), on_agenda(world, meeting, waiting_case(world))
    client = client_for(world.triage_officer)
    response = client.post(url("agenda_item_move", meeting.pk, b.pk), {"direction": "up"})
    assert response.status_code == 302
    assert list(AgendaItem.objects.filter(meeting=meeting).order_by("position").values_list("pk", flat=True)) == [
        b.pk,
        a.pk,
    ]
    body = client.post(
        url("agenda_item_hearing", meeting.pk, a.pk), {f"hearing-{a.pk}-hearing": "full"}, headers=HTMX
    ).content.decode()
    assert "will be heard in full" in body
    client.post(url("agenda_item_remove", meeting.pk, a.pk))
    assert list(AgendaItem.objects.filter(meeting=meeting).values_list("pk", flat=True)) == [b.pk]
    # Only those who run the meeting change its agenda.
    assert client_for(world.advocate).post(url("agenda_item_remove", meeting.pk, b.pk)).status_code == 404


def test_attendance_is_recorded_by_agency_and_person(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    client = client_for(world.triage_officer)
    body = client.post(
        url("attendance_add", meeting.pk),
        {"attendance-agency": str(world.police.pk), "attendance-person": str(world.advocate.pk)},
        headers=HTMX,
    ).content.decode()
    assert "is not in" in body
    client.post(
        url("attendance_add", meeting.pk),
        {"attendance-agency": str(world.advocacy.pk), "attendance-person": str(world.advocate.pk)},
    )
    client.post(
        url("attendance_add", meeting.pk),
        {"attendance-agency": str(world.probation.pk), "attendance-name": "", "attendance-status": "apologies"},
    )
    rows = list(Attendance.objects.filter(meeting=meeting).values_list("agency_id", "person_id", "status"))
    assert sorted(rows) == sorted(
        [(world.advocacy.pk, world.advocate.pk, "present"), (world.probation.pk, None, "apologies")]
    )
    row = Attendance.objects.get(meeting=meeting, person=world.advocate)
    client.post(url("attendance_remove", meeting.pk, row.pk))
    assert not Attendance.objects.filter(pk=row.pk).exists()


def _logged_since(user: User, mark: int) -> list[tuple[str, str, list[str]]]:
    rows = AccessLog.objects.filter(user=user, id__gt=mark).order_by("id")
    return [(row.action, row.record_type, row.record_ids) for row in rows]


def _mark() -> int:
    return AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_removing_from_the_agenda_and_the_attendance_logs_the_write(
    world: World, other_world: World, agreement: str
) -> None:
    """Taking a case off the agenda and an agency off the attendance, on the page (with htmx and
    without) and through the API, each write their own ``change`` row and no ``view``; staff of
    another partnership are refused with 404 and leave no row."""
    meeting = make_meeting(world.triage_officer)
    a, b, c = (on_agenda(world, meeting, waiting_case(world)) for _ in range(3))
    rows = [
        services.attendance_add(actor=world.triage_officer, meeting=meeting, agency_id=agency.pk)
        for agency in (world.police, world.probation, world.health)
    ]
    outsider = other_world.triage_officer
    mark = _mark()
    page, api = client_for(outsider), APIClient()
    api.force_authenticate(outsider)
    assert page.post(url("agenda_item_remove", meeting.pk, a.pk)).status_code == 404
    assert page.post(url("attendance_remove", meeting.pk, rows[0].pk), headers=HTMX).status_code == 404
    assert api.delete(f"/api/v1/meetings/{meeting.pk}/agenda/{a.pk}/").status_code == 404
    assert api.delete(f"/api/v1/meetings/{meeting.pk}/attendance/{rows[0].pk}/").status_code == 404
    assert _logged_since(outsider, mark) == []
    assert AgendaItem.objects.filter(meeting=meeting).count() == 3
    assert Attendance.objects.filter(meeting=meeting).count() == 3

    officer = world.triage_officer
    page = client_for(officer)
    api.force_authenticate(officer)
    took_off = [(AccessAction.CHANGE, "triage.agendaitem", [str(item.pk)]) for item in (a, b, c)]
    removed = [(AccessAction.CHANGE, "triage.attendance", [str(row.pk)]) for row in rows]
    mark = _mark()
    assert page.post(url("agenda_item_remove", meeting.pk, a.pk)).status_code == 302
    assert _logged_since(officer, mark) == took_off[:1]
    mark = _mark()
    assert page.post(url("agenda_item_remove", meeting.pk, b.pk), headers=HTMX).status_code == 200
    assert _logged_since(officer, mark) == took_off[1:2]
    mark = _mark()
    assert api.delete(f"/api/v1/meetings/{meeting.pk}/agenda/{c.pk}/").status_code == 204
    assert _logged_since(officer, mark) == took_off[2:]
    mark = _mark()
    assert page.post(url("attendance_remove", meeting.pk, rows[0].pk)).status_code == 302
    assert _logged_since(officer, mark) == removed[:1]
    mark = _mark()
    assert page.post(url("attendance_remove", meeting.pk, rows[1].pk), headers=HTMX).status_code == 200
    assert _logged_since(officer, mark) == removed[1:2]
    mark = _mark()
    assert api.delete(f"/api/v1/meetings/{meeting.pk}/attendance/{rows[2].pk}/").status_code == 204
    assert _logged_since(officer, mark) == removed[2:]
    assert not AgendaItem.objects.filter(meeting=meeting).exists()
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_a_post_logs_the_write_it_makes_and_no_view(world: World) -> None:
    """The builder's and the meeting page's htmx answers draw the agenda or the item again after
    a write: the write's row is logged and no ``view``; a refused POST that shows its form again
    logs that view once."""
    meeting = make_meeting(world.triage_officer)
    first, second = waiting_case(world), waiting_case(world)
    officer = world.triage_officer
    client = client_for(officer)

    def posted(address: str, body: dict[str, Any]) -> list[tuple[str, str]]:
        mark = _mark()
        response = client.post(address, body, headers=HTMX)
        assert response.status_code == 200 and "<html" not in response.content.decode(), address
        return [(action, record_type) for action, record_type, _ids in _logged_since(officer, mark)]

    added = posted(url("agenda_add", meeting.pk), {"reference-reference": first.reference})
    assert added == [(AccessAction.CREATE, "triage.agendaitem")]
    assert posted(url("agenda_add", meeting.pk), {"proposals-cases": [str(second.pk)]}) == [
        (AccessAction.CREATE, "triage.agendaitem")
    ]
    a, b = AgendaItem.objects.filter(meeting=meeting).order_by("position")
    assert posted(url("agenda_item_move", meeting.pk, b.pk), {"direction": "up"}) == [
        (AccessAction.CHANGE, "triage.agendaitem")
    ]
    assert posted(url("agenda_item_hearing", meeting.pk, a.pk), {f"hearing-{a.pk}-hearing": "full"}) == [
        (AccessAction.CHANGE, "triage.agendaitem")
    ]
    assert posted(url("attendance_add", meeting.pk), {"attendance-agency": str(world.police.pk)}) == [
        (AccessAction.CREATE, "triage.attendance")
    ]
    assert posted(url("share_add", meeting.pk, a.pk), {f"item-{a.pk}-share-text": "Arrested on 3 March."}) == [
        (AccessAction.CREATE, "triage.information_share")
    ]
    # Refused: the same fragment with the error, and that view logged once.
    assert posted(url("agenda_add", meeting.pk), {"reference-reference": first.reference}) == [
        (AccessAction.VIEW, "cases.case")
    ]
    assert posted(url("agenda_item_remove", meeting.pk, a.pk), {}) == [(AccessAction.VIEW, "cases.case")]
    assert posted(url("share_add", meeting.pk, a.pk), {f"item-{a.pk}-share-text": ""}) == [
        (AccessAction.VIEW, "cases.case")
    ]


# --- running the meeting -------------------------------------------------------------------------------------------


def test_a_health_entry_is_hidden_from_a_police_reader_on_the_meeting_page(
    world: World, meeting_with_entries: tuple[Meeting, AgendaItem]
) -> None:
    meeting, item = meeting_with_entries
    police = client_for(world.triage_officer).get(url("meeting_run", meeting.pk)).content.decode()
    assert "Arrested on 3 March." in police and CLINICAL not in police
    health = client_for(world.clinician).get(url("meeting_run", meeting.pk)).content.decode()
    assert "Arrested on 3 March." in health and CLINICAL in health
    entry = AccessLog.objects.filter(user=world.triage_officer, record_type="cases.case").latest("id")
    assert entry.action == AccessAction.VIEW and entry.record_ids == [str(item.case_id)]


def test_a_case_not_shared_with_the_reader_is_counted_not_shown(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    shown = on_agenda(world, meeting, waiting_case(world))
    hidden_case = waiting_case(world, victim_name=("Zara", "Quill"))
    on_agenda(world, meeting, hidden_case)
    case_services.case_share_remove(
        actor=world.triage_officer, case=hidden_case, agency=world.probation, reason="Victim-only support"
    )
    html = client_for(world.probation_practitioner).get(url("meeting_run", meeting.pk)).content.decode()
    assert shown.case.reference in html
    assert hidden_case.reference not in html and "Zara" not in html
    assert "1 further case on this agenda is not shared with your agency" in html
    hidden_item = AgendaItem.objects.get(case=hidden_case)
    client = client_for(world.probation_practitioner)
    assert client.get(url("case_meetings", hidden_case.pk)).status_code == 404
    assert client.post(url("share_add", meeting.pk, hidden_item.pk), {"item-x-share-text": "x"}).status_code == 404


def test_the_victims_name_is_withheld_where_the_agreement_says(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    on_agenda(world, meeting, waiting_case(world))
    html = client_for(world.clinician).get(url("meeting_run", meeting.pk)).content.decode()
    assert "Darren Cole" in html and "Hannah" not in html and "Identity withheld" in html


def test_deciding_on_the_meeting_page_with_htmx_and_without(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    first = on_agenda(world, meeting, waiting_case(world))
    second = on_agenda(world, meeting, waiting_case(world))
    client = client_for(world.triage_officer)

    # htmx: the case's panel comes back, with the page's counters out of band.
    prefix = f"item-{first.pk}-decision"
    response = client.post(
        url("decision_add", meeting.pk, first.pk),
        {f"{prefix}-outcome": "accepted", f"{prefix}-tier": "2", f"{prefix}-stalking_consensus": "yes"},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f"Case {first.case.reference}: accepted, tier 2" in body
    assert 'id="meeting-progress"' in body and "1 of 2 cases decided" in body and 'hx-swap-oob="true"' in body
    assert Case.objects.get(pk=first.case_id).status == CaseStatus.ACCEPTED

    # No JavaScript, an error: the whole page again with the error summary linking to the field.
    prefix = f"item-{second.pk}-decision"
    response = client.post(url("decision_add", meeting.pk, second.pk), {f"{prefix}-outcome": "declined"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" in body
    assert "Choose why the case is declined" in body and "Give the reason for declining" in body
    assert f'href="#id_{prefix}-decline_reason_0"' in body
    assert Case.objects.get(pk=second.case_id).status == CaseStatus.AWAITING_TRIAGE
    # No JavaScript, valid: back to the case on the page.
    response = client.post(
        url("decision_add", meeting.pk, second.pk),
        {f"{prefix}-outcome": "declined", f"{prefix}-decline_reason": "not_stalking", f"{prefix}-reason": "No course"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{second.pk}")
    assert Case.objects.get(pk=second.case_id).decision == "not_stalking"
    # Only those who run the meeting decide.
    assert client_for(world.advocate).post(url("decision_add", meeting.pk, second.pk), {}).status_code == 404


def test_information_and_actions_on_the_meeting_page(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    item = on_agenda(world, meeting, waiting_case(world))
    advocate = client_for(world.advocate)
    body = advocate.post(
        url("share_add", meeting.pk, item.pk), {f"item-{item.pk}-share-text": "Victim wants support."}, headers=HTMX
    ).content.decode()
    assert "Information from" in body and "Victim wants support." in body

    due = TODAY() + dt.timedelta(days=5)
    prefix = f"item-{item.pk}-action"
    data = {
        f"{prefix}-description": "Agree a safety plan",
        f"{prefix}-owner": str(world.advocate.pk),
        f"{prefix}-due_on_day": str(due.day),
        f"{prefix}-due_on_month": str(due.month),
        f"{prefix}-due_on_year": str(due.year),
    }
    assert advocate.post(url("action_add", meeting.pk, item.pk), data).status_code == 404
    response = client_for(world.triage_officer).post(url("action_add", meeting.pk, item.pk), data)
    assert response.status_code == 302
    action = Action.objects.get()
    assert (action.owner, action.owner_agency, action.due_on) == (world.advocate, world.advocacy, due)
    assert Case.objects.get(pk=item.case_id).next_due_on == due


def test_starting_and_concluding_a_meeting(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    client = client_for(world.triage_officer)
    client.post(url("meeting_start", meeting.pk))
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.IN_PROGRESS
    response = client.post(url("meeting_conclude", meeting.pk))
    assert response["Location"] == url("minutes", meeting.pk)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CONCLUDED and meeting.concluded_at is not None
    html = client.get(url("meeting_run", meeting.pk)).content.decode()
    assert "Record the decision" not in html and "Conclude the meeting" not in html


# --- minutes -------------------------------------------------------------------------------------------------------


def test_the_minutes_show_each_reader_only_what_they_may_see(
    world: World, meeting_with_entries: tuple[Meeting, AgendaItem]
) -> None:
    meeting, item = meeting_with_entries
    accept(world, item, tier=3)
    police = client_for(world.triage_officer).get(url("minutes", meeting.pk)).content.decode()
    assert "Decision: Accepted, tier 3." in police and "Arrested on 3 March." in police and CLINICAL not in police
    health = client_for(world.clinician).get(url("minutes", meeting.pk)).content.decode()
    assert CLINICAL in health


def test_the_minutes_pdf_is_shaped_for_the_reader_and_logged_as_an_export(
    world: World, meeting_with_entries: tuple[Meeting, AgendaItem], monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint

    meeting, item = meeting_with_entries
    rendered: list[str] = []
    real = weasyprint.HTML

    def spy(*args: Any, **kwargs: Any) -> Any:
        rendered.append(kwargs["string"])
        return real(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", spy)
    response = client_for(world.triage_officer).get(url("minutes_pdf", meeting.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith('attachment; filename="minutes-triage-')
    assert "Arrested on 3 March." in rendered[0] and CLINICAL not in rendered[0]
    entry = AccessLog.objects.filter(user=world.triage_officer, action=AccessAction.EXPORT).get()
    assert entry.record_type == "cases.case" and entry.record_ids == [str(item.case_id)]
    assert entry.purpose == f"Minutes of meeting {meeting.pk} (PDF)"

    client_for(world.clinician).get(url("minutes_pdf", meeting.pk))
    assert CLINICAL in rendered[1]


# --- actions -------------------------------------------------------------------------------------------------------


def _actions(world: World, count: int) -> list[Action]:
    meeting = make_meeting(world.triage_officer, day=TODAY() - dt.timedelta(days=7))
    made = []
    for index in range(count):
        item = on_agenda(world, meeting, waiting_case(world))
        made.append(
            services.action_create(
                actor=world.triage_officer,
                item=item,
                data=services.ActionInput(
                    owner_id=world.advocate.pk,
                    description=f"Action {index}",
                    due_on=TODAY() + dt.timedelta(days=index - 1),
                ),
            )
        )
    return made


# +1 on every page with the header: its unread-notifications count (docs/home-and-search.md).
MY_ACTIONS_QUERIES = 6 + 1


@pytest.mark.parametrize("count", [1, 4])
def test_my_actions_costs_a_fixed_number_of_queries(world: World, count: int, django_assert_num_queries: Any) -> None:
    _actions(world, count)
    client = client_for(world.advocate)
    client.get(url("my_actions"))
    with django_assert_num_queries(MY_ACTIONS_QUERIES):
        response = client.get(url("my_actions"))
    assert response.content.decode().count('data-testid="action-row"') == count


@pytest.mark.parametrize("count", [1, 4])
def test_agency_actions_costs_a_fixed_number_of_queries(
    world: World, count: int, django_assert_num_queries: Any
) -> None:
    _actions(world, count)
    client = client_for(world.advocate)
    client.get(url("agency_actions"))
    with django_assert_num_queries(MY_ACTIONS_QUERIES):
        response = client.get(url("agency_actions"))
    assert response.content.decode().count('data-testid="action-row"') == count


def test_overdue_actions_are_highlighted_and_logged(world: World) -> None:
    late, due_today = _actions(world, 2)
    html = client_for(world.advocate).get(url("my_actions")).content.decode()
    assert html.count('data-overdue="true"') == 1 and "Overdue" in html and "Due today" in html
    entry = AccessLog.objects.filter(user=world.advocate, record_type="triage.action").latest("id")
    assert entry.record_ids == [str(late.pk), str(due_today.pk)]
    assert "Action 0" not in client_for(world.probation_practitioner).get(url("agency_actions")).content.decode()


def test_an_owner_marks_an_action_done_without_javascript(world: World) -> None:
    action = _actions(world, 1)[0]
    client = client_for(world.advocate)
    assert client.get(url("action_detail", action.pk)).status_code == 200
    response = client.post(url("action_detail", action.pk), {"do": "complete", "complete-note": "Called her."})
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.completion_note) == (ActionStatus.DONE, "Called her.")
    response = client.post(url("action_detail", action.pk), {"do": "cancel", "cancel-note": "x"})
    assert response.status_code == 404  # closed: nothing more to change


def test_an_action_is_404_for_those_who_cannot_see_its_case_or_its_class(world: World, other_world: World) -> None:
    action = _actions(world, 1)[0]
    assert client_for(other_world.advocate).get(url("action_detail", action.pk)).status_code == 404
    Action.objects.filter(pk=action.pk).update(record_class=RecordClass.VICTIM_LOCATION)
    assert client_for(world.probation_practitioner).get(url("action_detail", action.pk)).status_code == 404
    assert client_for(world.advocate).get(url("action_detail", action.pk)).status_code == 200


# --- the case's section and card ------------------------------------------------------------------------------------


def test_the_case_section_and_overview_card(world: World, meeting_with_entries: tuple[Meeting, AgendaItem]) -> None:
    _, item = meeting_with_entries
    services.decision_record(
        actor=world.triage_officer,
        item=item,
        data=services.DecisionInput(outcome="accepted", tier=2),
        actions=[services.ActionInput(owner_id=world.advocate.pk, description="Call", due_on=TODAY())],
    )
    client = client_for(world.triage_officer)
    section = client.get(url("case_meetings", item.case_id)).content.decode()
    assert "Meetings and actions" in section and "Accepted, tier 2" in section and CLINICAL not in section
    overview = client.get(reverse("cases:case_detail", args=[item.case_id])).content.decode()
    assert 'data-testid="triage-card"' in overview and url("case_meetings", item.case_id) in overview
    assert MeetingDecision.objects.count() == 1


# --- query counts of the meeting pages --------------------------------------------------------------------------------

MEETINGS_QUERIES = 5 + 1  # +1: the header's unread count
# The names on the agenda (and, in the builder, on the proposals) are decided per person: one
# query each for the people, and one for the rule (is any of them a victim in a case the
# reader cannot see?). The run page also reads whether the partnership uses tiers (its
# decision form asks for a tier only where it does).
RUN_QUERIES = 17 + 1  # +1: the header's unread count
BUILDER_QUERIES = 20 + 1  # +1: the header's unread count


def _busy_meeting(world: World, cases: int) -> Meeting:
    meeting = make_meeting(world.triage_officer)
    for index in range(cases):
        item = on_agenda(world, meeting, waiting_case(world))
        services.information_share_record(actor=world.clinician, item=item, text=f"Entry {index}")
        services.action_create(
            actor=world.triage_officer,
            item=item,
            data=services.ActionInput(owner_id=world.advocate.pk, description=f"Action {index}", due_on=TODAY()),
        )
    waiting_case(world)  # one more to propose
    return meeting


@pytest.mark.parametrize("cases", [1, 3])
def test_the_meeting_pages_cost_a_fixed_number_of_queries(
    world: World, cases: int, django_assert_num_queries: Any
) -> None:
    meeting = _busy_meeting(world, cases)
    client = client_for(world.triage_officer)
    for name, expected in (
        ("meetings", MEETINGS_QUERIES),
        ("meeting_run", RUN_QUERIES),
        ("meeting_detail", BUILDER_QUERIES),
    ):
        path = url(name, meeting.pk) if name != "meetings" else url(name)
        client.get(path)
        with django_assert_num_queries(expected):
            assert client.get(path).status_code == 200
