"""The access log in words: record types by name, and a link to each record that has a page."""

from __future__ import annotations

from django import template
from django.apps import apps
from django.urls import NoReverseMatch, reverse

from audit.record_types import current_record_type

register = template.Library()

# Record types whose records have a page of their own, and that page's URL name. The
# page applies its own scope: an admin following a link outside it gets the usual 404.
_PAGES = {
    "cases.case": ("cases:case_detail", "case_id"),
    "cases.person": ("people:person_detail", "person_id"),
}


@register.filter
def record_type_label(record_type: str) -> str:
    """A record type in words, by its model's own name: "Safe contact preference". A type
    logged before its model moved app is named by the model it is now."""
    app_label, _, model_name = current_record_type(record_type).partition(".")
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return record_type
    name = str(model._meta.verbose_name)
    return name[:1].upper() + name[1:]


@register.simple_tag
def record_url(record_type: str, record_id: str) -> str:
    page = _PAGES.get(record_type)
    if page is None or not str(record_id).isdigit():
        return ""
    url_name, kwarg = page
    try:
        return reverse(url_name, kwargs={kwarg: int(record_id)})
    except NoReverseMatch:
        return ""
