"""Monitoring pages: the case's monitoring timeline, completing a review, deciding a possible
re-offending, recording re-offending, and the partnership's follow-up settings.

Thin: parse input, call a selector or a service, render. Scope comes from the selectors
(404 outside it); every page that shows a case's monitoring renders what a read function of
``followups.selectors`` returned, and that function wrote the access-log row.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from agencies.selectors import agencies_of_partnership
from agencies.staff import staff_member, staff_required
from cases.selectors import case_get_for_user
from followups import permissions, selectors, services
from followups.forms import (
    CandidateConfirmForm,
    CandidateRejectForm,
    FollowUpSettingsForm,
    ReoffendingRecordForm,
    ReviewForms,
    apply_errors,
)
from followups.models import CandidateStatus, ReviewStatus
from masip.forms import summary_errors


@staff_required
def case_monitoring(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    view = selectors.monitoring_for_user(user=actor, case_id=case_id)
    return render(
        request,
        "followups/monitoring.html",
        {"case": view.case, "view": view, "case_section": "monitoring"},
    )


@staff_required
def review_complete(request: HttpRequest, case_id: int, review_id: int) -> HttpResponse:
    actor = staff_member(request)
    review = selectors.review_get_for_user(user=actor, case_id=case_id, review_id=review_id)
    case = review.case
    if review.status != ReviewStatus.OPEN or not permissions.can_complete_review(actor):
        # Nothing to complete here: the timeline shows the review as it is.
        return redirect("followups:case_monitoring", case_id=case.pk)
    forms = ReviewForms(request.POST if request.method == "POST" else None)
    if request.method == "POST" and forms.is_valid():
        try:
            services.followup_review_complete(actor=actor, review=review, data=forms.review_input())
        except ValidationError as exc:
            forms.apply_errors(exc)
        else:
            messages.success(request, f"{review.checkpoint_months}-month follow-up review completed")
            return redirect("followups:case_monitoring", case_id=case.pk)
    review = selectors.review_page_for_user(user=actor, case_id=case.pk, review_id=review.pk)
    return render(
        request,
        "followups/review_form.html",
        {
            "case": case,
            "review": review,
            "forms": forms,
            "case_section": "monitoring",
            "summary_errors": [] if forms.editing else summary_errors(*forms.all()),
        },
    )


@staff_required
def candidate_decide(request: HttpRequest, case_id: int, candidate_id: int) -> HttpResponse:
    actor = staff_member(request)
    candidate = selectors.candidate_get_for_user(user=actor, case_id=case_id, candidate_id=candidate_id)
    case = candidate.case
    if candidate.status != CandidateStatus.PENDING or not permissions.can_decide_candidate(actor, case):
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    initial = {
        "occurred_on": candidate.occurred_on,
        "kind": candidate.kind,
        "victim": candidate.victim,
        "source": candidate.source,
        "offence": candidate.offence,
    }
    confirm = CandidateConfirmForm(request.POST if action == "confirm" else None, prefix="confirm", initial=initial)
    reject = CandidateRejectForm(request.POST if action == "reject" else None, prefix="reject")
    if action == "confirm" and confirm.is_valid():
        try:
            services.reoffending_candidate_confirm(actor=actor, candidate=candidate, data=confirm.occurrence_input())
        except ValidationError as exc:
            apply_errors(confirm, exc)
        else:
            messages.success(request, "Re-offending confirmed and recorded")
            return redirect("followups:case_monitoring", case_id=case.pk)
    elif action == "reject" and reject.is_valid():
        try:
            services.reoffending_candidate_reject(
                actor=actor, candidate=candidate, reason=reject.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_errors(reject, exc)
        else:
            messages.success(request, "Possible re-offending rejected")
            return redirect("followups:case_monitoring", case_id=case.pk)
    candidate = selectors.candidate_page_for_user(user=actor, case_id=case.pk, candidate_id=candidate.pk)
    return render(
        request,
        "followups/candidate.html",
        {
            "case": case,
            "candidate": candidate,
            "confirm_form": confirm,
            "reject_form": reject,
            "case_section": "monitoring",
            "summary_errors": summary_errors(confirm, reject),
        },
    )


@staff_required
def reoffending_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    case = case_get_for_user(user=actor, case_id=case_id)
    if not permissions.can_record_reoffending(actor):
        raise Http404
    form = ReoffendingRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reoffending_record_add(actor=actor, case=case, data=form.occurrence_input())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Re-offending recorded")
            return redirect("followups:case_monitoring", case_id=case.pk)
    case = selectors.reoffending_form_for_user(user=actor, case_id=case.pk)
    return render(
        request,
        "followups/record_form.html",
        {"case": case, "form": form, "case_section": "monitoring", "summary_errors": summary_errors(form)},
    )


@staff_required
def followup_settings(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    if not permissions.can_manage_settings(actor):
        raise Http404
    assert actor.agency is not None
    partnership_id = actor.agency.partnership_id
    current = services.followup_settings_for(partnership_id=partnership_id)
    agencies = agencies_of_partnership(partnership_id=partnership_id)
    form = FollowUpSettingsForm(
        request.POST or None,
        agencies=agencies,
        initial={
            "checkpoints": ", ".join(str(m) for m in current.checkpoints),
            "review_agency": current.review_agency_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_settings_update(
                actor=actor,
                checkpoints=form.cleaned_data["checkpoints"],
                review_agency=form.cleaned_data["review_agency"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Follow-up settings saved")
            return redirect("followups:followup_settings")
    return render(
        request,
        "followups/settings.html",
        {"form": form, "current": current, "summary_errors": summary_errors(form)},
    )
