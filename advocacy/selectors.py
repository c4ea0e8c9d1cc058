"""Every read of victim advocacy a person sees: the app's gateway.

Each read function (``*_for_user``) scopes, shapes and logs in one place, and the page
and the API call the same one:

- scope: cases.selectors.case_get_for_user (404 outside the case's scope), then
  advocacy.permissions.may_see_area for the area's class of record (404 when the
  sharing agreement withholds it);
- shape: the victims' names and safe-contact preferences are decided per person by
  cases.permissions.people_classes, the rule of the case page (a victim's location is
  withheld wherever she is a victim in a case the reader may not see);
- log: one access-log row for exactly what it returns.

``*_for_change`` functions only scope a record for a write (they show nothing, so log
nothing: the service logs the change); ``*_after_change`` shape the answer to a write
whose service has just logged that record. Each costs a fixed number of queries,
whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Window
from django.http import Http404
from django.utils import timezone

from advocacy import permissions
from advocacy.models import (
    AdvocacyLead,
    AdvocacySettings,
    AdvocateAssignment,
    Agreement,
    ContactLogEntry,
    ContactLogVersion,
    KeyEvent,
    MeasureStatus,
    NeedLevel,
    NeedsAssessment,
    NeedsAssessmentItem,
    SafetyMeasure,
    SafetyPlan,
    SafetyPlanReview,
    Satisfaction,
    VictimFeedback,
    VictimNotice,
    VictimOutcome,
)
from advocacy.permissions import Area
from advocacy.services import VICTIM_ROLES, feedback_open, settings_for
from agencies.models import Agency, AgencyKind, RecordClass, Role, User
from agencies.selectors import record_classes_for_agency_kind
from audit.models import AccessAction
from audit.services import access_record
from cases.models import (
    Case,
    CaseGroupObjectPermission,
    CaseParty,
    CaseUserObjectPermission,
    ContactChannel,
    PartyRole,
    SafeContactPreference,
)
from cases.permissions import is_staff_member, people_classes, view_case_permission_id
from cases.selectors import case_get_for_user, cases_viewable_by

CONTACT_PAGE_SIZE = 50
RECENT_CONTACTS = 5


# --- the victims of a case ------------------------------------------------------------------------------


@dataclass
class VictimRef:
    person_id: int
    name: str
    role_label: str
    is_primary: bool
    # Her location (safe-contact preferences) as the per-person rule allows this reader.
    location_visible: bool = False
    safe_contact: SafeContactPreference | None = None


def victims_of(*, user: User, case: Case) -> list[VictimRef]:
    """The case's victims as ``user`` may see them: two queries.

    Names and safe-contact preferences are decided per person (people_classes), the
    rule of the case page, so a victim whose location this reader may not have (she is
    a victim in a case they cannot see) carries no preferences here either.
    """
    parts = list(
        CaseParty.objects.filter(case=case, role__in=VICTIM_ROLES)
        .select_related("person", "person__safe_contact")
        .order_by("-is_primary", "id")
    )
    people = people_classes(user, {part.person_id for part in parts})
    victims = []
    for part in parts:
        label = PartyRole(part.role).label
        location = part.person_id in people.location
        victims.append(
            VictimRef(
                person_id=part.person_id,
                name=part.person.display_name if part.person_id in people.identity else f"{label} (identity withheld)",
                role_label=label,
                is_primary=part.is_primary,
                location_visible=location,
                safe_contact=getattr(part.person, "safe_contact", None) if location else None,
            )
        )
    return victims


def _withhold_overrides(rows: Any, located: set[int], person_id: int | None = None) -> None:
    """Blank the override reason of each contact (or version of one) with a victim whose
    location this reader may not have (``VictimRef.location_visible``, from people_classes):
    the mark "not a way agreed as safe" and its reason would tell her agreed ways, which the
    location rule withholds (``guardrails.unsafe_method_error`` is neutral for the same
    reader). Done here so every page, card and API answer shows the same. The rows are
    only read: a change re-reads the contact under lock (``services.contact_update``) and
    keeps the stored reason when none is given."""
    for row in rows:
        if (person_id if person_id is not None else row.person_id) not in located:
            row.unsafe_method_reason = ""


def _located(victims: list[VictimRef]) -> set[int]:
    return {v.person_id for v in victims if v.location_visible}


def _log(user: User, record_type: str, ids: Any, action: AccessAction = AccessAction.VIEW) -> None:
    access_record(user=user, action=action, record_type=record_type, record_ids=list(ids))


def case_for_area(*, user: User, case_id: int, area: Area) -> Case:
    """The case, or 404 when outside the user's scope or when the agreement withholds the area."""
    case = case_get_for_user(user=user, case_id=case_id)
    if not permissions.may_see_area(user, area):
        raise Http404
    return case


def case_for_any_area(*, user: User, case_id: int) -> Case:
    case = case_get_for_user(user=user, case_id=case_id)
    if not permissions.may_see_any_area(user):
        raise Http404
    return case


# --- safe-contact preferences ------------------------------------------------------------------------------


@dataclass
class SafeContactView:
    person_id: int
    victim: str
    recorded: bool
    safe_times: str = ""
    channels: list[str] = field(default_factory=list)
    channel_labels: list[str] = field(default_factory=list)
    no_voicemail: bool = False
    code_word: str = ""
    notes: str = ""
    updated_at: dt.datetime | None = None


def _safe_contact_view(victim: VictimRef) -> SafeContactView:
    pref = victim.safe_contact
    if pref is None:
        return SafeContactView(person_id=victim.person_id, victim=victim.name, recorded=False)
    labels = dict(ContactChannel.choices)
    return SafeContactView(
        person_id=victim.person_id,
        victim=victim.name,
        recorded=True,
        safe_times=pref.safe_times,
        channels=list(pref.channels),
        channel_labels=[str(labels.get(c, c)) for c in pref.channels],
        no_voicemail=pref.no_voicemail,
        code_word=pref.code_word,
        notes=pref.notes,
        updated_at=pref.updated_at,
    )


def safe_contacts_for(victims: list[VictimRef]) -> list[SafeContactView] | None:
    """What a contact action must show first: the victims whose location this reader has
    (victims_of decided it per person); None when there is none."""
    shown = [_safe_contact_view(v) for v in victims if v.location_visible]
    return shown or None


@dataclass
class SafeContactPage:
    case: Case
    victim: VictimRef
    view: SafeContactView


def _safe_contact_page(user: User, case_id: int, person_id: int) -> SafeContactPage:
    case = case_get_for_user(user=user, case_id=case_id)
    victim = next((v for v in victims_of(user=user, case=case) if v.person_id == person_id), None)
    if victim is None or not victim.location_visible:
        raise Http404
    return SafeContactPage(case=case, victim=victim, view=_safe_contact_view(victim))


def safe_contact_for_user(*, user: User, case_id: int, person_id: int) -> SafeContactPage:
    """One victim's safe-contact preferences: 404 unless the per-person location rule allows."""
    page = _safe_contact_page(user, case_id, person_id)
    safe_contact_shown(user=user, page=page)
    return page


def safe_contact_shown(*, user: User, page: SafeContactPage) -> None:
    """Log her preferences as the page shows them: for the GET, and once more when refused
    posted preferences (read with ``safe_contact_page_for_change``) are shown again."""
    _log(user, "cases.safecontactpreference", [page.victim.person_id])


def safe_contact_for_change(*, user: User, case_id: int, person_id: int) -> Case:
    """The case, for a change of this victim's preferences (cases.services.safe_contact_set
    asks the location rule again and logs the change)."""
    return _safe_contact_page(user, case_id, person_id).case


def safe_contact_after_change(*, user: User, case_id: int, person_id: int) -> SafeContactPage:
    return _safe_contact_page(user, case_id, person_id)


def safe_contact_page_for_change(*, user: User, case_id: int, person_id: int) -> SafeContactPage:
    """``safe_contact_for_user``'s scope and shape for posted preferences, without its
    ``view`` row (``cases.services.safe_contact_set`` logs the change)."""
    return _safe_contact_page(user, case_id, person_id)


@dataclass
class ContactFormPage:
    case: Case
    victims: list[VictimRef]
    safe_contacts: list[SafeContactView] | None


def _contact_form(user: User, case_id: int, person_id: int | None) -> ContactFormPage:
    case = case_for_area(user=user, case_id=case_id, area=Area.CONTACT)
    victims = [v for v in victims_of(user=user, case=case) if person_id is None or v.person_id == person_id]
    return ContactFormPage(case=case, victims=victims, safe_contacts=safe_contacts_for(victims))


def contact_form_for_user(*, user: User, case_id: int, person_id: int | None = None) -> ContactFormPage:
    """A contact form: the case's victims (or the one of the contact being changed) and,
    before the form, their safe-contact preferences. Logs the preferences shown."""
    page = _contact_form(user, case_id, person_id)
    contact_form_shown(user=user, page=page)
    return page


def contact_form_shown(*, user: User, page: ContactFormPage) -> None:
    """Log what a contact form shows (the victims and their preferences): for the GET, and
    once more when a refused POST (read with ``contact_form_for_change``) shows it again."""
    _log(user, "cases.safecontactpreference", [v.person_id for v in page.victims])


def contact_form_for_change(*, user: User, case_id: int, person_id: int | None = None) -> ContactFormPage:
    """``contact_form_for_user``'s scope and shape for a posted contact, without its ``view``
    row: a POST logs what it does (the service's ``create`` or ``change``)."""
    return _contact_form(user, case_id, person_id)


@dataclass
class VictimsPage:
    case: Case
    victims: list[VictimRef]


def victims_for_user(*, user: User, case_id: int, area: Area) -> VictimsPage:
    """A form of one area that asks which victim (needs, safety measures, reviews): her
    name is shown, so the people shown are logged."""
    page = victims_for_change(user=user, case_id=case_id, area=area)
    victims_shown(user=user, page=page)
    return page


def victims_for_change(*, user: User, case_id: int, area: Area) -> VictimsPage:
    """``victims_for_user``'s scope and shape for a posted form, without its ``view`` row: a
    POST logs what it does (the service's ``create`` or ``change``)."""
    case = case_for_area(user=user, case_id=case_id, area=area)
    return VictimsPage(case=case, victims=victims_of(user=user, case=case))


def victims_shown(*, user: User, page: VictimsPage) -> None:
    """Log the victims a form names: for the GET, and once more when a refused POST (read
    with ``victims_for_change``) shows the form again."""
    _log(user, "cases.person", [v.person_id for v in page.victims])


# --- the advocate -------------------------------------------------------------------------------------------------


@dataclass
class VictimAdvocate:
    victim: VictimRef
    current: AdvocateAssignment | None
    history: list[AdvocateAssignment]


def _advocates(case: Case, victims: list[VictimRef]) -> list[VictimAdvocate]:
    rows: dict[int, list[AdvocateAssignment]] = defaultdict(list)
    for assignment in (
        AdvocateAssignment.objects.filter(case=case)
        .select_related("advocate", "agency", "assigned_by", "ended_by")
        .order_by("-started_at", "-id")
    ):
        rows[assignment.person_id].append(assignment)
    return [
        VictimAdvocate(
            victim=v,
            current=next((a for a in rows[v.person_id] if a.ended_at is None), None),
            history=rows[v.person_id],
        )
        for v in victims
    ]


@dataclass
class AssignmentPage:
    case: Case
    advocates: list[VictimAdvocate]
    candidates: list[User]


def advocate_candidates(*, case: Case) -> list[User]:
    """Active advocates of the advocacy agencies that can see the case (the rule of can_be_advocate, in SQL)."""
    classes = record_classes_for_agency_kind(partnership_id=case.partnership_id, agency_kind=AgencyKind.ADVOCACY)
    if not {RecordClass.VICTIM_IDENTITY, RecordClass.VICTIM_LOCATION} <= classes:
        return []
    perm_id = view_case_permission_id()
    granted = Q(
        pk__in=CaseUserObjectPermission.objects.filter(content_object=case, permission_id=perm_id).values("user_id")
    )
    if not case.is_restricted:
        granted |= Q(
            agency__group__in=CaseGroupObjectPermission.objects.filter(
                content_object=case, permission_id=perm_id
            ).values("group_id")
        )
    return list(
        User.objects.filter(
            granted,
            agency__partnership_id=case.partnership_id,
            agency__kind=AgencyKind.ADVOCACY,
            role=Role.ADVOCATE,
            is_active=True,
        )
        .select_related("agency")
        .order_by("last_name", "first_name", "pk")
    )


def assignments_for_user(*, user: User, case_id: int) -> AssignmentPage:
    """The advocate page: each victim's advocates, past and present, logged as shown."""
    page = assignments_for_change(user=user, case_id=case_id)
    assignments_shown(user=user, page=page)
    return page


def assignments_for_change(*, user: User, case_id: int) -> AssignmentPage:
    """``assignments_for_user``'s scope and shape for a posted assignment or ending, without its
    ``view`` row: the POST logs what it does (the service's ``create`` or ``change``)."""
    case = case_for_area(user=user, case_id=case_id, area=Area.ASSIGNMENT)
    victims = victims_of(user=user, case=case)
    candidates = advocate_candidates(case=case) if permissions.can_assign_advocate(user) else []
    return AssignmentPage(case=case, advocates=_advocates(case, victims), candidates=candidates)


def assignments_shown(*, user: User, page: AssignmentPage) -> None:
    """Log the assignments the advocate page shows: for the GET, and once more when a refused
    POST (read with ``assignments_for_change``) shows the page again."""
    _log(user, "advocacy.advocateassignment", [a.pk for row in page.advocates for a in row.history])


# --- the contact log ---------------------------------------------------------------------------------------------


@dataclass
class ContactLog:
    case: Case
    victims: list[VictimRef]
    entries: list[ContactLogEntry]
    next_cursor: str | None
    victim_names: dict[int, str]


def _contacts_qs(case: Case) -> Any:
    return ContactLogEntry.objects.filter(case=case).select_related("staff_member", "staff_member__agency")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, int] | None:
    try:
        stamp, pk = cursor.rsplit("_", 1)
        return dt.datetime.fromisoformat(stamp), int(pk)
    except ValueError:
        return None


def contact_log_for_user(*, user: User, case_id: int, cursor: str = "", limit: int = CONTACT_PAGE_SIZE) -> ContactLog:
    """The contact log, newest first, a page at a time (keyset on occurred_at, id)."""
    case = case_for_area(user=user, case_id=case_id, area=Area.CONTACT)
    victims = victims_of(user=user, case=case)
    qs = _contacts_qs(case)
    decoded = _decode_cursor(cursor) if cursor else None
    if decoded is not None:
        stamp, pk = decoded
        qs = qs.filter(Q(occurred_at__lt=stamp) | Q(occurred_at=stamp, pk__lt=pk))
    rows = list(qs.order_by("-occurred_at", "-id")[: limit + 1])
    entries = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = entries[-1]
        next_cursor = f"{last.occurred_at.isoformat()}_{last.pk}"
    _withhold_overrides(entries, _located(victims))
    _log(user, "advocacy.contactlogentry", [e.pk for e in entries])
    return ContactLog(
        case=case,
        victims=victims,
        entries=entries,
        next_cursor=next_cursor,
        victim_names={v.person_id: v.name for v in victims},
    )


@dataclass
class PersonContacts:
    """The contacts with one person a reader may see, and how many are kept from them."""

    shown: list[ContactLogEntry]
    kept: int


def contacts_with_person(*, user: User, person_id: int) -> PersonContacts:
    """Every contact with one person, by the contact log's rule (``contact_log_for_user``):
    only on cases the user may open, and only where the agreement gives their agency the
    contact log's area. The rest are counted in ``kept``. Logs nothing: for a caller that
    logs its own disclosure once (a subject access request)."""
    contacts = ContactLogEntry.objects.filter(person_id=person_id)
    if not permissions.may_see_area(user, Area.CONTACT):
        return PersonContacts(shown=[], kept=contacts.count())
    shown = list(
        contacts.filter(case_id__in=cases_viewable_by(user=user).values("pk"))
        .select_related("staff_member", "staff_member__agency")
        .order_by("occurred_at", "id")
    )
    return PersonContacts(shown=shown, kept=contacts.count() - len(shown))


@dataclass
class ContactDetail:
    case: Case
    entry: ContactLogEntry
    versions: list[ContactLogVersion]
    victim: str


def contact_for_change(*, user: User, case_id: int, contact_id: int) -> ContactLogEntry:
    case = case_for_area(user=user, case_id=case_id, area=Area.CONTACT)
    entry = _contacts_qs(case).filter(pk=contact_id).first()
    if entry is None:
        raise Http404
    entry.case = case
    return entry


def _contact_detail(user: User, case_id: int, contact_id: int) -> ContactDetail:
    entry = contact_for_change(user=user, case_id=case_id, contact_id=contact_id)
    victim = next((v for v in victims_of(user=user, case=entry.case) if v.person_id == entry.person_id), None)
    versions = list(entry.versions.select_related("staff_member", "recorded_by").order_by("-number"))
    located = _located([victim]) if victim else set()
    _withhold_overrides([entry], located)
    _withhold_overrides(versions, located, person_id=entry.person_id)
    return ContactDetail(
        case=entry.case, entry=entry, versions=versions, victim=victim.name if victim else "Victim (identity withheld)"
    )


def contact_get_for_user(*, user: User, case_id: int, contact_id: int) -> ContactDetail:
    detail = _contact_detail(user, case_id, contact_id)
    _log(user, "advocacy.contactlogentry", [detail.entry.pk])
    return detail


def contact_after_change(*, user: User, case_id: int, contact_id: int) -> ContactDetail:
    return _contact_detail(user, case_id, contact_id)


def contact_detail_for_change(*, user: User, case_id: int, contact_id: int) -> ContactDetail:
    """The contact a posted correction changes, scoped as ``contact_get_for_user`` without its
    ``view`` row (``contact_update`` logs the change)."""
    return _contact_detail(user, case_id, contact_id)


# --- needs -------------------------------------------------------------------------------------------------------


@dataclass
class NeedsStart:
    """Where a new needs assessment starts: the victim's last one (``last_id``, None when she
    has none), as levels and "Last time: …" hints by domain."""

    last_id: int | None
    levels: dict[str, str]
    hints: dict[str, str]


def _last_assessment(case: Case, person_id: int) -> Any:
    return NeedsAssessment.objects.filter(case=case, person_id=person_id).order_by("-assessed_on", "-id")


def needs_start_for_change(*, case: Case, person_id: int) -> NeedsStart:
    """The levels and hints a needs form starts from, without a row: for a posted
    assessment (the service logs what it records); ``needs_start_shown`` logs them shown."""
    last = _last_assessment(case, person_id).prefetch_related("items").first()
    if last is None:
        return NeedsStart(last_id=None, levels={}, hints={})
    items = list(last.items.all())
    return NeedsStart(
        last_id=last.pk,
        levels={i.domain: i.level for i in items},
        hints={i.domain: f"Last time ({last.assessed_on:%-d %B %Y}): {i.get_level_display()}" for i in items},
    )


def needs_start_shown(*, user: User, start: NeedsStart) -> None:
    """Log the last assessment whose levels a needs form shows: for the GET, and once more when
    a refused POST (read with ``needs_start_for_change``) shows the form again."""
    if start.last_id is not None:
        _log(user, "advocacy.needsassessment", [start.last_id])


def needs_start_for_user(*, user: User, case: Case, person_id: int) -> NeedsStart:
    """Where a new needs assessment starts, logged as a view of that assessment."""
    start = needs_start_for_change(case=case, person_id=person_id)
    needs_start_shown(user=user, start=start)
    return start


@dataclass
class NeedsPage:
    case: Case
    victims: list[VictimRef]
    assessments: list[NeedsAssessment]
    latest: dict[int, NeedsAssessment]
    victim_names: dict[int, str]


def needs_for_user(*, user: User, case_id: int) -> NeedsPage:
    case = case_for_area(user=user, case_id=case_id, area=Area.NEEDS)
    victims = victims_of(user=user, case=case)
    assessments = list(
        NeedsAssessment.objects.filter(case=case)
        .select_related("assessed_by")
        .prefetch_related(Prefetch("items", queryset=NeedsAssessmentItem.objects.order_by("id")))
        .order_by("-assessed_on", "-id")
    )
    latest: dict[int, NeedsAssessment] = {}
    for assessment in assessments:
        latest.setdefault(assessment.person_id, assessment)
    # Each domain's change since the victim's assessment before: oldest first, carrying levels on.
    levels = {value: index for index, value in enumerate(NeedLevel.values)}
    before: dict[int, dict[str, NeedsAssessmentItem]] = {}
    for assessment in reversed(assessments):
        earlier = before.setdefault(assessment.person_id, {})
        for item in assessment.items.all():
            previous = earlier.get(item.domain)
            item.previous_label = previous.get_level_display() if previous else ""  # type: ignore[attr-defined]
            item.change = (  # type: ignore[attr-defined]
                ""
                if previous is None
                else "up"
                if levels[item.level] > levels[previous.level]
                else "down"
                if levels[item.level] < levels[previous.level]
                else "same"
            )
            earlier[item.domain] = item
    _log(user, "advocacy.needsassessment", [a.pk for a in assessments])
    return NeedsPage(
        case=case,
        victims=victims,
        assessments=assessments,
        latest=latest,
        victim_names={v.person_id: v.name for v in victims},
    )


# --- the victim's outcomes ------------------------------------------------------------------------------------------


@dataclass
class OutcomeTrend:
    """One measure of one victim: her first answer, her latest, and the change."""

    measure: str
    label: str
    first: int
    latest: int
    first_on: dt.date
    latest_on: dt.date
    higher_is_better: bool

    @property
    def change(self) -> int:
        return self.latest - self.first

    @property
    def direction(self) -> str:
        if self.change == 0:
            return "same"
        better = self.change > 0 if self.higher_is_better else self.change < 0
        return "improved" if better else "worse"


@dataclass
class VictimOutcomes:
    victim: VictimRef
    rows: list[VictimOutcome]
    trends: list[OutcomeTrend]


@dataclass
class OutcomesPage:
    case: Case
    victims: list[VictimOutcomes]


OUTCOME_MEASURES: tuple[tuple[str, str, bool], ...] = (
    ("feels_safe", "How safe she feels (0 to 10)", True),
    ("wellbeing", "Wellbeing (0 to 10)", True),
    ("incidents_last_month", "Incidents in the last month", False),
)


def outcome_trends(rows: list[VictimOutcome]) -> list[OutcomeTrend]:
    """First against latest answer per measure, over rows given oldest first (the evaluation's rule:
    two or more dates; of two on one day the later recorded)."""
    trends = []
    for measure, label, higher_is_better in OUTCOME_MEASURES:
        answered = [r for r in rows if getattr(r, measure) is not None]
        if len({r.recorded_on for r in answered}) < 2:
            continue
        first_on = answered[0].recorded_on
        first = [r for r in answered if r.recorded_on == first_on][-1]
        latest = answered[-1]
        trends.append(
            OutcomeTrend(
                measure=measure,
                label=label,
                first=getattr(first, measure),
                latest=getattr(latest, measure),
                first_on=first.recorded_on,
                latest_on=latest.recorded_on,
                higher_is_better=higher_is_better,
            )
        )
    return trends


def outcomes_for_user(*, user: User, case_id: int) -> OutcomesPage:
    case = case_for_area(user=user, case_id=case_id, area=Area.OUTCOMES)
    victims = victims_of(user=user, case=case)
    rows = list(VictimOutcome.objects.filter(case=case).select_related("recorded_by").order_by("recorded_on", "id"))
    by_person: dict[int, list[VictimOutcome]] = defaultdict(list)
    for row in rows:
        by_person[row.person_id].append(row)
    _log(user, "advocacy.victimoutcome", [r.pk for r in rows])
    return OutcomesPage(
        case=case,
        victims=[
            VictimOutcomes(victim=v, rows=by_person[v.person_id], trends=outcome_trends(by_person[v.person_id]))
            for v in victims
        ],
    )


# --- safety plans ---------------------------------------------------------------------------------------------------


@dataclass
class PlanView:
    victim: VictimRef
    plan: SafetyPlan | None
    measures: list[SafetyMeasure]
    reviews: list[SafetyPlanReview]

    @property
    def in_place(self) -> int:
        return sum(1 for m in self.measures if m.status == MeasureStatus.IN_PLACE)


def _plans(case: Case, victims: list[VictimRef]) -> list[PlanView]:
    plans = {
        plan.person_id: plan
        for plan in SafetyPlan.objects.filter(case=case).prefetch_related(
            Prefetch(
                "measures",
                queryset=SafetyMeasure.objects.select_related("owner_agency", "owner").order_by("kind", "id"),
            ),
            Prefetch("reviews", queryset=SafetyPlanReview.objects.select_related("reviewed_by")),
        )
    }
    views = []
    for victim in victims:
        plan = plans.get(victim.person_id)
        views.append(
            PlanView(
                victim=victim,
                plan=plan,
                measures=list(plan.measures.all()) if plan else [],
                reviews=list(plan.reviews.all()) if plan else [],
            )
        )
    return views


@dataclass
class SafetyPlanPage:
    case: Case
    plans: list[PlanView]


def safety_plans_for_user(*, user: User, case_id: int) -> SafetyPlanPage:
    case = case_for_area(user=user, case_id=case_id, area=Area.SAFETY_PLAN)
    page = SafetyPlanPage(case=case, plans=_plans(case, victims_of(user=user, case=case)))
    _log(user, "advocacy.safetyplan", [p.plan.pk for p in page.plans if p.plan is not None])
    return page


def measure_get_for_user(*, user: User, case_id: int, measure_id: int) -> SafetyMeasure:
    measure = measure_for_change(user=user, case_id=case_id, measure_id=measure_id)
    measure_shown(user=user, measure=measure)
    return measure


def measure_shown(*, user: User, measure: SafetyMeasure) -> None:
    """Log a measure as its form shows it: for the GET, and once more when a refused POST
    (read with ``measure_for_change``) shows the form again."""
    _log(user, "advocacy.safetymeasure", [measure.pk])


def measure_for_change(*, user: User, case_id: int, measure_id: int) -> SafetyMeasure:
    case = case_for_area(user=user, case_id=case_id, area=Area.SAFETY_PLAN)
    measure = (
        SafetyMeasure.objects.filter(pk=measure_id, plan__case=case)
        .select_related("plan", "plan__person", "owner_agency", "owner")
        .first()
    )
    if measure is None:
        raise Http404
    measure.plan.case = case
    return measure


def measure_owner_choices(*, case: Case) -> list[Agency]:
    return list(Agency.objects.filter(partnership_id=case.partnership_id).order_by("name"))


# --- key events ----------------------------------------------------------------------------------------------------


@dataclass
class KeyEventsPage:
    case: Case
    events: list[KeyEvent]
    untold: list[VictimNotice]
    victim_names: dict[int, str]


def _notices_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "notices",
        queryset=VictimNotice.objects.select_related("advocate", "told_by", "agency").order_by("id"),
    )


def key_events_for_user(*, user: User, case_id: int) -> KeyEventsPage:
    case = case_for_area(user=user, case_id=case_id, area=Area.KEY_EVENT)
    victims = victims_of(user=user, case=case)
    events = list(
        KeyEvent.objects.filter(case=case)
        .select_related("recorded_by", "recorded_agency")
        .prefetch_related(_notices_prefetch())
        .order_by("-recorded_at", "-id")
    )
    untold = [n for e in events for n in e.notices.all() if n.told_at is None]
    untold.sort(key=lambda n: n.tell_by)
    _log(user, "advocacy.keyevent", [e.pk for e in events])
    return KeyEventsPage(case=case, events=events, untold=untold, victim_names={v.person_id: v.name for v in victims})


@dataclass
class NoticePage:
    case: Case
    notice: VictimNotice
    event: KeyEvent
    victim: VictimRef
    safe_contact: SafeContactView | None


def notice_for_change(*, user: User, case_id: int, notice_id: int) -> VictimNotice:
    return _notice_page(user, case_id, notice_id).notice


def notice_get_for_user(*, user: User, case_id: int, notice_id: int) -> NoticePage:
    """One victim and one key event, her safe-contact preferences first (where she may be reached)."""
    page = _notice_page(user, case_id, notice_id)
    notice_shown(user=user, page=page)
    return page


def notice_shown(*, user: User, page: NoticePage) -> None:
    """Log the notice and her preferences as the page shows them: for the GET, and once
    more when a refused "she was told" (read with ``notice_page_for_change``) is shown again."""
    _log(user, "advocacy.victimnotice", [page.notice.pk])
    if page.safe_contact is not None:
        _log(user, "cases.safecontactpreference", [page.victim.person_id])


def notice_page_for_change(*, user: User, case_id: int, notice_id: int) -> NoticePage:
    """``notice_get_for_user``'s scope and shape for a posted "she was told", without its
    ``view`` rows (``services.victim_told`` logs the contact and the notice it writes)."""
    return _notice_page(user, case_id, notice_id)


def _notice_page(user: User, case_id: int, notice_id: int) -> NoticePage:
    case = case_for_area(user=user, case_id=case_id, area=Area.KEY_EVENT)
    notice = (
        VictimNotice.objects.filter(pk=notice_id, key_event__case=case)
        .select_related(
            "key_event", "key_event__recorded_agency", "key_event__recorded_by", "advocate", "told_by", "told_contact"
        )
        .first()
    )
    if notice is None:
        raise Http404
    notice.key_event.case = case
    victim = next((v for v in victims_of(user=user, case=case) if v.person_id == notice.person_id), None)
    if victim is None:
        raise Http404
    if notice.told_contact is not None:
        _withhold_overrides([notice.told_contact], _located([victim]))
    views = safe_contacts_for([victim])
    return NoticePage(
        case=case, notice=notice, event=notice.key_event, victim=victim, safe_contact=views[0] if views else None
    )


# --- feedback -----------------------------------------------------------------------------------------------------


@dataclass
class FeedbackRow:
    victim: VictimRef
    feedback: VictimFeedback | None
    open: bool


@dataclass
class FeedbackPage:
    case: Case
    rows: list[FeedbackRow]


def feedback_for_user(*, user: User, case_id: int) -> FeedbackPage:
    case = case_for_area(user=user, case_id=case_id, area=Area.FEEDBACK)
    victims = victims_of(user=user, case=case)
    found = {f.person_id: f for f in VictimFeedback.objects.filter(case=case).select_related("recorded_by")}
    page = FeedbackPage(
        case=case,
        rows=[
            FeedbackRow(victim=v, feedback=found.get(v.person_id), open=feedback_open(case, v.person_id))
            for v in victims
        ],
    )
    _log(user, "advocacy.victimfeedback", [row.feedback.pk for row in page.rows if row.feedback])
    return page


@dataclass
class FeedbackQuestionSummary:
    question: str
    label: str
    counts: list[tuple[int, str, int]]  # (value, label, how many)
    answered: int
    positive: int  # answers of 4 or 5

    @property
    def positive_percent(self) -> float | None:
        return round(100 * self.positive / self.answered, 1) if self.answered else None


@dataclass
class FeedbackSummary:
    start: dt.date | None
    end: dt.date | None
    collected: int
    declined: int
    questions: list[FeedbackQuestionSummary]


FEEDBACK_QUESTIONS: list[tuple[str, str, type[Agreement] | type[Satisfaction]]] = [
    ("feels_safer", "I feel safer than when the support started", Agreement),
    ("felt_informed", "I was kept informed about my case", Agreement),
    ("coping", "I feel better able to cope", Agreement),
    ("overall_satisfaction", "Overall, how satisfied are you with the support?", Satisfaction),
]


def feedback_summary_for_user(
    *, user: User, start: dt.date | None = None, end: dt.date | None = None
) -> FeedbackSummary:
    """Counts of each answer across the partnership, for reporting: no person, no case."""
    if not is_staff_member(user) or not permissions.can_see_feedback_summary(user):
        raise Http404
    assert user.agency is not None
    qs = VictimFeedback.objects.filter(case__partnership_id=user.agency.partnership_id)
    if start:
        qs = qs.filter(collected_on__gte=start)
    if end:
        qs = qs.filter(collected_on__lte=end)
    aggregates: dict[str, Any] = {"collected": Count("id"), "declined": Count("id", filter=Q(declined=True))}
    for name, _, scale in FEEDBACK_QUESTIONS:
        for value in scale.values:
            aggregates[f"{name}_{value}"] = Count("id", filter=Q(**{name: value}))
    totals = qs.aggregate(**aggregates)
    questions = []
    for name, label, scale in FEEDBACK_QUESTIONS:
        counts = [(int(value), str(choice_label), totals[f"{name}_{value}"]) for value, choice_label in scale.choices]
        questions.append(
            FeedbackQuestionSummary(
                question=name,
                label=label,
                counts=counts,
                answered=sum(c for _, _, c in counts),
                positive=sum(c for value, _, c in counts if value >= 4),
            )
        )
    return FeedbackSummary(
        start=start, end=end, collected=totals["collected"], declined=totals["declined"], questions=questions
    )


# --- the section's overview ------------------------------------------------------------------------------------------


@dataclass
class Overview:
    case: Case
    victims: list[VictimRef]
    advocates: list[VictimAdvocate] | None
    safe_contacts: list[SafeContactView] | None
    recent_contacts: list[ContactLogEntry] | None
    untold: list[VictimNotice] | None
    needs: dict[int, NeedsAssessment] | None
    plans: list[PlanView] | None
    feedback: FeedbackPage | None
    areas: frozenset[str]

    @property
    def victim_names(self) -> dict[int, str]:
        return {v.person_id: v.name for v in self.victims}


def overview_for_user(*, user: User, case_id: int) -> Overview:
    """Everything of the section this user may see; the areas withheld are None."""
    case = case_for_any_area(user=user, case_id=case_id)
    areas = frozenset(a.value for a in Area if permissions.may_see_area(user, a))
    victims = victims_of(user=user, case=case)
    needs: dict[int, NeedsAssessment] | None = None
    if Area.NEEDS in areas:
        needs = {}
        for assessment in (
            NeedsAssessment.objects.filter(case=case)
            .prefetch_related(Prefetch("items", queryset=NeedsAssessmentItem.objects.order_by("id")))
            .order_by("-assessed_on", "-id")
        ):
            needs.setdefault(assessment.person_id, assessment)
    found: dict[int, VictimFeedback] | None = None
    if Area.FEEDBACK in areas:
        found = {f.person_id: f for f in VictimFeedback.objects.filter(case=case)}
    untold = None
    if Area.KEY_EVENT in areas:
        untold = list(
            VictimNotice.objects.filter(key_event__case=case, told_at__isnull=True)
            .select_related("key_event", "advocate")
            .order_by("tell_by", "id")
        )
    recent: list[ContactLogEntry] | None = None
    if Area.CONTACT in areas:
        recent = list(_contacts_qs(case).order_by("-occurred_at", "-id")[:RECENT_CONTACTS])
        _withhold_overrides(recent, _located(victims))
    _log(user, "advocacy.case", [case.pk])
    return Overview(
        case=case,
        victims=victims,
        advocates=_advocates(case, victims) if Area.ASSIGNMENT in areas else None,
        safe_contacts=safe_contacts_for(victims),
        recent_contacts=recent,
        untold=untold,
        needs=needs,
        plans=_plans(case, victims) if Area.SAFETY_PLAN in areas else None,
        feedback=FeedbackPage(
            case=case,
            rows=[
                FeedbackRow(victim=v, feedback=found.get(v.person_id), open=feedback_open(case, v.person_id))
                for v in victims
            ],
        )
        if found is not None
        else None,
        areas=areas,
    )


# --- the summary card on the case overview (advocacy staff only) ------------------------------------------------------


def card_context(user: Any, case: Any) -> dict[str, Any] | None:
    """cases.extensions summary card: the victim's advocate, contacts, what is owed, and quick add.

    Part of the case page, whose own read logs the page; card_for_user logs the card shown alone.
    """
    if not (permissions.is_advocacy_staff(user) and permissions.may_see_area(user, Area.CONTACT)):
        return None
    victims = victims_of(user=user, case=case)
    if not victims:
        return None
    current = {
        a.person_id: a
        for a in AdvocateAssignment.objects.filter(case=case, ended_at__isnull=True).select_related("advocate")
    }
    # The latest contact and how many there are, in one query (a window count over the case's rows).
    last = _contacts_qs(case).annotate(total=Window(Count("id"))).order_by("-occurred_at", "-id").first()
    untold = VictimNotice.objects.filter(key_event__case=case, told_at__isnull=True).aggregate(
        count=Count("id"), overdue=Count("id", filter=Q(tell_by__lt=timezone.now()))
    )
    # Measures in place and the reviews past their date, in one query (needs and safety plans
    # are the same class of record).
    in_place = None
    reviews_overdue: list[str] = []
    if permissions.may_see_area(user, Area.SAFETY_PLAN):
        today = timezone.localdate()
        newer = NeedsAssessment.objects.filter(
            case_id=OuterRef("case_id"), person_id=OuterRef("person_id"), assessed_on__gt=OuterRef("assessed_on")
        )
        found = (
            Case.objects.filter(pk=case.pk)
            .annotate(
                in_place=Subquery(
                    SafetyMeasure.objects.filter(plan__case=OuterRef("pk"), status=MeasureStatus.IN_PLACE)
                    .values("plan__case")
                    .annotate(n=Count("id"))
                    .values("n")[:1]
                ),
                needs_overdue=Exists(
                    NeedsAssessment.objects.filter(case=OuterRef("pk"), review_on__lt=today).exclude(Exists(newer))
                ),
                plan_overdue=Exists(SafetyPlan.objects.filter(case=OuterRef("pk"), review_on__lt=today)),
            )
            .values("in_place", "needs_overdue", "plan_overdue")
            .get()
        )
        in_place = found["in_place"] or 0
        reviews_overdue = [
            label
            for label, late in (("Needs assessment", found["needs_overdue"]), ("Safety plan", found["plan_overdue"]))
            if late
        ]
    return {
        "case": case,
        "victims": victims,
        "advocates": [(v, current.get(v.person_id)) for v in victims],
        "contact_count": last.total if last else 0,
        "last_contact": last,
        "next_contact_due": last.next_contact_due if last else None,
        "untold": untold["count"],
        "overdue": untold["overdue"],
        "in_place": in_place,
        "reviews_overdue": reviews_overdue,
        "safe_contacts": safe_contacts_for(victims),
        "can_log": permissions.can_work(user, Area.CONTACT),
    }


def card_for_user(*, user: User, case_id: int) -> dict[str, Any]:
    """The card on its own (the quick add's htmx answer): 404 where the case page shows none."""
    case = case_for_area(user=user, case_id=case_id, area=Area.CONTACT)
    card = card_context(user, case)
    if card is None:
        raise Http404
    _log(user, "advocacy.case", [case.pk])
    return card


# --- settings --------------------------------------------------------------------------------------------------


@dataclass
class SettingsPage:
    settings: AdvocacySettings
    agencies: list[Agency]
    leads: list[AdvocacyLead]
    staff: list[User]


def settings_for_admin(*, user: User) -> SettingsPage:
    if not permissions.can_manage_settings(user):
        raise Http404
    assert user.agency is not None
    partnership_id = user.agency.partnership_id
    agencies = list(Agency.objects.filter(partnership_id=partnership_id, kind=AgencyKind.ADVOCACY).order_by("name"))
    leads = list(
        AdvocacyLead.objects.filter(agency__partnership_id=partnership_id)
        .select_related("agency", "user")
        .order_by("agency__name", "user__last_name", "user__first_name")
    )
    staff = list(
        User.objects.filter(agency__in=agencies, is_active=True)
        .select_related("agency")
        .order_by("last_name", "first_name", "pk")
    )
    return SettingsPage(
        settings=settings_for(partnership_id=partnership_id), agencies=agencies, leads=leads, staff=staff
    )
