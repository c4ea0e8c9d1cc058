"""The risk API: instruments, a case's risk, the assessment lifecycle, SASH, incidents, MARAC referrals;
scope (404), roles (403), record classes and the access log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from agencies.models import User
from audit.models import AccessAction, AccessLog
from cases.models import Case
from risk.models import Assessment, InstrumentVersion, Status
from tests.case_factories import make_case
from tests.factories import World
from tests.risk_factories import SRP_CLINICAL_TEXT, complete_dash, complete_srp, dash_answers, shipped_instruments

pytestmark = pytest.mark.django_db
__all__ = ["shipped_instruments"]
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _instruments(shipped_instruments: None) -> None:
    return None


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_instruments_and_a_version_with_its_items(world: World) -> None:
    client = api(world.advocate)
    body = client.get("/api/v1/risk/instruments/").json()
    assert [row["key"] for row in body] == ["dash", "s_dash", "sash", "srp"]
    dash = body[0]
    version = client.get(f"/api/v1/risk/instrument-versions/{dash['current_version']['id']}/").json()
    assert version["scoring"] == "yes_count" and version["marac"] is True
    assert [b["key"] for b in version["bands"]] == ["standard", "medium", "high"]
    assert sum(1 for item in version["items"] if item["scored"]) == 24
    sdash = [item for item in version["items"] if item["group"] == "sdash"]
    assert len(sdash) == 11 and sdash[0]["opens_when"] == {"item": "stalking", "answer": "yes"}
    assert all(item["wording"] == "" for item in version["items"])


def test_the_assessment_lifecycle_through_the_api(world: World) -> None:
    case = make_case(world.triage_officer)
    client = api(world.advocate)
    response = client.post(f"/api/v1/cases/{case.pk}/risk/assessments/", {"instrument": "dash"}, format="json")
    assert response.status_code == 201
    assessment_id = response.json()["assessment"]["id"]
    base = f"/api/v1/cases/{case.pk}/risk/assessments/{assessment_id}/"
    response = client.patch(base, {"answers": {"weapons": "perhaps"}}, format="json")
    assert response.status_code == 400 and response.json() == {
        "weapons": ["Select yes, no or not known for weapons or objects used to hurt"]
    }
    answers = dash_answers(["stalking", "weapons", "threats_to_kill"], sdash_yes=2)
    response = client.patch(base, {"answers": answers, "assessed_on": TODAY.isoformat()}, format="json")
    body = response.json()
    assert response.status_code == 200 and body["result"]["score"] == 3 and body["missing"] == []
    response = client.post(f"{base}complete/")
    body = response.json()
    assert response.status_code == 200
    assert body["assessment"]["status"] == "completed" and body["assessment"]["is_current"]
    assert (body["result"]["band"], body["result"]["overall"]) == ("standard", "low")
    assert body["result"]["subscores"] == [{"group": "Stalking: the S-DASH questions", "yes": 2, "asked": 11}]
    assert {c["key"]: c["met"] for c in body["marac_criteria"]} == {
        "visible_high_risk": False,
        "professional_judgement": False,
        "potential_escalation": False,
        "repeat": False,
    }
    # Locked: a save answers 400; an amendment is a new revision.
    assert client.patch(base, {"answers": {"weapons": "no"}}, format="json").status_code == 400
    response = client.post(f"{base}amend/", {"reason": "Wrong item recorded"}, format="json")
    assert response.status_code == 201
    amendment = response.json()["assessment"]
    assert (amendment["revision"], amendment["amends"], amendment["status"]) == (2, assessment_id, "draft")
    entry = AccessLog.objects.filter(user=world.advocate, record_type="risk.assessment").latest("id")
    assert entry.record_ids == [str(amendment["id"])] and entry.action == AccessAction.CREATE


def test_case_risk_summary_and_lists(world: World) -> None:
    case = make_case(world.triage_officer)
    complete_dash(world.triage_officer, case, score=14)
    client = api(world.probation_practitioner)
    body = client.get(f"/api/v1/cases/{case.pk}/risk/").json()
    assert body["overall"] == "high"
    assert [c["key"] for c in body["marac_criteria"] if c["met"]] == ["visible_high_risk"]
    assert body["history"][0]["series"] == "DASH" and body["history"][0]["score"] == 14
    listing = client.get(f"/api/v1/cases/{case.pk}/risk/assessments/").json()
    assert [row["instrument"] for row in listing] == ["dash"]
    entry = AccessLog.objects.filter(user=world.probation_practitioner).latest("id")
    assert entry.record_type == "risk.assessment" and entry.record_ids == [str(listing[0]["id"])]


def test_sash_incident_and_marac_referral_endpoints(world: World) -> None:
    case = make_case(world.triage_officer)
    client = api(world.triage_officer)
    response = client.post(f"/api/v1/cases/{case.pk}/risk/sash/", {"level": "moderate_high"}, format="json")
    assert response.status_code == 201 and response.json()["result"]["level"] == "moderate_high"
    assert Case.objects.get(pk=case.pk).current_risk == "high"
    response = client.post(
        f"/api/v1/cases/{case.pk}/risk/incidents/",
        {"occurred_on": TODAY.isoformat(), "description": "At her door", "source": "victim"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["source_label"] == "Victim's report"
    response = client.post(
        f"/api/v1/cases/{case.pk}/risk/marac-referrals/", {"referred_on": TODAY.isoformat()}, format="json"
    )
    assert response.status_code == 201
    assert len(client.get(f"/api/v1/cases/{case.pk}/risk/incidents/").json()) == 1
    assert len(client.get(f"/api/v1/cases/{case.pk}/risk/marac-referrals/").json()) == 1


def test_outside_scope_is_404_and_the_wrong_role_403(world: World, other_world: World) -> None:
    case = make_case(world.triage_officer)
    dash = complete_dash(world.triage_officer, case, score=5)
    outsider = api(other_world.triage_officer)
    for url in (
        f"/api/v1/cases/{case.pk}/risk/",
        f"/api/v1/cases/{case.pk}/risk/assessments/",
        f"/api/v1/cases/{case.pk}/risk/assessments/{dash.pk}/",
        f"/api/v1/cases/{case.pk}/risk/incidents/",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"/api/v1/cases/{case.pk}/risk/sash/", {"level": "high"}, format="json").status_code == 404
    manager = api(world.programme_manager)
    assert manager.get(f"/api/v1/cases/{case.pk}/risk/").status_code == 200
    response = manager.post(f"/api/v1/cases/{case.pk}/risk/assessments/", {"instrument": "dash"}, format="json")
    assert response.status_code == 403
    assert (
        api(world.probation_practitioner)
        .post(f"/api/v1/cases/{case.pk}/risk/assessments/", {"instrument": "srp"}, format="json")
        .status_code
        == 403
    )
    assert api(world.triage_officer).put("/api/v1/risk/settings/", {}, format="json").status_code == 400
    response = api(world.triage_officer).put(
        "/api/v1/risk/settings/",
        {
            "dash_medium_from": 10,
            "dash_high_from": 17,
            "marac_score_from": 17,
            "escalation_incidents": 3,
            "escalation_months": 12,
            "repeat_months": 12,
        },
        format="json",
    )
    assert response.status_code == 403
    assert APIClient().get(f"/api/v1/cases/{case.pk}/risk/").status_code == 401


def test_the_clinical_srp_items_are_withheld_in_the_api(world: World) -> None:
    case = make_case(world.triage_officer)
    srp = complete_srp(world.clinician, case)
    url = f"/api/v1/cases/{case.pk}/risk/assessments/{srp.pk}/"
    health = api(world.clinician).get(url).json()
    assert SRP_CLINICAL_TEXT in [a["value"] for a in health["answers"]] and health["withheld"] == []
    for role in ("advocate", "triage_officer", "probation_practitioner"):
        response = api(getattr(world, role)).get(url)
        assert SRP_CLINICAL_TEXT not in response.content.decode()
        body = response.json()
        assert body["withheld"] == ["Clinical formulation", "Clinical notes"]
        assert {a["item"] for a in body["answers"]} >= {"risk_of_violence", "management_plan"}
        assert not {a["item"] for a in body["answers"]} & {"clinical_formulation", "clinical_notes"}


def test_a_draft_is_deleted_only_by_its_agency(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = (
        api(world.triage_officer)
        .post(f"/api/v1/cases/{case.pk}/risk/assessments/", {"instrument": "sash"}, format="json")
        .json()["assessment"]
    )
    url = f"/api/v1/cases/{case.pk}/risk/assessments/{draft['id']}/"
    assert api(world.advocate).delete(url).status_code == 403
    assert api(world.triage_officer).delete(url).status_code == 204
    assert not Assessment.objects.filter(case=case, status=Status.DRAFT).exists()


def test_the_schema_describes_the_risk_endpoints(world: World) -> None:
    body = api(world.advocate).get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "case_risk_assessment_complete" in body and "risk_instruments_list" in body


def test_a_partnerships_licensed_version_stays_with_it(world: World, other_world: World) -> None:
    sample = Path(__file__).resolve().parent.parent / "docs" / "risk-instrument-sample-sash.json"
    call_command("load_instrument", str(sample), "--partnership", world.partnership.slug)
    licensed = InstrumentVersion.objects.get(partnership=world.partnership)
    own = api(world.advocate).get(f"/api/v1/risk/instrument-versions/{licensed.pk}/")
    assert own.status_code == 200 and own.json()["items"][1]["wording"].startswith("[Placeholder")
    assert api(other_world.advocate).get(f"/api/v1/risk/instrument-versions/{licensed.pk}/").status_code == 404
    listing = api(other_world.advocate).get("/api/v1/risk/instruments/").json()
    sash = next(row for row in listing if row["key"] == "sash")
    assert [v["id"] for v in sash["versions"]] == [sash["current_version"]["id"]] != [licensed.pk]
    page = APIClient()
    page.force_login(other_world.advocate)
    assert page.get(f"/risk/instruments/versions/{licensed.pk}/").status_code == 404


def test_each_read_writes_one_access_log_row_and_a_write_only_its_change(world: World) -> None:
    case = make_case(world.triage_officer)
    dash = complete_dash(world.triage_officer, case, score=9)
    client = api(world.probation_practitioner)
    base = f"/api/v1/cases/{case.pk}/risk/"
    for url, record_type in (
        (base, "risk.case"),
        (f"{base}assessments/", "risk.assessment"),
        (f"{base}assessments/{dash.pk}/", "risk.assessment"),
        (f"{base}incidents/", "risk.incident"),
        (f"{base}marac-referrals/", "risk.marac_referral"),
    ):
        last = AccessLog.objects.latest("id").pk
        assert client.get(url).status_code == 200, url
        rows = AccessLog.objects.filter(pk__gt=last)
        assert [(r.action, r.record_type) for r in rows] == [(AccessAction.VIEW, record_type)], url
    last = AccessLog.objects.latest("id").pk
    started = api(world.triage_officer).post(f"{base}assessments/", {"instrument": "dash"}, format="json")
    assert started.status_code == 201
    made = str(started.json()["assessment"]["id"])
    rows = AccessLog.objects.filter(pk__gt=last)
    assert [(r.action, r.record_ids) for r in rows] == [(AccessAction.CREATE, [made])]
