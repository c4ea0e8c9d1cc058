from __future__ import annotations

from django import template

from agencies.models import RecordClass
from documents import content

register = template.Library()


@register.filter
def type_label(content_type: str) -> str:
    return content.label(content_type)


@register.filter
def class_label(record_class: str) -> str:
    try:
        return str(RecordClass(record_class).label)
    except ValueError:
        return record_class
