"""Subject access requests: due dates, what is gathered, what is redacted, who may."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from advocacy import selectors as advocacy_selectors
from advocacy import services as advocacy_services
from agencies.models import AgencyKind, RecordClass, User
from audit.models import AccessAction, AccessLog
from cases import services as case_services
from cases.models import Case, CaseParty, PartyRole
from consent import selectors as consent_selectors
from consent import services as consent_services
from consent.models import Consent, Purpose
from documents import services as document_services
from documents.models import Document, DocumentKind
from privacy import selectors as privacy_selectors
from privacy import services
from privacy.models import RequestStatus, SubjectAccessRequest
from tests.advocacy_factories import contact_input
from tests.agreements import AGREEMENTS, set_agreement
from tests.case_factories import VICTIM_ADDRESS, VICTIM_CODE_WORD, VICTIM_PHONE, VICTIM_POSTCODE, make_case
from tests.document_factories import pdf, pdf_bytes
from tests.factories import World
from tests.privacy_factories import perpetrator_id, victim_id
from tests.risk_factories import complete_dash, complete_srp, shipped_instruments
from tests.test_safety_gateway import unshare_from

pytestmark = pytest.mark.django_db
__all__ = ["shipped_instruments"]

TODAY = dt.date.today()
# Everything that would tell the perpetrator where she is, or who she is.
VICTIM_MARKERS = (VICTIM_ADDRESS, VICTIM_POSTCODE, VICTIM_PHONE, VICTIM_CODE_WORD, "Hannah", "Mills", "Larkspur")
CRIMINAL_HISTORY = "Two previous harassment convictions"


@pytest.fixture(autouse=True)
def _remove_stored_files(db: None) -> Iterator[None]:
    yield
    for document in Document.objects.exclude(file=""):
        document.file.delete(save=False)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _case_with_her_location_everywhere(world: World) -> Case:
    """A case where her address is in a location note, a general note, a contact, and a letter."""
    case = make_case(world.triage_officer)
    case_services.note_add(
        actor=world.triage_officer,
        case=case,
        text=f"Hannah has moved to {VICTIM_ADDRESS}, {VICTIM_POSTCODE}.",
        record_class=RecordClass.VICTIM_LOCATION,
    )
    case_services.note_add(
        actor=world.triage_officer,
        case=case,
        text=f"Darren seen near {VICTIM_POSTCODE}; Hannah Mills told. Call her on {VICTIM_PHONE}.",
    )
    advocacy_services.contact_record(
        actor=world.advocate,
        case=case,
        data=contact_input(summary=f"Home visit at {VICTIM_ADDRESS}", personal_details_confirmed=True),
    )
    document_services.document_upload(
        actor=world.advocate,
        case_id=case.pk,
        uploads=[document_services.Upload(file=pdf("letter.pdf"), name="letter.pdf", size=len(pdf_bytes()))],
        kind=DocumentKind.LETTER,
        dated_on=TODAY,
        title=f"Housing letter for {VICTIM_ADDRESS}",
        record_class=RecordClass.VICTIM_LOCATION,
        person_id=victim_id(case),
    )
    return case


def _approved(world: World, person_id: int) -> SubjectAccessRequest:
    sar = services.sar_open(actor=world.admin, person_id=person_id, received_on=TODAY, identity_checked=True)
    return services.sar_approve(actor=world.admin, sar_id=sar.pk)


def test_due_one_calendar_month_after_receipt() -> None:
    assert services.due_on_for(dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert services.due_on_for(dt.date(2024, 1, 31)) == dt.date(2024, 2, 29)
    assert services.due_on_for(dt.date(2026, 3, 15)) == dt.date(2026, 4, 15)


def test_a_perpetrators_disclosure_holds_none_of_the_victims_location(world: World) -> None:
    case = _case_with_her_location_everywhere(world)
    sar = _approved(world, perpetrator_id(case))
    client = _client(world.admin)

    review = client.get(reverse("privacy:request", args=[sar.pk])).content.decode()
    as_json = client.get(reverse("privacy:request_json", args=[sar.pk]))
    as_pdf = client.get(reverse("privacy:request_pdf", args=[sar.pk]))
    assert as_json.status_code == as_pdf.status_code == 200
    text = as_json.content.decode()
    data = json.loads(text)
    for marker in VICTIM_MARKERS:
        assert marker.lower() not in review.lower(), marker
        assert marker.lower() not in text.lower(), marker
    # Not empty: his own record, and the general note with her details struck out.
    assert data["person"]["given_name"] == "Darren"
    assert data["cases"][0]["criminal_history"].startswith(CRIMINAL_HISTORY)
    assert data["cases"][0]["other_parties"] == ["Victim ([redacted])"]
    assert [n["text"] for n in data["case_notes"]] == [
        "Darren seen near [redacted]; [redacted] told. Call her on [redacted]."
    ]
    assert data["contacts"] == [] and data["documents"] == []
    assert as_pdf.content.startswith(b"%PDF")
    assert as_pdf["Content-Disposition"] == f'attachment; filename="subject-access-{sar.pk}.pdf"'
    assert "no-store" in as_pdf["Cache-Control"]
    # Each file produced is a logged disclosure of his record.
    disclosed = AccessLog.objects.filter(action=AccessAction.DISCLOSE, record_ids=[str(perpetrator_id(case))])
    assert disclosed.count() == 2
    sar.refresh_from_db()
    assert sar.status == RequestStatus.DISCLOSED


def test_a_victims_disclosure_holds_her_record_and_not_his_criminal_history(world: World) -> None:
    case = _case_with_her_location_everywhere(world)
    sar = _approved(world, victim_id(case))
    data = json.loads(_client(world.admin).get(reverse("privacy:request_json", args=[sar.pk])).content)
    assert VICTIM_ADDRESS in " ".join(data["person"]["addresses"])
    assert [c["summary"] for c in data["contacts"]] == [f"Home visit at {VICTIM_ADDRESS}"]
    assert [d["title"] for d in data["documents"]] == [f"Housing letter for {VICTIM_ADDRESS}"]
    assert data["cases"][0]["criminal_history"] == ""
    text = json.dumps(data)
    assert CRIMINAL_HISTORY not in text
    assert "Darren" not in text and "Cole" not in text


def test_staff_names_are_redacted_unless_the_partnership_names_them(world: World) -> None:
    case = _case_with_her_location_everywhere(world)
    sar = _approved(world, perpetrator_id(case))
    author = world.triage_officer.get_full_name()
    client = _client(world.admin)
    assert author not in client.get(reverse("privacy:request_json", args=[sar.pk])).content.decode()
    services.privacy_settings_update(actor=world.admin, redact_staff_names=False)
    assert author in client.get(reverse("privacy:request_json", args=[sar.pk])).content.decode()


def test_approval_needs_a_checked_identity_and_nothing_is_disclosed_before_it(world: World) -> None:
    case = make_case(world.triage_officer)
    sar = services.sar_open(
        actor=world.admin, person_id=perpetrator_id(case), received_on=TODAY, identity_checked=False
    )
    client = _client(world.admin)
    assert client.get(reverse("privacy:request_json", args=[sar.pk])).status_code == 404
    page = client.post(reverse("privacy:request", args=[sar.pk]), {"step": "approve"})
    assert page.status_code == 200
    assert "Check the requester&#x27;s identity" in page.content.decode()
    client.post(reverse("privacy:request", args=[sar.pk]), {"step": "identity"})
    assert client.post(reverse("privacy:request", args=[sar.pk]), {"step": "approve"}).status_code == 302
    assert client.get(reverse("privacy:request_json", args=[sar.pk])).status_code == 200


def test_the_list_shows_open_requests_with_due_dates_and_flags_the_overdue(world: World) -> None:
    case = make_case(world.triage_officer)
    late = services.sar_open(
        actor=world.admin, person_id=victim_id(case), received_on=TODAY - dt.timedelta(days=40), identity_checked=True
    )
    on_time = services.sar_open(
        actor=world.admin, person_id=perpetrator_id(case), received_on=TODAY, identity_checked=False
    )
    page = _client(world.admin).get(reverse("privacy:requests")).content.decode()
    late_row = page.split(f'data-testid="request-{late.pk}"')[1].split("</tr>")[0]
    on_time_row = page.split(f'data-testid="request-{on_time.pk}"')[1].split("</tr>")[0]
    assert "Overdue" in late_row
    assert "Overdue" not in on_time_row
    assert on_time.due_on.strftime("%-d %b %Y") in on_time_row


def test_opening_a_request_by_the_page_finds_the_person_by_a_posted_name(world: World) -> None:
    case = make_case(world.triage_officer)
    client = _client(world.admin)
    found = client.post(reverse("privacy:request_new"), {"find": "1", "person_name": "Darren Cole"})
    assert found.status_code == 200
    assert "Darren" in found.content.decode()
    opened = client.post(
        reverse("privacy:request_new"),
        {
            "open": "1",
            "person_name": "Darren Cole",
            "person": str(perpetrator_id(case)),
            "received_on_day": str(TODAY.day),
            "received_on_month": str(TODAY.month),
            "received_on_year": str(TODAY.year),
            "identity_checked": "yes",
        },
    )
    assert opened.status_code == 302
    sar = SubjectAccessRequest.objects.get()
    assert (sar.person_id, sar.identity_checked) == (perpetrator_id(case), True)
    # Nothing missing is accepted half way: every error at once, nothing written.
    again = client.post(reverse("privacy:request_new"), {"open": "1", "person_name": "Darren Cole"})
    assert again.status_code == 200
    body = again.content.decode()
    assert "govuk-error-summary" in body
    assert "Choose the person asking" in body and "Say whether their identity has been checked" in body
    assert SubjectAccessRequest.objects.count() == 1


@pytest.fixture(params=list(AGREEMENTS))
def agreement(request: pytest.FixtureRequest, world: World, other_world: World) -> str:
    rules = AGREEMENTS[request.param]
    if rules is not None:
        set_agreement(world.partnership, rules)
        set_agreement(other_world.partnership, rules)
    return str(request.param)


def test_requests_are_404_outside_the_admins_partnership(world: World, other_world: World, agreement: str) -> None:
    case = _case_with_her_location_everywhere(world)
    sar = _approved(world, perpetrator_id(case))
    for user in (
        other_world.admin,
        world.triage_officer,
        world.advocate,
        world.clinician,
        world.probation_practitioner,
        world.programme_manager,
    ):
        client = _client(user)
        for name in ("privacy:request", "privacy:request_pdf", "privacy:request_json"):
            assert client.get(reverse(name, args=[sar.pk])).status_code == 404, (user.role, name)
        assert client.post(reverse("privacy:request", args=[sar.pk]), {"step": "identity"}).status_code == 404
        if user.role != "partnership_admin":
            assert client.get(reverse("privacy:requests")).status_code == 404
            assert client.get(reverse("privacy:request_new")).status_code == 404
    # An admin of another partnership cannot open a request on this partnership's person.
    with pytest.raises(Http404):
        services.sar_open(actor=other_world.admin, person_id=victim_id(case), received_on=TODAY, identity_checked=True)
    assert not AccessLog.objects.filter(action=AccessAction.DISCLOSE).exists()
    assert SubjectAccessRequest.objects.count() == 1


def test_a_request_can_be_opened_only_for_someone_the_admin_already_sees(world: World, agreement: str) -> None:
    """The person's id comes from the client: a person only in a case not shared with the
    admin's agency is 404 on the page and in the service, and no request is written."""
    case = make_case(world.triage_officer)
    unshare_from(case, world.police)  # the admin's agency
    before = SubjectAccessRequest.objects.count()
    with pytest.raises(Http404):
        services.sar_open(actor=world.admin, person_id=perpetrator_id(case), received_on=TODAY, identity_checked=True)
    response = _client(world.admin).post(
        reverse("api-privacy-requests"), {"person": perpetrator_id(case), "received_on": TODAY.isoformat()}
    )
    assert response.status_code == 404
    assert SubjectAccessRequest.objects.count() == before


def test_a_reviewer_kept_from_part_of_it_sees_what_is_withheld_and_cannot_approve(world: World) -> None:
    case = _case_with_her_location_everywhere(world)
    # An agreement that keeps criminal history from the police admin.
    set_agreement(
        world.partnership,
        {
            "police": {RecordClass.VICTIM_IDENTITY, RecordClass.VICTIM_LOCATION},
            "probation": {RecordClass.CRIMINAL_HISTORY, RecordClass.VICTIM_IDENTITY},
        },
    )
    sar = services.sar_open(actor=world.admin, person_id=perpetrator_id(case), received_on=TODAY, identity_checked=True)
    client = _client(world.admin)
    page = client.post(reverse("privacy:request", args=[sar.pk]), {"step": "approve"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "cannot approve this disclosure" in body
    assert 'data-testid="withheld"' in body and "criminal history" in body
    assert CRIMINAL_HISTORY not in body
    sar.refresh_from_db()
    assert sar.status == RequestStatus.OPEN


def _api(user: User) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_opens_lists_and_discloses_with_the_pages_rules(world: World, other_world: World) -> None:
    case = _case_with_her_location_everywhere(world)
    admin = _api(world.admin)
    opened = admin.post(
        "/api/v1/privacy/requests/",
        {"person": perpetrator_id(case), "received_on": TODAY.isoformat(), "identity_checked": True},
        format="json",
    )
    assert opened.status_code == 201
    sar_id = opened.json()["id"]
    assert opened.json()["due_on"] == services.due_on_for(TODAY).isoformat()
    assert [r["id"] for r in admin.get("/api/v1/privacy/requests/").json()["results"]] == [sar_id]
    assert admin.get(f"/api/v1/privacy/requests/{sar_id}/disclosure/").status_code == 404  # not approved
    services.sar_approve(actor=world.admin, sar_id=sar_id)
    disclosed = admin.get(f"/api/v1/privacy/requests/{sar_id}/disclosure/")
    assert disclosed.status_code == 200
    assert disclosed.json()["person"]["given_name"] == "Darren"
    for marker in VICTIM_MARKERS:
        assert marker.lower() not in disclosed.content.decode().lower()
    bad = admin.post("/api/v1/privacy/requests/", {"person": perpetrator_id(case)}, format="json")
    assert bad.status_code == 400 and {"received_on", "identity_checked"} <= set(bad.json())
    for user in (other_world.admin, world.triage_officer, world.advocate, world.probation_practitioner):
        client = _api(user)
        assert client.get(f"/api/v1/privacy/requests/{sar_id}/disclosure/").status_code == 404
        assert (
            client.post(
                "/api/v1/privacy/requests/",
                {"person": victim_id(case), "received_on": TODAY.isoformat(), "identity_checked": True},
                format="json",
            ).status_code
            == 404
        )
        if user.role != "partnership_admin":
            assert client.get("/api/v1/privacy/requests/").status_code == 404
    assert SubjectAccessRequest.objects.count() == 1


# --- each section under its own app's rule for the reviewer ----------------------------------------------------

# Police keep every class but clinical: not the default agreement, and the SRP still kept from them.
ALL_BUT_CLINICAL: dict[str, set[str]] = {
    str(kind): {str(c) for c in RecordClass if c != RecordClass.CLINICAL}
    for kind in (AgencyKind.POLICE, AgencyKind.PROBATION, AgencyKind.ADVOCACY)
} | {str(AgencyKind.HEALTH): {str(c) for c in RecordClass}}


def _her_second_case(world: World, case: Case) -> Case:
    """A second case in which the victim of ``case`` is the victim too."""
    second = make_case(world.triage_officer, perpetrator_name=("Lee", "Grant"), crime_reference="CH/99999/26")
    CaseParty.objects.filter(case=second, role=PartyRole.VICTIM).update(person_id=victim_id(case))
    return second


def _consent(world: World, case: Case, purpose: str) -> Consent:
    return consent_services.consent_record(
        actor=world.advocate,
        case_id=case.pk,
        person_id=victim_id(case),
        purpose=purpose,
        given=True,
        given_on=TODAY - dt.timedelta(days=2),
        method="signed",
    )


def _her_records_on_a_case_police_cannot_view(world: World, agreement: str) -> tuple[Case, Case, dict[str, Any]]:
    """A contact and a consent answer on each of her two cases; the second not shared with
    the reviewer's agency (police), which the advocate keeps. The review's gathered data."""
    rules = ALL_BUT_CLINICAL if agreement == "all-but-clinical" else AGREEMENTS[agreement]
    if rules is not None:
        set_agreement(world.partnership, rules)
    case = make_case(world.triage_officer)
    second = _her_second_case(world, case)
    advocacy_services.contact_record(actor=world.advocate, case=case, data=contact_input(summary="Visit at the office"))
    advocacy_services.contact_record(actor=world.advocate, case=second, data=contact_input(summary="Call on the bus"))
    _consent(world, case, Purpose.CONTACT)
    _consent(world, second, Purpose.RESEARCH)
    unshare_from(second, world.police)
    sar = services.sar_open(actor=world.admin, person_id=victim_id(case), received_on=TODAY, identity_checked=True)
    _, data = privacy_selectors.disclosure_for_admin(actor=world.admin, sar_id=sar.pk)
    page = _client(world.admin).get(reverse("privacy:request", args=[sar.pk])).content.decode()
    data["review_page"] = page
    return case, second, data


SECTION_AGREEMENTS = ["default", "location-to-everyone", "all-but-clinical"]


@pytest.mark.parametrize("agreement", SECTION_AGREEMENTS)
def test_a_contact_recorded_on_a_case_the_reviewer_cannot_view_is_withheld(world: World, agreement: str) -> None:
    case, second, data = _her_records_on_a_case_police_cannot_view(world, agreement)
    assert [c["summary"] for c in data["contacts"]] == ["Visit at the office"]
    assert "Call on the bus" not in json.dumps(data)
    assert "a contact (on a case not shared with your agency, or of a class it may not see)" in data["withheld"]
    assert "a contact (on a case not shared with your agency" in data["review_page"]
    # The rule is the reader's: the advocate, who holds both cases, reads both contacts.
    both = advocacy_selectors.contacts_with_person(user=world.advocate, person_id=victim_id(case))
    assert sorted(c.case_id for c in both.shown) == sorted([case.pk, second.pk]) and both.kept == 0


@pytest.mark.parametrize("agreement", SECTION_AGREEMENTS)
def test_a_consent_answer_recorded_on_a_case_the_reviewer_cannot_view_is_withheld(world: World, agreement: str) -> None:
    case, second, data = _her_records_on_a_case_police_cannot_view(world, agreement)
    assert [c["purpose"] for c in data["consent"]] == [Purpose.CONTACT.label]
    assert "a consent answer (on a case not shared with your agency, or of a class it may not see)" in data["withheld"]
    assert "a consent answer (on a case not shared with your agency" in data["review_page"]
    both = consent_selectors.consent_of_person(user=world.advocate, person_id=victim_id(case))
    assert sorted(c.case_id for c in both.shown) == sorted([case.pk, second.pk]) and both.kept == 0


@pytest.mark.parametrize("agreement", SECTION_AGREEMENTS)
def test_a_document_of_her_location_is_withheld_from_a_reviewer_who_may_not_see_her_location(
    world: World, agreement: str
) -> None:
    """The documents page's per-person rule: her location is withheld from a reader who cannot
    see every case she is a victim in, so a letter to her address is too."""
    rules = ALL_BUT_CLINICAL if agreement == "all-but-clinical" else AGREEMENTS[agreement]
    if rules is not None:
        set_agreement(world.partnership, rules)
    case = make_case(world.triage_officer)
    second = _her_second_case(world, case)
    document_services.document_upload(
        actor=world.advocate,
        case_id=case.pk,
        uploads=[document_services.Upload(file=pdf("letter.pdf"), name="letter.pdf", size=len(pdf_bytes()))],
        kind=DocumentKind.LETTER,
        dated_on=TODAY,
        title=f"Housing letter for {VICTIM_ADDRESS}",
        record_class=RecordClass.VICTIM_LOCATION,
        person_id=victim_id(case),
    )
    sar = services.sar_open(actor=world.admin, person_id=victim_id(case), received_on=TODAY, identity_checked=True)
    _, data = privacy_selectors.disclosure_for_admin(actor=world.admin, sar_id=sar.pk)
    assert [d["title"] for d in data["documents"]] == [f"Housing letter for {VICTIM_ADDRESS}"]
    unshare_from(second, world.police)
    admin = User.objects.get(pk=world.admin.pk)
    _, data = privacy_selectors.disclosure_for_admin(actor=admin, sar_id=sar.pk)
    assert data["documents"] == [] and VICTIM_ADDRESS not in json.dumps(data)
    assert "a document (victim rules for a person it is about)" in data["withheld"]


def _instruments(data: dict[str, Any]) -> list[str]:
    """The instruments disclosed, by the abbreviation each one's full name ends with."""
    return sorted(re.findall(r"\((\w+)\)", a["instrument"])[-1] for a in data["risk_assessments"])


@pytest.mark.parametrize("agreement", ["default", "all-but-clinical"])
def test_a_risk_assessment_of_a_class_the_reviewer_lacks_is_withheld(
    world: World, shipped_instruments: None, agreement: str
) -> None:
    if agreement != "default":
        set_agreement(world.partnership, ALL_BUT_CLINICAL)
    case = make_case(world.triage_officer)
    complete_dash(world.triage_officer, case, score=5)
    complete_srp(world.clinician, case)
    sar = services.sar_open(actor=world.admin, person_id=perpetrator_id(case), received_on=TODAY, identity_checked=True)

    _, data = privacy_selectors.disclosure_for_admin(actor=world.admin, sar_id=sar.pk)
    # Her DASH is her answers about her own risk: never in his disclosure.
    assert _instruments(data) == []
    assert "a risk assessment (clinical)" in data["withheld"]
    # A reviewer whose agency may see clinical records reads the SRP whole, and approves it.
    everything = AGREEMENTS["location-to-everyone"]
    assert everything is not None
    set_agreement(world.partnership, everything)
    admin = User.objects.get(pk=world.admin.pk)  # a new request's user: the agreement is read afresh
    _, data = privacy_selectors.disclosure_for_admin(actor=admin, sar_id=sar.pk)
    assert _instruments(data) == ["SRP"]
    assert data["withheld"] == []
    # Her own disclosure never holds his clinical assessment, whoever reviews it.
    hers = services.sar_open(actor=admin, person_id=victim_id(case), received_on=TODAY, identity_checked=True)
    _, data = privacy_selectors.disclosure_for_admin(actor=admin, sar_id=hers.pk)
    assert _instruments(data) == ["DASH"]
