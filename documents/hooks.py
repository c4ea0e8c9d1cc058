"""How documents plugs into the case pages and person merges, so cases never imports it."""

from __future__ import annotations

from typing import Any


def register() -> None:
    from cases.extensions import CaseSection, register_case_section, register_person_merge_listener
    from cases.permissions import is_staff_member
    from documents import services

    def section_applies(user: Any, case: Any) -> bool:
        return is_staff_member(user)

    register_case_section(
        CaseSection(
            key="documents", title="Documents", url_name="documents:case_documents", order=15, applies=section_applies
        )
    )
    register_person_merge_listener(services.on_person_merged)
