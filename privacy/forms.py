"""Forms of the data-protection pages. The services check everything again; these parse."""

from __future__ import annotations

from typing import Any

from django import forms

from cases.forms import GovukDateField
from masip.forms import GovukForm
from privacy.models import RecordKind, RetentionAction, Trigger


class ScheduleForm(GovukForm):
    record_kind = forms.ChoiceField(
        label="Kind of record",
        choices=[("", "Choose"), *RecordKind.choices],
        error_messages={"required": "Choose the kind of record"},
    )
    trigger = forms.ChoiceField(
        label="Counted from",
        choices=Trigger.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the period is counted from"},
    )
    period_months = forms.IntegerField(
        label="Period in months",
        help_text="For example 72 for six years, 240 for twenty",
        min_value=1,
        max_value=1200,
        error_messages={
            "required": "Enter the period in months",
            "invalid": "Enter the period as a whole number of months",
            "min_value": "Enter a period between 1 and 1200 months",
            "max_value": "Enter a period between 1 and 1200 months",
        },
    )
    action = forms.ChoiceField(
        label="Then",
        choices=RetentionAction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happens when the period ends"},
    )
    basis = forms.CharField(
        label="Basis (optional)",
        help_text="The rule this follows, for example the Management of Police Information code",
        required=False,
        max_length=200,
    )


class PrivacySettingsForm(GovukForm):
    redact_staff_names = forms.BooleanField(
        label="Leave staff names out of disclosures (name their agency only)", required=False
    )


class LegalHoldForm(GovukForm):
    case_reference = forms.CharField(
        label="Case number",
        help_text="For example MASIP-000123",
        max_length=20,
        error_messages={"required": "Enter the case number"},
    )
    reason = forms.CharField(
        label="Why the case is held",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the case is held"},
    )


class LiftHoldForm(GovukForm):
    lift_reason = forms.CharField(
        label="Why the hold is lifted",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the hold is lifted"},
    )


class RequestSearchForm(GovukForm):
    person_name = forms.CharField(
        label="Name of the person asking",
        max_length=150,
        error_messages={"required": "Enter at least two letters of the person's name"},
    )


class RequestOpenForm(GovukForm):
    person = forms.TypedChoiceField(
        label="Person", coerce=int, widget=forms.RadioSelect, error_messages={"required": "Choose the person asking"}
    )
    received_on = GovukDateField(label="Date the request was received", required=True)
    identity_checked = forms.TypedChoiceField(
        label="Has their identity been checked?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether their identity has been checked"},
    )

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = people  # type: ignore[attr-defined]
