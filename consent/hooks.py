"""How consent plugs into the case pages and person merges, so cases never imports it."""

from __future__ import annotations

from typing import Any


def register() -> None:
    from cases.extensions import (
        CaseSection,
        CaseSummaryCard,
        register_case_section,
        register_case_summary_card,
        register_person_merge_listener,
    )
    from consent import permissions, selectors, services

    def section_applies(user: Any, case: Any) -> bool:
        return permissions.may_see_consent(user)

    register_case_section(
        CaseSection(key="consent", title="Consent", url_name="consent:case_consent", order=16, applies=section_applies)
    )
    register_case_summary_card(
        CaseSummaryCard(key="consent", template_name="consent/_card.html", order=5, context=selectors.card_context)
    )
    register_person_merge_listener(services.on_person_merged)
