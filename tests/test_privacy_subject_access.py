"""Subject access requests: due dates, what is gathered, what is redacted, who may."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from advocacy import services as advocacy_services
from agencies.models import RecordClass, User
from audit.models import AccessAction, AccessLog
from cases import services as case_services
from cases.models import Case
from documents import services as document_services
from documents.models import Document, DocumentKind
from privacy import services
from privacy.models import RequestStatus, SubjectAccessRequest
from tests.advocacy_factories import contact_input
from tests.agreements import AGREEMENTS, set_agreement
from tests.case_factories import VICTIM_ADDRESS, VICTIM_CODE_WORD, VICTIM_PHONE, VICTIM_POSTCODE, make_case
from tests.document_factories import pdf, pdf_bytes
from tests.factories import World
from tests.privacy_factories import perpetrator_id, victim_id

pytestmark = pytest.mark.django_db

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
