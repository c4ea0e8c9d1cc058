"""Plugging follow-ups into the case page, the caseload, intake, the lifecycle and interventions."""

from __future__ import annotations


def register() -> None:
    from cases.extensions import (
        CaseSection,
        CaseSummaryCard,
        register_assignment_listener,
        register_case_section,
        register_case_summary_card,
        register_closure_guard,
        register_due_source,
        register_person_merge_listener,
        register_referral_listener,
        register_transition_listener,
    )
    from followups import permissions, selectors, services
    from interventions.extensions import register_intervention_end_listener
    from masip.navigation import register_section

    register_case_section(
        CaseSection(
            key="monitoring",
            title="Monitoring",
            url_name="followups:case_monitoring",
            order=60,
            applies=permissions.can_view_monitoring,
        )
    )
    register_case_summary_card(
        CaseSummaryCard(
            key="monitoring",
            template_name="followups/_card.html",
            order=60,
            context=selectors.case_card_for_user,
        )
    )
    register_due_source(services.due_dates)
    register_referral_listener(services.on_referral_created)
    register_transition_listener(services.on_case_transition)
    register_closure_guard(services.closure_block)
    register_intervention_end_listener(services.on_intervention_ended)
    register_person_merge_listener(services.on_person_merged)
    register_assignment_listener(services.on_worker_assigned)
    register_section(
        key="followup_settings",
        title="Follow-up settings",
        url_name="followups:followup_settings",
        order=84,
        description="The checkpoints at which cases are reviewed for re-offending, and who reviews unassigned cases.",
        applies=permissions.can_manage_settings,
    )
