"""Pages of victim advocacy, under /advocacy/. Thin: parse, call a selector or service, render.

Every page stands behind the staff gate (agencies.staff); scope, record classes and the
access-log row come from the read functions of advocacy.selectors (404 outside them),
the same ones the API calls. Forms work without JavaScript, and the contact quick-add
on the case overview swaps its card with htmx when it can.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from advocacy import permissions, selectors, services
from advocacy.forms import (
    AssignForm,
    ContactForm,
    EndForm,
    FeedbackForm,
    KeyEventForm,
    LeadForm,
    MeasureForm,
    MeasureUpdateForm,
    NeedsForm,
    OutcomeForm,
    ReviewForm,
    SafeContactForm,
    SettingsForm,
    ToldForm,
)
from advocacy.models import MeasureStatus, SafetyMeasure
from advocacy.permissions import Area
from agencies.models import Agency, User
from agencies.staff import staff_member, staff_required
from cases.forms import apply_errors
from cases.models import Case
from cases.selectors import case_get_for_user
from masip.concurrency import EditConflict, version_of
from masip.forms import GovukForm, conflict_page_errors, summary_errors


def _side_nav(actor: User, case: Case, active: str) -> list[dict[str, Any]]:
    """The section's own navigation: only the parts this user's agency may see."""
    items: list[tuple[str, str, str, Area | None]] = [("overview", "Overview", "advocacy:case_advocacy", None)]
    items += [
        ("advocate", "Advocate", "advocacy:assignment", Area.ASSIGNMENT),
        ("contacts", "Contact log", "advocacy:contact_log", Area.CONTACT),
        ("key_events", "Key events", "advocacy:key_events", Area.KEY_EVENT),
        ("needs", "Needs assessment", "advocacy:needs", Area.NEEDS),
        ("safety_plan", "Safety plan", "advocacy:safety_plan", Area.SAFETY_PLAN),
        ("outcomes", "How she is doing", "advocacy:outcomes", Area.OUTCOMES),
        ("feedback", "Feedback at closure", "advocacy:feedback", Area.FEEDBACK),
    ]
    return [
        {"key": key, "title": title, "url": reverse(name, args=[case.pk]), "active": key == active}
        for key, title, name, area in items
        if area is None or permissions.may_see_area(actor, area)
    ]


def _page(request: HttpRequest, actor: User, case: Case, template: str, active: str, **context: Any) -> HttpResponse:
    bound = [f for f in context.values() if isinstance(f, GovukForm)]
    context.setdefault("summary_errors", summary_errors(*bound))
    context.setdefault("now", timezone.now())
    return render(
        request,
        template,
        {"case": case, "case_section": "advocacy", "side_nav": _side_nav(actor, case, active), **context},
    )


# --- the section's overview --------------------------------------------------------------------------------------


@staff_required
def case_advocacy(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    overview = selectors.overview_for_user(user=actor, case_id=case_id)
    return _page(
        request,
        actor,
        overview.case,
        "advocacy/case_advocacy.html",
        "overview",
        overview=overview,
        can_log=permissions.can_work(actor, Area.CONTACT),
        can_assign=permissions.can_assign_advocate(actor),
        can_edit_plan=permissions.can_edit_safety_plan(actor),
        can_mark_told=permissions.can_mark_told(actor),
    )


# --- the advocate --------------------------------------------------------------------------------------------------


@staff_required
def assignment(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    posted = request.method == "POST"
    # A POST logs the assignment it makes or ends, not a look at the page (unless it shows it again).
    read = selectors.assignments_for_change if posted else selectors.assignments_for_user
    page = read(user=actor, case_id=case_id)
    case = page.case
    victims = [row.victim for row in page.advocates]
    can_assign = permissions.can_assign_advocate(actor)
    action = request.POST.get("action") if request.method == "POST" else None
    if action is not None and not can_assign:
        raise Http404
    assign_form = AssignForm(
        request.POST if action == "assign" else None, victims=victims, candidates=page.candidates, prefix="assign"
    )
    end_form = EndForm(request.POST if action == "end" else None, victims=victims, prefix="end")
    if action == "assign" and assign_form.is_valid():
        try:
            made = services.advocate_assign(
                actor=actor,
                case=case,
                advocate=assign_form.cleaned_data["advocate"],
                person_id=assign_form.person_id(),
                handover_note=assign_form.cleaned_data["handover_note"],
            )
        except ValidationError as exc:
            apply_errors(assign_form, exc)
        else:
            messages.success(request, f"{made.advocate.get_full_name() or made.advocate.email} is now the advocate")
            return redirect("advocacy:assignment", case_id=case.pk)
    if action == "end" and end_form.is_valid():
        try:
            services.advocate_end(
                actor=actor, case=case, person_id=end_form.person_id(), note=end_form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_errors(end_form, exc)
        else:
            messages.success(request, "Advocacy support ended")
            return redirect("advocacy:assignment", case_id=case.pk)
    if posted:
        # Refused: the page is shown again with the advocates it lists; log that once.
        selectors.assignments_shown(user=actor, page=page)
    return _page(
        request,
        actor,
        case,
        "advocacy/assignment.html",
        "advocate",
        page=page,
        assign_form=assign_form if can_assign else None,
        end_form=end_form if can_assign and any(row.current for row in page.advocates) else None,
    )


# --- the contact log ---------------------------------------------------------------------------------------------


@staff_required
def contact_log(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    log = selectors.contact_log_for_user(user=actor, case_id=case_id, cursor=request.GET.get("cursor", ""))
    return _page(
        request,
        actor,
        log.case,
        "advocacy/contact_log.html",
        "contacts",
        log=log,
        can_log=permissions.can_work(actor, Area.CONTACT),
        next_url=f"{request.path}?cursor={log.next_cursor}" if log.next_cursor else None,
    )


def case_card(user: Any, case: Any, *, form: ContactForm | None = None, added: bool = False) -> dict[str, Any] | None:
    """cases.extensions summary card (advocacy staff only): the selector's figures and the quick-add form."""
    card = selectors.card_context(user, case)
    if card is None:
        return None
    return _card_extras(card, form, added)


def _card_extras(card: dict[str, Any], form: ContactForm | None, added: bool) -> dict[str, Any]:
    if card["can_log"]:
        card["quick_form"] = form or ContactForm(victims=card["victims"], prefix="contact")
    card["summary_errors"] = summary_errors(form)
    card["contact_added"] = added
    return card


def _card_response(
    request: HttpRequest, actor: User, case: Case, form: ContactForm | None, added: bool
) -> HttpResponse:
    card = _card_extras(selectors.card_for_user(user=actor, case_id=case.pk), form, added)
    return render(request, "advocacy/_card.html", {"card": card, "case": case})


@staff_required
def contact_add(request: HttpRequest, case_id: int) -> HttpResponse:
    """Log a contact. Also the card's quick add: htmx swaps the card; without JavaScript, a redirect."""
    actor = staff_member(request)
    if not permissions.can_work(actor, Area.CONTACT):
        raise Http404
    # A POST logs the contact it records, not a look at the form.
    read = selectors.contact_form_for_change if request.method == "POST" else selectors.contact_form_for_user
    page = read(user=actor, case_id=case_id)
    case = page.case
    from_card = request.POST.get("origin") == "card"
    form = ContactForm(
        request.POST or None,
        victims=page.victims,
        prefix="contact",
        staff=None if from_card else _contact_staff(actor),
        initial={"staff_member": actor.pk},
        safe_contacts=page.safe_contacts,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_record(actor=actor, case=case, data=form.contact_input(), person_id=form.person_id())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if from_card and getattr(request, "htmx", False):
                return _card_response(request, actor, case, None, added=True)
            messages.success(request, "Contact logged")
            if from_card:
                return HttpResponseRedirect(reverse("cases:case_detail", args=[case.pk]) + "#advocacy-card")
            return redirect("advocacy:contact_log", case_id=case.pk)
    if request.method == "POST":
        # Refused: the form is shown again with her name and preferences; log that view once.
        selectors.contact_form_shown(user=actor, page=page)
    if from_card and getattr(request, "htmx", False):
        return _card_response(request, actor, case, form, added=False)
    return _page(
        request,
        actor,
        case,
        "advocacy/contact_form.html",
        "contacts",
        form=form,
        safe_contacts=page.safe_contacts,
        title="Log a contact",
        button="Log contact",
    )


def _contact_staff(actor: User) -> QuerySet[User]:
    """Who may be named as having had a contact: the actor's colleagues (the service checks the case)."""
    return User.objects.filter(agency=actor.agency, is_active=True)


@staff_required
def contact_detail(request: HttpRequest, case_id: int, contact_id: int) -> HttpResponse:
    actor = staff_member(request)
    detail = selectors.contact_get_for_user(user=actor, case_id=case_id, contact_id=contact_id)
    return _page(
        request,
        actor,
        detail.case,
        "advocacy/contact_detail.html",
        "contacts",
        detail=detail,
        can_edit=permissions.can_work(actor, Area.CONTACT),
    )


@staff_required
def contact_edit(request: HttpRequest, case_id: int, contact_id: int) -> HttpResponse:
    actor = staff_member(request)
    if not permissions.can_work(actor, Area.CONTACT):
        raise Http404
    # A POST logs the change it makes (contact_update), not a look at the contact and form.
    if request.method == "POST":
        detail = selectors.contact_detail_for_change(user=actor, case_id=case_id, contact_id=contact_id)
        page = selectors.contact_form_for_change(user=actor, case_id=case_id, person_id=detail.entry.person_id)
    else:
        detail = selectors.contact_get_for_user(user=actor, case_id=case_id, contact_id=contact_id)
        page = selectors.contact_form_for_user(user=actor, case_id=case_id, person_id=detail.entry.person_id)
    form = ContactForm(
        request.POST or None,
        victims=[],
        edit=True,
        prefix="contact",
        initial=ContactForm.initial_for(detail.entry),
        staff=_contact_staff(actor),
        safe_contacts=page.safe_contacts,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                actor=actor, entry=detail.entry, data=form.contact_input(), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Contact record changed; the earlier version is kept")
            return redirect("advocacy:contact_detail", case_id=case_id, contact_id=contact_id)
    if request.method == "POST":
        selectors.contact_form_shown(user=actor, page=page)
    return _page(
        request,
        actor,
        detail.case,
        "advocacy/contact_form.html",
        "contacts",
        form=form,
        safe_contacts=page.safe_contacts,
        title="Change a contact record",
        button="Save changes",
        caption=f"Contact with {detail.victim}",
    )


# --- safe-contact preferences --------------------------------------------------------------------------------------


@staff_required
def safe_contact_edit(request: HttpRequest, case_id: int, person_id: int) -> HttpResponse:
    actor = staff_member(request)
    # A POST logs the change it makes, not a look at the preferences it replaces.
    read = selectors.safe_contact_page_for_change if request.method == "POST" else selectors.safe_contact_for_user
    page = read(user=actor, case_id=case_id, person_id=person_id)
    view = page.view
    initial = {
        "safe_times": view.safe_times,
        "channels": view.channels,
        "no_voicemail": view.no_voicemail,
        "code_word": view.code_word,
        "notes": view.notes,
    }
    form = SafeContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.safe_contact_update(
                actor=actor, case=page.case, data=form.safe_contact_data(), person_id=person_id
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Safe-contact preferences saved")
            return redirect("advocacy:case_advocacy", case_id=case_id)
    if request.method == "POST":
        selectors.safe_contact_shown(user=actor, page=page)
    return _page(
        request,
        actor,
        page.case,
        "advocacy/simple_form.html",
        "overview",
        form=form,
        title="Safe-contact preferences",
        button="Save preferences",
        caption=f"{page.victim.name} ({page.victim.role_label.lower()})",
        cancel_url=reverse("advocacy:case_advocacy", args=[case_id]),
    )


# --- needs ------------------------------------------------------------------------------------------------------------


@staff_required
def needs(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    page = selectors.needs_for_user(user=actor, case_id=case_id)
    return _page(
        request,
        actor,
        page.case,
        "advocacy/needs.html",
        "needs",
        page=page,
        can_assess=permissions.can_work(actor, Area.NEEDS),
    )


@staff_required
def needs_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    if not permissions.can_work(actor, Area.NEEDS):
        raise Http404
    posted = request.method == "POST"
    # A POST logs the assessment it records, not a look at the form (unless it shows it again).
    read = selectors.victims_for_change if posted else selectors.victims_for_user
    page = read(user=actor, case_id=case_id, area=Area.NEEDS)
    case = page.case
    initial: dict[str, Any] = {}
    hints: dict[str, str] = {}
    start = None
    if len(page.victims) == 1:
        # A review starts from the last assessment: each domain as it was, to change where it has.
        person_id = page.victims[0].person_id
        if posted:
            start = selectors.needs_start_for_change(case=case, person_id=person_id)
        else:
            start = selectors.needs_start_for_user(user=actor, case=case, person_id=person_id)
        hints = start.hints
        initial = {f"level_{domain}": level for domain, level in start.levels.items()}
    form = NeedsForm(request.POST or None, victims=page.victims, initial=initial, hints=hints)
    if request.method == "POST" and form.is_valid():
        try:
            services.needs_assess(
                actor=actor,
                case=case,
                assessed_on=form.cleaned_data["assessed_on"],
                review_on=form.cleaned_data["review_on"],
                levels=form.levels(),
                domain_notes=form.domain_notes(),
                notes=form.cleaned_data.get("notes", ""),
                person_id=form.person_id(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Needs assessment recorded")
            return redirect("advocacy:needs", case_id=case.pk)
    if posted:
        # Refused: the form is shown again with her name and the last levels; log that once.
        selectors.victims_shown(user=actor, page=page)
        if start is not None:
            selectors.needs_start_shown(user=actor, start=start)
    return _page(request, actor, case, "advocacy/needs_form.html", "needs", form=form)


# --- the victim's outcomes -----------------------------------------------------------------------------------------


@staff_required
def outcomes(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    page = selectors.outcomes_for_user(user=actor, case_id=case_id)
    return _page(
        request,
        actor,
        page.case,
        "advocacy/outcomes.html",
        "outcomes",
        page=page,
        can_record=permissions.can_work(actor, Area.OUTCOMES),
    )


@staff_required
def outcome_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    if not permissions.can_work(actor, Area.OUTCOMES):
        raise Http404
    # A POST logs the answers it records, not a look at the form (unless it shows it again).
    read = selectors.victims_for_change if request.method == "POST" else selectors.victims_for_user
    page = read(user=actor, case_id=case_id, area=Area.OUTCOMES)
    case = page.case
    form = OutcomeForm(request.POST or None, victims=page.victims)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.victim_outcome_record(
                actor=actor,
                case=case,
                data=services.OutcomeInput(
                    recorded_on=data["recorded_on"],
                    stage=data["stage"],
                    feels_safe=data["feels_safe"],
                    wellbeing=data["wellbeing"],
                    incidents_last_month=data["incidents_last_month"],
                ),
                person_id=form.person_id(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Her answers are recorded")
            return redirect("advocacy:outcomes", case_id=case.pk)
    if request.method == "POST":
        selectors.victims_shown(user=actor, page=page)
    return _page(request, actor, case, "advocacy/outcome_form.html", "outcomes", form=form)


# --- safety plan ---------------------------------------------------------------------------------------------------


@staff_required
def safety_plan(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    page = selectors.safety_plans_for_user(user=actor, case_id=case_id)
    return _page(
        request,
        actor,
        page.case,
        "advocacy/safety_plan.html",
        "safety_plan",
        page=page,
        can_edit=permissions.can_edit_safety_plan(actor),
    )


@staff_required
def measure_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    if not permissions.can_edit_safety_plan(actor):
        raise Http404
    read = selectors.victims_for_change if request.method == "POST" else selectors.victims_for_user
    page = read(user=actor, case_id=case_id, area=Area.SAFETY_PLAN)
    case = page.case
    agencies = selectors.measure_owner_choices(case=case)
    form = MeasureForm(
        request.POST or None, victims=page.victims, agencies=agencies, initial={"owner_agency": actor.agency_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            measure = services.safety_measure_add(
                actor=actor, case=case, data=form.measure_input(), person_id=form.person_id()
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{measure.get_kind_display()} added to the safety plan")
            return redirect("advocacy:safety_plan", case_id=case.pk)
    if request.method == "POST":
        selectors.victims_shown(user=actor, page=page)
    return _page(
        request,
        actor,
        case,
        "advocacy/simple_form.html",
        "safety_plan",
        form=form,
        title="Add a safety measure",
        button="Add measure",
        cancel_url=reverse("advocacy:safety_plan", args=[case.pk]),
    )


def _measure_initial(measure: SafetyMeasure) -> dict[str, Any]:
    return {
        "details": measure.details,
        "owner_agency": measure.owner_agency_id,
        "review_on": measure.review_on,
        "version": version_of(measure),
    }


@staff_required
def measure_edit(request: HttpRequest, case_id: int, measure_id: int) -> HttpResponse:
    actor = staff_member(request)
    if not permissions.can_edit_safety_plan(actor):
        raise Http404
    # A POST logs the change it makes, not a look at the measure (unless it shows it again).
    read = selectors.measure_for_change if request.method == "POST" else selectors.measure_get_for_user
    measure = read(user=actor, case_id=case_id, measure_id=measure_id)
    case = measure.plan.case
    agencies = selectors.measure_owner_choices(case=case)
    form = MeasureUpdateForm(
        request.POST or None, current=measure.status, agencies=agencies, initial=_measure_initial(measure)
    )
    conflict: dict[str, Any] = {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.safety_measure_update(
                actor=actor,
                measure=measure,
                status=data.get("status") or None,
                on=data.get("on"),
                details=data.get("details", ""),
                owner_agency=data["owner_agency"],
                review_on=data.get("review_on"),
                clear_review=data.get("review_on") is None,
                expected_version=form.expected_version(),
            )
        except EditConflict:
            # The form holds every field: show the measure as it now is rather than save over it.
            measure = selectors.measure_for_change(user=actor, case_id=case_id, measure_id=measure_id)
            form = MeasureUpdateForm(current=measure.status, agencies=agencies, initial=_measure_initial(measure))
            conflict = {"summary_errors": conflict_page_errors()}
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{measure.get_kind_display()} updated")
            return redirect("advocacy:safety_plan", case_id=case.pk)
    if request.method == "POST":
        # Refused or in conflict: the measure is shown again; log that view once.
        selectors.measure_shown(user=actor, measure=measure)
    return _page(
        request,
        actor,
        case,
        "advocacy/simple_form.html",
        "safety_plan",
        form=form,
        title=f"Update: {measure.get_kind_display().lower()}",
        button="Save",
        caption=f"{MeasureStatus(measure.status).label}, proposed {measure.proposed_on:%-d %B %Y}",
        cancel_url=reverse("advocacy:safety_plan", args=[case.pk]),
        **conflict,
    )


@staff_required
def review_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    if not permissions.can_edit_safety_plan(actor):
        raise Http404
    read = selectors.victims_for_change if request.method == "POST" else selectors.victims_for_user
    page = read(user=actor, case_id=case_id, area=Area.SAFETY_PLAN)
    case = page.case
    form = ReviewForm(request.POST or None, victims=page.victims)
    if request.method == "POST" and form.is_valid():
        try:
            services.safety_plan_review(
                actor=actor,
                case=case,
                reviewed_on=form.cleaned_data["reviewed_on"],
                summary=form.cleaned_data["summary"],
                next_review_on=form.cleaned_data.get("next_review_on"),
                person_id=form.person_id(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Safety plan review recorded")
            return redirect("advocacy:safety_plan", case_id=case.pk)
    if request.method == "POST":
        selectors.victims_shown(user=actor, page=page)
    return _page(
        request,
        actor,
        case,
        "advocacy/simple_form.html",
        "safety_plan",
        form=form,
        title="Record a safety plan review",
        button="Record review",
        cancel_url=reverse("advocacy:safety_plan", args=[case.pk]),
    )


# --- key events -----------------------------------------------------------------------------------------------------


@staff_required
def key_events(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    page = selectors.key_events_for_user(user=actor, case_id=case_id)
    return _page(
        request,
        actor,
        page.case,
        "advocacy/key_events.html",
        "key_events",
        page=page,
        can_record=permissions.can_record_key_event(actor),
        can_mark_told=permissions.can_mark_told(actor),
    )


@staff_required
def key_event_add(request: HttpRequest, case_id: int) -> HttpResponse:
    """Police and probation record a key event. Probation sees nothing else of this app: the
    page shows no victim data, and afterwards it goes back to the case overview."""
    actor = staff_member(request)
    case = case_get_for_user(user=actor, case_id=case_id)
    if not permissions.can_record_key_event(actor):
        raise Http404
    form = KeyEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.key_event_record(actor=actor, case=case, data=form.key_event_input())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"Key event recorded: {event.get_kind_display().lower()}. The victim's advocacy service "
                "has been alerted.",
            )
            if permissions.may_see_area(actor, Area.KEY_EVENT):
                return redirect("advocacy:key_events", case_id=case.pk)
            return redirect("cases:case_detail", case_id=case.pk)
    return render(
        request,
        "cases/case_form.html",
        {
            "case": case,
            "form": form,
            "title": "Record a key event",
            "button": "Record key event",
            "caption": "Victim advocacy will be alerted at once",
            "summary_errors": summary_errors(form),
        },
    )


@staff_required
def notice_told(request: HttpRequest, case_id: int, notice_id: int) -> HttpResponse:
    """One victim and one key event: the safe-contact preferences first, then when and how she was told."""
    actor = staff_member(request)
    # A POST logs what it records (the contact and the notice), not a look at the page.
    read = selectors.notice_page_for_change if request.method == "POST" else selectors.notice_get_for_user
    page = read(user=actor, case_id=case_id, notice_id=notice_id)
    can_mark = permissions.can_mark_told(actor) and page.notice.told_at is None
    form = ToldForm(
        request.POST if request.method == "POST" else None,
        safe_contacts=[page.safe_contact] if page.safe_contact else None,
    )
    if request.method == "POST":
        if not permissions.can_mark_told(actor):
            raise Http404
        if form.is_valid():
            try:
                services.victim_told(
                    actor=actor,
                    notice=page.notice,
                    told_at=form.told_at(),
                    method=form.cleaned_data["method"],
                    note=form.cleaned_data.get("note", ""),
                    **form.guardrail_values(),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Recorded: the victim has been told, and the contact logged")
                return redirect("advocacy:key_events", case_id=case_id)
    if request.method == "POST":
        # Refused: the page is shown again with the notice and her preferences; log that once.
        selectors.notice_shown(user=actor, page=page)
    return _page(
        request,
        actor,
        page.case,
        "advocacy/notice.html",
        "key_events",
        page=page,
        form=form if can_mark or form.is_bound else None,
        safe_contacts=[page.safe_contact] if page.safe_contact else None,
    )


# --- feedback ----------------------------------------------------------------------------------------------------


@staff_required
def feedback(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    page = selectors.feedback_for_user(user=actor, case_id=case_id)
    can_record = permissions.can_work(actor, Area.FEEDBACK)
    open_victims = [row.victim for row in page.rows if row.open]
    form = None
    if can_record and open_victims:
        initial: dict[str, Any] = {}
        existing = next((row.feedback for row in page.rows if row.open and row.feedback), None)
        if existing is not None and len(open_victims) == 1:
            initial = {
                name: getattr(existing, name)
                for name in (
                    "collected_on",
                    "declined",
                    "feels_safer",
                    "felt_informed",
                    "coping",
                    "overall_satisfaction",
                    "comments",
                )
            }
        form = FeedbackForm(request.POST or None, victims=open_victims, initial=initial)
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                services.feedback_record(
                    actor=actor, case=page.case, data=form.feedback_input(), person_id=form.person_id()
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Feedback recorded")
                return redirect("advocacy:feedback", case_id=case_id)
    return _page(
        request,
        actor,
        page.case,
        "advocacy/feedback.html",
        "feedback",
        page=page,
        form=form,
        can_see_summary=permissions.can_see_feedback_summary(actor),
    )


@staff_required
def feedback_summary(request: HttpRequest) -> HttpResponse:
    """Counts of the closing questionnaire's answers for the partnership: reporting's view."""
    actor = staff_member(request)
    start = _date_param(request.GET.get("from"))
    end = _date_param(request.GET.get("to"))
    summary = selectors.feedback_summary_for_user(user=actor, start=start, end=end)
    return render(request, "advocacy/feedback_summary.html", {"summary": summary})


def _date_param(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- settings --------------------------------------------------------------------------------------------------------


@staff_required
def settings_page(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    page = selectors.settings_for_admin(user=actor)
    action = request.POST.get("action") if request.method == "POST" else None
    settings_form = SettingsForm(
        request.POST if action == "settings" else None,
        initial={
            "tell_victim_within_hours": page.settings.tell_victim_within_hours,
            "review_reminder_days": page.settings.review_reminder_days,
        },
        prefix="settings",
    )
    lead_form = LeadForm(request.POST if action == "add_lead" else None, staff=page.staff, prefix="lead")
    if action == "settings" and settings_form.is_valid():
        try:
            services.settings_update(actor=actor, **settings_form.cleaned_data)
        except ValidationError as exc:
            apply_errors(settings_form, exc)
        else:
            messages.success(request, "Advocacy settings saved")
            return redirect("advocacy:settings")
    elif action == "add_lead" and lead_form.is_valid():
        user = lead_form.cleaned_data["user"]
        try:
            services.lead_add(actor=actor, agency=_agency_of(user, page.agencies), user=user)
        except ValidationError as exc:
            apply_errors(lead_form, exc)
        else:
            messages.success(request, f"{user.get_full_name() or user.email} is now a lead")
            return redirect("advocacy:settings")
    elif action == "remove_lead":
        try:
            services.lead_remove(actor=actor, lead_id=int(request.POST.get("lead", "0") or 0))
        except ValueError:
            raise Http404 from None
        messages.success(request, "Lead removed")
        return redirect("advocacy:settings")
    return render(
        request,
        "advocacy/settings.html",
        {
            "page": page,
            "settings_form": settings_form,
            "lead_form": lead_form,
            "summary_errors": summary_errors(settings_form, lead_form),
        },
    )


def _agency_of(user: User, agencies: list[Agency]) -> Agency:
    agency = next((a for a in agencies if a.pk == user.agency_id), None)
    if agency is None:
        raise Http404
    return agency
