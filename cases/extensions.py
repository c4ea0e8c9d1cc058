"""Points where the other apps plug into cases, without cases importing them.

Each app registers in its ``AppConfig.ready()``:

- a **due-date source**: for some cases, the earliest date something is due
  (a risk review, a follow-up review, a meeting action, a safety-plan review).
  the hook in ``cases.services`` (``next_due_changed`` / ``next_due_scope``) takes the
  minimum across sources and stores it in ``Case.next_due_on``, which the caseload sorts
  and filters on (docs/development.md, "The due date: one hook").
- a **case section**: a page about one case (risk, advocacy, interventions ...)
  listed in the case page's sub-navigation for the users it applies to.
- a **case summary card**: a template fragment shown on the case overview.
- an **order listener**: told of every order and breach recorded on a case
  (``cases.services.order_record`` / ``breach_record``), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

DueSource = Callable[[Sequence[int]], dict[int, dt.date]]

_due_sources: list[DueSource] = []


def register_due_source(source: DueSource) -> None:
    if source not in _due_sources:
        _due_sources.append(source)


def due_sources() -> list[DueSource]:
    return list(_due_sources)


@dataclass(frozen=True)
class CaseSection:
    key: str
    title: str
    url_name: str  # reversed with the case id
    order: int
    applies: Callable[[Any, Any], bool]  # (user, case) -> shown?


@dataclass(frozen=True)
class CaseSummaryCard:
    key: str
    template_name: str
    order: int
    # (user, case) -> template context, or None when the user may not see the card.
    context: Callable[[Any, Any], dict[str, Any] | None]


_sections: dict[str, CaseSection] = {}
_cards: dict[str, CaseSummaryCard] = {}


def register_case_section(section: CaseSection) -> None:
    _sections[section.key] = section


def register_case_summary_card(card: CaseSummaryCard) -> None:
    _cards[card.key] = card


def case_sections_for(user: Any, case: Any) -> list[CaseSection]:
    return sorted((s for s in _sections.values() if s.applies(user, case)), key=lambda s: s.order)


def case_summary_cards_for(user: Any, case: Any) -> list[tuple[CaseSummaryCard, dict[str, Any]]]:
    cards = []
    for card in sorted(_cards.values(), key=lambda c: c.order):
        context = card.context(user, case)
        if context is not None:
            cards.append((card, context))
    return cards


# --- listeners on orders and breaches ----------------------------------------------------------------


@dataclass(frozen=True)
class OrderEvent:
    """An order was recorded on a case, or a breach of one (``breach`` set).

    ``kind`` is ``"order_made"`` or ``"order_breached"``. Listeners run inside the
    recording service's transaction: what they write commits or rolls back with it.
    """

    kind: str
    order: Any
    actor: Any
    breach: Any = None


OrderListener = Callable[[OrderEvent], None]

_order_listeners: list[OrderListener] = []


def register_order_listener(listener: OrderListener) -> None:
    """Be told of every order and breach recorded through cases.services (e.g. to alert a victim's advocate)."""
    if listener not in _order_listeners:
        _order_listeners.append(listener)


def order_listeners() -> list[OrderListener]:
    return list(_order_listeners)


# --- listeners on person merges -----------------------------------------------------------------------


PersonMergeListener = Callable[[Any, Any, Any], None]  # (survivor, merged, actor)

_person_merge_listeners: list[PersonMergeListener] = []


def register_person_merge_listener(listener: PersonMergeListener) -> None:
    """Be told when two person records are merged, after the case parts have moved to the
    survivor, inside ``cases.services.person_merge``'s transaction: move the app's own rows
    that name the merged record, or raise a ValidationError (``{"merged": ...}``) to refuse
    the merge when they cannot move."""
    if listener not in _person_merge_listeners:
        _person_merge_listeners.append(listener)


def person_merge_listeners() -> list[PersonMergeListener]:
    return list(_person_merge_listeners)


# --- listeners on a case's worker ---------------------------------------------------------------------


AssignmentListener = Callable[[Any, Any, Any], None]  # (case, worker or None, actor)

_assignment_listeners: list[AssignmentListener] = []


def register_assignment_listener(listener: AssignmentListener) -> None:
    """Be told when a case's worker is assigned, changed or removed
    (``cases.services.case_assign_worker``), in the same transaction: move the app's own
    work that follows the case's worker."""
    if listener not in _assignment_listeners:
        _assignment_listeners.append(listener)


def assignment_listeners() -> list[AssignmentListener]:
    return list(_assignment_listeners)


# --- listeners on referrals and transitions; closure guards -------------------------


ReferralListener = Callable[[Any, Any], None]  # (case, actor)

_referral_listeners: list[ReferralListener] = []


def register_referral_listener(listener: ReferralListener) -> None:
    """Be told of every referral recorded by ``cases.services.referral_create``, after its case,
    people and sharing are written, in the same transaction (e.g. re-offending detection)."""
    if listener not in _referral_listeners:
        _referral_listeners.append(listener)


def referral_listeners() -> list[ReferralListener]:
    return list(_referral_listeners)


@dataclass(frozen=True)
class TransitionEvent:
    """A case moved from ``source`` to ``target`` (``cases.services.case_transition``).

    ``override_reason`` is the reason given to close a case that a closure guard held back.
    """

    case: Any
    actor: Any
    source: str
    target: str
    override_reason: str = ""


TransitionListener = Callable[[TransitionEvent], None]

_transition_listeners: list[TransitionListener] = []


def register_transition_listener(listener: TransitionListener) -> None:
    """Be told of every move of a case's status, after it is written, in the same transaction."""
    if listener not in _transition_listeners:
        _transition_listeners.append(listener)


def transition_listeners() -> list[TransitionListener]:
    return list(_transition_listeners)


# (case) -> why the case cannot close yet, or None. A blocked closure goes ahead only
# with an override reason, which the transition's timeline entry records.
ClosureGuard = Callable[[Any], str | None]

_closure_guards: list[ClosureGuard] = []


def register_closure_guard(guard: ClosureGuard) -> None:
    if guard not in _closure_guards:
        _closure_guards.append(guard)


def closure_blocks(case: Any) -> list[str]:
    """What stops ``case`` from closing now, one sentence per guard that objects."""
    return [message for guard in _closure_guards if (message := guard(case))]
