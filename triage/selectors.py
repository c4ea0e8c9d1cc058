"""Every read about meetings and actions that a person sees, scoped to that person.

Three rules, applied here and nowhere else:

- a meeting is seen by the staff of its partnership (``meeting_get_for_user``);
- a case on its agenda, and everything said or decided about it, only by those who can
  see the case (``cases.selectors.case_queryset_for_user`` for lists,
  ``case_get_for_user`` for one): the others learn only how many items they cannot see;
- an information-sharing entry or an action with a record class only by agencies the
  sharing agreement allows (filtered in the query, never left to a template).

The reads a page or an endpoint shows write the access-log row for the cases (or actions)
they return, so pages and the API log alike and no view writes the log. The ``_get_``
functions and ``agenda_proposals_for_user`` only scope: services and writes call them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from agencies.models import User
from agencies.selectors import record_classes_for_user
from agencies.staff import is_staff_member
from audit.models import AccessAction
from audit.services import access_record
from cases import permissions as case_permissions
from cases.models import Case, CaseParty, CaseStatus, PartyRole
from cases.selectors import CaseIdentity, case_get_for_user, case_identity_for_user, case_queryset_for_user
from triage import permissions
from triage.models import (
    Action,
    ActionStatus,
    AgendaItem,
    AgendaSource,
    Attendance,
    InformationShare,
    Meeting,
    MeetingDecision,
    MeetingKind,
    MeetingStatus,
    Outcome,
    Watch,
)

PROPOSAL_LIMIT = 200
ACTION_PAGE_SIZE = 50
# Statuses a clinic may hear a case in: anything not declined or closed.
CLINIC_STATUSES = (
    CaseStatus.AWAITING_TRIAGE,
    CaseStatus.ACCEPTED,
    CaseStatus.ACTIVE,
    CaseStatus.MONITORING,
    CaseStatus.REOPENED,
)


def _require_member(user: Any) -> User:
    """Every read here is for a member of staff (agencies.staff): anyone else gets 404."""
    if not is_staff_member(user):
        raise Http404
    assert isinstance(user, User)
    return user


def _visible_class_q(classes: frozenset[str]) -> Q:
    return Q(record_class="") | Q(record_class__in=classes)


def _log_cases(user: User, case_ids: Sequence[int], purpose: str, action: AccessAction = AccessAction.VIEW) -> None:
    if case_ids:
        access_record(user=user, action=action, record_type="cases.case", record_ids=list(case_ids), purpose=purpose)


def form_record_classes(*, user: User) -> frozenset[str]:
    """The record classes a form may offer this user: only those the agreement lets them read."""
    return record_classes_for_user(user=user)


# --- names on an agenda: the primary people, as the user may see them ------------------------------------


@dataclass(frozen=True)
class CaseNames:
    perpetrator: str
    victim: str


def _names_for(user: User, case_ids: Sequence[int]) -> dict[int, CaseNames]:
    """Perpetrator and victim names per case, each decided per person (cases.permissions.people_classes):
    a victim's name only where the agreement allows it, wherever else she appears."""
    parts = list(
        CaseParty.objects.filter(
            case_id__in=list(case_ids), is_primary=True, role__in=[PartyRole.PERPETRATOR, PartyRole.VICTIM]
        ).select_related("person")
    )
    people = case_permissions.people_classes(user, {p.person_id for p in parts})
    found: dict[int, dict[str, str]] = {}
    for part in parts:
        names = found.setdefault(part.case_id, {})
        names[part.role] = part.person.display_name if part.person_id in people.identity else "Identity withheld"
    return {
        case_id: CaseNames(
            perpetrator=found.get(case_id, {}).get(PartyRole.PERPETRATOR, "Not recorded"),
            victim=found.get(case_id, {}).get(PartyRole.VICTIM, "Not recorded"),
        )
        for case_id in case_ids
    }


# --- meetings -----------------------------------------------------------------------------------------------


def meeting_queryset_for_user(*, user: User) -> QuerySet[Meeting]:
    if not case_permissions.is_staff_member(user):
        return Meeting.objects.none()
    assert user.agency is not None
    return Meeting.objects.filter(partnership_id=user.agency.partnership_id)


@dataclass
class MeetingList:
    upcoming: Sequence[Meeting]
    past: Sequence[Meeting]


def meeting_list_for_user(*, user: User, past_limit: int = 30) -> MeetingList:
    """Meetings still to hold or conclude (soonest first), then the latest concluded ones.

    ``item_count`` counts every case on the agenda: a number, not a case anyone can identify.
    """
    _require_member(user)
    qs = meeting_queryset_for_user(user=user).select_related("chair").annotate(item_count=Count("items"))
    upcoming = list(qs.exclude(status=MeetingStatus.CONCLUDED).order_by("starts_at", "id"))
    past = list(qs.filter(status=MeetingStatus.CONCLUDED).order_by("-starts_at", "-id")[:past_limit])
    return MeetingList(upcoming=upcoming, past=past)


def meeting_get_for_user(*, user: User, meeting_id: int) -> Meeting:
    """The meeting, or 404 outside the user's partnership."""
    _require_member(user)
    meeting = (
        meeting_queryset_for_user(user=user).select_related("chair", "chair__agency").filter(pk=meeting_id).first()
    )
    if meeting is None:
        raise Http404
    return meeting


@dataclass
class ItemView:
    """One agenda item as one reader may see it."""

    item: AgendaItem
    case: Case
    names: CaseNames
    sash_level: str
    shares: list[InformationShare]
    decision: MeetingDecision | None
    actions: list[Action]
    elsewhere: list[Meeting] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.item.pk


@dataclass
class MeetingDetail:
    meeting: Meeting
    attendance: list[Attendance]
    items: list[ItemView]
    # Cases on the agenda this reader cannot see: only their number is shown.
    hidden_items: int
    can_manage: bool
    can_contribute: bool
    visible_classes: frozenset[str]

    @property
    def case_ids(self) -> list[int]:
        return [view.case.pk for view in self.items]

    @property
    def decided(self) -> int:
        return sum(1 for view in self.items if view.decision is not None)


def _visible_case_ids(user: User, case_ids: Sequence[int]) -> set[int]:
    if not case_ids:
        return set()
    return set(case_queryset_for_user(user=user).filter(pk__in=list(case_ids)).values_list("pk", flat=True))


def _sash_levels(partnership_id: int, case_ids: Sequence[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    from risk.selectors import current_sash_levels

    return current_sash_levels(partnership_id=partnership_id, case_ids=case_ids)


def _item_views(user: User, meeting: Meeting, items: list[AgendaItem]) -> tuple[list[ItemView], int]:
    visible = _visible_case_ids(user, [i.case_id for i in items])
    shown = [i for i in items if i.case_id in visible]
    if not shown:
        return [], len(items)
    classes = record_classes_for_user(user=user)
    ids = [i.pk for i in shown]
    case_ids = [i.case_id for i in shown]
    shares: dict[int, list[InformationShare]] = {}
    for share in (
        InformationShare.objects.filter(item_id__in=ids)
        .filter(_visible_class_q(classes))
        .select_related("agency", "recorded_by")
        .order_by("created_at", "id")
    ):
        shares.setdefault(share.item_id, []).append(share)
    actions: dict[int, list[Action]] = {}
    for action in (
        Action.objects.filter(item_id__in=ids)
        .filter(_visible_class_q(classes))
        .select_related("owner", "owner_agency")
        .order_by("due_on", "id")
    ):
        actions.setdefault(action.item_id, []).append(action)
    names = _names_for(user, case_ids)
    sash = _sash_levels(meeting.partnership_id, case_ids)
    views = [
        ItemView(
            item=item,
            case=item.case,
            names=names[item.case_id],
            sash_level=sash.get(item.case_id, ""),
            shares=shares.get(item.pk, []),
            decision=getattr(item, "decision", None),
            actions=actions.get(item.pk, []),
        )
        for item in shown
    ]
    return views, len(items) - len(shown)


def _meeting_detail(user: User, meeting_id: int) -> MeetingDetail:
    """The meeting with its attendance and the agenda items this reader may see, in order.

    A fixed number of queries whatever the agenda's length.
    """
    meeting = meeting_get_for_user(user=user, meeting_id=meeting_id)
    attendance = list(
        Attendance.objects.filter(meeting=meeting).select_related("agency", "person").order_by("agency__name", "id")
    )
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("case", "case__referral", "decision", "decision__decided_by")
        .order_by("position")
    )
    views, hidden = _item_views(user, meeting, items)
    return MeetingDetail(
        meeting=meeting,
        attendance=attendance,
        items=views,
        hidden_items=hidden,
        can_manage=permissions.can_manage(user, meeting),
        can_contribute=permissions.can_contribute(user, meeting),
        visible_classes=record_classes_for_user(user=user),
    )


def meeting_detail_for_user(*, user: User, meeting_id: int) -> MeetingDetail:
    """The meeting page and ``GET /api/v1/meetings/{id}/`` (and its agenda): logged against
    every case on it the reader sees."""
    detail = _meeting_detail(user, meeting_id)
    _log_cases(user, detail.case_ids, f"Meeting {meeting_id}")
    return detail


@dataclass
class MeetingBuilder:
    detail: MeetingDetail
    # The builder's proposals, for those who may change the agenda of an open meeting.
    proposals: list[Proposal]

    @property
    def manage(self) -> bool:
        return self.detail.can_manage and self.detail.meeting.is_open


def meeting_detail_after_change(*, user: User, meeting_id: int) -> MeetingDetail:
    """``meeting_detail_for_user``'s shape for the answer to a write to the agenda whose service
    has just logged it (``services.agenda_reorder``), without a ``view`` row."""
    return _meeting_detail(user, meeting_id)


def _meeting_builder(user: User, meeting_id: int) -> MeetingBuilder:
    detail = _meeting_detail(user, meeting_id)
    manage = detail.can_manage and detail.meeting.is_open
    proposals = agenda_proposals_for_user(user=user, meeting=detail.meeting) if manage else []
    return MeetingBuilder(detail=detail, proposals=proposals)


def meeting_builder_for_user(*, user: User, meeting_id: int) -> MeetingBuilder:
    """The agenda builder: the meeting as ``meeting_detail_for_user`` has it, and the cases it
    proposes. One access-log row names every case the page shows."""
    builder = _meeting_builder(user, meeting_id)
    _log_cases(user, builder.detail.case_ids + [p.case.pk for p in builder.proposals], f"Meeting {meeting_id}: agenda")
    return builder


def meeting_builder_after_change(*, user: User, meeting_id: int) -> MeetingBuilder:
    """``meeting_builder_for_user``'s shape for the fragment htmx swaps in after a write to the
    agenda or the attendance whose service has just logged it, without a ``view`` row."""
    return _meeting_builder(user, meeting_id)


def _meeting_item(user: User, meeting_id: int, item_id: int) -> tuple[MeetingDetail, ItemView]:
    detail = _meeting_detail(user, meeting_id)
    view = next((v for v in detail.items if v.pk == item_id), None)
    if view is None:
        raise Http404
    return detail, view


def meeting_item_for_user(*, user: User, meeting_id: int, item_id: int) -> tuple[MeetingDetail, ItemView]:
    """One agenda item of the meeting page (the fragment htmx swaps in when a change to it was
    refused, with the form again), with the meeting it belongs to. Logged against that item's
    case only."""
    detail, view = _meeting_item(user, meeting_id, item_id)
    _log_cases(user, [view.case.pk], f"Meeting {meeting_id}")
    return detail, view


def meeting_item_after_change(*, user: User, meeting_id: int, item_id: int) -> tuple[MeetingDetail, ItemView]:
    """``meeting_item_for_user``'s shape for the fragment after a write to the item whose service
    has just logged it (information, a decision, an action), without a ``view`` row."""
    return _meeting_item(user, meeting_id, item_id)


def agenda_item_get_for_user(*, user: User, meeting_id: int, item_id: int) -> AgendaItem:
    """One agenda item, or 404 when the meeting or its case is outside the user's scope."""
    meeting = meeting_get_for_user(user=user, meeting_id=meeting_id)
    item = AgendaItem.objects.filter(meeting=meeting, pk=item_id).first()
    if item is None:
        raise Http404
    item.case = case_get_for_user(user=user, case_id=item.case_id)
    item.meeting = meeting
    return item


def item_view_for_user(*, user: User, meeting_id: int, item_id: int) -> ItemView:
    """One agenda item, shaped like the meeting page's (``/api/v1/meetings/{id}/agenda/{item}/``)."""
    view = _item_view(user, meeting_id, item_id)
    _log_cases(user, [view.case.pk], f"Meeting {meeting_id}")
    return view


def item_view_after_change(*, user: User, meeting_id: int, item_id: int) -> ItemView:
    """``item_view_for_user``'s shape for the answer to a write whose service has just logged
    its change (``services.decision_record``, ``agenda_add``, ``agenda_set_hearing``), without a
    ``view`` row."""
    return _item_view(user, meeting_id, item_id)


def _item_view(user: User, meeting_id: int, item_id: int) -> ItemView:
    item = agenda_item_get_for_user(user=user, meeting_id=meeting_id, item_id=item_id)
    fresh = (
        AgendaItem.objects.filter(pk=item.pk)
        .select_related("case", "case__referral", "decision", "decision__decided_by")
        .get()
    )
    views, _ = _item_views(user, item.meeting, [fresh])
    if not views:
        raise Http404
    return views[0]


# --- the agenda builder's proposals --------------------------------------------------------------------------


@dataclass
class Proposal:
    case: Case
    source: str
    names: CaseNames
    # Other meetings not yet concluded whose agenda already holds the case, undecided.
    elsewhere: list[Meeting]

    @property
    def source_label(self) -> str:
        return AgendaSource(self.source).label


def _clinic_annotations(qs: QuerySet[Case]) -> QuerySet[Case]:
    """The latest clinic referral and the latest clinic hearing of each case."""
    last_referral = (
        MeetingDecision.objects.filter(case_id=OuterRef("pk"), refer_to_clinic=True)
        .order_by("-decided_at")
        .values("decided_at")[:1]
    )
    last_hearing = (
        MeetingDecision.objects.filter(case_id=OuterRef("pk"), item__meeting__kind=MeetingKind.CLINIC)
        .exclude(outcome=Outcome.DEFERRED)
        .order_by("-decided_at")
        .values("decided_at")[:1]
    )
    # The latest re-offending confirmed (a record: recorded at a review or between them, or a
    # detection confirmed), by when it was recorded.
    # Through the case's own relation: the records belong to the follow-ups, above this app.
    last_reoffending = (
        Case.objects.filter(pk=OuterRef("pk")).annotate(last=Max("reoffending_records__created_at")).values("last")[:1]
    )
    return qs.annotate(
        last_clinic_referral=Subquery(last_referral),
        last_clinic_hearing=Subquery(last_hearing),
        last_reoffending=Subquery(last_reoffending),
    )


PENDING_CLINIC_REFERRAL = Q(last_clinic_referral__isnull=False) & (
    Q(last_clinic_hearing__isnull=True) | Q(last_clinic_referral__gt=F("last_clinic_hearing"))
)
# A case in monitoring whose re-offending was confirmed since it was last heard at clinic
# comes back to the clinic (the monitoring exists to catch it).
REOFFENDED_IN_MONITORING = (
    Q(status=CaseStatus.MONITORING)
    & Q(last_reoffending__isnull=False)
    & (Q(last_clinic_hearing__isnull=True) | Q(last_reoffending__gt=F("last_clinic_hearing")))
)


def _watch_annotations(qs: QuerySet[Case], *, user: User) -> QuerySet[Case]:
    """The open watch of each case (review date, when it began), the latest triage hearing,
    and the latest referral since the watch began that names the case's perpetrator.

    The new referral is looked for only among the cases ``user`` may see: a flag raised by a
    case not shared with the officer would tell them that case exists."""
    open_watch = Watch.objects.filter(case_id=OuterRef("pk"), ended_at__isnull=True)
    last_triage_hearing = (
        MeetingDecision.objects.filter(case_id=OuterRef("pk"), item__meeting__kind=MeetingKind.TRIAGE)
        .exclude(outcome=Outcome.DEFERRED)
        .order_by("-decided_at")
    )
    # The intake links a new referral's perpetrator to the person already known: the same person.
    perpetrators = CaseParty.objects.filter(case_id=OuterRef(OuterRef("pk")), role=PartyRole.PERPETRATOR).values(
        "person_id"
    )
    new_referral = (
        case_queryset_for_user(user=user)
        .filter(
            parties__role=PartyRole.PERPETRATOR,
            parties__person_id__in=perpetrators,
            created_at__gt=OuterRef("watch_started_at"),
        )
        .exclude(pk=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return qs.annotate(
        watch_review_on=Subquery(open_watch.values("review_on")[:1]),
        watch_started_at=Subquery(open_watch.values("started_at")[:1]),
        last_triage_hearing=Subquery(last_triage_hearing.values("decided_at")[:1]),
        last_triage_hearing_on=Subquery(last_triage_hearing.annotate(on=TruncDate("decided_at")).values("on")[:1]),
    ).annotate(watch_new_referral_at=Subquery(new_referral))


# A watched declined case comes back to triage when its review date falls due, or when a new
# referral names the same perpetrator, unless a triage meeting has heard it since.
def watch_due(today: dt.date) -> Q:
    return (
        Q(status=CaseStatus.DECLINED)
        & Q(watch_review_on__lte=today)
        & (Q(last_triage_hearing_on__isnull=True) | Q(last_triage_hearing_on__lt=F("watch_review_on")))
    )


WATCH_NEW_REFERRAL = (
    Q(status=CaseStatus.DECLINED)
    & Q(watch_new_referral_at__isnull=False)
    & (Q(last_triage_hearing__isnull=True) | Q(last_triage_hearing__lt=F("watch_new_referral_at")))
)


def _triage_source(case: Case) -> str:
    if case.status == CaseStatus.AWAITING_TRIAGE:
        return AgendaSource.AWAITING_TRIAGE
    new_referral = case.watch_new_referral_at  # type: ignore[attr-defined]
    heard = case.last_triage_hearing  # type: ignore[attr-defined]
    if new_referral is not None and (heard is None or new_referral > heard):
        return AgendaSource.WATCH_NEW_REFERRAL
    return AgendaSource.WATCH_DUE


def agenda_proposals_for_user(*, user: User, meeting: Meeting) -> list[Proposal]:
    """The cases the agenda builder proposes, among those the user can see.

    A triage meeting: every case awaiting triage, oldest referral first, and the watched
    declined cases due again (``watch_due``, ``WATCH_NEW_REFERRAL``). A clinic: cases
    whose current risk is high and that have not been heard at clinic, cases a meeting
    referred to the clinic since they were last heard there, and cases in monitoring with
    re-offending confirmed since they were last heard there.
    """
    if not permissions.in_partnership(user, meeting):
        raise Http404
    on_agenda = AgendaItem.objects.filter(meeting=meeting).values("case_id")
    qs = case_queryset_for_user(user=user).exclude(pk__in=on_agenda)
    if meeting.kind == MeetingKind.TRIAGE:
        # Narrowed first to the cases awaiting triage and the watched ones, so the watch's
        # subqueries run for those alone, not for the whole caseload.
        watched = Watch.objects.filter(ended_at__isnull=True).values("case_id")
        qs = _watch_annotations(
            qs.filter(Q(status=CaseStatus.AWAITING_TRIAGE) | Q(status=CaseStatus.DECLINED, pk__in=watched)), user=user
        ).filter(Q(status=CaseStatus.AWAITING_TRIAGE) | watch_due(timezone.localdate()) | WATCH_NEW_REFERRAL)
    else:
        qs = _clinic_annotations(qs.filter(status__in=CLINIC_STATUSES)).filter(
            Q(current_risk="high", heard_at_clinic=False) | PENDING_CLINIC_REFERRAL | REOFFENDED_IN_MONITORING
        )
    cases = list(qs.select_related("referral").order_by("received_on", "id")[:PROPOSAL_LIMIT])
    if not cases:
        return []
    case_ids = [c.pk for c in cases]
    names = _names_for(user, case_ids)
    elsewhere: dict[int, list[Meeting]] = {}
    for other in (
        AgendaItem.objects.filter(case_id__in=case_ids, meeting__kind=meeting.kind, decision__isnull=True)
        .exclude(meeting=meeting)
        .exclude(meeting__status=MeetingStatus.CONCLUDED)
        .select_related("meeting")
    ):
        elsewhere.setdefault(other.case_id, []).append(other.meeting)
    proposals = []
    for case in cases:
        if meeting.kind == MeetingKind.TRIAGE:
            source = _triage_source(case)
        else:
            referral, hearing = case.last_clinic_referral, case.last_clinic_hearing  # type: ignore[attr-defined]
            reoffended = case.last_reoffending  # type: ignore[attr-defined]
            pending = referral is not None and (hearing is None or referral > hearing)
            reoffending = (
                case.status == CaseStatus.MONITORING
                and reoffended is not None
                and (hearing is None or reoffended > hearing)
            )
            source = (
                AgendaSource.REFERRED_TO_CLINIC
                if pending
                else AgendaSource.REOFFENDING
                if reoffending
                else AgendaSource.HIGH_RISK
            )
        proposals.append(Proposal(case=case, source=source, names=names[case.pk], elsewhere=elsewhere.get(case.pk, [])))
    return proposals


def meeting_proposals_for_user(*, user: User, meeting_id: int) -> list[Proposal]:
    """``GET /api/v1/meetings/{id}/agenda/proposals/``: the proposals, logged."""
    meeting = meeting_get_for_user(user=user, meeting_id=meeting_id)
    proposals = agenda_proposals_for_user(user=user, meeting=meeting)
    _log_cases(user, [p.case.pk for p in proposals], f"Meeting {meeting_id}: proposals")
    return proposals


def proposal_source(*, user: User, meeting: Meeting, case: Case) -> str:
    """Why the builder would propose this case (``added`` when it would not)."""
    for proposal in agenda_proposals_for_user(user=user, meeting=meeting):
        if proposal.case.pk == case.pk:
            return proposal.source
    return AgendaSource.ADDED


def meeting_staff(*, meeting: Meeting) -> QuerySet[User]:
    """Active staff of the meeting's partnership: chairs, attendees and action owners are chosen from them."""
    return (
        User.objects.filter(agency__partnership_id=meeting.partnership_id, is_active=True)
        .select_related("agency")
        .order_by("agency__name", "last_name", "first_name", "id")
    )


# A meeting has no end time: one starting within this long of another is taken to overlap it.
CLASH_WINDOW = dt.timedelta(hours=2)


def meeting_clashes(*, user: User, meeting: Meeting) -> list[Meeting]:
    """Other meetings of the partnership, not concluded, starting within CLASH_WINDOW of this one."""
    return list(
        Meeting.objects.filter(
            partnership_id=meeting.partnership_id,
            starts_at__gt=meeting.starts_at - CLASH_WINDOW,
            starts_at__lt=meeting.starts_at + CLASH_WINDOW,
        )
        .exclude(pk=meeting.pk)
        .exclude(status=MeetingStatus.CONCLUDED)
        .order_by("starts_at", "id")
    )


def partnership_staff(*, user: User) -> QuerySet[User]:
    _require_member(user)
    assert user.agency is not None
    return (
        User.objects.filter(agency__partnership_id=user.agency.partnership_id, is_active=True)
        .select_related("agency")
        .order_by("agency__name", "last_name", "first_name", "id")
    )


# --- actions ---------------------------------------------------------------------------------------------------


def undecided_references(*, user: User, meeting: Meeting) -> list[str]:
    """The references of the cases on the meeting's agenda with no decision yet, that the user may see."""
    visible = case_queryset_for_user(user=user).values("pk")
    return [
        f"MASIP-{case_id:06d}"
        for case_id in AgendaItem.objects.filter(meeting=meeting, decision__isnull=True, case_id__in=visible)
        .order_by("position")
        .values_list("case_id", flat=True)
    ]


class ActionScope:
    MINE = "mine"
    AGENCY = "agency"


@dataclass
class ActionRow:
    action: Action
    overdue: bool
    due_today: bool


@dataclass
class ActionPage:
    rows: list[ActionRow]
    has_more: bool
    page: int


def action_queryset_for_user(*, user: User) -> QuerySet[Action]:
    """Actions on cases the user can see, of the record classes the agreement lets them read."""
    if not case_permissions.is_staff_member(user):
        return Action.objects.none()
    classes = record_classes_for_user(user=user)
    return Action.objects.filter(case_id__in=case_queryset_for_user(user=user).values("pk")).filter(
        _visible_class_q(classes)
    )


def action_list_for_user(*, user: User, scope: str, status: str = ActionStatus.OPEN, page: int = 1) -> ActionPage:
    """ "My actions" or "my agency's actions": open ones by due date (overdue first), or closed ones latest first.

    A fixed number of queries per page; the page after is found by asking for one row more.
    """
    _require_member(user)
    qs = action_queryset_for_user(user=user)
    qs = qs.filter(owner=user) if scope == ActionScope.MINE else qs.filter(owner_agency_id=user.agency_id)
    if status == ActionStatus.OPEN:
        qs = qs.filter(status=ActionStatus.OPEN).order_by("due_on", "id")
    else:
        qs = qs.exclude(status=ActionStatus.OPEN).order_by("-completed_at", "-id")
    page = max(page, 1)
    start = (page - 1) * ACTION_PAGE_SIZE
    found = list(
        qs.select_related("case", "owner", "owner_agency", "item__meeting")[start : start + ACTION_PAGE_SIZE + 1]
    )
    today = timezone.localdate()
    rows = [
        ActionRow(
            action=a,
            overdue=a.status == ActionStatus.OPEN and a.due_on < today,
            due_today=a.status == ActionStatus.OPEN and a.due_on == today,
        )
        for a in found[:ACTION_PAGE_SIZE]
    ]
    # A row even for an empty page: the list was looked at (the page's query count holds it).
    access_record(
        user=user, action=AccessAction.VIEW, record_type="triage.action", record_ids=[r.action.pk for r in rows]
    )
    return ActionPage(rows=rows, has_more=len(found) > ACTION_PAGE_SIZE, page=page)


def action_get_for_user(*, user: User, action_id: int) -> Action:
    """One action, or 404 when its case or its record class is outside the user's scope."""
    _require_member(user)
    action = (
        action_queryset_for_user(user=user)
        .select_related("case", "owner", "owner_agency", "item__meeting", "created_by", "completed_by")
        .filter(pk=action_id)
        .first()
    )
    if action is None:
        raise Http404
    return action


def action_detail_for_user(*, user: User, action_id: int) -> Action:
    """One action as its page and ``GET /api/v1/actions/{id}/`` show it, logged."""
    action = action_get_for_user(user=user, action_id=action_id)
    access_record(user=user, action=AccessAction.VIEW, record_type="triage.action", record_ids=[action.pk])
    return action


def open_action_due_dates(case_ids: Sequence[int]) -> dict[int, dt.date]:
    """The due-date source for Case.next_due_on: each case's earliest open action."""
    return {
        row["case_id"]: row["first_due"]
        for row in Action.objects.filter(case_id__in=list(case_ids), status=ActionStatus.OPEN)
        .values("case_id")
        .annotate(first_due=Min("due_on"))
    }


# --- minutes -----------------------------------------------------------------------------------------------------


def minutes_for_user(*, user: User, meeting_id: int) -> MeetingDetail:
    """The minutes are the meeting as this reader may see it: the same read as the page."""
    detail = _meeting_detail(user, meeting_id)
    _log_cases(user, detail.case_ids, f"Minutes of meeting {meeting_id}")
    return detail


def minutes_export_for_user(*, user: User, meeting_id: int) -> MeetingDetail:
    """The minutes for the PDF: the same shape, logged as an export of every case in them."""
    detail = _meeting_detail(user, meeting_id)
    _log_cases(user, detail.case_ids, f"Minutes of meeting {meeting_id} (PDF)", AccessAction.EXPORT)
    return detail


# --- one case's meetings (the case section) and its overview card ------------------------------------------------


@dataclass
class CaseHearing:
    meeting: Meeting
    item: AgendaItem
    decision: MeetingDecision | None
    shares: list[InformationShare]
    actions: list[Action]


@dataclass
class CaseMeetings:
    case: Case
    identity: CaseIdentity
    hearings: list[CaseHearing]
    can_update_actions: bool


def case_meetings_for_user(*, user: User, case_id: int) -> CaseMeetings:
    """Every meeting that heard (or will hear) the case, newest first, with what the reader may see."""
    case = case_get_for_user(user=user, case_id=case_id)
    classes = record_classes_for_user(user=user)
    items = list(
        AgendaItem.objects.filter(case=case)
        .select_related("meeting", "meeting__chair", "decision", "decision__decided_by")
        .prefetch_related(
            Prefetch(
                "shares",
                queryset=InformationShare.objects.filter(_visible_class_q(classes))
                .select_related("agency", "recorded_by")
                .order_by("created_at", "id"),
                to_attr="visible_shares",
            ),
            Prefetch(
                "actions",
                queryset=Action.objects.filter(_visible_class_q(classes))
                .select_related("owner", "owner_agency")
                .order_by("due_on", "id"),
                to_attr="visible_actions",
            ),
        )
        .order_by("-meeting__starts_at", "-id")
    )
    hearings = [
        CaseHearing(
            meeting=item.meeting,
            item=item,
            decision=getattr(item, "decision", None),
            shares=item.visible_shares,
            actions=item.visible_actions,
        )
        for item in items
    ]
    _log_cases(user, [case.pk], "Case meetings and actions")
    return CaseMeetings(
        case=case,
        identity=case_identity_for_user(user=user, case=case),
        hearings=hearings,
        can_update_actions=case_permissions.is_staff_member(user),
    )


def case_card_for_user(user: Any, case: Case) -> dict[str, Any] | None:
    """The case overview's card: open actions (overdue ones counted) and the latest meeting decision."""
    if not case_permissions.is_staff_member(user):
        return None
    classes = record_classes_for_user(user=user)
    today = timezone.localdate()
    counts = (
        Action.objects.filter(case=case, status=ActionStatus.OPEN)
        .filter(_visible_class_q(classes))
        .aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)), next_due=Min("due_on"))
    )
    decision = (
        MeetingDecision.objects.filter(case=case).select_related("item__meeting").order_by("-decided_at", "-id").first()
    )
    if not counts["open"] and decision is None:
        return None
    return {
        "case": case,
        "open_actions": counts["open"],
        "overdue_actions": counts["overdue"],
        "next_due": counts["next_due"],
        "decision": decision,
    }


# --- the watch list ------------------------------------------------------------------------------------------


@dataclass
class WatchRow:
    watch: Watch
    due: bool
    new_referral_at: dt.datetime | None


def watch_list_for_user(*, user: User) -> list[WatchRow]:
    """The open watches on the cases the user can see, the soonest review first, with whether
    each is due and whether a new referral has named the perpetrator since it began. Logged.
    Triage roles only (who watch cases and hear them again): 404 to others, page and API alike."""
    _require_member(user)
    if not permissions.can_watch(user):
        raise Http404
    today = timezone.localdate()
    cases = {
        c.pk: c
        for c in _watch_annotations(
            case_queryset_for_user(user=user).filter(watches__ended_at__isnull=True), user=user
        ).select_related("referral")
    }
    watches = list(
        Watch.objects.filter(case_id__in=list(cases), ended_at__isnull=True)
        .select_related("started_by")
        .order_by("review_on", "id")
    )
    rows = []
    for watch in watches:
        case = cases[watch.case_id]
        watch.case = case
        new_referral = case.watch_new_referral_at  # type: ignore[attr-defined]
        rows.append(WatchRow(watch=watch, due=watch.review_on <= today, new_referral_at=new_referral))
    _log_cases(user, [w.case_id for w in watches], "Watch list")
    return rows


@dataclass
class CaseWatch:
    case: Case
    watch: Watch | None
    # Whether the case may be put on the watch list now (declined, domestic abuse, not watched).
    eligible: bool


def _case_watch(case: Case) -> CaseWatch:
    watch = Watch.objects.filter(case_id=case.pk, ended_at__isnull=True).select_related("started_by").first()
    if watch is not None:
        watch.case = case
    eligible = (
        watch is None
        and case.status == CaseStatus.DECLINED
        and case.referral.relationship in permissions.DOMESTIC_RELATIONSHIPS
    )
    return CaseWatch(case=case, watch=watch, eligible=eligible)


def case_watch_for_user(
    *, user: User, case_id: int, purpose: str, watched: bool = False, log: bool = True
) -> CaseWatch:
    """The case's open watch, and whether it can be watched, for the pages that start, change
    or end one. 404 outside the user's scope, when there is nothing to show (not watched and
    not eligible; not watched when ``watched`` asks for an open watch). Logged when ``log`` (a
    GET); a POST only gates on it, and its service logs the write (``case_watch_shown`` logs
    the page a refused POST shows again)."""
    case = case_get_for_user(user=user, case_id=case_id)
    found = _case_watch(case)
    if found.watch is None and (watched or not found.eligible):
        raise Http404
    if log:
        _log_cases(user, [case.pk], purpose)
    return found


def case_watch_shown(*, user: User, found: CaseWatch, purpose: str) -> None:
    """The watch page a refused POST shows again, with its errors: logged once, as its GET is."""
    _log_cases(user, [found.case.pk], purpose)


def case_watch_for_watcher(*, user: User, case_id: int, log: bool = True) -> CaseWatch:
    """The case and its open watch for the API, for someone who may watch cases: 404 to every
    other role, as to a case outside the user's scope. Logged when ``log`` (a read); a write
    only gates on it and logs what it writes."""
    if not permissions.can_watch(user):
        raise Http404
    case = case_get_for_user(user=user, case_id=case_id)
    found = _case_watch(case)
    if log:
        _log_cases(user, [case.pk], "Watch list (API)")
    return found


def watch_card_for_user(user: Any, case: Case) -> dict[str, Any] | None:
    """The case overview's watch-list card: the open watch, or the offer to start one. Logged
    when shown (the watch's reason and dates are about the case)."""
    if not case_permissions.is_staff_member(user) or case.status != CaseStatus.DECLINED:
        return None
    found = _case_watch(case_get_for_user(user=user, case_id=case.pk))
    if found.watch is None and not (found.eligible and permissions.can_watch(user)):
        return None
    _log_cases(user, [case.pk], "Watch list: case card")
    return {
        "case": case,
        "watch": found.watch,
        "can_watch": permissions.can_watch(user),
        "today": timezone.localdate(),
    }
