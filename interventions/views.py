"""Interventions pages: the case section, referral, progress, plan, sessions, ending, inbox.

Thin: parse input, call a selector or a service, render. Scope comes from the
selectors (404 outside it); an action a user's role or agency may not take is a 404
too, so the page does not confirm what exists. Clinical notes reach a template only
through selectors that leave them out for agencies the agreement withholds them from.
Every page that shows personal data renders what one read function of
``interventions.selectors`` returned, and that function wrote the access-log row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from agencies.models import User
from agencies.staff import staff_member, staff_required
from cases.models import Case
from cases.selectors import case_identity_for_user
from interventions import forms as iforms
from interventions import permissions, selectors, services
from interventions.models import (
    Ending,
    Intervention,
    InterventionStatus,
    PlanStatus,
)
from masip.concurrency import EditConflict
from masip.forms import conflict_page_errors, summary_errors


def _case_context(actor: User, case: Case, **extra: Any) -> dict[str, Any]:
    """The frame of a page about one case: identity bar and sub-navigation (cases/case_base.html).

    The page's own read function has scoped the case and logged the look."""
    return {
        "case": case,
        "detail": case_identity_for_user(user=actor, case=case),
        "case_section": "interventions",
        **extra,
    }


def _form_page(
    request: HttpRequest,
    actor: User,
    case: Case,
    form: forms.Form,
    *,
    title: str,
    button: str,
    back: str,
    caption: str = "",
    template: str = "interventions/form_page.html",
    extra: Mapping[str, Any] | None = None,
) -> HttpResponse:
    return render(
        request,
        template,
        _case_context(
            actor,
            case,
            form=form,
            title=title,
            button=button,
            back=back,
            caption=caption,
            summary_errors=summary_errors(form),
            **(extra or {}),
        ),
    )


def _intervention_url(intervention: Intervention) -> str:
    return reverse("interventions:intervention_detail", args=[intervention.case_id, intervention.pk])


def _section_url(case: Case) -> str:
    return reverse("interventions:case_interventions", args=[case.pk])


# --- the user's own list -------------------------------------------------------------------------


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    if not (permissions.is_health_clinician(actor) or permissions.can_refer(actor)):
        raise Http404
    box = selectors.interventions_inbox_for_user(user=actor)
    return render(
        request,
        "interventions/inbox.html",
        {
            "inbox": box,
            "is_clinician": permissions.is_health_clinician(actor),
            "can_refer": permissions.can_refer(actor),
        },
    )


# --- one case's interventions -------------------------------------------------------------------


@staff_required
def case_interventions(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    data = selectors.case_interventions_for_user(user=actor, case_id=case_id)
    return render(
        request,
        "interventions/case_interventions.html",
        _case_context(actor, data.case, data=data, withheld_text=selectors.WITHHELD),
    )


@staff_required
def referral_new(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    page = selectors.referral_form_for_user(user=actor, case_id=case_id)
    case = page.case
    form = iforms.ReferralForm(
        request.POST or None, health_agencies=page.health_agencies, practitioners=page.practitioners
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_submit(actor=actor, case=case, data=form.referral_input())
        except ValidationError as exc:
            iforms.apply_service_errors(form, exc)
        else:
            messages.success(request, f"Referral sent to {referral.health_agency.name}")
            return redirect("interventions:referral_detail", case_id=case.pk, referral_id=referral.pk)
    return _form_page(
        request,
        actor,
        case,
        form,
        title="Refer for direct intervention",
        button="Send referral",
        back=_section_url(case),
        caption="Interventions",
        extra={"no_health": not page.health_agencies},
        template="interventions/referral_form.html",
    )


@staff_required
def referral_detail(request: HttpRequest, case_id: int, referral_id: int) -> HttpResponse:
    actor = staff_member(request)
    referral = selectors.referral_get_for_user(user=actor, case_id=case_id, referral_id=referral_id)
    case = referral.case
    action = request.POST.get("action") if request.method == "POST" else None
    decline_form = iforms.DeclineForm(request.POST if action == "decline" else None, prefix="decline")
    withdraw_form = iforms.WithdrawForm(request.POST if action == "withdraw" else None, prefix="withdraw")
    if action == "accept":
        try:
            intervention = services.referral_accept(actor=actor, referral=referral)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "Referral accepted: write the therapy plan next")
            return redirect(_intervention_url(intervention))
    elif action == "decline" and decline_form.is_valid():
        try:
            services.referral_decline(actor=actor, referral=referral, reason=decline_form.cleaned_data["reason"])
        except ValidationError as exc:
            iforms.apply_service_errors(decline_form, exc)
        else:
            messages.success(request, "Referral declined. The referrer can see your reason.")
            return redirect("interventions:case_interventions", case_id=case.pk)
    elif action == "withdraw" and withdraw_form.is_valid():
        try:
            services.referral_withdraw(actor=actor, referral=referral, reason=withdraw_form.cleaned_data["reason"])
        except ValidationError as exc:
            iforms.apply_service_errors(withdraw_form, exc)
        else:
            messages.success(request, "Referral withdrawn")
            return redirect("interventions:case_interventions", case_id=case.pk)
    elif action is not None and action not in ("decline", "withdraw"):
        raise Http404
    view = selectors.referral_detail_for_user(user=actor, case_id=case.pk, referral_id=referral.pk)
    return render(
        request,
        "interventions/referral_detail.html",
        _case_context(
            actor,
            case,
            view=view,
            referral=view.referral,
            decline_form=decline_form,
            withdraw_form=withdraw_form,
            summary_errors=summary_errors(decline_form, withdraw_form),
            withheld_text=selectors.WITHHELD,
        ),
    )


@staff_required
def intervention_record(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    page = selectors.intervention_record_form_for_user(user=actor, case_id=case_id)
    case = page.case
    form = iforms.RecordForm(request.POST or None, types=page.types)
    if request.method == "POST" and form.is_valid():
        try:
            intervention = services.intervention_record(
                actor=actor,
                case=case,
                intervention_type=form.cleaned_data["intervention_type"],
                started_on=form.cleaned_data.get("started_on"),
                details=form.cleaned_data.get("details", ""),
            )
        except ValidationError as exc:
            iforms.apply_service_errors(form, exc, {"type": "intervention_type"})
        else:
            messages.success(request, f"{intervention.get_type_display()} recorded")
            return redirect("interventions:case_interventions", case_id=case.pk)
    return _form_page(
        request,
        actor,
        case,
        form,
        title="Record an intervention",
        button="Record intervention",
        back=_section_url(case),
        caption="Interventions",
    )


# --- one intervention ----------------------------------------------------------------------------------


def _get(actor: User, case_id: int, intervention_id: int) -> Intervention:
    return selectors.intervention_get_for_user(user=actor, case_id=case_id, intervention_id=intervention_id)


def _require_deliverer(actor: User, intervention: Intervention) -> None:
    if not permissions.can_deliver(actor, intervention) or not intervention.is_open:
        raise Http404


def _render_detail(
    request: HttpRequest, actor: User, case_id: int, intervention_id: int, *, note_form: forms.Form | None = None
) -> HttpResponse:
    found = selectors.intervention_detail_for_user(user=actor, case_id=case_id, intervention_id=intervention_id)
    intervention = found.intervention
    detail = found.progress
    if detail is None:
        return render(
            request,
            "interventions/intervention_detail.html",
            _case_context(
                actor, intervention.case, row=found.row, intervention=intervention, withheld_text=selectors.WITHHELD
            ),
        )
    if note_form is None and detail.can_edit and detail.may_see_clinical:
        note_form = iforms.ClinicalNoteForm(prefix="note")
    return render(
        request,
        "interventions/progress.html",
        _case_context(
            actor,
            intervention.case,
            d=detail,
            intervention=intervention,
            note_form=note_form,
            summary_errors=summary_errors(note_form),
            withheld_text=selectors.WITHHELD,
        ),
    )


@staff_required
def intervention_detail(request: HttpRequest, case_id: int, intervention_id: int) -> HttpResponse:
    actor = staff_member(request)
    return _render_detail(request, actor, case_id, intervention_id)


@staff_required
@require_POST
def clinical_note_add(request: HttpRequest, case_id: int, intervention_id: int) -> HttpResponse:
    actor = staff_member(request)
    intervention = _get(actor, case_id, intervention_id)
    _require_deliverer(actor, intervention)
    if not permissions.may_write_clinical(actor):
        raise Http404
    form = iforms.ClinicalNoteForm(request.POST, prefix="note")
    if form.is_valid():
        try:
            services.clinical_note_add(actor=actor, intervention=intervention, text=form.cleaned_data["text"])
        except ValidationError as exc:
            iforms.apply_service_errors(form, exc)
        else:
            messages.success(request, "Clinical note added")
            return HttpResponseRedirect(_intervention_url(intervention) + "#clinical-notes")
    return _render_detail(request, actor, case_id, intervention_id, note_form=form)


@staff_required
def intervention_start(request: HttpRequest, case_id: int, intervention_id: int) -> HttpResponse:
    actor = staff_member(request)
    intervention = _get(actor, case_id, intervention_id)
    _require_deliverer(actor, intervention)
    if intervention.is_direct or intervention.status != InterventionStatus.PLANNED:
        raise Http404
    form = iforms.StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.intervention_start(
                actor=actor, intervention=intervention, started_on=form.cleaned_data.get("started_on")
            )
        except ValidationError as exc:
            iforms.apply_service_errors(form, exc)
        else:
            messages.success(request, f"{intervention.get_type_display()} started")
            return redirect(_intervention_url(intervention))
    intervention = selectors.intervention_page_for_user(
        user=actor, case_id=case_id, intervention_id=intervention_id, purpose="record the start"
    )
    return _form_page(
        request,
        actor,
        intervention.case,
        form,
        title="Record the start",
        button="Save",
        back=_intervention_url(intervention),
        caption=intervention.get_type_display(),
    )


@staff_required
def intervention_end(request: HttpRequest, case_id: int, intervention_id: int) -> HttpResponse:
    actor = staff_member(request)
    found = selectors.intervention_detail_for_user(
        user=actor, case_id=case_id, intervention_id=intervention_id, clinical_notes=False
    )
    intervention = found.intervention
    _require_deliverer(actor, intervention)
    outcomes: list[str] = []
    direct_detail = found.progress
    if direct_detail is not None:
        allowed: list[str] = [e.value for e in direct_detail.allowed_endings]
        outcomes = list(direct_detail.plan.desired_outcomes) if direct_detail.plan else []
        with_report = direct_detail.delivered > 0
    else:
        allowed = [Ending.COMPLETED, Ending.DROPPED_OUT, Ending.CANCELLED]
        with_report = False
    form = iforms.EndForm(
        request.POST or None, allowed=allowed, outcomes=outcomes, with_report=with_report, direct=intervention.is_direct
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.intervention_end(actor=actor, intervention=intervention, data=form.ending_input())
        except ValidationError as exc:
            iforms.apply_service_errors(form, exc)
        else:
            messages.success(request, f"{intervention.get_type_display()} ended")
            return redirect(_intervention_url(intervention))
    return render(
        request,
        "interventions/end_form.html",
        _case_context(
            actor,
            intervention.case,
            form=form,
            intervention=intervention,
            d=direct_detail,
            back=_intervention_url(intervention),
            summary_errors=summary_errors(form),
        ),
    )


# --- therapy plan ------------------------------------------------------------------------------------------


def _plan_initial(intervention: Intervention, detail: selectors.DirectInterventionDetail) -> dict[str, Any]:
    source = detail.draft or detail.plan
    version = services.therapy_plan_version(source)
    if source is not None:
        return {
            "version": version,
            "modalities": list(source.modalities),
            "other_modality": source.other_modality,
            "planned_sessions": source.planned_sessions,
            "frequency": source.frequency,
            "desired_outcomes": "\n".join(source.desired_outcomes),
            "criminogenic_needs": list(source.criminogenic_needs),
            "review_on": source.review_on if source.status == PlanStatus.DRAFT else None,
            "change_reason": source.change_reason if source.status == PlanStatus.DRAFT else "",
        }
    outcomes = detail.referral.referral.desired_outcomes if detail.referral else []
    return {"version": version, "desired_outcomes": "\n".join(outcomes)}


@staff_required
def plan_edit(request: HttpRequest, case_id: int, intervention_id: int) -> HttpResponse:
    """Write the therapy plan, or revise the approved one (a new version, with a reason)."""
    actor = staff_member(request)
    found = selectors.intervention_detail_for_user(
        user=actor, case_id=case_id, intervention_id=intervention_id, clinical_notes=False
    )
    intervention = found.intervention
    _require_deliverer(actor, intervention)
    detail = found.progress
    if detail is None:
        raise Http404
    revision = detail.plan is not None
    form = iforms.PlanForm(request.POST or None, initial=_plan_initial(intervention, detail), revision=revision)
    conflict_errors: list[tuple[str, str]] | None = None
    if request.method == "POST" and form.is_valid():
        approve = request.POST.get("action") == "approve"
        try:
            plan = services.plan_save(
                actor=actor,
                intervention=intervention,
                data=form.plan_input(),
                approve=approve,
                expected_version=form.expected_version(),
            )
        except EditConflict:
            # Someone saved or approved a plan meanwhile: show theirs rather than save over it.
            found = selectors.intervention_detail_for_user(
                user=actor, case_id=case_id, intervention_id=intervention_id, clinical_notes=False
            )
            assert found.progress is not None
            detail = found.progress
            revision = detail.plan is not None
            form = iforms.PlanForm(initial=_plan_initial(intervention, detail), revision=revision)
            conflict_errors = conflict_page_errors()
        except ValidationError as exc:
            iforms.apply_service_errors(form, exc)
        else:
            if approve:
                messages.success(
                    request, f"Plan approved: {plan.planned_sessions} sessions, {plan.get_frequency_display().lower()}"
                )
            else:
                messages.success(request, "Draft plan saved. It takes effect when approved.")
            return redirect(_intervention_url(intervention))
    return render(
        request,
        "interventions/plan_form.html",
        _case_context(
            actor,
            intervention.case,
            form=form,
            d=detail,
            intervention=intervention,
            revision=revision,
            back=_intervention_url(intervention),
            summary_errors=conflict_errors if conflict_errors is not None else summary_errors(form),
        ),
    )


@staff_required
@require_POST
def plan_approve(request: HttpRequest, case_id: int, intervention_id: int, plan_id: int) -> HttpResponse:
    actor = staff_member(request)
    intervention = _get(actor, case_id, intervention_id)
    _require_deliverer(actor, intervention)
    plan = intervention.plans.filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    plan.intervention = intervention
    try:
        approved = services.plan_approve(actor=actor, plan=plan)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, f"The draft cannot be approved: {message}")
    else:
        messages.success(request, f"Plan approved: {approved.planned_sessions} sessions")
    return redirect(_intervention_url(intervention))


@staff_required
def plan_review(request: HttpRequest, case_id: int, intervention_id: int) -> HttpResponse:
    actor = staff_member(request)
    intervention = _get(actor, case_id, intervention_id)
    _require_deliverer(actor, intervention)
    if not intervention.is_direct:
        raise Http404
    form = iforms.PlanReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_review_record(
                actor=actor,
                intervention=intervention,
                summary=form.cleaned_data["summary"],
                next_review_on=form.cleaned_data.get("next_review_on"),
            )
        except ValidationError as exc:
            iforms.apply_service_errors(form, exc)
        else:
            messages.success(request, "Plan review recorded")
            return redirect(_intervention_url(intervention))
    intervention = selectors.intervention_page_for_user(
        user=actor, case_id=case_id, intervention_id=intervention_id, purpose="plan review"
    )
    return _form_page(
        request,
        actor,
        intervention.case,
        form,
        title="Record a plan review",
        button="Save review",
        back=_intervention_url(intervention),
        caption="Direct psychological intervention",
    )


# --- sessions and appointments -----------------------------------------------------------------------------


@staff_required
def session_detail(request: HttpRequest, case_id: int, intervention_id: int, number: int) -> HttpResponse:
    actor = staff_member(request)
    page = selectors.session_detail_for_user(
        user=actor, case_id=case_id, intervention_id=intervention_id, number=number
    )
    intervention = page.row.session.intervention
    return render(
        request,
        "interventions/session_detail.html",
        _case_context(
            actor,
            intervention.case,
            row=page.row,
            intervention=intervention,
            can_edit=permissions.can_deliver(actor, intervention) and intervention.is_open,
            may_see_clinical=page.may_see_clinical,
            back=_intervention_url(intervention),
        ),
    )


@staff_required
def appointment_book(request: HttpRequest, case_id: int, intervention_id: int, number: int) -> HttpResponse:
    actor = staff_member(request)
    intervention = _get(actor, case_id, intervention_id)
    _require_deliverer(actor, intervention)
    session = selectors.session_get_for_user(user=actor, intervention=intervention, number=number)
    form = iforms.AppointmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_book(actor=actor, session=session, data=form.appointment_input())
        except ValidationError as exc:
            iforms.apply_service_errors(form, exc, iforms.RENAME_APPOINTMENT)
        else:
            messages.success(request, f"Session {number} booked")
            return redirect(_intervention_url(intervention))
    intervention = selectors.intervention_page_for_user(
        user=actor, case_id=case_id, intervention_id=intervention_id, purpose=f"book session {number}"
    )
    return _form_page(
        request,
        actor,
        intervention.case,
        form,
        title=f"Book session {number}",
        button="Book session",
        back=_intervention_url(intervention),
        caption="Direct psychological intervention",
    )


@staff_required
def appointment_reschedule(
    request: HttpRequest, case_id: int, intervention_id: int, appointment_id: int
) -> HttpResponse:
    actor = staff_member(request)
    intervention = _get(actor, case_id, intervention_id)
    _require_deliverer(actor, intervention)
    appointment = selectors.appointment_get_for_user(
        user=actor, intervention=intervention, appointment_id=appointment_id
    )
    if not appointment.is_open:
        raise Http404
    form = iforms.AppointmentForm(
        request.POST or None,
        rescheduling=True,
        initial={"duration_minutes": appointment.duration_minutes, "method": appointment.method},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_reschedule(
                actor=actor, appointment=appointment, data=form.appointment_input(), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            iforms.apply_service_errors(form, exc, iforms.RENAME_APPOINTMENT)
        else:
            messages.success(request, f"Session {appointment.session.number} rescheduled")
            return redirect(_intervention_url(intervention))
    intervention = selectors.intervention_page_for_user(
        user=actor,
        case_id=case_id,
        intervention_id=intervention_id,
        purpose=f"reschedule session {appointment.session.number}",
    )
    return _form_page(
        request,
        actor,
        intervention.case,
        form,
        title=f"Reschedule session {appointment.session.number}",
        button="Reschedule",
        back=_intervention_url(intervention),
        caption="Direct psychological intervention",
        extra={"appointment": appointment},
    )


def _course_signature(slots: list[services.CourseSlot]) -> str:
    """What the user saw in the preview, so that booking books exactly that."""
    return "|".join(f"{s.number}@{s.starts_at.isoformat()}/{s.duration_minutes}/{s.method}" for s in slots)


@staff_required
def course_book(request: HttpRequest, case_id: int, intervention_id: int) -> HttpResponse:
    """Book a course of sessions: fill in, preview the dates, then book them all at once."""
    actor = staff_member(request)
    intervention = _get(actor, case_id, intervention_id)
    _require_deliverer(actor, intervention)
    form = iforms.CourseForm(request.POST or None)
    slots: list[services.CourseSlot] = []
    changed = False
    if request.method == "POST" and form.is_valid():
        data = form.course_input()
        try:
            if request.POST.get("confirm") == "book":
                seen = request.POST.get("previewed", "")
                slots = services.course_preview(actor=actor, intervention=intervention, data=data)
                if _course_signature(slots) == seen:
                    booked = services.course_book(actor=actor, intervention=intervention, data=data)
                    messages.success(
                        request,
                        f"{len(booked)} session{'s' if len(booked) != 1 else ''} booked, "
                        f"{booked[0].session.number} to {booked[-1].session.number}"
                        if len(booked) > 1
                        else f"Session {booked[0].session.number} booked",
                    )
                    return redirect(_intervention_url(intervention))
                # The details or the diary changed since the preview: show the course again.
                changed = True
            else:
                slots = services.course_preview(actor=actor, intervention=intervention, data=data)
        except ValidationError as exc:
            slots = []
            iforms.apply_service_errors(form, exc)
    intervention = selectors.intervention_page_for_user(
        user=actor, case_id=case_id, intervention_id=intervention_id, purpose="book a course of sessions"
    )
    return _form_page(
        request,
        actor,
        intervention.case,
        form,
        title="Book a course of sessions",
        button="Preview the sessions",
        back=_intervention_url(intervention),
        caption="Direct psychological intervention",
        template="interventions/course_form.html",
        extra={"slots": slots, "previewed": _course_signature(slots), "changed": changed},
    )


@staff_required
def appointment_cancel(request: HttpRequest, case_id: int, intervention_id: int, appointment_id: int) -> HttpResponse:
    actor = staff_member(request)
    intervention = _get(actor, case_id, intervention_id)
    _require_deliverer(actor, intervention)
    appointment = selectors.appointment_get_for_user(
        user=actor, intervention=intervention, appointment_id=appointment_id
    )
    if not appointment.is_open:
        raise Http404
    form = iforms.AppointmentCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(actor=actor, appointment=appointment, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            iforms.apply_service_errors(form, exc)
        else:
            messages.success(request, f"Session {appointment.session.number}: appointment cancelled")
            return redirect(_intervention_url(intervention))
    intervention = selectors.intervention_page_for_user(
        user=actor,
        case_id=case_id,
        intervention_id=intervention_id,
        purpose=f"cancel session {appointment.session.number}",
    )
    return _form_page(
        request,
        actor,
        intervention.case,
        form,
        title=f"Cancel the appointment for session {appointment.session.number}",
        button="Cancel the appointment",
        back=_intervention_url(intervention),
        caption="Direct psychological intervention",
        extra={"appointment": appointment, "cancelling": True},
    )


@staff_required
def appointment_feedback(request: HttpRequest, case_id: int, intervention_id: int, appointment_id: int) -> HttpResponse:
    actor = staff_member(request)
    intervention = _get(actor, case_id, intervention_id)
    _require_deliverer(actor, intervention)
    appointment = selectors.appointment_get_for_user(
        user=actor, intervention=intervention, appointment_id=appointment_id
    )
    if not appointment.is_open:
        # Saved already (or rescheduled or cancelled): the inbox link and a browser's back
        # button still lead somewhere, to the session as it was recorded.
        if request.method == "POST":
            messages.info(request, f"Feedback for session {appointment.session.number} was already recorded.")
        return redirect(
            "interventions:session_detail",
            case_id=intervention.case_id,
            intervention_id=intervention.pk,
            number=appointment.session.number,
        )
    form = iforms.FeedbackForm(request.POST or None, may_record_clinical=permissions.may_write_clinical(actor))
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_feedback_record(actor=actor, appointment=appointment, data=form.feedback_input())
        except ValidationError as exc:
            iforms.apply_service_errors(form, exc)
        else:
            note = (
                " The probation practitioner has been told about the concern."
                if form.feedback_input().concerns_raised
                else ""
            )
            messages.success(request, f"Feedback for session {appointment.session.number} recorded.{note}")
            return redirect(_intervention_url(intervention))
    intervention = selectors.intervention_page_for_user(
        user=actor,
        case_id=case_id,
        intervention_id=intervention_id,
        purpose=f"session {appointment.session.number}",
    )
    return render(
        request,
        "interventions/feedback_form.html",
        _case_context(
            actor,
            intervention.case,
            form=form,
            intervention=intervention,
            appointment=appointment,
            back=_intervention_url(intervention),
            summary_errors=summary_errors(form),
        ),
    )


# --- concerns ------------------------------------------------------------------------------------------------


@staff_required
@require_POST
def concern_acknowledge(request: HttpRequest, concern_id: int) -> HttpResponse:
    """Acknowledge a concern: with htmx the concern's panel is swapped in place; without, back."""
    actor = staff_member(request)
    concern = selectors.concern_get_for_user(user=actor, concern_id=concern_id)
    error = ""
    try:
        concern = services.concern_acknowledge(
            actor=actor, concern=concern, action_taken=request.POST.get("action_taken", "")
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if getattr(request, "htmx", False):
        concern = selectors.concern_get_for_user(user=actor, concern_id=concern_id)
        return render(
            request, "interventions/_concern.html", {"concern": concern, "acknowledged_now": not error, "error": error}
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Concern acknowledged")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse(
            "interventions:intervention_detail", args=[concern.intervention.case_id, concern.intervention_id]
        )
    return HttpResponseRedirect(target)
