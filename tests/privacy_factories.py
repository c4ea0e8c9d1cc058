"""Cases for the data-protection tests: every kind of record on them carries a marker."""

from __future__ import annotations

import datetime as dt

from advocacy import services as advocacy_services
from cases import services as case_services
from cases.models import Case, CaseParty, PartyRole
from documents import services as document_services
from documents.models import Document, DocumentKind
from tests.advocacy_factories import contact_input
from tests.case_factories import make_case
from tests.document_factories import pdf, pdf_bytes
from tests.factories import World


def victim_id(case: Case) -> int:
    return CaseParty.objects.get(case=case, role=PartyRole.VICTIM, is_primary=True).person_id


def perpetrator_id(case: Case) -> int:
    return CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR).person_id


def marked_case(world: World, marker: str) -> Case:
    """A case whose people, note, contact and document all carry ``marker``, each changed
    once so that its history holds the marker in more than one row."""
    case = make_case(
        world.triage_officer,
        victim_name=(f"Vic{marker}", f"Tim{marker}"),
        perpetrator_name=(f"Per{marker}", f"Pet{marker}"),
        crime_reference="",
    )
    case_services.note_add(actor=world.triage_officer, case=case, text=f"A note with {marker} in it.")
    advocacy_services.contact_record(actor=world.advocate, case=case, data=contact_input(summary=f"Spoke {marker}"))
    document_services.document_upload(
        actor=world.advocate,
        case_id=case.pk,
        uploads=[document_services.Upload(file=pdf(f"{marker}.pdf"), name=f"{marker}.pdf", size=len(pdf_bytes()))],
        kind=DocumentKind.EVIDENCE_LOG,
        dated_on=dt.date.today(),
        title=f"Evidence {marker}",
    )
    # A change: the history now holds the first reading too.
    Document.objects.filter(case=case).update(title=f"Evidence {marker} (renamed)")
    return case


def close_long_ago(case: Case, closed_on: dt.date = dt.date(2015, 3, 1)) -> None:
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=closed_on)
