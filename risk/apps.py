from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "Risk assessment"

    def ready(self) -> None:
        from cases import permissions as case_permissions
        from cases.extensions import (
            CaseSection,
            CaseSummaryCard,
            register_case_section,
            register_case_summary_card,
            register_due_source,
            register_order_listener,
        )
        from masip.navigation import register_section
        from risk import permissions, selectors, services

        register_case_section(
            CaseSection(
                key="risk",
                title="Risk",
                url_name="risk:case_risk",
                order=20,
                applies=lambda user, case: case_permissions.is_staff_member(user),
            )
        )
        register_case_summary_card(
            CaseSummaryCard(
                key="risk", template_name="risk/_summary_card.html", order=10, context=selectors.risk_card_for_user
            )
        )
        register_due_source(selectors.review_due_dates)
        # A breach of an order is an incident: MARAC escalation counts it and the DASH falls due.
        register_order_listener(services.on_order_event)
        register_section(
            key="risk_instruments",
            title="Risk instruments",
            url_name="risk:instruments",
            order=60,
            description="The risk instruments and versions in use: DASH, S-DASH, SASH and SRP, their items and bands.",
            # Everyone reaches them from a case's risk page; the header offers them to those who manage them.
            applies=permissions.can_manage_instruments,
        )
        register_section(
            key="risk_settings",
            title="Risk thresholds",
            url_name="risk:settings",
            order=83,
            description="The partnership's DASH bands, MARAC threshold and the escalation and repeat periods.",
            applies=permissions.can_change_settings,
        )
