"""Who may see and do what on a case. Selectors, services, pages and APIs all ask these.

Case level: a case is visible to the agencies it is shared with (guardian group
object permissions on the direct-FK table), plus the exceptions guardian keeps
per user, plus an unexpired break-glass grant. A restricted case ignores agency
shares. Record-class level: the partnership's information-sharing agreement
(agencies.selectors.record_classes_for_user).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q
from django.db.models.lookups import Exact
from django.http import Http404
from django.utils import timezone

from agencies.models import RecordClass, Role, User
from agencies.selectors import record_classes_for_user
from agencies.staff import is_staff_member as is_staff_member
from cases.models import (
    BreakGlassAccess,
    Case,
    CaseGroupObjectPermission,
    CaseParty,
    CaseStatus,
    CaseUserObjectPermission,
    PartyRole,
)

VIEW_CASE = "view_case"


@cache
def view_case_permission_id() -> int:
    """The id of cases.view_case; constant for the life of the process."""
    return Permission.objects.only("id").get(content_type__app_label="cases", codename=VIEW_CASE).pk


def case_visibility_q(user: User) -> Q:
    """The access rule as one filter: shared with the user's agency, or granted to the user.

    Correlated EXISTS subqueries on the direct-FK permission tables; the planner
    probes the (group, permission, case) index once per candidate row, so the
    caseload's cost does not grow with the partnership's size.

    "Not restricted" is written inside the sharing EXISTS (it is the same rule: a
    restricted case's agency shares do not count). Outside, PostgreSQL may turn the
    EXISTS into a hashed subplan that first reads every case the agency shares, which
    costs a scan of the agency's whole share (about 76,000 rows for a large partnership
    at a million cases) on every page; a condition on the outer row inside the EXISTS
    keeps it a per-row index probe, about 26 of them for a first page.
    """
    assert user.agency is not None
    perm_id = view_case_permission_id()
    shared_with_agency = Exists(
        CaseGroupObjectPermission.objects.filter(
            Exact(OuterRef("is_restricted"), False),
            group_id=user.agency.group_id,
            permission_id=perm_id,
            content_object_id=OuterRef("pk"),
        )
    )
    granted_to_user = Exists(
        CaseUserObjectPermission.objects.filter(
            user_id=user.pk, permission_id=perm_id, content_object_id=OuterRef("pk")
        )
    )
    return Q(partnership_id=user.agency.partnership_id) & (shared_with_agency | granted_to_user)


def has_break_glass(user: User, case_id: int) -> bool:
    return BreakGlassAccess.objects.filter(user=user, case_id=case_id, expires_at__gt=timezone.now()).exists()


def can_view_case(user: Any, case: Case, *, break_glass: bool = True) -> bool:
    """Single-object check (pages of one case, services): the same rule as the caseload.

    ``break_glass=False`` asks whether the user holds the case in their own right: a
    break-glass look lets them read it, not change who else may (sharing, grants).
    """
    if not is_staff_member(user) or user.agency.partnership_id != case.partnership_id:
        return False
    perm_id = view_case_permission_id()
    if CaseUserObjectPermission.objects.filter(user=user, permission_id=perm_id, content_object=case).exists():
        return True
    if case.is_restricted:
        # Only a personal grant opens a restricted case: not an agency share, not break-glass.
        return False
    if CaseGroupObjectPermission.objects.filter(
        group_id=user.agency.group_id, permission_id=perm_id, content_object=case
    ).exists():
        return True
    return break_glass and has_break_glass(user, case.pk)


def require_case(actor: Any, case: Case) -> None:
    """The services' gate on one case: 404 unless the actor may see it (``can_view_case``)."""
    if not can_view_case(actor, case):
        raise Http404


def viewable_pairs(pairs: Iterable[tuple[Any, Case]]) -> set[tuple[int, int]]:
    """``can_view_case`` for many (user, case) pairs at once: the (user id, case id) pairs allowed.

    The same rule, asked with three queries whatever the number of pairs, for the jobs that
    decide who owns many cases (follow-up reminders and candidates). A test keeps the two in step.
    """
    candidates = [
        (user, case)
        for user, case in pairs
        if is_staff_member(user) and user.agency.partnership_id == case.partnership_id
    ]
    if not candidates:
        return set()
    perm_id = view_case_permission_id()
    user_ids = {user.pk for user, _ in candidates}
    case_ids = {case.pk for _, case in candidates}
    granted = set(
        CaseUserObjectPermission.objects.filter(
            permission_id=perm_id, user_id__in=user_ids, content_object_id__in=case_ids
        ).values_list("user_id", "content_object_id")
    )
    shared = set(
        CaseGroupObjectPermission.objects.filter(
            permission_id=perm_id,
            group_id__in={user.agency.group_id for user, _ in candidates},
            content_object_id__in=case_ids,
        ).values_list("group_id", "content_object_id")
    )
    broken_glass = set(
        BreakGlassAccess.objects.filter(
            user_id__in=user_ids, case_id__in=case_ids, expires_at__gt=timezone.now()
        ).values_list("user_id", "case_id")
    )
    return {
        (user.pk, case.pk)
        for user, case in candidates
        if (user.pk, case.pk) in granted
        or (not case.is_restricted and (user.agency.group_id, case.pk) in shared)
        or (not case.is_restricted and (user.pk, case.pk) in broken_glass)
    }


def may_see(user: User, record_class: RecordClass | str) -> bool:
    return str(record_class) in record_classes_for_user(user=user)


# --- record classes decided per person ---------------------------------------------------------------

VICTIM_ROLES = frozenset({PartyRole.VICTIM.value, PartyRole.SECONDARY_VICTIM.value})


def viewable_case_q(user: User) -> Q:
    """``can_view_case`` as a filter on Case: the caseload's rule plus an unexpired break-glass.

    Break-glass never opens a restricted case (only a personal grant does).
    """
    broken_glass = Exists(
        BreakGlassAccess.objects.filter(user_id=user.pk, case_id=OuterRef("pk"), expires_at__gt=timezone.now())
    )
    return case_visibility_q(user) | (
        Q(partnership_id=user.agency.partnership_id) & Q(is_restricted=False) & Q(broken_glass)  # type: ignore[union-attr]
    )


@dataclass(frozen=True)
class PeopleClasses:
    """Which of some people ``user`` may see the victim classes of, wherever they appear.

    A person who is a victim (or secondary victim) in any case carries ``victim_identity``
    and ``victim_location`` wherever she appears: on a case where she is named as the
    perpetrator, on the person page, in the identity bar, in a list. Her **location**
    (addresses, phones, e-mails, safe-contact details, exclusion zones) is shown only to a
    reader whose agency the agreement grants ``victim_location`` *and* who may see every
    case in which she is a victim; otherwise it is withheld, whatever her role in the case
    on screen. Her **identity** (name, date of birth, identifiers, equality data) is shown
    only to a reader whose agency the agreement grants ``victim_identity``: naming her as
    another case's perpetrator does not lift it. People who are a victim nowhere carry
    neither class.
    """

    location: frozenset[int]
    identity: frozenset[int]
    victims: frozenset[int]


def people_classes(user: User, person_ids: Iterable[int]) -> PeopleClasses:
    """The per-person rule for a set of people, in one query whatever their number."""
    ids = set(person_ids)
    if not ids or not is_staff_member(user):
        return PeopleClasses(location=frozenset(), identity=frozenset(), victims=frozenset())
    rows = (
        CaseParty.objects.filter(person_id__in=ids, role__in=VICTIM_ROLES)
        .annotate(viewable=Exists(Case.objects.filter(pk=OuterRef("case_id")).filter(viewable_case_q(user))))
        .values_list("person_id", "viewable")
    )
    victims: set[int] = set()
    in_unseen_case: set[int] = set()
    for person_id, viewable in rows:
        victims.add(person_id)
        if not viewable:
            in_unseen_case.add(person_id)
    classes = record_classes_for_user(user=user)
    location_ok = RecordClass.VICTIM_LOCATION in classes
    identity_ok = RecordClass.VICTIM_IDENTITY in classes
    return PeopleClasses(
        location=frozenset(p for p in ids if p not in victims or (location_ok and p not in in_unseen_case)),
        identity=frozenset(p for p in ids if p not in victims or identity_ok),
        victims=frozenset(victims),
    )


def people_with_identity(user: User, person_ids: Iterable[int]) -> frozenset[int]:
    """``people_classes(...).identity`` for lists that show names only.

    No query where the agreement grants the reader victim identity (everyone's name is
    visible then); otherwise one, to find who on the page is a victim anywhere.
    """
    ids = set(person_ids)
    if not is_staff_member(user):
        return frozenset()
    if RecordClass.VICTIM_IDENTITY in record_classes_for_user(user=user):
        return frozenset(ids)
    victims = set(
        CaseParty.objects.filter(person_id__in=ids, role__in=VICTIM_ROLES).values_list("person_id", flat=True)
    )
    return frozenset(ids - victims)


def case_victims_location_visible(user: User, case_id: int) -> bool:
    """Exclusion zones and other places of a case's victims: shown and written only where
    every victim of the case has her location visible to ``user`` (the per-person rule)."""
    return case_id in cases_victims_location_visible(user, [case_id])


def cases_victims_location_visible(user: User, case_ids: Iterable[int]) -> frozenset[int]:
    """``case_victims_location_visible`` for many cases at once, in two queries whatever their
    number: those of ``case_ids`` every victim of which has her location visible to ``user``
    (a case with no victim among them)."""
    victims: dict[int, set[int]] = {case_id: set() for case_id in case_ids}
    if not victims:
        return frozenset()
    rows = CaseParty.objects.filter(case_id__in=victims, role__in=VICTIM_ROLES).values_list("case_id", "person_id")
    for case_id, person_id in rows:
        victims[case_id].add(person_id)
    location = people_classes(user, set().union(*victims.values())).location
    return frozenset(case_id for case_id, people in victims.items() if people <= location)


def can_record_new_victim_location(user: User) -> bool:
    """Intake: addresses and contact details of a victim not yet on record (the agreement decides)."""
    return may_see(user, RecordClass.VICTIM_LOCATION)


def can_record_criminal_history(user: User) -> bool:
    return may_see(user, RecordClass.CRIMINAL_HISTORY)


def note_classes_for_user(user: User) -> frozenset[str]:
    """The record classes a note by ``user`` may carry: those the agreement lets them read."""
    return frozenset(record_classes_for_user(user=user))


def may_see_person_location(user: User, person_id: int) -> bool:
    """One person's location and safe-contact details: read and write alike ask this."""
    return person_id in people_classes(user, [person_id]).location


# --- the case lifecycle ------------------------------------------------------------------------

TRIAGE_ROLES = frozenset({Role.TRIAGE_OFFICER, Role.PARTNERSHIP_ADMIN})
CASEWORK_ROLES = frozenset(
    {Role.TRIAGE_OFFICER, Role.ADVOCATE, Role.CLINICIAN, Role.PROBATION_PRACTITIONER, Role.PARTNERSHIP_ADMIN}
)


@dataclass(frozen=True)
class Transition:
    source: CaseStatus
    target: CaseStatus
    label: str
    roles: frozenset[str]
    needs_decline_reason: bool = False
    needs_discharge_reason: bool = False
    needs_reason: bool = False


# The one table of legal moves (docs/case-lifecycle.md). Anything not here is refused.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(CaseStatus.REFERRED, CaseStatus.AWAITING_TRIAGE, "Put forward for triage", TRIAGE_ROLES),
    Transition(CaseStatus.AWAITING_TRIAGE, CaseStatus.ACCEPTED, "Accept", TRIAGE_ROLES),
    Transition(
        CaseStatus.AWAITING_TRIAGE,
        CaseStatus.DECLINED,
        "Decline",
        TRIAGE_ROLES,
        needs_decline_reason=True,
        needs_reason=True,
    ),
    Transition(CaseStatus.ACCEPTED, CaseStatus.ACTIVE, "Start work", CASEWORK_ROLES),
    Transition(
        CaseStatus.ACTIVE,
        CaseStatus.MONITORING,
        "Move to monitoring",
        frozenset({Role.TRIAGE_OFFICER, Role.PROBATION_PRACTITIONER, Role.PARTNERSHIP_ADMIN}),
    ),
    Transition(CaseStatus.MONITORING, CaseStatus.CLOSED, "Close", TRIAGE_ROLES, needs_discharge_reason=True),
    Transition(CaseStatus.CLOSED, CaseStatus.REOPENED, "Reopen", TRIAGE_ROLES, needs_reason=True),
    # A reopened case goes back to the meeting, or straight back to work when the
    # meeting has already heard it (this project's extension of the table).
    Transition(CaseStatus.REOPENED, CaseStatus.AWAITING_TRIAGE, "Put forward for triage", TRIAGE_ROLES),
    Transition(CaseStatus.REOPENED, CaseStatus.ACTIVE, "Resume work", TRIAGE_ROLES),
)
TRANSITION_TABLE: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in TRANSITIONS}


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == status]


def transitions_for_user(user: User, case: Case) -> list[Transition]:
    return [t for t in transitions_from(case.status) if user.role in t.roles]


# --- other actions -------------------------------------------------------------------------------


def can_create_referral(user: Any) -> bool:
    return is_staff_member(user) and user.role in {
        Role.TRIAGE_OFFICER,
        Role.PROBATION_PRACTITIONER,
        Role.ADVOCATE,
        Role.CLINICIAN,
        Role.PARTNERSHIP_ADMIN,
    }


def can_change_sharing(user: User) -> bool:
    return user.role in TRIAGE_ROLES


def can_merge_people(user: User) -> bool:
    return user.role in TRIAGE_ROLES


def can_record_orders(user: User) -> bool:
    """Orders, breaches and outcomes come from police and probation (and admins)."""
    assert user.agency is not None
    return user.role == Role.PARTNERSHIP_ADMIN or user.agency.kind in {"police", "probation", "cps"}


# Who records what a triage or clinic meeting decided (clinicians run the stalking clinic),
# and with it the evaluation's factors on the perpetrator.
MEETING_OUTCOME_ROLES = TRIAGE_ROLES | {Role.CLINICIAN}


def can_record_evaluation_factors(user: User) -> bool:
    return user.role in MEETING_OUTCOME_ROLES


def can_add_note(user: User) -> bool:
    return user.role in CASEWORK_ROLES
