"""Forms rendered in the GOV.UK Design System's markup.

Django's own form rendering, with the field template and the choice widgets
overridden under templates/forms/ and templates/django/forms/: no second template
language, and allauth's and the admin's templates keep working.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.core import validators
from django.forms import BaseForm, BoundField
from django.forms.renderers import TemplatesSetting
from django.forms.utils import pretty_name

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


# --- the wording of errors: GOV.UK's, naming the field, never Django's defaults --------------------------------
#
# Django's defaults ("This field is required.", "Ensure this value is greater than or equal to 0.")
# do not say which answer is wrong, and the error summary lists them away from their fields.
# ``GovukForm`` rewords every message a field still has from Django, from the field's label, in
# the GOV.UK Design System's patterns ("Enter the date of the contact", "Hours must be 0 or more");
# a message a form writes itself is kept. Every form of the project is a ``GovukForm`` (a test walks
# them all), so a new field is worded well without anyone remembering to.


def field_noun(label: Any, name: str) -> str:
    """ "the date of the contact" from "Date of the contact"; "the NHS number" keeps its capitals.

    A label that is a question ("How was the contact made?") is quoted whole: turning it into
    a clause ("how the contact was made") needs grammar, and a quote still names the answer."""
    text = str(label if label else pretty_name(name)).strip()
    text = text.removesuffix("(optional)").strip().rstrip(":").strip()
    if not text:
        return "an answer"
    if text.endswith("?"):
        return f"an answer to ‘{text}’"
    if not text[1:2].isupper():  # "NHS number" keeps its capitals
        text = text[0].lower() + text[1:]
    if text.split(" ", 1)[0] in {"the", "a", "an", "your", "their", "his", "her", "its", "any", "each"}:
        return text
    return f"the {text}"


def _subject(noun: str) -> str:
    """The noun as the subject of a sentence: "The hours", "An answer to ..."."""
    return noun[0].upper() + noun[1:]


def _is_choice(field: forms.Field) -> bool:
    return isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.BooleanField) or isinstance(
        field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.Select
    )


def govuk_messages(field: forms.Field, name: str) -> dict[str, str]:
    """GOV.UK wording for each error Django words for this kind of field."""
    noun = field_noun(field.label, name)
    subject = _subject(noun)
    pick = "Select" if isinstance(field, forms.BooleanField | forms.MultipleChoiceField) else "Choose"
    words = {
        "required": f"{pick} {noun}" if _is_choice(field) else f"Enter {noun}",
        "invalid_choice": f"Choose {noun} from the list",
        "invalid_list": f"Choose {noun} from the list",
        "invalid_pk_value": f"Choose {noun} from the list",
        "incomplete": f"Enter all of {noun}",
        "missing": f"Choose {noun}" if not isinstance(field, forms.FileField) else f"Upload {noun}",
        "empty": "The selected file is empty",
        "contradiction": f"Either upload {noun} or remove it, not both",
        "invalid_image": f"{subject} must be an image",
        "invalid_date": f"{subject} must be a real date",
        "invalid_time": f"{subject} must be a real time",
    }
    invalid = {
        forms.IntegerField: f"{subject} must be a whole number",
        forms.DecimalField: f"{subject} must be a number",
        forms.FloatField: f"{subject} must be a number",
        forms.DateTimeField: f"{subject} must be a real date and time",
        forms.DateField: f"{subject} must be a real date",
        forms.TimeField: f"{subject} must be a real time",
        forms.EmailField: f"Enter {noun} in the correct format, like name@example.com",
        forms.URLField: f"Enter {noun} in the correct format, like https://www.example.com",
        forms.UUIDField: f"{subject} is not in the right format",
        forms.FileField: f"Upload {noun}",
        forms.MultiValueField: f"Enter {noun} in the right format",
        forms.JSONField: f"{subject} is not in the right format",
        forms.DurationField: f"{subject} must be a length of time",
    }
    for kind, message in invalid.items():
        if isinstance(field, kind):
            words["invalid"] = message
            break
    return words


def _default_messages(field: forms.Field) -> dict[str, str]:
    found: dict[str, str] = {}
    for klass in reversed(type(field).__mro__):
        found.update({k: str(v) for k, v in getattr(klass, "default_error_messages", {}).items()})
    return found


# A validator's own message, reworded where it is still Django's; %(limit_value)s is the limit.
_VALIDATOR_WORDS: dict[type, tuple[str, str]] = {
    validators.MinValueValidator: (
        str(validators.MinValueValidator.message),
        "{subject} must be %(limit_value)s or more",
    ),
    validators.MaxValueValidator: (
        str(validators.MaxValueValidator.message),
        "{subject} must be %(limit_value)s or less",
    ),
    validators.StepValueValidator: (
        str(validators.StepValueValidator.message),
        "{subject} must be a multiple of %(limit_value)s",
    ),
    validators.ProhibitNullCharactersValidator: (
        str(validators.ProhibitNullCharactersValidator.message),
        "{subject} must not contain null characters",
    ),
    validators.EmailValidator: (
        str(validators.EmailValidator.message),
        "Enter {noun} in the correct format, like name@example.com",
    ),
    validators.URLValidator: (
        str(validators.URLValidator.message),
        "Enter {noun} in the correct format, like https://www.example.com",
    ),
}


def _length_words(validator: validators.BaseValidator, subject: str) -> str | None:
    if type(validator) is validators.MaxLengthValidator:
        return f"{subject} must be %(limit_value)d characters or fewer"
    if type(validator) is validators.MinLengthValidator:
        return f"{subject} must be %(limit_value)d characters or more"
    return None


def govuk_wording(field: forms.Field, name: str) -> None:
    """Reword, in place, every message of ``field`` that is still Django's default."""
    defaults = _default_messages(field)
    mine = govuk_messages(field, name)
    field.error_messages = {
        key: (mine.get(key, message) if str(message) == defaults.get(key) else message)
        for key, message in field.error_messages.items()
    }
    noun = field_noun(field.label, name)
    subject = _subject(noun)
    reworded = []
    for validator in field.validators:
        # The validators may be shared with the class's field (a form's fields are shallow
        # copies), so a reworded one is a copy.
        words = _VALIDATOR_WORDS.get(type(validator))
        new: str | None = None
        if words and str(getattr(validator, "message", "")) == words[0]:
            new = words[1].format(subject=subject, noun=noun)
        elif isinstance(validator, validators.MaxLengthValidator | validators.MinLengthValidator) and (
            "Ensure this value has" in str(validator.message % {"limit_value": 1, "show_value": 1})
        ):
            new = _length_words(validator, subject)
        if new is not None:
            validator = copy.copy(validator)
            setattr(validator, "message", new)  # noqa: B010 (a validator is typed as a callable)
        reworded.append(validator)
    field.validators = reworded
    if isinstance(field, forms.MultiValueField):
        for part in field.fields:
            govuk_wording(part, name)


class GovukForm(forms.Form):
    """The project's base form: every error worded in the GOV.UK style, naming its field.

    The wording is applied when the form validates, so fields a form adds or changes in its
    own ``__init__`` (choices of this partnership, a label naming the person) are worded too."""

    def full_clean(self) -> None:
        for name, field in self.fields.items():
            govuk_wording(field, name)
        super().full_clean()


class VersionedForm(GovukForm):
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
