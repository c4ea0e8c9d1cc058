"""Pages of the quarterly returns, the programme dashboard, the data-quality report and training events.

Thin: parse input, call a selector or a service, render. Everything here is for
programme managers and partnership admins of their own partnership (404 for anyone
else). Figures are aggregates; the data-quality lists of cases show references only,
and are logged like any list of cases. Every download is logged as an export. The
logging is done by the read functions of ``reporting.returns.selectors``, which the API
calls too.
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
from agencies.staff import staff_member, staff_required
from cases.forms import apply_errors
from masip.replica import shows_replica_figures
from reporting import data_quality
from reporting.models import GeneratedReturn, ReturnStatus
from reporting.returns import permissions, selectors, services, xlsx
from reporting.returns.forms import (
    DashboardPeriodForm,
    IndicatorForm,
    MeasureChoiceForm,
    ReturnRequestForm,
    TrainingForm,
    VersionedActionForm,
)
from reporting.returns.measures import MEASURES, Quarter

XLSX_TYPE = selectors.XLSX_TYPE


def _programme_user(request: HttpRequest) -> User:
    """A member of staff in a programme role; 404 for anyone else (the selectors ask again)."""
    user = staff_member(request)
    if not permissions.can_see_programme_data(user):
        raise Http404
    return user


def _definitions(user: User) -> list[Any]:
    definitions = selectors.definitions_for_user(user=user)
    if not definitions:
        assert user.agency is not None
        definitions = [services.definition_ensure_default(partnership=user.agency.partnership, actor=user)]
    return definitions


# --- returns ----------------------------------------------------------------------------------------------


@staff_required
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


@staff_required
@shows_replica_figures
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
    results = selectors.return_preview_for_user(user=user, definition_id=definition.pk, quarter=quarter)
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


@staff_required
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


@staff_required
def return_detail(request: HttpRequest, return_id: int) -> HttpResponse:
    user = _programme_user(request)
    generated = selectors.return_detail_for_user(user=user, return_id=return_id)
    context: dict[str, Any] = {"generated": generated}
    if generated.status == ReturnStatus.DONE:
        context["sections"] = xlsx.present(generated.results, suppress=generated.suppress_small_numbers)
    return render(request, "reporting/return_detail.html", context)


@staff_required
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


download_filename = selectors.download_filename


def return_file(*, user: User, generated: GeneratedReturn, file_format: str) -> HttpResponse:
    """The XLSX or CSV of a generated return as a download. Shared by the page and the API; the
    read (``selectors.return_export_for_user``) scopes it and logs the export."""
    found = selectors.return_export_for_user(user=user, return_id=generated.pk, file_format=file_format)
    response = HttpResponse(found.body, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required
def return_download(request: HttpRequest, return_id: int, file_format: str) -> HttpResponse:
    user = _programme_user(request)
    generated = selectors.return_get_for_user(user=user, return_id=return_id)
    return return_file(user=user, generated=generated, file_format=file_format)


# --- definitions ---------------------------------------------------------------------------------------------


@staff_required
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


@staff_required
def indicator_add(request: HttpRequest, definition_id: int) -> HttpResponse:
    user = _programme_user(request)
    return _indicator_page(request, user=user, definition_id=definition_id, key=None)


@staff_required
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


@staff_required
@require_POST
def indicator_remove(request: HttpRequest, definition_id: int, key: str) -> HttpResponse:
    return _versioned_action(request, definition_id, key, "remove")


@staff_required
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


@staff_required
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


@staff_required
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


@staff_required
@require_POST
def training_delete(request: HttpRequest, event_id: int) -> HttpResponse:
    user = _programme_user(request)
    event = selectors.training_event_get_for_user(user=user, event_id=event_id)
    services.training_event_delete(actor=user, event=event)
    messages.success(request, "Training session deleted")
    return redirect("reporting:training_list")


# --- the dashboard and the data-quality report ----------------------------------------------------------------


@staff_required
@shows_replica_figures
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    today = timezone.localdate()
    form = DashboardPeriodForm(request.GET if "period" in request.GET else None, today=today)
    # A period that does not validate shows its errors over the default period's figures.
    period = form.report_period() if form.is_bound and form.is_valid() else None
    board = selectors.dashboard_for_user(user=user, today=today, period=period)
    return render(
        request,
        "reporting/dashboard.html",
        {"board": board, "chart_data": board.as_data(), "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@staff_required
def dashboard_cases(request: HttpRequest) -> HttpResponse:
    """The cases behind one bar of the dashboard: the bar is named by the query (no personal data)."""
    user = _programme_user(request)
    found = selectors.dashboard_cases_for_user(user=user, query=request.GET)
    return render(request, "reporting/dashboard_cases.html", {"found": found})


@staff_required
@shows_replica_figures
def data_quality_report(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    stages = selectors.data_quality_for_user(user=user)
    return render(request, "reporting/data_quality.html", {"stages": stages})


@staff_required
def data_quality_cases(request: HttpRequest, key: str) -> HttpResponse:
    user = _programme_user(request)
    found = selectors.data_quality_cases_for_user(user=user, key=key)
    return render(request, "reporting/data_quality_cases.html", {"found": found, "limit": data_quality.CASE_LIST_LIMIT})
