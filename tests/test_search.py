"""The one search in the header: case reference, name and alias, crime reference and PNC ID;
a count, pages, each hit's status and how it was found; scoped as the caseload."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import User
from audit.models import AccessAction, AccessLog
from cases import selectors, services
from cases.models import Case, CaseParty, PartyRole, Person, PersonAlias
from cases.services import normalise_name
from tests.case_factories import make_case
from tests.factories import World

pytestmark = pytest.mark.django_db


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def search(user: User, term: str, page: int = 1) -> dict:
    response = api(user).post("/api/v1/search/", {"q": term, "page": page}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("term", "expected"), [("MASIP-000123", 123), ("masip 123", 123), ("123", 123), ("000123", 123), ("Cole", None)]
)
def test_case_references_are_read_as_people_type_them(term: str, expected: int | None) -> None:
    assert selectors.case_reference_id(term) == expected


def test_a_case_is_found_by_its_reference_in_either_form(world: World) -> None:
    case = make_case(world.triage_officer)
    for term in (case.reference, str(case.pk)):
        body = search(world.advocate, term)
        assert body["count"] == 1, term
        hit = body["results"][0]
        assert (hit["id"], hit["reference"], hit["status"], hit["matched"]) == (
            case.pk,
            case.reference,
            case.status,
            ["Case reference"],
        )


def test_names_aliases_crime_references_and_pnc_ids_find_cases_with_the_role_found(world: World) -> None:
    case = make_case(world.triage_officer, perpetrator_pnc="19/654321B", crime_reference="CH/777/26")
    perpetrator = Person.objects.get(
        pk=CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR, is_primary=True).person_id
    )
    PersonAlias.objects.create(
        person=perpetrator, given_name="Daz", family_name="Coleman", name_normalised=normalise_name("Daz", "Coleman")
    )
    assert search(world.advocate, "Darren Cole")["results"][0]["matched"] == ["Perpetrator"]
    assert search(world.advocate, "Daz Coleman")["results"][0]["matched"] == ["Perpetrator"]
    assert search(world.advocate, "19/654321b")["results"][0]["matched"] == ["Perpetrator (PNC ID)"]
    assert search(world.advocate, "ch/777/26")["results"][0]["matched"] == ["Crime reference"]
    assert search(world.advocate, "Hannah Mills")["results"][0]["matched"] == ["Victim"]


def test_results_are_counted_and_paged(world: World) -> None:
    for _ in range(22):
        make_case(world.triage_officer, perpetrator_name=("Ivor", "Pagewell"), crime_reference="")
    first = search(world.advocate, "Pagewell")
    assert (first["count"], first["page"], first["pages"], len(first["results"])) == (22, 1, 2, 20)
    second = search(world.advocate, "Pagewell", page=2)
    assert (second["page"], len(second["results"])) == (2, 2)
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_a_victims_name_finds_nothing_for_health(world: World) -> None:
    case = make_case(world.triage_officer)
    body = search(world.clinician, "Hannah Mills")
    assert (body["count"], body["results"]) == (0, [])
    # The perpetrator is found, and the victim is withheld in the hit.
    hit = search(world.clinician, "Darren Cole")["results"][0]
    assert (hit["id"], hit["victim"]) == (case.pk, "Withheld")


def test_a_case_not_shared_with_the_agency_is_not_found_even_by_reference(world: World) -> None:
    case = make_case(world.triage_officer)
    services.case_share_remove(actor=world.admin, case=case, agency=world.health, reason="Not needed by health.")
    for term in (case.reference, "Darren Cole", "CH/12345/26"):
        assert search(world.clinician, term)["count"] == 0, term
    assert search(world.advocate, case.reference)["count"] == 1


def test_the_api_refuses_an_empty_term_and_logs_a_search(world: World) -> None:
    case = make_case(world.triage_officer)
    assert api(world.advocate).post("/api/v1/search/", {}, format="json").status_code == 400
    search(world.advocate, case.reference)
    entry = AccessLog.objects.filter(user=world.advocate).latest("id")
    assert (entry.action, entry.record_type, entry.record_ids) == (AccessAction.SEARCH, "cases.case", [str(case.pk)])


def test_the_header_search_posts_then_shows_results_without_the_term_in_the_address(world: World) -> None:
    case: Case = make_case(world.triage_officer)
    client = client_for(world.advocate)
    home = client.get(reverse("cases:caseload")).content.decode()
    assert 'data-testid="header-search"' in home
    posted = client.post(reverse("cases:search"), {"q": case.reference})
    assert posted.status_code == 302 and posted["Location"] == reverse("cases:search")
    page = client.get(reverse("cases:search")).content.decode()
    assert "1 case found" in page
    assert reverse("cases:case_detail", args=[case.pk]) in page
    assert "Case reference" in page and case.get_status_display() in page
    # A page beyond the last shows the last.
    assert client.get(reverse("cases:search") + "?page=9").status_code == 200
    assert client.get(reverse("cases:search") + "?page=x").status_code == 200
