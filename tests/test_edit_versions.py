"""The version an editor saw travels with the edit: a stale one is refused, on the pages and the API.

(The races themselves, on real concurrent connections, are in test_concurrent_edits.py.)
"""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import User
from cases import services as case_services
from cases.models import Case, CaseParty, PartyRole, Person
from interventions.models import TherapyPlan
from interventions.tests.helpers import accepted, old_case, plan
from masip.concurrency import CONFLICT_MESSAGE, version_of
from tests.case_factories import make_case
from tests.factories import World
from tests.triage_factories import make_meeting, on_agenda, waiting_case
from triage import services as triage_services
from triage.models import AgendaItem

pytestmark = pytest.mark.django_db


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def perpetrator(case: Case) -> Person:
    return CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR, is_primary=True).person


def assert_refused(response: object, current_etag: str) -> None:
    assert response.status_code == 412  # type: ignore[attr-defined]
    assert response.json() == {"detail": CONFLICT_MESSAGE}  # type: ignore[attr-defined]
    assert response["ETag"] == current_etag  # type: ignore[index]


# --- the API ------------------------------------------------------------------------------------------------------


def test_person_patch_with_a_stale_if_match_is_412_and_writes_nothing(world: World) -> None:
    person = perpetrator(make_case(world.triage_officer))
    client = api(world.triage_officer)
    url = f"/api/v1/people/{person.pk}/"
    seen = client.get(url)["ETag"]

    first = client.patch(url, {"given_name": "Dean"}, format="json", HTTP_IF_MATCH=seen)
    assert first.status_code == 200 and first["ETag"] != seen
    stale = client.patch(url, {"family_name": "Coles"}, format="json", HTTP_IF_MATCH=seen)

    assert_refused(stale, first["ETag"])
    person.refresh_from_db()
    assert (person.given_name, person.family_name) == ("Dean", "Cole")
    # Without If-Match the change is merged into the record as it now is.
    merged = client.patch(url, {"family_name": "Coles"}, format="json")
    assert merged.status_code == 200
    person.refresh_from_db()
    assert (person.given_name, person.family_name) == ("Dean", "Coles")
    assert client.patch(url, {"family_name": "Cole"}, format="json", HTTP_IF_MATCH="*").status_code == 200


def test_if_match_does_not_open_a_record_outside_scope(world: World, other_world: World) -> None:
    person = perpetrator(make_case(world.triage_officer))
    case = Case.objects.get(parties__person=person)
    seen = api(world.triage_officer).get(f"/api/v1/people/{person.pk}/")["ETag"]
    outsider = api(other_world.triage_officer)

    assert outsider.get(f"/api/v1/people/{person.pk}/").status_code == 404
    answer = outsider.patch(f"/api/v1/people/{person.pk}/", {"given_name": "X"}, format="json", HTTP_IF_MATCH=seen)
    assert answer.status_code == 404 and "ETag" not in answer
    assignment = outsider.patch(
        f"/api/v1/cases/{case.pk}/assignment/", {"worker": None}, format="json", HTTP_IF_MATCH="*"
    )
    assert assignment.status_code == 404
    person.refresh_from_db()
    assert person.given_name == "Darren"


def test_case_assignment_with_a_stale_if_match_is_412(world: World) -> None:
    case = make_case(world.triage_officer)
    client = api(world.triage_officer)
    seen = client.get(f"/api/v1/cases/{case.pk}/")["ETag"]
    url = f"/api/v1/cases/{case.pk}/assignment/"

    first = client.patch(url, {"worker": world.advocate.pk}, format="json", HTTP_IF_MATCH=seen)
    assert first.status_code == 200
    assert first["ETag"] == client.get(f"/api/v1/cases/{case.pk}/")["ETag"] != seen
    stale = client.patch(url, {"worker": None}, format="json", HTTP_IF_MATCH=seen)

    assert_refused(stale, first["ETag"])
    case.refresh_from_db()
    assert case.assigned_worker_id == world.advocate.pk
    # What the system keeps by itself (the next due date) is nobody's edit: no conflict.
    case_services.case_set_next_due(case_id=case.pk, next_due_on=None)
    assert client.patch(url, {"worker": None}, format="json", HTTP_IF_MATCH=first["ETag"]).status_code == 200


def test_safety_measure_with_a_stale_if_match_is_412(world: World) -> None:
    case = make_case(world.triage_officer)
    client = api(world.triage_officer)
    base = f"/api/v1/cases/{case.pk}/advocacy/safety-plan/"
    made = client.post(f"{base}measures/", {"kind": "cctv", "owner_agency": world.police.pk}, format="json").json()
    listed = client.get(base).json()[0]["measures"][0]
    assert listed["etag"] == made["etag"]
    url = f"{base}measures/{made['id']}/"

    first = client.patch(url, {"details": "Doorbell camera"}, format="json", HTTP_IF_MATCH=made["etag"])
    assert first.status_code == 200 and first.json()["etag"] == first["ETag"] != made["etag"]
    stale = client.patch(url, {"details": "Front door camera"}, format="json", HTTP_IF_MATCH=made["etag"])

    assert_refused(stale, first["ETag"])
    assert client.get(base).json()[0]["measures"][0]["details"] == "Doorbell camera"


def test_agenda_item_with_a_stale_if_match_is_412(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    item = on_agenda(world, meeting, waiting_case(world))
    client = api(world.triage_officer)
    url = f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/"
    shown = client.get(url).json()
    seen = shown["etag"]
    other = "brief" if shown["hearing"] == "full" else "full"

    first = client.patch(url, {"hearing": other}, format="json", HTTP_IF_MATCH=seen)
    assert first.status_code == 200 and first.json()["etag"] == first["ETag"] != seen
    stale = client.patch(url, {"hearing": shown["hearing"]}, format="json", HTTP_IF_MATCH=seen)

    assert_refused(stale, first["ETag"])
    assert client.get(url).json()["hearing"] == other


def test_therapy_plan_with_a_stale_if_match_is_412(world: World) -> None:
    intervention = accepted(world, old_case(world))
    client = api(world.clinician)
    url = f"/api/v1/interventions/{intervention.pk}/plans/"
    body = {
        "modalities": ["cbt"],
        "planned_sessions": 10,
        "frequency": "weekly",
        "desired_outcomes": ["Fewer contacts"],
        "criminogenic_needs": ["housing"],
    }
    nothing_yet = client.post(url, body, format="json", HTTP_IF_MATCH='"some-plan"')
    assert nothing_yet.status_code == 412
    draft = client.post(url, body, format="json", HTTP_IF_MATCH="*")
    assert draft.status_code == 201, draft.content
    seen = draft.json()["etag"]

    again = client.post(url, {**body, "planned_sessions": 12}, format="json", HTTP_IF_MATCH=seen)
    assert again.status_code == 201
    stale = client.post(url, {**body, "planned_sessions": 8}, format="json", HTTP_IF_MATCH=seen)

    assert_refused(stale, again["ETag"])
    assert TherapyPlan.objects.get(intervention=intervention).planned_sessions == 12


# --- the pages ----------------------------------------------------------------------------------------------------


def test_person_page_warns_instead_of_overwriting(world: World) -> None:
    person = perpetrator(make_case(world.triage_officer))
    url = reverse("people:person_edit", args=[person.pk])
    client = browser(world.triage_officer)
    opened = client.get(url).context["form"]
    form_data = {name: opened.initial.get(name) or "" for name in opened.fields}
    # Someone else records the PNC ID after the page was opened.
    case_services.person_update(actor=world.triage_officer, person=person, changes={"pnc_id": "19/123456A"})

    saved = client.post(url, {**form_data, "given_name": "Dean"})

    assert saved.status_code == 200
    assert html.escape(CONFLICT_MESSAGE) in saved.content.decode()
    person.refresh_from_db()
    assert (person.given_name, person.pnc_id) == ("Darren", "19/123456A")
    # The form now shows the record as it is, with its version: saving that works.
    shown = saved.context["form"]
    assert shown.initial["pnc_id"] == "19/123456A"
    again = client.post(url, {**{n: shown.initial.get(n) or "" for n in shown.fields}, "given_name": "Dean"})
    assert again.status_code == 302
    person.refresh_from_db()
    assert (person.given_name, person.pnc_id) == ("Dean", "19/123456A")


def test_assignment_page_warns_instead_of_overwriting(world: World) -> None:
    case = make_case(world.triage_officer)
    url = reverse("cases:assign_worker", args=[case.pk])
    client = browser(world.triage_officer)
    version = client.get(url).context["form"].initial["version"]
    case_services.case_assign_worker(actor=world.programme_manager, case=case, worker=world.advocate)

    saved = client.post(url, {"worker": world.triage_officer.pk, "version": version})

    assert saved.status_code == 200
    assert html.escape(CONFLICT_MESSAGE) in saved.content.decode()
    case.refresh_from_db()
    assert case.assigned_worker_id == world.advocate.pk
    assert saved.context["form"].initial["worker"] == world.advocate.pk


def test_plan_page_carries_the_version_of_the_latest_plan(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    page = browser(world.clinician).get(
        reverse("interventions:plan_edit", args=[intervention.case_id, intervention.pk])
    )
    assert page.status_code == 200
    assert f'name="version" value="{page.context["form"].initial["version"]}"' in page.content.decode()
    assert page.context["form"].initial["version"] != "none"


def test_hearing_switch_warns_instead_of_overwriting(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    item = on_agenda(world, meeting, waiting_case(world))
    url = reverse("triage:agenda_item_hearing", args=[meeting.pk, item.pk])
    prefix = f"hearing-{item.pk}"
    shown = AgendaItem.objects.get(pk=item.pk)
    other = "brief" if shown.hearing == "full" else "full"
    # Another chair changes it after this page was drawn.
    triage_services.agenda_set_hearing(actor=world.triage_officer, meeting=meeting, item_id=item.pk, hearing=other)

    answer = browser(world.triage_officer).post(
        url, {f"{prefix}-hearing": shown.hearing, f"{prefix}-version": version_of(shown)}
    )

    assert html.escape(CONFLICT_MESSAGE) in answer.content.decode()
    assert AgendaItem.objects.get(pk=item.pk).hearing == other
