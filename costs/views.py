"""Pages of the costs app, mounted at /costs/. Thin: selectors read (and log), services write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from agencies.models import User
from agencies.staff import staff_member, staff_required
from audit.models import AccessAction
from cases.forms import apply_errors
from costs import activities, selectors, services
from costs.forms import (
    CostLineForm,
    FteForm,
    HourlyRateForm,
    NarrativeForm,
    OpenAccountForm,
    PeriodForm,
    RateCardForm,
    ScenarioItemForm,
    TimeEntryForm,
)
from costs.models import ActivityKind, CostLine, ScenarioItem


def _status(form: Any) -> int:
    return 400 if form.is_bound and form.errors else 200


def _programme_user(request: HttpRequest) -> User:
    user = staff_member(request)
    selectors._require_programme_user(user)
    return user


# --- time on an activity --------------------------------------------------------------------------------------------


def _activity(user: User, source: str, activity_id: int) -> activities.Activity:
    if source == "case":
        case = selectors.case_for_time(user=user, case_id=activity_id)
        return activities.case_activity(case_id=case.pk, partnership_id=case.partnership_id, on=dt.date.today())
    activity = activities.activity_resolve(source=source, activity_id=activity_id)
    if activity is None:
        raise Http404
    return activity


@staff_required
def time_entry(request: HttpRequest, source: str, activity_id: int) -> HttpResponse:
    user = staff_member(request)
    activity = _activity(user, source, activity_id)
    case = selectors.activity_case_for_user(user=user, activity=activity)
    labels = dict(ActivityKind.choices)
    kinds = [(k, labels[k]) for k in activity.kinds]
    first = activity.kinds[0]
    form = TimeEntryForm(
        request.POST or None,
        kinds=kinds,
        partnership_id=activity.partnership_id,
        initial={"kind": first, "minutes": activity.default_minutes[first], "who": "me"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        other = data["who"] == "other"
        try:
            services.time_entry_record(
                actor=user,
                activity=activity,
                kind=data["kind"],
                minutes=data["minutes"],
                role=TimeEntryForm.role_key(data.get("role") or "") if other else "",
                agency=data.get("agency") if other else None,
                for_someone_else=other,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Time recorded")
            return redirect(request.path)
    entries = selectors.time_entries_for_activity(user=user, activity=activity)
    return render(
        request,
        "costs/time_entry.html",
        {"form": form, "activity": activity, "case": case, "entries": entries, "defaults": activity.default_minutes},
        status=_status(form),
    )


@staff_required
@require_POST
def time_entry_delete(request: HttpRequest, entry_id: int) -> HttpResponse:
    user = staff_member(request)
    entry = selectors.time_entry_get_for_user(user=user, entry_id=entry_id)
    services.time_entry_delete(actor=user, entry=entry)
    messages.success(request, "Time removed")
    return redirect(request.POST.get("next") or reverse("costs:time_entry", args=["case", entry.case_id]))


# --- accounts -------------------------------------------------------------------------------------------------------


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    form = OpenAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = selectors.case_for_cost_account(user=user, case_id=form.cleaned_data["case"])
        try:
            services.cost_account_open(actor=user, case=case)
        except ValidationError as exc:
            apply_errors(form, exc)
            form.add_error(None, exc.messages[0])
        else:
            return redirect("costs:account", case_id=case.pk)
    accounts = selectors.cost_accounts_for_user(user=user)
    return render(request, "costs/home.html", {"form": form, "accounts": accounts}, status=_status(form))


def _account_context(user: User, case_id: int, **forms: Any) -> dict[str, Any]:
    view = selectors.cost_account_view_for_user(user=user, case_id=case_id)
    unit_costs = selectors.unit_costs_for_user(user=user)
    context: dict[str, Any] = {
        "view": view,
        "line_form": forms.get("line_form") or CostLineForm(unit_costs=unit_costs, prefix="line"),
        "item_form": forms.get("item_form")
        or ScenarioItemForm(unit_costs=unit_costs, initial={"scenario": "best"}, prefix="item"),
    }
    return context


@staff_required
def account(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _programme_user(request)
    return render(request, "costs/account.html", _account_context(user, case_id))


@staff_required
def account_pdf(request: HttpRequest, case_id: int) -> HttpResponse:
    from weasyprint import HTML

    user = _programme_user(request)
    view = selectors.cost_account_view_for_user(
        user=user, case_id=case_id, action=AccessAction.EXPORT, purpose="cost account (PDF)"
    )
    html = render_to_string("costs/account_pdf.html", {"view": view}, request=request)

    def refuse(url: str, *args: Any, **kwargs: Any) -> Any:
        # Nothing typed into an account can make the server fetch a URL.
        raise ValueError(f"not fetched: {url[:40]}")

    pdf = HTML(string=html, url_fetcher=refuse).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="cost-account-{view.case.reference}.pdf"'
    return response


@staff_required
@require_POST
def line_add(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _programme_user(request)
    acct = selectors.cost_account_get_for_user(user=user, case_id=case_id)
    unit_costs = selectors.unit_costs_for_user(user=user)
    form = CostLineForm(request.POST, unit_costs=unit_costs, prefix="line")
    if form.is_valid():
        data = form.cleaned_data
        unit = data.get("unit_cost")
        try:
            services.cost_line_add(
                actor=user,
                account=acct,
                category=data["category"],
                bearer=data["bearer"],
                label=data.get("label") or "",
                amount=data.get("amount") if unit is None else None,
                unit_cost_id=unit.pk if unit is not None else None,
                quantity=data.get("quantity"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Cost added")
            return redirect("costs:account", case_id=case_id)
    return render(request, "costs/account.html", _account_context(user, case_id, line_form=form), status=400)


@staff_required
@require_POST
def line_remove(request: HttpRequest, case_id: int, line_id: int) -> HttpResponse:
    user = _programme_user(request)
    acct = selectors.cost_account_get_for_user(user=user, case_id=case_id)
    line = CostLine.objects.filter(pk=line_id, account=acct).first()
    if line is None:
        raise Http404
    try:
        services.cost_line_remove(actor=user, line=line)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("costs:account", case_id=case_id)


@staff_required
@require_POST
def item_add(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _programme_user(request)
    acct = selectors.cost_account_get_for_user(user=user, case_id=case_id)
    unit_costs = selectors.unit_costs_for_user(user=user)
    form = ScenarioItemForm(request.POST, unit_costs=unit_costs, prefix="item")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.scenario_item_add(
                actor=user,
                account=acct,
                scenario_kind=data["scenario"],
                unit_cost_id=data["unit_cost"].pk,
                quantity=data["quantity"],
                bearer=data.get("bearer") or "",
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Cost avoided added")
            return redirect("costs:account", case_id=case_id)
    return render(request, "costs/account.html", _account_context(user, case_id, item_form=form), status=400)


@staff_required
@require_POST
def item_remove(request: HttpRequest, case_id: int, item_id: int) -> HttpResponse:
    user = _programme_user(request)
    acct = selectors.cost_account_get_for_user(user=user, case_id=case_id)
    item = ScenarioItem.objects.filter(pk=item_id, scenario__account=acct).select_related("scenario__account").first()
    if item is None:
        raise Http404
    try:
        services.scenario_item_remove(actor=user, item=item)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("costs:account", case_id=case_id)


@staff_required
@require_POST
def narrative(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _programme_user(request)
    acct = selectors.cost_account_get_for_user(user=user, case_id=case_id)
    form = NarrativeForm(request.POST)
    if form.is_valid():
        try:
            services.scenario_narrative_set(
                actor=user,
                account=acct,
                scenario_kind=form.cleaned_data["scenario"],
                narrative=form.cleaned_data["narrative"],
            )
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
    return redirect("costs:account", case_id=case_id)


@staff_required
@require_POST
def finish(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _programme_user(request)
    acct = selectors.cost_account_get_for_user(user=user, case_id=case_id)
    try:
        services.cost_account_finish(actor=user, account=acct)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "Account finished: it keeps the rates it used")
    return redirect("costs:account", case_id=case_id)


# --- rates, catalogue, FTE, programme figures ------------------------------------------------------------------------


@staff_required
def rates(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    form = RateCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card = services.rate_card_save(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("costs:rate_card", rate_card_id=card.pk)
    cards = selectors.rate_cards_for_user(user=user)
    return render(request, "costs/rates.html", {"form": form, "cards": cards}, status=_status(form))


@staff_required
def rate_card(request: HttpRequest, rate_card_id: int) -> HttpResponse:
    user = _programme_user(request)
    card = selectors.rate_card_get_for_user(user=user, rate_card_id=rate_card_id)
    form = HourlyRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.hourly_rate_set(
                actor=user,
                rate_card=card,
                role=data.get("role") or TimeEntryForm.role_key(data["label"]),
                label=data["label"],
                hourly_rate=data["hourly_rate"],
                source=data.get("source") or "",
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Rate saved")
            return redirect("costs:rate_card", rate_card_id=card.pk)
    return render(
        request,
        "costs/rate_card.html",
        {
            "form": form,
            "card": card,
            "rates": list(card.hourly_rates.all()),
            "per_referral": selectors.per_referral(card),
        },
        status=_status(form),
    )


@staff_required
def catalogue(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    return render(request, "costs/catalogue.html", {"unit_costs": selectors.unit_costs_for_user(user=user)})


@staff_required
def programme(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    today = dt.date.today()
    fy = services.financial_year_of(today)
    form = PeriodForm(request.GET or None, initial={"date_from": dt.date(fy, 4, 1), "date_to": today})
    figures = None
    if form.is_bound and form.is_valid():
        figures = selectors.programme_figures_for_user(
            user=user, date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"]
        )
    elif not form.is_bound:
        figures = selectors.programme_figures_for_user(user=user, date_from=dt.date(fy, 4, 1), date_to=today)
    assert user.agency is not None
    fte_form = FteForm(partnership_id=user.agency.partnership_id)
    return render(
        request, "costs/programme.html", {"form": form, "figures": figures, "fte_form": fte_form}, status=_status(form)
    )


@staff_required
def fte(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    assert user.agency is not None
    form = FteForm(request.POST or None, partnership_id=user.agency.partnership_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_fte_record(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Full-time equivalents recorded")
            return redirect("costs:programme")
    return render(request, "costs/fte.html", {"fte_form": form}, status=_status(form))
