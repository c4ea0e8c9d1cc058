"""Forms rendered in the GOV.UK Design System's markup.

Django's own form rendering, with the field template and the choice widgets
overridden under templates/forms/ and templates/django/forms/: no second template
language, and allauth's and the admin's templates keep working.
"""

from __future__ import annotations

from django.forms import BaseForm, BoundField
from django.forms.renderers import TemplatesSetting


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "forms/govuk_form.html"
    field_template_name = "forms/govuk_field.html"


# --- the error summary: one convention for every page -------------------------------------------------
#
# A page with errors shows the GOV.UK error summary at the top, every error of every form on
# the page at once. Views pass ``summary_errors``, a list of (href, message) built by
# ``summary_errors(*forms)`` (an href is "#field-id" on the same page, a URL of another page,
# or "" for an error of no one field), and templates render it with
# ``{% include "includes/error_summary.html" %}``.

SummaryError = tuple[str, str]


def error_anchor(field: BoundField) -> str:
    """The id the error summary links to: the field, or the first of its radios or boxes."""
    anchor = field.id_for_label
    if anchor:
        return anchor
    return f"{field.auto_id}_0" if field.auto_id else field.html_name


def summary_errors(*forms: BaseForm | None) -> list[SummaryError]:
    """(href, message) for every error of every bound form given, in the forms' order."""
    found: list[SummaryError] = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        found += [("", str(e)) for e in form.non_field_errors()]
        for field in form:
            href = "" if field.is_hidden else f"#{error_anchor(field)}"
            found += [(href, str(e)) for e in field.errors]
    return found
