from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = "Triage and clinic meetings"

    def ready(self) -> None:
        from cases import permissions as case_permissions
        from cases.extensions import (
            CaseSection,
            CaseSummaryCard,
            register_case_section,
            register_case_summary_card,
            register_due_source,
        )
        from masip.navigation import register_section
        from triage import permissions, selectors

        register_case_section(
            CaseSection(
                key="meetings",
                title="Meetings and actions",
                url_name="triage:case_meetings",
                order=30,
                applies=lambda user, case: case_permissions.is_staff_member(user),
            )
        )
        register_case_summary_card(
            CaseSummaryCard(
                key="meetings", template_name="triage/_case_card.html", order=20, context=selectors.case_card_for_user
            )
        )
        register_case_summary_card(
            CaseSummaryCard(
                key="watch", template_name="triage/_watch_card.html", order=21, context=selectors.watch_card_for_user
            )
        )
        register_due_source(selectors.open_action_due_dates)
        register_section(
            key="meetings",
            title="Meetings",
            url_name="triage:meetings",
            order=25,
            description="Triage meetings and stalking clinics: agendas, attendance, decisions, actions and minutes.",
            applies=case_permissions.is_staff_member,
        )
        register_section(
            key="watch_list",
            title="Watch list",
            url_name="triage:watch_list",
            order=28,
            description="Declined domestic-abuse cases kept in view, with their review dates.",
            applies=permissions.can_watch,
        )
        register_section(
            key="my_actions",
            title="My actions",
            url_name="triage:my_actions",
            order=26,
            description="Actions from meetings that you own, with the overdue ones first.",
            applies=case_permissions.is_staff_member,
        )
        register_section(
            key="agency_actions",
            title="Agency actions",
            url_name="triage:agency_actions",
            order=27,
            description="Every open action your agency owns, whoever in it holds them.",
            applies=case_permissions.is_staff_member,
        )
