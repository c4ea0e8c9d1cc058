"""Meeting pages: the list, scheduling, the agenda builder and attendance, running the meeting,
the minutes (on screen and PDF), the action lists and one action, and the case's meetings.

Thin: parse input, call a selector or a service, render. Scope comes from the selectors
(404 outside it). The agenda builder and the meeting page update in place with htmx and
work the same without JavaScript: every form posts to a real URL that redirects back (or
re-renders the page with the errors) when the request is not an htmx one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from agencies.models import User
from agencies.selectors import agencies_of_partnership, partnership_uses_tiers
from agencies.staff import staff_member, staff_required
from cases.forms import apply_errors
from masip.concurrency import CONFLICT_MESSAGE, EditConflict
from masip.forms import GovukForm, summary_errors
from triage import permissions, selectors, services
from triage.forms import (
    ActionCancelForm,
    ActionCompleteForm,
    ActionForm,
    ActionRescheduleForm,
    AgendaProposalsForm,
    AgendaReferenceForm,
    AttendanceForm,
    DecisionForm,
    HearingForm,
    MeetingForm,
    ShareForm,
    WatchEndForm,
    WatchForm,
)
from triage.models import ActionStatus, Meeting, MeetingKind

# --- helpers ------------------------------------------------------------------------------------------------------


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _service_errors(form: forms.Form, call: Callable[[], Any]) -> Any:
    """Run a service; its field errors go on the form (refusals of role too). None when it failed."""
    try:
        return call()
    except ValidationError as exc:
        apply_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or "You cannot do that")
    return None


def _manager_meeting(actor: User, meeting_id: int) -> Meeting:
    """A meeting the actor may run, or 404 (staff who may not run it never see its forms)."""
    meeting = selectors.meeting_get_for_user(user=actor, meeting_id=meeting_id)
    if not permissions.can_manage(actor, meeting):
        raise Http404
    return meeting


# --- the list and scheduling --------------------------------------------------------------------------------------


@staff_required
@require_GET
def meetings(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    found = selectors.meeting_list_for_user(user=actor)
    return render(
        request,
        "triage/meetings.html",
        {"upcoming": found.upcoming, "past": found.past, "can_schedule": permissions.can_schedule(actor)},
    )


def _schedulable_kinds(actor: User) -> list[str]:
    return [k for k in MeetingKind.values if permissions.can_schedule(actor, k)]


def _warn_clashes(request: HttpRequest, actor: User, meeting: Meeting) -> None:
    """A warning, not a refusal: two meetings at once can be meant (different rooms and chairs)."""
    clashes = selectors.meeting_clashes(user=actor, meeting=meeting)
    if clashes:
        messages.warning(
            request, "It clashes with " + "; ".join(str(m) for m in clashes) + ". Check the time if that was not meant."
        )


@staff_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    kinds = _schedulable_kinds(actor)
    if not kinds:
        raise Http404
    staff = list(selectors.partnership_staff(user=actor))
    initial = {"kind": kinds[0], "time": "09:30", "chair": str(actor.pk), "day": timezone.localdate()}
    form = MeetingForm(request.POST or None, staff=staff, kinds=kinds, initial=initial)
    if request.method == "POST" and form.is_valid():
        meeting = _service_errors(
            form,
            lambda: services.meeting_create(
                actor=actor,
                kind=form.cleaned_data["kind"],
                starts_at=form.starts_at(),
                chair_id=form.chair_id(),
                location=form.cleaned_data["location"],
            ),
        )
        if meeting is not None:
            messages.success(request, f"{meeting} scheduled: now build its agenda")
            _warn_clashes(request, actor, meeting)
            return redirect("triage:meeting_detail", meeting_id=meeting.pk)
    return render(
        request,
        "triage/meeting_form.html",
        {
            "form": form,
            "title": "Schedule a meeting",
            "button": "Schedule meeting",
            "summary_errors": summary_errors(form),
        },
    )


@staff_required
def meeting_edit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    actor = staff_member(request)
    meeting = _manager_meeting(actor, meeting_id)
    if not meeting.is_open:
        raise Http404
    local = timezone.localtime(meeting.starts_at)
    initial = {
        "day": local.date(),
        "time": f"{local:%H:%M}",
        "chair": str(meeting.chair_id or ""),
        "location": meeting.location,
    }
    staff = list(selectors.meeting_staff(meeting=meeting))
    form = MeetingForm(request.POST or None, staff=staff, initial=initial)
    if request.method == "POST" and form.is_valid():
        updated = _service_errors(
            form,
            lambda: services.meeting_update(
                actor=actor,
                meeting=meeting,
                starts_at=form.starts_at(),
                chair_id=form.chair_id(),
                location=form.cleaned_data["location"],
            ),
        )
        if updated is not None:
            messages.success(request, "Meeting details saved")
            _warn_clashes(request, actor, updated)
            return redirect("triage:meeting_detail", meeting_id=meeting.pk)
    return render(
        request,
        "triage/meeting_form.html",
        {
            "form": form,
            "meeting": meeting,
            "title": f"Change the {meeting.get_kind_display().lower()}",
            "button": "Save",
            "summary_errors": summary_errors(form),
        },
    )


# --- the meeting: agenda builder and attendance -------------------------------------------------------------------


def _attendance_form(actor: User, meeting: Meeting, data: Any = None) -> AttendanceForm:
    return AttendanceForm(
        data,
        prefix="attendance",
        agencies=agencies_of_partnership(partnership_id=meeting.partnership_id),
        staff=selectors.meeting_staff(meeting=meeting),
    )


def _builder_context(
    request: HttpRequest,
    actor: User,
    meeting_id: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    after_change: bool = False,
) -> dict[str, Any]:
    """``after_change``: the answer to a write its service has logged, so the redraw logs no view."""
    bound = bound or {}
    read = selectors.meeting_builder_after_change if after_change else selectors.meeting_builder_for_user
    builder = read(user=actor, meeting_id=meeting_id)
    detail, proposals, manage = builder.detail, builder.proposals, builder.manage
    meeting = detail.meeting
    hearing = {"hearing": services.default_hearing(meeting)}
    proposals_form = bound.get("proposals") or AgendaProposalsForm(
        prefix="proposals", case_ids=[p.case.pk for p in proposals], initial=hearing
    )
    chosen = {str(v) for v in (proposals_form["cases"].value() or [])} if proposals_form.is_bound else set()
    context = {
        "detail": detail,
        "meeting": meeting,
        "manage": manage,
        "proposals": proposals,
        "proposals_form": proposals_form,
        "chosen": chosen,
        "reference_form": bound.get("reference") or AgendaReferenceForm(prefix="reference", initial=hearing),
        "agenda_error": bound.get("agenda_error"),
        "attendance_error": bound.get("attendance_error"),
        "attendance_form": (bound.get("attendance") or _attendance_form(actor, meeting)) if manage else None,
        "summary_errors": summary_errors(*[f for f in bound.values() if isinstance(f, GovukForm)]),
    }
    return context


@staff_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    actor = staff_member(request)
    return render(request, "triage/meeting_detail.html", _builder_context(request, actor, meeting_id))


def _builder_answer(
    request: HttpRequest,
    actor: User,
    meeting: Meeting,
    *,
    region: str,
    ok: str = "",
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    """After a builder POST: the region's fragment for htmx, otherwise a redirect (or the page with errors)."""
    bound = bound or {}
    failed = any(
        (isinstance(f, GovukForm) and f.errors) or (not isinstance(f, GovukForm) and f) for f in bound.values()
    )
    if _htmx(request):
        # A refused write shows its form again, and that view is logged; a done one logged its write.
        context = _builder_context(request, actor, meeting.pk, bound=bound if failed else None, after_change=not failed)
        context.update({"fragment": True, "done": "" if failed else ok})
        template = "triage/_agenda.html" if region == "agenda" else "triage/_attendance.html"
        return render(request, template, context)
    if failed:
        return render(request, "triage/meeting_detail.html", _builder_context(request, actor, meeting.pk, bound=bound))
    if ok:
        messages.success(request, ok)
    return HttpResponseRedirect(reverse("triage:meeting_detail", args=[meeting.pk]))


@staff_required
@require_POST
def agenda_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """Add the builder's chosen proposals (checkboxes) or one case by its reference."""
    actor = staff_member(request)
    meeting = _manager_meeting(actor, meeting_id)
    if "reference-reference" in request.POST:
        form: forms.Form = AgendaReferenceForm(request.POST, prefix="reference")
        if form.is_valid():
            case_id = form.cleaned_data["reference"]
            try:
                item = services.agenda_add(
                    actor=actor, meeting=meeting, case_id=case_id, hearing=form.cleaned_data.get("hearing") or ""
                )
            except Http404:
                form.add_error("reference", "There is no case with this reference that you can see")
            except ValidationError as exc:
                # The service speaks of "case": on this form that is the reference box.
                renamed = {("reference" if key == "case" else key): msgs for key, msgs in exc.message_dict.items()}
                apply_errors(form, ValidationError(renamed))
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                return _builder_answer(
                    request, actor, meeting, region="agenda", ok=f"Case {item.case.reference} added to the agenda"
                )
        return _builder_answer(request, actor, meeting, region="agenda", bound={"reference": form})
    proposals = selectors.agenda_proposals_for_user(user=actor, meeting=meeting)
    form = AgendaProposalsForm(request.POST, prefix="proposals", case_ids=[p.case.pk for p in proposals])
    if form.is_valid():
        added = _service_errors(
            form,
            lambda: services.agenda_add_proposed(
                actor=actor,
                meeting=meeting,
                case_ids=form.cleaned_data["cases"],
                hearing=form.cleaned_data.get("hearing") or "",
            ),
        )
        if added is not None:
            noun = "case" if len(added) == 1 else "cases"
            return _builder_answer(
                request, actor, meeting, region="agenda", ok=f"{len(added)} {noun} added to the agenda"
            )
    return _builder_answer(request, actor, meeting, region="agenda", bound={"proposals": form})


@staff_required
@require_POST
def agenda_item_move(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    actor = staff_member(request)
    meeting = _manager_meeting(actor, meeting_id)
    item = selectors.agenda_item_get_for_user(user=actor, meeting_id=meeting.pk, item_id=item_id)
    direction = request.POST.get("direction", "")
    try:
        services.agenda_move(actor=actor, meeting=meeting, item_id=item.pk, direction=direction)
    except ValidationError as exc:
        return _builder_answer(request, actor, meeting, region="agenda", bound={"agenda_error": " ".join(exc.messages)})
    where = "up" if direction == "up" else "down"
    return _builder_answer(request, actor, meeting, region="agenda", ok=f"Case {item.case.reference} moved {where}")


@staff_required
@require_POST
def agenda_item_hearing(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    actor = staff_member(request)
    meeting = _manager_meeting(actor, meeting_id)
    item = selectors.agenda_item_get_for_user(user=actor, meeting_id=meeting.pk, item_id=item_id)
    form = HearingForm(request.POST, prefix=f"hearing-{item.pk}")
    if form.is_valid():
        try:
            changed = _service_errors(
                form,
                lambda: services.agenda_set_hearing(
                    actor=actor,
                    meeting=meeting,
                    item_id=item.pk,
                    hearing=form.cleaned_data["hearing"],
                    expected_version=form.expected_version(),
                ),
            )
        except EditConflict:
            # The agenda is drawn again as it now is, with the other person's choice.
            return _builder_answer(request, actor, meeting, region="agenda", bound={"agenda_error": CONFLICT_MESSAGE})
        if changed is not None:
            ok = f"Case {item.case.reference} will be heard {changed.get_hearing_display().lower()}"
            return _builder_answer(request, actor, meeting, region="agenda", ok=ok)
    return _builder_answer(
        request,
        actor,
        meeting,
        region="agenda",
        bound={"agenda_error": " ".join(str(e) for e in form.errors.get("hearing", []))},
    )


@staff_required
@require_POST
def agenda_item_remove(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    actor = staff_member(request)
    meeting = _manager_meeting(actor, meeting_id)
    item = selectors.agenda_item_get_for_user(user=actor, meeting_id=meeting.pk, item_id=item_id)
    try:
        services.agenda_remove(actor=actor, meeting=meeting, item_id=item.pk)
    except ValidationError as exc:
        return _builder_answer(request, actor, meeting, region="agenda", bound={"agenda_error": " ".join(exc.messages)})
    return _builder_answer(
        request, actor, meeting, region="agenda", ok=f"Case {item.case.reference} taken off the agenda"
    )


@staff_required
@require_POST
def attendance_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    actor = staff_member(request)
    meeting = _manager_meeting(actor, meeting_id)
    form = _attendance_form(actor, meeting, request.POST)
    if form.is_valid():
        added = _service_errors(form, lambda: services.attendance_add(actor=actor, meeting=meeting, **form.values()))
        if added is not None:
            return _builder_answer(request, actor, meeting, region="attendance", ok=f"{added.agency.name} recorded")
    return _builder_answer(request, actor, meeting, region="attendance", bound={"attendance": form})


@staff_required
@require_POST
def attendance_remove(request: HttpRequest, meeting_id: int, attendance_id: int) -> HttpResponse:
    actor = staff_member(request)
    meeting = _manager_meeting(actor, meeting_id)
    try:
        services.attendance_remove(actor=actor, meeting=meeting, attendance_id=attendance_id)
    except ValidationError as exc:
        return _builder_answer(
            request, actor, meeting, region="attendance", bound={"attendance_error": " ".join(exc.messages)}
        )
    return _builder_answer(request, actor, meeting, region="attendance", ok="Attendance removed")


# --- running the meeting ------------------------------------------------------------------------------------------


class _RunForms:
    """The forms of one agenda item on the meeting page, bound where a POST failed."""

    def __init__(
        self, actor: User, detail: selectors.MeetingDetail, staff: list[User], agencies: list[Any], uses_tiers: bool
    ) -> None:
        self.actor, self.detail, self.staff, self.agencies = actor, detail, staff, agencies
        self.uses_tiers = uses_tiers

    def share(self, view: selectors.ItemView, data: Any = None) -> ShareForm | None:
        meeting = self.detail.meeting
        if not (self.detail.can_contribute and meeting.is_open):
            return None
        return ShareForm(
            data,
            prefix=f"item-{view.pk}-share",
            visible_classes=self.detail.visible_classes,
            agencies=self.agencies if self.detail.can_manage else None,
            own_agency=self.actor.agency,
        )

    def decision(self, view: selectors.ItemView, data: Any = None) -> DecisionForm | None:
        meeting = self.detail.meeting
        if not (self.detail.can_manage and meeting.is_open) or view.decision is not None:
            return None
        return DecisionForm(
            data,
            prefix=f"item-{view.pk}-decision",
            outcomes=services.allowed_outcomes(view.case),
            clinic=meeting.kind == MeetingKind.CLINIC,
            uses_tiers=self.uses_tiers,
        )

    def action(self, view: selectors.ItemView, data: Any = None) -> ActionForm | None:
        meeting = self.detail.meeting
        if not (self.detail.can_manage and meeting.is_open):
            return None
        return ActionForm(
            data, prefix=f"item-{view.pk}-action", staff=self.staff, visible_classes=self.detail.visible_classes
        )


def _run_forms(actor: User, detail: selectors.MeetingDetail) -> _RunForms:
    meeting = detail.meeting
    staff = list(selectors.meeting_staff(meeting=meeting)) if detail.can_manage and meeting.is_open else []
    agencies = list(agencies_of_partnership(partnership_id=meeting.partnership_id)) if detail.can_manage else []
    uses_tiers = partnership_uses_tiers(partnership_id=meeting.partnership_id)
    return _RunForms(actor, detail, staff, agencies, uses_tiers)


def _item_context(
    forms_: _RunForms, view: selectors.ItemView, bound: dict[str, forms.Form] | None = None
) -> dict[str, Any]:
    bound = bound or {}
    share_form = bound.get("share") or forms_.share(view)
    decision_form = bound.get("decision") or forms_.decision(view)
    action_form = bound.get("action") or forms_.action(view)
    return {
        "view": view,
        "share_form": share_form,
        "decision_form": decision_form,
        "action_form": action_form,
        "uses_tiers": forms_.uses_tiers,
        "item_errors": summary_errors(*bound.values()),
    }


def _render_run(
    request: HttpRequest,
    actor: User,
    meeting_id: int,
    *,
    bound_item: int | None = None,
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    detail = selectors.meeting_detail_for_user(user=actor, meeting_id=meeting_id)
    forms_ = _run_forms(actor, detail)
    items = [_item_context(forms_, view, bound if view.pk == bound_item else None) for view in detail.items]
    return render(
        request,
        "triage/meeting_run.html",
        {
            "detail": detail,
            "meeting": detail.meeting,
            "items": items,
            "summary_errors": [e for item in items for e in item["item_errors"]],
        },
    )


@staff_required
def meeting_run(request: HttpRequest, meeting_id: int) -> HttpResponse:
    actor = staff_member(request)
    return _render_run(request, actor, meeting_id)


def _item_answer(
    request: HttpRequest,
    actor: User,
    meeting_id: int,
    item_id: int,
    *,
    ok: str = "",
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    """After a POST on one item: the item's fragment for htmx; otherwise a redirect or the page with errors."""
    failed = bool(bound) and any(f.errors for f in (bound or {}).values())
    if _htmx(request):
        read = selectors.meeting_item_for_user if failed else selectors.meeting_item_after_change
        detail, view = read(user=actor, meeting_id=meeting_id, item_id=item_id)
        forms_ = _run_forms(actor, detail)
        context = _item_context(forms_, view, bound if failed else None)
        context.update({"detail": detail, "meeting": detail.meeting, "fragment": True, "done": "" if failed else ok})
        return render(request, "triage/_item_response.html", context)
    if failed:
        return _render_run(request, actor, meeting_id, bound_item=item_id, bound=bound)
    if ok:
        messages.success(request, ok)
    return HttpResponseRedirect(reverse("triage:meeting_run", args=[meeting_id]) + f"#item-{item_id}")


@staff_required
@require_POST
def share_add(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    actor = staff_member(request)
    item = selectors.agenda_item_get_for_user(user=actor, meeting_id=meeting_id, item_id=item_id)
    meeting = item.meeting
    if not permissions.can_contribute(actor, meeting):
        raise Http404
    manage = permissions.can_manage(actor, meeting)
    form = ShareForm(
        request.POST,
        prefix=f"item-{item.pk}-share",
        visible_classes=selectors.form_record_classes(user=actor),
        agencies=agencies_of_partnership(partnership_id=meeting.partnership_id) if manage else None,
    )
    if form.is_valid():
        share = _service_errors(
            form,
            lambda: services.information_share_record(
                actor=actor,
                item=item,
                text=form.cleaned_data["text"],
                record_class=form.cleaned_data["record_class"],
                agency_id=form.agency_id() if manage else None,
            ),
        )
        if share is not None:
            return _item_answer(
                request, actor, meeting_id, item.pk, ok=f"Information from {share.agency.name} recorded"
            )
    return _item_answer(request, actor, meeting_id, item.pk, bound={"share": form})


@staff_required
@require_POST
def decision_add(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    actor = staff_member(request)
    item = selectors.agenda_item_get_for_user(user=actor, meeting_id=meeting_id, item_id=item_id)
    meeting = item.meeting
    if not permissions.can_manage(actor, meeting):
        raise Http404
    form = DecisionForm(
        request.POST,
        prefix=f"item-{item.pk}-decision",
        outcomes=services.allowed_outcomes(item.case),
        clinic=meeting.kind == MeetingKind.CLINIC,
        uses_tiers=partnership_uses_tiers(partnership_id=meeting.partnership_id),
    )
    if form.is_valid():
        decision = _service_errors(
            form, lambda: services.decision_record(actor=actor, item=item, data=form.decision_input())
        )
        if decision is not None:
            ok = f"Case {item.case.reference}: {decision.get_outcome_display().lower()}"
            if decision.tier:
                ok += f", tier {decision.tier}"
            return _item_answer(request, actor, meeting_id, item.pk, ok=ok)
    return _item_answer(request, actor, meeting_id, item.pk, bound={"decision": form})


@staff_required
@require_POST
def action_add(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    actor = staff_member(request)
    item = selectors.agenda_item_get_for_user(user=actor, meeting_id=meeting_id, item_id=item_id)
    meeting = item.meeting
    if not permissions.can_manage(actor, meeting):
        raise Http404
    form = ActionForm(
        request.POST,
        prefix=f"item-{item.pk}-action",
        staff=selectors.meeting_staff(meeting=meeting),
        visible_classes=selectors.form_record_classes(user=actor),
    )
    if form.is_valid():
        action = _service_errors(form, lambda: services.action_create(actor=actor, item=item, data=form.action_input()))
        if action is not None:
            owner = action.owner.get_full_name() or action.owner.email
            return _item_answer(
                request, actor, meeting_id, item.pk, ok=f"Action for {owner} ({action.owner_agency.name}) recorded"
            )
    return _item_answer(request, actor, meeting_id, item.pk, bound={"action": form})


@staff_required
@require_POST
def meeting_start(request: HttpRequest, meeting_id: int) -> HttpResponse:
    actor = staff_member(request)
    meeting = _manager_meeting(actor, meeting_id)
    try:
        services.meeting_start(actor=actor, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The meeting has started")
    return redirect("triage:meeting_run", meeting_id=meeting.pk)


@staff_required
@require_POST
def meeting_conclude(request: HttpRequest, meeting_id: int) -> HttpResponse:
    actor = staff_member(request)
    meeting = _manager_meeting(actor, meeting_id)
    undecided = selectors.undecided_references(user=actor, meeting=meeting)
    if undecided and request.POST.get("confirm") != "yes" and meeting.is_open:
        # Concluding is final for this meeting: say which cases would go undecided first.
        return render(request, "triage/meeting_conclude_confirm.html", {"meeting": meeting, "undecided": undecided})
    try:
        services.meeting_conclude(actor=actor, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("triage:meeting_run", meeting_id=meeting.pk)
    messages.success(request, "The meeting has concluded. Its minutes are below.")
    return redirect("triage:minutes", meeting_id=meeting.pk)


# --- minutes ------------------------------------------------------------------------------------------------------


def _minutes_context(detail: selectors.MeetingDetail, actor: User) -> dict[str, Any]:
    return {
        "detail": detail,
        "meeting": detail.meeting,
        "reader": actor,
        "generated_at": timezone.localtime(),
        "label": services.meeting_label(detail.meeting),
    }


@staff_required
@require_GET
def minutes(request: HttpRequest, meeting_id: int) -> HttpResponse:
    actor = staff_member(request)
    context = _minutes_context(selectors.minutes_for_user(user=actor, meeting_id=meeting_id), actor)
    return render(request, "triage/minutes.html", context)


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError("The minutes fetch nothing")


@staff_required
@require_GET
def minutes_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The minutes as this reader may see them, as a PDF. The export is logged against every case in it."""
    from weasyprint import HTML

    actor = staff_member(request)
    context = _minutes_context(selectors.minutes_export_for_user(user=actor, meeting_id=meeting_id), actor)
    meeting = context["meeting"]
    html = render_to_string("triage/minutes_pdf.html", context, request=request)
    # The minutes are self-contained (styles inline, no images): nothing is fetched while rendering,
    # so no text typed into a meeting can make the server request a URL.
    pdf = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    day = timezone.localtime(meeting.starts_at)
    response["Content-Disposition"] = f'attachment; filename="minutes-{meeting.kind}-{day:%Y-%m-%d}-{meeting.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- actions ------------------------------------------------------------------------------------------------------


def _action_list(request: HttpRequest, scope: str) -> HttpResponse:
    actor = staff_member(request)
    status = "closed" if request.GET.get("status") == "closed" else ActionStatus.OPEN
    try:
        # Capped: a page past the last is empty, and a huge one overflows PostgreSQL's OFFSET.
        page_number = min(max(int(request.GET.get("page", "1")), 1), 1_000_000)
    except ValueError:
        page_number = 1
    page = selectors.action_list_for_user(user=actor, scope=scope, status=status, page=page_number)
    mine = scope == selectors.ActionScope.MINE
    return render(
        request,
        "triage/actions.html",
        {
            "page": page,
            "status": status,
            "scope": scope,
            "title": "My actions" if mine else f"{actor.agency.name if actor.agency else 'Agency'} actions",
            "show_owner": not mine,
            "list_url": reverse("triage:my_actions" if mine else "triage:agency_actions"),
        },
    )


@staff_required
@require_GET
def my_actions(request: HttpRequest) -> HttpResponse:
    return _action_list(request, selectors.ActionScope.MINE)


@staff_required
@require_GET
def agency_actions(request: HttpRequest) -> HttpResponse:
    return _action_list(request, selectors.ActionScope.AGENCY)


@staff_required
def action_detail(request: HttpRequest, action_id: int) -> HttpResponse:
    actor = staff_member(request)
    action = selectors.action_get_for_user(user=actor, action_id=action_id)
    can_update = permissions.can_update_action(actor, action)
    posted = request.POST.get("do") if request.method == "POST" else None
    if posted and not can_update:
        raise Http404
    complete_form = ActionCompleteForm(request.POST if posted == "complete" else None, prefix="complete")
    cancel_form = ActionCancelForm(request.POST if posted == "cancel" else None, prefix="cancel")
    reschedule_form = ActionRescheduleForm(
        request.POST if posted == "reschedule" else None, prefix="reschedule", initial={"due_on": action.due_on}
    )
    done: Any = None
    if posted == "complete" and complete_form.is_valid():
        done = _service_errors(
            complete_form,
            lambda: services.action_complete(actor=actor, action=action, note=complete_form.cleaned_data["note"]),
        )
        message = "Action marked as done"
    elif posted == "cancel" and cancel_form.is_valid():
        done = _service_errors(
            cancel_form,
            lambda: services.action_cancel(actor=actor, action=action, reason=cancel_form.cleaned_data["note"]),
        )
        message = "Action cancelled"
    elif posted == "reschedule" and reschedule_form.is_valid():
        done = _service_errors(
            reschedule_form,
            lambda: services.action_reschedule(
                actor=actor, action=action, due_on=reschedule_form.cleaned_data["due_on"]
            ),
        )
        message = "New due date saved"
    if done is not None:
        messages.success(request, message)
        return redirect("triage:action_detail", action_id=action.pk)
    # The page shows the action: its read logs the look (scope was checked above, before any write).
    action = selectors.action_detail_for_user(user=actor, action_id=action.pk)
    today = timezone.localdate()
    return render(
        request,
        "triage/action_detail.html",
        {
            "action": action,
            "can_update": can_update,
            "overdue": action.status == ActionStatus.OPEN and action.due_on < today,
            "complete_form": complete_form,
            "cancel_form": cancel_form,
            "reschedule_form": reschedule_form,
            "open_form": posted or "",
            "summary_errors": summary_errors(complete_form, cancel_form, reschedule_form),
        },
    )


# --- the case's meetings ------------------------------------------------------------------------------------------


@staff_required
@require_GET
def case_meetings(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    found = selectors.case_meetings_for_user(user=actor, case_id=case_id)
    return render(
        request,
        "triage/case_meetings.html",
        {
            "case": found.case,
            "detail": found.identity,
            "case_section": "meetings",
            "hearings": found.hearings,
            "today": timezone.localdate(),
        },
    )


# --- the watch list ---------------------------------------------------------------------------------------------


@staff_required
@require_GET
def watch_list(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    rows = selectors.watch_list_for_user(user=actor)
    return render(request, "triage/watch_list.html", {"rows": rows, "today": timezone.localdate()})


def _watch_page(request: HttpRequest, case: Any, form: forms.Form, *, title: str, button: str) -> HttpResponse:
    return render(
        request,
        "triage/watch_form.html",
        {"case": case, "form": form, "title": title, "button": button, "summary_errors": summary_errors(form)},
    )


@staff_required
def case_watch(request: HttpRequest, case_id: int) -> HttpResponse:
    """Put a declined domestic-abuse case on the watch list, or move its review date."""
    actor = staff_member(request)
    if not permissions.can_watch(actor):
        raise Http404
    purpose, posted = "Watch list: start or change a watch", request.method == "POST"
    found = selectors.case_watch_for_user(user=actor, case_id=case_id, purpose=purpose, log=not posted)
    watch = found.watch
    initial = {"review_on": watch.review_on, "reason": watch.reason} if watch else {}
    form = WatchForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if watch is None:
                services.watch_start(actor=actor, case=found.case, **form.cleaned_data)
            else:
                services.watch_reschedule(actor=actor, watch=watch, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Watch list updated" if watch else "Case put on the watch list")
            return redirect("cases:case_detail", case_id=found.case.pk)
    if posted:
        selectors.case_watch_shown(user=actor, found=found, purpose=purpose)
    if watch is None:
        return _watch_page(request, found.case, form, title="Put the case on the watch list", button="Watch case")
    return _watch_page(request, found.case, form, title="Change the watch", button="Save")


@staff_required
def case_watch_end(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = staff_member(request)
    if not permissions.can_watch(actor):
        raise Http404
    purpose, posted = "Watch list: end a watch", request.method == "POST"
    found = selectors.case_watch_for_user(user=actor, case_id=case_id, purpose=purpose, watched=True, log=not posted)
    assert found.watch is not None  # watched=True: the read answers 404 otherwise
    form = WatchEndForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.watch_end(actor=actor, watch=found.watch, reason=form.cleaned_data["end_reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Case taken off the watch list")
            return redirect("cases:case_detail", case_id=found.case.pk)
    if posted:
        selectors.case_watch_shown(user=actor, found=found, purpose=purpose)
    return _watch_page(request, found.case, form, title="End the watch", button="End watch")
