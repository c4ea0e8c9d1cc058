"""The consent gateway: every read of consent scopes, shapes and logs here (pages and API alike)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from agencies.models import User
from audit.models import AccessAction
from audit.services import access_record
from cases.models import Case, CaseParty
from cases.permissions import VICTIM_ROLES, case_visibility_q, people_classes
from cases.selectors import case_get_for_user, cases_viewable_by
from consent import permissions
from consent.models import Consent, Purpose


@dataclass
class VictimConsent:
    person_id: int
    name: str
    records: list[Consent] = field(default_factory=list)

    def current(self, purpose: str) -> Consent | None:
        return next((c for c in self.records if c.purpose == purpose), None)

    @property
    def at_a_glance(self) -> list[tuple[str, str, Consent | None]]:
        """(purpose, label, the newest record) for each purpose."""
        return [(p.value, str(p.label), self.current(p.value)) for p in Purpose]


@dataclass
class ConsentPage:
    case: Case
    victims: list[VictimConsent]
    can_record: bool
    # The answers shown that the reader may withdraw: each on its own case (the one it was
    # recorded on, which may be another case of hers), held in the reader's own right.
    withdrawable: frozenset[int] = frozenset()


def _victims(user: User, case: Case) -> list[VictimConsent]:
    parts = list(
        CaseParty.objects.filter(case=case, role__in=VICTIM_ROLES)
        .select_related("person")
        .order_by("-is_primary", "id")
    )
    identity = people_classes(user, {p.person_id for p in parts}).identity
    victims: dict[int, VictimConsent] = {}
    for part in parts:
        if part.person_id in identity and part.person_id not in victims:
            person = part.person
            name = f"{person.given_name} {person.family_name}".strip() or f"Person {person.pk}"
            victims[part.person_id] = VictimConsent(part.person_id, name)
    # Her consent is hers, not the case's, so it shows on each of her cases; but a record
    # was recorded on a case, and only on the cases the reader may view: a case they cannot
    # open (restricted, unshared) must not surface through another case of hers.
    for record in (
        recorded_where_readable(user, Consent.objects.filter(person_id__in=victims))
        .select_related("agency")
        .order_by("-given_on", "-id")
    ):
        victims[record.person_id].records.append(record)
    return list(victims.values())


def _page(user: User, case: Case, *, log: bool = True) -> ConsentPage:
    if not permissions.may_see_consent(user):
        raise Http404
    victims = _victims(user, case)
    if log:
        access_record(
            user=user,
            action=AccessAction.VIEW,
            record_type="consent.consent",
            record_ids=[c.pk for v in victims for c in v.records],
        )
    return ConsentPage(
        case=case,
        victims=victims,
        can_record=permissions.can_record_consent(user, case),
        withdrawable=_withdrawable(user, [c for v in victims for c in v.records]),
    )


def _withdrawable(user: User, records: list[Consent]) -> frozenset[int]:
    """``consent_for_change``'s rule for the answers on a page, in one query: in force, and on
    a case the user may record consent on (``can_record_consent``: not through break-glass)."""
    in_force = [r for r in records if r.in_force]
    if not in_force or not permissions.may_record_consent_somewhere(user):
        return frozenset()
    held = set(
        Case.objects.filter(case_visibility_q(user), pk__in={r.case_id for r in in_force}).values_list("pk", flat=True)
    )
    return frozenset(r.pk for r in in_force if r.case_id in held)


def consent_for_case(*, user: User, case_id: int) -> ConsentPage:
    return _page(user, case_get_for_user(user=user, case_id=case_id))


def consent_form_shown(*, user: User, page: ConsentPage) -> None:
    """A consent form shown again after a refused answer (read with ``consent_page_for_change``):
    log the victims it names, once. (The GET logs the answers it was read with.)"""
    access_record(
        user=user, action=AccessAction.VIEW, record_type="cases.person", record_ids=[v.person_id for v in page.victims]
    )


def consent_page_for_change(*, user: User, case_id: int) -> ConsentPage:
    """``consent_for_case``'s scope and shape for a posted answer, without its ``view`` row: a
    POST logs what it does (the service's ``create``), not a look at the page."""
    return _page(user, case_get_for_user(user=user, case_id=case_id), log=False)


def card_context(user: Any, case: Any) -> dict[str, Any] | None:
    """The case overview's consent card: each victim's answer for each purpose, at a glance."""
    if not permissions.may_see_consent(user):
        return None
    # The case page's gateway has scoped this case to the reader already: no second look-up.
    page = _page(user, case)
    if not page.victims:
        return None
    return {"consent_page": page}


def consent_for_change(*, user: User, consent_id: int) -> Consent:
    """A record to withdraw: on a case the user may record consent on, about a victim whose identity they see."""
    record = (
        Consent.objects.select_related("case")
        .filter(pk=consent_id, case__partnership_id=user.agency.partnership_id)  # type: ignore[union-attr]
        .first()
    )
    if record is None:
        raise Http404
    case = case_get_for_user(user=user, case_id=record.case_id)
    if not permissions.can_record_consent(user, case):
        raise Http404
    if record.person_id not in people_classes(user, [record.person_id]).identity:
        raise Http404
    return record


def research_consent_in_force(person_ids: Iterable[int]) -> set[int]:
    """Of some people, those whose newest research answer is a consent not withdrawn.

    For exports that name people to evaluators: a victim is named only with her research consent.
    """
    ids = set(person_ids)
    newest: dict[int, Consent] = {}
    for record in Consent.objects.filter(person_id__in=ids, purpose=Purpose.RESEARCH).order_by(
        "person_id", "-given_on", "-id"
    ):
        newest.setdefault(record.person_id, record)
    return {pid for pid, record in newest.items() if record.in_force}


def recorded_where_readable(user: User, answers: QuerySet[Consent]) -> QuerySet[Consent]:
    """Of some answers, those recorded on a case the user may open: her answer is hers and shows
    wherever she is, but one given on a restricted or unshared case stays there."""
    return answers.filter(case_id__in=cases_viewable_by(user=user).values("pk"))


@dataclass
class PersonConsent:
    """One person's consent answers a reader may see, and how many are kept from them."""

    shown: list[Consent]
    kept: int


def consent_of_person(*, user: User, person_id: int) -> PersonConsent:
    """Every consent answer of one person, by the consent page's rule: a reader the agreement
    lets see consent, who may see her identity, and only answers recorded on cases the reader
    may open (an answer on a restricted or unshared case stays there). The rest are counted
    in ``kept``. Logs nothing: for a caller that logs its own disclosure once (a subject
    access request)."""
    answers = Consent.objects.filter(person_id=person_id)
    if not permissions.may_see_consent(user) or person_id not in people_classes(user, [person_id]).identity:
        return PersonConsent(shown=[], kept=answers.count())
    shown = list(recorded_where_readable(user, answers).select_related("agency").order_by("given_on", "id"))
    return PersonConsent(shown=shown, kept=answers.count() - len(shown))
