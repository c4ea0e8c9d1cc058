"""Case pages: the caseload, one case and its actions, people, referral intake, break-glass.

Thin: parse input, call a selector or a service, render. Scope comes from the
selectors (404 outside it), what a user may see of a person from the PartyViews
they return, and every page that shows personal data writes an access-log row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agencies.models import User
from agencies.selectors import agencies_of_partnership, partnership_uses_tiers
from agencies.staff import staff_member, staff_required
from cases import links, permissions, reads, selectors, services
from cases.extensions import case_summary_cards_for
from cases.forms import (
    AssignWorkerForm,
    BreachForm,
    BreakGlassForm,
    CaseloadFilterForm,
    EvaluationFactorsForm,
    IntakePersonForm,
    MergeForm,
    MergeSearchForm,
    NoteForm,
    OrderForm,
    OutcomeForm,
    PerpetratorForm,
    PersonEditForm,
    PersonForm,
    ReferralForm,
    ShareAddForm,
    ShareRemoveForm,
    TransitionForm,
    VictimForm,
    apply_errors,
    match_terms,
)
from cases.models import Case, CaseStatus, PartyRole, ReferringAgency
from masip.concurrency import EditConflict
from masip.forms import conflict_page_errors, summary_errors
from masip.search import remembered_search

CASELOAD_SEARCH = "caseload"
SITE_SEARCH = "site"
INTAKE_ROLES = (PartyRole.VICTIM.value, PartyRole.PERPETRATOR.value)


def _url(path: str, params: Sequence[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


# --- the caseload ---------------------------------------------------------------------------------


def _caseload_params(chosen: dict[str, Any], sort: str) -> list[tuple[str, str]]:
    """The caseload's filters as query parameters: never personal data, never the search."""
    params = [("status", s) for s in chosen.get("status", [])]
    params += [("tier", t) for t in chosen.get("tier", [])]
    params += [("risk", r) for r in chosen.get("risk", [])]
    if chosen.get("mine"):
        params.append(("mine", "on"))
    if chosen.get("due"):
        params.append(("due", chosen["due"]))
    if sort != "received":
        params.append(("sort", sort))
    return params


# Each sortable column: (column, its usual order's sort key, the reverse, aria-sort of the usual order).
CASELOAD_SORT_COLUMNS = [
    ("received", "received", "oldest", "descending"),
    ("status", "status", "status_desc", "ascending"),
    ("tier", "tier", "tier_desc", "ascending"),
    ("risk", "risk", "risk_desc", "descending"),
    ("worker", "worker", "worker_desc", "ascending"),
    ("next_due", "next_due", "next_due_desc", "ascending"),
]
_OPPOSITE = {"ascending": "descending", "descending": "ascending"}


def _caseload_sort_links(path: str, without_sort: list[tuple[str, str]], sort: str) -> dict[str, dict[str, str]]:
    """Per column: the link that sorts by it (its usual order, or the reverse when already so)
    and its aria-sort; a new sort starts again at page 1."""
    links = {}
    for column, usual, reversed_key, usual_aria in CASELOAD_SORT_COLUMNS:
        target = reversed_key if sort == usual else usual
        aria = usual_aria if sort == usual else _OPPOSITE[usual_aria] if sort == reversed_key else "none"
        params = without_sort if target == "received" else [*without_sort, ("sort", target)]
        links[column] = {"href": _url(path, params), "aria_sort": aria}
    return links


def _caseload_page_links(path: str, params: list[tuple[str, str]], page: Any) -> list[dict[str, Any]]:
    """GOV.UK pagination items: the first page, the pages either side of this one and the
    last, with "…" between; pages beyond an offset's cheap reach are shown, not linked."""
    if page.pages <= 1:
        return []
    wanted = sorted({1, page.page_number - 1, page.page_number, page.page_number + 1, page.pages})
    items: list[dict[str, Any]] = []
    previous = 0
    for number in (n for n in wanted if 1 <= n <= page.pages):
        if number > previous + 1:
            items.append({"ellipsis": True})
        linkable = number <= page.numbered_pages_up_to
        items.append(
            {
                "number": number,
                "current": number == page.page_number,
                "href": (_url(path, params if number == 1 else [*params, ("page", str(number))]) if linkable else None),
            }
        )
        previous = number
    return items


def _selected_filters(form: CaseloadFilterForm, params: list[tuple[str, str]], path: str) -> list[dict[str, Any]]:
    """The MOJ filter tags: each links to the same list without that one filter."""
    categories = []
    for name in ("status", "tier", "risk", "mine", "due"):
        if name not in form.fields:
            continue
        field = form.fields[name]
        labels = dict(getattr(field, "choices", []))
        items = [
            {
                "text": field.label if name == "mine" else labels.get(value, value),
                "href": _url(path, [p for p in params if p != (name, value)]),
            }
            for key, value in params
            if key == name
        ]
        if items:
            categories.append({"heading": field.label, "items": items})
    return categories


@staff_required
def search(request: HttpRequest) -> HttpResponse:
    """The header search: one box for case reference, name or alias, crime reference and PNC ID.

    The term is posted and kept in the session (masip.search), never in the address;
    only the page number travels in it.
    """
    actor = staff_member(request)
    term, redirect_after_post = remembered_search(request, SITE_SEARCH)
    if redirect_after_post is not None:
        return redirect_after_post
    try:
        page_number = int(request.GET.get("page", "1"))
    except ValueError:
        page_number = 1
    results = reads.search_read(user=actor, term=term, page=page_number)
    return render(
        request,
        "cases/search.html",
        {
            "results": results,
            "search": term,
            "previous_url": _url(request.path, [("page", str(results.page - 1))]) if results.page > 1 else None,
            "next_url": _url(request.path, [("page", str(results.page + 1))]) if results.page < results.pages else None,
        },
    )


@staff_required
def caseload(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    assert actor.agency is not None
    uses_tiers = partnership_uses_tiers(partnership_id=actor.agency.partnership_id)
    filter_form = CaseloadFilterForm(request.GET, uses_tiers=uses_tiers)
    filter_form.is_valid()
    chosen = filter_form.cleaned_data
    sort = request.GET.get("sort", "received")
    sort = sort if sort in selectors.SORTS else "received"
    if not uses_tiers and sort in ("tier", "tier_desc"):
        # No tier column to sort on where the partnership does not use tiers.
        sort = "received"
    params = _caseload_params(chosen, sort)
    search, redirect_after_post = remembered_search(request, CASELOAD_SEARCH)
    if redirect_after_post is not None:
        # Back to the same filters; the search term stays in the session, out of the URL.
        return HttpResponseRedirect(_url(request.path, params))
    filters = selectors.CaseloadFilters(
        statuses=list(chosen.get("status", [])),
        tiers=[int(t) for t in chosen.get("tier", [])],
        risks=list(chosen.get("risk", [])),
        assigned_to_me=bool(chosen.get("mine")),
        search=search,
        sort=sort,
        due=chosen.get("due", ""),
    )
    try:
        page_number = int(request.GET.get("page", "1"))
    except ValueError:
        page_number = 1
    page = reads.caseload_read(
        user=actor, filters=filters, cursor=request.GET.get("cursor", ""), page_number=page_number
    )
    without_sort = [p for p in params if p[0] != "sort"]
    return render(
        request,
        "cases/caseload.html",
        {
            "page": page,
            "filter_form": filter_form,
            # A filter that is not one of the choices is left out of the list and said at the top.
            "summary_errors": summary_errors(filter_form),
            "search": search,
            "sort": sort,
            "sort_links": _caseload_sort_links(request.path, without_sort, sort),
            "selected_filters": _selected_filters(filter_form, params, request.path),
            "clear_url": _url(request.path, [p for p in params if p[0] == "sort"]),
            "search_action": _url(request.path, params),
            "page_links": _caseload_page_links(request.path, params, page),
            "next_url": _url(request.path, [*params, ("page", str(page.page_number + 1)), ("cursor", page.next_cursor)])
            if page.next_cursor
            else None,
            "previous_url": _url(
                request.path, [*params, ("page", str(page.page_number - 1)), ("cursor", page.previous_cursor)]
            )
            if page.previous_cursor
            else None,
            "can_create_referral": permissions.can_create_referral(actor),
            "uses_tiers": uses_tiers,
        },
    )


# --- one case --------------------------------------------------------------------------------------------


def _transition_form(transition: permissions.Transition | None, target: str, data: Any = None) -> TransitionForm:
    return TransitionForm(data, transition=transition, prefix=f"transition-{target}")


def _render_case(
    request: HttpRequest, actor: User, case_id: int, *, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    """The case page, with any posted form that failed shown in place with its errors."""
    bound = bound or {}
    detail = reads.case_read(user=actor, case_id=case_id)
    transition_forms = [
        bound.get(f"transition-{t.target}") or _transition_form(t, t.target) for t in detail.transitions
    ]
    note_form = bound.get("note") or NoteForm(prefix="note", visible_classes=detail.visible_classes)
    return render(
        request,
        "cases/case_detail.html",
        {
            "detail": detail,
            "case": detail.case,
            "transition_forms": transition_forms,
            "note_form": note_form,
            "summary_errors": summary_errors(*bound.values()),
            "withheld_text": selectors.WITHHELD,
            "summary_cards": case_summary_cards_for(actor, detail.case),
        },
    )


@staff_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _render_case(request, staff_member(request), case_id)


@staff_required
@require_POST
def case_transition(request: HttpRequest, case_id: int, target: str) -> HttpResponse:
    actor = staff_member(request)
    case = selectors.case_get_for_user(user=actor, case_id=case_id)
    if target not in CaseStatus.values:
        raise Http404
    # The form is built from the table even when the move is not the user's to make:
    # the service then refuses it with the reason, shown on the page.
    transition = permissions.TRANSITION_TABLE.get((case.status, target))
    form = _transition_form(transition, target, request.POST)
    if form.is_valid():
        try:
            moved = services.case_transition(
                actor=actor,
                case=case,
                to_status=target,
                reason=form.cleaned_data.get("reason", ""),
                decision=form.cleaned_data.get("decision", ""),
                discharge_reason=form.cleaned_data.get("discharge_reason", ""),
                override_reason=form.cleaned_data.get("override_reason", ""),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Case {moved.reference} is now {moved.get_status_display().lower()}")
            return redirect("cases:case_detail", case_id=case.pk)
    return _render_case(request, actor, case.pk, bound={f"transition-{target}": form})


def _render_activity(
    request: HttpRequest, actor: User, case_id: int, note_form: NoteForm, *, added: bool
) -> HttpResponse:
    """The notes and timeline fragment that the quick-add note form swaps."""
    detail = reads.case_read(user=actor, case_id=case_id)
    return render(
        request,
        "cases/_activity.html",
        {
            "detail": detail,
            "case": detail.case,
            "note_form": note_form,
            "note_added": added,
            "fragment": True,
            "summary_errors": summary_errors(note_form) if note_form.is_bound else [],
        },
    )


@staff_required
@require_POST
def note_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    case = selectors.case_get_for_user(user=actor, case_id=case_id)
    classes = permissions.note_classes_for_user(actor)
    form = NoteForm(request.POST, prefix="note", visible_classes=classes)
    if form.is_valid():
        try:
            services.note_add(
                actor=actor, case=case, text=form.cleaned_data["text"], record_class=form.cleaned_data["record_class"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if getattr(request, "htmx", False):
                fresh = NoteForm(prefix="note", visible_classes=classes)
                return _render_activity(request, actor, case.pk, fresh, added=True)
            messages.success(request, "Note added")
            return HttpResponseRedirect(reverse("cases:case_detail", args=[case.pk]) + "#case-activity")
    if getattr(request, "htmx", False):
        return _render_activity(request, actor, case.pk, form, added=False)
    return _render_case(request, actor, case.pk, bound={"note": form})


def _case_form_page(
    request: HttpRequest, case: Case, form: forms.Form, *, title: str, button: str, extra: dict[str, Any] | None = None
) -> HttpResponse:
    return render(
        request,
        "cases/case_form.html",
        {
            "case": case,
            "form": form,
            "title": title,
            "button": button,
            "summary_errors": summary_errors(form),
            **(extra or {}),
        },
    )


@staff_required
def order_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    case = selectors.case_get_for_user(user=actor, case_id=case_id)
    if not permissions.can_record_orders(actor):
        raise Http404
    form = OrderForm(
        request.POST or None, may_record_location=permissions.case_victims_location_visible(actor, case.pk)
    )
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_record(actor=actor, case=case, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{order.get_kind_display()} recorded")
            return redirect("cases:case_detail", case_id=case.pk)
    return _case_form_page(request, case, form, title="Record an order", button="Record order")


@staff_required
def breach_add(request: HttpRequest, case_id: int, order_id: int) -> HttpResponse:
    actor = staff_member(request)
    order = selectors.order_get_for_user(user=actor, case_id=case_id, order_id=order_id)
    case = order.case
    if not permissions.can_record_orders(actor):
        raise Http404
    form = BreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.breach_record(actor=actor, order=order, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Breach of the {order.get_kind_display().lower()} recorded")
            return redirect("cases:case_detail", case_id=case.pk)
    return _case_form_page(
        request,
        case,
        form,
        title="Record a breach",
        button="Record breach",
        extra={"caption": f"{order.get_kind_display()} made {order.made_on:%-d %B %Y}"},
    )


@staff_required
def outcome_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    case = selectors.case_get_for_user(user=actor, case_id=case_id)
    if not permissions.can_record_orders(actor):
        raise Http404
    form = OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.outcome_record(actor=actor, case=case, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Outcome recorded: {outcome.get_kind_display().lower()}")
            return redirect("cases:case_detail", case_id=case.pk)
    return _case_form_page(request, case, form, title="Record a criminal-justice outcome", button="Record outcome")


@staff_required
def evaluation_factors(request: HttpRequest, case_id: int) -> HttpResponse:
    """Mental-health services, probation, MAPPA and antisocial lifestyle, through the same
    service as the API's ``PATCH /api/v1/cases/{id}/evaluation-factors/``."""
    actor = staff_member(request)
    # The role first: a user who may not record them reads (and is logged reading) nothing.
    if not permissions.can_record_evaluation_factors(actor):
        raise Http404
    factors = reads.evaluation_factors_read(user=actor, case_id=case_id)
    case = factors.case
    form = _evaluation_factors_form(factors, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_record_evaluation_factors(
                actor=actor, case=case, factors=form.factors(), expected_version=form.expected_version()
            )
        except EditConflict:
            # Someone saved them meanwhile: show the factors as they are now, not ours over them.
            current = reads.evaluation_factors_read(user=actor, case_id=case_id)
            return _case_form_page(
                request,
                current.case,
                _evaluation_factors_form(current, None),
                title="Evaluation factors",
                button="Save",
                extra={"caption": "the perpetrator", "summary_errors": conflict_page_errors()},
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Evaluation factors saved")
            return redirect("cases:case_detail", case_id=case.pk)
    return _case_form_page(
        request, case, form, title="Evaluation factors", button="Save", extra={"caption": "the perpetrator"}
    )


def _evaluation_factors_form(factors: selectors.EvaluationFactors, data: Any) -> EvaluationFactorsForm:
    return EvaluationFactorsForm(
        data,
        current={
            "mental_health_services": factors.mental_health_services,
            "probation_involved": factors.probation_involved,
            "mappa": factors.mappa,
            "antisocial_lifestyle": factors.antisocial_lifestyle,
        },
        criminal_history="antisocial_lifestyle" not in factors.withheld,
        version=selectors.case_version(factors.case),
    )


@staff_required
def assign_worker(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    case = selectors.case_get_for_user(user=actor, case_id=case_id)
    # Offer the staff of the agencies the case is shared with; the service has the last word.
    staff = selectors.case_assignable_staff(user=actor, case=case).filter(
        agency__in=selectors.case_shared_agencies(case=case)
    )
    initial = {"worker": case.assigned_worker_id, "version": selectors.case_version(case)}
    form = AssignWorkerForm(request.POST or None, initial=initial, staff=staff)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_assign_worker(
                actor=actor, case=case, worker=form.cleaned_data["worker"], expected_version=form.expected_version()
            )
        except EditConflict:
            # Someone assigned it meanwhile: show their choice, not ours over it.
            current = selectors.case_get_for_user(user=actor, case_id=case_id)
            form = AssignWorkerForm(
                initial={"worker": current.assigned_worker_id, "version": selectors.case_version(current)},
                staff=staff,
            )
            return _case_form_page(
                request,
                case,
                form,
                title="Assign a worker",
                button="Save",
                extra={"summary_errors": conflict_page_errors()},
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Assigned worker saved")
            return redirect("cases:case_detail", case_id=case.pk)
    return _case_form_page(request, case, form, title="Assign a worker", button="Save")


@staff_required
def case_sharing(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    case = selectors.case_get_for_user(user=actor, case_id=case_id)
    if not permissions.can_change_sharing(actor):
        raise Http404
    shared = selectors.case_shared_agencies(case=case)
    others = [a for a in agencies_of_partnership(partnership_id=case.partnership_id) if a not in shared]
    action = request.POST.get("action") if request.method == "POST" else None
    add_form = ShareAddForm(request.POST if action == "add" else None, agencies=others, prefix="add")
    remove_form = ShareRemoveForm(request.POST if action == "remove" else None, agencies=shared, prefix="remove")
    form = add_form if action == "add" else remove_form if action == "remove" else None
    if form is not None and form.is_valid():
        agency, reason = form.cleaned_data["agency"], form.cleaned_data["reason"]
        try:
            if action == "add":
                services.case_share_add(actor=actor, case=case, agency=agency, reason=reason)
            else:
                services.case_share_remove(actor=actor, case=case, agency=agency, reason=reason)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            verb = "now shared with" if action == "add" else "no longer shared with"
            messages.success(request, f"Case {case.reference} is {verb} {agency.name}")
            return redirect("cases:case_detail", case_id=case.pk)
    return render(
        request,
        "cases/case_sharing.html",
        {
            "case": case,
            "shared": shared,
            "add_form": add_form if others else None,
            "remove_form": remove_form if len(shared) > 1 else None,
            "summary_errors": summary_errors(add_form, remove_form),
        },
    )


# --- break-glass ----------------------------------------------------------------------------------


@staff_required
def break_glass(request: HttpRequest) -> HttpResponse:
    """Open a case of the partnership that is not shared with the user's agency.

    The case's own URL stays 404 until a grant exists, so a guessed id reveals nothing.
    """
    actor = staff_member(request)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case_id = form.cleaned_data["reference"]
        try:
            selectors.case_get_for_user(user=actor, case_id=case_id)
        except Http404:
            try:
                services.break_glass_open(actor=actor, case_id=case_id, reason=form.cleaned_data["reason"])
            except Http404:
                form.add_error("reference", "There is no case with this reference in your partnership")
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.warning(
                    request,
                    f"Break-glass access to this case is open for {services.BREAK_GLASS_HOURS} hours. "
                    "Your partnership's admins have been told.",
                )
                return redirect("cases:case_detail", case_id=case_id)
        else:
            messages.info(request, "This case is already shared with you: no break-glass access was needed")
            return redirect("cases:case_detail", case_id=case_id)
    return render(request, "cases/break_glass.html", {"form": form, "summary_errors": summary_errors(form)})


# --- people ---------------------------------------------------------------------------------------


@staff_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = staff_member(request)
    detail = reads.person_read(user=actor, person_id=person_id)
    view = detail.summary
    return render(
        request,
        "cases/person_detail.html",
        {
            # Only the PartyViews reach the template: they carry what this user may see.
            "person_id": person_id,
            "view": view,
            "parts": detail.parts,
            "can_edit": view.identity_visible,
            "can_merge": permissions.can_merge_people(actor),
            "withheld_text": selectors.WITHHELD,
        },
    )


def _person_initial(person: Any) -> dict[str, Any]:
    return {name: getattr(person, name) for name in PersonForm.base_fields}


@staff_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = staff_member(request)
    detail = (
        selectors.person_get_for_user(user=actor, person_id=person_id)
        if request.method == "POST"  # the service logs the change
        else reads.person_read(user=actor, person_id=person_id)
    )
    if not detail.summary.identity_visible:
        # The form would show what the agreement withholds from this agency.
        raise Http404
    initial = {**_person_initial(detail.person), "version": selectors.person_version(detail.person)}
    form = PersonEditForm(request.POST or None, initial=initial)
    conflict_errors: list[tuple[str, str]] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(
                actor=actor,
                person=detail.person,
                changes=form.person_changes(),
                expected_version=form.expected_version(),
            )
        except EditConflict:
            # The form holds every field, so saving it now would put back what the other
            # person changed: show the record as it now is instead.
            current = selectors.person_get_for_user(user=actor, person_id=person_id).person
            form = PersonEditForm(initial={**_person_initial(current), "version": selectors.person_version(current)})
            conflict_errors = conflict_page_errors()
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Person details saved")
            return redirect("people:person_detail", person_id=person_id)
    return render(
        request,
        "cases/person_edit.html",
        {
            "form": form,
            "person_id": person_id,
            "view": detail.summary,
            "summary_errors": conflict_errors if conflict_errors is not None else summary_errors(form),
        },
    )


def _match(actor: User, terms: dict[str, Any], *, exclude: int | None = None) -> list[selectors.MatchCandidate] | None:
    """Match candidates for what was typed, logged as a search; None when too little was typed."""
    name = f"{terms.get('given_name') or ''}{terms.get('family_name') or ''}".strip()
    if len(name) < 2 and not terms.get("pnc_id") and not terms.get("nhs_number"):
        return None
    return reads.person_matches_read(user=actor, exclude=exclude, **terms)


@staff_required
def person_merge(request: HttpRequest, person_id: int) -> HttpResponse:
    """Fold a duplicate record into this one: find it among the match candidates, give a reason."""
    actor = staff_member(request)
    if not permissions.can_merge_people(actor):
        raise Http404
    posted = request.method == "POST"
    detail = (
        selectors.person_get_for_user(user=actor, person_id=person_id)
        if posted  # a search is logged as one; a merge by its service
        else reads.person_read(user=actor, person_id=person_id)
    )
    view = detail.summary
    initial = _person_initial(detail.person) if view.identity_visible else {}
    search_form = MergeSearchForm(request.POST if posted else None, initial=initial)
    merge_form = MergeForm(request.POST if posted and request.POST.get("action") == "merge" else None)
    if posted:
        search_form.is_valid()
    terms = match_terms(search_form.cleaned_data if posted else initial)
    if merge_form.is_bound and merge_form.is_valid():
        try:
            other = selectors.person_get_for_user(user=actor, person_id=merge_form.cleaned_data["merged"]).person
        except Http404:
            merge_form.add_error("merged", "Choose a record from the list that appears in cases you can see")
        else:
            try:
                services.person_merge(
                    actor=actor, survivor=detail.person, merged=other, reason=merge_form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                apply_errors(merge_form, exc)
            else:
                messages.success(request, "The two records are now one person")
                return redirect("people:person_detail", person_id=person_id)
    candidates = _match(actor, terms, exclude=person_id)
    return render(
        request,
        "cases/person_merge.html",
        {
            "person_id": person_id,
            "view": view,
            "search_form": search_form,
            "merge_form": merge_form,
            "candidates": candidates,
            "chosen": str(merge_form["merged"].value() or ""),
            "summary_errors": summary_errors(search_form, merge_form),
        },
    )


# --- referral intake --------------------------------------------------------------------------------


def _intake_forms(actor: User, data: Any) -> tuple[ReferralForm, VictimForm, PerpetratorForm]:
    assert actor.agency is not None
    kind = actor.agency.kind if actor.agency.kind in ReferringAgency.values else ""
    return (
        ReferralForm(data, initial={"referring_agency_kind": kind}),
        VictimForm(
            data,
            prefix=PartyRole.VICTIM.value,
            may_record_location=permissions.can_record_new_victim_location(actor),
        ),
        PerpetratorForm(
            data,
            prefix=PartyRole.PERPETRATOR.value,
            may_record_history=permissions.can_record_criminal_history(actor),
        ),
    )


def _party_input(role: str, form: IntakePersonForm) -> services.PartyInput:
    history = form.cleaned_data.get("criminal_history", "")
    link = form.link_token()
    if link:
        # A linked record keeps its identity; it gains this referral's contact details.
        return services.PartyInput(role=role, link_token=link, person=form.location_input(), criminal_history=history)
    return services.PartyInput(role=role, person=form.person_input(), criminal_history=history)


def _apply_intake_errors(exc: ValidationError, referral: ReferralForm, people: dict[str, IntakePersonForm]) -> None:
    """``victim_family_name`` goes to the victim's family_name; anything else to the referral."""
    for key, errors in exc.message_dict.items():
        for role, form in people.items():
            name = key.removeprefix(f"{role}_")
            if name != key and name in form.fields:
                form.add_error(name, errors)
                break
        else:
            referral.add_error(key if key in referral.fields else None, errors)


def _link_choices_made(people: dict[str, IntakePersonForm]) -> bool:
    """Where existing records were offered, one of them or "none of these" must be chosen."""
    made = True
    for role, form in people.items():
        if form.link_choice_missing():
            form.add_error(
                None,
                f"Choose whether the {PartyRole(role).label.lower()} is one of the existing records found, "
                "or create a new person record",
            )
            made = False
    return made


def _person_panel(
    actor: User, role: str, form: IntakePersonForm, candidates: list[selectors.MatchCandidate] | None
) -> dict[str, Any]:
    chosen = links.link_token_read(str(form["link"].value() or ""), user=actor)
    # A link survives a re-render only while that record is still among the matches (with a
    # fresh offer: each render's tokens are new). Nothing is chosen for the user: linking
    # the wrong record merges two people's histories, so the choice is always made by hand.
    posted_link = str(form["link"].value() or "")
    fallback = "new" if posted_link == "new" else ""
    link = next((c.link_token for c in candidates or [] if chosen and c.person_id == chosen.person_id), fallback)
    return {"role": role, "title": PartyRole(role).label, "form": form, "candidates": candidates, "link": link}


@staff_required
def referral_new(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    if not permissions.can_create_referral(actor):
        raise Http404
    posted = request.method == "POST"
    referral_form, victim_form, perpetrator_form = _intake_forms(actor, request.POST if posted else None)
    people: dict[str, IntakePersonForm] = {PartyRole.VICTIM: victim_form, PartyRole.PERPETRATOR: perpetrator_form}
    candidates: dict[str, list[selectors.MatchCandidate] | None] = {}
    if posted:
        valid = all([referral_form.is_valid(), victim_form.is_valid(), perpetrator_form.is_valid()])
        if request.POST.get("check") in INTAKE_ROLES:
            # "Check for existing records": show matches, not complaints about fields not filled yet.
            for form in (referral_form, victim_form, perpetrator_form):
                form.errors.clear()
        elif valid and _link_choices_made(people):
            try:
                case = services.referral_create(
                    actor=actor,
                    data=referral_form.referral_input(),
                    parties=[_party_input(role, form) for role, form in people.items()],
                )
            except ValidationError as exc:
                _apply_intake_errors(exc, referral_form, people)
            else:
                messages.success(request, f"Referral recorded as case {case.reference}")
                return redirect("cases:case_detail", case_id=case.pk)
        candidates = {role: _match(actor, form.match_terms()) for role, form in people.items()}
    return render(
        request,
        "cases/referral_new.html",
        {
            "referral_form": referral_form,
            "people": [_person_panel(actor, role, form, candidates.get(role)) for role, form in people.items()],
            "summary_errors": summary_errors(referral_form, victim_form, perpetrator_form),
        },
    )


@staff_required
@require_POST
def referral_candidates(request: HttpRequest, role: str) -> HttpResponse:
    """The match-candidate panel for one person, fetched as intake fields change (htmx)."""
    actor = staff_member(request)
    if not permissions.can_create_referral(actor) or role not in INTAKE_ROLES:
        raise Http404
    _, victim_form, perpetrator_form = _intake_forms(actor, request.POST)
    form: IntakePersonForm = victim_form if role == PartyRole.VICTIM else perpetrator_form
    form.is_valid()
    return render(
        request,
        "cases/_candidates.html",
        {"person": _person_panel(actor, role, form, _match(actor, form.match_terms()))},
    )
