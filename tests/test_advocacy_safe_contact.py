"""Safe-contact preferences: one rule for the case page and the advocacy pages, and one writer.

A victim's code word, safe times and ways are her location. The case page shows them
under the per-person rule (cases.permissions.people_classes: the agreement grants
victim_location, and she is a victim in no case the reader cannot see); the advocacy
pages and endpoints read under the same rule, and write through the one writer
(cases.services.safe_contact_set), so the two places accept and refuse alike.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from advocacy import services
from agencies.models import AgencyKind, RecordClass, SharingRule, User
from audit.models import AccessAction, AccessLog
from cases import services as case_services
from cases.models import CaseParty, PartyRole, SafeContactPreference
from tests.advocacy_factories import victim_id
from tests.case_factories import VICTIM_CODE_WORD, make_case
from tests.factories import World

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def safe_contact_url(case_id: int, person_id: int) -> str:
    return f"/api/v1/cases/{case_id}/advocacy/safe-contact/{person_id}/"


def preference(person_id: int) -> tuple[str, str, str]:
    pref = SafeContactPreference.objects.get(person_id=person_id)
    return (pref.code_word, pref.safe_times, pref.notes)


def test_a_victim_of_a_case_advocacy_cannot_see_keeps_her_code_word_from_advocacy_as_from_the_case_page(
    world: World,
) -> None:
    case = make_case(world.triage_officer)
    person = victim_id(case)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    # She is also a victim in a case the advocacy service is not given (another incident).
    elsewhere = make_case(world.triage_officer, victim_name=("Ruth", "Ames"), crime_reference="CH/99999/26")
    case_services.case_share_remove(
        actor=world.triage_officer, case=elsewhere, agency=world.advocacy, reason="Police-only investigation."
    )
    CaseParty.objects.create(case=elsewhere, person_id=person, role=PartyRole.SECONDARY_VICTIM)
    client = client_for(world.advocate)
    case_page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert VICTIM_CODE_WORD not in case_page  # the case page's per-person rule
    # The advocacy pages read under the same rule: nothing of her preferences, anywhere.
    assert client.get(reverse("advocacy:safe_contact_edit", args=[case.pk, person])).status_code == 404
    for url in (
        reverse("advocacy:case_advocacy", args=[case.pk]),
        reverse("advocacy:contact_add", args=[case.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert VICTIM_CODE_WORD not in page.content.decode(), url
    api = api_for(world.advocate)
    assert api.get(safe_contact_url(case.pk, person)).status_code == 404
    overview = api.get(f"/api/v1/cases/{case.pk}/advocacy/").json()
    assert overview["safe_contacts"] is None
    # Nor may they be written from here, by page or API: 404 and nothing changed.
    before = preference(person)
    body = {"safe_times": "Evenings", "channels": ["text"], "code_word": "otter", "notes": ""}
    assert client.post(reverse("advocacy:safe_contact_edit", args=[case.pk, person]), body).status_code == 404
    assert api.put(safe_contact_url(case.pk, person), body, format="json").status_code == 404
    assert preference(person) == before
    # The police, who hold both of her cases, still read them.
    police = client_for(world.triage_officer).get(reverse("advocacy:safe_contact_edit", args=[case.pk, person]))
    assert police.status_code == 200 and VICTIM_CODE_WORD in police.content.decode()


def test_an_agreement_that_gives_probation_victim_location_opens_safe_contact_to_read_and_write(
    world: World,
) -> None:
    SharingRule.objects.create(
        agreement=world.partnership.sharing_agreement,
        agency_kind=AgencyKind.PROBATION,
        record_class=RecordClass.VICTIM_LOCATION,
    )
    case = make_case(world.triage_officer)
    person = victim_id(case)
    client = client_for(world.probation_practitioner)
    # The case page shows probation her code word under this agreement ...
    assert VICTIM_CODE_WORD in client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    # ... and so does the advocacy page, with one access-log row for what it showed.
    page = client.get(reverse("advocacy:safe_contact_edit", args=[case.pk, person]))
    assert page.status_code == 200 and VICTIM_CODE_WORD in page.content.decode()
    rows = AccessLog.objects.filter(user=world.probation_practitioner, record_type="cases.safecontactpreference")
    assert [(r.action, r.record_ids) for r in rows] == [(AccessAction.VIEW, [str(person)])]
    # Whoever may read them may record a change: the writer asks the same predicate.
    answer = api_for(world.probation_practitioner).put(
        safe_contact_url(case.pk, person),
        {"safe_times": "Evenings", "channels": ["text"], "code_word": "otter", "notes": ""},
        format="json",
    )
    assert answer.status_code == 200 and answer.json()["code_word"] == "otter"
    assert preference(person) == ("otter", "Evenings", "")
    change = AccessLog.objects.filter(user=world.probation_practitioner).latest("id")
    assert (change.action, change.record_type) == (AccessAction.CHANGE, "cases.safecontactpreference")
    # Without the class, the answer is 404 on both, as on the case page.
    SharingRule.objects.filter(
        agreement=world.partnership.sharing_agreement,
        agency_kind=AgencyKind.PROBATION,
        record_class=RecordClass.VICTIM_LOCATION,
    ).delete()
    fresh = User.objects.get(pk=world.probation_practitioner.pk)
    assert VICTIM_CODE_WORD not in client_for(fresh).get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert client_for(fresh).get(reverse("advocacy:safe_contact_edit", args=[case.pk, person])).status_code == 404


def test_advocacy_validates_safe_contact_as_the_case_writer_does(world: World) -> None:
    case = make_case(world.triage_officer)
    person = victim_id(case)
    too_long = "n" * 2001
    # The one validation, asked directly: what every writer must refuse.
    expected = case_services.validate_safe_contact(case_services.SafeContactInput(notes=too_long))
    assert set(expected) == {"notes"}
    before = preference(person)
    answer = api_for(world.advocate).put(
        safe_contact_url(case.pk, person),
        {"safe_times": "", "channels": [], "code_word": "", "notes": too_long},
        format="json",
    )
    assert answer.status_code == 400 and answer.json() == {"notes": [expected["notes"]]}
    page = client_for(world.advocate).post(
        reverse("advocacy:safe_contact_edit", args=[case.pk, person]),
        {"safe_times": "", "code_word": "", "notes": too_long},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "There is a problem" in html and expected["notes"] in html
    assert preference(person) == before
