"""Template helpers for the advocacy pages: labels and tag colours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template

from advocacy.models import ContactTopic

register = template.Library()

NEED_COLOURS = {
    "high": "govuk-tag--red",
    "medium": "govuk-tag--orange",
    "low": "govuk-tag--yellow",
    "none": "govuk-tag--grey",
}
MEASURE_COLOURS = {
    "proposed": "govuk-tag--blue",
    "in_place": "govuk-tag--green",
    "declined": "govuk-tag--grey",
    "ended": "govuk-tag--grey",
}


@register.filter
def get_item(mapping: Mapping[Any, Any] | None, key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def topic_list(values: Iterable[str]) -> list[str]:
    labels = dict(ContactTopic.choices)
    return [str(labels.get(v, v)) for v in values]


@register.filter
def topic_labels(values: Iterable[str]) -> str:
    return ", ".join(topic_list(values))


@register.filter
def need_tag_class(level: str) -> str:
    return NEED_COLOURS.get(level, "govuk-tag--grey")


@register.filter
def measure_tag_class(status: str) -> str:
    return MEASURE_COLOURS.get(status, "govuk-tag--grey")
