"""Forms rendered in the GOV.UK Design System's markup.

Django's own form rendering, with the field template and the choice widgets
overridden under templates/forms/ and templates/django/forms/: no second template
language, and allauth's and the admin's templates keep working.
"""

from __future__ import annotations

from django import forms
from django.forms import BaseForm, BoundField
from django.forms.renderers import TemplatesSetting

from masip.concurrency import CONFLICT_MESSAGE, parse_version


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
    """(href, message) for every error of every bound form given, in the forms' order.

    A form with an ``error_subject`` ("Victim", "Perpetrator") names it in each message, so
    a page with two people's forms says whose NHS number is wrong."""
    found: list[SummaryError] = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        subject = getattr(form, "error_subject", "")
        found += [("", _about(subject, str(e))) for e in form.non_field_errors()]
        for field in form:
            href = "" if field.is_hidden else f"#{error_anchor(field)}"
            found += [(href, _about(subject, str(e))) for e in field.errors]
    return found


def _about(subject: str, message: str) -> str:
    """ "Victim: enter a valid 10-digit NHS number" (an acronym keeps its capitals)."""
    if not subject or not message:
        return message
    first = message[0].lower() if message[1:2].islower() else message[0]
    return f"{subject}: {first}{message[1:]}"


class VersionedForm(forms.Form):
    """A form that changes a record carries the version of it that it was rendered from.

    The edit service compares it with the record under its row lock (``masip.concurrency``):
    a page opened before someone else saved cannot silently overwrite their change.
    """

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def expected_version(self) -> str | None:
        return parse_version(self.cleaned_data.get("version"))


def conflict_page_errors() -> list[tuple[str, str]]:
    """The error summary of a page whose save met a newer version of the record."""
    return [("", CONFLICT_MESSAGE)]
