"""The data-protection pages: a partnership admin's only (404 to anyone else)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from agencies.person_lookup import people_named
from agencies.staff import staff_member, staff_required
from masip.forms import summary_errors
from privacy import selectors, services
from privacy.forms import (
    LegalHoldForm,
    LiftHoldForm,
    PrivacySettingsForm,
    RequestOpenForm,
    RequestSearchForm,
    ScheduleForm,
)
from privacy.models import BatchStatus, RequestStatus
from privacy.permissions import require_admin


def _apply_errors(form: object, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)  # type: ignore[attr-defined]


@staff_required
def schedules(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    partnership_id = require_admin(actor)
    posted = request.POST if request.method == "POST" else None
    form = ScheduleForm(posted if posted and "add_schedule" in posted else None)
    settings_form = PrivacySettingsForm(
        posted if posted and "save_settings" in posted else None,
        initial={"redact_staff_names": selectors.redact_staff_names(partnership_id)},
    )
    if form.is_bound and form.is_valid():
        try:
            services.schedule_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Retention schedule added")
            return redirect("privacy:schedules")
    if settings_form.is_bound and settings_form.is_valid():
        services.privacy_settings_update(actor=actor, **settings_form.cleaned_data)
        messages.success(request, "Disclosure settings saved")
        return redirect("privacy:schedules")
    return render(
        request,
        "privacy/schedules.html",
        {
            "schedules": selectors.schedules_for_admin(actor=actor),
            "form": form,
            "settings_form": settings_form,
            "summary_errors": summary_errors(form, settings_form),
        },
    )


@staff_required
@require_POST
def schedule_retire(request: HttpRequest, schedule_id: int) -> HttpResponse:
    services.schedule_retire(actor=staff_member(request), schedule_id=schedule_id)
    messages.success(request, "Retention schedule stopped")
    return redirect("privacy:schedules")


@staff_required
def batches(request: HttpRequest) -> HttpResponse:
    return render(
        request, "privacy/batches.html", {"batches": selectors.batches_for_admin(actor=staff_member(request))}
    )


@staff_required
def batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = staff_member(request)
    page = selectors.batch_for_admin(actor=actor, batch_id=batch_id)
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                services.retention_batch_approve(actor=actor, batch_id=batch_id)
                messages.success(request, "Batch approved: it is being carried out")
            elif decision == "reject":
                services.retention_batch_reject(actor=actor, batch_id=batch_id)
                messages.success(request, "Batch rejected: nothing in it will be changed")
            else:
                raise ValidationError({"decision": "Choose to approve or reject the batch"})
        except ValidationError as exc:
            errors = [("", m) for ms in exc.message_dict.values() for m in ms]
        else:
            return redirect("privacy:batch", batch_id=batch_id)
    return render(
        request,
        "privacy/batch.html",
        {"page": page, "summary_errors": errors, "awaiting": page.batch.status == BatchStatus.AWAITING_APPROVAL},
    )


@staff_required
def holds(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    require_admin(actor)
    form = LegalHoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.legal_hold_set(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Legal hold set: nothing on the case will be reviewed, anonymised or erased")
            return redirect("privacy:holds")
    return render(
        request,
        "privacy/holds.html",
        {"holds": selectors.holds_for_admin(actor=actor), "form": form, "summary_errors": summary_errors(form)},
    )


@staff_required
def hold_lift(request: HttpRequest, hold_id: int) -> HttpResponse:
    actor = staff_member(request)
    hold = selectors.hold_for_admin(actor=actor, hold_id=hold_id)
    form = LiftHoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.legal_hold_lift(actor=actor, hold_id=hold.pk, reason=form.cleaned_data["lift_reason"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Legal hold lifted")
            return redirect("privacy:holds")
    return render(
        request, "privacy/hold_lift.html", {"hold": hold, "form": form, "summary_errors": summary_errors(form)}
    )


@staff_required
def requests(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    return render(
        request,
        "privacy/requests.html",
        {"requests": selectors.requests_for_admin(actor=actor), "today": timezone.localdate()},
    )


@staff_required
def request_new(request: HttpRequest) -> HttpResponse:
    """Find the person by a posted name (never in a URL), then open the request for one of them."""
    actor = staff_member(request)
    require_admin(actor)
    posted = request.POST if request.method == "POST" else None
    search = RequestSearchForm(posted if posted and "find" in posted else None)
    people: list[tuple[int, str]] = []
    name = ""
    if search.is_bound and search.is_valid():
        name = search.cleaned_data["person_name"]
    elif posted and "open" in posted:
        name = posted.get("person_name", "")
    if name:
        people = [
            (p.person_id, f"{p.name}{', born ' + p.date_of_birth if p.date_of_birth else ''}")
            for p in people_named(actor=actor, name=name)
        ]
    form = RequestOpenForm(posted if posted and "open" in posted else None, people=people)
    if form.is_bound and form.is_valid():
        try:
            sar = services.sar_open(
                actor=actor,
                person_id=form.cleaned_data["person"],
                received_on=form.cleaned_data["received_on"],
                identity_checked=form.cleaned_data["identity_checked"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Subject access request opened")
            return redirect("privacy:request", sar_id=sar.pk)
    return render(
        request,
        "privacy/request_new.html",
        {
            "search": search,
            "form": form,
            "people": people,
            "person_name": name,
            "searched": bool(name),
            "summary_errors": summary_errors(search, form),
        },
    )


@staff_required
def request_detail(request: HttpRequest, sar_id: int) -> HttpResponse:
    actor = staff_member(request)
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            if request.POST.get("step") == "identity":
                services.sar_set_identity_checked(actor=actor, sar_id=sar_id)
                messages.success(request, "Identity recorded as checked")
            else:
                services.sar_approve(actor=actor, sar_id=sar_id)
                messages.success(request, "Disclosure approved: download it below")
        except ValidationError as exc:
            errors = [("", m) for ms in exc.message_dict.values() for m in ms]
        else:
            return redirect("privacy:request", sar_id=sar_id)
    sar, data = selectors.disclosure_for_admin(actor=actor, sar_id=sar_id)
    return render(
        request,
        "privacy/request_detail.html",
        {
            "sar": sar,
            "data": data,
            "summary_errors": errors,
            "is_open": sar.status == RequestStatus.OPEN,
            "is_overdue": sar.status != RequestStatus.DISCLOSED and sar.due_on < timezone.localdate(),
        },
    )


@staff_required
def request_download(request: HttpRequest, sar_id: int, output: str) -> HttpResponse:
    actor = staff_member(request)
    with transaction.atomic():
        sar, body = selectors.disclosure_file(actor=actor, sar_id=sar_id, output=output)
        services.sar_mark_disclosed(actor=actor, sar_id=sar.pk, output=output.upper())
    content_type = "application/pdf" if output == "pdf" else "application/json"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="subject-access-{sar.pk}.{output}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
