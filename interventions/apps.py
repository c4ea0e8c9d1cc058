from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    name = "interventions"
    verbose_name = "Interventions"

    def ready(self) -> None:
        from cases.extensions import (
            CaseSection,
            CaseSummaryCard,
            register_case_section,
            register_case_summary_card,
            register_due_source,
        )
        from cases.permissions import is_staff_member
        from interventions import permissions, selectors
        from masip.navigation import register_section

        register_case_section(
            CaseSection(
                key="interventions",
                title="Interventions",
                url_name="interventions:case_interventions",
                order=50,
                applies=lambda user, case: is_staff_member(user),
            )
        )
        register_case_summary_card(
            CaseSummaryCard(
                key="interventions",
                template_name="interventions/_case_card.html",
                order=50,
                context=selectors.case_card_for_user,
            )
        )
        register_due_source(selectors.intervention_due_dates)
        register_section(
            key="interventions",
            title="Interventions",
            url_name="interventions:inbox",
            order=50,
            description=(
                "Referrals for direct intervention, sessions waiting for feedback, and concerns raised at sessions."
            ),
            applies=lambda user: permissions.is_health_clinician(user) or permissions.can_refer(user),
        )
