"""Template helpers for the interventions pages: tag colours."""

from __future__ import annotations

from django import template

from interventions.models import InterventionStatus, ReferralStatus
from interventions.rules import TAG_COLOURS

register = template.Library()

STATUS_COLOURS: dict[str, str] = {
    InterventionStatus.PLANNED: "govuk-tag--blue",
    InterventionStatus.ONGOING: "govuk-tag--green",
    InterventionStatus.COMPLETED: "govuk-tag--purple",
    InterventionStatus.DROPPED_OUT: "govuk-tag--red",
    InterventionStatus.CANCELLED: "govuk-tag--grey",
}
REFERRAL_COLOURS: dict[str, str] = {
    ReferralStatus.SUBMITTED: "govuk-tag--yellow",
    ReferralStatus.ACCEPTED: "govuk-tag--green",
    ReferralStatus.DECLINED: "govuk-tag--orange",
    ReferralStatus.WITHDRAWN: "govuk-tag--grey",
}


@register.filter
def session_tag_class(tag: str) -> str:
    return TAG_COLOURS.get(tag, "govuk-tag--grey")


@register.filter
def intervention_status_class(status: str) -> str:
    return STATUS_COLOURS.get(status, "govuk-tag--grey")


@register.filter
def referral_status_class(status: str) -> str:
    return REFERRAL_COLOURS.get(status, "govuk-tag--grey")


@register.filter
def choice_labels(values: list[str], choices: str) -> str:
    """Labels of stored choice values, joined: ``plan.modalities|choice_labels:"modality"``."""
    from interventions.models import CriminogenicNeed, Modality

    labels = {"modality": dict(Modality.choices), "need": dict(CriminogenicNeed.choices)}.get(choices, {})
    return ", ".join(str(labels.get(v, v)) for v in values)
