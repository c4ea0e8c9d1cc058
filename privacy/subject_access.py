"""What the service holds about one person, gathered for a subject access request.

Everything held about the person across the apps: the person record, their parts in
cases, case notes, contacts with them, clinical notes and risk assessments on their
cases, documents' metadata, consent, and the access log's rows about them. Third
parties' identifying data is left out or redacted:

- the other parties of a case are named only by their role;
- notes and documents of a record class that belongs to another party are left out: a
  person who is not a victim in a case never receives its victim-identity, victim-location
  or safety-plan records, and a victim never receives the perpetrator's criminal-history
  or clinical records;
- in every text that is disclosed, each other party's names, address lines, postcodes,
  telephone numbers and e-mail addresses and safe-contact code word are replaced by
  ``[redacted]`` (a note about the perpetrator may still mention where she lives);
- staff are named by agency only where the partnership's privacy settings say so.

The review page, the PDF and the JSON are made from the same gathered dictionary.

The reviewer is a reader like any other: what the agreement or the case's sharing keeps from
their agency is left out of what they see (the same rules as every page, per person), and
listed under ``withheld`` by kind and count. Each section is read through the app that owns it
(``cases.selectors.notes_of_cases``, ``advocacy.selectors.contacts_with_person``,
``interventions.selectors.clinical_notes_of_cases``, ``risk.selectors.completed_assessments_of_cases``,
``documents.selectors.documents_of_cases``, ``consent.selectors.consent_of_person``), which
applies its own rule for the reader and returns what it keeps from them; nothing here repeats
those rules. The reads log nothing: the request logs its review and its disclosure once.

A disclosure with anything withheld cannot be approved by that reviewer
(privacy.services.sar_approve): an admin whose agency may see all of it must review it, so no
disclosure is ever sent incomplete without anyone knowing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any

from django.template.loader import render_to_string

from advocacy.selectors import contacts_with_person
from agencies.models import RecordClass, User
from agencies.selectors import record_classes_for_user
from audit.models import AccessLog
from cases.models import Address, CaseParty, ContactDetail, Person, PersonAlias, SafeContactPreference
from cases.permissions import VICTIM_ROLES, people_classes
from cases.selectors import cases_viewable_by, notes_of_cases
from consent.selectors import consent_of_person
from documents.selectors import documents_of_cases
from interventions.selectors import clinical_notes_of_cases
from privacy.models import SubjectAccessRequest
from risk.selectors import completed_assessments_of_cases

REDACTED = "[redacted]"
VICTIM_CLASSES = frozenset({RecordClass.VICTIM_IDENTITY, RecordClass.VICTIM_LOCATION, RecordClass.SAFETY_PLAN})
PERPETRATOR_CLASSES = frozenset({RecordClass.CRIMINAL_HISTORY, RecordClass.CLINICAL})
ACCESS_LOG_LIMIT = 5000
# The victim's own answers about her situation and her fear (docs/risk-instruments.md): hers,
# not the perpetrator's, so never in the disclosure to someone who is not a victim in the case.
VICTIM_ANSWERED_INSTRUMENTS = frozenset({"dash", "s_dash"})


def _withheld_classes(is_victim: bool) -> frozenset[str]:
    return frozenset(str(c) for c in (PERPETRATOR_CLASSES if is_victim else VICTIM_CLASSES))


class Redactor:
    """Replaces third parties' identifying words in free text."""

    def __init__(self, terms: Iterable[str]) -> None:
        words = sorted({t.strip() for t in terms if t and len(t.strip()) >= 3}, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None

    def __call__(self, text: str) -> str:
        if not text or self.pattern is None:
            return text or ""
        return self.pattern.sub(REDACTED, text)


def _third_party_terms(person_ids: set[int]) -> list[str]:
    terms: list[str] = []
    for given, family in Person.objects.filter(pk__in=person_ids).values_list("given_name", "family_name"):
        terms += [given, family, f"{given} {family}"]
    for given, family in PersonAlias.objects.filter(person_id__in=person_ids).values_list("given_name", "family_name"):
        terms += [given, family]
    for row in Address.objects.filter(person_id__in=person_ids).values_list("line_1", "line_2", "postcode"):
        terms += list(row)
    terms += list(ContactDetail.objects.filter(person_id__in=person_ids).values_list("value", flat=True))
    terms += list(SafeContactPreference.objects.filter(person_id__in=person_ids).values_list("code_word", flat=True))
    return terms


def _staff(user: User | None, *, redact: bool, agency_name: str = "") -> str:
    if user is None:
        return agency_name or "The service"
    agency = agency_name or (user.agency.name if user.agency else "")
    if redact:
        return f"A member of staff, {agency}" if agency else "A member of staff"
    return f"{user.get_full_name() or 'Staff'}, {agency}" if agency else user.get_full_name()


def _day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()


def gather(sar: SubjectAccessRequest, *, reader: User, redact_staff: bool) -> dict[str, Any]:
    person = Person.objects.get(pk=sar.person_id)
    withheld: list[str] = []
    all_parts = CaseParty.objects.filter(person=person)
    seen_cases = set(
        cases_viewable_by(user=reader).filter(pk__in=all_parts.values("case_id")).values_list("pk", flat=True)
    )
    unseen = all_parts.exclude(case_id__in=seen_cases).count()
    if unseen:
        withheld.append(f"{unseen} cases not shared with your agency")
    subject = people_classes(reader, [person.pk])
    reader_classes = record_classes_for_user(user=reader)
    if person.pk not in subject.identity:
        return {"withheld": ["everything: your agency may not see this person's identity"], "identity_withheld": True}
    shows_location = person.pk in subject.location
    if not shows_location:
        withheld.append("addresses and contact details (victim location)")
    parts = list(all_parts.filter(case_id__in=seen_cases).select_related("case", "case__referral").order_by("case_id"))
    case_ids = {p.case_id for p in parts}
    victim_in = {p.case_id for p in parts if p.role in VICTIM_ROLES}
    others = CaseParty.objects.filter(case_id__in=case_ids).exclude(person=person)
    redact = Redactor(_third_party_terms(set(others.values_list("person_id", flat=True))))
    other_roles: dict[int, list[str]] = {}
    for other in others:
        other_roles.setdefault(other.case_id, []).append(other.get_role_display())

    def third_party(case_id: int) -> frozenset[str]:
        return _withheld_classes(case_id in victim_in)

    def kept_from_reader(classes: Iterable[str], what: str) -> bool:
        missing = {c for c in classes if c} - reader_classes
        if missing:
            withheld.append(f"{what} ({', '.join(sorted(missing))})")
        return bool(missing)

    def kept_count(count: int, what: str) -> None:
        withheld.extend([f"{what} (on a case not shared with your agency, or of a class it may not see)"] * count)

    # Each section comes from its own app's read, under that app's rule for this reader (the
    # case, the agreement's classes, the per-person rule); what the rule keeps from the reader
    # comes back too, and is listed as withheld. The third-party rule below is this disclosure's own.
    notes = notes_of_cases(user=reader, case_ids=case_ids)
    for note in notes.kept:
        if note.record_class not in third_party(note.case_id):
            kept_from_reader([note.record_class], "a case note")
    contacts = contacts_with_person(user=reader, person_id=person.pk)
    kept_count(contacts.kept, "a contact")
    clinical = clinical_notes_of_cases(user=reader, case_ids=case_ids - victim_in)
    withheld.extend(["a clinical note (clinical)"] * clinical.kept)
    assessments = completed_assessments_of_cases(user=reader, case_ids=case_ids)
    for whole in assessments.kept:
        if not whole.record_classes & third_party(whole.case_id):
            kept_from_reader(whole.record_classes, "a risk assessment")
    documents = documents_of_cases(user=reader, case_ids=case_ids)
    for document in documents.kept:
        disclosable = document.person_id in (None, person.pk) and not (
            set(document.record_classes) & third_party(document.case_id)
        )
        # Every class granted but kept all the same: a person it is about is a victim in a case the reader cannot see.
        if disclosable and not kept_from_reader(document.record_classes, "a document"):
            withheld.append("a document (victim rules for a person it is about)")
    consent = consent_of_person(user=reader, person_id=person.pk)
    kept_count(consent.kept, "a consent answer")

    data: dict[str, Any] = {
        "request": {
            "reference": f"SAR-{sar.pk:06d}",
            "received_on": _day(sar.received_on),
            "due_on": _day(sar.due_on),
            "produced_on": _day(dt.date.today()),
        },
        "person": {
            "given_name": person.given_name,
            "family_name": person.family_name,
            "date_of_birth": _day(person.date_of_birth),
            "gender": person.get_gender_display(),
            "pnc_id": person.pnc_id,
            "nhs_number": person.nhs_number,
            "other_names": [f"{a.given_name} {a.family_name}".strip() for a in person.aliases.all()],
            "addresses": [str(a) for a in person.addresses.order_by("-is_current", "-created_at")]
            if shows_location
            else [],
            "contact_details": [f"{c.get_kind_display()}: {c.value}" for c in person.contact_details.all()]
            if shows_location
            else [],
        },
        "cases": [
            {
                "case": p.case.reference,
                "role": p.get_role_display(),
                "received_on": _day(p.case.received_on),
                "status": p.case.get_status_display(),
                "closed_on": _day(p.case.closed_on),
                "offence": p.case.referral.get_offence_display(),
                "other_parties": [f"{role} ({REDACTED})" for role in other_roles.get(p.case_id, [])],
                "criminal_history": p.criminal_history
                if p.case_id not in victim_in
                and not (p.criminal_history and kept_from_reader([RecordClass.CRIMINAL_HISTORY], "criminal history"))
                else "",
            }
            for p in parts
        ],
        "case_notes": [
            {
                "case": f"MASIP-{n.case_id:06d}",
                "written": _day(n.created_at),
                "by": _staff(n.author, redact=redact_staff, agency_name=n.agency.name),
                "text": redact(n.text),
            }
            for n in notes.shown
            if n.record_class not in third_party(n.case_id)
        ],
        "contacts": [
            {
                "case": f"MASIP-{c.case_id:06d}",
                "when": _day(c.occurred_at),
                "channel": c.get_channel_display(),
                "by": _staff(c.staff_member, redact=redact_staff),
                "summary": redact(c.summary),
            }
            for c in contacts.shown
        ],
        "clinical_notes": [
            {
                "case": f"MASIP-{c.intervention.case_id:06d}",
                "written": _day(c.created_at),
                "by": _staff(c.author, redact=redact_staff),
                "text": redact(c.text),
            }
            for c in clinical.shown
        ],
        "risk_assessments": [
            {
                "case": f"MASIP-{a.case_id:06d}",
                "instrument": a.instrument.name,
                "assessed_on": _day(a.assessed_on),
                "level": a.level or a.get_overall_display(),
                "notes": redact(a.notes),
            }
            for a in (w.assessment for w in assessments.shown if not w.record_classes & third_party(w.case_id))
            if a.case_id in victim_in or a.instrument.key not in VICTIM_ANSWERED_INSTRUMENTS
        ],
        "documents": [
            {
                "case": f"MASIP-{d.case_id:06d}",
                "title": redact(d.title),
                "kind": d.get_kind_display(),
                "dated_on": _day(d.dated_on),
                "about_you": d.person_id == person.pk,
            }
            for d in documents.shown
            if (d.person_id in (None, person.pk)) and not (set(d.record_classes) & third_party(d.case_id))
        ],
        "consent": [
            {
                "purpose": c.get_purpose_display(),
                "given": c.given,
                "given_on": _day(c.given_on),
                "method": c.get_method_display(),
                "withdrawn_on": _day(c.withdrawn_on),
                "note": redact(c.note),
            }
            for c in consent.shown
        ],
        "access_log": [
            {
                "when": row.at.isoformat(timespec="minutes"),
                "action": row.get_action_display(),
                "who": _staff(row.user, redact=redact_staff, agency_name=row.agency.name if row.agency else ""),
            }
            for row in AccessLog.objects.filter(record_type="cases.person", record_ids__contains=[str(person.pk)])
            .select_related("user", "agency")
            .order_by("at", "id")[:ACCESS_LOG_LIMIT]
        ],
    }
    data["withheld"] = _summarise(withheld)
    return data


def _summarise(reasons: list[str]) -> list[str]:
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    return [f"{reason} x{n}" if n > 1 else reason for reason, n in counts.items()]


def as_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


def as_html(data: dict[str, Any]) -> str:
    return render_to_string("privacy/disclosure_document.html", {"data": data})


def _refuse(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"not fetched: {url[:40]}")


def as_pdf(data: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=as_html(data), url_fetcher=_refuse).write_pdf())
