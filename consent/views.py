"""Pages of consent, under /consent/. Thin: parse, call a read or a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from agencies.staff import staff_member, staff_required
from cases.forms import apply_errors
from consent import selectors, services
from consent.forms import ConsentForm, WithdrawForm
from masip.forms import summary_errors


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@staff_required
def case_consent(request: HttpRequest, case_id: int) -> HttpResponse:
    page = selectors.consent_for_case(user=staff_member(request), case_id=case_id)
    return render(request, "consent/case_consent.html", {"case": page.case, "case_section": "consent", "page": page})


@staff_required
def consent_add(request: HttpRequest, case_id: int) -> HttpResponse:
    user = staff_member(request)
    # A POST logs the answer it records, not a look at the page.
    read = selectors.consent_page_for_change if request.method == "POST" else selectors.consent_for_case
    page = read(user=user, case_id=case_id)
    if not page.can_record:
        raise Http404
    form = ConsentForm(_posted(request), page=page)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record(
                actor=user,
                case_id=page.case.pk,
                person_id=form.cleaned_data["person"],
                purpose=form.cleaned_data["purpose"],
                given=form.cleaned_data["given"],
                given_on=form.cleaned_data["given_on"],
                method=form.cleaned_data["method"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Consent recorded")
            return redirect("consent:case_consent", case_id=page.case.pk)
    if request.method == "POST":
        # Refused: the form is shown again with the victims' names; log that view once.
        selectors.consent_form_shown(user=user, page=page)
    return render(
        request,
        "consent/form.html",
        {
            "case": page.case,
            "case_section": "consent",
            "form": form,
            "title": "Record consent",
            "button": "Record",
            "summary_errors": summary_errors(form),
        },
    )


@staff_required
def consent_withdraw(request: HttpRequest, case_id: int, consent_id: int) -> HttpResponse:
    user = staff_member(request)
    record = selectors.consent_for_change(user=user, consent_id=consent_id)
    if record.case_id != case_id:
        raise Http404
    form = WithdrawForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(
                actor=user,
                consent_id=record.pk,
                withdrawn_on=form.cleaned_data["withdrawn_on"],
                method=form.cleaned_data["method"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Withdrawal recorded")
            return redirect("consent:case_consent", case_id=record.case_id)
    return render(
        request,
        "consent/form.html",
        {
            "case": record.case,
            "case_section": "consent",
            "form": form,
            "title": f"Withdraw consent: {record.get_purpose_display()}",
            "button": "Record the withdrawal",
            "summary_errors": summary_errors(form),
        },
    )
