"""The interventions API: the whole workflow, the same rules as the pages, 404 outside scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import User
from audit.models import AccessLog
from interventions.models import Appointment, Intervention, InterventionReferral, SessionConcern
from interventions.tests.helpers import days_ago, full_intervention, old_case
from tests.factories import World

pytestmark = pytest.mark.django_db


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def post(client: APIClient, address: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(address, data or {}, format="json")


def test_the_whole_journey_by_api(world: World) -> None:
    case = old_case(world)
    probation, clinician = api(world.probation_practitioner), api(world.clinician)
    response = post(
        probation,
        f"/api/v1/cases/{case.pk}/intervention-referrals/",
        {
            "health_agency": world.health.pk,
            "risk_information": "High risk of persistence.",
            "desired_outcomes": ["No contact with the victim"],
            "interpreter_required": True,
            "interpreter_language": "Polish",
            "referred_on": str(timezone.localdate() - dt.timedelta(days=40)),
        },
    )
    assert response.status_code == 201, response.json()
    referral = response.json()
    assert (
        referral["status"] == "submitted"
        and referral["probation_practitioner"]["id"] == world.probation_practitioner.pk
    )
    assert referral["risk_information"] == "High risk of persistence."

    assert post(probation, f"/api/v1/intervention-referrals/{referral['id']}/accept/").status_code == 400
    response = post(clinician, f"/api/v1/intervention-referrals/{referral['id']}/accept/")
    assert response.status_code == 201
    intervention = response.json()
    assert intervention["type"] == "perpetrator_direct_intervention" and intervention["status"] == "planned"
    assert intervention["progress"]["plan"] is None and intervention["progress"]["referral"]["status"] == "accepted"
    iid = intervention["id"]

    response = post(
        clinician,
        f"/api/v1/interventions/{iid}/plans/",
        {
            "modalities": ["cbt"],
            "frequency": "weekly",
            "desired_outcomes": ["No contact with the victim"],
            "approve": True,
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["planned_sessions"] == 12 and response.json()["status"] == "approved"

    starts = [days_ago(21), days_ago(14), days_ago(7)]
    ids = []
    for number, starts_at in enumerate(starts, start=1):
        response = post(
            clinician,
            f"/api/v1/interventions/{iid}/sessions/{number}/appointments/",
            {"starts_at": starts_at.isoformat(), "method": "video"},
        )
        assert response.status_code == 201, response.json()
        ids.append(response.json()["id"])
    feedback = [
        {"attendance": "attended", "happened": True, "summary": "First session.", "clinical_notes": "Clinical one"},
        {"attendance": "did_not_attend", "happened": False, "not_happened_reason": "unacceptable"},
        {
            "attendance": "late",
            "happened": True,
            "summary": "Third session.",
            "concerns_raised": True,
            "concern_description": "Talked of finding her new address.",
        },
    ]
    for appointment_id, body in zip(ids, feedback, strict=True):
        response = post(clinician, f"/api/v1/interventions/{iid}/appointments/{appointment_id}/feedback/", body)
        assert response.status_code == 200, response.json()
        assert "clinical_notes" not in response.json()

    detail = probation.get(f"/api/v1/interventions/{iid}/").json()
    assert detail["status"] == "ongoing" and detail["sessions_attended"] == 2 and detail["sessions_planned"] == 12
    tags = [s["tag"] for s in detail["progress"]["sessions"]]
    assert tags == ["completed", "did_not_attend", "completed"] + ["not_scheduled"] * 9
    assert detail["progress"]["allowed_endings"] == ["completed", "ended_early", "dropped_out"]
    (concern,) = detail["progress"]["concerns"]
    assert concern["recipient"]["id"] == world.probation_practitioner.pk and concern["acknowledged_at"] is None

    inbox = probation.get("/api/v1/interventions/inbox/").json()
    assert [c["id"] for c in inbox["concerns_for_me"]] == [concern["id"]]
    assert post(api(world.advocate), f"/api/v1/intervention-concerns/{concern['id']}/acknowledge/").status_code == 400
    response = post(probation, f"/api/v1/intervention-concerns/{concern['id']}/acknowledge/")
    assert response.status_code == 200 and response.json()["acknowledged_by"]["id"] == world.probation_practitioner.pk

    response = post(
        clinician,
        f"/api/v1/interventions/{iid}/plans/",
        {
            "modalities": ["cbt"],
            "frequency": "weekly",
            "desired_outcomes": ["x"],
            "planned_sessions": 1,
            "approve": True,
        },
    )
    assert response.status_code == 400
    assert response.json()["planned_sessions"] == ["2 sessions have already been delivered: the plan cannot have fewer"]
    assert response.json()["change_reason"] == ["Give the reason for changing the approved plan"]

    response = post(
        clinician,
        f"/api/v1/interventions/{iid}/end/",
        {
            "ending": "ended_early",
            "reason": "Recalled to custody",
            "ratings": [{"rating": "partly", "comments": "Some"}],
        },
    )
    assert response.status_code == 200, response.json()
    ended = response.json()
    assert (ended["status"], ended["ending"], ended["sessions_attended"]) == ("cancelled", "ended_early", 2)
    assert ended["progress"]["report"]["ratings"] == [
        {"outcome": "No contact with the victim", "rating": "partly", "comments": "Some"}
    ]

    notes = clinician.get(f"/api/v1/interventions/{iid}/clinical-notes/").json()
    assert [n["text"] for n in notes] == ["Clinical one"] and notes[0]["session_number"] == 1
    logged = AccessLog.objects.filter(user=world.clinician, record_type="interventions.clinical_note").latest("id")
    assert logged.record_ids == [str(notes[0]["id"])]


def test_reschedule_and_decline_by_api(world: World) -> None:
    case, intervention = full_intervention(world)
    open_appointment = Appointment.objects.get(session__intervention=intervention, feedback_at__isnull=True)
    clinician = api(world.clinician)
    response = post(
        clinician,
        f"/api/v1/interventions/{intervention.pk}/appointments/{open_appointment.pk}/reschedule/",
        {"starts_at": days_ago(-9).isoformat(), "method": "phone"},
    )
    assert response.status_code == 400 and response.json() == {"reason": ["This field is required."]}
    response = post(
        clinician,
        f"/api/v1/interventions/{intervention.pk}/appointments/{open_appointment.pk}/reschedule/",
        {"starts_at": days_ago(-9).isoformat(), "method": "phone", "reason": "Interpreter unavailable"},
    )
    assert response.status_code == 201 and response.json()["replaces_id"] == open_appointment.pk
    second_case = old_case(world)
    referral = post(
        api(world.probation_practitioner),
        f"/api/v1/cases/{second_case.pk}/intervention-referrals/",
        {"health_agency": world.health.pk, "risk_information": "x", "desired_outcomes": ["y"]},
    ).json()
    assert post(clinician, f"/api/v1/intervention-referrals/{referral['id']}/decline/").status_code == 400
    response = post(clinician, f"/api/v1/intervention-referrals/{referral['id']}/decline/", {"reason": "No capacity"})
    assert response.status_code == 200 and response.json()["status"] == "declined"
    del case


def test_other_types_by_api(world: World) -> None:
    case = old_case(world)
    response = post(
        api(world.advocate),
        f"/api/v1/cases/{case.pk}/interventions/",
        {"type": "victim_safeguarding", "details": "Referral to children's services."},
    )
    assert response.status_code == 201 and response.json()["status"] == "planned"
    iid = response.json()["id"]
    assert post(api(world.triage_officer), f"/api/v1/interventions/{iid}/start/").status_code == 400
    response = post(api(world.advocate), f"/api/v1/interventions/{iid}/start/")
    assert response.status_code == 200 and response.json()["started_on"] == str(timezone.localdate())
    response = post(api(world.advocate), f"/api/v1/interventions/{iid}/end/", {"ending": "completed"})
    assert response.status_code == 200 and response.json()["status"] == "completed"
    response = post(
        api(world.probation_practitioner), f"/api/v1/cases/{case.pk}/interventions/", {"type": "victim_safeguarding"}
    )
    assert response.status_code == 400 and response.json() == {
        "type": ["Your agency does not deliver this type of intervention"]
    }


def test_api_is_404_outside_scope(world: World, other_world: World) -> None:
    case, intervention = full_intervention(world)
    referral = InterventionReferral.objects.get(intervention=intervention)
    appointment = Appointment.objects.filter(session__intervention=intervention).first()
    concern = SessionConcern.objects.get()
    assert appointment is not None
    outsider = api(other_world.clinician)
    for address in (
        f"/api/v1/cases/{case.pk}/interventions/",
        f"/api/v1/interventions/{intervention.pk}/",
        f"/api/v1/intervention-referrals/{referral.pk}/",
        f"/api/v1/interventions/{intervention.pk}/clinical-notes/",
    ):
        assert outsider.get(address).status_code == 404, address
    for address in (
        f"/api/v1/cases/{case.pk}/intervention-referrals/",
        f"/api/v1/intervention-referrals/{referral.pk}/accept/",
        f"/api/v1/interventions/{intervention.pk}/plans/",
        f"/api/v1/interventions/{intervention.pk}/sessions/5/appointments/",
        f"/api/v1/interventions/{intervention.pk}/appointments/{appointment.pk}/feedback/",
        f"/api/v1/interventions/{intervention.pk}/end/",
        f"/api/v1/intervention-concerns/{concern.pk}/acknowledge/",
    ):
        assert post(outsider, address).status_code == 404, address
    assert Intervention.objects.count() == 3


def test_signed_out_is_401(db: None) -> None:
    assert APIClient().get("/api/v1/interventions/inbox/").status_code == 401
