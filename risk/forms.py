"""Forms of the risk pages, built from an instrument version's items.

Field names are the item keys (and the services' other field names), so a service's
ValidationError lands on the question it is about (cases.forms.apply_errors).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from cases.forms import GovukDateField
from masip.forms import GovukForm
from risk import scoring
from risk.models import YES_NO_UNKNOWN_CHOICES, IncidentSource, Item, Response
from risk.services import MAX_TEXT, SETTINGS_LIMITS, required_message


class InlineRadios(forms.RadioSelect):
    """Yes / No / Not known side by side, as the GOV.UK inline radios."""

    template_name = "risk/widgets/radios_inline.html"


class YesNoUnknownField(forms.ChoiceField):
    # A fieldset with the question as its legend, like every other radio group.
    template_name = "cases/forms/radios_field.html"


def item_field(item: Item, bands: Sequence[scoring.Band]) -> forms.Field:
    common: dict[str, Any] = {"label": item.question, "help_text": item.hint, "required": False}
    if item.response == Response.YES_NO_UNKNOWN:
        return YesNoUnknownField(choices=YES_NO_UNKNOWN_CHOICES, widget=InlineRadios, **common)
    if item.response == Response.LEVEL:
        choices = [(b.key, b.label) for b in bands]
        if item.allows_not_rated:
            choices.append((scoring.NOT_RATED, scoring.NOT_RATED_LABEL))
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if item.response == Response.CHOICE:
        return forms.ChoiceField(
            choices=[(str(v), str(label)) for v, label in item.options], widget=forms.RadioSelect, **common
        )
    return forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=MAX_TEXT, **common)


class QuestionPageForm(GovukForm):
    """One question group. ``require`` checks every required question is answered (Continue);
    the autosave and "save and come back later" take whatever is there."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        items: Sequence[Item],
        bands: Sequence[scoring.Band],
        require: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.items = {item.key: item for item in items}
        self.require = require
        for item in items:
            self.fields[item.key] = item_field(item, bands)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.require:
            for key, item in self.items.items():
                if item.required and not (cleaned.get(key) or "").strip() and key not in self.errors:
                    self.add_error(key, required_message(item))
        return cleaned

    def answers(self) -> dict[str, str]:
        """What was posted: every field on a full save; only the fields sent on an autosave."""
        if self.require:
            return {key: self.cleaned_data.get(key) or "" for key in self.items}
        assert self.data is not None
        return {key: self.cleaned_data.get(key) or "" for key in self.items if key in self.data}


class AboutForm(GovukForm):
    assessed_on = GovukDateField(
        label="Date of the assessment",
        required=True,
        help_text="The day it was carried out with the victim, perpetrator or meeting. For example, 27 3 2026",
    )


class ResultForm(GovukForm):
    """Professional judgement (scored instruments) and notes."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        bands: Sequence[scoring.Band],
        scored_band: str,
        allows_judgement: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        if allows_judgement and bands:
            base = scoring.band_label(bands, scored_band) if scored_band else bands[0].label
            start = scoring.rank(bands, scored_band) if scored_band else 0
            choices = [("", f"No: keep the level the score gives ({base.lower()})")]
            choices += [(b.key, f"Yes: raise it to {b.label.lower()}") for b in bands[start + 1 :]]
            if len(choices) > 1:
                self.fields["judgement_level"] = forms.ChoiceField(
                    label="Does your professional judgement raise the level?",
                    help_text="Judgement may raise the level the score gives, never lower it.",
                    choices=choices,
                    widget=forms.RadioSelect,
                    required=False,
                )
                self.fields["judgement_reason"] = forms.CharField(
                    label="Reason for raising the level",
                    help_text="Needed when you raise the level. What you know that the checklist does not show.",
                    widget=forms.Textarea(attrs={"rows": 4}),
                    required=False,
                    max_length=MAX_TEXT,
                )
        self.fields["notes"] = forms.CharField(
            label="Notes (optional)",
            help_text="Seen by every agency the case is shared with: no addresses or contact details.",
            widget=forms.Textarea(attrs={"rows": 4}),
            required=False,
            max_length=MAX_TEXT,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("judgement_level") and not (cleaned.get("judgement_reason") or "").strip():
            self.add_error("judgement_reason", "Give the reason for raising the level")
        return cleaned


class AmendForm(GovukForm):
    reason = forms.CharField(
        label="Why does the assessment need amending?",
        help_text="Kept with the amendment, with your name and the date.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={"required": "Give the reason for the amendment"},
    )


class IncidentForm(GovukForm):
    occurred_on = GovukDateField(label="Date of the incident", required=True)
    source = forms.ChoiceField(
        label="Who reported it?",
        choices=IncidentSource.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select where the report of the incident came from"},
    )
    description = forms.CharField(
        label="What happened",
        help_text="Seen by every agency the case is shared with: no addresses or contact details.",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        error_messages={"required": "Describe the incident"},
    )


class MaracReferralForm(GovukForm):
    referred_on = GovukDateField(label="Date of the referral", required=True)
    notes = forms.CharField(
        label="Notes (optional)",
        help_text="For example the MARAC meeting date or reference. No addresses or contact details.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_TEXT,
        required=False,
    )


class SashRecordForm(GovukForm):
    level = forms.ChoiceField(
        label="Level of concern",
        choices=[("low", "Low"), ("moderate", "Moderate"), ("moderate_high", "Moderate/high"), ("high", "High")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose low, moderate, moderate/high or high"},
    )
    assessed_on = GovukDateField(label="Date of the screening", required=True)
    note = forms.CharField(
        label="Note (optional)", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=MAX_TEXT
    )


def _number(label: str, help_text: str, low: int, high: int) -> forms.IntegerField:
    """A whole number in a text box, as the GOV.UK Design System asks (not type=number)."""
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=low,
        max_value=high,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3", "spellcheck": "false"}),
        error_messages={
            "required": f"Enter {label[0].lower()}{label[1:]}",
            "invalid": f"{label} must be a whole number",
            "min_value": f"{label} must be {low} or more",
            "max_value": f"{label} must be {high} or fewer",
        },
    )


class RiskSettingsForm(GovukForm):
    dash_medium_from = _number("DASH medium band starts at", "SafeLives: 10 yes answers", 1, 26)
    dash_high_from = _number("DASH high band starts at", "SafeLives: 14 yes answers", 2, 27)
    marac_score_from = _number(
        "MARAC referral on visible high risk from", "SafeLives: 14. Some partnerships refer from 17.", 1, 27
    )
    escalation_incidents = _number("Potential escalation: number of incidents", "Usually 3", 2, 20)
    escalation_months = _number("Potential escalation: within how many months", "Usually 12", 1, 36)
    repeat_months = _number(
        "Repeat: an incident within how many months of the last MARAC referral", "Usually 12", 1, 36
    )

    def values(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in SETTINGS_LIMITS}
