"""Risk pages: the case's risk section, the assessment form (GOV.UK question pages, check your
answers, confirmation), amendments, incidents, MARAC referrals, instruments and thresholds.

Thin: parse input, call a selector or a service, render. Every page stands behind the
staff gate (agencies.staff); scope, record classes and the access-log row come from the
read functions of risk.selectors (404 outside the case's scope), the same ones the API calls.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from agencies.staff import staff_member, staff_required
from cases.forms import apply_errors
from cases.selectors import case_get_for_user, case_identity_for_user
from masip.forms import summary_errors
from risk import flow, permissions, scoring, selectors, services
from risk.forms import (
    AboutForm,
    AmendForm,
    IncidentForm,
    MaracReferralForm,
    QuestionPageForm,
    ResultForm,
    RiskSettingsForm,
    SashRecordForm,
)
from risk.models import Assessment


def _assessment_url(assessment: Assessment, name: str = "assessment_detail", **kwargs: Any) -> str:
    return reverse(f"risk:{name}", kwargs={"case_id": assessment.case_id, "assessment_id": assessment.pk, **kwargs})


def _page_url(assessment: Assessment, page: str) -> str:
    if page == flow.CHECK:
        return _assessment_url(assessment, "assessment_check")
    return _assessment_url(assessment, "assessment_page", page=page)


# --- the case's risk section ------------------------------------------------------------------------------


@staff_required
def case_risk(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    risk = selectors.case_risk_for_user(user=actor, case_id=case_id)
    sash = next((s for s in risk.summaries if s.instrument.key == selectors.SASH_KEY), None)
    return render(
        request,
        "risk/case_risk.html",
        {
            "case": risk.case,
            "detail": risk.identity,
            "case_section": "risk",
            "risk": risk,
            "chart_data": risk.chart_data,
            "can_record_sash": sash is not None and sash.can_start,
            "marac_referral_url": reverse("risk:marac_referral_add", args=[risk.case.pk])
            if risk.can_record_marac_referral
            else "",
        },
    )


# --- starting an assessment --------------------------------------------------------------------------------


@staff_required
def assessment_start(request: HttpRequest, case_id: int, instrument_key: str) -> HttpResponse:
    actor = staff_member(request)
    start = selectors.assessment_start_for_user(user=actor, case_id=case_id, instrument_key=instrument_key)
    error = ""
    if request.method == "POST":
        try:
            assessment = services.assessment_start(actor=actor, case=start.case, instrument_key=instrument_key)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect(_page_url(assessment, flow.ABOUT))
    return render(
        request,
        "risk/assessment_start.html",
        {
            "case": start.case,
            "detail": start.identity,
            "case_section": "risk",
            "version": start.version,
            "instrument": start.version.instrument,
            "draft": start.draft,
            "can_continue": start.can_continue,
            "summary_errors": [("", error)] if error else [],
        },
    )


# --- the question pages ------------------------------------------------------------------------------------


def _page_form(draft: selectors.DraftWork, page: flow.Page, data: Any = None, *, require: bool = True) -> forms.Form:
    assessment = draft.assessment
    if page.key == flow.ABOUT:
        return AboutForm(data, initial={"assessed_on": assessment.assessed_on})
    if page.key == flow.RESULT:
        preview = selectors.draft_result(assessment, draft.items, draft.answers, draft.settings)
        return ResultForm(
            data,
            bands=draft.bands,
            scored_band=preview.band,
            allows_judgement=assessment.version.allows_judgement,
            initial={
                "judgement_level": assessment.judgement_level,
                "judgement_reason": assessment.judgement_reason,
                "notes": assessment.notes,
            },
        )
    return QuestionPageForm(
        data,
        items=page.items,
        bands=draft.bands,
        require=require,
        initial={item.key: draft.answers.get(item.key, "") for item in page.items},
    )


def _save_page(draft: selectors.DraftWork, page: flow.Page, form: forms.Form) -> None:
    """Hand the page's answers to the service; its errors land on the form."""
    values = form.cleaned_data
    if page.key == flow.ABOUT:
        services.assessment_save(actor=draft.actor, assessment=draft.assessment, assessed_on=values["assessed_on"])
    elif page.key == flow.RESULT:
        services.assessment_save(
            actor=draft.actor,
            assessment=draft.assessment,
            judgement_level=values.get("judgement_level", "") if "judgement_level" in form.fields else None,
            judgement_reason=values.get("judgement_reason", "") if "judgement_reason" in form.fields else None,
            notes=values.get("notes", ""),
        )
    else:
        assert isinstance(form, QuestionPageForm)
        services.assessment_save(actor=draft.actor, assessment=draft.assessment, answers=form.answers())


def _render_page(request: HttpRequest, draft: selectors.DraftWork, page: flow.Page, form: forms.Form) -> HttpResponse:
    assessment = draft.assessment
    previous = flow.previous_key(draft.pages, page.key)
    index = flow.find(draft.pages, page.key) or 0
    preview = (
        selectors.draft_result(assessment, draft.items, draft.answers, draft.settings)
        if page.key == flow.RESULT
        else None
    )
    return render(
        request,
        "risk/question_page.html",
        {
            "case": assessment.case,
            "assessment": assessment,
            "instrument": assessment.instrument,
            "page": page,
            "form": form,
            "preview": preview,
            "summary_errors": summary_errors(form),
            "back_url": _page_url(assessment, previous)
            if previous
            else reverse("risk:case_risk", args=[assessment.case_id]),
            "return_to": request.GET.get("return") == "check" or request.POST.get("return") == "check",
            "step": index + 1,
            "steps": len(draft.pages),
            "autosave_url": _assessment_url(assessment, "assessment_autosave", page=page.key),
        },
    )


@staff_required
def assessment_page(request: HttpRequest, case_id: int, assessment_id: int, page: str) -> HttpResponse:
    actor = staff_member(request)
    if request.method != "POST":
        draft = selectors.draft_for_user(user=actor, case_id=case_id, assessment_id=assessment_id)
    else:
        draft = selectors.draft_for_change(user=actor, case_id=case_id, assessment_id=assessment_id)
    if not draft.assessment.is_draft:
        return redirect(_assessment_url(draft.assessment))
    current = draft.page(page)
    if request.method != "POST":
        return _render_page(request, draft, current, _page_form(draft, current))
    later = request.POST.get("action") == "later"
    form = _page_form(draft, current, request.POST, require=not later)
    if form.is_valid():
        try:
            _save_page(draft, current, form)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if later:
                messages.success(request, f"Draft {draft.assessment.instrument.short_name} saved")
                return redirect("risk:case_risk", case_id=case_id)
            draft.refresh()
            wants_check = request.POST.get("return") == "check"
            missing = _missing(draft)
            if wants_check and not missing:
                return redirect(_page_url(draft.assessment, flow.CHECK))
            # A change that opened new questions (the stalking item now yes) leads on to them.
            return redirect(_page_url(draft.assessment, flow.next_key(draft.pages, current.key)))
    return _render_page(request, draft, current, form)


def _missing(draft: selectors.DraftWork) -> list[str]:
    return scoring.missing_required(selectors.item_rules(draft.items), draft.answers)


@staff_required
@require_POST
def assessment_autosave(request: HttpRequest, case_id: int, assessment_id: int, page: str) -> HttpResponse:
    """htmx: save what the page holds as it changes; answers a one-line status."""
    draft = selectors.draft_for_change(user=staff_member(request), case_id=case_id, assessment_id=assessment_id)
    if not draft.assessment.is_draft:
        raise Http404
    current = draft.page(page)
    form = _page_form(draft, current, request.POST, require=False)
    saved = False
    if form.is_valid():
        try:
            _save_page(draft, current, form)
            saved = True
        except ValidationError:
            saved = False
    return render(
        request,
        "risk/_autosave_status.html",
        {"saved": saved, "at": timezone.localtime()},
    )


# --- check your answers, complete, confirmation ---------------------------------------------------------------


@staff_required
def assessment_check(request: HttpRequest, case_id: int, assessment_id: int) -> HttpResponse:
    draft = selectors.draft_for_change(user=staff_member(request), case_id=case_id, assessment_id=assessment_id)
    assessment = draft.assessment
    if not assessment.is_draft:
        return redirect(_assessment_url(assessment))
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            services.assessment_complete(actor=draft.actor, assessment=assessment)
        except ValidationError as exc:
            for key, messages_ in exc.message_dict.items():
                target = "about" if key == "assessed_on" else flow.RESULT if key.startswith("judgement") else None
                target = target or flow.page_of_item(draft.pages, key)
                href = f"{_page_url(assessment, target)}?return=check" if target else ""
                errors += [(href, m) for m in messages_]
            draft.refresh()
        else:
            return redirect(_assessment_url(assessment, "assessment_confirmation"))
    view = selectors.assessment_view_for_user(user=draft.actor, assessment=assessment, settings=draft.settings)
    return render(
        request,
        "risk/check_answers.html",
        {
            "case": assessment.case,
            "assessment": assessment,
            "view": view,
            "sections": _check_sections(draft, view),
            "summary_errors": errors,
            "back_url": _page_url(assessment, flow.RESULT),
        },
    )


def _day(value: Any) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


def _check_sections(draft: selectors.DraftWork, view: selectors.AssessmentView) -> list[dict[str, Any]]:
    """Check your answers: one summary list per page, each with its change link."""
    assessment = draft.assessment
    shown = {a.key: a for group in view.groups for a in group.answers}
    missing = {item.key for item in view.missing}
    result = view.result
    sections = []
    for page in draft.pages:
        rows: list[dict[str, Any]]
        if page.key == flow.ABOUT:
            rows = [{"label": "Date of the assessment", "value": _day(assessment.assessed_on), "missing": True}]
        elif page.key == flow.RESULT:
            rows = []
            if result.score is not None:
                rows.append({"label": "Score", "value": f"{result.score} yes answers", "computed": True})
                rows += [
                    {"label": title, "value": f"{yes} yes of {asked}", "computed": True}
                    for title, yes, asked in result.subscores
                ]
            if result.band_label:
                rows.append(
                    {
                        "label": "Level from the score" if result.score is not None else "Level",
                        "value": result.band_label,
                        "computed": True,
                    }
                )
            if assessment.version.allows_judgement:
                raised = f"Raised to {result.judgement_label.lower()}" if result.judgement_level else "Not raised"
                rows.append({"label": "Professional judgement", "value": raised})
                if result.judgement_level:
                    rows.append({"label": "Reason for raising the level", "value": assessment.judgement_reason})
            rows.append({"label": "Notes", "value": assessment.notes})
        else:
            rows = [
                {
                    "label": item.question,
                    "value": shown[item.key].display if item.key in shown else "",
                    "missing": item.key in missing,
                }
                for item in page.items
                if item.key in shown
            ]
        sections.append(
            {
                "key": page.key,
                "title": page.title,
                "rows": rows,
                "change_url": f"{_page_url(assessment, page.key)}?return=check",
            }
        )
    return sections


@staff_required
def assessment_confirmation(request: HttpRequest, case_id: int, assessment_id: int) -> HttpResponse:
    actor = staff_member(request)
    assessment = selectors.assessment_for_change(user=actor, case_id=case_id, assessment_id=assessment_id)
    if assessment.is_draft:
        return redirect(_page_url(assessment, flow.CHECK))
    view = selectors.assessment_view_for_user(user=actor, assessment=assessment)
    return render(
        request,
        "risk/confirmation.html",
        {
            "case": assessment.case,
            "assessment": assessment,
            "view": view,
            "can_record_marac_referral": permissions.can_record_marac_referral(actor),
        },
    )


@staff_required
def assessment_detail(request: HttpRequest, case_id: int, assessment_id: int) -> HttpResponse:
    actor = staff_member(request)
    assessment = selectors.assessment_for_change(user=actor, case_id=case_id, assessment_id=assessment_id)
    view = selectors.assessment_view_for_user(user=actor, assessment=assessment)
    return render(
        request,
        "risk/assessment_detail.html",
        {
            "case": assessment.case,
            "detail": case_identity_for_user(user=actor, case=assessment.case),
            "case_section": "risk",
            "assessment": assessment,
            "view": view,
            "withheld_text": selectors.WITHHELD,
        },
    )


@staff_required
def assessment_amend(request: HttpRequest, case_id: int, assessment_id: int) -> HttpResponse:
    actor = staff_member(request)
    assessment = selectors.assessment_for_change(user=actor, case_id=case_id, assessment_id=assessment_id)
    if not permissions.can_amend(actor, assessment) or selectors.has_amendment(assessment):
        raise Http404
    form = AmendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            amendment = services.assessment_amend(
                actor=actor, assessment=assessment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Amendment started: change what needs correcting, then complete it")
            return redirect(_page_url(amendment, flow.CHECK))
    return render(
        request,
        "risk/case_form.html",
        {
            "case": assessment.case,
            "form": form,
            "title": f"Amend the {assessment.instrument.short_name}",
            "caption": f"{assessment.instrument.short_name} of {assessment.assessed_on:%-d %B %Y}",
            "button": "Start the amendment",
            "summary_errors": summary_errors(form),
            "back_url": _assessment_url(assessment),
        },
    )


@staff_required
@require_POST
def assessment_discard(request: HttpRequest, case_id: int, assessment_id: int) -> HttpResponse:
    actor = staff_member(request)
    assessment = selectors.assessment_for_change(user=actor, case_id=case_id, assessment_id=assessment_id)
    if not permissions.can_edit_draft(actor, assessment):
        raise Http404
    services.assessment_discard(actor=actor, assessment=assessment)
    messages.success(request, f"Draft {assessment.instrument.short_name} deleted")
    return redirect("risk:case_risk", case_id=case_id)


# --- SASH level, incidents, MARAC referrals --------------------------------------------------------------------


def _case_form(
    request: HttpRequest, case: Any, form: forms.Form, *, title: str, button: str, caption: str = ""
) -> HttpResponse:
    return render(
        request,
        "risk/case_form.html",
        {
            "case": case,
            "form": form,
            "title": title,
            "caption": caption,
            "button": button,
            "summary_errors": summary_errors(form),
            "back_url": reverse("risk:case_risk", args=[case.pk]),
        },
    )


@staff_required
def sash_record(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    case = case_get_for_user(user=actor, case_id=case_id)
    if not permissions.can_assess(actor, selectors.SASH_KEY):
        raise Http404
    form = SashRecordForm(request.POST or None, initial={"assessed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.sash_record(actor=actor, case=case, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "SASH level of concern recorded")
            return redirect("risk:case_risk", case_id=case.pk)
    return _case_form(request, case, form, title="Record the SASH level of concern", button="Record level")


@staff_required
def incident_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    case = case_get_for_user(user=actor, case_id=case_id)
    if not permissions.can_record_incident(actor):
        raise Http404
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_record(actor=actor, case=case, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Incident recorded")
            return redirect("risk:case_risk", case_id=case.pk)
    return _case_form(request, case, form, title="Record an incident", button="Record incident")


@staff_required
def marac_referral_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    case = case_get_for_user(user=actor, case_id=case_id)
    if not permissions.can_record_marac_referral(actor):
        raise Http404
    dash = selectors.current_assessments_for_cases(
        partnership_id=case.partnership_id, case_ids=[case.pk], instrument_key=selectors.DASH_KEY
    ).get(case.pk)
    form = MaracReferralForm(request.POST or None, initial={"referred_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.marac_referral_record(actor=actor, case=case, assessment=dash, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "MARAC referral recorded")
            return redirect("risk:case_risk", case_id=case.pk)
    caption = f"With the DASH of {dash.assessed_on:%-d %B %Y}" if dash and dash.assessed_on else ""
    return _case_form(request, case, form, title="Record a MARAC referral", button="Record referral", caption=caption)


# --- instruments and thresholds ---------------------------------------------------------------------------------


@staff_required
def instruments(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    return render(request, "risk/instruments.html", {"rows": selectors.instruments_for_user(user=actor)})


@staff_required
def instrument_version(request: HttpRequest, version_id: int) -> HttpResponse:
    actor = staff_member(request)
    detail = selectors.instrument_version_for_user(user=actor, version_id=version_id)
    return render(
        request,
        "risk/instrument_version.html",
        {"detail": detail, "version": detail.version, "bands": scoring.bands_from_data(detail.version.bands)},
    )


@staff_required
def risk_settings(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    if not permissions.can_change_settings(actor):
        raise Http404
    assert actor.agency is not None
    current = selectors.risk_settings_for(partnership_id=actor.agency.partnership_id)
    initial = {name: getattr(current, name) for name in RiskSettingsForm.base_fields}
    form = RiskSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_settings_update(actor=actor, values=form.values())
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, "Risk thresholds saved. Completed assessments keep the thresholds they used.")
            return redirect("risk:settings")
    return render(
        request,
        "risk/settings.html",
        {"form": form, "summary_errors": summary_errors(form), "settings": current},
    )
