"""Template helpers for the case pages: tag colours, GOV.UK date inputs, error links."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

from cases.models import CaseStatus, ContactChannel
from masip.forms import error_anchor as forms_error_anchor

register = template.Library()

STATUS_COLOURS: dict[str, str] = {
    CaseStatus.REFERRED: "govuk-tag--magenta",
    CaseStatus.AWAITING_TRIAGE: "govuk-tag--yellow",
    CaseStatus.ACCEPTED: "govuk-tag--teal",
    CaseStatus.DECLINED: "govuk-tag--orange",
    CaseStatus.ACTIVE: "govuk-tag--green",
    CaseStatus.MONITORING: "govuk-tag--purple",
    CaseStatus.CLOSED: "govuk-tag--grey",
    CaseStatus.REOPENED: "",
}
RISK_COLOURS: dict[str, str] = {"high": "govuk-tag--red", "moderate": "govuk-tag--orange", "low": "govuk-tag--green"}


@register.filter
def status_tag_class(status: str) -> str:
    return STATUS_COLOURS.get(status, "govuk-tag--grey")


@register.filter
def risk_tag_class(risk: str) -> str:
    return RISK_COLOURS.get(risk, "govuk-tag--grey")


@register.filter
def round_estimate(count: int) -> str:
    """An estimated count to two significant figures ("59,000"): no false precision."""
    digits = max(0, len(str(int(count))) - 2)
    return f"{round(int(count), -digits):,}"


@register.filter
def risk_label(risk: str) -> str:
    return risk.replace("_", " ").capitalize() if risk else "Not assessed"


@register.filter
def channel_labels(values: Iterable[str]) -> str:
    labels = dict(ContactChannel.choices)
    return ", ".join(labels.get(v, v) for v in values)


@register.filter
def date_widget(field: BoundField) -> SafeString:
    """The day, month and year boxes, marked in error when the field is."""
    attrs: dict[str, str | bool] = {"error": "1"} if field.errors else {}
    return field.as_widget(attrs=attrs)


@register.filter
def error_anchor(field: BoundField) -> str:
    """The id the error summary links to (masip.forms.error_anchor)."""
    return forms_error_anchor(field)


@register.inclusion_tag("cases/_case_nav.html", takes_context=True)
def case_nav(context: dict[str, Any], case: Any, active: str = "overview") -> dict[str, Any]:
    """The case's sub-navigation: the overview, then each app's section this user may see."""
    from django.urls import reverse

    from cases.extensions import case_sections_for

    user = context["request"].user
    items = [{"key": "overview", "title": "Overview", "url": reverse("cases:case_detail", args=[case.pk])}]
    items += [
        {"key": s.key, "title": s.title, "url": reverse(s.url_name, args=[case.pk])}
        for s in case_sections_for(user, case)
    ]
    return {"items": items, "active": active}
