"""Every write to documents: uploads and letters. Keyword-only, typed, atomic.

An upload of several files is all or nothing: every file is checked (type from its
content, size, the case's total) before any is stored, and a failure while storing
removes what was already written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.template.defaultfilters import filesizeformat

from agencies.models import RecordClass, User
from audit.models import AccessAction
from audit.services import access_record
from cases.models import Case, CaseParty
from cases.permissions import VICTIM_ROLES
from cases.selectors import case_get_for_user
from documents import content, letters, permissions
from documents.models import Document, DocumentKind

MAX_FILENAME = 255


@dataclass(frozen=True)
class Upload:
    """One file as it came in: its bytes and the name the uploader's computer gave it."""

    file: IO[bytes]
    name: str
    size: int


def _lock_case_for_adding(actor: User, case_id: int) -> Case:
    case = case_get_for_user(user=actor, case_id=case_id)
    if not permissions.can_add_documents(actor, case):
        raise Http404
    # One upload at a time per case, so two cannot both fit under the case's limit together.
    return Case.objects.select_for_update().get(pk=case.pk)


def _about(case: Case, person_id: int | None) -> tuple[int | None, bool]:
    """The person a document is about: a party of this case (ids from the client are checked)."""
    if person_id is None:
        return None, False
    roles = set(CaseParty.objects.filter(case=case, person_id=person_id).values_list("role", flat=True))
    if not roles:
        raise ValidationError({"person": "Choose someone in this case"})
    victim_anywhere = CaseParty.objects.filter(person_id=person_id, role__in=VICTIM_ROLES).exists()
    return person_id, victim_anywhere


def _check_classes(actor: User, case: Case, person_id: int | None, classes: Sequence[str], field: str) -> None:
    """The uploader must be able to read back what they store, under every rule a reader meets."""
    allowed = permissions.assignable_classes(actor)
    missing = [c for c in classes if c not in allowed]
    if missing:
        raise ValidationError({field: "You cannot store a record of a class your agency may not see"})
    probe = Document(case=case, person_id=person_id, record_classes=list(classes))
    if not permissions.readable_documents(actor, case, [probe]):
        raise ValidationError({field: "You cannot store a record about this person's location"})


def _case_bytes(case: Case) -> int:
    return int(Document.objects.filter(case=case).aggregate(total=Sum("size"))["total"] or 0)


def _store(
    *,
    actor: User,
    case: Case,
    person_id: int | None,
    title: str,
    kind: str,
    dated_on: dt.date,
    classes: list[str],
    data: File,
    filename: str,
    content_type: str,
    size: int,
    letter_template: str = "",
) -> Document:
    assert actor.agency is not None
    digest = hashlib.sha256()
    for chunk in data.chunks():
        digest.update(chunk)
    data.seek(0)
    document = Document(
        case=case,
        person_id=person_id,
        title=title,
        kind=kind,
        dated_on=dated_on,
        record_classes=classes,
        filename=filename[-MAX_FILENAME:],
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        letter_template=letter_template,
        uploaded_by=actor,
        agency=actor.agency,
    )
    document.file.save("upload", data, save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    return document


def _clean_name(name: str) -> str:
    # The browser's name, without any path a client put in it.
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "document"


@transaction.atomic
def document_upload(
    *,
    actor: User,
    case_id: int,
    uploads: Sequence[Upload],
    kind: str,
    dated_on: dt.date,
    title: str = "",
    record_class: str = "",
    person_id: int | None = None,
) -> list[Document]:
    """Store several files on a case in one go, or none of them.

    Field errors name the file they are about (``files``), all at once.
    """
    case = _lock_case_for_adding(actor, case_id)
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if kind not in DocumentKind.values:
        refuse("kind", "Choose what kind of document this is")
    if record_class and record_class not in RecordClass.values:
        refuse("record_class", "Choose a record class from the list")
    if dated_on > dt.date.today():
        refuse("dated_on", "The document's date must be today or in the past")
    if len(title) > 200:
        refuse("title", "Title must be 200 characters or fewer")
    if not uploads:
        refuse("files", "Select at least one file")
    if len(uploads) > settings.MASIP_DOCUMENTS_PER_UPLOAD:
        refuse("files", f"Upload at most {settings.MASIP_DOCUMENTS_PER_UPLOAD} files at a time")
    try:
        about, about_victim = _about(case, person_id)
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
        about, about_victim = None, False
    classes = permissions.document_classes(
        kind=kind, chosen=[record_class] if record_class else [], about_victim=about_victim
    )
    if not errors:
        try:
            _check_classes(actor, case, about, classes, "record_class")
        except ValidationError as exc:
            errors.update({k: list(v) for k, v in exc.message_dict.items()})

    sniffed, file_errors = _check_files(case, uploads)
    if file_errors:
        errors.setdefault("files", []).extend(file_errors)
    if errors:
        raise ValidationError(errors)

    stored: list[Document] = []
    try:
        for upload, found in zip(uploads, sniffed, strict=True):
            name = _clean_name(upload.name)
            stored.append(
                _store(
                    actor=actor,
                    case=case,
                    person_id=about,
                    title=_title(title, name, len(uploads)),
                    kind=kind,
                    dated_on=dated_on,
                    classes=classes,
                    data=File(upload.file),
                    filename=name,
                    content_type=found,
                    size=upload.size,
                )
            )
    except Exception:
        for document in stored:
            document.file.delete(save=False)
        raise
    access_record(
        user=actor, action=AccessAction.CREATE, record_type="documents.document", record_ids=[d.pk for d in stored]
    )
    return stored


def _check_files(case: Case, uploads: Sequence[Upload]) -> tuple[list[str], list[str]]:
    """Each file's type from its content, and the size limits: (types found, problems)."""
    limit = settings.MASIP_DOCUMENT_MAX_BYTES
    sniffed: list[str] = []
    problems: list[str] = []
    for upload in uploads:
        name = _clean_name(upload.name)
        if upload.size == 0:
            problems.append(f"{name} is empty")
            sniffed.append("")
            continue
        if upload.size > limit:
            problems.append(f"{name} must be smaller than {filesizeformat(limit)}")
        found = content.sniff(upload.file)
        sniffed.append(found)
        if found not in content.ACCEPTED:
            problems.append(f"{name} must be a PDF, an image, an office document, a text file or an e-mail")
    total = _case_bytes(case) + sum(u.size for u in uploads)
    if uploads and total > settings.MASIP_CASE_DOCUMENTS_MAX_BYTES:
        problems.append(
            f"The case's documents would come to {filesizeformat(total)}, over the case's limit of "
            f"{filesizeformat(settings.MASIP_CASE_DOCUMENTS_MAX_BYTES)}"
        )
    return sniffed, problems


def document_upload_file_problems(*, actor: User, case_id: int, uploads: Sequence[Upload]) -> list[str]:
    """The files' own problems, for a form whose other fields are already wrong: every error at once."""
    case = case_get_for_user(user=actor, case_id=case_id)
    if not permissions.can_add_documents(actor, case):
        raise Http404
    return _check_files(case, uploads)[1]


def _title(title: str, filename: str, count: int) -> str:
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    if not title.strip():
        return stem[:200]
    if count == 1:
        return title.strip()
    return f"{title.strip()} – {stem}"[:200]


@transaction.atomic
def letter_create(
    *,
    actor: User,
    case_id: int,
    template: str,
    person_id: int,
    recipient_name: str,
    recipient_address: str,
    extra: str = "",
    dated_on: dt.date | None = None,
) -> Document:
    """Fill a letter template from the case, render it as PDF and keep it as a document."""
    case = _lock_case_for_adding(actor, case_id)
    errors: dict[str, str] = {}
    letter = letters.LETTERS.get(template)
    if letter is None:
        errors["template"] = "Choose a letter"
    if not recipient_name.strip():
        errors["recipient_name"] = "Enter who the letter is to"
    if len(recipient_name) > 200:
        errors["recipient_name"] = "Recipient must be 200 characters or fewer"
    if len(recipient_address) > 1000 or len(extra) > 5000:
        errors["extra"] = "The letter is too long"
    if not CaseParty.objects.filter(case=case, person_id=person_id, role__in=VICTIM_ROLES).exists():
        errors["person"] = "Choose the victim the letter is for"
    if errors:
        raise ValidationError(errors)
    assert letter is not None
    classes = permissions.document_classes(kind=DocumentKind.LETTER, chosen=letter.record_classes, about_victim=True)
    _check_classes(actor, case, person_id, classes, "template")
    dated = dated_on or dt.date.today()
    pdf = letters.render(
        letter=letter,
        case=case,
        person_id=person_id,
        author=actor,
        recipient_name=recipient_name.strip(),
        recipient_address=recipient_address.strip(),
        extra=extra.strip(),
        dated_on=dated,
    )
    total = _case_bytes(case) + len(pdf)
    if total > settings.MASIP_CASE_DOCUMENTS_MAX_BYTES:
        raise ValidationError({"template": "The case's documents are at the case's limit"})
    document = _store(
        actor=actor,
        case=case,
        person_id=person_id,
        title=f"{letter.title} to {recipient_name.strip()}"[:200],
        kind=DocumentKind.LETTER,
        dated_on=dated,
        classes=classes,
        data=ContentFile(pdf),
        filename=f"{letter.key.replace('_', '-')}-letter-{dated:%Y-%m-%d}.pdf",
        content_type="application/pdf",
        size=len(pdf),
        letter_template=letter.key,
    )
    access_record(user=actor, action=AccessAction.CREATE, record_type="documents.document", record_ids=[document.pk])
    return document


def on_person_merged(survivor: object, merged: object, actor: object) -> None:
    """Documents about the merged record are about the survivor now (inside the merge's transaction)."""
    Document.objects.filter(person_id=merged.pk).update(person_id=survivor.pk)  # type: ignore[attr-defined]
