"""Documents on a case: uploads checked by content and size, all or nothing; who may list and
download each document, under the default agreement and others; one access-log row per download."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agencies import services as agency_services
from agencies.models import DEFAULT_SHARING, AgencyKind, RecordClass, User
from audit.models import AccessAction, AccessLog
from cases import services as case_services
from cases.models import Case, CaseParty, PartyRole
from documents import content, services
from documents.models import Document, DocumentKind
from tests.agreements import AGREEMENTS, set_agreement
from tests.case_factories import VICTIM_ADDRESS, make_case
from tests.document_factories import email, html_named_pdf, pdf, pdf_bytes, png, png_bytes
from tests.factories import World

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _remove_stored_files(db: None) -> Iterator[None]:
    """The database rolls back after each test; the files the test stored go with it."""
    yield
    for document in Document.objects.all():
        document.file.delete(save=False)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _victim(case: Case) -> int:
    return CaseParty.objects.get(case=case, role=PartyRole.VICTIM).person_id


def _upload(actor: User, case: Case, *files: SimpleUploadedFile, **kwargs: object) -> list[Document]:
    return services.document_upload(
        actor=actor,
        case_id=case.pk,
        uploads=[services.Upload(file=f, name=f.name or "", size=f.size or 0) for f in files],
        kind=str(kwargs.pop("kind", DocumentKind.OTHER)),
        dated_on=TODAY,
        **kwargs,  # type: ignore[arg-type]
    )


def _stored_names(case: Case) -> list[str]:
    storage = storages["documents"]
    folder = str(case.partnership_id)
    return sorted(storage.listdir(folder)[1]) if storage.exists(folder) else []


def _address_letter(world: World, case: Case) -> Document:
    return services.letter_create(
        actor=world.advocate,
        case_id=case.pk,
        template="housing_support",
        person_id=_victim(case),
        recipient_name="Chester Homes Housing Options",
        recipient_address="1 Town Hall Square\nChester",
    )


def _agreement(world: World, location: list[str]) -> None:
    matrix = {k: list(v) for k, v in DEFAULT_SHARING.items()}
    matrix[RecordClass.VICTIM_LOCATION] = location
    agency_services.agreement_update(actor=world.admin, partnership=world.partnership, matrix=matrix)


# --- upload ----------------------------------------------------------------------------------------------------


def test_several_files_upload_at_once_and_download_as_they_were(world: World) -> None:
    case = make_case(world.triage_officer)
    client = _client(world.advocate)
    response = client.post(
        reverse("documents:upload", args=[case.pk]),
        {
            "uploads": [pdf("call log.pdf"), png("messages.png"), email("threat.eml")],
            "kind": DocumentKind.EVIDENCE_LOG,
            "dated_on_day": TODAY.day,
            "dated_on_month": TODAY.month,
            "dated_on_year": TODAY.year,
            "person": _victim(case),
        },
    )
    assert response.status_code == 302, response.content.decode()[-6000:]
    documents = list(Document.objects.filter(case=case).order_by("id"))
    assert [d.content_type for d in documents] == ["application/pdf", "image/png", "message/rfc822"]
    assert [d.title for d in documents] == ["call log", "messages", "threat"]
    # An evidence log about a victim identifies her, whatever the uploader chose.
    assert all(d.record_classes == [RecordClass.VICTIM_IDENTITY] for d in documents)
    # The storage key carries no part of the uploaded name.
    assert all("call" not in str(d.file.name) and "messages" not in str(d.file.name) for d in documents)
    created = AccessLog.objects.get(action=AccessAction.CREATE, record_type="documents.document")
    assert sorted(created.record_ids) == sorted(str(d.pk) for d in documents)

    download = client.get(reverse("documents:download", args=[documents[1].pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "image/png"
    assert "no-store" in download["Cache-Control"]
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert body == png_bytes()
    assert hashlib.sha256(body).hexdigest() == documents[1].sha256
    client.get(reverse("documents:download", args=[documents[1].pk]))
    rows = AccessLog.objects.filter(action=AccessAction.EXPORT, record_type="documents.document", purpose="download")
    assert [r.record_ids for r in rows] == [[str(documents[1].pk)], [str(documents[1].pk)]]


def test_the_type_comes_from_the_content_and_a_bad_file_stores_none(world: World) -> None:
    case = make_case(world.triage_officer)
    # The folder is the partnership's id: an earlier run's database may have used it too.
    before = _stored_names(case)
    client = _client(world.advocate)
    response = client.post(
        reverse("documents:upload", args=[case.pk]),
        {
            "uploads": [pdf("good.pdf"), html_named_pdf("letter.pdf"), SimpleUploadedFile("empty.txt", b"")],
            "kind": "",
            "dated_on_day": "31",
            "dated_on_month": "12",
            "dated_on_year": str(TODAY.year + 1),
        },
    )
    assert response.status_code == 200
    summary = response.content.decode()
    assert "There is a problem" in summary
    # Every problem at once: the disguised page, the empty file, the kind and the date.
    assert "letter.pdf must be a PDF, an image" in summary
    assert "empty.txt is empty" in summary
    assert "Choose what kind of document this is" in summary
    assert Document.objects.filter(case=case).count() == 0
    assert _stored_names(case) == before


def test_the_future_date_is_refused_with_the_files_unstored(world: World) -> None:
    case = make_case(world.triage_officer)
    before = _stored_names(case)
    with pytest.raises(Exception, match="today or in the past") as caught:
        services.document_upload(
            actor=world.advocate,
            case_id=case.pk,
            uploads=[services.Upload(file=pdf(), name="a.pdf", size=len(pdf_bytes()))],
            kind=DocumentKind.OTHER,
            dated_on=TODAY + dt.timedelta(days=1),
        )
    assert "dated_on" in caught.value.message_dict  # type: ignore[attr-defined]
    assert _stored_names(case) == before


def test_size_limits_per_file_and_per_case(world: World, settings: object) -> None:
    case = make_case(world.triage_officer)
    before = _stored_names(case)
    size = len(pdf_bytes())
    settings.MASIP_DOCUMENT_MAX_BYTES = size - 1  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="must be smaller than"):
        _upload(world.advocate, case, pdf("big.pdf"))
    settings.MASIP_DOCUMENT_MAX_BYTES = size  # type: ignore[attr-defined]
    settings.MASIP_CASE_DOCUMENTS_MAX_BYTES = size * 2  # type: ignore[attr-defined]
    _upload(world.advocate, case, pdf("one.pdf"), pdf("two.pdf"))
    with pytest.raises(Exception, match="over the case's limit"):
        _upload(world.advocate, case, pdf("three.pdf"))
    assert Document.objects.filter(case=case).count() == 2
    assert len(set(_stored_names(case)) - set(before)) == 2


def test_an_uploader_cannot_mark_a_class_their_agency_may_not_see(world: World) -> None:
    case = make_case(world.triage_officer)
    with pytest.raises(Exception, match="class your agency may not see"):
        _upload(world.clinician, case, pdf(), record_class=RecordClass.VICTIM_LOCATION)
    # Health may not see a victim's identity: it cannot store a document about her either.
    with pytest.raises(Exception, match="class your agency may not see"):
        _upload(world.clinician, case, pdf(), person_id=_victim(case))
    assert Document.objects.count() == 0


def test_a_person_from_another_case_is_refused(world: World) -> None:
    case = make_case(world.triage_officer)
    other = make_case(world.triage_officer, victim_name=("Ruth", "Okafor"))
    with pytest.raises(Exception, match="Choose someone in this case"):
        _upload(world.advocate, case, pdf(), person_id=_victim(other))


def test_a_user_without_the_case_cannot_upload(world: World, other_world: World) -> None:
    case = make_case(world.triage_officer)
    for user in (other_world.advocate, world.programme_manager):
        client = _client(user)
        assert client.get(reverse("documents:upload", args=[case.pk])).status_code == 404
        assert (
            client.post(
                reverse("api-documents-case", args=[case.pk]), {"files": [pdf()], "kind": "other", "dated_on": TODAY}
            ).status_code
            == 404
        )
    assert Document.objects.count() == 0


# --- who reads what --------------------------------------------------------------------------------------------


def _can_download(user: User, document: Document) -> bool:
    client = _client(user)
    page = client.get(reverse("documents:download", args=[document.pk])).status_code
    api = client.get(reverse("api-documents-download", args=[document.pk])).status_code
    detail = client.get(reverse("api-documents-detail", args=[document.pk])).status_code
    listed = client.get(reverse("api-documents-case", args=[document.case_id]))
    in_list = listed.status_code == 200 and document.pk in [d["id"] for d in listed.json()["documents"]]
    assert {page, api, detail} <= {200, 404}
    assert len({page, api, detail}) == 1, (page, api, detail)
    assert in_list == (page == 200)
    return page == 200


def test_a_victims_address_letter_reaches_only_those_who_may_see_her_location(world: World, other_world: World) -> None:
    case = make_case(world.triage_officer)
    letter = _address_letter(world, case)
    assert letter.record_classes == [RecordClass.VICTIM_IDENTITY, RecordClass.VICTIM_LOCATION]
    assert letter.content_type == "application/pdf"
    with letter.file.open("rb") as f:
        assert content.sniff(f) == "application/pdf"
    assert _can_download(world.advocate, letter)
    assert _can_download(world.triage_officer, letter)  # police
    assert not _can_download(world.probation_practitioner, letter)
    assert not _can_download(world.clinician, letter)
    assert not _can_download(other_world.advocate, letter)
    # A refused download is not logged as one.
    downloads = AccessLog.objects.filter(action=AccessAction.EXPORT, record_ids__contains=[str(letter.pk)])
    assert {row.user_id for row in downloads} == {world.advocate.pk, world.triage_officer.pk}


def test_an_evidence_log_follows_the_victim_identity_class(world: World) -> None:
    case = make_case(world.triage_officer)
    [log] = _upload(world.advocate, case, pdf(), kind=DocumentKind.EVIDENCE_LOG)
    assert _can_download(world.probation_practitioner, log)  # probation sees victim identity by default
    assert not _can_download(world.clinician, log)


def test_under_an_agreement_giving_probation_her_location_the_letter_opens_to_probation(world: World) -> None:
    case = make_case(world.triage_officer)
    letter = _address_letter(world, case)
    _agreement(world, [AgencyKind.POLICE, AgencyKind.ADVOCACY, AgencyKind.PROBATION])
    assert _can_download(world.probation_practitioner, letter)
    # ...and an agreement that takes location from the police closes it to them.
    _agreement(world, [AgencyKind.ADVOCACY])
    assert not _can_download(world.triage_officer, letter)
    assert _can_download(world.advocate, letter)


def test_her_location_is_withheld_where_another_case_of_hers_is_out_of_the_readers_reach(world: World) -> None:
    """Per person: probation under an agreement granting location still may not download her address
    letter while she is a victim in a case probation cannot see."""
    case = make_case(world.triage_officer)
    letter = _address_letter(world, case)
    _agreement(world, [AgencyKind.POLICE, AgencyKind.ADVOCACY, AgencyKind.PROBATION])
    second = make_case(world.triage_officer, perpetrator_name=("Lee", "Grant"))
    CaseParty.objects.filter(case=second, role=PartyRole.VICTIM).update(person_id=_victim(case))
    case_services.case_share_remove(
        actor=world.triage_officer, case=second, agency=world.probation, reason="Not theirs"
    )
    assert not _can_download(world.probation_practitioner, letter)
    assert _can_download(world.advocate, letter)


def test_a_case_document_with_her_location_needs_every_victim_of_the_case(world: World) -> None:
    case = make_case(world.triage_officer)
    [doc] = _upload(world.advocate, case, pdf(), record_class=RecordClass.VICTIM_LOCATION)
    assert doc.person_id is None
    assert doc.record_classes == [RecordClass.VICTIM_IDENTITY, RecordClass.VICTIM_LOCATION]
    assert _can_download(world.triage_officer, doc)
    second = make_case(world.triage_officer, perpetrator_name=("Lee", "Grant"))
    CaseParty.objects.filter(case=second, role=PartyRole.VICTIM).update(person_id=_victim(case))
    # She is a victim in a second case, restricted: the police's share no longer opens it.
    second.is_restricted = True
    second.save(update_fields=["is_restricted"])
    assert not _can_download(world.triage_officer, doc)


def _perpetrator(case: Case) -> int:
    return CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR).person_id


@pytest.mark.parametrize("agreement", ["default", "identity_to_police_and_advocacy_only"])
def test_a_document_about_her_follows_her_identity_once_she_becomes_a_victim(world: World, agreement: str) -> None:
    """Stored classes can be stale: a risk report about a woman uploaded while she was only the
    perpetrator carries no victim class, but once she is a victim in another case it names a
    victim and opens only to those the agreement gives victim identity (people_classes)."""
    case = make_case(world.triage_officer, perpetrator_name=("Karen", "Shaw"))
    woman = _perpetrator(case)
    [report] = _upload(world.triage_officer, case, pdf(), kind=DocumentKind.RISK_REPORT, person_id=woman)
    assert report.record_classes == [RecordClass.CRIMINAL_HISTORY]
    assert _can_download(world.clinician, report)  # health reads criminal history
    assert _can_download(world.probation_practitioner, report)
    if agreement != "default":
        matrix = {k: list(v) for k, v in DEFAULT_SHARING.items()}
        matrix[RecordClass.VICTIM_IDENTITY] = [AgencyKind.POLICE, AgencyKind.ADVOCACY]
        agency_services.agreement_update(actor=world.admin, partnership=world.partnership, matrix=matrix)
    second = make_case(world.triage_officer, perpetrator_name=("Lee", "Grant"))
    CaseParty.objects.filter(case=second, role=PartyRole.VICTIM).update(person_id=woman)
    linked_at = AccessLog.objects.order_by("-id").values_list("id", flat=True).first()
    report.refresh_from_db()
    assert report.record_classes == [RecordClass.CRIMINAL_HISTORY]  # unchanged: the rule asks her, not the row

    assert not _can_download(world.clinician, report)  # health never sees a victim's identity
    # Probation sees victim identity under the default agreement only.
    assert _can_download(world.probation_practitioner, report) == (agreement == "default")
    assert _can_download(world.triage_officer, report)  # police: criminal history and victim identity
    refused = {world.clinician.pk} | ({world.probation_practitioner.pk} if agreement != "default" else set())
    # A refused download is not logged as one.
    assert not AccessLog.objects.filter(
        id__gt=linked_at, action=AccessAction.EXPORT, record_ids__contains=[str(report.pk)], user_id__in=refused
    ).exists()


def test_a_risk_report_is_criminal_history(world: World) -> None:
    case = make_case(world.triage_officer)
    [report] = _upload(world.clinician, case, pdf(), kind=DocumentKind.RISK_REPORT)
    assert report.record_classes == [RecordClass.CRIMINAL_HISTORY]
    assert _can_download(world.probation_practitioner, report)
    assert not _can_download(world.advocate, report)  # advocacy does not see criminal history by default


def test_the_api_refuses_a_disguised_file_with_field_errors(world: World) -> None:
    case = make_case(world.triage_officer)
    client = _client(world.advocate)
    response = client.post(
        reverse("api-documents-case", args=[case.pk]),
        {"files": [html_named_pdf()], "kind": "letter", "dated_on": TODAY.isoformat()},
    )
    assert response.status_code == 400
    assert "files" in response.json()
    good = client.post(
        reverse("api-documents-case", args=[case.pk]),
        {"files": [pdf(), png()], "kind": "court_order", "dated_on": TODAY.isoformat(), "title": "Order"},
    )
    assert good.status_code == 201
    assert [d["title"] for d in good.json()["documents"]] == ["Order – screenshot", "Order – log"]


def test_a_letter_shows_her_address_and_needs_her_location(world: World) -> None:
    from documents import letters

    case = make_case(world.triage_officer)
    html_context = letters.context(
        letter=letters.LETTERS["housing_support"],
        case=case,
        person_id=_victim(case),
        author=world.advocate,
        recipient_name="Housing",
        recipient_address="",
        extra="",
        dated_on=TODAY,
    )
    assert html_context["address"].line_1 == VICTIM_ADDRESS
    # Probation may not see her location: the housing letter is not offered and is refused.
    client = _client(world.probation_practitioner)
    assert client.get(reverse("documents:letter_create", args=[case.pk])).status_code == 404
    with pytest.raises(Exception, match="class your agency may not see"):
        services.letter_create(
            actor=world.probation_practitioner,
            case_id=case.pk,
            template="housing_support",
            person_id=_victim(case),
            recipient_name="Housing",
            recipient_address="",
        )
    assert Document.objects.count() == 0


def test_the_letter_page_writes_and_keeps_the_letter(world: World) -> None:
    case = make_case(world.triage_officer)
    client = _client(world.advocate)
    page = client.get(reverse("documents:letter_create", args=[case.pk]))
    assert page.status_code == 200
    bad = client.post(reverse("documents:letter_create", args=[case.pk]), {})
    assert "Choose a letter" in bad.content.decode() and "Enter who the letter is to" in bad.content.decode()
    done = client.post(
        reverse("documents:letter_create", args=[case.pk]),
        {"template": "workplace_safety", "person": _victim(case), "recipient_name": "HR, Northgate Bank"},
    )
    assert done.status_code == 302
    letter = Document.objects.get(case=case)
    assert letter.kind == DocumentKind.LETTER and letter.letter_template == "workplace_safety"
    assert letter.record_classes == [RecordClass.SAFETY_PLAN, RecordClass.VICTIM_IDENTITY]
    listing = client.get(reverse("documents:case_documents", args=[case.pk])).content.decode()
    assert "Workplace safety letter to HR, Northgate Bank" in listing


# --- documents about a person, across her cases -----------------------------------------------------------------


def _person_list(user: User, person_id: int) -> list[int] | None:
    """The document ids the person's documents page lists for ``user``; None for a 404."""
    response = _client(user).get(reverse("documents:person_documents", args=[person_id]))
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    return [d.pk for d in response.context["page"].documents]


def test_a_persons_documents_come_from_the_cases_the_reader_may_see_only(world: World) -> None:
    first = make_case(world.triage_officer)
    perpetrator = _perpetrator(first)
    second = make_case(world.triage_officer, victim_name=("Amy", "Shaw"), link_perpetrator_id=perpetrator)
    assert _perpetrator(second) == perpetrator
    [on_first] = _upload(world.advocate, first, pdf("bail.pdf"), person_id=perpetrator)
    [on_second] = _upload(world.advocate, second, pdf("order.pdf"), person_id=perpetrator)
    [about_her] = _upload(world.advocate, first, pdf("log.pdf"), person_id=_victim(first))
    [the_case] = _upload(world.advocate, first, pdf("minutes.pdf"))
    case_services.case_share_remove(
        actor=world.triage_officer, case=second, agency=world.probation, reason="Not theirs"
    )
    assert sorted(_person_list(world.advocate, perpetrator) or []) == sorted([on_first.pk, on_second.pk])
    assert _person_list(world.probation_practitioner, perpetrator) == [on_first.pk]
    assert _person_list(world.advocate, _victim(first)) == [about_her.pk]
    assert the_case.pk not in (_person_list(world.advocate, _victim(first)) or [])
    # The list is logged as a view of what it shows, as the case's list is.
    row = AccessLog.objects.filter(
        user=world.probation_practitioner, action=AccessAction.VIEW, record_type="documents.document"
    ).latest("id")
    assert row.record_ids == [str(on_first.pk)]
    # Each listed document links to its download, which opens for that reader.
    page = _client(world.probation_practitioner).get(reverse("documents:person_documents", args=[perpetrator]))
    assert reverse("documents:download", args=[on_first.pk]) in page.content.decode()
    assert reverse("documents:download", args=[on_second.pk]) not in page.content.decode()


@pytest.mark.parametrize("agreement", ["default", "location-to-police-only"])
def test_probation_never_finds_her_address_letter_on_her_documents_page(world: World, agreement: str) -> None:
    case = make_case(world.triage_officer)
    her = _victim(case)
    letter = _address_letter(world, case)
    [log] = _upload(world.advocate, case, pdf(), kind=DocumentKind.EVIDENCE_LOG, person_id=her)
    if AGREEMENTS[agreement] is not None:
        set_agreement(world.partnership, AGREEMENTS[agreement])  # type: ignore[arg-type]
    assert _person_list(world.probation_practitioner, her) == [log.pk]
    assert set(_person_list(world.advocate, her) or []) == {letter.pk, log.pk}


def test_an_agreement_giving_probation_her_location_lists_the_letter_to_probation(world: World) -> None:
    case = make_case(world.triage_officer)
    her = _victim(case)
    letter = _address_letter(world, case)
    set_agreement(world.partnership, AGREEMENTS["location-to-everyone"])  # type: ignore[arg-type]
    assert _person_list(world.probation_practitioner, her) == [letter.pk]


def test_a_person_outside_the_readers_cases_is_a_404(world: World, other_world: World, agreement: str) -> None:
    case = make_case(world.triage_officer)
    her = _victim(case)
    _upload(world.advocate, case, pdf(), kind=DocumentKind.EVIDENCE_LOG, person_id=her)
    assert _person_list(other_world.advocate, her) is None
    case_services.case_share_remove(actor=world.triage_officer, case=case, agency=world.probation, reason="Not theirs")
    assert _person_list(world.probation_practitioner, her) is None
    assert _person_list(world.advocate, her) is not None


def test_upload_about_a_person_goes_to_her_case_with_her_chosen(world: World) -> None:
    first = make_case(world.triage_officer)
    perpetrator = _perpetrator(first)
    client = _client(world.advocate)
    person_page = client.get(reverse("people:person_detail", args=[perpetrator])).content.decode()
    assert reverse("documents:person_documents", args=[perpetrator]) in person_page
    page = client.get(reverse("documents:person_documents", args=[perpetrator]))
    upload_url = f"{reverse('documents:upload', args=[first.pk])}?person={perpetrator}"
    assert [c.pk for c in page.context["page"].upload_cases] == [first.pk]
    assert upload_url in page.content.decode()
    form = client.get(upload_url).context["form"]
    assert form["person"].value() == perpetrator
    # An id the form does not offer is not taken.
    assert client.get(f"{reverse('documents:upload', args=[first.pk])}?person=999999").context["form"][
        "person"
    ].value() in (None, "")
    second = make_case(world.triage_officer, victim_name=("Amy", "Shaw"), link_perpetrator_id=perpetrator)
    page = client.get(reverse("documents:person_documents", args=[perpetrator]))
    assert {c.pk for c in page.context["page"].upload_cases} == {first.pk, second.pk}
    body = page.content.decode()
    assert f"{reverse('documents:upload', args=[second.pk])}?person={perpetrator}" in body


# Pinned at one case and at five: the per-person rules are decided for every case at once.
PERSON_DOCUMENTS_QUERIES = 24


@pytest.mark.parametrize("cases", [1, 5])
def test_a_persons_documents_page_costs_a_fixed_number_of_queries(
    world: World, cases: int, django_assert_max_num_queries: object
) -> None:
    first = make_case(world.triage_officer)
    perpetrator = _perpetrator(first)
    made = [first] + [
        make_case(world.triage_officer, victim_name=("Amy", f"Shaw{index}"), link_perpetrator_id=perpetrator)
        for index in range(cases - 1)
    ]
    for case in made:
        _upload(world.triage_officer, case, pdf("bail.pdf"), person_id=perpetrator)
        _upload(world.triage_officer, case, pdf("report.pdf"), kind=DocumentKind.RISK_REPORT, person_id=perpetrator)
    client = _client(world.triage_officer)
    with django_assert_max_num_queries(PERSON_DOCUMENTS_QUERIES):  # type: ignore[operator]
        response = client.get(reverse("documents:person_documents", args=[perpetrator]))
    assert response.status_code == 200
    assert len(response.context["page"].documents) == 2 * cases
    assert len(response.context["page"].upload_cases) == cases


def test_documents_of_many_cases_are_decided_at_once_each_against_its_own_case(world: World) -> None:
    """The set form keeps the single-case rule: a case document with a victim's location needs every
    victim of its own case, not of the others decided with it."""
    from documents.permissions import readable_documents, readable_documents_of_cases
    from documents.selectors import documents_of_cases

    hers = make_case(world.triage_officer)
    [kept] = _upload(world.advocate, hers, pdf("zone.pdf"), record_class=RecordClass.VICTIM_LOCATION)
    restricted = make_case(world.triage_officer, perpetrator_name=("Lee", "Grant"))
    CaseParty.objects.filter(case=restricted, role=PartyRole.VICTIM).update(person_id=_victim(hers))
    restricted.is_restricted = True
    restricted.save(update_fields=["is_restricted"])
    others = [make_case(world.triage_officer, victim_name=("Amy", f"Shaw{i}")) for i in range(3)]
    shown = [
        _upload(world.advocate, case, pdf("zone.pdf"), record_class=RecordClass.VICTIM_LOCATION)[0] for case in others
    ]
    every = [kept, *shown]
    reader = world.triage_officer
    one_by_one = [
        d.pk
        for case in [hers, *others]
        for d in readable_documents(reader, case, [x for x in every if x.case_id == case.pk])
    ]
    assert one_by_one == [d.pk for d in shown]
    assert [d.pk for d in readable_documents_of_cases(reader, every)] == [d.pk for d in shown]
    read = documents_of_cases(user=reader, case_ids=[hers.pk, *(c.pk for c in others)])
    assert {d.pk for d in read.shown} == {d.pk for d in shown} and [d.pk for d in read.kept] == [kept.pk]
