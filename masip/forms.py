"""Forms rendered in the GOV.UK Design System's markup.

Django's own form rendering, with the field template and the choice widgets
overridden under templates/forms/ and templates/django/forms/: no second template
language, and allauth's and the admin's templates keep working.
"""

from __future__ import annotations

from django import forms
from django.forms.renderers import TemplatesSetting

from masip.concurrency import CONFLICT_MESSAGE, parse_version


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "forms/govuk_form.html"
    field_template_name = "forms/govuk_field.html"


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
