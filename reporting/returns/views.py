"""Pages of the quarterly returns, the programme dashboard, the data-quality report and training events.

Thin: parse input, call a selector or a service, render. Everything here is for
programme managers and partnership admins of their own partnership (404 for anyone
else). Figures are aggregates; the data-quality lists of cases show references only,
and are logged like any list of cases. Every download is logged as an export.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from agencies.models import User
from audit.models import AccessAction
from audit.services import access_record
from cases.forms import apply_errors
from reporting import dashboard as dashboard_module
from reporting import data_quality
from reporting.models import GeneratedReturn, ReturnStatus
from reporting.returns import permissions, selectors, services, xlsx
from reporting.returns.forms import (
    IndicatorForm,
    MeasureChoiceForm,
    ReturnRequestForm,
    TrainingForm,
    VersionedActionForm,
)
from reporting.returns.measures import MEASURES, Quarter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _programme_user(request: HttpRequest) -> User:
    user = request.user
    if not permissions.can_see_programme_data(user):
        raise Http404
    assert isinstance(user, User)
    return user


def _definitions(user: User) -> list[Any]:
    definitions = selectors.definitions_for_user(user=user)
    if not definitions:
        assert user.agency is not None
        definitions = [services.definition_ensure_default(partnership=user.agency.partnership, actor=user)]
    return definitions


# --- returns ----------------------------------------------------------------------------------------------


def returns_home(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    definitions = _definitions(user)
    form = ReturnRequestForm(
        definitions=definitions,
        initial={"quarter": Quarter.containing(timezone.localdate()).previous().key},
    )
    return render(
        request,
        "reporting/returns_home.html",
        {"form": form, "definitions": definitions, "returns": selectors.returns_for_user(user=user)},
    )


def return_preview(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    definitions = _definitions(user)
    form = ReturnRequestForm(request.GET, definitions=definitions)
    if not form.is_valid():
        return render(
            request,
            "reporting/returns_home.html",
            {"form": form, "definitions": definitions, "returns": selectors.returns_for_user(user=user)},
            status=400,
        )
    quarter = form.cleaned_quarter()
    definition = form.cleaned_data["definition"]
    suppress = form.cleaned_data["suppress"]
    results = selectors.preview_for_user(user=user, definition_id=definition.pk, quarter=quarter)
    access_record(
        user=user,
        action=AccessAction.VIEW,
        record_type="reporting.return_preview",
        record_ids=[definition.pk],
        purpose=f"preview of {quarter.label}, version {results['version']}",
    )
    return render(
        request,
        "reporting/return_preview.html",
        {
            "definition": definition,
            "quarter": quarter,
            "results": results,
            "sections": xlsx.present(results, suppress=suppress),
            "suppress": suppress,
            "generate_form": form,
        },
    )


@require_POST
def return_generate(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    definitions = _definitions(user)
    form = ReturnRequestForm(request.POST, definitions=definitions)
    if form.is_valid():
        try:
            generated = services.return_request(
                actor=user,
                definition=form.cleaned_data["definition"],
                quarter=form.cleaned_quarter(),
                suppress_small_numbers=form.cleaned_data["suppress"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("reporting:return_detail", return_id=generated.pk)
    return render(
        request,
        "reporting/returns_home.html",
        {"form": form, "definitions": definitions, "returns": selectors.returns_for_user(user=user)},
        status=400,
    )


def return_detail(request: HttpRequest, return_id: int) -> HttpResponse:
    user = _programme_user(request)
    generated = selectors.return_get_for_user(user=user, return_id=return_id)
    access_record(
        user=user, action=AccessAction.VIEW, record_type="reporting.generated_return", record_ids=[generated.pk]
    )
    context: dict[str, Any] = {"generated": generated}
    if generated.status == ReturnStatus.DONE:
        context["sections"] = xlsx.present(generated.results, suppress=generated.suppress_small_numbers)
    return render(request, "reporting/return_detail.html", context)


def return_progress(request: HttpRequest, return_id: int) -> HttpResponse:
    """The progress panel, polled by htmx; once the return is ready the whole page reloads."""
    user = _programme_user(request)
    generated = selectors.return_get_for_user(user=user, return_id=return_id, with_results=False)
    if generated.status in (ReturnStatus.DONE, ReturnStatus.FAILED) and getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if not getattr(request, "htmx", False):
        return redirect("reporting:return_detail", return_id=generated.pk)
    return render(request, "reporting/_return_progress.html", {"generated": generated})


def _cover(generated: GeneratedReturn) -> xlsx.Cover:
    quarter = Quarter(generated.year, generated.quarter)
    by = generated.requested_by
    finished = timezone.localtime(generated.finished_at) if generated.finished_at else None
    return xlsx.Cover(
        partnership=generated.partnership.name,
        quarter=quarter.label,
        period=f"{quarter.start:%-d %B %Y} to {quarter.end:%-d %B %Y}",
        definition=generated.version.definition.name,
        version=generated.version.number,
        generated_at=f"{finished:%-d %B %Y %H:%M}" if finished else "",
        generated_by=f"{by.get_full_name() or by.email}{', ' + by.agency.name if by.agency else ''}",
        suppressed=generated.suppress_small_numbers,
    )


def download_filename(generated: GeneratedReturn, extension: str) -> str:
    return (
        f"{generated.partnership.slug}-return-{generated.year}-{(generated.year + 1) % 100:02d}-q{generated.quarter}"
        f"-v{generated.version.number}-{generated.pk}.{extension}"
    )


def return_file(*, user: User, generated: GeneratedReturn, file_format: str) -> HttpResponse:
    """The XLSX or CSV of a generated return, logged as an export. Shared by the page and the API."""
    if generated.status != ReturnStatus.DONE or file_format not in ("xlsx", "csv"):
        raise Http404
    sections = xlsx.present(generated.results, suppress=generated.suppress_small_numbers)
    cover = _cover(generated)
    if file_format == "xlsx":
        body, content_type = xlsx.render_xlsx(cover, sections), XLSX_TYPE
    else:
        body, content_type = xlsx.render_csv(cover, sections), "text/csv; charset=utf-8"
    access_record(
        user=user,
        action=AccessAction.EXPORT,
        record_type="reporting.generated_return",
        record_ids=[generated.pk],
        purpose=f"{file_format.upper()} of the {cover.quarter} return (definition version {cover.version})",
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{download_filename(generated, file_format)}"'
    response["Cache-Control"] = "no-store"
    return response


def return_download(request: HttpRequest, return_id: int, file_format: str) -> HttpResponse:
    user = _programme_user(request)
    generated = selectors.return_get_for_user(user=user, return_id=return_id)
    return return_file(user=user, generated=generated, file_format=file_format)


# --- definitions ---------------------------------------------------------------------------------------------


def definition_detail(request: HttpRequest, definition_id: int, number: int | None = None) -> HttpResponse:
    user = _programme_user(request)
    view = selectors.definition_view_for_user(user=user, definition_id=definition_id, number=number)
    return render(
        request,
        "reporting/definition_detail.html",
        {"view": view, "can_edit": permissions.can_edit_definitions(user) and view.is_latest},
    )


def _sections_of(definition_id: int, user: User) -> list[str]:
    view = selectors.definition_view_for_user(user=user, definition_id=definition_id)
    return list(dict.fromkeys(i["section"] for i in view.indicators))


def _indicator_page(request: HttpRequest, *, user: User, definition_id: int, key: str | None) -> HttpResponse:
    view = selectors.definition_view_for_user(user=user, definition_id=definition_id)
    if not permissions.can_edit_definitions(user):
        raise Http404
    existing = None
    if key is not None:
        _, indicator = selectors.indicator_get_for_user(user=user, definition_id=definition_id, key=key)
        existing = services.spec_of(indicator)
    measure_key = request.POST.get("measure") or request.GET.get("measure") or ""
    if not measure_key and existing is not None and "choose" not in request.GET:
        measure_key = existing.measure
    sections = list(dict.fromkeys(i["section"] for i in view.indicators))
    base = {"view": view, "existing": existing, "sections": sections}
    if measure_key not in MEASURES:
        choose = MeasureChoiceForm(
            request.GET if "measure" in request.GET else None,
            initial={"measure": existing.measure if existing else None},
        )
        if choose.is_bound:
            choose.is_valid()
        return render(request, "reporting/indicator_measure.html", {**base, "form": choose})
    if request.method == "POST":
        form = IndicatorForm(request.POST, measure_key=measure_key, sections=sections)
        if form.is_valid():
            try:
                if existing is None:
                    version = services.indicator_add(
                        actor=user, definition=view.definition, spec=form.spec(), based_on=form.cleaned_data["based_on"]
                    )
                else:
                    version = services.indicator_change(
                        actor=user,
                        definition=view.definition,
                        key=existing.key,
                        spec=form.spec(),
                        based_on=form.cleaned_data["based_on"],
                    )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"Saved as version {version.number}: {version.note}")
                return redirect("reporting:definition_detail", definition_id=view.definition.pk)
    else:
        if existing is not None and measure_key == existing.measure:
            initial = IndicatorForm.initial_from(existing, view.version.number)
        else:
            initial = {"based_on": view.version.number, "measure": measure_key, "period": "quarter"}
            if existing is not None:
                initial.update(label=existing.label, section=existing.section, key=existing.key)
        form = IndicatorForm(initial=initial, measure_key=measure_key, sections=sections)
    filter_fields = [form[name] for name in form.fields if name.startswith("filter_")]
    return render(
        request,
        "reporting/indicator_form.html",
        {
            **base,
            "form": form,
            "measure": MEASURES[measure_key],
            "filter_fields": filter_fields,
            "filters_open": any(f.value() or f.errors for f in filter_fields),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def indicator_add(request: HttpRequest, definition_id: int) -> HttpResponse:
    user = _programme_user(request)
    return _indicator_page(request, user=user, definition_id=definition_id, key=None)


def indicator_edit(request: HttpRequest, definition_id: int, key: str) -> HttpResponse:
    user = _programme_user(request)
    return _indicator_page(request, user=user, definition_id=definition_id, key=key)


def _versioned_action(request: HttpRequest, definition_id: int, key: str, action: str) -> HttpResponse:
    user = _programme_user(request)
    definition, _ = selectors.indicator_get_for_user(user=user, definition_id=definition_id, key=key)
    if not permissions.can_edit_definitions(user):
        raise Http404
    form = VersionedActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the page and try again")
        return redirect("reporting:definition_detail", definition_id=definition.pk)
    try:
        if action == "remove":
            version = services.indicator_remove(
                actor=user, definition=definition, key=key, based_on=form.cleaned_data["based_on"]
            )
        else:
            version = services.indicator_move(
                actor=user,
                definition=definition,
                key=key,
                direction=form.cleaned_data["direction"],
                based_on=form.cleaned_data["based_on"],
            )
    except ValidationError as exc:
        messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
    else:
        messages.success(request, f"Saved as version {version.number}: {version.note}")
    return HttpResponseRedirect(reverse("reporting:definition_detail", args=[definition.pk]) + f"#indicator-{key}")


@require_POST
def indicator_remove(request: HttpRequest, definition_id: int, key: str) -> HttpResponse:
    return _versioned_action(request, definition_id, key, "remove")


@require_POST
def indicator_move(request: HttpRequest, definition_id: int, key: str) -> HttpResponse:
    return _versioned_action(request, definition_id, key, "move")


# --- training events ---------------------------------------------------------------------------------------------


def _training_input(form: TrainingForm) -> services.TrainingInput:
    data = form.cleaned_data
    agency = data.get("delivering_agency")
    return services.TrainingInput(
        delivered_on=data.get("delivered_on"),
        audience=data.get("audience", ""),
        topic=data.get("topic", ""),
        attendees=data.get("attendees"),
        delivering_agency_id=agency.pk if agency is not None else None,
    )


def training_list(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    assert user.agency is not None
    form = TrainingForm(request.POST or None, partnership_id=user.agency.partnership_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.training_event_record(actor=user, data=_training_input(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Training session recorded")
            return redirect("reporting:training_list")
    events = list(selectors.training_events_for_user(user=user))
    return render(
        request,
        "reporting/training_list.html",
        {"form": form, "events": events},
        status=400 if form.is_bound and form.errors else 200,
    )


def training_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    user = _programme_user(request)
    event = selectors.training_event_get_for_user(user=user, event_id=event_id)
    initial = {
        "delivered_on": event.delivered_on,
        "topic": event.topic,
        "audience": event.audience,
        "attendees": event.attendees,
        "delivering_agency": event.delivering_agency_id,
    }
    form = TrainingForm(request.POST or None, initial=initial, partnership_id=event.partnership_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.training_event_update(actor=user, event=event, data=_training_input(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Training session updated")
            return redirect("reporting:training_list")
    return render(
        request,
        "reporting/training_edit.html",
        {"form": form, "event": event},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
def training_delete(request: HttpRequest, event_id: int) -> HttpResponse:
    user = _programme_user(request)
    event = selectors.training_event_get_for_user(user=user, event_id=event_id)
    services.training_event_delete(actor=user, event=event)
    messages.success(request, "Training session deleted")
    return redirect("reporting:training_list")


# --- the dashboard and the data-quality report ----------------------------------------------------------------


def dashboard(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    assert user.agency is not None
    board = dashboard_module.dashboard_for_partnership(partnership_id=user.agency.partnership_id)
    access_record(user=user, action=AccessAction.VIEW, record_type="reporting.dashboard")
    return render(request, "reporting/dashboard.html", {"board": board, "chart_data": board.as_data()})


def data_quality_report(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    assert user.agency is not None
    stages = data_quality.report_for_partnership(partnership_id=user.agency.partnership_id)
    access_record(user=user, action=AccessAction.VIEW, record_type="reporting.data_quality")
    return render(request, "reporting/data_quality.html", {"stages": stages})


def data_quality_cases(request: HttpRequest, key: str) -> HttpResponse:
    user = _programme_user(request)
    found = data_quality.cases_for_check(user=user, key=key)
    access_record(
        user=user,
        action=AccessAction.VIEW,
        record_type="cases.case",
        record_ids=[c.pk for c in found.cases],
        purpose=f"data-quality check {key}",
    )
    return render(request, "reporting/data_quality_cases.html", {"found": found, "limit": data_quality.CASE_LIST_LIMIT})
