"""Who may see and add documents. The selectors, services, pages and API all ask these.

A document is as private as the strictest thing in it. It carries every record class it
belongs to: the class the uploader chose, the classes its kind implies (a victim's
evidence log or screenshot identifies her; a risk report is criminal history), and
``victim_identity`` whenever it is about a person who is a victim in any case or carries
her location. A reader needs the case (``cases.permissions.can_view_case``), every one of
those classes from the agreement, and, for the victim classes, the per-person rule of
``cases.permissions.people_classes``: a document about a victim's location is shown only
to a reader who may see her location everywhere she is a victim; a case document with
``victim_location`` and no named person only where every victim of the case is visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agencies.models import RecordClass, User
from cases.models import Case
from cases.permissions import (
    CASEWORK_ROLES,
    can_view_case,
    case_visibility_q,
    cases_victims_location_visible,
    is_staff_member,
    note_classes_for_user,
    people_classes,
)
from documents.models import Document, DocumentKind

KIND_CLASSES: dict[str, frozenset[str]] = {
    DocumentKind.EVIDENCE_LOG: frozenset({RecordClass.VICTIM_IDENTITY}),
    DocumentKind.SCREENSHOT: frozenset({RecordClass.VICTIM_IDENTITY}),
    DocumentKind.LETTER: frozenset({RecordClass.VICTIM_IDENTITY}),
    DocumentKind.COURT_ORDER: frozenset(),
    # Written for MAPPA, probation and sentencers: the agreement's criminal-history readers.
    DocumentKind.RISK_REPORT: frozenset({RecordClass.CRIMINAL_HISTORY}),
    DocumentKind.OTHER: frozenset(),
}


def document_classes(*, kind: str, chosen: Iterable[str], about_victim: bool) -> list[str]:
    """The classes a document carries: the chosen ones, its kind's, and identity where it is a victim's."""
    classes = set(chosen) | KIND_CLASSES.get(kind, frozenset())
    if about_victim or RecordClass.VICTIM_LOCATION in classes:
        classes.add(RecordClass.VICTIM_IDENTITY)
    return sorted(str(c) for c in classes)


def can_add_documents(user: Any, case: Case) -> bool:
    """Casework roles on a case they hold in their own right (a break-glass look reads, it does not add)."""
    return is_staff_member(user) and user.role in CASEWORK_ROLES and can_view_case(user, case, break_glass=False)


def assignable_classes(user: User) -> frozenset[str]:
    """An uploader may mark a document only with classes they may read themselves."""
    return note_classes_for_user(user)


def readable_documents(user: User, case: Case, documents: Iterable[Document]) -> list[Document]:
    """Of some documents of one case the user may open, those every class of which the user may
    see: ``readable_documents_of_cases`` asked of one case."""
    rows = list(documents)
    if any(doc.case_id != case.pk for doc in rows):
        raise ValueError(f"readable_documents: a document of another case than {case.pk}")
    return readable_documents_of_cases(user, rows)


def readable_documents_of_cases(user: User, documents: Iterable[Document]) -> list[Document]:
    """Of some documents of any number of cases the user may open, those every class of which the
    user may see, each decided against its own case, in the order given.

    The agreement's classes are applied in the query (``record_classes__contained_by``);
    this applies the per-person victim rules, in a fixed number of queries whatever the number
    of documents and cases: one for the people they are about, and two more only where a case
    document carries a victim's location with nobody named. A document about a person is shown
    only where ``people_classes`` gives the reader her identity today, whatever classes were
    stored when it was uploaded.
    """
    rows = list(documents)
    people = people_classes(user, {d.person_id for d in rows if d.person_id is not None})
    located_cases = cases_victims_location_visible(
        user,
        {d.case_id for d in rows if d.person_id is None and RecordClass.VICTIM_LOCATION in d.record_classes},
    )
    visible = []
    for doc in rows:
        # Asked of the person as she is now, not of the classes stored on the document: a
        # document uploaded when she was only a perpetrator carries no victim class, yet names
        # her once she is a victim in any case (``people.identity`` holds everyone who is a
        # victim nowhere, so this withholds nothing else).
        if doc.person_id is not None and doc.person_id not in people.identity:
            continue
        if RecordClass.VICTIM_LOCATION in doc.record_classes:
            if doc.person_id is not None:
                if doc.person_id not in people.location:
                    continue
            # A case document with her location and nobody named: every victim of its case.
            elif doc.case_id not in located_cases:
                continue
        visible.append(doc)
    return visible


def cases_open_to_uploads(user: Any, case_ids: Iterable[int]) -> frozenset[int]:
    """``can_add_documents`` for many cases at once, in one query: those of ``case_ids`` the user
    holds in their own right (``case_visibility_q``, the caseload's form of
    ``can_view_case(..., break_glass=False)``), for a casework role."""
    ids = set(case_ids)
    if not ids or not is_staff_member(user) or user.role not in CASEWORK_ROLES:
        return frozenset()
    return frozenset(Case.objects.filter(case_visibility_q(user), pk__in=ids).values_list("pk", flat=True))
