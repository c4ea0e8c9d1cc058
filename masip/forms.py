"""Forms rendered in the GOV.UK Design System's markup.

Django's own form rendering, with the field template and the choice widgets
overridden under templates/forms/ and templates/django/forms/: no second template
language, and allauth's and the admin's templates keep working.
"""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "forms/govuk_form.html"
    field_template_name = "forms/govuk_field.html"
