"""The cases API: caseload, case, intake, people and every write, with the access rules.

Outside a user's scope the answer is 404; what the information-sharing agreement
withholds never reaches the JSON; every look at personal data leaves an access-log row.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import User
from audit.models import AccessAction, AccessLog
from cases import services
from cases.models import (
    Address,
    Breach,
    BreakGlassAccess,
    Case,
    CaseEvent,
    CaseParty,
    ContactDetail,
    CrimeReference,
    CriminalJusticeOutcome,
    Order,
    PartyRole,
    Person,
    PersonAlias,
    Referral,
    SafeContactPreference,
)
from tests.case_factories import (
    EXCLUSION_ZONE,
    VICTIM_ADDRESS,
    VICTIM_CODE_WORD,
    VICTIM_PHONE,
    VICTIM_POSTCODE,
    make_case,
)
from tests.factories import World, make_agency

pytestmark = pytest.mark.django_db

VICTIM_LOCATION_TEXT = (VICTIM_ADDRESS, VICTIM_POSTCODE, VICTIM_PHONE, VICTIM_CODE_WORD, EXCLUSION_ZONE)


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def today() -> dt.date:
    return timezone.localdate()


def party(case: Case, role: str = PartyRole.VICTIM) -> Person:
    return CaseParty.objects.get(case=case, role=role, is_primary=True).person


def last_log() -> AccessLog:
    entry = AccessLog.objects.order_by("-id").first()
    assert entry is not None
    return entry


@pytest.fixture
def case(world: World) -> Case:
    """A case with a restraining order whose exclusion zones the police recorded."""
    new = make_case(world.triage_officer)
    services.order_record(
        actor=world.triage_officer,
        case=new,
        kind="restraining_order",
        made_on=today() - dt.timedelta(days=10),
        conditions="No contact with the victim, directly or indirectly",
        exclusion_zones=EXCLUSION_ZONE,
    )
    return new


def unshare(world: World, case: Case, agency: Any) -> None:
    services.case_share_remove(actor=world.triage_officer, case=case, agency=agency, reason="Not needed by them")


# --- the caseload --------------------------------------------------------------------------------------------


def test_caseload_lists_shared_cases_and_logs_exactly_the_ids_shown(world: World, other_world: World) -> None:
    first = make_case(world.triage_officer, crime_reference="CH/1/26")
    second = make_case(world.triage_officer, perpetrator_name=("Liam", "Hart"), crime_reference="CH/2/26")
    make_case(other_world.triage_officer)
    before = AccessLog.objects.count()

    response = api(world.advocate).get("/api/v1/cases/")

    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [second.pk, first.pk]
    assert body["next"] is None and body["previous"] is None
    row = body["results"][0]
    assert row["perpetrator"] == "Liam Hart" and row["victim"] == "Hannah Mills"
    assert row["reference"] == second.reference and row["status"] == "referred"
    assert AccessLog.objects.count() == before + 1
    entry = last_log()
    assert (entry.action, entry.record_type, entry.user_id) == (AccessAction.VIEW, "cases.case", world.advocate.pk)
    assert sorted(entry.record_ids) == sorted([str(first.pk), str(second.pk)])


def test_caseload_withholds_victim_names_from_health(world: World) -> None:
    make_case(world.triage_officer)
    response = api(world.clinician).get("/api/v1/cases/")
    assert response.status_code == 200
    assert response.json()["results"][0]["victim"] == "Withheld"
    assert "Hannah" not in response.content.decode()


def test_caseload_filters(world: World) -> None:
    referred = make_case(world.triage_officer, crime_reference="CH/1/26", received_on=today() - dt.timedelta(days=9))
    waiting = make_case(world.triage_officer, crime_reference="CH/2/26", received_on=today() - dt.timedelta(days=5))
    third = make_case(world.triage_officer, crime_reference="CH/3/26", received_on=today() - dt.timedelta(days=1))
    services.case_transition(actor=world.triage_officer, case=waiting, to_status="awaiting_triage")
    services.case_assign_worker(actor=world.triage_officer, case=third, worker=world.advocate)
    services.case_set_next_due(case_id=referred.pk, next_due_on=today() - dt.timedelta(days=2))
    services.case_set_next_due(case_id=waiting.pk, next_due_on=today() + dt.timedelta(days=7))
    Case.objects.filter(pk=waiting.pk).update(tier=2, current_risk="high")
    client = api(world.advocate)

    def ids(params: str) -> list[int]:
        response = client.get(f"/api/v1/cases/?{params}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("status=awaiting_triage") == [waiting.pk]
    assert ids("status=awaiting_triage&status=referred") == [third.pk, waiting.pk, referred.pk]
    assert ids("tier=2") == [waiting.pk]
    assert ids("risk=high&risk=medium") == [waiting.pk]
    assert ids("mine=true") == [third.pk]
    assert ids("due=overdue") == [referred.pk]
    assert ids("sort=oldest") == [referred.pk, waiting.pk, third.pk]
    assert ids("sort=next_due") == [referred.pk, waiting.pk]
    bad = client.get("/api/v1/cases/?status=lost&tier=9&sort=sideways")
    assert bad.status_code == 400
    assert set(bad.json()) == {"status", "tier", "sort"}


def test_caseload_pages_with_opaque_cursors(world: World) -> None:
    cases = [
        make_case(world.triage_officer, crime_reference=f"CH/{n}/26", received_on=today() - dt.timedelta(days=n))
        for n in range(1, 6)
    ]
    client = api(world.triage_officer)
    first = client.get("/api/v1/cases/?page_size=2").json()
    assert [r["id"] for r in first["results"]] == [cases[0].pk, cases[1].pk]
    assert first["previous"] is None and isinstance(first["next"], str)
    second = client.get("/api/v1/cases/", {"page_size": "2", "cursor": first["next"]}).json()
    assert [r["id"] for r in second["results"]] == [cases[2].pk, cases[3].pk]
    third = client.get("/api/v1/cases/", {"page_size": "2", "cursor": second["next"]}).json()
    assert [r["id"] for r in third["results"]] == [cases[4].pk]
    assert third["next"] is None
    back = client.get("/api/v1/cases/", {"page_size": "2", "cursor": third["previous"]}).json()
    assert [r["id"] for r in back["results"]] == [cases[2].pk, cases[3].pk]
    # The cursor says where a page starts, never who is on it.
    for cursor in (first["next"], second["next"], third["previous"]):
        assert "Cole" not in cursor and "Mills" not in cursor


def test_caseload_costs_the_same_number_of_queries_for_more_cases(world: World) -> None:
    client = api(world.advocate)
    make_case(world.triage_officer, crime_reference="CH/1/26")
    client.get("/api/v1/cases/")  # session and agreement warm-up
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/cases/").status_code == 200
    for n in range(2, 6):
        make_case(world.triage_officer, crime_reference=f"CH/{n}/26")
    with CaptureQueriesContext(connection) as five:
        response = client.get("/api/v1/cases/")
    assert len(response.json()["results"]) == 5
    assert len(five) == len(one)


def test_caseload_refuses_search_terms_in_the_address(world: World) -> None:
    make_case(world.triage_officer)
    before = AccessLog.objects.count()
    response = api(world.advocate).get("/api/v1/cases/?q=Cole")
    assert response.status_code == 400
    assert "POST /api/v1/cases/search/" in response.json()["q"][0]
    assert AccessLog.objects.count() == before


def test_search_takes_the_term_from_the_body_and_logs_a_search(world: World) -> None:
    cole = make_case(world.triage_officer, crime_reference="CH/1/26")
    make_case(world.triage_officer, perpetrator_name=("Liam", "Hart"), crime_reference="CH/2/26")
    client = api(world.advocate)

    response = client.post("/api/v1/cases/search/", {"q": "cole"}, format="json")

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [cole.pk]
    entry = last_log()
    assert (entry.action, entry.record_type, entry.record_ids) == (AccessAction.SEARCH, "cases.case", [str(cole.pk)])
    by_reference = client.post("/api/v1/cases/search/", {"q": "ch/2/26"}, format="json")
    assert len(by_reference.json()["results"]) == 1
    filtered = client.post("/api/v1/cases/search/", {"q": "cole", "status": ["closed"]}, format="json")
    assert filtered.json()["results"] == []
    assert client.post("/api/v1/cases/search/", {}, format="json").status_code == 400


def test_search_does_not_confirm_a_victim_to_health(world: World) -> None:
    make_case(world.triage_officer)
    response = api(world.clinician).post("/api/v1/cases/search/", {"q": "Hannah Mills"}, format="json")
    assert response.status_code == 200
    assert response.json()["results"] == []


# --- one case ------------------------------------------------------------------------------------------------


def test_case_detail(world: World, case: Case) -> None:
    services.note_add(actor=world.advocate, case=case, text="Victim asked for calls after 10:00.")
    before = AccessLog.objects.count()

    response = api(world.advocate).get(f"/api/v1/cases/{case.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["case"]["id"] == case.pk and body["case"]["reference"] == case.reference
    assert body["referral"]["offence"] == "s4a_stalking" and body["referral"]["home_office_code"]
    assert body["crime_references"] == ["CH/12345/26"]
    roles = {(p["role"], p["is_primary"]) for p in body["parties"]}
    assert roles == {("victim", True), ("perpetrator", True)}
    assert {a["kind"] for a in body["shared_with"]} == {"police", "probation", "health", "advocacy"}
    assert body["orders"][0]["kind"] == "restraining_order" and body["orders"][0]["breaches"] == []
    assert body["notes"][0]["text"] == "Victim asked for calls after 10:00."
    assert {e["kind"] for e in body["events"]} >= {"referred", "order", "note"}
    assert body["transitions"] == []  # an advocate cannot put a case forward for triage
    assert body["can_add_note"] is True and body["can_record_orders"] is False
    assert "victim_location" in body["visible_record_classes"]
    assert AccessLog.objects.count() == before + 1
    entry = last_log()
    assert (entry.action, entry.record_type, entry.record_ids) == (AccessAction.VIEW, "cases.case", [str(case.pk)])
    triage = api(world.triage_officer).get(f"/api/v1/cases/{case.pk}/").json()
    assert [t["to_status"] for t in triage["transitions"]] == ["awaiting_triage"]


def test_advocate_sees_victim_location(world: World, case: Case) -> None:
    client = api(world.advocate)
    case_json = client.get(f"/api/v1/cases/{case.pk}/").content.decode()
    person_json = client.get(f"/api/v1/people/{party(case).pk}/").content.decode()
    for text in VICTIM_LOCATION_TEXT:
        assert text in case_json
    for text in (VICTIM_ADDRESS, VICTIM_POSTCODE, VICTIM_PHONE, VICTIM_CODE_WORD):
        assert text in person_json
    victim = next(p for p in json.loads(case_json)["parties"] if p["role"] == "victim")
    assert victim["location_visible"] is True and victim["withheld"] == []
    assert victim["safe_contact"]["code_word"] == VICTIM_CODE_WORD


@pytest.mark.parametrize("who", ["probation_practitioner", "clinician"])
def test_perpetrator_side_never_receives_victim_location(world: World, case: Case, who: str) -> None:
    client = api(getattr(world, who))
    case_response = client.get(f"/api/v1/cases/{case.pk}/")
    person_response = client.get(f"/api/v1/people/{party(case).pk}/")
    caseload_response = client.get("/api/v1/cases/")
    assert case_response.status_code == person_response.status_code == caseload_response.status_code == 200
    for response in (case_response, person_response, caseload_response):
        text = response.content.decode()
        for withheld in VICTIM_LOCATION_TEXT:
            assert withheld not in text, f"{withheld!r} reached {who}"

    body = case_response.json()
    assert body["orders"][0]["exclusion_zones"] is None
    assert body["orders"][0]["conditions"]  # the rest of the order is shared
    victim = next(p for p in body["parties"] if p["role"] == "victim")
    assert victim["location_visible"] is False and victim["safe_contact"] is None
    assert victim["addresses"] == [] and victim["contacts"] == []
    assert "Victim address, contact details and safe contact" in victim["withheld"]
    person = person_response.json()["person"]
    assert person["addresses"] == [] and person["safe_contact"] is None
    if who == "clinician":
        assert victim["name"] is None and "Hannah" not in case_response.content.decode()
        assert person["name"] is None and person["date_of_birth"] is None
    else:
        assert victim["name"] == "Hannah Mills"


# --- referral intake -------------------------------------------------------------------------------------------


def referral_payload() -> dict[str, Any]:
    return {
        "received_on": (today() - dt.timedelta(days=1)).isoformat(),
        "referring_agency_kind": "police",
        "offence": "s2a_stalking",
        "referral_reason": "arrest",
        "relationship": "ex_intimate",
        "crime_references": ["ch/777/26"],
        "behaviour_started_on": (today() - dt.timedelta(days=90)).isoformat(),
        "last_incident_on": (today() - dt.timedelta(days=2)).isoformat(),
        "summary": "Following, messages and gifts left at work since the relationship ended.",
        "people": [
            {
                "role": "victim",
                "person": {
                    "given_name": "Priya",
                    "family_name": "Shah",
                    "date_of_birth": "1992-04-05",
                    "gender": "female",
                    "ethnicity": "asian",
                    "aliases": [{"given_name": "Priya", "family_name": "Khan"}],
                    "addresses": [{"line_1": "3 Orchard Way", "town": "Chester", "postcode": "ch2 1ab"}],
                    "contacts": [{"kind": "mobile", "value": "07700 900456"}],
                    "safe_contact": {"safe_times": "Evenings", "channels": ["text"], "code_word": "heron"},
                },
            },
            {
                "role": "perpetrator",
                "person": {
                    "given_name": "Mark",
                    "family_name": "Doyle",
                    "date_of_birth": "1988-01-01",
                    "gender": "male",
                    "pnc_id": "19/123456a",
                    "nhs_number": "943 476 5919",
                },
                "criminal_history": "Caution for harassment, 2021.",
            },
        ],
    }


def row_counts() -> dict[str, int]:
    models = (
        Referral,
        Case,
        CrimeReference,
        Person,
        PersonAlias,
        Address,
        ContactDetail,
        SafeContactPreference,
        CaseParty,
        CaseEvent,
        AccessLog,
    )
    return {model.__name__: model.objects.count() for model in models}


def test_referral_create(world: World) -> None:
    before = row_counts()
    response = api(world.triage_officer).post("/api/v1/referrals/", referral_payload(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(pk=body["case"]["id"])
    assert body["case"]["status"] == "referred"
    assert body["crime_references"] == ["CH/777/26"]
    victim = next(p for p in body["parties"] if p["role"] == "victim")
    assert victim["name"] == "Priya Shah" and victim["aliases"] == ["Priya Khan"]
    assert victim["addresses"] == ["3 Orchard Way, Chester, CH2 1AB"]
    perpetrator = party(case, PartyRole.PERPETRATOR)
    assert (perpetrator.pnc_id, perpetrator.nhs_number) == ("19/123456A", "9434765919")
    after = row_counts()
    assert after["Referral"] == before["Referral"] + 1 and after["Person"] == before["Person"] + 2
    assert after["CaseParty"] == before["CaseParty"] + 2
    entry = last_log()
    assert (entry.action, entry.record_ids) == (AccessAction.CREATE, [str(case.pk)])


def test_referral_links_an_existing_person_found_by_matching(world: World) -> None:
    earlier = make_case(world.triage_officer)
    cole = party(earlier, PartyRole.PERPETRATOR)
    client = api(world.triage_officer)
    matches = client.post(
        "/api/v1/people/match/",
        {"given_name": "Darren", "family_name": "Cole", "date_of_birth": "1985-03-02"},
        format="json",
    )
    assert matches.status_code == 200
    assert matches.json()[0]["person_id"] == cole.pk
    payload = referral_payload()
    payload["people"][1] = {"role": "perpetrator", "link_person_id": cole.pk, "criminal_history": "As before."}
    people_before = Person.objects.count()

    response = client.post("/api/v1/referrals/", payload, format="json")

    assert response.status_code == 201, response.content
    assert Person.objects.count() == people_before + 1  # only the new victim
    assert party(Case.objects.get(pk=response.json()["case"]["id"]), PartyRole.PERPETRATOR) == cole


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        target: Any = payload
        *parents, last = path.split(".")
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is _DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


_DELETE = object()
FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    ("change", "error_key"),
    [
        # Refused by the input serializer.
        (_set("received_on", "yesterday"), "received_on"),
        (_set("offence", "burglary"), "offence"),
        (_set("received_on", _DELETE), "received_on"),
        (_set("people", _DELETE), "people"),
        (_set("people.0.role", "witness"), "people"),
        (_set("people.0.person.date_of_birth", "1992-13-40"), "people"),
        (_set("people.0.person.addresses.0.postcode", "CH2 1AB EXTRA TEXT"), "people"),
        (_set("people.0.person.safe_contact.channels", ["pigeon"]), "people"),
        (_set("crime_references", ["X" * 41]), "crime_references"),
        # Refused by services.referral_create.
        (_set("received_on", FUTURE), "received_on"),
        (_set("last_incident_on", "2000-01-01"), "last_incident_on"),
        (_set("people.0.person.nhs_number", "1234567890"), "victim_nhs_number"),
        (_set("people.0.person.addresses.0.postcode", "ZZ"), "victim_postcode"),
        (_set("people.0.person.contacts.0.value", "555 0100"), "victim_phone"),
        (_set("people.1.person.pnc_id", "not a pnc"), "perpetrator_pnc_id"),
        (_set("people.1.person", {"gender": "male"}), "perpetrator_family_name"),
        (_set("people.1", {"role": "perpetrator"}), "party_1"),
        (_set("people.1.role", "secondary_victim"), "perpetrator_family_name"),
        (_set("people.1", {"role": "victim", "person": {"family_name": "Second"}}), "people"),
        (_set("people.1", {"role": "perpetrator", "link_person_id": 999_999_999}), "people"),
    ],
)
def test_referral_bad_input_answers_400_and_writes_nothing(
    world: World, change: Callable[[dict[str, Any]], None], error_key: str
) -> None:
    payload = copy.deepcopy(referral_payload())
    change(payload)
    before = row_counts()

    response = api(world.triage_officer).post("/api/v1/referrals/", payload, format="json")

    assert response.status_code == 400, response.content
    assert error_key in response.json(), response.json()
    assert row_counts() == before


def test_referral_cannot_link_a_person_of_another_partnership(world: World, other_world: World) -> None:
    elsewhere = party(make_case(other_world.triage_officer), PartyRole.PERPETRATOR)
    payload = referral_payload()
    payload["people"][1] = {"role": "perpetrator", "link_person_id": elsewhere.pk}
    before = row_counts()
    response = api(world.triage_officer).post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 400 and "people" in response.json()
    assert row_counts() == before


def test_referral_linking_one_person_twice_in_one_role_is_a_400(world: World) -> None:
    cole = party(make_case(world.triage_officer), PartyRole.PERPETRATOR)
    payload = referral_payload()
    payload["people"][1] = {"role": "perpetrator", "link_person_id": cole.pk}
    payload["people"].append({"role": "perpetrator", "is_primary": False, "link_person_id": cole.pk})
    before = row_counts()
    response = api(world.triage_officer).post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["people"] == ["The same person is linked twice in the same role"]
    assert row_counts() == before


# --- people ----------------------------------------------------------------------------------------------------


def test_people_match_logs_a_search_and_needs_a_name_or_identifier(world: World) -> None:
    earlier = make_case(world.triage_officer, perpetrator_pnc="19/654321B")
    client = api(world.triage_officer)
    response = client.post("/api/v1/people/match/", {"pnc_id": "19/654321b"}, format="json")
    assert response.status_code == 200
    candidate = response.json()[0]
    assert candidate["person_id"] == party(earlier, PartyRole.PERPETRATOR).pk
    assert candidate["matched_on"] == ["PNC ID"] and candidate["roles"] == ["Perpetrator"]
    entry = last_log()
    assert (entry.action, entry.record_type) == (AccessAction.SEARCH, "cases.person")
    assert entry.record_ids == [str(candidate["person_id"])]
    empty = client.post("/api/v1/people/match/", {"date_of_birth": "1985-03-02"}, format="json")
    assert empty.status_code == 400 and "non_field_errors" in empty.json()


def test_person_detail_and_update(world: World, case: Case) -> None:
    cole = party(case, PartyRole.PERPETRATOR)
    client = api(world.triage_officer)

    response = client.get(f"/api/v1/people/{cole.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == cole.pk and body["person"]["name"] == "Darren Cole"
    assert body["cases"] == [
        {
            "case_id": case.pk,
            "reference": case.reference,
            "status": "referred",
            "status_label": "Referred",
            "role": "perpetrator",
            "role_label": "Perpetrator",
            "is_primary": True,
            "criminal_history": "Two previous harassment convictions (2019, 2022).",
        }
    ]
    entry = last_log()
    assert (entry.action, entry.record_type, entry.record_ids) == (AccessAction.VIEW, "cases.person", [str(cole.pk)])

    patched = client.patch(f"/api/v1/people/{cole.pk}/", {"pnc_id": "19/123456a", "ethnicity": "white"}, format="json")

    assert patched.status_code == 200, patched.content
    cole.refresh_from_db()
    assert (cole.pnc_id, cole.ethnicity, cole.given_name, cole.date_of_birth) == (
        "19/123456A",
        "white",
        "Darren",
        dt.date(1985, 3, 2),
    )
    assert patched.json()["person"]["pnc_id"] == "19/123456A"
    bad = client.patch(f"/api/v1/people/{cole.pk}/", {"nhs_number": "1234567890"}, format="json")
    assert bad.status_code == 400 and "nhs_number" in bad.json()
    cole.refresh_from_db()
    assert cole.nhs_number == ""


def test_person_update_refused_when_identity_is_withheld(world: World, case: Case) -> None:
    victim = party(case)
    response = api(world.clinician).patch(f"/api/v1/people/{victim.pk}/", {"family_name": "Other"}, format="json")
    assert response.status_code == 403
    victim.refresh_from_db()
    assert victim.family_name == "Mills"


def test_person_merge(world: World) -> None:
    first = party(make_case(world.triage_officer, crime_reference="CH/1/26"), PartyRole.PERPETRATOR)
    second = party(
        make_case(world.triage_officer, perpetrator_name=("Daren", "Cole"), crime_reference="CH/2/26"),
        PartyRole.PERPETRATOR,
    )
    client = api(world.triage_officer)
    url = f"/api/v1/people/{first.pk}/merge/"
    no_reason = client.post(url, {"other_person_id": second.pk}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    not_triage = api(world.advocate).post(url, {"other_person_id": second.pk, "reason": "Same PNC"}, format="json")
    assert not_triage.status_code == 404

    response = client.post(url, {"other_person_id": second.pk, "reason": "Same person, name misspelt"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["survivor_id"] == first.pk and response.json()["merged_id"] == second.pk
    second.refresh_from_db()
    assert second.merged_into_id == first.pk
    assert len(client.get(f"/api/v1/people/{first.pk}/").json()["cases"]) == 2


# --- lifecycle and sharing -------------------------------------------------------------------------------------


def test_transition_and_illegal_transition(world: World, case: Case) -> None:
    client = api(world.triage_officer)
    url = f"/api/v1/cases/{case.pk}/transitions/"

    illegal = client.post(url, {"to_status": "closed"}, format="json")

    assert illegal.status_code == 400
    assert illegal.json() == {"to_status": ["A case that is referred cannot become closed"]}
    forward = client.post(url, {"to_status": "awaiting_triage"}, format="json")
    assert forward.status_code == 200, forward.content
    assert forward.json()["status"] == "awaiting_triage"
    decline = client.post(url, {"to_status": "declined", "reason": "Not stalking behaviour"}, format="json")
    assert decline.status_code == 400 and set(decline.json()) == {"decision"}
    role = api(world.advocate).post(url, {"to_status": "accepted"}, format="json")
    assert role.status_code == 400 and "Your role (Victim advocate)" in role.json()["to_status"][0]
    accepted = client.post(url, {"to_status": "accepted"}, format="json")
    assert accepted.json()["decision"] == "accepted"
    case.refresh_from_db()
    assert case.status == "accepted"


def test_shares_add_and_remove(world: World, other_world: World, case: Case) -> None:
    client = api(world.triage_officer)
    url = f"/api/v1/cases/{case.pk}/shares/"

    removed = client.delete(url, {"agency": world.probation.pk, "reason": "Perpetrator not on licence"}, format="json")

    assert removed.status_code == 200, removed.content
    assert world.probation.pk not in [a["id"] for a in removed.json()["shared_with"]]
    assert api(world.probation_practitioner).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    cps = make_agency(world.partnership, "cps")
    added = client.post(url, {"agency": cps.pk, "reason": "Charging decision"}, format="json")
    assert added.status_code == 200
    assert cps.pk in [a["id"] for a in added.json()["shared_with"]]
    foreign = client.post(url, {"agency": other_world.police.pk, "reason": "No"}, format="json")
    assert foreign.status_code == 400 and "agency" in foreign.json()
    no_reason = client.post(url, {"agency": world.probation.pk}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    not_allowed = api(world.advocate).post(url, {"agency": world.probation.pk, "reason": "Please"}, format="json")
    assert not_allowed.status_code == 400 and "agency" in not_allowed.json()


def test_break_glass(
    world: World, other_world: World, case: Case, django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]
) -> None:
    unshare(world, case, world.probation)
    client = api(world.probation_practitioner)
    url = f"/api/v1/cases/{case.pk}/break-glass/"
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert client.post(url, {"reason": "urgent"}, format="json").status_code == 400

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"reason": "Perpetrator arrested out of hours; need the order's conditions"}, format="json"
        )

    assert response.status_code == 201, response.content
    assert response.json()["case_id"] == case.pk
    entry = AccessLog.objects.get(break_glass=True)
    assert (entry.user_id, entry.action, entry.record_ids) == (world.probation_practitioner.pk, "view", [str(case.pk)])
    assert "arrested out of hours" in entry.purpose
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [world.admin.email]
    assert case.reference in mailoutbox[0].subject
    opened = client.get(f"/api/v1/cases/{case.pk}/")
    assert opened.status_code == 200
    for text in VICTIM_LOCATION_TEXT:  # break-glass opens the case, not the agreement
        assert text not in opened.content.decode()

    grants = BreakGlassAccess.objects.count()
    foreign = api(other_world.triage_officer).post(url, {"reason": "Curious about a case elsewhere"}, format="json")
    assert foreign.status_code == 404
    assert BreakGlassAccess.objects.count() == grants


# --- notes, orders, breaches, outcomes, assignment ------------------------------------------------------------


def test_note(world: World, case: Case) -> None:
    response = api(world.clinician).post(
        f"/api/v1/cases/{case.pk}/notes/", {"text": "Formulation started.", "record_class": "clinical"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["record_class"] == "clinical" and response.json()["agency"] == world.health.name
    advocate_view = api(world.advocate).get(f"/api/v1/cases/{case.pk}/").content.decode()
    assert "Formulation started." not in advocate_view
    empty = api(world.advocate).post(f"/api/v1/cases/{case.pk}/notes/", {"text": " "}, format="json")
    assert empty.status_code == 400 and "text" in empty.json()


def test_order_breach_and_outcome(world: World, case: Case) -> None:
    client = api(world.triage_officer)
    order = client.post(
        f"/api/v1/cases/{case.pk}/orders/",
        {"kind": "spo_full", "made_on": "2024-02-29", "expires_on": "2026-02-26", "issued_by": "Chester Magistrates"},
        format="json",
    )
    assert order.status_code == 400 and "expires_on" in order.json()  # an SPO lasts at least two years
    order = client.post(
        f"/api/v1/cases/{case.pk}/orders/",
        {"kind": "spo_full", "made_on": "2024-02-29", "expires_on": "2026-03-01", "exclusion_zones": "Hoole Road"},
        format="json",
    )
    assert order.status_code == 201, order.content
    assert order.json()["exclusion_zones"] == "Hoole Road"
    order_id = order.json()["id"]
    assert (
        api(world.advocate)
        .post(f"/api/v1/cases/{case.pk}/orders/", {"kind": "restraining_order", "made_on": "2025-01-01"}, format="json")
        .status_code
        == 400
    )

    breach = client.post(
        f"/api/v1/cases/{case.pk}/orders/{order_id}/breaches/",
        {"occurred_on": (today() - dt.timedelta(days=1)).isoformat(), "crime_reference": "ch/888/26"},
        format="json",
    )
    assert breach.status_code == 201, breach.content
    assert breach.json()["crime_reference"] == "CH/888/26"
    early = client.post(
        f"/api/v1/cases/{case.pk}/orders/{order_id}/breaches/", {"occurred_on": "2020-01-01"}, format="json"
    )
    assert early.status_code == 400 and "occurred_on" in early.json()
    other_order = Order.objects.exclude(pk=order_id).get(case=case)
    elsewhere = make_case(world.triage_officer, crime_reference="CH/2/26")
    wrong_case = client.post(
        f"/api/v1/cases/{elsewhere.pk}/orders/{other_order.pk}/breaches/", {"occurred_on": "2025-01-01"}, format="json"
    )
    assert wrong_case.status_code == 404

    outcome = client.post(
        f"/api/v1/cases/{case.pk}/outcomes/",
        {
            "kind": "court_result",
            "decided_on": today().isoformat(),
            "offence": "s4a_stalking",
            "court_result": "convicted",
            "sentence": "18 months",
        },
        format="json",
    )
    assert outcome.status_code == 201, outcome.content
    assert outcome.json()["kind_label"] == "Court result"
    no_result = client.post(
        f"/api/v1/cases/{case.pk}/outcomes/",
        {"kind": "court_result", "decided_on": today().isoformat()},
        format="json",
    )
    assert no_result.status_code == 400 and "court_result" in no_result.json()
    assert Breach.objects.filter(order_id=order_id).count() == 1
    assert CriminalJusticeOutcome.objects.filter(case=case).count() == 1


def test_assignment(world: World, other_world: World, case: Case) -> None:
    client = api(world.triage_officer)
    url = f"/api/v1/cases/{case.pk}/assignment/"

    response = client.patch(url, {"worker": world.advocate.pk}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["assigned_worker"]["id"] == world.advocate.pk
    foreign = client.patch(url, {"worker": other_world.advocate.pk}, format="json")
    assert foreign.status_code == 400 and "worker" in foreign.json()
    unshare(world, case, world.health)
    cannot_see = client.patch(url, {"worker": world.clinician.pk}, format="json")
    assert cannot_see.status_code == 400 and "worker" in cannot_see.json()
    cleared = client.patch(url, {"worker": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["assigned_worker"] is None


# --- 404 outside scope, on every endpoint ---------------------------------------------------------------------


def case_endpoints(world: World, case: Case) -> list[tuple[str, str, dict[str, Any]]]:
    order = Order.objects.get(case=case)
    victim, perpetrator = party(case), party(case, PartyRole.PERPETRATOR)
    base = f"/api/v1/cases/{case.pk}"
    reason = {"reason": "Needed for the risk management plan"}
    return [
        ("get", f"{base}/", {}),
        ("post", f"{base}/transitions/", {"to_status": "awaiting_triage"}),
        ("post", f"{base}/shares/", {"agency": world.probation.pk, **reason}),
        ("delete", f"{base}/shares/", {"agency": world.police.pk, **reason}),
        ("post", f"{base}/notes/", {"text": "A note"}),
        ("post", f"{base}/orders/", {"kind": "restraining_order", "made_on": "2025-01-01"}),
        ("post", f"{base}/orders/{order.pk}/breaches/", {"occurred_on": today().isoformat()}),
        ("post", f"{base}/outcomes/", {"kind": "adult_caution", "decided_on": today().isoformat()}),
        ("patch", f"{base}/assignment/", {"worker": None}),
        ("get", f"{base}/evaluation-factors/", {}),
        ("patch", f"{base}/evaluation-factors/", {"mappa": True}),
        ("get", f"/api/v1/people/{victim.pk}/", {}),
        ("get", f"/api/v1/people/{perpetrator.pk}/", {}),
        ("patch", f"/api/v1/people/{perpetrator.pk}/", {"given_name": "Changed"}),
        ("post", f"/api/v1/people/{perpetrator.pk}/merge/", {"other_person_id": victim.pk, **reason}),
    ]


def assert_404_everywhere(user: User, world: World, case: Case) -> None:
    client = api(user)
    before = row_counts()
    for method, url, body in case_endpoints(world, case):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
    assert row_counts() == before
    assert case.pk not in [r["id"] for r in client.get("/api/v1/cases/").json()["results"]]


def test_404_for_a_user_of_another_partnership(world: World, other_world: World, case: Case) -> None:
    assert_404_everywhere(other_world.triage_officer, world, case)
    response = api(other_world.triage_officer).post(
        f"/api/v1/cases/{case.pk}/break-glass/", {"reason": "Looking at a case elsewhere"}, format="json"
    )
    assert response.status_code == 404


def test_404_for_an_agency_the_case_is_not_shared_with(world: World, case: Case) -> None:
    unshare(world, case, world.probation)
    assert_404_everywhere(world.probation_practitioner, world, case)


def test_404_on_a_case_that_does_not_exist(world: World) -> None:
    client = api(world.triage_officer)
    assert client.get("/api/v1/cases/999999999/").status_code == 404
    assert client.post("/api/v1/cases/999999999/break-glass/", {"reason": "x" * 20}, format="json").status_code == 404
    assert client.get("/api/v1/people/999999999/").status_code == 404


# --- authentication, CSRF and the schema -------------------------------------------------------------------------


def test_writes_need_the_csrf_token(world: World, case: Case) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.get("/accounts/login/")  # sets the CSRF cookie, as the sign-in page does for a browser
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    client.force_login(world.advocate)
    url = f"/api/v1/cases/{case.pk}/notes/"

    refused = client.post(url, {"text": "No token"}, format="json")

    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    accepted = client.post(url, {"text": "With token"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201
    assert client.get("/api/v1/cases/").status_code == 200


def test_anonymous_requests_are_refused(case: Case) -> None:
    response = APIClient().get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code in (302, 401, 403)
    assert "Hannah" not in response.content.decode()


def test_schema_renders_without_warnings(world: World, tmp_path: Any) -> None:
    response = api(world.advocate).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    # The session scheme (masip.api's extension) is in the schema clients read.
    assert schema["components"]["securitySchemes"]["sessionAuth"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "masip_session",
    }
    for path in (
        "/api/v1/cases/",
        "/api/v1/cases/search/",
        "/api/v1/cases/{case_id}/",
        "/api/v1/referrals/",
        "/api/v1/people/match/",
        "/api/v1/people/{person_id}/",
        "/api/v1/cases/{case_id}/break-glass/",
        "/api/v1/cases/{case_id}/orders/{order_id}/breaches/",
    ):
        assert path in paths
    # drf-spectacular raises on any warning with --fail-on-warn, as `check --deploy` reports them.
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
