"""Template helpers for the meeting pages: tag colours, tri-state answers, labels."""

from __future__ import annotations

from django import template
from django.db import models

from cases.models import Decision, StalkerType
from masip.concurrency import version_of
from triage.models import MeetingStatus, Outcome, SashLevel

register = template.Library()

OUTCOME_COLOURS: dict[str, str] = {
    Outcome.ACCEPTED: "govuk-tag--green",
    Outcome.DECLINED: "govuk-tag--orange",
    Outcome.REVIEWED: "govuk-tag--blue",
    Outcome.DEFERRED: "govuk-tag--grey",
}
MEETING_COLOURS: dict[str, str] = {
    MeetingStatus.PLANNED: "govuk-tag--blue",
    MeetingStatus.IN_PROGRESS: "govuk-tag--yellow",
    MeetingStatus.CONCLUDED: "govuk-tag--grey",
}


@register.filter
def record_version(record: models.Model) -> str:
    """The version a form that changes ``record`` carries back (``masip.concurrency``)."""
    return version_of(record)


@register.filter
def outcome_tag_class(outcome: str) -> str:
    return OUTCOME_COLOURS.get(outcome, "govuk-tag--grey")


@register.filter
def meeting_tag_class(status: str) -> str:
    return MEETING_COLOURS.get(status, "govuk-tag--grey")


@register.filter
def answer(value: bool | None) -> str:
    """A yes/no question the meeting may have left open."""
    return "Not recorded" if value is None else ("Yes" if value else "No")


@register.filter
def sash_label(level: str) -> str:
    if not level or level == "not_completed":
        return "Not completed"
    return SashLevel(level).label if level in SashLevel.values else level


@register.filter
def decline_label(reason: str) -> str:
    return Decision(reason).label.removeprefix("Declined: ").capitalize() if reason in Decision.values else ""


@register.filter
def stalker_label(value: str) -> str:
    return StalkerType(value).label if value in StalkerType.values else ""
