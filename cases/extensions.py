"""Points where the other apps plug into cases, without cases importing them.

Each app registers in its ``AppConfig.ready()``:

- a **due-date source**: for some cases, the earliest date something is due
  (a risk review, a follow-up review, a meeting action, a safety-plan review).
  ``cases.services.case_refresh_next_due`` takes the minimum across sources and
  stores it in ``Case.next_due_on``, which the caseload sorts and filters on.
- a **case section**: a page about one case (risk, advocacy, interventions ...)
  listed in the case page's sub-navigation for the users it applies to.
- a **case summary card**: a template fragment shown on the case overview.
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
