"""Partnership admin pages: staff, the information-sharing agreement and the access log."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from agencies import selectors, services
from agencies.forms import AccessLogSearchForm, AgreementForm, StaffEditForm, StaffInviteForm
from agencies.models import InformationSharingAgreement, RecordClass, User
from agencies.permissions import is_partnership_admin
from agencies.staff import staff_member, staff_required
from masip.search import remembered_search


def _admin(request: HttpRequest) -> User:
    """A partnership admin (the pages of this module are theirs only), or 404."""
    user = staff_member(request)
    if not is_partnership_admin(user):
        raise Http404
    return user


def _apply_errors(form: object, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)  # type: ignore[attr-defined]


@staff_required
def staff_list(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    search, redirect_after_post = remembered_search(request, "staff")
    if redirect_after_post is not None:
        return redirect_after_post
    page = selectors.staff_page_for_admin(actor=actor, search=search, page=request.GET.get("page"))
    return render(request, "agencies/staff_list.html", {"page": page, "search": search})


@staff_required
def staff_invite(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    assert actor.agency is not None
    form = StaffInviteForm(request.POST or None, partnership_id=actor.agency.partnership_id)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_invite(actor=actor, request=request, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {user.email}")
            return redirect("agencies:staff_list")
    return render(request, "agencies/staff_form.html", {"form": form, "title": "Invite a member of staff"})


@staff_required
def staff_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = _admin(request)
    assert actor.agency is not None
    member = (
        selectors.staff_get_for_admin(actor=actor, user_id=user_id)
        if request.method == "POST"  # the service logs the change
        else selectors.staff_read_for_admin(actor=actor, user_id=user_id)
    )
    initial = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "job_title": member.job_title,
        "agency": member.agency,
        "role": member.role,
        "is_active": member.is_active,
    }
    form = StaffEditForm(request.POST or None, initial=initial, partnership_id=actor.agency.partnership_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(actor=actor, user=member, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Saved changes to {member.email}")
            return redirect("agencies:staff_list")
    return render(
        request,
        "agencies/staff_form.html",
        {"form": form, "title": f"Change {member.get_full_name() or member.email}", "member": member},
    )


@staff_required
def agreement(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    assert actor.agency is not None
    partnership = actor.agency.partnership
    current = InformationSharingAgreement.objects.get(partnership=partnership)
    matrix = selectors.sharing_matrix(partnership_id=partnership.pk)
    initial: dict[str, object] = {f"class_{rc}": sorted(kinds) for rc, kinds in matrix.items()}
    initial.update(reference=current.reference, review_on=current.review_on)
    form = AgreementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.agreement_update(
            actor=actor,
            partnership=partnership,
            matrix=form.matrix(),
            reference=form.cleaned_data["reference"],
            review_on=form.cleaned_data["review_on"],
        )
        messages.success(request, "Information-sharing agreement saved")
        return redirect("agencies:agreement")
    return render(
        request,
        "agencies/agreement.html",
        {"form": form, "agreement": current, "record_classes": RecordClass},
    )


@staff_required
def access_log(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    if not is_partnership_admin(actor):
        raise Http404
    assert actor.agency is not None
    # Filters are ids and dates only, so they may live in the query string.
    form = AccessLogSearchForm(request.GET or None, partnership_id=actor.agency.partnership_id)
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "user_id": data["user"].pk if data["user"] else None,
            "record_type": data["record_type"].strip(),
            "record_id": data["record_id"].strip(),
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    # The selector logs the entries it returns.
    page = (
        selectors.access_log_page_for_admin(actor=actor, before=request.GET.get("before", ""), **filters)
        if not form.errors
        else None
    )
    query = {k: v for k, v in request.GET.items() if k != "before"}
    return render(
        request,
        "agencies/access_log.html",
        {
            "form": form,
            "page": page,
            "query": urlencode(query),
            "query_prefix": f"{urlencode(query)}&" if query else "",
        },
    )
