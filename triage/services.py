"""Every write about meetings, agendas, decisions and actions. One transaction per call.

A decision is the heart of it: ``decision_record`` puts a referred case forward, moves it
through cases.services.case_transition (accepted or declined, with the reason), records
the tier, clinic hearing and stalker type through cases.services.case_record_triage_outcome,
the SASH level of concern through risk.services.sash_record, and the actions agreed, all in
one transaction: if any step fails, the case is left exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, RecordClass, User
from agencies.selectors import partnership_uses_tiers, record_classes_for_agency_kind
from audit.models import AccessAction
from audit.services import access_record
from cases import permissions as case_permissions
from cases import services as case_services
from cases.models import DECLINE_REASONS, FINISHED_STATUSES, Case, CaseStatus, StalkerType
from cases.selectors import case_get_for_user, case_queryset_for_user
from masip.concurrency import check_version, version_of
from triage import permissions
from triage.models import (
    Action,
    ActionStatus,
    AgendaItem,
    AgendaSource,
    Attendance,
    AttendanceStatus,
    Consensus,
    Hearing,
    InformationShare,
    Meeting,
    MeetingDecision,
    MeetingKind,
    MeetingStatus,
    Outcome,
    SashLevel,
    Watch,
)

logger = logging.getLogger(__name__)

MAX_TEXT = 20_000
# Statuses from which a meeting may accept or decline a case (a referred or reopened case is
# first put forward for triage, in the same transaction).
DECIDABLE = (CaseStatus.REFERRED, CaseStatus.AWAITING_TRIAGE, CaseStatus.REOPENED)
# Statuses in which a meeting reviews a case already taken on.
REVIEWABLE = (CaseStatus.ACCEPTED, CaseStatus.ACTIVE, CaseStatus.MONITORING)
# A case in these statuses has nothing for a meeting to decide.


# --- helpers ---------------------------------------------------------------------------------------------------


def _lock_meeting(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def _require_partnership(actor: User, meeting: Meeting) -> None:
    if not permissions.in_partnership(actor, meeting):
        raise Http404


def _require_manager(actor: User, meeting: Meeting, field: str = "__all__") -> None:
    _require_partnership(actor, meeting)
    if not permissions.can_manage(actor, meeting):
        raise PermissionDenied(f"Your role cannot run a {meeting.get_kind_display().lower()}")


def _require_open(meeting: Meeting, field: str = "__all__") -> None:
    if meeting.status == MeetingStatus.CONCLUDED:
        raise ValidationError({field: "This meeting has concluded: it can no longer be changed"})


def _meeting_day(meeting: Meeting) -> dt.date:
    return timezone.localtime(meeting.starts_at).date()


def meeting_label(meeting: Meeting) -> str:
    return f"{meeting.get_kind_display()} of {_meeting_day(meeting):%-d %B %Y}"


def _staff_of_partnership(partnership_id: int, user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = (
        User.objects.filter(pk=user_id, agency__partnership_id=partnership_id, is_active=True)
        .select_related("agency")
        .first()
    )
    if user is None:
        raise ValidationError({field: "Choose a member of staff of this partnership"})
    return user


def _check_text(value: str, field: str, *, required: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: required})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: f"Keep it to {MAX_TEXT:,} characters or fewer"})
    return value


# --- meetings ----------------------------------------------------------------------------------------------------

# How far from today a meeting can be: a meeting recorded afterwards from its minutes,
# or scheduled for the coming year or so. A year 16 or 6782 is a typing slip.
MEETING_YEARS_BACK = 2
MEETING_YEARS_AHEAD = 3


def _check_meeting_time(starts_at: dt.datetime) -> dt.datetime:
    today = timezone.localdate()
    if starts_at.date() < today.replace(year=today.year - MEETING_YEARS_BACK, day=min(today.day, 28)):
        raise ValidationError({"starts_at": f"A meeting cannot be more than {MEETING_YEARS_BACK} years ago"})
    if starts_at.date() > today.replace(year=today.year + MEETING_YEARS_AHEAD, day=min(today.day, 28)):
        raise ValidationError({"starts_at": f"A meeting cannot be more than {MEETING_YEARS_AHEAD} years ahead"})
    return starts_at


@transaction.atomic
def meeting_create(
    *, actor: User, kind: str, starts_at: dt.datetime, chair_id: int | None = None, location: str = ""
) -> Meeting:
    if not case_permissions.is_staff_member(actor):
        raise Http404
    if kind not in MeetingKind.values:
        raise ValidationError({"kind": "Choose a triage meeting or a stalking clinic"})
    if not permissions.can_schedule(actor, kind):
        raise ValidationError({"kind": f"Your role cannot schedule a {MeetingKind(kind).label.lower()}"})
    assert actor.agency is not None
    partnership_id = actor.agency.partnership_id
    chair = _staff_of_partnership(partnership_id, chair_id, "chair")
    meeting = Meeting.objects.create(
        partnership_id=partnership_id,
        kind=kind,
        starts_at=_check_meeting_time(starts_at),
        chair=chair,
        location=_check_text(location, "location")[:200],
        created_by=actor,
    )
    access_record(user=actor, action=AccessAction.CREATE, record_type="triage.meeting", record_ids=[meeting.pk])
    return meeting


@transaction.atomic
def meeting_update(
    *, actor: User, meeting: Meeting, starts_at: dt.datetime, chair_id: int | None = None, location: str = ""
) -> Meeting:
    _require_manager(actor, meeting)
    locked = _lock_meeting(meeting)
    _require_open(locked, "starts_at")
    _check_meeting_time(starts_at)
    if (
        locked.items.filter(decision__isnull=False).exists()
        and _meeting_day(locked) != timezone.localtime(starts_at).date()
    ):
        raise ValidationError({"starts_at": "Decisions have been recorded on the meeting's day: keep the same day"})
    locked.starts_at = starts_at
    locked.chair = _staff_of_partnership(locked.partnership_id, chair_id, "chair")
    locked.location = _check_text(location, "location")[:200]
    locked.save(update_fields=["starts_at", "chair", "location", "updated_at"])
    access_record(user=actor, action=AccessAction.CHANGE, record_type="triage.meeting", record_ids=[locked.pk])
    return locked


@transaction.atomic
def meeting_start(*, actor: User, meeting: Meeting) -> Meeting:
    _require_manager(actor, meeting)
    locked = _lock_meeting(meeting)
    _require_open(locked)
    if locked.status == MeetingStatus.PLANNED:
        locked.status, locked.started_at = MeetingStatus.IN_PROGRESS, timezone.now()
        locked.save(update_fields=["status", "started_at", "updated_at"])
    return locked


@transaction.atomic
def meeting_conclude(*, actor: User, meeting: Meeting) -> Meeting:
    """Close the meeting. Undecided cases stay as they are and are proposed to the next one."""
    _require_manager(actor, meeting)
    locked = _lock_meeting(meeting)
    _require_open(locked)
    now = timezone.now()
    locked.status, locked.concluded_at = MeetingStatus.CONCLUDED, now
    locked.started_at = locked.started_at or now
    locked.save(update_fields=["status", "started_at", "concluded_at", "updated_at"])
    return locked


# --- attendance ------------------------------------------------------------------------------------------------


@transaction.atomic
def attendance_add(
    *,
    actor: User,
    meeting: Meeting,
    agency_id: int | None,
    person_id: int | None = None,
    name: str = "",
    status: str = AttendanceStatus.PRESENT,
) -> Attendance:
    """An agency at the meeting: with a member of staff, a named guest, or no name."""
    _require_manager(actor, meeting)
    locked = _lock_meeting(meeting)
    _require_open(locked, "agency")
    errors: dict[str, str] = {}
    agency = Agency.objects.filter(pk=agency_id, partnership_id=locked.partnership_id).first() if agency_id else None
    person = _staff_of_partnership(locked.partnership_id, person_id, "person")
    name = _check_text(name, "name")[:200]
    if person is not None and agency is None:
        agency = person.agency
    if agency is None:
        errors["agency"] = "Choose the agency"
    elif person is not None and person.agency_id != agency.pk:
        errors["person"] = f"{person.get_full_name() or person.email} is not in {agency.name}"
    if person is not None and name:
        errors["name"] = "Give a name only for someone without an account"
    if status not in AttendanceStatus.values:
        errors["status"] = "Choose present or sent apologies"
    if person is not None and Attendance.objects.filter(meeting=locked, person=person).exists():
        errors["person"] = "They are already recorded at this meeting"
    if errors:
        raise ValidationError(errors)
    assert agency is not None
    row = Attendance.objects.create(
        meeting=locked, agency=agency, person=person, name=name, status=status, recorded_by=actor
    )
    access_record(
        user=actor,
        action=AccessAction.CREATE,
        record_type="triage.attendance",
        record_ids=[row.pk],
        purpose=f"Attendance at meeting {locked.pk}: {agency.name}",
    )
    return row


@transaction.atomic
def attendance_remove(*, actor: User, meeting: Meeting, attendance_id: int) -> None:
    _require_manager(actor, meeting)
    locked = _lock_meeting(meeting)
    _require_open(locked)
    row = Attendance.objects.filter(meeting=locked, pk=attendance_id).select_related("agency").first()
    if row is None:
        raise Http404
    row.delete()
    # The access log has no "delete": a removal is logged as a change (as a lead's removal is in
    # advocacy), naming the id the removed row had.
    access_record(
        user=actor,
        action=AccessAction.CHANGE,
        record_type="triage.attendance",
        record_ids=[attendance_id],
        purpose=f"Attendance at meeting {locked.pk}: {row.agency.name} removed",
    )


# --- the agenda --------------------------------------------------------------------------------------------------


def default_hearing(meeting: Meeting) -> str:
    # A triage meeting goes through its list briefly; a clinic hears a case in full unless told.
    return Hearing.FULL if meeting.kind == MeetingKind.CLINIC else Hearing.BRIEF


@transaction.atomic
def agenda_add(*, actor: User, meeting: Meeting, case_id: int, hearing: str = "", source: str = "") -> AgendaItem:
    """Put a case the actor can see on the agenda, last. ``source`` defaults to why the builder proposes it."""
    _require_manager(actor, meeting)
    case = case_get_for_user(user=actor, case_id=case_id)  # 404 outside the actor's scope
    locked = _lock_meeting(meeting)
    _require_open(locked, "case")
    hearing = hearing or default_hearing(locked)
    if hearing not in Hearing.values:
        raise ValidationError({"hearing": "Choose in full or in brief"})
    if case.status in FINISHED_STATUSES and not (meeting.kind == MeetingKind.TRIAGE and _is_watched(case)):
        raise ValidationError(
            {"case": f"Case {case.reference} is {case.get_status_display().lower()}: there is nothing to decide"}
        )
    if AgendaItem.objects.filter(meeting=locked, case=case).exists():
        raise ValidationError({"case": f"Case {case.reference} is already on this agenda"})
    if not source:
        from triage.selectors import proposal_source

        source = proposal_source(user=actor, meeting=locked, case=case)
    if source not in AgendaSource.values:
        raise ValidationError({"source": "Unknown reason for adding the case"})
    last = AgendaItem.objects.filter(meeting=locked).aggregate(last=Max("position"))["last"] or 0
    item = AgendaItem.objects.create(
        meeting=locked, case=case, position=last + 1, hearing=hearing, source=source, added_by=actor
    )
    # The write's own row: the answer that shows the item back logs no view of it.
    access_record(
        user=actor,
        action=AccessAction.CREATE,
        record_type="triage.agendaitem",
        record_ids=[item.pk],
        purpose=f"Agenda of meeting {locked.pk}: case {case.pk}",
    )
    return item


@transaction.atomic
def agenda_add_proposed(
    *, actor: User, meeting: Meeting, case_ids: Sequence[int], hearing: str = ""
) -> list[AgendaItem]:
    """Add several of the builder's proposals at once, in the order given."""
    from triage.selectors import agenda_proposals_for_user

    if not case_ids:
        raise ValidationError({"cases": "Choose at least one case to add"})
    _require_manager(actor, meeting)
    proposals = {p.case.pk: p for p in agenda_proposals_for_user(user=actor, meeting=meeting)}
    missing = [case_id for case_id in case_ids if case_id not in proposals]
    if missing:
        raise ValidationError({"cases": "Some of the chosen cases are no longer proposed: refresh the page"})
    return [
        agenda_add(actor=actor, meeting=meeting, case_id=case_id, hearing=hearing, source=proposals[case_id].source)
        for case_id in dict.fromkeys(case_ids)
    ]


def _item_has_record(item: AgendaItem) -> bool:
    return (
        MeetingDecision.objects.filter(item=item).exists()
        or InformationShare.objects.filter(item=item).exists()
        or Action.objects.filter(item=item).exists()
    )


@transaction.atomic
def agenda_remove(*, actor: User, meeting: Meeting, item_id: int) -> None:
    """Take a case off the agenda, unless something has already been recorded about it."""
    _require_manager(actor, meeting)
    locked = _lock_meeting(meeting)
    _require_open(locked)
    item = AgendaItem.objects.filter(meeting=locked, pk=item_id).first()
    if item is None:
        raise Http404
    case_get_for_user(user=actor, case_id=item.case_id)
    if _item_has_record(item):
        raise ValidationError(
            {"__all__": "Information, a decision or actions are recorded on this case: it stays on the agenda"}
        )
    item.delete()
    _renumber(locked, [i.pk for i in AgendaItem.objects.filter(meeting=locked).order_by("position")])
    access_record(
        user=actor,
        action=AccessAction.CHANGE,
        record_type="triage.agendaitem",
        record_ids=[item_id],
        purpose=f"Agenda of meeting {locked.pk}: case {item.case_id} taken off",
    )


def _renumber(meeting: Meeting, ordered_ids: list[int]) -> None:
    # The (meeting, position) constraint is deferred: positions may collide until commit.
    for position, item_id in enumerate(ordered_ids, start=1):
        AgendaItem.objects.filter(meeting=meeting, pk=item_id).exclude(position=position).update(position=position)


def _agenda_as_seen_by(actor: User, meeting: Meeting) -> tuple[list[int], list[int]]:
    """Every item of the agenda in order, and those whose case ``actor`` may see, in order."""
    rows = list(AgendaItem.objects.filter(meeting=meeting).order_by("position").values_list("pk", "case_id"))
    seen = set(
        case_queryset_for_user(user=actor).filter(pk__in={case_id for _, case_id in rows}).values_list("pk", flat=True)
    )
    return [pk for pk, _ in rows], [pk for pk, case_id in rows if case_id in seen]


@transaction.atomic
def agenda_reorder(*, actor: User, meeting: Meeting, item_ids: Sequence[int]) -> None:
    """Set the order of the agenda items the actor can see: ``item_ids`` names each of them once,
    first to last. Items whose case the actor cannot see keep their places, so the order neither
    needs nor confirms their ids."""
    _require_manager(actor, meeting)
    locked = _lock_meeting(meeting)
    _require_open(locked)
    current, visible = _agenda_as_seen_by(actor, locked)
    wanted = list(item_ids)
    if sorted(wanted) != sorted(visible):
        raise ValidationError({"items": "Give every item of the agenda once, in the new order"})
    shown = set(visible)
    order = iter(wanted)
    _renumber(locked, [next(order) if pk in shown else pk for pk in current])
    # Names the items the actor ordered (only those it can see), not the ones that kept their places.
    access_record(
        user=actor,
        action=AccessAction.CHANGE,
        record_type="triage.agendaitem",
        record_ids=wanted,
        purpose=f"Order of the agenda of meeting {locked.pk}",
    )


@transaction.atomic
def agenda_move(*, actor: User, meeting: Meeting, item_id: int, direction: str) -> None:
    """Move one item up or down a place among those the actor can see (the page's buttons)."""
    _require_manager(actor, meeting)
    _current, visible = _agenda_as_seen_by(actor, meeting)
    if item_id not in visible:
        raise Http404
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move an item up or down"})
    index = visible.index(item_id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(visible):
        visible[index], visible[other] = visible[other], visible[index]
    agenda_reorder(actor=actor, meeting=meeting, item_ids=visible)


@transaction.atomic
def agenda_set_hearing(
    *, actor: User, meeting: Meeting, item_id: int, hearing: str, expected_version: str | None = None
) -> AgendaItem:
    """Hear the case in full or in brief. ``expected_version``: the item as the chair saw it."""
    _require_manager(actor, meeting)
    locked = _lock_meeting(meeting)
    _require_open(locked, "hearing")
    if hearing not in Hearing.values:
        raise ValidationError({"hearing": "Choose in full or in brief"})
    # The meeting's row lock serialises every change to its agenda, so this read is current.
    item = AgendaItem.objects.filter(meeting=locked, pk=item_id).first()
    if item is None:
        raise Http404
    case_get_for_user(user=actor, case_id=item.case_id)
    check_version(version_of(item), expected_version)
    if item.hearing != hearing:
        item.hearing = hearing
        item.save(update_fields=["hearing"])
    access_record(
        user=actor,
        action=AccessAction.CHANGE,
        record_type="triage.agendaitem",
        record_ids=[item.pk],
        purpose=f"Hearing on the agenda of meeting {locked.pk}: case {item.case_id}",
    )
    return item


# --- what each agency brings -------------------------------------------------------------------------------------


@transaction.atomic
def information_share_record(
    *, actor: User, item: AgendaItem, text: str, record_class: str = "", agency_id: int | None = None
) -> InformationShare:
    """What an agency brings about the case. Staff record for their own agency; whoever runs the
    meeting may minute another agency's contribution. Nobody writes a class of record their
    agency may not read, nor attributes one to an agency that may not."""
    meeting = item.meeting
    _require_partnership(actor, meeting)
    case_get_for_user(user=actor, case_id=item.case_id)
    if not permissions.can_contribute(actor, meeting):
        raise PermissionDenied("Your role does not bring information to meetings")
    _require_open(meeting, "text")
    assert actor.agency is not None
    text = _check_text(text, "text", required="Enter what your agency knows")
    agency = actor.agency
    if agency_id is not None and agency_id != actor.agency_id:
        if not permissions.can_manage(actor, meeting):
            raise ValidationError({"agency": "You can record only what your own agency brings"})
        found = Agency.objects.filter(pk=agency_id, partnership_id=meeting.partnership_id).first()
        if found is None:
            raise ValidationError({"agency": "Choose an agency of this partnership"})
        agency = found
    if record_class:
        if record_class not in RecordClass.values:
            raise ValidationError({"record_class": "Choose who may read it"})
        if not case_permissions.may_see(actor, record_class):
            raise ValidationError({"record_class": "You cannot write a record of a class your agency may not see"})
        allowed = record_classes_for_agency_kind(partnership_id=meeting.partnership_id, agency_kind=agency.kind)
        if record_class not in allowed:
            raise ValidationError({"record_class": f"{agency.name} may not see this class of record"})
    share = InformationShare.objects.create(
        item=item, agency=agency, record_class=record_class, text=text, recorded_by=actor
    )
    access_record(user=actor, action=AccessAction.CREATE, record_type="triage.information_share", record_ids=[share.pk])
    return share


# --- actions ---------------------------------------------------------------------------------------------------


@dataclass
class ActionInput:
    owner_id: int | None
    description: str
    due_on: dt.date | None
    owner_agency_id: int | None = None  # defaults to the owner's agency
    record_class: str = ""


def _action_create(*, actor: User, item: AgendaItem, case: Case, data: ActionInput, prefix: str = "") -> Action:
    meeting = item.meeting
    errors: dict[str, str] = {}
    description = (data.description or "").strip()
    if not description:
        errors[f"{prefix}description"] = "Describe the action"
    elif len(description) > MAX_TEXT:
        errors[f"{prefix}description"] = f"Keep it to {MAX_TEXT:,} characters or fewer"
    if data.due_on is None:
        errors[f"{prefix}due_on"] = "Enter the date the action is due"
    elif data.due_on < _meeting_day(meeting):
        errors[f"{prefix}due_on"] = "The due date cannot be before the meeting"
    owner = (
        User.objects.filter(pk=data.owner_id, agency__partnership_id=meeting.partnership_id, is_active=True)
        .select_related("agency")
        .first()
        if data.owner_id
        else None
    )
    if owner is None:
        errors[f"{prefix}owner"] = "Choose who owns the action"
    else:
        assert owner.agency is not None
        if data.owner_agency_id is not None and data.owner_agency_id != owner.agency_id:
            errors[f"{prefix}owner"] = f"{owner.get_full_name() or owner.email} is not in that agency"
        elif not case_permissions.can_view_case(owner, case):
            errors[f"{prefix}owner"] = (
                f"{owner.get_full_name() or owner.email} cannot see this case: share it with {owner.agency.name} first"
            )
    if data.record_class:
        if data.record_class not in RecordClass.values:
            errors[f"{prefix}record_class"] = "Choose who may read it"
        elif not case_permissions.may_see(actor, data.record_class):
            errors[f"{prefix}record_class"] = "You cannot write a record of a class your agency may not see"
        elif owner is not None and not case_permissions.may_see(owner, data.record_class):
            errors[f"{prefix}record_class"] = "The owner's agency may not see this class of record"
    if errors:
        raise ValidationError(errors)
    assert owner is not None and owner.agency is not None and data.due_on is not None
    action = Action.objects.create(
        item=item,
        case=case,
        owner_agency=owner.agency,
        owner=owner,
        description=description,
        record_class=data.record_class,
        due_on=data.due_on,
        created_by=actor,
    )
    # Inside the caller's transaction: a decision refused for a later action alerts nobody.
    _alert_owner(action, actor)
    return action


@transaction.atomic
@case_services.next_due_scope()
def action_create(*, actor: User, item: AgendaItem, data: ActionInput) -> Action:
    """An action agreed at the meeting, owned by a person (and so their agency) who can see the case."""
    meeting = item.meeting
    _require_manager(actor, meeting)
    case = case_get_for_user(user=actor, case_id=item.case_id)
    _require_open(meeting, "description")
    action = _action_create(actor=actor, item=item, case=case, data=data)
    case_services.next_due_changed(case_ids=[case.pk])
    access_record(user=actor, action=AccessAction.CREATE, record_type="triage.action", record_ids=[action.pk])
    return action


def _alert_owner(action: Action, actor: User) -> None:
    """The owner hears of an action at once, not first from the reminder on its due date."""
    from notifications.services import notify

    if action.owner_id == actor.pk:
        return
    # Names no one: the e-mail leaves the system. The case reference and the link are enough.
    notify(
        action.owner,
        f"Action assigned to you on case MASIP-{action.case_id:06d}",
        f"An action was agreed for you at a partnership meeting, due {action.due_on:%-d %B %Y}. "
        "Open it to see what it is.",
        reverse("triage:action_detail", args=[action.pk]),
        key=f"action-assigned:{action.pk}",
    )


def _lock_action(actor: User, action: Action) -> Action:
    locked = Action.objects.select_for_update().select_related("case").get(pk=action.pk)
    if not permissions.can_update_action(actor, locked):
        if locked.status != ActionStatus.OPEN:
            raise ValidationError({"__all__": "This action is already closed"})
        raise PermissionDenied("Only the action's owner, their agency or a triage officer can change it")
    return locked


def _require_action_scope(actor: User, action: Action) -> None:
    from triage.selectors import action_get_for_user

    action_get_for_user(user=actor, action_id=action.pk)  # 404 outside the actor's scope


@transaction.atomic
@case_services.next_due_scope()
def action_complete(*, actor: User, action: Action, note: str = "") -> Action:
    _require_action_scope(actor, action)
    locked = _lock_action(actor, action)
    locked.status = ActionStatus.DONE
    locked.completed_at, locked.completed_by = timezone.now(), actor
    locked.completion_note = _check_text(note, "note")
    locked.save(update_fields=["status", "completed_at", "completed_by", "completion_note", "updated_at"])
    case_services.next_due_changed(case_ids=[locked.case_id])
    access_record(user=actor, action=AccessAction.CHANGE, record_type="triage.action", record_ids=[locked.pk])
    return locked


@transaction.atomic
@case_services.next_due_scope()
def action_cancel(*, actor: User, action: Action, reason: str) -> Action:
    _require_action_scope(actor, action)
    reason = _check_text(reason, "note", required="Give the reason for cancelling")
    locked = _lock_action(actor, action)
    locked.status = ActionStatus.CANCELLED
    locked.completed_at, locked.completed_by = timezone.now(), actor
    locked.completion_note = reason
    locked.save(update_fields=["status", "completed_at", "completed_by", "completion_note", "updated_at"])
    case_services.next_due_changed(case_ids=[locked.case_id])
    access_record(user=actor, action=AccessAction.CHANGE, record_type="triage.action", record_ids=[locked.pk])
    return locked


@transaction.atomic
@case_services.next_due_scope()
def action_reschedule(*, actor: User, action: Action, due_on: dt.date | None) -> Action:
    _require_action_scope(actor, action)
    if due_on is None:
        raise ValidationError({"due_on": "Enter the new due date"})
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": "The new due date cannot be in the past"})
    locked = _lock_action(actor, action)
    if due_on != locked.due_on:
        locked.due_on = due_on
        # A new date is a new deadline: today's reminder, if any, was about the old one.
        locked.last_reminded_on = None
        locked.save(update_fields=["due_on", "last_reminded_on", "updated_at"])
        case_services.next_due_changed(case_ids=[locked.case_id])
        access_record(user=actor, action=AccessAction.CHANGE, record_type="triage.action", record_ids=[locked.pk])
    return locked


# --- decisions ---------------------------------------------------------------------------------------------------


@dataclass
class DecisionInput:
    outcome: str
    stalking_consensus: str = ""
    meets_legal_threshold: bool | None = None
    added_value: bool | None = None
    decline_reason: str = ""
    reason: str = ""
    tier: int | None = None
    refer_to_clinic: bool = False
    sash_level: str = ""
    stalker_type: str = ""
    stalker_type_secondary: str = ""


def allowed_outcomes(case: Case) -> list[str]:
    """What a meeting may decide about a case in its current status (deferral is always open)."""
    if case.status in DECIDABLE:
        return [Outcome.ACCEPTED, Outcome.DECLINED, Outcome.DEFERRED]
    if case.status in REVIEWABLE or (case.status == CaseStatus.DECLINED and _is_watched(case)):
        # A watched declined case is heard again: the triage officer then sets its next review
        # date or ends the watch; a new referral about the perpetrator is its own case.
        return [Outcome.REVIEWED, Outcome.DEFERRED]
    return [Outcome.DEFERRED]


def _validate_decision(case: Case, meeting: Meeting, data: DecisionInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.outcome not in Outcome.values:
        errors["outcome"] = "Choose the meeting's decision"
        return errors
    if data.outcome not in allowed_outcomes(case):
        errors["outcome"] = (
            f"Case {case.reference} is {case.get_status_display().lower()}: the meeting cannot "
            f"record it as {Outcome(data.outcome).label.lower()}"
        )
    if data.stalking_consensus and data.stalking_consensus not in Consensus.values:
        errors["stalking_consensus"] = "Choose yes, no or unclear"
    if data.tier is not None and not 1 <= data.tier <= 4:
        errors["tier"] = "Choose a tier from 1 to 4"
    if data.sash_level and data.sash_level not in SashLevel.values:
        errors["sash_level"] = "Choose low, moderate, moderate/high or high"
    if data.stalker_type and data.stalker_type not in StalkerType.values:
        errors["stalker_type"] = "Choose a stalker type from the list"
    if data.stalker_type_secondary and data.stalker_type_secondary not in StalkerType.values:
        errors["stalker_type_secondary"] = "Choose a secondary stalker type from the list"
    else:
        errors.update(case_services.stalker_types_errors(data.stalker_type, data.stalker_type_secondary))
    uses_tiers = partnership_uses_tiers(partnership_id=case.partnership_id)
    if not uses_tiers and data.tier is not None:
        errors["tier"] = "This partnership does not use tiers: leave the tier out"
    elif data.outcome == Outcome.ACCEPTED and data.tier is None and uses_tiers:
        errors["tier"] = "Choose the tier the case is accepted at"
    if data.outcome == Outcome.DECLINED:
        if data.decline_reason not in DECLINE_REASONS:
            errors["decline_reason"] = "Choose why the case is declined"
        if not data.reason.strip():
            errors["reason"] = "Give the reason for declining"
        if data.tier is not None:
            errors["tier"] = "A declined case has no tier"
        if data.refer_to_clinic:
            errors["refer_to_clinic"] = "A declined case cannot be referred to the clinic"
    elif data.decline_reason:
        errors["decline_reason"] = "A decline reason goes only with a decision to decline"
    if data.outcome == Outcome.DEFERRED:
        for name, value in (
            ("tier", data.tier),
            ("stalker_type", data.stalker_type),
            ("stalker_type_secondary", data.stalker_type_secondary),
        ):
            if value:
                errors[name] = "A deferred case is decided at a later meeting: leave this for then"
        if data.refer_to_clinic:
            errors["refer_to_clinic"] = "A deferred case is decided at a later meeting: leave this for then"
    if data.refer_to_clinic and meeting.kind == MeetingKind.CLINIC:
        errors["refer_to_clinic"] = "The case is at the clinic now"
    if len(data.reason) > MAX_TEXT:
        errors["reason"] = f"Keep it to {MAX_TEXT:,} characters or fewer"
    if _meeting_day(meeting) > timezone.localdate():
        errors["outcome"] = "This meeting has not happened yet: decisions are recorded on or after its day"
    return errors


@transaction.atomic
@case_services.next_due_scope()
def decision_record(
    *, actor: User, item: AgendaItem, data: DecisionInput, actions: Sequence[ActionInput] = ()
) -> MeetingDecision:
    """The meeting's decision on one case, with the actions agreed, in one transaction.

    Accept or decline moves the case through the lifecycle table (a referred or reopened
    case is put forward for triage first); a review changes no status; a deferral leaves
    the case for a later meeting. Tier, clinic hearing and stalker type are recorded on
    the case, the SASH level of concern in the risk app. Any failure rolls all of it back.
    """
    meeting = item.meeting
    _require_manager(actor, meeting)
    case = case_get_for_user(user=actor, case_id=item.case_id)
    meeting = _lock_meeting(meeting)
    _require_open(meeting, "outcome")
    if MeetingDecision.objects.filter(item=item).exists():
        raise ValidationError({"outcome": "The meeting has already recorded its decision on this case"})
    case = Case.objects.select_for_update().get(pk=case.pk)
    errors = _validate_decision(case, meeting, data)
    if errors:
        raise ValidationError(errors)
    day = _meeting_day(meeting)
    label = meeting_label(meeting)
    before = case.status
    reason = data.reason.strip()

    if data.outcome in (Outcome.ACCEPTED, Outcome.DECLINED, Outcome.DEFERRED) and case.status in (
        CaseStatus.REFERRED,
        CaseStatus.REOPENED,
    ):
        case = case_services.case_transition(
            actor=actor, case=case, to_status=CaseStatus.AWAITING_TRIAGE, reason=f"Heard at the {label}", on=day
        )
    if data.outcome == Outcome.ACCEPTED:
        case = case_services.case_transition(
            actor=actor, case=case, to_status=CaseStatus.ACCEPTED, reason=reason or f"Accepted at the {label}", on=day
        )
    elif data.outcome == Outcome.DECLINED:
        case = case_services.case_transition(
            actor=actor, case=case, to_status=CaseStatus.DECLINED, decision=data.decline_reason, reason=reason, on=day
        )
    heard = meeting.kind == MeetingKind.CLINIC and data.outcome != Outcome.DEFERRED
    if data.tier is not None or heard or data.stalker_type or data.refer_to_clinic:
        case = case_services.case_record_triage_outcome(
            actor=actor,
            case=case,
            tier=data.tier,
            heard_at_clinic=True if heard else None,
            stalker_type=data.stalker_type or None,
            # The meeting decides the typology as a pair: a primary without a secondary clears an old secondary.
            stalker_type_secondary=data.stalker_type_secondary if data.stalker_type else None,
            refer_to_clinic=data.refer_to_clinic,
            meeting=label,
        )
    if data.sash_level:
        from risk import services as risk_services

        try:
            risk_services.sash_record(
                actor=actor, case=case, level=data.sash_level, assessed_on=day, note=f"Recorded at the {label}"
            )
        except PermissionDenied as exc:
            raise ValidationError({"sash_level": str(exc) or "Your role cannot record a SASH level"}) from exc

    decision = MeetingDecision.objects.create(
        item=item,
        case=case,
        stalking_consensus=data.stalking_consensus,
        meets_legal_threshold=data.meets_legal_threshold,
        added_value=data.added_value,
        outcome=data.outcome,
        decline_reason=data.decline_reason if data.outcome == Outcome.DECLINED else "",
        reason=reason,
        tier=data.tier,
        refer_to_clinic=data.refer_to_clinic,
        sash_level=data.sash_level,
        stalker_type=data.stalker_type,
        stalker_type_secondary=data.stalker_type_secondary,
        status_before=before,
        status_after=case.status,
        decided_by=actor,
    )
    created = [
        _action_create(actor=actor, item=item, case=case, data=action, prefix=f"actions_{index}_")
        for index, action in enumerate(actions)
    ]
    if created:
        case_services.next_due_changed(case_ids=[case.pk])
    if meeting.status == MeetingStatus.PLANNED:
        # The first decision starts the meeting.
        meeting.status, meeting.started_at = MeetingStatus.IN_PROGRESS, timezone.now()
        meeting.save(update_fields=["status", "started_at", "updated_at"])
    access_record(
        user=actor,
        action=AccessAction.CHANGE,
        record_type="cases.case",
        record_ids=[case.pk],
        purpose=f"Decision of the {label}",
    )
    return decision


# --- reminders -------------------------------------------------------------------------------------------------


def action_reminder_key(action_id: int, on: dt.date) -> str:
    return f"action-reminder:{action_id}:{on.isoformat()}"


def _remind(action: Action, today: dt.date) -> bool:
    """Claim today's reminder for one action and send it. False when it was already sent today.

    The conditional UPDATE is the claim: of two runs on the same day (or two workers on
    the same run) exactly one updates the row, and notify's key is a second lock on the
    same door.
    """
    from notifications.services import notify

    with transaction.atomic():
        claimed = (
            Action.objects.filter(pk=action.pk, status=ActionStatus.OPEN, due_on__lte=today)
            .filter(Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today))
            .update(last_reminded_on=today)
        )
        if not claimed:
            return False
        overdue_days = (today - action.due_on).days
        when = "due today" if overdue_days == 0 else f"overdue by {overdue_days} day{'s' if overdue_days != 1 else ''}"
        # Names no one: the e-mail leaves the system. The case reference and the link are enough.
        subject = f"Action {when} on case MASIP-{action.case_id:06d}"
        body = (
            f"An action agreed at a partnership meeting is {when} (due {action.due_on:%-d %B %Y}). "
            "Open it to see what it is, and mark it done when it is."
        )
        sent = notify(
            action.owner,
            subject,
            body,
            reverse("triage:action_detail", args=[action.pk]),
            key=action_reminder_key(action.pk, today),
        )
    logger.info("action %s reminder %s", action.pk, "sent" if sent is not None else "already sent")
    return sent is not None


def action_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind owners of open actions due today or overdue; at most one reminder per action per day.

    Each action in its own transaction, so one failure does not hold back the others and
    a retry of the job sends only what is still unsent.
    """
    today = today or timezone.localdate()
    due = (
        Action.objects.filter(status=ActionStatus.OPEN, due_on__lte=today)
        .filter(Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today))
        .select_related("owner__agency", "case")
        .order_by("due_on", "id")
    )
    sent = 0
    for action in due.iterator(chunk_size=500):
        # An owner whose agency no longer sees the case (sharing withdrawn, the case
        # restricted) would be sent a link that answers 404: no reminder, until access returns.
        if not case_permissions.can_view_case(action.owner, action.case):
            logger.info("action %s: its owner no longer sees the case; no reminder", action.pk)
            continue
        sent += _remind(action, today)
    return sent


# --- the watch list --------------------------------------------------------------------------------------------

# How far ahead a review date may be set: the partnerships reviewed watched cases within months.
WATCH_MAX_AHEAD = dt.timedelta(days=366)


def _is_watched(case: Case) -> bool:
    return Watch.objects.filter(case_id=case.pk, ended_at__isnull=True).exists()


def _check_watch(case: Case, review_on: dt.date | None, reason: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if review_on is None:
        errors["review_on"] = "Enter the date to review the case"
    elif review_on <= today:
        errors["review_on"] = "The review date must be in the future"
    elif review_on > today + WATCH_MAX_AHEAD:
        errors["review_on"] = "The review date must be within a year"
    if not reason.strip():
        errors["reason"] = "Give the reason for watching the case"
    elif len(reason) > MAX_TEXT:
        errors["reason"] = f"Keep it to {MAX_TEXT:,} characters or fewer"
    return errors


def _require_watcher(actor: User, case: Case) -> None:
    case_permissions.require_case(actor, case)
    if not permissions.can_watch(actor):
        raise ValidationError({"review_on": f"Your role ({actor.get_role_display()}) cannot watch a case"})


@transaction.atomic
def watch_start(*, actor: User, case: Case, review_on: dt.date | None, reason: str) -> Watch:
    """Put a declined domestic-abuse case on the watch list until ``review_on``."""
    _require_watcher(actor, case)
    locked = Case.objects.select_for_update().select_related("referral").get(pk=case.pk)
    errors = _check_watch(locked, review_on, reason)
    if locked.status != CaseStatus.DECLINED:
        errors["__all__"] = (
            f"Only a declined case is watched: case {locked.reference} is {locked.get_status_display().lower()}"
        )
    elif locked.referral.relationship not in permissions.DOMESTIC_RELATIONSHIPS:
        errors["__all__"] = "Only a domestic-abuse case (ex-partners or family) is watched"
    elif _is_watched(locked):
        errors["__all__"] = f"Case {locked.reference} is already watched"
    if errors:
        raise ValidationError(errors)
    assert review_on is not None
    watch = Watch.objects.create(case=locked, review_on=review_on, reason=reason.strip(), started_by=actor)
    access_record(
        user=actor,
        action=AccessAction.CREATE,
        record_type="triage.watch",
        record_ids=[watch.pk],
        purpose=f"Watch list: case {locked.pk} watched",
    )
    case_services.case_event_record(
        actor=actor, case=locked, summary=f"Put on the watch list, to review on {review_on:%-d %B %Y}"
    )
    return watch


@transaction.atomic
def watch_reschedule(*, actor: User, watch: Watch, review_on: dt.date | None, reason: str) -> Watch:
    """A later review date (and the reason as it now stands), after the meeting heard the case again."""
    _require_watcher(actor, watch.case)
    locked = Watch.objects.select_for_update().get(pk=watch.pk)
    if locked.ended_at is not None:
        raise ValidationError({"__all__": "The watch has ended"})
    errors = _check_watch(watch.case, review_on, reason)
    if errors:
        raise ValidationError(errors)
    assert review_on is not None
    moved = review_on != locked.review_on
    locked.review_on, locked.reason = review_on, reason.strip()
    locked.save(update_fields=["review_on", "reason", "updated_at"])
    access_record(
        user=actor,
        action=AccessAction.CHANGE,
        record_type="triage.watch",
        record_ids=[locked.pk],
        purpose=f"Watch list: case {watch.case_id} review date and reason",
    )
    if moved:
        case_services.case_event_record(
            actor=actor, case=watch.case, summary=f"Watch list: next review on {review_on:%-d %B %Y}"
        )
    return locked


@transaction.atomic
def watch_end(*, actor: User, watch: Watch, reason: str) -> Watch:
    """Take the case off the watch list (the relationship is over and she is supported elsewhere, say)."""
    _require_watcher(actor, watch.case)
    locked = Watch.objects.select_for_update().get(pk=watch.pk)
    if locked.ended_at is not None:
        raise ValidationError({"__all__": "The watch has already ended"})
    if not reason.strip():
        raise ValidationError({"end_reason": "Give the reason for ending the watch"})
    if len(reason) > MAX_TEXT:
        raise ValidationError({"end_reason": f"Keep it to {MAX_TEXT:,} characters or fewer"})
    locked.ended_at, locked.ended_by, locked.end_reason = timezone.now(), actor, reason.strip()
    locked.save(update_fields=["ended_at", "ended_by", "end_reason", "updated_at"])
    access_record(
        user=actor,
        action=AccessAction.CHANGE,
        record_type="triage.watch",
        record_ids=[locked.pk],
        purpose=f"Watch list: case {watch.case_id} watch ended",
    )
    case_services.case_event_record(actor=actor, case=watch.case, summary="Taken off the watch list")
    return locked
