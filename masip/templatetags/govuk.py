"""Template helpers for GOV.UK Design System markup."""

from __future__ import annotations

from django import template
from django.forms import BaseForm, BoundField
from django.template import Context
from django.utils.safestring import SafeString

from masip.forms import SummaryError, summary_errors

register = template.Library()

_CLASSES = {
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "selectmultiple": "govuk-select",
    "checkbox": "govuk-checkboxes__input",
    "clearablefile": "govuk-file-upload",
    "file": "govuk-file-upload",
}
_WIDTHS = {"date": "govuk-input--width-10", "number": "govuk-input--width-5"}


@register.filter
def govuk_widget(field: BoundField) -> SafeString:
    """Render a field's widget with the GOV.UK class, its error modifier and ARIA links."""
    kind = field.widget_type
    css = _CLASSES.get(kind, "govuk-input")
    classes = [css]
    if kind in _WIDTHS:
        classes.append(_WIDTHS[kind])
    if field.errors and css in {"govuk-input", "govuk-select", "govuk-textarea"}:
        classes.append(f"{css}--error")
    existing = field.field.widget.attrs.get("class")
    if existing:
        classes.append(existing)
    attrs: dict[str, str | bool] = {"class": " ".join(classes)}
    described = []
    if field.help_text:
        described.append(f"{field.html_name}-hint")
    if field.errors:
        described.append(f"{field.html_name}-error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def page_summary_errors(context: Context) -> list[SummaryError]:
    """The error summary's (href, message) pairs: the view's ``summary_errors`` when it gave
    them (even none), else those of the page's ``form``."""
    if "summary_errors" in context:
        return list(context["summary_errors"] or [])
    form = context.get("form")
    return summary_errors(form) if isinstance(form, BaseForm) else []
