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
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import BooleanField, F, Func, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Upper
from django.http import Http404

from agencies.models import Agency, RecordClass, User
from cases import links, permissions
from cases.identifiers import normalise_identifier, normalise_name
from cases.models import (
    Case,
    CaseEvent,
    CaseGroupObjectPermission,
    CaseNote,
    CaseParty,
    CaseUserObjectPermission,
    CrimeReference,
    Order,
    PartyRole,
    Person,
    PersonAlias,
)

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


SORTS = {
    # key: (order columns, keyset columns) — every order ends in id so it is total.
    "received": ("-received_on", "-id"),
    "oldest": ("received_on", "id"),
    "next_due": ("next_due_on", "id"),
}


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


def _listed_name(person: Person | None, named: frozenset[int]) -> str:
    if person is None:
        return ""
    return person.display_name if person.pk in named else "Withheld"


def case_queryset_for_user(*, user: User) -> QuerySet[Case]:
    if not permissions.is_staff_member(user):
        return Case.objects.none()
    return Case.objects.filter(permissions.case_visibility_q(user))


def _encode_cursor(case: Case, sort: str, direction: str) -> str:
    value = case.received_on if sort in ("received", "oldest") else case.next_due_on
    payload = [direction, value.isoformat() if value else None, case.pk]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, dt.date | None, int] | None:
    """The (direction, date, case id) a cursor of ``_encode_cursor`` names; None for anything else.

    The cursor comes from the client, so it is checked for exactly the shape this module
    writes: a null date, a non-integer id or deeply nested arrays would otherwise reach the
    query (Django refuses ``None`` in a comparison) or the JSON decoder's recursion limit.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, RecursionError):  # binascii, Unicode and JSON errors are ValueErrors
        return None
    if not isinstance(decoded, list) or len(decoded) != 3:
        return None
    direction, value, pk = decoded
    if direction not in ("next", "prev") or not isinstance(value, str) or type(pk) is not int:
        return None
    try:
        return direction, dt.date.fromisoformat(value), pk
    except ValueError:
        return None


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


def _search_q(user: User, term: str) -> Q:
    """Search by name, crime reference or PNC ID, within what the user may see.

    A victim's name is searched only by agencies allowed to see victim identity:
    otherwise a search could confirm who the victim is.

    The matches are one set of case ids, a UNION of small look-ups that each use their
    own index (crime reference, PNC ID, the trigram indexes on names and on aliases).
    PostgreSQL finds those few cases first, then checks access and sorts them; an OR
    of correlated EXISTS made it test every case of the partnership in turn.
    """
    term = term.strip()
    if not term:
        return Q()
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
    by_person = parts.values("case_id")
    by_crime_ref = Case.objects.filter(
        referral_id__in=CrimeReference.objects.annotate(ref_upper=Upper("reference"))
        .filter(ref_upper=identifier)
        .values("referral_id")
    ).values("pk")
    return Q(pk__in=by_person.union(by_crime_ref, all=True))


def case_list_for_user(
    *, user: User, filters: CaseloadFilters, cursor: str = "", page_size: int = PAGE_SIZE
) -> CaseloadPage:
    """One page of the caseload: one EXISTS for access, keyset pagination, no COUNT(*)."""
    qs = case_queryset_for_user(user=user)
    sort = filters.sort if filters.sort in SORTS else "received"
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
    if sort == "next_due":
        qs = qs.filter(next_due_on__isnull=False)

    order = list(SORTS[sort])
    decoded = _decode_cursor(cursor) if cursor else None
    direction = "next"
    if decoded is not None:
        direction, value, pk = decoded
        column = "received_on" if sort in ("received", "oldest") else "next_due_on"
        descending = order[0].startswith("-")
        forwards = (direction == "next") != descending  # moving towards larger values?
        if value is None:
            # Only a hand-made cursor has no value; keep the long form's answer for it.
            if forwards:
                qs = qs.filter(Q(**{f"{column}__gt": value}) | Q(**{column: value, "pk__gt": pk}))
            else:
                qs = qs.filter(Q(**{f"{column}__lt": value}) | Q(**{column: value, "pk__lt": pk}))
        else:
            # (column, id) > (value, pk) as one row comparison: the same rows as
            # "column > value OR (column = value AND id > pk)", but PostgreSQL can seek
            # the keyset index straight to it instead of filtering from the first row.
            qs = qs.filter(_RowCompare(">" if forwards else "<", F(column), F("pk"), Value(value), Value(pk)))
        if direction == "prev":
            order = [o[1:] if o.startswith("-") else f"-{o}" for o in order]

    primary_parties = Prefetch(
        "parties",
        queryset=CaseParty.objects.filter(is_primary=True).select_related("person"),
        to_attr="primary_parties",
    )
    # The page's ids are chosen on cases alone (access, filters, keyset, sort, limit);
    # only those rows are then joined to their referral and worker. Joined first, a
    # search matching thousands of cases fetched a referral for each before the sort.
    page = qs.order_by(*order).values("pk")[: page_size + 1]
    cases = list(
        Case.objects.filter(pk__in=page)
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
        next_cursor = _encode_cursor(last, sort, "next") if has_more and last else None
        previous_cursor = _encode_cursor(first, sort, "prev") if decoded is not None and first else None
    else:
        previous_cursor = _encode_cursor(first, sort, "prev") if has_more and first else None
        next_cursor = _encode_cursor(last, sort, "next") if last else None
    return CaseloadPage(rows=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)


# --- one case --------------------------------------------------------------------------------------------------


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
    visible_classes: frozenset[str]

    @property
    def perpetrator(self) -> PartyView | None:
        return next((p for p in self.parties if p.role == PartyRole.PERPETRATOR and p.is_primary), None)

    @property
    def victim(self) -> PartyView | None:
        return next((p for p in self.parties if p.role == PartyRole.VICTIM and p.is_primary), None)


def _visible_class_q(classes: frozenset[str]) -> Q:
    return Q(record_class="") | Q(record_class__in=classes)


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
    return CaseDetail(
        case=case,
        parties=[party_view(user, part, classes=people) for part in parts],
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
        visible_classes=classes,
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
    for candidate in ranked:
        candidate.link_token = links.link_token_issue(user=user, person_id=candidate.person_id)
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
