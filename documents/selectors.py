"""The documents gateway: every read of a document or its list scopes, shapes and logs here.

Pages (documents/views.py) and the API (documents/apis.py) call these and nothing else.
Scope is the case's (``cases.selectors.case_get_for_user``: 404 outside it); the
agreement's classes are applied in the query and the per-person victim rules after it
(``documents.permissions.readable_documents``); a document the reader may not see is a
404, exactly like one that does not exist. Each call writes the access-log row for what
it returns: a ``view`` for a list or a document's details, an ``export`` (purpose
``download``) for each download.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from agencies.models import RecordClass, User
from agencies.selectors import record_classes_for_user
from audit.models import AccessAction
from audit.services import access_record
from cases.models import Case, CaseParty
from cases.permissions import VICTIM_ROLES, people_classes
from cases.selectors import PartyView, case_get_for_user, cases_viewable_by, person_get_for_user
from documents import letters, permissions
from documents.models import Document


@dataclass(frozen=True)
class PartyChoice:
    person_id: int
    label: str
    is_victim: bool


@dataclass
class CaseDocuments:
    case: Case
    documents: list[Document]
    can_add: bool
    can_write_letters: bool


def _granted_q(user: User) -> Q:
    """Every class of the document granted to the user's agency by the agreement."""
    return Q(record_classes__contained_by=sorted(str(c) for c in record_classes_for_user(user=user)))


def _visible_qs(user: User, case: Case) -> QuerySet[Document]:
    return (
        Document.objects.filter(_granted_q(user), case=case)
        .select_related("person", "uploaded_by", "agency")
        .order_by("-dated_on", "-id")
    )


@dataclass
class DocumentsRead:
    """Documents of some cases: those the reader may open, and those kept from them."""

    shown: list[Document]
    kept: list[Document]


def documents_of_cases(*, user: User, case_ids: Iterable[int], person_id: int | None = None) -> DocumentsRead:
    """The documents of some cases by the case's Documents page rule (``documents_for_case``):
    only on cases the user may open, every class granted by the agreement, and the per-person
    victim rules of ``permissions.readable_documents_of_cases``, for every case at once (a fixed
    number of queries whatever their number). The others of those cases come back as ``kept``.
    Logs nothing: for a caller that logs its own disclosure once."""
    cases = list(cases_viewable_by(user=user).filter(pk__in=set(case_ids)).values_list("pk", flat=True))
    documents = Document.objects.filter(case_id__in=cases).select_related("case", "person", "uploaded_by", "agency")
    if person_id is not None:  # only the documents about this person
        documents = documents.filter(person_id=person_id)
    every = list(documents.order_by("dated_on", "id"))
    granted = documents.filter(_granted_q(user)).order_by("dated_on", "id")
    readable = {d.pk for d in permissions.readable_documents_of_cases(user, granted)}
    return DocumentsRead(shown=[d for d in every if d.pk in readable], kept=[d for d in every if d.pk not in readable])


def documents_for_case(*, user: User, case_id: int) -> CaseDocuments:
    case = case_get_for_user(user=user, case_id=case_id)
    documents = permissions.readable_documents(user, case, _visible_qs(user, case))
    access_record(
        user=user, action=AccessAction.VIEW, record_type="documents.document", record_ids=[d.pk for d in documents]
    )
    return CaseDocuments(
        case=case,
        documents=documents,
        can_add=permissions.can_add_documents(user, case),
        can_write_letters=bool(letter_choices(user=user)) and permissions.can_add_documents(user, case),
    )


@dataclass
class PersonDocuments:
    """The documents about one person across the cases the reader may open, and where the
    reader may add one about her: cases she is a party to on which the reader may upload and
    the upload form would offer her."""

    person_id: int
    person: PartyView
    documents: list[Document]
    upload_cases: list[Case]


def documents_for_person(*, user: User, person_id: int) -> PersonDocuments:
    """The person's documents by the case's Documents page rule (``documents_of_cases``, with
    the person): 404 for a person the reader may not see (``cases.selectors.person_get_for_user``);
    only cases the reader may open, every class granted, and the per-person victim rules, so a
    document with her location never reaches a reader without it. Logged as a view of the person and
    of the documents listed, as the case's list is."""
    detail = person_get_for_user(user=user, person_id=person_id)
    case_ids = Document.objects.filter(person_id=person_id).values_list("case_id", flat=True).distinct()
    read = documents_of_cases(user=user, case_ids=case_ids, person_id=person_id)
    documents = sorted(read.shown, key=lambda d: (d.dated_on, d.pk), reverse=True)
    her_cases = {case.pk: case for case, _ in detail.parts}
    open_to_uploads = permissions.cases_open_to_uploads(user, her_cases)
    offered = _party_choices_of_cases(user, open_to_uploads, victims_only=False, location=False)
    upload_cases = [
        case for case_id, case in her_cases.items() if any(p.person_id == person_id for p in offered.get(case_id, []))
    ]
    access_record(user=user, action=AccessAction.VIEW, record_type="cases.person", record_ids=[person_id])
    access_record(
        user=user, action=AccessAction.VIEW, record_type="documents.document", record_ids=[d.pk for d in documents]
    )
    return PersonDocuments(
        person_id=person_id,
        person=detail.summary,
        documents=documents,
        upload_cases=upload_cases,
    )


def _document(user: User, document_id: int) -> Document:
    document = (
        Document.objects.select_related("case", "person", "uploaded_by", "agency")
        .filter(pk=document_id, case__partnership_id=user.agency.partnership_id)  # type: ignore[union-attr]
        .first()
    )
    if document is None:
        raise Http404
    case = case_get_for_user(user=user, case_id=document.case_id)
    classes = record_classes_for_user(user=user)
    if not set(document.record_classes) <= set(classes):
        raise Http404
    if not permissions.readable_documents(user, case, [document]):
        raise Http404
    return document


def document_read(*, user: User, document_id: int) -> Document:
    """One document's details (not its content)."""
    document = _document(user, document_id)
    access_record(user=user, action=AccessAction.VIEW, record_type="documents.document", record_ids=[document.pk])
    return document


def document_for_download(*, user: User, document_id: int) -> Document:
    """The document whose content is about to be sent: logged as an export, one row per download."""
    document = _document(user, document_id)
    access_record(
        user=user,
        action=AccessAction.EXPORT,
        record_type="documents.document",
        record_ids=[document.pk],
        purpose="download",
    )
    return document


def documents_after_upload(*, user: User, case_id: int, document_ids: list[int]) -> list[Document]:
    """What an upload just stored, for the API's answer (the service logged the creation)."""
    case = case_get_for_user(user=user, case_id=case_id)
    return permissions.readable_documents(user, case, _visible_qs(user, case).filter(pk__in=document_ids))


def _party_choices(user: User, case: Case, *, victims_only: bool, location: bool) -> list[PartyChoice]:
    return _party_choices_of_cases(user, [case.pk], victims_only=victims_only, location=location)[case.pk]


def _party_choices_of_cases(
    user: User, case_ids: Iterable[int], *, victims_only: bool, location: bool
) -> dict[int, list[PartyChoice]]:
    """The people the upload form would offer on each of some cases, in two queries whatever their number."""
    by_case: dict[int, dict[int, PartyChoice]] = {case_id: {} for case_id in case_ids}
    parts = list(
        CaseParty.objects.filter(case_id__in=by_case).select_related("person").order_by("-is_primary", "role", "id")
    )
    people = people_classes(user, {p.person_id for p in parts})
    for part in parts:
        is_victim = part.role in VICTIM_ROLES
        if victims_only and not is_victim:
            continue
        if part.person_id not in people.identity:
            continue
        if location and part.person_id not in people.location:
            continue
        person = part.person
        name = f"{person.given_name} {person.family_name}".strip() or f"Person {person.pk}"
        by_case[part.case_id].setdefault(
            part.person_id, PartyChoice(part.person_id, f"{name} ({part.get_role_display().lower()})", is_victim)
        )
    return {case_id: list(choices.values()) for case_id, choices in by_case.items()}


@dataclass
class UploadForm:
    case: Case
    people: list[PartyChoice]
    classes: list[tuple[str, str]]


def _upload_form(user: User, case_id: int) -> UploadForm:
    case = case_get_for_user(user=user, case_id=case_id)
    if not permissions.can_add_documents(user, case):
        raise Http404
    people = _party_choices(user, case, victims_only=False, location=False)
    allowed = permissions.assignable_classes(user)
    return UploadForm(case=case, people=people, classes=[(c.value, c.label) for c in RecordClass if c.value in allowed])


def upload_form_for_user(*, user: User, case_id: int) -> UploadForm:
    """The upload page: the case (404 outside scope or without the right to add) and the choices."""
    form = _upload_form(user, case_id)
    upload_form_shown(user=user, form=form)
    return form


def upload_form_shown(*, user: User, form: UploadForm) -> None:
    """Log the people the upload form names: for the GET, and once more when a refused upload
    (read with ``upload_form_for_change``) shows the form again."""
    access_record(
        user=user, action=AccessAction.VIEW, record_type="cases.person", record_ids=[p.person_id for p in form.people]
    )


def upload_form_for_change(*, user: User, case_id: int) -> UploadForm:
    """``upload_form_for_user``'s scope for a posted upload, without its ``view`` row: a POST
    logs what it does (the service's ``create``), not a look at the form it came from."""
    return _upload_form(user, case_id)


def letter_choices(*, user: User) -> list[letters.Letter]:
    """The letters whose classes the agreement grants the user."""
    allowed = permissions.assignable_classes(user)
    return [
        letter
        for letter in letters.LETTERS.values()
        if set(permissions.document_classes(kind="letter", chosen=letter.record_classes, about_victim=True)) <= allowed
    ]


@dataclass
class LetterForm:
    case: Case
    letters: list[letters.Letter]
    victims: list[PartyChoice]
    victims_with_location: set[int]


def _letter_form(user: User, case_id: int) -> LetterForm:
    case = case_get_for_user(user=user, case_id=case_id)
    available = letter_choices(user=user)
    if not permissions.can_add_documents(user, case) or not available:
        raise Http404
    victims = _party_choices(user, case, victims_only=True, location=False)
    located = {p.person_id for p in _party_choices(user, case, victims_only=True, location=True)}
    return LetterForm(case=case, letters=available, victims=victims, victims_with_location=located)


def letter_form_for_user(*, user: User, case_id: int) -> LetterForm:
    form = _letter_form(user, case_id)
    letter_form_shown(user=user, form=form)
    return form


def letter_form_shown(*, user: User, form: LetterForm) -> None:
    """Log the victims the letter form names: for the GET, and once more when a refused
    letter (read with ``letter_form_for_change``) shows the form again."""
    access_record(
        user=user, action=AccessAction.VIEW, record_type="cases.person", record_ids=[p.person_id for p in form.victims]
    )


def letter_form_for_change(*, user: User, case_id: int) -> LetterForm:
    """``letter_form_for_user``'s scope for a posted letter, without its ``view`` row (the
    service logs the letter it writes)."""
    return _letter_form(user, case_id)
