"""The case pages: caseload, case, person, intake, break-glass; scope, redaction, query counts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from agencies.models import User
from audit.models import AccessAction, AccessLog
from cases import links, selectors, services
from cases.models import Case, CaseNote, CaseParty, CaseStatus, Order, PartyRole, Person, Referral
from tests.case_factories import (
    EXCLUSION_ZONE,
    VICTIM_ADDRESS,
    VICTIM_CODE_WORD,
    VICTIM_PHONE,
    VICTIM_POSTCODE,
    make_case,
)
from tests.factories import World

pytestmark = pytest.mark.django_db

LOCATION_SECRETS = (VICTIM_ADDRESS, VICTIM_POSTCODE, VICTIM_PHONE, VICTIM_CODE_WORD, EXCLUSION_ZONE)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def case_url(case: Case) -> str:
    return reverse("cases:case_detail", args=[case.pk])


def person_url(case: Case, role: str) -> str:
    person_id = CaseParty.objects.get(case=case, role=role, is_primary=True).person_id
    return reverse("people:person_detail", args=[person_id])


def with_order(world: World, case: Case) -> Case:
    services.order_record(
        actor=world.triage_officer,
        case=case,
        kind="restraining_order",
        made_on=dt.date.today() - dt.timedelta(days=1),
        conditions="No contact with the victim by any means.",
        exclusion_zones=EXCLUSION_ZONE,
    )
    return case


def counts() -> tuple[int, int, int]:
    return Case.objects.count(), Person.objects.count(), Referral.objects.count()


def intake_data(**overrides: str) -> dict[str, str]:
    received = dt.date.today() - dt.timedelta(days=2)
    data = {
        "received_on_day": str(received.day),
        "received_on_month": str(received.month),
        "received_on_year": str(received.year),
        "referring_agency_kind": "police",
        "crime_references": "CH/55555/26, CH/55556/26",
        "offence": "s2a_stalking",
        "referral_reason": "arrest",
        "relationship": "ex_intimate",
        "summary": "Followed the victim home twice.",
        "victim-given_name": "Rosa",
        "victim-family_name": "Linden",
        "victim-gender": "female",
        "victim-address_line_1": "3 Quarry Lane",
        "victim-postcode": "CH2 1AA",
        "victim-phone": "07700 900555",
        "victim-channels": "text",
        "victim-link": "new",
        "perpetrator-given_name": "Owen",
        "perpetrator-family_name": "Prior",
        "perpetrator-gender": "male",
        "perpetrator-link": "new",
    }
    data.update(overrides)
    return data


# --- each page renders for an allowed user ----------------------------------------------------------


def test_caseload_lists_shared_cases_and_logs_the_view(world: World) -> None:
    case = make_case(world.triage_officer)
    response = client_for(world.advocate).get(reverse("cases:caseload"))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.reference in html and "Darren Cole" in html and "Hannah Mills" in html
    entry = AccessLog.objects.filter(user=world.advocate, record_type="cases.case").latest("id")
    assert entry.action == AccessAction.VIEW and entry.record_ids == [str(case.pk)]


def test_caseload_shows_victim_as_withheld_to_health(world: World) -> None:
    make_case(world.triage_officer)
    html = client_for(world.clinician).get(reverse("cases:caseload")).content.decode()
    assert "Withheld" in html and "Hannah Mills" not in html


@pytest.mark.parametrize("role", ["triage_officer", "advocate", "clinician", "probation_practitioner"])
def test_case_page_renders_for_every_agency_it_is_shared_with(world: World, role: str) -> None:
    case = with_order(world, make_case(world.triage_officer))
    response = client_for(getattr(world, role)).get(case_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.reference in html and "moj-identity-bar" in html and "moj-timeline" in html
    assert "Home Office code 008/65, 008/66" in html
    entry = AccessLog.objects.filter(user=getattr(world, role), record_type="cases.case").latest("id")
    assert entry.action == AccessAction.VIEW and entry.record_ids == [str(case.pk)]


def test_person_page_renders_and_logs(world: World) -> None:
    case = make_case(world.triage_officer)
    response = client_for(world.triage_officer).get(person_url(case, PartyRole.PERPETRATOR))
    assert response.status_code == 200
    assert "Darren Cole" in response.content.decode() and case.reference in response.content.decode()
    entry = AccessLog.objects.filter(user=world.triage_officer, record_type="cases.person").latest("id")
    assert entry.action == AccessAction.VIEW


@pytest.mark.parametrize(
    ("name", "expected"),
    [("cases:referral_new", "Home Office code 195/12"), ("cases:break_glass", "Open a case with break-glass access")],
)
def test_form_pages_render(world: World, name: str, expected: str) -> None:
    response = client_for(world.triage_officer).get(reverse(name))
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_case_action_pages_render(world: World) -> None:
    case = with_order(world, make_case(world.triage_officer))
    order = Order.objects.get(case=case)
    client = client_for(world.triage_officer)
    for url in (
        reverse("cases:order_add", args=[case.pk]),
        reverse("cases:breach_add", args=[case.pk, order.pk]),
        reverse("cases:outcome_add", args=[case.pk]),
        reverse("cases:assign_worker", args=[case.pk]),
        reverse("cases:case_sharing", args=[case.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_referral_page_is_not_offered_to_a_programme_manager(world: World) -> None:
    assert client_for(world.programme_manager).get(reverse("cases:referral_new")).status_code == 404


# --- outside scope everything is 404 ---------------------------------------------------------------------


def test_another_partnership_gets_404_everywhere(world: World, other_world: World) -> None:
    case = with_order(world, make_case(world.triage_officer))
    order = Order.objects.get(case=case)
    client = client_for(other_world.triage_officer)
    for url in (
        case_url(case),
        person_url(case, PartyRole.VICTIM),
        person_url(case, PartyRole.PERPETRATOR),
        reverse("cases:order_add", args=[case.pk]),
        reverse("cases:breach_add", args=[case.pk, order.pk]),
        reverse("cases:assign_worker", args=[case.pk]),
        reverse("cases:case_sharing", args=[case.pk]),
        reverse("people:person_edit", args=[CaseParty.objects.filter(case=case).first().person_id]),  # type: ignore[union-attr]
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("cases:case_transition", args=[case.pk, "awaiting_triage"])).status_code == 404
    assert client.post(reverse("cases:note_add", args=[case.pk]), {"note-text": "x"}).status_code == 404
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REFERRED
    assert not CaseNote.objects.filter(case=case).exists()


def test_agency_the_case_is_not_shared_with_gets_404(world: World) -> None:
    case = make_case(world.triage_officer)
    services.case_share_remove(actor=world.triage_officer, case=case, agency=world.health, reason="Victim-only support")
    client = client_for(world.clinician)
    assert client.get(case_url(case)).status_code == 404
    assert client.get(person_url(case, PartyRole.PERPETRATOR)).status_code == 404
    assert case.reference not in client.get(reverse("cases:caseload")).content.decode()


def test_break_glass_opens_a_case_not_shared_with_the_agency(world: World, mailoutbox: list[Any]) -> None:
    case = make_case(world.triage_officer)
    services.case_share_remove(actor=world.triage_officer, case=case, agency=world.health, reason="Victim-only support")
    client = client_for(world.clinician)
    assert client.get(case_url(case)).status_code == 404
    short = client.post(reverse("cases:break_glass"), {"reference": case.reference, "reason": "urgent"})
    assert short.status_code == 200 and "Explain in a sentence" in short.content.decode()
    response = client.post(
        reverse("cases:break_glass"),
        {"reference": case.reference, "reason": "Perpetrator presented at A&E today; need the risk history now."},
    )
    assert response.status_code == 302 and response["Location"] == case_url(case)
    assert client.get(case_url(case)).status_code == 200
    assert AccessLog.objects.filter(user=world.clinician, break_glass=True, record_ids=[str(case.pk)]).exists()


def test_break_glass_does_not_reach_another_partnership(world: World, other_world: World) -> None:
    case = make_case(world.triage_officer)
    response = client_for(other_world.clinician).post(
        reverse("cases:break_glass"),
        {"reference": case.reference, "reason": "Trying to open a case of another partnership."},
    )
    assert response.status_code == 200
    assert "There is no case with this reference in your partnership" in response.content.decode()


# --- referral intake ---------------------------------------------------------------------------------------


def test_intake_creates_the_case_and_people(world: World) -> None:
    before = counts()
    response = client_for(world.triage_officer).post(reverse("cases:referral_new"), intake_data())
    assert response.status_code == 302
    case = Case.objects.latest("id")
    assert response["Location"] == case_url(case)
    assert counts() == (before[0] + 1, before[1] + 2, before[2] + 1)
    assert sorted(case.referral.crime_references.values_list("reference", flat=True)) == ["CH/55555/26", "CH/55556/26"]
    victim = Person.objects.get(case_parts__case=case, case_parts__role=PartyRole.VICTIM)
    assert victim.addresses.get().postcode == "CH2 1AA" and victim.safe_contact.channels == ["text"]


def test_intake_with_missing_fields_shows_errors_and_creates_nothing(world: World) -> None:
    before = counts()
    data = intake_data(received_on_day="", received_on_month="", received_on_year="", offence="")
    response = client_for(world.triage_officer).post(reverse("cases:referral_new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "Enter the date the referral was received" in html and 'href="#id_received_on_0"' in html
    assert "Choose the offence as recorded" in html and 'href="#id_offence_0"' in html
    assert counts() == before


def test_intake_service_errors_land_on_their_fields_and_nothing_is_saved(world: World) -> None:
    before = counts()
    future = dt.date.today() + dt.timedelta(days=5)
    data = intake_data(
        received_on_day=str(future.day),
        received_on_month=str(future.month),
        received_on_year=str(future.year),
        **{"perpetrator-pnc_id": "not-a-pnc", "victim-given_name": "", "victim-family_name": ""},
    )
    response = client_for(world.triage_officer).post(reverse("cases:referral_new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The date received cannot be in the future" in html
    assert 'href="#id_perpetrator-pnc_id"' in html and "Enter a PNC ID in the format" in html
    assert 'href="#id_victim-family_name"' in html and "Enter a name or an identifier" in html
    assert counts() == before


def test_intake_says_every_error_on_the_first_submit_naming_the_person(world: World) -> None:
    # The form's own complaints (missing answers) and the service's (identifiers, contact
    # details, dates) used to come one after the other: now all in one answer.
    before = counts()
    data = intake_data(
        offence="",
        last_incident_on_day="1",
        last_incident_on_month="1",
        last_incident_on_year=str(dt.date.today().year + 1),
        **{
            "victim-nhs_number": "1234567890",
            "victim-postcode": "ZZ",
            "victim-phone": "555 0100",
            "perpetrator-given_name": "",
            "perpetrator-family_name": "",
            "perpetrator-pnc_id": "",
        },
    )
    response = client_for(world.triage_officer).post(reverse("cases:referral_new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index("govuk-error-summary__list")
    summary = html[start : html.index("</ul>", start)]
    for expected in (
        "Choose the offence as recorded",
        "The last incident cannot be in the future",
        "Victim: enter a valid 10-digit NHS number",
        "Victim: enter a real postcode, like CH1 4QT",
        "Victim: enter a UK phone number",
        "Perpetrator: enter a name or an identifier",
    ):
        assert expected in summary, expected
    assert 'href="#id_victim-postcode"' in summary and 'href="#id_victim-phone"' in summary
    assert counts() == before


@pytest.mark.parametrize(
    ("postcode", "phone", "valid"),
    [
        ("CH1 4QT", "07700 900982", True),
        ("ch14qt", "+44 (0)1632 960001", True),
        ("EC1A 1BB", "01632-960-001", True),
        ("CH1", "07700 900982", False),
        ("CH1 4QT", "+1 555 0100", False),
        ("CH1 4QT", "07700 9009", False),
    ],
)
def test_postcodes_and_phone_numbers_are_checked(postcode: str, phone: str, valid: bool) -> None:
    from cases import services

    person = services.PersonInput(
        family_name="Mills",
        addresses=[services.AddressInput(line_1="1 High Street", postcode=postcode)],
        contacts=[services.ContactInput(kind="mobile", value=phone)],
    )
    assert (services.person_errors(person) == {}) is valid


def test_intake_with_an_impossible_date_says_so(world: World) -> None:
    data = intake_data(received_on_day="31", received_on_month="2")
    html = client_for(world.triage_officer).post(reverse("cases:referral_new"), data).content.decode()
    assert "Date the referral was received must be a real date" in html


def offered_link(html: str, role: str) -> str:
    found = re.findall(rf'name="{role}-link" type="radio" value="([^"]+)"', html)
    offers = [value for value in found if value != "new"]
    assert offers, "no match candidate offered"
    return offers[0]


def test_intake_offers_and_links_an_existing_perpetrator_by_pnc(world: World) -> None:
    existing_case = make_case(world.triage_officer, perpetrator_pnc="19/123456A")
    existing = CaseParty.objects.get(case=existing_case, role=PartyRole.PERPETRATOR).person
    client = client_for(world.triage_officer)
    before = counts()
    # Without JavaScript: "Check for existing records" re-renders the page with the matches.
    data = intake_data(
        **{"perpetrator-pnc_id": "19/123456a", "perpetrator-given_name": "", "perpetrator-family_name": ""}
    )
    checked = client.post(reverse("cases:referral_new"), {**data, "check": "perpetrator"})
    assert checked.status_code == 200
    html = checked.content.decode()
    # The radio carries a signed offer for this user, never the bare person id.
    token = offered_link(html, "perpetrator")
    offer = links.link_token_read(token, user=world.triage_officer)
    assert token != str(existing.pk) and offer is not None and offer.person_id == existing.pk
    assert "PNC ID" in html
    assert "govuk-error-summary" not in html
    assert AccessLog.objects.filter(
        user=world.triage_officer, action=AccessAction.SEARCH, record_type="cases.person", record_ids=[str(existing.pk)]
    ).exists()
    assert counts() == before
    response = client.post(reverse("cases:referral_new"), {**data, "perpetrator-link": token})
    assert response.status_code == 302
    case = Case.objects.latest("id")
    assert CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR).person_id == existing.pk
    # Only the victim is new.
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_candidate_panel_fragment_for_htmx(world: World) -> None:
    existing_case = make_case(world.triage_officer, perpetrator_pnc="19/123456A")
    existing = CaseParty.objects.get(case=existing_case, role=PartyRole.PERPETRATOR).person
    response = client_for(world.triage_officer).post(
        reverse("cases:referral_candidates", args=["perpetrator"]),
        {"perpetrator-given_name": "Darren", "perpetrator-family_name": "Cole"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    offer = links.link_token_read(offered_link(html, "perpetrator"), user=world.triage_officer)
    assert offer is not None and offer.person_id == existing.pk


# --- transitions -------------------------------------------------------------------------------------------


def test_legal_transition_moves_the_case(world: World) -> None:
    case = make_case(world.triage_officer)
    response = client_for(world.triage_officer).post(
        reverse("cases:case_transition", args=[case.pk, "awaiting_triage"])
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_TRIAGE


def test_illegal_transition_is_refused_with_a_clear_message(world: World) -> None:
    case = make_case(world.triage_officer)
    response = client_for(world.triage_officer).post(reverse("cases:case_transition", args=[case.pk, "closed"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html and "A case that is referred cannot become closed" in html
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REFERRED


def test_transition_outside_the_role_is_refused(world: World) -> None:
    case = make_case(world.triage_officer)
    response = client_for(world.advocate).post(reverse("cases:case_transition", args=[case.pk, "awaiting_triage"]))
    assert "Your role (Victim advocate) cannot put forward for triage a case" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REFERRED


def test_decline_needs_its_reasons(world: World) -> None:
    case = make_case(world.triage_officer)
    services.case_transition(actor=world.triage_officer, case=case, to_status="awaiting_triage")
    client = client_for(world.triage_officer)
    url = reverse("cases:case_transition", args=[case.pk, "declined"])
    html = client.post(url).content.decode()
    assert "Choose why the case is declined" in html and "Give the reason" in html
    assert 'href="#id_transition-declined-decision_0"' in html
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_TRIAGE
    response = client.post(
        url, {"transition-declined-decision": "not_stalking", "transition-declined-reason": "One incident only."}
    )
    assert response.status_code == 302
    declined = Case.objects.get(pk=case.pk)
    assert declined.status == CaseStatus.DECLINED and declined.decision == "not_stalking"


# --- redaction: victim location never reaches the perpetrator side ------------------------------------------


@pytest.mark.parametrize("role", ["probation_practitioner", "clinician"])
def test_perpetrator_side_pages_never_show_victim_location(world: World, role: str) -> None:
    case = with_order(world, make_case(world.triage_officer))
    client = client_for(getattr(world, role))
    for url in (case_url(case), person_url(case, PartyRole.VICTIM), person_url(case, PartyRole.PERPETRATOR)):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in LOCATION_SECRETS:
            assert secret not in html, (url, secret)
        if url == case_url(case):
            assert "Withheld under the information-sharing agreement" in html


def test_advocate_sees_victim_location(world: World) -> None:
    case = with_order(world, make_case(world.triage_officer))
    client = client_for(world.advocate)
    case_html = client.get(case_url(case)).content.decode()
    person_html = client.get(person_url(case, PartyRole.VICTIM)).content.decode()
    for secret in LOCATION_SECRETS:
        assert secret in case_html, secret
    for secret in (VICTIM_ADDRESS, VICTIM_POSTCODE, VICTIM_PHONE, VICTIM_CODE_WORD):
        assert secret in person_html, secret


def test_health_sees_neither_victim_name_nor_location(world: World) -> None:
    case = make_case(world.triage_officer)
    html = client_for(world.clinician).get(case_url(case)).content.decode()
    assert "Hannah" not in html and "Mills" not in html and "identity withheld" in html


# --- search terms stay out of URLs ------------------------------------------------------------------------


def test_search_term_never_appears_in_a_redirect(world: World) -> None:
    case = make_case(world.triage_officer)
    make_case(world.triage_officer, perpetrator_name=("Simon", "Blake"), crime_reference="CH/99999/26")
    client = client_for(world.advocate)
    response = client.post(reverse("cases:caseload") + "?status=referred&sort=oldest", {"q": "Darren Cole"})
    assert response.status_code == 302
    location = response["Location"]
    assert "Darren" not in location and "Cole" not in location and "q=" not in location
    assert location == reverse("cases:caseload") + "?status=referred&sort=oldest"
    page = client.get(location)
    html = page.content.decode()
    assert case.reference in html and "Simon Blake" not in html
    entry = AccessLog.objects.filter(user=world.advocate, record_type="cases.case").latest("id")
    assert entry.action == AccessAction.SEARCH and entry.record_ids == [str(case.pk)]
    cleared = client.post(location, {"clear": "1"})
    assert "Darren" not in cleared["Location"]
    assert "Simon Blake" in client.get(cleared["Location"]).content.decode()


def test_search_by_crime_reference(world: World) -> None:
    make_case(world.triage_officer)
    other = make_case(world.triage_officer, perpetrator_name=("Simon", "Blake"), crime_reference="CH/99999/26")
    client = client_for(world.triage_officer)
    location = client.post(reverse("cases:caseload"), {"q": "ch/99999/26"})["Location"]
    assert "99999" not in location
    rows = client.get(location).content.decode()
    assert other.reference in rows and "Darren Cole" not in rows


# --- filters, sort and keyset pagination ---------------------------------------------------------------------


def test_filters_show_tags_and_sort_sets_aria_sort(world: World) -> None:
    accepted = make_case(world.triage_officer)
    services.case_transition(actor=world.triage_officer, case=accepted, to_status="awaiting_triage")
    make_case(world.triage_officer, perpetrator_name=("Simon", "Blake"))
    html = client_for(world.triage_officer).get(reverse("cases:caseload") + "?status=awaiting_triage&sort=oldest")
    text = html.content.decode()
    assert accepted.reference in text and "Simon Blake" not in text
    assert "moj-filter__tag" in text and 'href="/cases/?sort=oldest"' in text
    assert 'aria-sort="ascending"' in text


def test_keyset_pagination_next_and_previous(world: World) -> None:
    for n in range(30):
        make_case(world.triage_officer, received_on=dt.date.today() - dt.timedelta(days=n), crime_reference="")
    client = client_for(world.triage_officer)
    first = client.get(reverse("cases:caseload"))
    assert first.context["page"].next_cursor and first.context["page"].previous_cursor is None
    assert len(first.context["page"].rows) == 25 and "Previous" not in first.content.decode()
    second = client.get(first.context["next_url"])
    assert len(second.context["page"].rows) == 5 and second.context["previous_url"]
    back = client.get(second.context["previous_url"])
    assert [r.case.pk for r in back.context["page"].rows] == [r.case.pk for r in first.context["page"].rows]
    assert "30 cases, page 1 of 2" in first.content.decode()
    assert "30 cases, page 2 of 2" in second.content.decode()


# --- notes and the other case actions -------------------------------------------------------------------


def test_quick_note_with_htmx_returns_the_activity_fragment(world: World) -> None:
    case = make_case(world.triage_officer)
    client = client_for(world.advocate)
    response = client.post(
        reverse("cases:note_add", args=[case.pk]), {"note-text": "Called the victim; safe."}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "Called the victim; safe." in html and "moj-timeline" in html
    empty = client.post(reverse("cases:note_add", args=[case.pk]), {"note-text": ""}, HTTP_HX_REQUEST="true")
    assert "Enter the note" in empty.content.decode()
    plain = client.post(reverse("cases:note_add", args=[case.pk]), {"note-text": "Second note."})
    assert plain.status_code == 302 and plain["Location"].startswith(case_url(case))


def test_clinical_note_is_not_shown_to_the_advocate(world: World) -> None:
    case = make_case(world.triage_officer)
    client_for(world.clinician).post(
        reverse("cases:note_add", args=[case.pk]),
        {"note-text": "Formulation: rejected type.", "note-record_class": "clinical"},
    )
    assert CaseNote.objects.filter(case=case, record_class="clinical").exists()
    assert "Formulation: rejected type." in client_for(world.clinician).get(case_url(case)).content.decode()
    assert "Formulation: rejected type." not in client_for(world.advocate).get(case_url(case)).content.decode()


def test_record_order_breach_outcome_and_assign(world: World) -> None:
    case = make_case(world.triage_officer)
    client = client_for(world.triage_officer)
    made = dt.date.today() - dt.timedelta(days=10)
    bad = client.post(reverse("cases:order_add", args=[case.pk]), {"kind": "spo_full", "made_on_day": "1"})
    assert "Date the order was made must include a month and a year" in bad.content.decode()
    response = client.post(
        reverse("cases:order_add", args=[case.pk]),
        {
            "kind": "spo_full",
            "made_on_day": made.day,
            "made_on_month": made.month,
            "made_on_year": made.year,
            "expires_on_day": made.day,
            "expires_on_month": made.month,
            "expires_on_year": made.year + 1,
        },
    )
    assert "A full Stalking Protection Order lasts at least two years" in response.content.decode()
    assert not Order.objects.filter(case=case).exists()
    response = client.post(
        reverse("cases:order_add", args=[case.pk]),
        {"kind": "restraining_order", "made_on_day": made.day, "made_on_month": made.month, "made_on_year": made.year},
    )
    assert response.status_code == 302
    order = Order.objects.get(case=case)
    response = client.post(
        reverse("cases:breach_add", args=[case.pk, order.pk]),
        {"occurred_on_day": made.day, "occurred_on_month": made.month, "occurred_on_year": made.year},
    )
    assert response.status_code == 302 and order.breaches.count() == 1
    response = client.post(
        reverse("cases:outcome_add", args=[case.pk]),
        {
            "kind": "court_result",
            "decided_on_day": made.day,
            "decided_on_month": made.month,
            "decided_on_year": made.year,
        },
    )
    assert "Choose the court result" in response.content.decode()
    response = client.post(reverse("cases:assign_worker", args=[case.pk]), {"worker": world.advocate.pk})
    assert response.status_code == 302 and Case.objects.get(pk=case.pk).assigned_worker == world.advocate


def test_probation_cannot_record_exclusion_zones_and_advocate_cannot_record_orders(world: World) -> None:
    case = make_case(world.triage_officer)
    page = client_for(world.probation_practitioner).get(reverse("cases:order_add", args=[case.pk]))
    assert page.status_code == 200 and "exclusion_zones" not in page.content.decode()
    assert client_for(world.advocate).get(reverse("cases:order_add", args=[case.pk])).status_code == 404


def test_sharing_page_adds_and_removes_with_a_reason(world: World) -> None:
    case = make_case(world.triage_officer)
    client = client_for(world.triage_officer)
    url = reverse("cases:case_sharing", args=[case.pk])
    no_reason = client.post(url, {"action": "remove", "remove-agency": world.health.pk})
    assert "Give the reason for withdrawing sharing" in no_reason.content.decode()
    response = client.post(url, {"action": "remove", "remove-agency": world.health.pk, "remove-reason": "Not needed"})
    assert response.status_code == 302
    assert client_for(world.clinician).get(case_url(case)).status_code == 404
    response = client.post(url, {"action": "add", "add-agency": world.health.pk, "add-reason": "Clinic referral"})
    assert response.status_code == 302
    assert client_for(world.clinician).get(case_url(case)).status_code == 200
    assert client_for(world.advocate).get(url).status_code == 404


# --- people: edit and merge ----------------------------------------------------------------------------------


def test_person_edit(world: World) -> None:
    case = make_case(world.triage_officer)
    url = person_url(case, PartyRole.PERPETRATOR) + "edit/"
    client = client_for(world.triage_officer)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"given_name": "Darren", "family_name": "Cole", "nhs_number": "123"})
    assert "Enter a valid 10-digit NHS number" in bad.content.decode()
    response = client.post(url, {"given_name": "Darren", "family_name": "Coles", "gender": "male"})
    assert response.status_code == 302
    assert CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR).person.family_name == "Coles"


def test_health_cannot_open_the_victim_edit_form(world: World) -> None:
    case = make_case(world.triage_officer)
    assert client_for(world.clinician).get(person_url(case, PartyRole.VICTIM) + "edit/").status_code == 404


def test_person_merge_folds_a_duplicate_in(world: World) -> None:
    first = make_case(world.triage_officer)
    second = make_case(world.triage_officer, victim_name=("Julie", "Ames"))
    keep = CaseParty.objects.get(case=first, role=PartyRole.PERPETRATOR).person
    duplicate = CaseParty.objects.get(case=second, role=PartyRole.PERPETRATOR).person
    url = reverse("people:person_merge", args=[keep.pk])
    client = client_for(world.triage_officer)
    page = client.get(url)
    assert page.status_code == 200 and f'value="{duplicate.pk}"' in page.content.decode()
    no_reason = client.post(
        url, {"action": "merge", "merged": duplicate.pk, "given_name": "Darren", "family_name": "Cole"}
    )
    assert "Say why these are the same person" in no_reason.content.decode()
    response = client.post(
        url,
        {"action": "merge", "merged": duplicate.pk, "reason": "Same date of birth and name", "family_name": "Cole"},
    )
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == keep.pk
    assert CaseParty.objects.get(case=second, role=PartyRole.PERPETRATOR).person_id == keep.pk
    assert client_for(world.advocate).get(url).status_code == 404


# --- query counts: pinned, and not growing with the caseload --------------------------------------------------


def _caseload_queries(client: Client, django_assert_num_queries: Any, expected: int) -> None:
    with django_assert_num_queries(expected):
        assert client.get(reverse("cases:caseload")).status_code == 200


# Session, user, agency, one page of cases (one EXISTS for access), their primary parties,
# the sharing agreement, the access-log row,
# the count (exact, bounded at selectors.COUNT_EXACT_UP_TO), whether the partnership uses
# tiers (no tier column where it does not); the header's unread count.
CASELOAD_QUERIES = 9 + 1
# Session, user, agency; the case and the two access checks; the agreement; parties and their
# aliases, addresses and contacts; orders and breaches; crime references; agencies shared with;
# outcomes; notes; timeline; the access-log row; the referring agency.
# Each app's summary card adds its own: risk 2 (current assessments; incident and MARAC
# referral dates); triage 2 (open actions; the latest decision); advocacy 6 for an advocate
# (victims, their record classes per person, current advocates, the latest contact with the
# count, key events not yet told,
# measures in place); interventions 2 (the interventions; a referral waiting); re-offending
# monitoring 2 (open monitoring periods with the partnership's settings; one aggregate of
# reviews, re-offending and possible re-offending).
# The parties' record classes are decided per person: one more query (their victim parts in
# any case, each with whether the reader may see that case).
# The perpetrator's other cases (the repeat-perpetrator banner): one query, and one more for
# which of them the reader may see only when there are any.
# The consent card: 6 (the victims' parts and their per-person classes, her consent records,
# the access-log row, and whether the reader may record consent on this case: 2).
# The header's unread-notifications count: 1.
CASE_PAGE_QUERIES = 21 + 2 + 2 + 6 + 2 + 2 + 1 + 6 + 1


def test_caseload_query_count_does_not_grow(world: World, django_assert_num_queries: Any) -> None:
    for n in range(5):
        make_case(world.triage_officer, received_on=dt.date.today() - dt.timedelta(days=n), crime_reference="")
    client = client_for(world.advocate)
    client.get(reverse("cases:caseload"))  # warm the process-wide permission-id cache
    _caseload_queries(client, django_assert_num_queries, CASELOAD_QUERIES)
    for n in range(25):
        make_case(world.triage_officer, received_on=dt.date.today() - dt.timedelta(days=n), crime_reference="")
    _caseload_queries(client, django_assert_num_queries, CASELOAD_QUERIES)


def test_caseload_query_count_sorted_paged_and_estimated(
    world: World, django_assert_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(30):
        make_case(world.triage_officer, received_on=dt.date.today() - dt.timedelta(days=n), crime_reference="")
    client = client_for(world.advocate)
    first = client.get(reverse("cases:caseload") + "?sort=worker")
    # A sort on any column, by cursor or by page number: the same queries.
    with django_assert_num_queries(CASELOAD_QUERIES):
        assert client.get(first.context["next_url"]).status_code == 200
    with django_assert_num_queries(CASELOAD_QUERIES):
        assert client.get(reverse("cases:caseload") + "?sort=status_desc&page=2").status_code == 200
    # Above the threshold the count is the planner's estimate: one EXPLAIN more.
    monkeypatch.setattr(selectors, "COUNT_EXACT_UP_TO", 10)
    with django_assert_num_queries(CASELOAD_QUERIES + 1):
        assert client.get(reverse("cases:caseload") + "?sort=tier").status_code == 200


def test_case_page_query_count(world: World, django_assert_num_queries: Any) -> None:
    case = with_order(world, make_case(world.triage_officer))
    services.note_add(actor=world.advocate, case=case, text="First contact made.")
    client = client_for(world.advocate)
    client.get(case_url(case))
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        assert client.get(case_url(case)).status_code == 200


# --- demo data ------------------------------------------------------------------------------------------------


def test_demo_cases_load_once_and_render(db: None) -> None:
    from agencies.demo import load_demo
    from cases.demo import load_demo_cases

    load_demo()
    made = load_demo_cases()
    assert made >= 30
    assert load_demo_cases() == 0
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {CaseStatus.REFERRED, CaseStatus.ACTIVE, CaseStatus.CLOSED, CaseStatus.DECLINED} <= statuses
    repeat = Person.objects.get(family_name="Whitfield")
    assert repeat.case_parts.filter(role=PartyRole.PERPETRATOR).count() == 3
    triage = User.objects.get(email="triage@demo.masip.test")
    client = client_for(triage)
    assert client.get(reverse("cases:caseload")).status_code == 200
    for case in Case.objects.all()[:36]:
        assert client.get(case_url(case)).status_code == 200
