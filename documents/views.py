"""Pages of documents, under /documents/. Thin: parse, call a read or a service, render.

The upload form works without JavaScript (a plain multiple file input); with it, GOV.UK
Frontend's file upload adds the drop zone and htmx posts the form, reporting progress.
Downloads are attachments with ``nosniff``, from the documents storage through the
access check, never from a public URL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from agencies.staff import staff_member, staff_required
from cases.forms import apply_errors
from documents import selectors, services
from documents.forms import DocumentUploadForm, LetterCreateForm
from masip.forms import summary_errors

_FIELD = {"files": "uploads"}


def _posted(request: HttpRequest) -> tuple[Any, Any]:
    # An empty POST is still a submission: it must show its errors, not a fresh form.
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _uploads(files: list[Any]) -> list[services.Upload]:
    return [services.Upload(file=f.file, name=f.name or "", size=f.size or 0) for f in files]


def _done(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


@staff_required
def case_documents(request: HttpRequest, case_id: int) -> HttpResponse:
    user = staff_member(request)
    page = selectors.documents_for_case(user=user, case_id=case_id)
    return render(
        request,
        "documents/case_documents.html",
        {"case": page.case, "case_section": "documents", "page": page},
    )


@staff_required
def person_documents(request: HttpRequest, person_id: int) -> HttpResponse:
    user = staff_member(request)
    page = selectors.documents_for_person(user=user, person_id=person_id)
    return render(request, "documents/person_documents.html", {"page": page})


def _preselected_person(request: HttpRequest, page: selectors.UploadForm) -> dict[str, int]:
    """``?person=`` from "Upload a document about this person": taken only when the form
    offers that person anyway (the id is the client's; the service checks it again)."""
    wanted = request.GET.get("person", "")
    offered = {p.person_id for p in page.people}
    return {"person": int(wanted)} if wanted.isdigit() and int(wanted) in offered else {}


@staff_required
def document_upload(request: HttpRequest, case_id: int) -> HttpResponse:
    user = staff_member(request)
    # A POST logs the upload it stores, not a look at the form.
    read = selectors.upload_form_for_change if request.method == "POST" else selectors.upload_form_for_user
    page = read(user=user, case_id=case_id)
    form = DocumentUploadForm(*_posted(request), page=page, initial=_preselected_person(request, page))
    if request.method == "POST" and not form.is_valid() and "uploads" not in form.errors:
        # Whatever else is wrong, say what is wrong with the files too.
        for problem in services.document_upload_file_problems(
            actor=user, case_id=page.case.pk, uploads=_uploads(form.cleaned_data.get("uploads", []))
        ):
            form.add_error("uploads", problem)
    elif request.method == "POST":
        files = form.cleaned_data["uploads"]
        try:
            stored = services.document_upload(
                actor=user,
                case_id=page.case.pk,
                uploads=_uploads(files),
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
                dated_on=form.cleaned_data["dated_on"],
                record_class=form.cleaned_data["record_class"],
                person_id=form.cleaned_data["person"],
            )
        except ValidationError as exc:
            # The service (and the API) call the files "files"; the page's field is "uploads".
            apply_errors(form, ValidationError({_FIELD.get(k, k): v for k, v in exc.message_dict.items()}))
        else:
            count = len(stored)
            messages.success(request, f"{count} document{'s' if count != 1 else ''} uploaded")
            return _done(request, reverse("documents:case_documents", args=[page.case.pk]))
    if request.method == "POST":
        # Refused: the form is shown again with the people's names; log that view once.
        selectors.upload_form_shown(user=user, form=page)
    return render(
        request,
        "documents/upload.html",
        {
            "case": page.case,
            "case_section": "documents",
            "form": form,
            "summary_errors": summary_errors(form),
            "today": dt.date.today(),
        },
    )


@staff_required
def letter_create(request: HttpRequest, case_id: int) -> HttpResponse:
    user = staff_member(request)
    read = selectors.letter_form_for_change if request.method == "POST" else selectors.letter_form_for_user
    page = read(user=user, case_id=case_id)
    form = LetterCreateForm(_posted(request)[0], page=page)
    if request.method == "POST" and form.is_valid():
        try:
            services.letter_create(
                actor=user,
                case_id=page.case.pk,
                template=form.cleaned_data["template"],
                person_id=form.cleaned_data["person"],
                recipient_name=form.cleaned_data["recipient_name"],
                recipient_address=form.cleaned_data["recipient_address"],
                extra=form.cleaned_data["extra"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Letter written and kept with the case's documents")
            return redirect("documents:case_documents", case_id=page.case.pk)
    if request.method == "POST":
        selectors.letter_form_shown(user=user, form=page)
    return render(
        request,
        "documents/letter_form.html",
        {
            "case": page.case,
            "case_section": "documents",
            "form": form,
            "page": page,
            "summary_errors": summary_errors(form),
        },
    )


def attachment(document: Any) -> FileResponse:
    """The stored bytes as a download: never shown inline, never sniffed into something active."""
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.filename,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@staff_required
def document_download(request: HttpRequest, document_id: int) -> FileResponse:
    user = staff_member(request)
    return attachment(selectors.document_for_download(user=user, document_id=document_id))
