from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "advocacy"
    verbose_name = "Victim advocacy"

    def ready(self) -> None:
        from advocacy import permissions, services, views
        from cases.extensions import (
            CaseSection,
            CaseSummaryCard,
            register_case_section,
            register_case_summary_card,
            register_due_source,
            register_order_listener,
            register_person_merge_listener,
        )
        from masip.navigation import register_section

        def section_applies(user: Any, case: Any) -> bool:
            return permissions.may_see_any_area(user)

        register_case_section(
            CaseSection(
                key="advocacy",
                title="Victim advocacy",
                url_name="advocacy:case_advocacy",
                order=40,
                applies=section_applies,
            )
        )
        # Probation records key events here but sees nothing else of the section: its way in.
        register_case_section(
            CaseSection(
                key="advocacy_key_event",
                title="Record a key event",
                url_name="advocacy:key_event_add",
                order=41,
                applies=lambda user, case: (
                    permissions.can_record_key_event(user)
                    and not permissions.may_see_area(user, permissions.Area.KEY_EVENT)
                ),
            )
        )
        register_case_summary_card(
            CaseSummaryCard(
                key="advocacy",
                template_name="advocacy/_card.html",
                order=40,
                context=views.case_card,
            )
        )
        register_due_source(services.due_dates)
        register_order_listener(services.on_order_event)
        register_person_merge_listener(services.on_person_merged)
        register_section(
            key="advocacy_settings",
            title="Advocacy settings",
            url_name="advocacy:settings",
            order=83,
            description="How soon a victim must be told of a key event, review reminders, and each advocacy "
            "agency's lead.",
            applies=permissions.can_manage_settings,
        )
