"""The meetings API: the same services, scope and record-class rules as the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import RecordClass, User
from audit.models import AccessLog
from cases.models import Case, CaseStatus
from tests.factories import World
from tests.triage_factories import at, make_meeting, on_agenda, waiting_case
from triage.models import Action, ActionStatus, AgendaItem, Meeting

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_meeting_from_scheduling_to_decision_through_the_api(world: World) -> None:
    police = api(world.triage_officer)
    first, second = waiting_case(world), waiting_case(world)

    response = police.post(
        "/api/v1/meetings/",
        {"kind": "triage", "starts_at": at(TODAY()).isoformat(), "chair": world.triage_officer.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    meeting_id = response.json()["id"]

    proposals = police.get(f"/api/v1/meetings/{meeting_id}/agenda/proposals/").json()
    assert [p["case"]["id"] for p in proposals] == [first.pk, second.pk]
    a = police.post(f"/api/v1/meetings/{meeting_id}/agenda/", {"case": first.pk}, format="json").json()
    b = police.post(f"/api/v1/meetings/{meeting_id}/agenda/", {"case": second.pk, "hearing": "full"}, format="json")
    assert b.status_code == 201 and b.json()["hearing"] == "full"
    b = b.json()
    response = police.put(f"/api/v1/meetings/{meeting_id}/agenda/order/", {"items": [b["id"], a["id"]]}, format="json")
    assert [item["case"]["id"] for item in response.json()] == [second.pk, first.pk]
    assert (
        police.post(f"/api/v1/meetings/{meeting_id}/attendance/", {"person": world.advocate.pk}, format="json").json()[
            "agency"
        ]["id"]
        == world.advocacy.pk
    )

    response = police.post(
        f"/api/v1/meetings/{meeting_id}/agenda/{a['id']}/decision/",
        {
            "outcome": "accepted",
            "tier": 2,
            "stalking_consensus": "yes",
            "meets_legal_threshold": True,
            "actions": [
                {"owner": world.advocate.pk, "description": "Call the victim", "due_on": str(TODAY())},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["decision"]["outcome"] == "accepted" and body["case"]["status"] == "accepted"
    assert body["case"]["tier"] == 2 and [x["owner"]["id"] for x in body["actions"]] == [world.advocate.pk]

    response = police.post(
        f"/api/v1/meetings/{meeting_id}/agenda/{b['id']}/decision/",
        {"outcome": "declined", "decline_reason": "not_stalking"},
        format="json",
    )
    assert response.status_code == 400 and "reason" in response.json()
    assert Case.objects.get(pk=second.pk).status == CaseStatus.AWAITING_TRIAGE

    detail = police.get(f"/api/v1/meetings/{meeting_id}/").json()
    assert [item["case"]["reference"] for item in detail["items"]] == [second.reference, first.reference]
    assert detail["hidden_items"] == 0 and detail["meeting"]["status"] == "in_progress"


def test_a_failed_decision_through_the_api_leaves_the_case_as_it_was(world: World, other_world: World) -> None:
    item = on_agenda(world, make_meeting(world.triage_officer), waiting_case(world))
    response = api(world.triage_officer).post(
        f"/api/v1/meetings/{item.meeting_id}/agenda/{item.pk}/decision/",
        {
            "outcome": "accepted",
            "tier": 3,
            "actions": [{"owner": other_world.advocate.pk, "description": "x", "due_on": str(TODAY())}],
        },
        format="json",
    )
    assert response.status_code == 400 and "actions_0_owner" in response.json()
    case = Case.objects.get(pk=item.case_id)
    assert (case.status, case.tier) == (CaseStatus.AWAITING_TRIAGE, None)


def test_a_health_entry_is_hidden_from_a_police_reader_in_the_api(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    item = on_agenda(world, meeting, waiting_case(world))
    response = api(world.clinician).post(
        f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/information/",
        {"text": "Under the crisis team.", "record_class": "clinical"},
        format="json",
    )
    assert response.status_code == 201
    response = api(world.triage_officer).post(
        f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/information/",
        {"text": "x", "record_class": "clinical"},
        format="json",
    )
    assert response.status_code == 400 and "record_class" in response.json()
    police = api(world.triage_officer).get(f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/").json()
    assert police["shares"] == []
    health = api(world.clinician).get(f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/").json()
    assert [s["text"] for s in health["shares"]] == ["Under the crisis team."]
    assert health["victim"] == "Identity withheld" and health["perpetrator"] == "Darren Cole"
    assert AccessLog.objects.filter(user=world.clinician, record_type="cases.case").exists()


def test_outside_the_partnership_or_the_case_the_api_answers_404(world: World, other_world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    item = on_agenda(world, meeting, waiting_case(world))
    stranger = api(other_world.admin)
    for path in (
        f"/api/v1/meetings/{meeting.pk}/",
        f"/api/v1/meetings/{meeting.pk}/agenda/",
        f"/api/v1/meetings/{meeting.pk}/agenda/proposals/",
        f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/",
        f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/decision/",
    ):
        assert stranger.get(path).status_code == 404, path
    assert (
        stranger.post(
            f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/decision/", {"outcome": "deferred"}, format="json"
        ).status_code
        == 404
    )
    assert stranger.get("/api/v1/meetings/").json()["results"] == []
    # A case not shared with the reader's agency is 404, though the meeting is not.
    from cases import services as case_services

    case_services.case_share_remove(
        actor=world.triage_officer, case=item.case, agency=world.probation, reason="Victim-only support"
    )
    probation = api(world.probation_practitioner)
    assert probation.get(f"/api/v1/meetings/{meeting.pk}/").json()["hidden_items"] == 1
    assert probation.get(f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/").status_code == 404
    assert (
        probation.post(
            f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/information/", {"text": "x"}, format="json"
        ).status_code
        == 404
    )
    # Inside the partnership, a role that does not run triage meetings is refused, not hidden.
    response = api(world.advocate).post(
        f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/decision/", {"outcome": "deferred"}, format="json"
    )
    assert response.status_code == 403


def test_actions_through_the_api(world: World) -> None:
    item = on_agenda(world, make_meeting(world.triage_officer, day=TODAY() - dt.timedelta(days=3)), waiting_case(world))
    response = api(world.triage_officer).post(
        f"/api/v1/meetings/{item.meeting_id}/agenda/{item.pk}/actions/",
        {"owner": world.advocate.pk, "description": "Call", "due_on": str(TODAY() - dt.timedelta(days=1))},
        format="json",
    )
    assert response.status_code == 201 and response.json()["overdue"] is True
    action_id = response.json()["id"]
    mine = api(world.advocate).get("/api/v1/actions/").json()
    assert [a["id"] for a in mine["results"]] == [action_id] and mine["next_page"] is None
    assert api(world.probation_practitioner).get("/api/v1/actions/?scope=agency").json()["results"] == []
    response = api(world.advocate).patch(
        f"/api/v1/actions/{action_id}/", {"status": "done", "note": "Done"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == ActionStatus.DONE
    assert api(world.advocate).get("/api/v1/actions/?status=closed").json()["results"][0]["id"] == action_id
    assert api(world.probation_practitioner).patch(
        f"/api/v1/actions/{action_id}/", {"status": "cancelled", "note": "x"}, format="json"
    ).status_code in (400, 403)
    Action.objects.filter(pk=action_id).update(record_class=RecordClass.VICTIM_LOCATION)
    assert api(world.probation_practitioner).get(f"/api/v1/actions/{action_id}/").status_code == 404


def test_the_schema_describes_the_meetings_api(world: World) -> None:
    schema = api(world.admin).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/meetings/", "/api/v1/meetings/{meeting_id}/agenda/{item_id}/decision/", "/api/v1/actions/"):
        assert path in text


def test_the_agenda_is_reordered_and_trimmed_through_the_api(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    a, b = on_agenda(world, meeting, waiting_case(world)), on_agenda(world, meeting, waiting_case(world))
    police = api(world.triage_officer)
    assert (
        police.put(f"/api/v1/meetings/{meeting.pk}/agenda/order/", {"items": [a.pk]}, format="json").status_code == 400
    )
    assert (
        police.patch(f"/api/v1/meetings/{meeting.pk}/agenda/{b.pk}/", {"hearing": "full"}, format="json").json()[
            "hearing"
        ]
        == "full"
    )
    assert police.delete(f"/api/v1/meetings/{meeting.pk}/agenda/{a.pk}/").status_code == 204
    assert list(AgendaItem.objects.filter(meeting=meeting).values_list("pk", "position")) == [(b.pk, 1)]
    response = police.patch(
        f"/api/v1/meetings/{meeting.pk}/",
        {"starts_at": at(TODAY(), 11).isoformat(), "location": "Room 1"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["location"] == "Room 1"
    assert police.post(f"/api/v1/meetings/{meeting.pk}/conclude/").json()["status"] == "concluded"
    assert Meeting.objects.get(pk=meeting.pk).concluded_at is not None
