"""The data bundle page: upload a bundle to import (partnership admins), follow its import, and
download the partnership's export (admins; the pseudonymised one also programme managers).

Thin: parse the form, call exchange.services, render. Outside the roles: 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agencies.models import User
from agencies.staff import staff_member, staff_required
from cases.forms import apply_errors
from exchange import format as fmt
from exchange import services
from exchange.forms import BundleExportForm, BundleUploadForm


def _user(request: HttpRequest, *, pseudonymised_export: bool = True) -> User:
    """A member of staff who may export (the services ask again); 404 for anyone else."""
    user = staff_member(request)
    if not services.may_export(user, pseudonymise=pseudonymised_export):
        raise Http404
    return user


def _page(
    request: HttpRequest,
    user: User,
    *,
    upload: BundleUploadForm | None = None,
    export: BundleExportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    admin = services.may_handle_identities(user)
    context: dict[str, Any] = {
        "admin": admin,
        "upload": upload or (BundleUploadForm() if admin else None),
        "export": export or BundleExportForm(full_allowed=admin, initial={"kind": "pseudonymised"}),
        "files": [fmt.SPECS[name] for name in fmt.ALL_FILES],
        "partnership": user.agency.partnership if user.agency else None,
    }
    return render(request, "exchange/bundle.html", context, status=status)


@staff_required
def bundle_home(request: HttpRequest) -> HttpResponse:
    return _page(request, _user(request))


@staff_required
@require_POST
def bundle_import(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not services.may_handle_identities(user):
        raise Http404
    form = BundleUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            job_id = services.bundle_import_start(
                actor=user, files=form.cleaned_data["bundle"], dry_run=form.cleaned_data["dry_run"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("exchange:bundle_import_job", job_id=job_id)
    return _page(request, user, upload=form, status=400)


@staff_required
def bundle_import_job(request: HttpRequest, job_id: UUID) -> HttpResponse:
    user = _user(request)
    job = services.bundle_import_job_for_user(user=user, job_id=str(job_id))
    template = "exchange/_job.html" if request.htmx else "exchange/job.html"  # type: ignore[attr-defined]
    optional = (*fmt.V2_FILES, *fmt.COST_FILES)
    names = fmt.FILES + tuple(n for n in optional if job.created.get(n) or job.already_held.get(n))
    files = [(name, job.created.get(name, 0), job.already_held.get(name, 0)) for name in names]
    # The error summary links each file to its first problem in the table (rows are error-1, error-2 ...).
    first_row: dict[str, int] = {}
    for number, error in enumerate(job.errors, start=1):
        first_row.setdefault(error["file"], number)
    error_files = [
        (name, count, f"error-{first_row[name]}" if name in first_row else "errors")
        for name, count in job.error_files.items()
    ]
    context = {"job": job, "files": files, "shown": len(job.errors), "error_files": error_files}
    return render(request, template, context)


@staff_required
def bundle_history(request: HttpRequest) -> HttpResponse:
    """Past imports and exports of the partnership: who, when, how many rows, and the outcome."""
    user = _user(request)
    transfers = services.bundle_transfers_for_user(user=user)
    return render(request, "exchange/history.html", {"transfers": transfers, "limit": services.HISTORY_LIMIT})


@staff_required
@require_POST
def bundle_export(request: HttpRequest) -> HttpResponse | FileResponse:
    user = _user(request)
    admin = services.may_handle_identities(user)
    form = BundleExportForm(request.POST, full_allowed=admin)
    if not form.is_valid():
        return _page(request, user, export=form, status=400)
    try:
        stream, filename = services.bundle_export_for_user(
            actor=user,
            pseudonymise=form.cleaned_data["kind"] == "pseudonymised",
            for_evaluation=form.cleaned_data["kind"] == "evaluation",
            reason=form.cleaned_data.get("reason", ""),
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return _page(request, user, export=form, status=400)
    response = FileResponse(stream, as_attachment=True, filename=filename, content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response
