"""Every read of people and cases that a person sees, scoped to that person.

One access rule per entity (cases.permissions.case_visibility_q / can_view_case),
used by the caseload, the case page, the person page and the API alike. What a
user may not see under the information-sharing agreement is removed here, in
the data handed to templates and serializers, never left for a template to hide.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import BooleanField, CharField, F, Func, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models import Case as DbCase
from django.db.models.functions import Coalesce, Concat, Upper
from django.http import Http404

from agencies.models import Agency, RecordClass, User
from agencies.permissions import is_partnership_admin
from cases import links, permissions
from cases.identifiers import normalise_identifier, normalise_name
from cases.models import (
    Case,
    CaseEvent,
    CaseGroupObjectPermission,
    CaseNote,
    CaseParty,
    CaseStatus,
    CaseUserObjectPermission,
    CrimeReference,
    Order,
    PartyRole,
    Person,
    PersonAlias,
)
from masip.concurrency import version_of

PAGE_SIZE = 25
WITHHELD = "Withheld under the information-sharing agreement"


# --- shaping: what one user may see of a person in a case ---------------------------------------------


@dataclass
class PartyView:
    person_id: int
    role: str
    role_label: str
    is_primary: bool
    name: str | None
    identity_visible: bool
    aliases: list[str] = field(default_factory=list)
    date_of_birth: dt.date | None = None
    age_band: str = ""
    gender: str = ""
    ethnicity: str = ""
    disability: str = ""
    sexual_orientation: str = ""
    pnc_id: str = ""
    nhs_number: str = ""
    location_visible: bool = False
    addresses: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    safe_contact: dict[str, Any] | None = None
    criminal_history: str | None = None
    # Criminal history recorded on the perpetrator's other cases shared with the reader:
    # (case id, reference, text), on the case page only.
    history_elsewhere: list[tuple[int, str, str]] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.name if self.name is not None else f"{self.role_label} (identity withheld)"


def party_view(
    user: User, part: CaseParty, person: Person | None = None, *, classes: permissions.PeopleClasses
) -> PartyView:
    """Shape one person in one role for ``user``.

    Which victim classes survive is decided per person (``permissions.people_classes``),
    not by the role on screen: a victim named as the perpetrator of another case keeps her
    address and code word. The caller asks once for every person on the page.
    """
    person = person or part.person
    identity_ok = person.pk in classes.identity
    location_ok = person.pk in classes.location
    history_ok = permissions.may_see(user, RecordClass.CRIMINAL_HISTORY)
    view = PartyView(
        person_id=person.pk,
        role=part.role,
        role_label=PartyRole(part.role).label,
        is_primary=part.is_primary,
        name=person.display_name if identity_ok else None,
        identity_visible=identity_ok,
        location_visible=location_ok,
    )
    if identity_ok:
        view.aliases = [str(a) for a in person.aliases.all()]
        view.date_of_birth = person.date_of_birth
        view.age_band = person.get_age_band_display() if person.age_band else ""
        view.gender = person.get_gender_display()
        view.ethnicity = person.get_ethnicity_display() if person.ethnicity else ""
        view.disability = person.get_disability_display() if person.disability else ""
        view.sexual_orientation = person.get_sexual_orientation_display() if person.sexual_orientation else ""
        view.pnc_id = person.pnc_id
        view.nhs_number = person.nhs_number
    else:
        view.withheld.append(RecordClass.VICTIM_IDENTITY.label)
    if location_ok:
        view.addresses = [str(a) for a in person.addresses.all() if a.is_current]
        view.contacts = [str(c) for c in person.contact_details.all()]
        pref = getattr(person, "safe_contact", None)
        if pref is not None:
            view.safe_contact = {
                "safe_times": pref.safe_times,
                "channels": list(pref.channels),
                "no_voicemail": pref.no_voicemail,
                "code_word": pref.code_word,
                "notes": pref.notes,
            }
    else:
        view.withheld.append(RecordClass.VICTIM_LOCATION.label)
    if part.role == PartyRole.PERPETRATOR:
        if history_ok:
            view.criminal_history = part.criminal_history
        else:
            view.withheld.append(RecordClass.CRIMINAL_HISTORY.label)
    return view


# --- the caseload ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadSort:
    """One order of the caseload: a column, its direction, and how its cursor value is typed."""

    column: str  # received, next_due, status, tier, risk, worker
    descending: bool
    kind: type  # of the keyset value in a cursor: dt.date, int or str


# Every column a worker sorts by, each way. The plain key is the column's usual order
# (newest referral, soonest due, the workflow's order of statuses, tier 1 first, highest
# risk first, workers A to Z); "_desc" reverses it. "received"/"oldest" keep their names
# from before the other columns could be sorted (links and API clients use them).
SORTS: dict[str, CaseloadSort] = {
    "received": CaseloadSort("received", True, dt.date),
    "oldest": CaseloadSort("received", False, dt.date),
    "next_due": CaseloadSort("next_due", False, dt.date),
    "next_due_desc": CaseloadSort("next_due", True, dt.date),
    "status": CaseloadSort("status", False, int),
    "status_desc": CaseloadSort("status", True, int),
    "tier": CaseloadSort("tier", False, int),
    "tier_desc": CaseloadSort("tier", True, int),
    "risk": CaseloadSort("risk", False, int),
    "risk_desc": CaseloadSort("risk", True, int),
    "worker": CaseloadSort("worker", False, str),
    "worker_desc": CaseloadSort("worker", True, str),
}

# Unset tiers after tier 4; risk ranked highest first, "not assessed" last.
_TIER_UNSET = 9
_RISK_RANK = {"high": 0, "moderate": 1, "low": 2}


def _sort_key(column: str) -> Any:
    """The caseload's sort value for a column: never null, so a keyset comparison is total."""
    if column == "received":
        return F("received_on")
    if column == "next_due":
        return F("next_due_on")
    if column == "status":
        return DbCase(
            *[When(status=value, then=Value(rank)) for rank, value in enumerate(CaseStatus.values)],
            default=Value(len(CaseStatus.values)),
            output_field=IntegerField(),
        )
    if column == "tier":
        return Coalesce(F("tier"), Value(_TIER_UNSET), output_field=IntegerField())
    if column == "risk":
        return DbCase(
            *[When(current_risk=value, then=Value(rank)) for value, rank in _RISK_RANK.items()],
            default=Value(len(_RISK_RANK)),
            output_field=IntegerField(),
        )
    # Family name then given name, as staff lists are read; unassigned cases ("") first.
    return Concat(
        Coalesce(F("assigned_worker__last_name"), Value("")),
        Value(" "),
        Coalesce(F("assigned_worker__first_name"), Value("")),
        output_field=CharField(),
    )


# The caseload counts exactly up to this many matching cases; above it the count is
# PostgreSQL's planner estimate (said so on the page), which costs no scan at all.
COUNT_EXACT_UP_TO = 1000


@dataclass
class CaseloadFilters:
    statuses: list[str] = field(default_factory=list)
    tiers: list[int] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    assigned_to_me: bool = False
    assigned_worker_id: int | None = None
    search: str = ""
    sort: str = "received"
    due: str = ""  # "due" (on or before today) or "overdue" (before today)


@dataclass
class CaseloadRow:
    case: Case
    perpetrator: str
    victim: str


@dataclass
class CaseloadPage:
    rows: list[CaseloadRow]
    next_cursor: str | None
    previous_cursor: str | None
    count: int = 0  # cases matching the filters and search, in all pages
    count_is_estimate: bool = False  # above COUNT_EXACT_UP_TO: the planner's estimate
    page_number: int = 1
    pages: int = 1
    # Pages that can be opened by number (an offset, kept shallow so it stays cheap).
    numbered_pages_up_to: int = 1


def _listed_name(person: Person | None, named: frozenset[int]) -> str:
    if person is None:
        return ""
    return person.display_name if person.pk in named else "Withheld"


def case_queryset_for_user(*, user: User) -> QuerySet[Case]:
    if not permissions.is_staff_member(user):
        return Case.objects.none()
    return Case.objects.filter(permissions.case_visibility_q(user))


def _encode_cursor(sort_value: Any, pk: int, direction: str) -> str:
    value = sort_value.isoformat() if isinstance(sort_value, dt.date) else sort_value
    payload = [direction, value, pk]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, kind: type = dt.date) -> tuple[str, Any, int] | None:
    """The (direction, sort value, case id) a cursor of ``_encode_cursor`` names; None for anything else.

    The cursor comes from the client, so it is checked for exactly the shape this module
    writes for the sort in use (a date, a rank or a name): a null value, a non-integer id
    or deeply nested arrays would otherwise reach the query (Django refuses ``None`` in a
    comparison) or the JSON decoder's recursion limit.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, RecursionError):  # binascii, Unicode and JSON errors are ValueErrors
        return None
    if not isinstance(decoded, list) or len(decoded) != 3:
        return None
    direction, value, pk = decoded
    if direction not in ("next", "prev") or type(pk) is not int:
        return None
    if kind is int:
        return (direction, value, pk) if type(value) is int else None
    if not isinstance(value, str):
        return None
    if kind is str:
        return (direction, value, pk) if len(value) <= 400 else None
    try:
        return direction, dt.date.fromisoformat(value), pk
    except ValueError:
        return None


def _planner_estimate(qs: QuerySet[Any]) -> int:
    """PostgreSQL's estimate of the rows a query returns: its plan, not a scan."""
    plan = json.loads(qs.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _caseload_count(qs: QuerySet[Case]) -> tuple[int, bool]:
    """How many cases match: exact up to COUNT_EXACT_UP_TO, else the planner's estimate.

    The exact count stops at COUNT_EXACT_UP_TO + 1 rows, so its cost is bounded whatever
    the partnership's size; a count of every visible case of a large partnership would
    probe the sharing table once per case (tens of milliseconds, growing with the data).
    """
    ids = qs.order_by().values("pk")
    exact = ids[: COUNT_EXACT_UP_TO + 1].count()
    if exact <= COUNT_EXACT_UP_TO:
        return exact, False
    return max(_planner_estimate(ids), exact), True


class _RowCompare(Func):
    """``(a, b) < (c, d)``: a row comparison, which a B-tree index on (a, b) can seek to."""

    output_field = BooleanField()

    def __init__(self, operator: str, *expressions: Any) -> None:
        if operator not in ("<", ">") or len(expressions) != 4:
            raise ValueError("a row comparison takes < or > and two pairs")
        self.operator = operator
        super().__init__(*expressions)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        sql, params = [], []
        for expression in self.get_source_expressions():
            part, part_params = compiler.compile(expression)
            sql.append(part)
            params.extend(part_params)
        return f"({sql[0]}, {sql[1]}) {self.operator} ({sql[2]}, {sql[3]})", params


# "MASIP-000037", "masip 37", "000037" or "37": the case number staff quote on the phone.
_CASE_REFERENCE = re.compile(r"(?:MASIP[-\s]*)?0*(\d{1,9})", re.IGNORECASE)


def case_reference_id(term: str) -> int | None:
    """The case id a typed case reference names, or None when the term is not one."""
    match = _CASE_REFERENCE.fullmatch(term.strip())
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


@dataclass
class _SearchParts:
    """What one search term matches: each a sub-query that uses its own index."""

    people: QuerySet[Any]  # person ids matched by name, alias or PNC ID
    parts: QuerySet[CaseParty]  # their parts in cases, in roles this user may search
    by_crime_ref: QuerySet[Any]  # case ids
    reference_id: int | None
    identifier: str


def _search_parts(user: User, term: str) -> _SearchParts:
    assert user.agency is not None
    identifier = normalise_identifier(term)
    roles = [PartyRole.PERPETRATOR]
    identity_ok = permissions.may_see(user, RecordClass.VICTIM_IDENTITY)
    if identity_ok:
        roles += [PartyRole.VICTIM, PartyRole.SECONDARY_VICTIM]
    name = normalise_name(term, "")
    people = Person.objects.filter(partnership_id=user.agency.partnership_id)
    matching_people = people.filter(pnc_id=identifier).values("pk")
    if name:
        matching_people = matching_people.union(
            people.filter(name_normalised__contains=name).values("pk"),
            people.filter(aliases__name_normalised__contains=name).values("pk"),
            all=True,
        )
    parts = CaseParty.objects.filter(role__in=roles, person_id__in=matching_people)
    if not identity_ok:
        # Per person: a perpetrator who is a victim in any case keeps her identity, so her
        # name must not find the case either.
        parts = parts.exclude(
            person_id__in=CaseParty.objects.filter(
                role__in=permissions.VICTIM_ROLES, person_id__in=matching_people
            ).values("person_id")
        )
    by_crime_ref = Case.objects.filter(
        referral_id__in=CrimeReference.objects.annotate(ref_upper=Upper("reference"))
        .filter(ref_upper=identifier)
        .values("referral_id")
    ).values("pk")
    return _SearchParts(
        people=matching_people,
        parts=parts,
        by_crime_ref=by_crime_ref,
        reference_id=case_reference_id(term),
        identifier=identifier,
    )


def _search_q(user: User, term: str) -> Q:
    """Search by case reference, name or alias, crime reference or PNC ID, within what the
    user may see.

    A victim's name is searched only by agencies allowed to see victim identity:
    otherwise a search could confirm who the victim is.

    The matches are one set of case ids, a UNION of small look-ups that each use their
    own index (the primary key, crime reference, PNC ID, the trigram indexes on names and
    on aliases). PostgreSQL finds those few cases first, then checks access and sorts
    them; an OR of correlated EXISTS made it test every case of the partnership in turn.
    """
    term = term.strip()
    if not term:
        return Q()
    return _matches_q(_search_parts(user, term))


def _matches_q(found: _SearchParts) -> Q:
    """The cases one search's parts find, as a filter (``_search_q``)."""
    matches = found.parts.values("case_id").union(found.by_crime_ref, all=True)
    if found.reference_id is not None:
        matches = matches.union(Case.objects.filter(pk=found.reference_id).values("pk"), all=True)
    return Q(pk__in=matches)


SEARCH_PAGE_SIZE = 20


@dataclass
class SearchHit:
    case: Case
    perpetrator: str
    victim: str
    matched: list[str]  # how the term found it: "Case reference", "Perpetrator", "Victim (alias)"…


@dataclass
class SearchResults:
    term: str
    count: int
    page: int
    pages: int
    hits: list[SearchHit]


def search_for_user(*, user: User, term: str, page: int = 1, page_size: int = SEARCH_PAGE_SIZE) -> SearchResults:
    """The header search: cases the user may see that the term finds, newest referral first,
    a page at a time with the count, each hit with how it was found.

    Scoped exactly as the caseload (``case_queryset_for_user`` and ``_search_q``), so a
    victim's name finds nothing for an agency that may not see victim identity.
    """
    term = term.strip()
    if not term:
        return SearchResults(term="", count=0, page=1, pages=0, hits=[])
    # The parts are built once: they filter the cases and then say how each hit was found.
    found = _search_parts(user, term)
    qs = case_queryset_for_user(user=user).filter(_matches_q(found))
    count = qs.count()
    pages = max(1, -(-count // page_size))
    page = min(max(1, page), pages)
    ids = list(
        qs.order_by("-received_on", "-id").values_list("pk", flat=True)[(page - 1) * page_size : page * page_size]
    )
    primary_parties = Prefetch(
        "parties",
        queryset=CaseParty.objects.filter(is_primary=True).select_related("person"),
        to_attr="primary_parties",
    )
    cases = list(
        Case.objects.filter(pk__in=ids)
        .select_related("assigned_worker", "referral")
        .prefetch_related(primary_parties)
        .order_by("-received_on", "-id")
    )
    matched: dict[int, list[str]] = {case.pk: [] for case in cases}
    if found.reference_id in matched:
        matched[found.reference_id].append("Case reference")
    for case_id in found.by_crime_ref.filter(pk__in=ids).values_list("pk", flat=True):
        matched[case_id].append("Crime reference")
    pnc_people = (
        set(Person.objects.filter(pk__in=found.people, pnc_id=found.identifier).values_list("pk", flat=True))
        if found.identifier
        else set()
    )
    for part in found.parts.filter(case_id__in=ids).order_by("role", "id"):
        label = part.get_role_display() + (" (PNC ID)" if part.person_id in pnc_people else "")
        if label not in matched[part.case_id]:
            matched[part.case_id].append(label)
    named = permissions.people_with_identity(user, {p.person_id for case in cases for p in case.primary_parties})
    hits = []
    for case in cases:
        by_role = {p.role: p.person for p in case.primary_parties}
        hits.append(
            SearchHit(
                case=case,
                perpetrator=_listed_name(by_role.get(PartyRole.PERPETRATOR), named),
                victim=_listed_name(by_role.get(PartyRole.VICTIM), named),
                matched=matched[case.pk],
            )
        )
    return SearchResults(term=term, count=count, page=page, pages=pages if count else 0, hits=hits)


def case_list_for_user(
    *, user: User, filters: CaseloadFilters, cursor: str = "", page_size: int = PAGE_SIZE, page_number: int = 1
) -> CaseloadPage:
    """One page of the caseload: one EXISTS for access, keyset pagination, a bounded count.

    ``cursor`` (a page's next or previous) moves one page along the keyset; without one,
    ``page_number`` opens a page by number, as an offset, only up to the pages an exact
    count covers (COUNT_EXACT_UP_TO), where an offset stays cheap.
    """
    qs = case_queryset_for_user(user=user)
    sort = SORTS.get(filters.sort) or SORTS["received"]
    if filters.statuses:
        qs = qs.filter(status__in=filters.statuses)
    if filters.tiers:
        qs = qs.filter(tier__in=filters.tiers)
    if filters.risks:
        qs = qs.filter(current_risk__in=filters.risks)
    if filters.assigned_to_me:
        qs = qs.filter(assigned_worker_id=user.pk)
    elif filters.assigned_worker_id:
        qs = qs.filter(assigned_worker_id=filters.assigned_worker_id)
    if filters.due in ("due", "overdue"):
        from django.utils import timezone

        today = timezone.localdate()
        qs = qs.filter(next_due_on__lt=today) if filters.due == "overdue" else qs.filter(next_due_on__lte=today)
    if filters.search:
        qs = qs.filter(_search_q(user, filters.search))
    if sort.column == "next_due":
        qs = qs.filter(next_due_on__isnull=False)
    count, count_is_estimate = _caseload_count(qs)
    pages = max(1, -(-count // page_size))
    numbered_pages_up_to = min(pages, max(1, COUNT_EXACT_UP_TO // page_size))

    qs = qs.annotate(caseload_sort=_sort_key(sort.column))
    descending = sort.descending
    order = ["-caseload_sort", "-id"] if descending else ["caseload_sort", "id"]
    decoded = _decode_cursor(cursor, sort.kind) if cursor else None
    direction = "next"
    offset = 0
    if decoded is not None:
        direction, value, pk = decoded
        forwards = (direction == "next") != descending  # moving towards larger values?
        # (key, id) > (value, pk) as one row comparison: the same rows as
        # "key > value OR (key = value AND id > pk)", but PostgreSQL can seek the keyset
        # index (received, next due) straight to it instead of filtering from the first row.
        qs = qs.filter(_RowCompare(">" if forwards else "<", F("caseload_sort"), F("pk"), Value(value), Value(pk)))
        if direction == "prev":
            order = [o[1:] if o.startswith("-") else f"-{o}" for o in order]
        page_number = min(max(1, page_number), pages)
    else:
        page_number = min(max(1, page_number), numbered_pages_up_to)
        offset = (page_number - 1) * page_size

    primary_parties = Prefetch(
        "parties",
        queryset=CaseParty.objects.filter(is_primary=True).select_related("person"),
        to_attr="primary_parties",
    )
    # The page's ids are chosen on cases alone (access, filters, keyset, sort, limit);
    # only those rows are then joined to their referral and worker. Joined first, a
    # search matching thousands of cases fetched a referral for each before the sort.
    page = qs.order_by(*order).values("pk")[offset : offset + page_size + 1]
    cases = list(
        Case.objects.filter(pk__in=page)
        .annotate(caseload_sort=_sort_key(sort.column))
        .select_related("assigned_worker", "referral")
        .prefetch_related(primary_parties)
        .order_by(*order)
    )
    has_more = len(cases) > page_size
    cases = cases[:page_size]
    if direction == "prev":
        cases.reverse()
    rows = []
    # Names per person: a perpetrator who is a victim in another case is withheld too.
    named = permissions.people_with_identity(user, {p.person_id for case in cases for p in case.primary_parties})
    for case in cases:
        by_role = {p.role: p.person for p in case.primary_parties}
        perpetrator = by_role.get(PartyRole.PERPETRATOR)
        victim = by_role.get(PartyRole.VICTIM)
        rows.append(
            CaseloadRow(
                case=case,
                perpetrator=_listed_name(perpetrator, named),
                victim=_listed_name(victim, named),
            )
        )
    first, last = (cases[0], cases[-1]) if cases else (None, None)
    if direction == "next":
        next_cursor = _encode_cursor(last.caseload_sort, last.pk, "next") if has_more and last else None
        previous_cursor = (
            _encode_cursor(first.caseload_sort, first.pk, "prev") if (decoded is not None or offset) and first else None
        )
    else:
        previous_cursor = _encode_cursor(first.caseload_sort, first.pk, "prev") if has_more and first else None
        next_cursor = _encode_cursor(last.caseload_sort, last.pk, "next") if last else None
    return CaseloadPage(
        rows=rows,
        next_cursor=next_cursor,
        previous_cursor=previous_cursor,
        count=count,
        count_is_estimate=count_is_estimate,
        page_number=page_number,
        pages=pages,
        numbered_pages_up_to=numbered_pages_up_to,
    )


# --- one case --------------------------------------------------------------------------------------------------


# Columns the system keeps by itself (a due date a job recomputes, the risk the risk app
# copies in): a change there is nobody's edit and must not make someone's save a conflict.
CASE_DERIVED_FIELDS = ("next_due_on", "current_risk", "updated_at")


def case_version(case: Case) -> str:
    """The version of a case that its editors compare (``masip.concurrency``): its ETag."""
    return version_of(case, ignore=CASE_DERIVED_FIELDS)


def person_version(person: Person) -> str:
    """The version of a person record that its editors compare: its ETag."""
    return version_of(person)


def case_get_for_user(*, user: User, case_id: int) -> Case:
    """The case, or 404 when it does not exist or is outside the user's scope."""
    if not permissions.is_staff_member(user):
        raise Http404
    case = (
        Case.objects.select_related("referral", "assigned_worker", "partnership")
        .filter(pk=case_id, partnership_id=user.agency.partnership_id)  # type: ignore[union-attr]
        .first()
    )
    if case is None or not permissions.can_view_case(user, case):
        raise Http404
    return case


@dataclass
class EvaluationFactors:
    case: Case
    mental_health_services: bool | None
    probation_involved: bool | None
    mappa: bool | None
    # None when withheld (see ``withheld``) or not known.
    antisocial_lifestyle: bool | None
    withheld: list[str] = field(default_factory=list)


def _evaluation_factors(user: User, case: Case) -> EvaluationFactors:
    """The factors as ``user`` may see them: the antisocial lifestyle is criminal history,
    withheld without that class."""
    history_ok = permissions.may_see(user, RecordClass.CRIMINAL_HISTORY)
    return EvaluationFactors(
        case=case,
        mental_health_services=case.mental_health_services,
        probation_involved=case.probation_involved,
        mappa=case.mappa,
        antisocial_lifestyle=case.antisocial_lifestyle if history_ok else None,
        withheld=[] if history_ok else ["antisocial_lifestyle"],
    )


def evaluation_factors_for_user(*, user: User, case_id: int) -> EvaluationFactors:
    """The case's evaluation factors as ``user`` may see them (404 outside the user's scope)."""
    return _evaluation_factors(user, case_get_for_user(user=user, case_id=case_id))


def case_shared_agencies(*, case: Case) -> list[Agency]:
    perm_id = permissions.view_case_permission_id()
    return list(
        Agency.objects.filter(
            group__in=CaseGroupObjectPermission.objects.filter(content_object=case, permission_id=perm_id).values(
                "group_id"
            )
        ).order_by("name")
    )


@dataclass
class OrderView:
    order: Order
    exclusion_zones: str | None
    breaches: list[Any]


@dataclass
class CaseDetail:
    case: Case
    parties: list[PartyView]
    crime_references: list[str]
    shared_with: list[Agency]
    orders: list[OrderView]
    outcomes: list[Any]
    notes: list[CaseNote]
    events: list[CaseEvent]
    transitions: list[permissions.Transition]
    can_change_sharing: bool
    can_record_orders: bool
    can_add_note: bool
    can_record_evaluation_factors: bool
    visible_classes: frozenset[str]
    # Shaped here, as the evaluation-factors page shapes them: the page only displays them.
    evaluation_factors: EvaluationFactors
    perpetrator_history: list[PerpetratorHistory] = field(default_factory=list)

    @property
    def perpetrator(self) -> PartyView | None:
        return next((p for p in self.parties if p.role == PartyRole.PERPETRATOR and p.is_primary), None)

    @property
    def victim(self) -> PartyView | None:
        return next((p for p in self.parties if p.role == PartyRole.VICTIM and p.is_primary), None)


def _visible_class_q(classes: frozenset[str]) -> Q:
    return Q(record_class="") | Q(record_class__in=classes)


def cases_viewable_by(*, user: User) -> QuerySet[Case]:
    """Every case ``user`` may open (``permissions.can_view_case`` as a filter: break-glass
    included). For set-based reads elsewhere that take records of many cases at once."""
    if not permissions.is_staff_member(user):
        return Case.objects.none()
    return Case.objects.filter(permissions.viewable_case_q(user))


@dataclass
class NotesRead:
    """Notes of some cases: those the reader may see, and those kept from them by class."""

    shown: list[CaseNote]
    kept: list[CaseNote]


def notes_of_cases(*, user: User, case_ids: Iterable[int]) -> NotesRead:
    """The notes of some cases, by the case page's rule (``case_detail_for_user``): only
    on cases the user may open, and only of a class the agreement grants their agency;
    the others of those cases come back as ``kept`` (id, case and class only). Logs nothing:
    for a caller that logs its own disclosure once."""
    notes = CaseNote.objects.filter(case_id__in=cases_viewable_by(user=user).filter(pk__in=set(case_ids)).values("pk"))
    visible = _visible_class_q(permissions.record_classes_for_user(user=user))
    return NotesRead(
        shown=list(notes.filter(visible).select_related("author", "agency").order_by("created_at", "id")),
        kept=list(notes.exclude(visible).only("id", "case_id", "record_class").order_by("created_at", "id")),
    )


@dataclass
class OtherCase:
    """Another case of the same perpetrator: the case when the reader may see it, else None."""

    case: Case | None
    criminal_history: str = ""


@dataclass
class PerpetratorHistory:
    """A repeat perpetrator, as the reader may see him: his other cases and their criminal history."""

    person_id: int
    name: str
    others: list[OtherCase]

    @property
    def shared(self) -> list[OtherCase]:
        return [o for o in self.others if o.case is not None]

    @property
    def not_shared(self) -> int:
        return sum(1 for o in self.others if o.case is None)

    @property
    def histories(self) -> list[OtherCase]:
        return [o for o in self.others if o.case is not None and o.criminal_history]


def _perpetrator_history(user: User, case: Case, parts: list[CaseParty], people: Any) -> list[PerpetratorHistory]:
    """Each perpetrator of the case who is a perpetrator in other cases too.

    Cases shared with the reader's agency are named; others count as "a case not shared
    with your agency", except restricted ones, which are known only to those they are
    opened to. Criminal history comes from the shared cases, where the reader's agency may
    see the class. Only for a perpetrator whose identity the reader may see (a perpetrator
    who is a victim elsewhere keeps hers).
    """
    perpetrators = [p for p in parts if p.role == PartyRole.PERPETRATOR and p.person_id in people.identity]
    if not perpetrators:
        return []
    others = list(
        CaseParty.objects.filter(
            person_id__in=[p.person_id for p in perpetrators],
            role=PartyRole.PERPETRATOR,
            case__partnership=case.partnership_id,
        )
        .exclude(case=case)
        .select_related("case", "case__referral")
        .order_by("-case__received_on", "-case_id")
    )
    if not others:
        return []
    visible = set(
        case_queryset_for_user(user=user).filter(pk__in=[o.case_id for o in others]).values_list("pk", flat=True)
    )
    history_ok = permissions.may_see(user, RecordClass.CRIMINAL_HISTORY)
    found: list[PerpetratorHistory] = []
    for part in perpetrators:
        mine = [o for o in others if o.person_id == part.person_id]
        shaped = [
            OtherCase(case=o.case, criminal_history=o.criminal_history if history_ok else "")
            if o.case_id in visible
            else OtherCase(case=None)
            for o in mine
            if o.case_id in visible or not o.case.is_restricted
        ]
        if shaped:
            found.append(PerpetratorHistory(person_id=part.person_id, name=part.person.display_name, others=shaped))
    return found


def case_detail_for_user(*, user: User, case_id: int) -> CaseDetail:
    case = case_get_for_user(user=user, case_id=case_id)
    classes = permissions.record_classes_for_user(user=user)
    parts = list(
        CaseParty.objects.filter(case=case)
        .select_related("person", "person__safe_contact")
        .prefetch_related("person__aliases", "person__addresses", "person__contact_details")
        .order_by("-is_primary", "role", "id")
    )
    people = permissions.people_classes(user, {part.person_id for part in parts})
    # Exclusion zones name the victims' places: shown only where every victim's location is.
    location_ok = all(part.person_id in people.location for part in parts if part.role in permissions.VICTIM_ROLES)
    orders = [_order_view(o, location_ok) for o in Order.objects.filter(case=case).prefetch_related("breaches")]
    views = [party_view(user, part, classes=people) for part in parts]
    history = _perpetrator_history(user, case, parts, people)
    for found in history:
        for view in views:
            if view.person_id == found.person_id and view.criminal_history is not None:
                view.history_elsewhere = [
                    (o.case.pk, o.case.reference, o.criminal_history) for o in found.histories if o.case
                ]
    return CaseDetail(
        case=case,
        parties=views,
        crime_references=list(case.referral.crime_references.values_list("reference", flat=True)),
        shared_with=case_shared_agencies(case=case),
        orders=orders,
        outcomes=list(case.outcomes.all()),
        notes=list(
            CaseNote.objects.filter(case=case).filter(_visible_class_q(classes)).select_related("author", "agency")
        ),
        events=list(
            CaseEvent.objects.filter(case=case)
            .filter(_visible_class_q(classes))
            .select_related("actor", "agency")[:200]
        ),
        transitions=permissions.transitions_for_user(user, case),
        can_change_sharing=permissions.can_change_sharing(user),
        can_record_orders=permissions.can_record_orders(user),
        can_add_note=permissions.can_add_note(user),
        can_record_evaluation_factors=permissions.can_record_evaluation_factors(user),
        visible_classes=classes,
        evaluation_factors=_evaluation_factors(user, case),
        perpetrator_history=history,
    )


# --- people ------------------------------------------------------------------------------------------------------


@dataclass
class PersonDetail:
    person: Person
    parts: list[tuple[Case, PartyView]]

    @property
    def summary(self) -> PartyView:
        """The most restrictive view across the person's visible cases."""
        views = [v for _, v in self.parts]
        return min(views, key=lambda v: (v.identity_visible, v.location_visible))


def person_get_for_user(*, user: User, person_id: int) -> PersonDetail:
    """A person is visible through the cases of theirs the user can see; otherwise 404."""
    if not permissions.is_staff_member(user):
        raise Http404
    person = (
        Person.objects.filter(pk=person_id, partnership_id=user.agency.partnership_id)  # type: ignore[union-attr]
        .select_related("safe_contact")
        .prefetch_related("aliases", "addresses", "contact_details")
        .first()
    )
    if person is None:
        raise Http404
    visible = case_queryset_for_user(user=user)
    parts = list(
        CaseParty.objects.filter(person=person, case__in=visible.values("pk")).select_related("case", "case__referral")
    )
    if not parts:
        raise Http404
    people = permissions.people_classes(user, [person.pk])
    return PersonDetail(
        person=person, parts=[(part.case, party_view(user, part, person, classes=people)) for part in parts]
    )


@dataclass
class CaseIdentity:
    """What the identity bar (cases/_identity_bar.html) shows: the primary perpetrator and
    victim, each named only where the per-person rule allows."""

    perpetrator: PartyView | None
    victim: PartyView | None


def case_identity_for_user(*, user: User, case: Case) -> CaseIdentity:
    """Names for the identity bar; ``case`` has passed case_get_for_user. Two queries."""
    parts = list(
        CaseParty.objects.filter(
            case=case, is_primary=True, role__in=[PartyRole.PERPETRATOR, PartyRole.VICTIM]
        ).select_related("person")
    )
    people = permissions.people_classes(user, {p.person_id for p in parts})
    views: dict[str, PartyView] = {}
    for part in parts:
        visible = part.person_id in people.identity
        views[part.role] = PartyView(
            person_id=part.person_id,
            role=part.role,
            role_label=PartyRole(part.role).label,
            is_primary=True,
            name=part.person.display_name if visible else None,
            identity_visible=visible,
        )
    return CaseIdentity(perpetrator=views.get(PartyRole.PERPETRATOR), victim=views.get(PartyRole.VICTIM))


@dataclass
class MatchCandidate:
    person_id: int
    name: str
    date_of_birth: dt.date | None
    age_band: str
    matched_on: list[str]
    similarity: float
    case_count: int
    roles: list[str]
    # A signed, single-use offer to link this person to a new referral (cases.links).
    link_token: str = ""
    # In a case shared with the user's agency: the person page opens, for a comparison.
    viewable: bool = False


def person_match_candidates(
    *,
    user: User,
    given_name: str = "",
    family_name: str = "",
    date_of_birth: dt.date | None = None,
    pnc_id: str = "",
    nhs_number: str = "",
    limit: int = 10,
) -> list[MatchCandidate]:
    """People in the partnership who may be this person: identifiers exactly, name + DOB fuzzily.

    Candidates show only what identity resolution needs (name, date of birth,
    what matched, how many cases): never an address, and never a case's content.
    """
    if not permissions.can_create_referral(user):
        raise Http404
    assert user.agency is not None
    people = Person.objects.filter(partnership_id=user.agency.partnership_id, merged_into__isnull=True)
    found: dict[int, MatchCandidate] = {}

    def add(person: Person, reason: str, score: float) -> None:
        candidate = found.get(person.pk)
        if candidate is None:
            candidate = found[person.pk] = MatchCandidate(
                person_id=person.pk,
                name=person.display_name,
                date_of_birth=person.date_of_birth,
                age_band=person.get_age_band_display() if person.age_band else "",
                matched_on=[],
                similarity=score,
                case_count=0,
                roles=[],
            )
        candidate.matched_on.append(reason)
        candidate.similarity = max(candidate.similarity, score)

    pnc = normalise_identifier(pnc_id)
    nhs = normalise_identifier(nhs_number)
    if pnc:
        for person in people.filter(pnc_id=pnc)[:limit]:
            add(person, "PNC ID", 1.0)
    if nhs:
        for person in people.filter(nhs_number=nhs)[:limit]:
            add(person, "NHS number", 1.0)
    name = normalise_name(given_name, family_name)
    if name:
        # The % operator uses the trigram GIN index; similarity() then ranks.
        by_name = people.filter(name_normalised__trigram_similar=name)
        if date_of_birth:
            by_name = by_name.filter(Q(date_of_birth=date_of_birth) | Q(date_of_birth__isnull=True))
        for person in by_name.annotate(score=TrigramSimilarity("name_normalised", name)).order_by("-score")[:limit]:
            same_dob = date_of_birth is not None and person.date_of_birth == date_of_birth
            add(person, "name and date of birth" if same_dob else "similar name", float(person.score))
        for alias in PersonAlias.objects.filter(
            person__in=people, name_normalised__trigram_similar=name
        ).select_related("person")[:limit]:
            add(alias.person, "alias", 0.5)
    if found:
        for person_id, role in CaseParty.objects.filter(person_id__in=found).values_list("person_id", "role"):
            found[person_id].case_count += 1
            label = PartyRole(role).label
            if label not in found[person_id].roles:
                found[person_id].roles.append(label)
    # Identity resolution must not tell an agency who a victim is: where the agreement
    # withholds victim identity, people who are a victim in any case are not candidates at
    # all (a withheld name with a date of birth, an age band or a similarity of 1.0 would
    # still confirm her). The same per-person rule as every page.
    allowed = permissions.people_classes(user, found).identity
    # A restricted case is known only to those it is opened to: nobody in it is offered
    # to anyone else (the offer would confirm the person and the case).
    allowed -= set(
        CaseParty.objects.filter(person_id__in=found, case__is_restricted=True)
        .exclude(case__in=Case.objects.filter(permissions.viewable_case_q(user)))
        .values_list("person_id", flat=True)
    )
    ranked = sorted(
        (c for c in found.values() if c.person_id in allowed), key=lambda c: (-len(c.matched_on), -c.similarity)
    )[:limit]
    viewable = set(
        CaseParty.objects.filter(
            person_id__in=[c.person_id for c in ranked], case__in=case_queryset_for_user(user=user).values("pk")
        ).values_list("person_id", flat=True)
    )
    for candidate in ranked:
        candidate.link_token = links.link_token_issue(user=user, person_id=candidate.person_id)
        candidate.viewable = candidate.person_id in viewable
    return ranked


# --- lookups for writes on a case ---------------------------------------------------------------------------------


def order_get_for_user(*, user: User, case_id: int, order_id: int) -> Order:
    """An order of a case the user can see, or 404 (the order's case decides)."""
    case = case_get_for_user(user=user, case_id=case_id)
    order = Order.objects.filter(case=case, pk=order_id).first()
    if order is None:
        raise Http404
    order.case = case
    return order


def _order_view(order: Order, location_ok: bool) -> OrderView:
    """Exclusion zones name the victim's places: class victim_location."""
    return OrderView(
        order=order, exclusion_zones=order.exclusion_zones if location_ok else None, breaches=list(order.breaches.all())
    )


def order_view_for_user(*, user: User, order: Order) -> OrderView:
    """One order as ``user`` may see it (the API's answer after recording one)."""
    case_get_for_user(user=user, case_id=order.case_id)
    return _order_view(order, permissions.case_victims_location_visible(user, order.case_id))


def restricted_case_ids_withheld_from(user: User) -> set[int]:
    """Restricted cases of the user's partnership that they hold no personal grant for.

    What a whole-partnership export by this user leaves out: a restricted case is opened
    by a personal grant only, and an export must not be a way round the case's 404.
    """
    if not permissions.is_staff_member(user):
        return set()
    granted = CaseUserObjectPermission.objects.filter(
        user_id=user.pk, permission_id=permissions.view_case_permission_id()
    ).values("content_object_id")
    return set(
        Case.objects.filter(partnership_id=user.agency.partnership_id, is_restricted=True)  # type: ignore[union-attr]
        .exclude(pk__in=granted)
        .values_list("pk", flat=True)
    )


def case_assignable_staff(*, user: User, case: Case) -> QuerySet[User]:
    """Active staff of the user's partnership; case_assign_worker then checks they can see the case."""
    if not permissions.is_staff_member(user) or case.partnership_id != user.agency.partnership_id:  # type: ignore[union-attr]
        raise Http404
    return User.objects.filter(agency__partnership_id=case.partnership_id, is_active=True).select_related("agency")


# --- people by name, for the access log's search ---------------------------------------------------------------


@dataclass
class PersonNamed:
    person_id: int
    name: str
    date_of_birth: dt.date | None


def people_named_for_admin(*, user: User, name: str, limit: int = 20) -> list[PersonNamed]:
    """People of the admin's partnership whose name is like ``name``, to search the access log by.

    The admin's agency sees names as on every other page: a victim's name only where the
    agreement gives it victim identity, and nobody from a restricted case it cannot open
    (a hit would confirm the person and the case). Partnership admins only; 404 for others.
    """
    if not is_partnership_admin(user):
        raise Http404
    assert user.agency is not None
    normalised = normalise_name(name, "")
    if len(normalised) < 2:
        return []
    people = Person.objects.filter(partnership_id=user.agency.partnership_id, merged_into__isnull=True)
    matched = list(
        people.filter(Q(name_normalised__trigram_similar=normalised) | Q(name_normalised__contains=normalised))
        .annotate(score=TrigramSimilarity("name_normalised", normalised))
        .order_by("-score", "family_name", "given_name", "pk")[: limit * 2]
    )
    allowed = set(permissions.people_classes(user, [p.pk for p in matched]).identity)
    allowed -= set(
        CaseParty.objects.filter(person_id__in=allowed, case__is_restricted=True)
        .exclude(case__in=Case.objects.filter(permissions.viewable_case_q(user)))
        .values_list("person_id", flat=True)
    )
    return [
        PersonNamed(person_id=p.pk, name=p.display_name, date_of_birth=p.date_of_birth)
        for p in matched
        if p.pk in allowed
    ][:limit]
